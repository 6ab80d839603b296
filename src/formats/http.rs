//! Raw HTTP captures (`curl -i`): a status line and headers, a blank line, then the body.
//! Interim responses (`100 Continue`) and redirects followed with `-L` come first and are
//! skipped. The body is read as JSON evidence; its locations are written `body#<pointer>`.
//! A non-2xx status is a failed collection whatever the body.

use super::{Body, Format, Item, Location, Parsed, Parser, Reason, Text, json, prefix_pointers};
use crate::escape::{EXCERPT_CHARS, excerpt};
use crate::subscription::IdScope;

/// A raw HTTP capture (`curl -i`): status line, headers, body.
pub const HTTP_CAPTURE: Format = Format::new("http-capture");

/// HTTP captures.
pub const PARSER: Parser = Parser {
    family: "http-capture",
    formats: &[HTTP_CAPTURE],
    parse,
};

fn parse(input: &Text<'_>) -> Option<Parsed> {
    is_capture(after_progress_meter(input.start())).then(|| parse_capture(input.text()))
}

/// The text after curl's progress meter, when it starts with one: `curl -i` without `-s`
/// writes `  % Total    % Received % Xferd  Average Speed ...`, a `Dload  Upload` line and
/// rows of numbers (updated with carriage returns) to standard error, which `2>&1` puts
/// before the capture. Other text is returned as it is.
#[must_use]
pub fn after_progress_meter(text: &str) -> &str {
    if !text.trim_start().starts_with("% Total") {
        return text;
    }
    let mut rest = text;
    loop {
        let line_start = rest.trim_start_matches(['\r', '\n']);
        let end = line_start.find(['\r', '\n']).unwrap_or(line_start.len());
        let line = line_start.get(..end).unwrap_or_default();
        if line_start.is_empty() || !is_meter_line(line) {
            return line_start;
        }
        rest = line_start.get(end..).unwrap_or_default();
    }
}

/// A line of curl's progress meter: its two header lines, or a row of figures
/// (`100  1234  100  1234    0     0   5678      0 --:--:-- --:--:-- --:--:--  5678`).
fn is_meter_line(line: &str) -> bool {
    let line = line.trim();
    (line.starts_with("% Total") && line.contains("% Received"))
        || line.starts_with("Dload")
        || line.chars().all(|c| {
            c.is_ascii_digit()
                || matches!(
                    c,
                    ' ' | '\t' | '.' | ':' | '-' | 'k' | 'M' | 'G' | 'T' | 'P'
                )
        })
}

/// Whether the text is an HTTP response capture.
#[must_use]
pub fn is_capture(text: &str) -> bool {
    text.starts_with("HTTP/")
}

/// The body of the final response of a capture: after interim responses, redirects and a
/// proxy's `200 Connection established`.
#[must_use]
pub fn final_body(text: &str) -> &str {
    let mut rest = after_progress_meter(text.trim_start());
    loop {
        let (_, body) = split_head(rest);
        let body_start = body.trim_start_matches(['\r', '\n']);
        if is_capture(body_start) {
            rest = body_start;
        } else {
            return body;
        }
    }
}

/// Parses an HTTP capture: text that starts with `HTTP/` after leading blank lines.
#[must_use]
pub fn parse_capture(text: &str) -> Parsed {
    let mut rest = after_progress_meter(text.trim_start());
    let (status, reason, body) = loop {
        let (head, body) = split_head(rest);
        let status_line = head.lines().next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let _version = parts.next();
        let status: Option<u16> = parts.next().and_then(|s| s.trim().parse().ok());
        let reason = parts.next().unwrap_or_default().trim().to_owned();
        let body_start = body.trim_start_matches(['\r', '\n']);
        match status {
            // Interim responses, redirects followed with `-L`, and a proxy's `200 Connection
            // established`: another response follows, and that one is the capture.
            Some(s) if (100..200).contains(&s) || is_capture(body_start) => {
                rest = body_start;
            }
            Some(s) => break (s, reason, body),
            None => {
                return Parsed::new(
                    HTTP_CAPTURE,
                    Body::Malformed(Reason::HttpStatusLine(status_line.to_owned())),
                );
            }
        }
    };
    let status_text = format!("HTTP {status} {}", excerpt(&reason, EXCERPT_CHARS))
        .trim_end()
        .to_owned();
    // `rest` is a suffix of `text`: the final status line starts where it does.
    let status_line = super::lines::line_at(&super::lines::numbered(text), text.len() - rest.len());
    let inner = if body.trim().is_empty() {
        Body::Empty
    } else if json::is_json_start(body.trim_start()) {
        prefix_pointers(json::parse_document(body).body, "body#")
    } else {
        Body::Unrecognized(Reason::HttpBodyNotJson(status_text.clone()))
    };
    let ok = (200..300).contains(&status);
    let body = match inner {
        Body::Items(items) if ok || has_error(&items) => Body::Items(items),
        Body::Empty if ok => Body::Malformed(Reason::HttpEmptyBody(status_text)),
        _ if ok => inner,
        _ => Body::Items(vec![Item::CollectionError {
            summary: format!("the request failed with {status_text}"),
            scope: IdScope::None,
            location: Location::Line(status_line),
        }]),
    };
    Parsed::new(HTTP_CAPTURE, body)
}

fn has_error(items: &[Item]) -> bool {
    items
        .iter()
        .any(|i| matches!(i, Item::CollectionError { .. }))
}

/// Splits at the first empty line (CRLF or LF); the head has no line end.
///
/// One pass over the line ends up to the cut: searching the whole text for `\r\n\r\n` and
/// for `\n\n` read all of a capture of CRLF responses once per response (quadratic in
/// its `100 Continue` blocks).
fn split_head(text: &str) -> (&str, &str) {
    let bytes = text.as_bytes();
    let cut = bytes.iter().enumerate().find_map(|(i, &b)| {
        if b != b'\n' {
            return None;
        }
        match bytes.get(i + 1..) {
            Some([b'\n', ..]) => Some((i, 2)),
            Some([b'\r', b'\n', ..]) if i > 0 && bytes.get(i - 1) == Some(&b'\r') => {
                Some((i - 1, 4))
            }
            _ => None,
        }
    });
    match cut {
        Some((at, len)) => (
            text.get(..at).unwrap_or_default(),
            text.get(at + len..).unwrap_or_default(),
        ),
        None => (text, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_ends_at_the_first_blank_line_of_either_kind() {
        // What searching for each separator and taking the earlier gave.
        let by_search = |text: &'static str| {
            let crlf = text.find("\r\n\r\n").map(|i| (i, 4));
            let lf = text.find("\n\n").map(|i| (i, 2));
            match (crlf, lf) {
                (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
                (a, b) => a.or(b),
            }
            .map_or((text, ""), |(at, len)| (&text[..at], &text[at + len..]))
        };
        for text in [
            "",
            "\n",
            "\n\n",
            "\r\n\r\n",
            "\r\n\n",
            "\n\r\n",
            "\n\r\n\r\n",
            "\r\r\n\r\n",
            "a\r\n\r\nb\n\nc",
            "a\n\nb\r\n\r\nc",
            "a\r\nb\r\n\r",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nA: b\r\n\r\n{}",
            "HTTP/1.1 200 OK\nA: b\r\n\n{}",
            "é\r\n\r\né",
        ] {
            assert_eq!(split_head(text), by_search(text), "{text:?}");
        }
    }

    #[test]
    fn body_locations_are_prefixed() {
        let text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"value\":[{\"id\":\"/subscriptions/8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5/providers/Microsoft.Security/settings/WDATP\",\"name\":\"WDATP\",\"properties\":{\"enabled\":true}}]}";
        let parsed = parse_capture(text);
        assert_eq!(parsed.format, HTTP_CAPTURE);
        let Body::Items(items) = parsed.body else {
            panic!()
        };
        let [Item::Settings { settings, .. }] = items.as_slice() else {
            panic!()
        };
        assert_eq!(
            settings[0].location,
            Location::Pointer("body#/value/0/properties/enabled".into())
        );
    }

    #[test]
    fn a_failure_is_located_at_its_final_status_line() {
        let parsed = parse_capture(
            "\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\n\r\n",
        );
        let Body::Items(items) = parsed.body else {
            panic!()
        };
        assert!(
            matches!(
                items.as_slice(),
                [Item::CollectionError {
                    location: Location::Line(5),
                    ..
                }]
            ),
            "{items:?}"
        );
    }

    #[test]
    fn a_proxy_connect_response_is_skipped() {
        let text = "HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 403 Forbidden\r\n\r\n";
        let Body::Items(items) = parse_capture(text).body else {
            panic!()
        };
        assert!(
            matches!(
                items.as_slice(),
                [Item::CollectionError {
                    location: Location::Line(3),
                    ..
                }]
            ),
            "{items:?}"
        );
    }

    #[test]
    fn curls_progress_meter_before_the_capture_is_skipped() {
        let text = "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0\r100    96  100    96    0     0    412      0 --:--:-- --:--:-- --:--:--   413\nHTTP/1.1 503 Service Unavailable\r\n\r\n";
        let Body::Items(items) = parse(&Text::new(text)).unwrap().body else {
            panic!()
        };
        assert!(
            matches!(
                items.as_slice(),
                [Item::CollectionError {
                    location: Location::Line(6),
                    ..
                }]
            ),
            "{items:?}"
        );
        assert_eq!(
            after_progress_meter("% Totally not curl"),
            "% Totally not curl"
        );
    }

    #[test]
    fn a_failed_status_is_a_collection_error() {
        let parsed = parse_capture("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        assert!(
            matches!(parsed.body, Body::Items(ref i) if has_error(i)),
            "{parsed:?}"
        );
        let parsed = parse_capture("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n");
        assert!(matches!(parsed.body, Body::Malformed(_)), "{parsed:?}");
    }
}
