//! Lines of decoded text with their 1-based numbers, shared by the text parsers.

/// One line of text, its 1-based number and where it starts; line ends removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// The 1-based line number in the decoded text.
    pub number: usize,
    /// The byte offset of the line in the decoded text.
    pub start: usize,
    /// The line without its end.
    pub text: &'a str,
}

impl Line<'_> {
    /// Whether the line holds only whitespace.
    #[must_use]
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// Splits text into numbered lines; `\n`, `\r\n` and a lone `\r` (old Mac tools, some
/// consoles) each end a line.
#[must_use]
pub fn numbered(text: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let end_len = match bytes.get(i) {
            Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => 2,
            Some(b'\n' | b'\r') => 1,
            _ => 0,
        };
        if end_len == 0 {
            i += 1;
            continue;
        }
        lines.push(Line {
            number: lines.len() + 1,
            start,
            text: text.get(start..i).unwrap_or_default(),
        });
        i += end_len;
        start = i;
    }
    lines.push(Line {
        number: lines.len() + 1,
        start,
        text: text.get(start..).unwrap_or_default(),
    });
    lines
}

/// The number of the line holding byte `offset` of the text `lines` were split from.
#[must_use]
pub fn line_at(lines: &[Line<'_>], offset: usize) -> usize {
    let index = lines.partition_point(|l| l.start <= offset);
    lines.get(index.saturating_sub(1)).map_or(1, |l| l.number)
}

/// The first line that is not blank.
#[must_use]
pub fn first_non_blank<'a>(lines: &[Line<'a>]) -> Option<Line<'a>> {
    lines.iter().copied().find(|l| !l.is_blank())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_lf_count_alike() {
        let lines = numbered("a\r\nb\nc\rd");
        assert_eq!(
            lines
                .iter()
                .map(|l| (l.number, l.start, l.text))
                .collect::<Vec<_>>(),
            [(1, 0, "a"), (2, 3, "b"), (3, 5, "c"), (4, 7, "d")]
        );
        assert_eq!(line_at(&lines, 0), 1);
        assert_eq!(line_at(&lines, 4), 2);
        assert_eq!(line_at(&lines, 7), 4);
    }
}
