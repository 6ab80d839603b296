//! When, and by whom, evidence says it was collected: a PowerShell transcript's header
//! (`Start time: 20241106141503`, `Username: CONTOSO\auditor`, `Machine: AUDIT-WS01 (...)`),
//! the `Date` header of an HTTP capture or of `Invoke-AzRestMethod` output, a HAR entry's
//! `startedDateTime`. Only the head of the text is searched, where these sit, so a large
//! file costs nothing more. A file that states none is dated by its modification time
//! (see [`Collected::modified`]), marked as such.

use std::fmt;
use std::time::SystemTime;

use jiff::Timestamp;

use super::Format;

/// How far into the text a stated date is looked for.
const HEAD: usize = 16 * 1024;

/// How far into the text a transcript's banner is looked for (it is on its second line).
const BANNER: usize = 512;

/// Where a collection date comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSource {
    /// A PowerShell transcript's `Start time` (the collecting machine's local time, whose
    /// zone the transcript does not record: read as UTC).
    Transcript,
    /// The `Date` header of an HTTP response (a `curl -i` capture, `Invoke-AzRestMethod`
    /// output).
    HttpDate,
    /// A HAR entry's `startedDateTime`.
    Har,
    /// The file's modification time: the evidence states no date.
    FileModified,
}

impl DateSource {
    /// The name used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transcript => "transcript_start_time",
            Self::HttpDate => "http_date_header",
            Self::Har => "har_started_date_time",
            Self::FileModified => "file_modified_time",
        }
    }

    /// Where the time comes from, in words, as `explain` shows it.
    #[must_use]
    pub fn description(self) -> &'static str {
        match self {
            Self::Transcript => {
                "the transcript's Start time (the collecting machine's local time, whose zone \
                 the transcript does not record: read as UTC)"
            }
            Self::HttpDate => "the Date header of the HTTP response",
            Self::Har => "the startedDateTime of the HAR entry",
            Self::FileModified => {
                "the file's modification time: the evidence states no date, and this may be \
                 the time the file was copied rather than collected"
            }
        }
    }
}

/// When (and, where the evidence says, by whom) a file's evidence was collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collected {
    /// The time, to the second.
    pub at: Timestamp,
    /// Who collected it (`CONTOSO\auditor on AUDIT-WS01`), when the evidence says.
    pub by: Option<String>,
    /// Where the time comes from.
    pub source: DateSource,
}

impl Collected {
    /// A file dated by its modification time.
    #[must_use]
    pub fn modified(time: SystemTime) -> Option<Self> {
        let at = Timestamp::try_from(time).ok()?;
        Some(Self {
            at: whole_seconds(at),
            by: None,
            source: DateSource::FileModified,
        })
    }

    /// The time as RFC 3339 UTC (`2024-11-06T14:15:03Z`).
    #[must_use]
    pub fn at_text(&self) -> String {
        self.at.to_string()
    }
}

impl fmt::Display for Collected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.at, self.source.as_str())?;
        if let Some(by) = &self.by {
            write!(f, " by {by}")?;
        }
        Ok(())
    }
}

/// The collection date the text of a file read as `format` states, if any.
#[must_use]
pub fn stated(text: &str, format: Format) -> Option<Collected> {
    let head = cut(text, HEAD);
    if format == super::json::HAR {
        har_started(head)
    } else if format == super::http::HTTP_CAPTURE {
        http_header(head)
    } else if format == super::json::INVOKE_AZRESTMETHOD {
        json_date_header(head)
    } else {
        transcript(head)
    }
}

/// At most `limit` bytes of `text`, cut at a character boundary.
fn cut(text: &str, limit: usize) -> &str {
    let mut end = text.len().min(limit);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

/// A transcript header: `Start time: yyyyMMddHHmmss`, with `Username` and `Machine`.
fn transcript(head: &str) -> Option<Collected> {
    // The banner opens a transcript: look for it only at the start, not in every file's
    // whole head.
    if !cut(head, BANNER).contains("transcript start") {
        return None;
    }
    let field = |name: &str| {
        head.lines()
            .find_map(|line| line.trim().strip_prefix(name))
            .map(str::trim)
            .filter(|value| !value.is_empty())
    };
    let start = field("Start time:")?;
    let at = jiff::civil::DateTime::strptime("%Y%m%d%H%M%S", start)
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp();
    let machine = field("Machine:").map(|m| m.split(" (").next().unwrap_or(m).trim());
    let by = match (field("Username:"), machine) {
        (Some(user), Some(machine)) => Some(format!("{user} on {machine}")),
        (Some(user), None) => Some(user.to_owned()),
        (None, Some(machine)) => Some(format!("on {machine}")),
        (None, None) => None,
    };
    Some(Collected {
        at,
        by,
        source: DateSource::Transcript,
    })
}

/// The `Date:` header of the final response in a `curl -i` capture (the last one before
/// the body: earlier responses are interim ones or redirects).
fn http_header(head: &str) -> Option<Collected> {
    let head = super::http::after_progress_meter(head.trim_start());
    let mut found = None;
    let mut in_headers = true;
    for line in head.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("HTTP/") {
            in_headers = true;
        } else if line.is_empty() {
            in_headers = false;
        } else if in_headers
            && let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("date")
        {
            found = http_date(value).or(found);
        }
    }
    found.map(|at| Collected {
        at,
        by: None,
        source: DateSource::HttpDate,
    })
}

/// A `Date` header in `Invoke-AzRestMethod` output saved as JSON: `{"Key": "Date",
/// "Value": "Tue, 05 Nov 2024 10:15:03 GMT"}` (Windows PowerShell 5.1) or
/// `"Date": ["Tue, ..."]` (PowerShell 7).
fn json_date_header(head: &str) -> Option<Collected> {
    head.match_indices("\"Date\"").find_map(|(at, key)| {
        let rest = head.get(at + key.len()..)?;
        // The next JSON string after the key (and after `"Value":` in the 5.1 shape).
        let rest =
            rest.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | ',' | '['));
        let rest = rest.strip_prefix("\"Value\"").map_or(rest, |r| {
            r.trim_start_matches(|c: char| c.is_whitespace() || c == ':')
        });
        let value = rest.strip_prefix('"')?.split('"').next()?;
        http_date(value).map(|at| Collected {
            at,
            by: None,
            source: DateSource::HttpDate,
        })
    })
}

/// The first `startedDateTime` of a HAR log (RFC 3339, with an offset or `Z`).
fn har_started(head: &str) -> Option<Collected> {
    let (_, rest) = head.split_once("\"startedDateTime\"")?;
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ':');
    let value = rest.strip_prefix('"')?.split('"').next()?;
    let at: Timestamp = value.parse().ok()?;
    Some(Collected {
        at: whole_seconds(at),
        by: None,
        source: DateSource::Har,
    })
}

/// A time cut to the second below it.
fn whole_seconds(at: Timestamp) -> Timestamp {
    Timestamp::from_second(at.as_second()).unwrap_or(at)
}

/// An HTTP date (`Tue, 05 Nov 2024 09:42:11 GMT`).
fn http_date(value: &str) -> Option<Timestamp> {
    jiff::fmt::rfc2822::parse(value.trim())
        .ok()
        .map(|zoned| zoned.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transcript_states_its_start_time_user_and_machine() {
        let text = "**********************\nWindows PowerShell transcript start\n\
                    Start time: 20241106141503\nUsername: CONTOSO\\auditor\n\
                    RunAs User: CONTOSO\\auditor\n\
                    Machine: AUDIT-WS01 (Microsoft Windows NT 10.0.19045.0)\n";
        let c = stated(text, super::super::console::POWERSHELL_TRANSCRIPT).unwrap();
        assert_eq!(c.at_text(), "2024-11-06T14:15:03Z");
        assert_eq!(c.by.as_deref(), Some("CONTOSO\\auditor on AUDIT-WS01"));
        assert_eq!(c.source, DateSource::Transcript);
    }

    #[test]
    fn an_http_capture_states_the_final_responses_date() {
        let text = "HTTP/1.1 100 Continue\r\nDate: Mon, 04 Nov 2024 08:00:00 GMT\r\n\r\n\
                    HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                    date: Tue, 05 Nov 2024 09:42:11 GMT\r\n\r\n{\"value\":[]}";
        let c = stated(text, super::super::http::HTTP_CAPTURE).unwrap();
        assert_eq!(c.at_text(), "2024-11-05T09:42:11Z");
        assert_eq!(c.source, DateSource::HttpDate);
    }

    #[test]
    fn invoke_azrestmethod_headers_state_the_date_in_both_shapes() {
        let ps51 = r#"{"Headers": [{"Key": "Pragma", "Value": "no-cache"},
            {"Key":  "Date",
             "Value":  "Tue, 05 Nov 2024 10:15:03 GMT"}], "Content": "{}"}"#;
        let ps7 = r#"{"Headers": {"Date": ["Tue, 05 Nov 2024 10:15:03 GMT"]}}"#;
        for text in [ps51, ps7] {
            let c = stated(text, super::super::json::INVOKE_AZRESTMETHOD).unwrap();
            assert_eq!(c.at_text(), "2024-11-05T10:15:03Z", "{text}");
        }
    }

    #[test]
    fn a_har_states_when_its_first_entry_started() {
        let text =
            r#"{"log": {"entries": [{"startedDateTime": "2024-11-12T10:41:07.512+01:00"}]}}"#;
        let c = stated(text, super::super::json::HAR).unwrap();
        assert_eq!(c.at_text(), "2024-11-12T09:41:07Z");
        assert_eq!(c.source, DateSource::Har);
    }

    #[test]
    fn text_without_a_date_states_none() {
        assert_eq!(stated("Start time: 20241106141503", Format::TEXT), None);
        assert_eq!(
            stated(
                "HTTP/1.1 200 OK\r\nDate: soon\r\n\r\n",
                super::super::http::HTTP_CAPTURE
            ),
            None
        );
        assert_eq!(stated("{\"value\": []}", Format::TEXT), None);
        // A multi-byte character at the cut does not panic.
        let long = "é".repeat(HEAD);
        assert_eq!(stated(&long, Format::TEXT), None);
    }
}
