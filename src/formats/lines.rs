//! Lines of decoded text with their 1-based numbers, shared by the text parsers.

/// One line of text and its 1-based number; line ends (LF or CRLF) removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// The 1-based line number in the decoded text.
    pub number: usize,
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

/// Splits text into numbered lines (`\n` or `\r\n`; a lone `\r` also ends a line, as old
/// Mac tools and some consoles write it).
#[must_use]
pub fn numbered(text: &str) -> Vec<Line<'_>> {
    text.split('\n')
        .flat_map(|line| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            line.split('\r')
        })
        .enumerate()
        .map(|(i, text)| Line {
            number: i + 1,
            text,
        })
        .collect()
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
        let lines = numbered("a\r\nb\nc");
        assert_eq!(
            lines.iter().map(|l| (l.number, l.text)).collect::<Vec<_>>(),
            [(1, "a"), (2, "b"), (3, "c")]
        );
    }
}
