//! A subscription's verdict on one check: the roll-up's answer.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A subscription's verdict on one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every deciding observation is `enabled`.
    Pass,
    /// Deciding observations are `disabled` or `absent`.
    Fail,
    /// Deciding observations disagree.
    Conflict,
    /// No observation decides.
    NoEvidence,
}

impl Verdict {
    /// Every verdict, in report order.
    pub const ALL: [Self; 4] = [Self::Pass, Self::Fail, Self::Conflict, Self::NoEvidence];

    /// The name used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Conflict => "conflict",
            Self::NoEvidence => "no_evidence",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
