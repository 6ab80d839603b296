//! The architecture, checked: dependencies between the source files point one way.
//!
//! Reads every file under `src/` and draws an edge from a file to each module it names by a
//! path (`crate::a::B`, `use crate::{a, b::C}`, `super::x`, `self::y`), as
//! `ARCHITECTURE.md` describes. A module's own parts (`mod x;` and plain `x::` paths in its
//! file) are not edges: a parent may use its parts and the parts their parent. Fails on
//! * any loop between files (two files that depend on each other, however indirectly);
//! * any edge from a module to a module of a higher layer (below, bottom first), outside
//!   unit tests (`#[cfg(test)]`, which may build their input with any module, as a
//!   dev-dependency may; they still count for loops);
//! * a top-level module no layer lists, or a file over [`MAX_LINES`] lines;
//!
//! naming the file, line and path of each offending use.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code reading this crate's own sources: a failure is a panic with its message"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers of the crate, bottom first: a module may use modules of its own layer and of
/// the layers below, never above. Keep in step with `ARCHITECTURE.md`.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "vocabulary",
        &["vocabulary", "error", "escape", "subscription"],
    ),
    ("discovery", &["discover"]),
    ("reading", &["read"]),
    ("decoding", &["decode"]),
    ("shapes", &["formats", "causes"]),
    ("attribution", &["attribute", "inventory"]),
    ("queries", &["query"]),
    ("checks", &["checks"]),
    ("decision", &["evaluate"]),
    ("exceptions register", &["register"]),
    ("roll-up", &["rollup"]),
    ("exceptions", &["exceptions"]),
    ("the run's aggregate", &["model"]),
    ("reports", &["report", "saved"]),
    ("comparison", &["diff"]),
    ("own outputs", &["own_reports"]),
    ("configuration", &["config"]),
    ("pipeline", &["scan"]),
    ("for people", &["progress", "explain"]),
    ("verification", &["verify"]),
    ("command line", &["cli"]),
];

/// No source file is longer: past this, a reader cannot hold it.
const MAX_LINES: usize = 650;

/// A module path: `["formats", "json"]` for `src/formats/json/mod.rs`.
type Module = Vec<String>;

/// One use of a path into another module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Use {
    line: usize,
    path: String,
    target: Module,
    /// In code compiled for unit tests only (`#[cfg(test)]`).
    in_test: bool,
}

/// The source files: module path to (file, text).
fn sources(src: &Path) -> BTreeMap<Module, (PathBuf, String)> {
    let mut out = BTreeMap::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries =
            std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap().with_extension("");
            let mut module: Module = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|m| m == "mod") {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Shown as from the crate's root: `src/read.rs`.
            let shown = src
                .parent()
                .map_or(path.as_path(), |root| path.strip_prefix(root).unwrap());
            out.insert(module, (shown.to_path_buf(), text));
        }
    }
    out
}

/// `text` with comments, string and character literals blanked (line breaks kept), so that
/// only code is searched and every offset keeps its line.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for b in &mut out[from..to] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"//") {
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |n| i + n);
            blank(&mut out, i, end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let (mut depth, mut j) = (1, i + 2);
            while j < bytes.len() && depth > 0 {
                if bytes[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if bytes[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if (rest.starts_with(b"r\"") || rest.starts_with(b"r#") || rest.starts_with(b"br"))
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'))
        {
            // A raw string: r"..." or r#"..."#, as many # as opened it.
            let start = i + usize::from(rest[0] == b'b') + 1;
            let hashes = bytes[start..].iter().take_while(|&&b| b == b'#').count();
            if bytes.get(start + hashes) != Some(&b'"') {
                i += 1;
                continue;
            }
            let mut closing = vec![b'"'];
            closing.extend(std::iter::repeat_n(b'#', hashes));
            let body = start + hashes + 1;
            let end = bytes[body..]
                .windows(closing.len())
                .position(|w| w == closing.as_slice())
                .map_or(bytes.len(), |n| body + n + closing.len());
            blank(&mut out, i, end);
            i = end;
        } else if rest[0] == b'"' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(bytes.len());
            blank(&mut out, i, end);
            i = end;
        } else if rest[0] == b'\'' {
            // A character literal ('x', '\'', '\u{1F}'), not a lifetime ('a).
            let close = if rest.get(1) == Some(&b'\\') {
                rest.iter().skip(2).position(|&b| b == b'\'').map(|n| n + 2)
            } else {
                let width = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                (rest.get(1 + width) == Some(&b'\'')).then_some(1 + width)
            };
            match close {
                Some(n) => {
                    blank(&mut out, i, i + n + 1);
                    i += n + 1;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// `a::{b, c::{d, e}}` -> `[a::b, a::c::d, a::c::e]`.
fn expand(prefix: &str, body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut current) = (0, String::new());
    for c in body.chars().chain([',']) {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            let item = current.trim().to_owned();
            current.clear();
            if item.is_empty() {
                continue;
            }
            let item = item
                .split(" as ")
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
            if let Some(open) = item.find("::{") {
                let inner = &item[open + 3..item.len() - 1];
                out.extend(expand(&format!("{prefix}{}::", &item[..open]), inner));
            } else if item == "self" {
                out.push(prefix.trim_end_matches("::").to_owned());
            } else {
                out.push(format!("{prefix}{item}"));
            }
        } else {
            current.push(c);
        }
    }
    out
}

/// The byte ranges of `code` compiled for unit tests only: each item after `#[cfg(test)]`
/// to its closing brace.
fn test_ranges(code: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find("#[cfg(test)]") {
        let start = from + found;
        let Some(open) = code[start..].find('{').map(|n| start + n) else {
            break;
        };
        let mut depth = 0;
        let mut end = code.len();
        for (n, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = open + n;
                break;
            }
        }
        out.push((start, end));
        from = end;
    }
    out
}

/// Every path of `code` that starts at `crate`, `super` or `self`, with its offset and line.
fn paths(code: &str) -> Vec<(usize, usize, String)> {
    let line_of = |offset: usize| code[..offset].bytes().filter(|&b| b == b'\n').count() + 1;
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        let head = ["crate::", "super::", "self::"]
            .into_iter()
            .find(|h| starts_word && code[i..].starts_with(h));
        let Some(head) = head else {
            i += 1;
            continue;
        };
        let start = i;
        let mut j = i + head.len();
        let mut path = head.to_owned();
        loop {
            let word: String = code[j..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !word.is_empty() {
                path.push_str(&word);
                j += word.len();
                if code[j..].starts_with("::") {
                    path.push_str("::");
                    j += 2;
                    continue;
                }
                break;
            }
            if code[j..].starts_with('{') {
                // A group: find its closing brace.
                let mut depth = 0;
                let mut k = j;
                for (n, c) in code[j..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        k = j + n;
                        break;
                    }
                }
                let line = line_of(start);
                for item in expand(&path, &code[j + 1..k]) {
                    out.push((start, line, item));
                }
                j = k + 1;
                path.clear();
            }
            break;
        }
        if !path.is_empty() {
            out.push((
                start,
                line_of(start),
                path.trim_end_matches("::").to_owned(),
            ));
        }
        i = j.max(i + 1);
    }
    out
}

/// What `crate::...` names the crate root re-exports (`pub use crate::config::Config;` in
/// `lib.rs`): `Config` -> `config::Config`.
fn reexports(lib: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (_, _, path) in paths(&code_only(lib)) {
        let Some(rest) = path.strip_prefix("crate::") else {
            continue;
        };
        let parts: Vec<String> = rest.split("::").map(str::to_owned).collect();
        if let Some(last) = parts.last() {
            out.insert(last.clone(), parts);
        }
    }
    out
}

/// The module a path reaches: the deepest module of the crate it names.
fn resolve(
    path: &[String],
    modules: &BTreeSet<Module>,
    root: &BTreeMap<String, Vec<String>>,
) -> Option<Module> {
    if let Some(first) = path.first()
        && !modules.iter().any(|m| m.first() == Some(first))
        && let Some(full) = root.get(first)
    {
        return resolve(full, modules, root);
    }
    (1..=path.len())
        .rev()
        .map(|k| path[..k].to_vec())
        .find(|m| modules.contains(m))
}

/// Every file's uses of other modules.
fn uses(files: &BTreeMap<Module, (PathBuf, String)>) -> BTreeMap<Module, Vec<Use>> {
    let modules: BTreeSet<Module> = files.keys().filter(|m| !is_root(m)).cloned().collect();
    let root = files
        .get(&vec!["lib".to_owned()])
        .map(|(_, text)| reexports(text))
        .unwrap_or_default();
    let mut out = BTreeMap::new();
    for (module, (_, text)) in files.iter().filter(|(m, _)| !is_root(m)) {
        let mut found = Vec::new();
        let code = code_only(text);
        let tests = test_ranges(&code);
        for (offset, line, path) in paths(&code) {
            let in_test = tests.iter().any(|&(from, to)| (from..to).contains(&offset));
            let mut parts: Vec<String> = path.split("::").map(str::to_owned).collect();
            let full = match parts.first().map(String::as_str) {
                Some("crate") => parts.split_off(1),
                Some("self") => [module.clone(), parts.split_off(1)].concat(),
                _ => {
                    let mut base = module.clone();
                    while parts.first().is_some_and(|p| p == "super") {
                        base.pop();
                        parts.remove(0);
                    }
                    [base, parts].concat()
                }
            };
            if let Some(target) = resolve(&full, &modules, &root)
                && target != *module
            {
                found.push(Use {
                    line,
                    path,
                    target,
                    in_test,
                });
            }
        }
        found.sort();
        found.dedup();
        out.insert(module.clone(), found);
    }
    out
}

fn is_root(module: &Module) -> bool {
    matches!(module.as_slice(), [m] if m == "lib" || m == "main")
}

/// The loops of the graph: each strongly connected set of two or more modules.
fn loops(graph: &BTreeMap<Module, Vec<Use>>) -> Vec<Vec<Module>> {
    // Kosaraju: order by finishing time, then collect on the reversed graph.
    let next = |m: &Module| -> BTreeSet<Module> {
        graph
            .get(m)
            .map(|u| u.iter().map(|u| u.target.clone()).collect())
            .unwrap_or_default()
    };
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    for start in graph.keys() {
        if seen.contains(start) {
            continue;
        }
        let mut stack = vec![(start.clone(), next(start).into_iter().collect::<Vec<_>>())];
        seen.insert(start.clone());
        while let Some((node, mut pending)) = stack.pop() {
            if let Some(child) = pending.pop() {
                stack.push((node, pending));
                if seen.insert(child.clone()) {
                    let children = next(&child).into_iter().collect();
                    stack.push((child, children));
                }
            } else {
                order.push(node);
            }
        }
    }
    let mut reversed: BTreeMap<Module, Vec<Module>> = BTreeMap::new();
    for (from, found) in graph {
        for u in found {
            reversed
                .entry(u.target.clone())
                .or_default()
                .push(from.clone());
        }
    }
    let mut assigned = BTreeSet::new();
    let mut out = Vec::new();
    for start in order.into_iter().rev() {
        if !assigned.insert(start.clone()) {
            continue;
        }
        let mut component = vec![start.clone()];
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            for from in reversed.get(&node).into_iter().flatten() {
                if assigned.insert(from.clone()) {
                    component.push(from.clone());
                    stack.push(from.clone());
                }
            }
        }
        if component.len() > 1 {
            component.sort();
            out.push(component);
        }
    }
    out.sort();
    out
}

/// The layer of a top-level module, if one lists it.
fn layer_of(top: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, members)| members.contains(&top))
}

/// Every broken rule, as a line a reader can act on.
fn problems(files: &BTreeMap<Module, (PathBuf, String)>) -> Vec<String> {
    let graph = uses(files);
    let file = |m: &Module| files[m].0.display().to_string();
    let mut out = Vec::new();
    for component in loops(&graph) {
        let members: BTreeSet<&Module> = component.iter().collect();
        let names: Vec<String> = component.iter().map(file).collect();
        out.push(format!(
            "a loop of {} files: {}",
            component.len(),
            names.join(", ")
        ));
        for module in &component {
            for u in graph[module].iter().filter(|u| members.contains(&u.target)) {
                out.push(format!("  {}:{}: {}", file(module), u.line, u.path));
            }
        }
    }
    for (module, found) in &graph {
        let top = &module[0];
        let Some(own) = layer_of(top) else {
            out.push(format!(
                "{}: the module `{top}` is in no layer: add it to LAYERS here and to ARCHITECTURE.md",
                file(module)
            ));
            continue;
        };
        // Unit tests may build their input with any module (as a dev-dependency may): they
        // count for loops, not for layers.
        for u in found.iter().filter(|u| !u.in_test) {
            let Some(theirs) = layer_of(&u.target[0]) else {
                continue;
            };
            if theirs > own {
                out.push(format!(
                    "{}:{}: {} reaches up from {} (layer {}) to {} (layer {})",
                    file(module),
                    u.line,
                    u.path,
                    top,
                    LAYERS[own].0,
                    u.target[0],
                    LAYERS[theirs].0
                ));
            }
        }
    }
    out
}

#[test]
fn dependencies_point_down_and_never_loop() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = problems(&sources(&src));
    assert!(
        problems.is_empty(),
        "the architecture is broken (see ARCHITECTURE.md):\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_source_file_is_one_a_reader_can_hold() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let long: Vec<String> = sources(&src)
        .values()
        .filter(|(_, text)| text.lines().count() > MAX_LINES)
        .map(|(path, text)| format!("{} ({} lines)", path.display(), text.lines().count()))
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines: split them by responsibility: {long:?}"
    );
}

/// A made-up crate of the given files, for the checker's own tests.
fn crate_of(files: &[(&str, &str)]) -> BTreeMap<Module, (PathBuf, String)> {
    files
        .iter()
        .map(|(module, text)| {
            let module: Module = module.split("::").map(str::to_owned).collect();
            (
                module.clone(),
                (PathBuf::from(module.join("/")), (*text).to_owned()),
            )
        })
        .collect()
}

#[test]
fn the_checker_names_an_upward_use_with_its_line() {
    let files = crate_of(&[
        ("error", "pub enum Error {}\n"),
        (
            "discover",
            "use crate::error::Error;\n\nuse crate::rollup::Verdict;\n\n#[cfg(test)]\nmod tests {\n    use crate::rollup::Verdict;\n}\n",
        ),
        ("rollup", "pub struct Verdict;\n"),
    ]);
    assert_eq!(
        problems(&files),
        [
            "discover:3: crate::rollup::Verdict reaches up from discover (layer discovery) to rollup (layer roll-up)"
        ]
    );
}

#[test]
fn the_checker_finds_a_loop_through_groups_super_and_the_crate_roots_reexports() {
    let files = crate_of(&[
        ("lib", "pub use crate::formats::Format;\n"),
        (
            "formats",
            "pub struct Format;\nfn f() { crate::formats::json::parse(); }\n",
        ),
        (
            "formats::json",
            "use super::{Format, reason::{self, Why}};\n",
        ),
        (
            "formats::reason",
            "// crate::formats::json is named in a comment only\nuse crate::{Format as F};\nconst S: &str = \"crate::formats::json\";\nfn g() { let c = '\"'; crate::formats::json::x(); }\n",
        ),
    ]);
    let found = problems(&files);
    assert_eq!(
        found.first().map(String::as_str),
        Some("a loop of 3 files: formats, formats/json, formats/reason")
    );
    assert!(
        found.contains(&"  formats/reason:4: crate::formats::json::x".to_owned()),
        "{found:#?}"
    );
    assert!(
        !found
            .iter()
            .any(|p| p.contains("reason:1:") || p.contains("reason:3:")),
        "{found:#?}"
    );
}

#[test]
fn the_checker_wants_every_module_in_a_layer() {
    let files = crate_of(&[("newcomer", "pub fn f() {}\n")]);
    assert_eq!(problems(&files).len(), 1);
}
