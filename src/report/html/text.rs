//! The HTML report's text: every file-derived string escaped as it is written, so that
//! it shows as text and never becomes markup.

use std::fmt;

/// File-derived text as HTML text or attribute value: escaped, control characters replaced.
/// The colon of `scheme://` is written `&#58;`: a URL in evidence (a HAR's request) reads
/// the same, but the page's bytes hold no address of any kind.
pub(super) struct Text<'a>(pub(super) &'a str);

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let special = |c: char| {
            matches!(c, '&' | '<' | '>' | '"' | '\'' | ':')
                || c.is_control()
                || crate::escape::is_bidi_control(c)
        };
        let mut rest = self.0;
        while let Some(at) = rest.find(special) {
            let (plain, tail) = rest.split_at(at);
            f.write_str(plain)?;
            let mut chars = tail.chars();
            let c = chars.next().unwrap_or_default();
            rest = chars.as_str();
            f.write_str(match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                ':' if rest.starts_with("//") => "&#58;",
                ':' => ":",
                // Shown as their escape, as in every human-facing output (one function).
                c => {
                    f.write_str(&crate::escape::printable(c.encode_utf8(&mut [0; 4]), &[]))?;
                    continue;
                }
            })?;
        }
        f.write_str(rest)
    }
}

/// A path as [`Text`], with a line break opportunity after each `/` (`<wbr>`, which adds
/// no text: filtering and sorting see the path as it is).
pub(super) struct FilePath<'a>(pub(super) &'a str);

impl fmt::Display for FilePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.0.split('/').enumerate() {
            if i > 0 {
                f.write_str("/<wbr>")?;
            }
            Text(part).fmt(f)?;
        }
        Ok(())
    }
}

/// Optional text, empty when `None`.
pub(super) fn text(value: Option<&str>) -> Text<'_> {
    Text(value.unwrap_or_default())
}
