//! The HTML report: one self-contained page for a person, which works from `file://` on
//! an offline machine and prints cleanly to PDF.
//!
//! The page holds the run's metadata, headline counts and a bar of verdicts per check, a
//! sortable and filterable table of subscriptions with the evidence files behind each
//! verdict (SHA-256 and location), the observations no subscription holds, every
//! observation, and the files that were skipped with their reasons. Its style and script
//! are inline; it refers to nothing outside itself, and its Content Security Policy forbids
//! loading anything, and any script but its own (allowed by its SHA-256).
//!
//! Every file-derived text is HTML-escaped (`&`, `<`, `>`, `"`, `'`), its control
//! characters replaced with U+FFFD and its bidirectional controls shown as `\u{202e}` as it
//! is written: a crafted file name or value shows as text, in the order it has, and can
//! never become markup. The script never builds markup: it only sorts rows
//! and hides those a filter leaves out. Rows are written as they are built, like every
//! report, and the bytes depend only on the report.
//!
//! This file writes the page and its header sections (the run, the summary and its chart);
//! `tables` writes the tables, `text` escapes every file-derived text.

mod tables;
mod text;

use std::io::{self, Write};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{Flags, Render, Summary, Writer};
use crate::model::Report;
use crate::vocabulary::verdict::Verdict;
use tables::{observations, skipped, subscriptions, unattributed};
use text::Text;

/// The HTML report: `.html`.
pub const WRITER: Writer = Writer {
    name: "html",
    extensions: &["html"],
    build: |_: &Flags| Arc::new(Html),
    is_own_report,
    is_whole_report: |bytes| bytes.ends_with(b"</body>\n</html>\n"),
};

/// How every HTML report of this tool starts, up to its version: the `generator` is what
/// recognises an earlier report under a scanned root (within the first bytes, which is all
/// that is read of an existing `-o` file).
const START: &str = concat!(
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
    "<meta name=\"generator\" content=\"",
    env!("CARGO_PKG_NAME"),
    " "
);

const STYLE: &str = include_str!("html.css");
const SCRIPT: &str = include_str!("html.js");

/// Whether `bytes` start like an HTML report of this tool (whole, or cut short).
#[must_use]
pub fn is_own_report(bytes: &[u8]) -> bool {
    bytes.starts_with(START.as_bytes())
}

/// The HTML report has no options.
#[derive(Debug, Clone, Copy)]
struct Html;

impl Render for Html {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        head(out)?;
        writeln!(out, "<body>")?;
        run(report, out)?;
        summary(report, out)?;
        subscriptions(report, out)?;
        unattributed(report, out)?;
        observations(report, out)?;
        skipped(report, out)?;
        writeln!(out, "<pre id=\"errors\" role=\"alert\"></pre>")?;
        writeln!(out, "<script>{SCRIPT}</script>")?;
        writeln!(out, "</body>\n</html>")
    }
}

fn head(out: &mut dyn Write) -> io::Result<()> {
    // Nothing may be loaded from anywhere: no fetch, image, font or frame; the only script
    // that runs is the one below, by its digest (an injected one would not).
    let digest = base64(&Sha256::digest(SCRIPT.as_bytes()));
    write!(
        out,
        "{START}{}\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'sha256-{digest}'; base-uri 'none'; \
         form-action 'none'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} report</title>\n<style>\n{STYLE}</style>\n</head>\n",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_NAME"),
    )
}

fn run(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let run = &report.run;
    writeln!(
        out,
        "<header>\n<h1>Microsoft Defender for Cloud settings: evidence report</h1>\n<dl class=\"run\">"
    )?;
    writeln!(
        out,
        "<dt>tool</dt><dd>{} {}</dd>",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(
        out,
        "<dt>generated_at</dt><dd>{}</dd>",
        Text(&run.generated_at)
    )?;
    write!(out, "<dt>command</dt><dd><code>")?;
    for (i, arg) in run.command_line.iter().enumerate() {
        let gap = if i == 0 { "" } else { " " };
        write!(out, "{gap}{}", Text(arg))?;
    }
    writeln!(out, "</code></dd>")?;
    write!(out, "<dt>roots</dt><dd>")?;
    for (i, root) in run.roots.iter().enumerate() {
        let gap = if i == 0 { "" } else { ", " };
        write!(out, "{gap}<code>{}</code>", Text(root))?;
    }
    writeln!(out, "</dd>")?;
    write!(out, "<dt>checks</dt><dd>")?;
    for (i, check) in report.checks.checks.iter().enumerate() {
        let gap = if i == 0 { "" } else { "<br>" };
        write!(out, "{gap}<code>{}</code>", Text(&check.id))?;
        if let Some(control) = report.checks.control_of(check) {
            write!(out, " (control {})", Text(control))?;
        }
        write!(out, ": {}", Text(&check.title))?;
    }
    writeln!(out, "</dd>")?;
    writeln!(
        out,
        "<dt>benchmark</dt><dd>{}</dd>",
        Text(
            report
                .checks
                .benchmark
                .as_deref()
                .unwrap_or("each check's newest")
        )
    )?;
    if let Some(access) = &run.access_times {
        writeln!(out, "<dt>access times</dt><dd>{}</dd>", Text(access))?;
    }
    if let Some(exceptions) = &report.exceptions {
        writeln!(
            out,
            "<dt>exceptions</dt><dd><code>{}</code> (sha256 <code>{}</code>): {} {}, {} \
             accepted, {} expired, {} not applied; {} {} accepted, not counted for the exit status</dd>",
            Text(&exceptions.register),
            Text(&exceptions.sha256),
            exceptions.rows,
            if exceptions.rows == 1 { "row" } else { "rows" },
            exceptions.accepted,
            exceptions.expired,
            exceptions.not_applied.len(),
            report.accepted_failures(),
            if report.accepted_failures() == 1 {
                "failure"
            } else {
                "failures"
            },
        )?;
    }
    for warning in &run.warnings {
        writeln!(out, "<dt>warning</dt><dd>{}</dd>", Text(warning))?;
    }
    writeln!(out, "</dl>\n</header>")
}

fn summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = Summary::of(report);
    writeln!(
        out,
        "<section id=\"summary\">\n<h2>Summary</h2>\n<p>{}</p>\n<div class=\"cards\">",
        Text(&s.line())
    )?;
    let scope = if s.out_of_scope.is_some() {
        "subscriptions in scope"
    } else {
        "subscriptions"
    };
    card(out, "", s.subscriptions, scope)?;
    for (verdict, n) in &s.verdicts {
        card(out, verdict.as_str(), *n, verdict.as_str())?;
    }
    card(out, "", s.flagged, "flagged for review")?;
    if let Some((outside, _)) = &s.out_of_scope {
        card(out, "", *outside, "out of scope")?;
    }
    card(out, "", s.files_read, "files read")?;
    card(out, "", s.files_skipped, "files skipped")?;
    card(out, "", s.duplicates, "duplicates")?;
    card(out, "", s.not_evidence, "not evidence")?;
    card(out, "", s.observations, "observations")?;
    card(out, "", s.unattributed, "unattributed")?;
    writeln!(out, "</div>")?;
    chart(report, out)?;
    writeln!(out, "</section>")
}

fn card(out: &mut dyn Write, class: &str, n: usize, label: &str) -> io::Result<()> {
    writeln!(
        out,
        "<div class=\"card {class}\"><b>{n}</b>{}</div>",
        Text(label)
    )
}

/// A bar per check: its verdicts (in scope), each part as wide as its count.
fn chart(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write!(out, "<h3>Verdicts per check</h3>\n<p class=\"legend\">")?;
    for verdict in Verdict::ALL {
        write!(
            out,
            "<span><i class=\"swatch v-{0}\"></i>{0}</span>",
            verdict.as_str()
        )?;
    }
    writeln!(
        out,
        "</p>\n<div class=\"chart\" role=\"img\" aria-label=\"verdicts per check\">"
    )?;
    for check in &report.checks.checks {
        let counts: Vec<(Verdict, usize)> = Verdict::ALL
            .iter()
            .map(|&v| {
                let n = report
                    .subscriptions
                    .iter()
                    .filter(|s| s.in_scope() && s.check.id == check.id && s.verdict == v)
                    .count();
                (v, n)
            })
            .collect();
        write!(out, "<code>{}</code><div class=\"bar\">", Text(&check.id))?;
        for (verdict, n) in counts.iter().filter(|(_, n)| *n > 0) {
            write!(
                out,
                "<span class=\"v-{0}\" style=\"flex:{n}\" title=\"{0}: {n}\"></span>",
                verdict.as_str()
            )?;
        }
        let words: Vec<String> = counts
            .iter()
            .map(|(v, n)| format!("{n} {}", v.as_str()))
            .collect();
        writeln!(
            out,
            "</div><span class=\"muted\">{}</span>",
            words.join(", ")
        )?;
    }
    writeln!(out, "</div>")
}

/// Standard base64 with padding, for the script's digest in the security policy.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let symbol =
        |index: u32| char::from(ALPHABET.get((index & 63) as usize).copied().unwrap_or(b'='));
    let mut encoded = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let mut group = [0u8; 3];
        for (slot, &b) in group.iter_mut().zip(chunk) {
            *slot = b;
        }
        let [a, b, c] = group;
        let n = (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c);
        encoded.push(symbol(n >> 18));
        encoded.push(symbol(n >> 12));
        encoded.push(if chunk.len() > 1 { symbol(n >> 6) } else { '=' });
        encoded.push(if chunk.len() > 2 { symbol(n) } else { '=' });
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_and_control_characters_are_escaped() {
        assert_eq!(
            Text("<img src=x onerror=alert(1)>.json").to_string(),
            "&lt;img src=x onerror=alert(1)&gt;.json"
        );
        assert_eq!(
            Text("a&b\"c'd\u{1b}[1m\n").to_string(),
            "a&amp;b&quot;c&#39;d\u{fffd}[1m\u{fffd}"
        );
        assert_eq!(Text("日本語").to_string(), "日本語");
        assert_eq!(
            Text("good-\u{202e}nosj.dab").to_string(),
            "good-\\u{202e}nosj.dab"
        );
        assert_eq!(
            Text("GET https://management.azure.com/x at 10:00").to_string(),
            "GET https&#58;//management.azure.com/x at 10:00"
        );
    }

    #[test]
    fn base64_pads_like_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn an_html_report_is_recognised_by_its_start_only() {
        let mut page = Vec::new();
        head(&mut page).unwrap();
        assert!(is_own_report(&page));
        assert!(is_own_report(page.get(..START.len()).unwrap()));
        assert!(!is_own_report(
            b"<!DOCTYPE html>\n<html><head><title>Azure</title>"
        ));
    }

    #[test]
    fn the_style_and_script_refer_to_nothing_outside_the_page() {
        for text in [STYLE, SCRIPT] {
            assert!(!text.contains("http:") && !text.contains("https:") && !text.contains("//cdn"));
            assert!(
                !text.contains("url(") && !text.contains("@import") && !text.contains("innerHTML")
            );
        }
    }
}
