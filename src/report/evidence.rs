//! The evidence behind each verdict, for the formats that link findings to files (OCSF,
//! OSCAL): every file a verdict names, with its SHA-256, size, collection time and what it
//! says about that subscription and check, and the name-based UUIDs those formats give
//! them. Reads the finished report only.

use uuid::Uuid;

use crate::evaluate::Observation;
use crate::formats::dates::Collected;
use crate::model::{Evaluated, Report};
use crate::rollup::SubscriptionVerdict;

/// One file behind a verdict.
#[derive(Debug, Clone, Copy)]
pub struct Behind<'a> {
    /// The file, as reached from its root.
    pub path: &'a str,
    /// The file as read (`None` only if the report does not list it, which a scan never
    /// produces).
    pub evaluated: Option<&'a Evaluated>,
    /// What the file says about the verdict's subscription and check.
    pub observation: Option<&'a Observation>,
    /// Whether this file decides the verdict.
    pub deciding: bool,
}

impl<'a> Behind<'a> {
    /// The file's SHA-256 (hex), when it was read.
    #[must_use]
    pub fn sha256(&self) -> Option<&'a str> {
        self.evaluated.map(|e| e.sha256.as_str())
    }

    /// When the file's evidence was collected, when known.
    #[must_use]
    pub fn collected(&self) -> Option<&'a Collected> {
        self.evaluated.and_then(|e| e.collected.as_ref())
    }

    /// Where the value is in the file, when known.
    #[must_use]
    pub fn location(&self) -> Option<String> {
        self.observation
            .and_then(|o| o.location.as_ref())
            .map(ToString::to_string)
    }
}

/// The file a report lists at `path`, when it was read.
#[must_use]
pub fn evaluated<'a>(report: &'a Report, path: &str) -> Option<&'a Evaluated> {
    // The files are sorted by path; a linear search covers a report that is not.
    let index = report
        .files
        .binary_search_by(|f| f.path.as_str().cmp(path))
        .ok()
        .or_else(|| report.files.iter().position(|f| f.path == path))?;
    report.files.get(index)?.evaluated()
}

/// Every file behind a verdict, the deciding file first, then in report order.
pub fn behind<'a>(
    report: &'a Report,
    verdict: &'a SubscriptionVerdict,
) -> impl Iterator<Item = Behind<'a>> + 'a {
    let deciding = verdict.deciding_file();
    verdict.paths.iter().map(move |path| {
        let evaluated = evaluated(report, path);
        let observation = evaluated.and_then(|e| {
            e.observations.iter().find(|o| {
                o.check.id == verdict.check.id
                    && o.subscription.as_ref() == Some(&verdict.subscription)
            })
        });
        Behind {
            path,
            evaluated,
            observation,
            deciding: deciding == Some(path.as_str()),
        }
    })
}

/// The namespace of every name-based UUID this tool writes (itself a v5 UUID of the tool's
/// name in the URL namespace), so that the same inputs always give the same UUIDs.
#[must_use]
pub fn namespace() -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        concat!("urn:", env!("CARGO_PKG_NAME")).as_bytes(),
    )
}

/// A name-based (v5) UUID of `parts`, joined by a separator no part can hold unescaped.
#[must_use]
pub fn uuid(parts: &[&str]) -> Uuid {
    let mut name = Vec::new();
    for part in parts {
        // Length-prefixed, so that ("a/b", "c") and ("a", "b/c") differ.
        name.extend_from_slice(part.len().to_string().as_bytes());
        name.push(b':');
        name.extend_from_slice(part.as_bytes());
    }
    Uuid::new_v5(&namespace(), &name)
}

/// The run's time (`generated_at`, RFC 3339) in milliseconds since the Unix epoch; 0 when
/// it cannot be read (a scan always writes a valid one).
#[must_use]
pub fn epoch_millis(generated_at: &str) -> i64 {
    generated_at
        .parse::<jiff::Timestamp>()
        .map_or(0, jiff::Timestamp::as_millisecond)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_name_based_and_unambiguous() {
        assert_eq!(uuid(&["a", "b"]), uuid(&["a", "b"]));
        assert_ne!(uuid(&["a/b", "c"]), uuid(&["a", "b/c"]));
        assert_eq!(uuid(&["a"]).get_version_num(), 5);
    }

    #[test]
    fn generated_at_becomes_milliseconds() {
        assert_eq!(epoch_millis("1970-01-02T00:00:00Z"), 86_400_000);
        assert_eq!(epoch_millis("not a time"), 0);
    }
}
