//! The invariant every target checks: `evaluate` is total and explains itself.

use mdc_evidence::evaluate::evaluate;
use mdc_evidence::formats::Parsed;

/// Paths the evaluation is tried under: one naming a subscription, one naming none.
const PATHS: [&str; 2] = [
    "evidence/a58867d5-e483-45d5-a485-bf2bb651169a/fuzz-input.txt",
    "evidence/fuzz-input.txt",
];

/// Evaluates `parsed` under each path: at least one observation, each with a detail.
pub fn check(parsed: &Parsed) {
    for path in PATHS {
        let observations = evaluate(parsed, path, &mdc_evidence::checks::Checks::default());
        assert!(!observations.is_empty(), "no observation for {parsed:?}");
        for o in &observations {
            assert!(!o.detail.is_empty(), "empty detail in {o:?} for {parsed:?}");
        }
    }
}
