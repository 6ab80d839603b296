//! Replays, through the `examine` fuzz target's checks (`fuzz/fuzz_targets/whole_file.rs`:
//! `scan::examine` and `explain` on one file, with its invariants), every input the fuzzer
//! once crashed on (`fuzz/regressions/`, minimised) and every seed written for it
//! (`fuzz/seeds/examine/`: files mixing shapes). A stack overflow aborts this test binary:
//! that is the failure it reports.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

#[path = "../fuzz/fuzz_targets/whole_file.rs"]
mod whole_file;

use std::path::Path;

/// The files of `dir` below the repository, sorted; none when it does not exist.
fn inputs(dir: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|f| f.is_file() && f.file_name().is_none_or(|n| n != "README.md"));
    files.sort();
    files
}

#[test]
fn the_examine_seeds_pass_the_fuzz_targets_checks() {
    let seeds = inputs("fuzz/seeds/examine");
    assert!(seeds.len() >= 10, "the seeds are missing: {seeds:?}");
    for seed in seeds {
        eprintln!("{}", seed.display());
        whole_file::check(&std::fs::read(&seed).unwrap());
    }
}

#[test]
fn inputs_the_fuzzer_crashed_on_pass_the_fuzz_targets_checks() {
    for input in inputs("fuzz/regressions") {
        eprintln!("{}", input.display());
        whole_file::check(&std::fs::read(&input).unwrap());
    }
}
