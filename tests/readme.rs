//! The README and the pages of `docs/` keep their promises: the README stays short with a
//! table of contents that leads somewhere, every relative link of the README and the pages
//! reaches a file and a heading that exist, and the README's two quick-start commands do
//! what the README says (the scan is run; the test command is the one CI runs).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The README may grow a little past its 350 lines, no further.
const MAX_README_LINES: usize = 360;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines of a Markdown text outside fenced code blocks, numbered from 1.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            lines.push((i + 1, line));
        }
    }
    lines
}

/// GitHub's anchor of a heading: lower case, punctuation other than `-` and `_` dropped,
/// spaces made `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of every heading of a Markdown text; a heading repeated gets `-1`, `-2`.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if hashes == 0 || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..]);
        let mut anchor = base.clone();
        let mut n = 0;
        while anchors.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        anchors.insert(anchor);
    }
    anchors
}

/// The inline links of a Markdown text (`[text](target)`, images too) outside code, with
/// their line numbers.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut links = Vec::new();
    for (number, line) in prose_lines(text) {
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            let target = &after[..end];
            if !target.is_empty() && !target.contains(char::is_whitespace) {
                links.push((number, target.to_owned()));
            }
            rest = &after[end..];
        }
    }
    links
}

/// Every relative link of `file` that does not resolve: the file it names is missing, or
/// the heading its `#anchor` names is not in that file.
fn broken_links(file: &Path) -> Vec<String> {
    let text = read(file);
    let folder = file.parent().unwrap();
    let shown = file
        .strip_prefix(root())
        .unwrap_or(file)
        .display()
        .to_string();
    let mut broken = Vec::new();
    for (line, target) in links(&text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
        let linked = if path.is_empty() {
            file.to_path_buf()
        } else {
            folder.join(path)
        };
        if !linked.exists() {
            broken.push(format!("{shown}:{line}: {target}: no file {path}"));
            continue;
        }
        if anchor.is_empty() {
            continue;
        }
        if linked.extension().is_none_or(|e| e != "md") || !linked.is_file() {
            broken.push(format!(
                "{shown}:{line}: {target}: an anchor into a non-Markdown file"
            ));
            continue;
        }
        if !anchors(&read(&linked)).contains(anchor) {
            broken.push(format!(
                "{shown}:{line}: {target}: no heading #{anchor} in {}",
                linked.strip_prefix(root()).unwrap_or(&linked).display()
            ));
        }
    }
    broken
}

/// The lines of the section under the `## {title}` heading of the README, up to the next
/// `## ` heading.
fn section<'a>(readme: &'a str, title: &str) -> &'a str {
    let heading = format!("\n## {title}\n");
    let start = readme
        .find(&heading)
        .unwrap_or_else(|| panic!("README.md has no section {heading:?}"))
        + heading.len();
    let rest = &readme[start..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// The fenced blocks of a text in the given language, each as its lines.
fn fenced_blocks<'a>(text: &'a str, language: &str) -> Vec<Vec<&'a str>> {
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("```{language}") {
            blocks.push(lines.by_ref().take_while(|l| l.trim() != "```").collect());
        }
    }
    blocks
}

/// The quick-start set-up commands: the first `sh` block of the Quick start, without
/// its comments.
fn quick_start_commands(readme: &str) -> Vec<String> {
    let quick = section(readme, "Quick start");
    let block = fenced_blocks(quick, "sh")
        .into_iter()
        .next()
        .expect("the Quick start has no ```sh block of commands");
    block
        .iter()
        .map(|line| line.split(" #").next().unwrap_or(line).trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect()
}

/// The quick start's scan command and test command, in that order.
fn scan_and_test_commands(readme: &str) -> (String, String) {
    let commands = quick_start_commands(readme);
    assert_eq!(
        commands.len(),
        2,
        "the Quick start must open with the two set-up commands: {commands:?}"
    );
    let scan = commands
        .iter()
        .find(|c| c.starts_with("cargo run --release -- scan "))
        .unwrap_or_else(|| panic!("no `cargo run --release -- scan ...` in {commands:?}"));
    let test = commands
        .iter()
        .find(|c| c.starts_with("cargo test"))
        .unwrap_or_else(|| panic!("no `cargo test ...` in {commands:?}"));
    (scan.clone(), test.clone())
}

#[test]
fn the_readme_is_short_with_a_table_of_contents_that_leads_to_its_headings() {
    let readme = read(&root().join("README.md"));
    let lines = readme.lines().count();
    assert!(
        lines <= MAX_README_LINES,
        "README.md has {lines} lines, more than {MAX_README_LINES}: move reference text to docs/"
    );
    let contents = section(&readme, "Contents");
    let entries: Vec<String> = links(contents).into_iter().map(|(_, t)| t).collect();
    assert!(
        entries.len() >= 4,
        "the table of contents lists too little: {entries:?}"
    );
    let headings = anchors(&readme);
    for entry in &entries {
        let anchor = entry.strip_prefix('#').unwrap_or_else(|| {
            panic!("a table of contents entry leads out of the README: {entry}")
        });
        assert!(
            headings.contains(anchor),
            "the table of contents links {entry}, which is no heading of README.md: {headings:?}"
        );
    }
    // Every section of the README is in its table of contents.
    let listed: BTreeSet<&str> = entries.iter().map(|e| &e[1..]).collect();
    for (_, line) in prose_lines(&readme) {
        if let Some(title) = line.strip_prefix("## ") {
            let anchor = slug(title);
            assert!(
                anchor == "contents" || listed.contains(anchor.as_str()),
                "the section {title:?} is missing from the README's table of contents"
            );
        }
    }
}

#[test]
fn every_relative_link_of_the_readme_and_the_docs_resolves() {
    let mut files = vec![root().join("README.md")];
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    assert!(pages.len() > 5, "docs/ holds too few pages: {pages:?}");
    files.extend(pages.iter().cloned());
    let broken: Vec<String> = files.iter().flat_map(|f| broken_links(f)).collect();
    assert!(
        broken.is_empty(),
        "links that lead nowhere:\n{}",
        broken.join("\n")
    );
    // Every page of docs/ is reachable from the README.
    let readme = read(&root().join("README.md"));
    for page in &pages {
        let name = page.file_name().unwrap().to_string_lossy();
        assert!(
            readme.contains(&format!("(docs/{name})"))
                || readme.contains(&format!("(docs/{name}#")),
            "docs/{name} is not linked from the README"
        );
    }
}

#[test]
fn the_anchor_rule_is_githubs() {
    assert_eq!(
        slug("JSON (`--format json`, or `-o FILE.json`)"),
        "json---format-json-or--o-filejson"
    );
    assert_eq!(
        slug("2. Where the subscription id comes from"),
        "2-where-the-subscription-id-comes-from"
    );
    assert_eq!(
        slug("For auditors: a walkthrough"),
        "for-auditors-a-walkthrough"
    );
    let text = "# A\n```\n# not a heading\n```\n## A\n[x](#a-1) [y](b.md#c)\n";
    assert_eq!(
        anchors(text),
        BTreeSet::from(["a".to_owned(), "a-1".to_owned()])
    );
    assert_eq!(
        links(text),
        vec![(6, "#a-1".to_owned()), (6, "b.md#c".to_owned())]
    );
}

#[test]
fn the_readme_test_command_is_the_one_ci_runs() {
    let readme = read(&root().join("README.md"));
    let (_, test) = scan_and_test_commands(&readme);
    assert_eq!(
        test, "cargo test --locked",
        "the README's test command changed: check .ci/run and docs/tests.md"
    );
    let ci = read(&root().join(".ci/run"));
    assert!(
        ci.lines().any(|line| line.trim() == test),
        ".ci/run does not run the README's test command {test:?}"
    );
    let tests_page = read(&root().join("docs/tests.md"));
    assert!(
        fenced_blocks(&tests_page, "sh")
            .first()
            .is_some_and(|block| block.iter().any(|line| line.trim() == test)),
        "docs/tests.md does not open with the README's test command {test:?}"
    );
}

#[test]
fn the_readme_quick_start_scan_gives_the_exit_code_and_output_it_shows() {
    let readme = read(&root().join("README.md"));
    let (scan, _) = scan_and_test_commands(&readme);
    let args: Vec<&str> = scan
        .strip_prefix("cargo run --release -- ")
        .unwrap()
        .split_whitespace()
        .collect();
    let quick = section(&readme, "Quick start");

    // What the README says: "its exit code is N", and the output of `$ <command>`.
    let prose = quick.split_whitespace().collect::<Vec<_>>().join(" ");
    let said = prose
        .split("its exit code is ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|code| code.parse::<i32>().ok())
        .expect("the Quick start does not say \"its exit code is N\"");
    let shown = fenced_blocks(quick, "text")
        .into_iter()
        .find(|block| block.first() == Some(&format!("$ {scan}").as_str()))
        .unwrap_or_else(|| panic!("the Quick start shows no output of `$ {scan}`"));
    let summary = shown
        .iter()
        .find(|line| line.starts_with("mdc-evidence: "))
        .expect("the Quick start's output shows no summary line");

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mdc-evidence"))
        .args(&args)
        .current_dir(root())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        output.status.code(),
        Some(said),
        "`{scan}` exits otherwise than the README says\n{stderr}"
    );
    assert_eq!(
        stderr.lines().last(),
        Some(*summary),
        "`{scan}` prints another summary line than the README shows"
    );
    // The rows shown are rows of the report (a row ending with `...` is shown cut short).
    let rows: Vec<&str> = stdout.lines().collect();
    let csv = &shown[1..shown.len() - 1];
    assert_eq!(csv.first(), rows.first(), "the CSV header the README shows");
    for line in csv.iter().filter(|l| **l != "...") {
        let found = match line.strip_suffix("...") {
            Some(start) => rows.iter().any(|row| row.starts_with(start)),
            None => rows.contains(line),
        };
        assert!(
            found,
            "the README shows a row `{scan}` does not give:\n{line}"
        );
    }
}
