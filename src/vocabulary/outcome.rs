//! What one file says about one subscription and check: the decision rule's answer.

use std::fmt;

use serde::Serialize;

/// What one file says about one subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The check's setting is present and `true` (a query: its value is the one expected).
    Enabled,
    /// The check's setting is present and `false` (a query: another value).
    Disabled,
    /// A complete settings list without the check's setting.
    Absent,
    /// The file records a failed or incomplete collection: it proves nothing.
    CollectionError,
    /// The file is evidence but cannot be read to a value.
    Malformed,
    /// The file holds no evidence for the check in any known shape.
    Unrecognized,
}

impl Outcome {
    /// Every outcome, in report order.
    pub const ALL: [Self; 6] = [
        Self::Enabled,
        Self::Disabled,
        Self::Absent,
        Self::CollectionError,
        Self::Malformed,
        Self::Unrecognized,
    ];

    /// The name used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::Absent => "absent",
            Self::CollectionError => "collection_error",
            Self::Malformed => "malformed",
            Self::Unrecognized => "unrecognized",
        }
    }

    /// Whether this outcome decides a subscription's verdict.
    #[must_use]
    pub fn is_deciding(self) -> bool {
        matches!(self, Self::Enabled | Self::Disabled | Self::Absent)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
