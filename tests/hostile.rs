//! Hostile input: one adversarial evidence tree (FIFO, socket, device node, symlink loop
//! and escapes, a 2 GB sparse file, files at and just over `--max-file-size`, JSON nested
//! 200,000 deep, 10 MB arrays and strings, undecodable bytes, file names with control
//! characters, spreadsheet formulas and non-UTF-8 bytes, unreadable entries, a file
//! rewritten while it is read, earlier reports and a leftover temporary file) scanned by
//! the real binary. Every entry is checked in the manifest; the whole run must not panic,
//! hang, print raw control characters, write a CSV cell a spreadsheet would run, or need
//! more than a fixed amount of memory.
//!
//! Each test collects every failed check and reports them all at the end, each naming
//! the entry it concerns. Checks that need root (device node, unreadable entries seen by
//! an unprivileged user through `setpriv`), `prlimit` or `LibreOffice` (`soffice`) are
//! skipped with a printed note where the machine lacks them; set
//! `MDC_REQUIRE_LIBREOFFICE=1` to make a missing `soffice` a failure, and
//! `MDC_HOSTILE_DUMP=1` to print every manifest line.
//!
//! Unix only: the tree is made of FIFOs, sockets, device nodes, symlinks, modes and
//! non-UTF-8 byte names, which Windows does not have. Windows' own risks (long paths,
//! names that are not valid UTF-16, case-only duplicates, files locked by another
//! process, read-only and hidden files) are tested in tests/windows.rs.

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use common::{EPOCH, settings_list};

/// The SHA-256 of no bytes.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// `--max-file-size 1MiB` in bytes.
const MIB: u64 = 1_048_576;
/// The default `--max-file-size` (64 MiB).
const DEFAULT_LIMIT: u64 = 64 * MIB;
/// The address-space cap of the memory test: 1.5 GiB.
const ADDRESS_SPACE_CAP: u64 = 1_610_612_736;
/// The unprivileged user and group the binary runs as when the machine allows it.
const NOBODY: u32 = 65534;
/// How long one run may take before the suite calls it a hang (the binary's timeout is
/// 120 s; a run that reads the 2 GB sparse file or blocks on the FIFO exceeds this).
const SLOW: Duration = Duration::from_secs(90);

/// Subscriptions named by the hostile entries (each its own, so verdicts can be checked).
const G_NEWLINE: &str = "0a1b2c3d-0001-4a00-8000-000000000001";
const G_TAB: &str = "0a1b2c3d-0002-4a00-8000-000000000002";
const G_ESC: &str = "0a1b2c3d-0003-4a00-8000-000000000003";
const G_DASH: &str = "0a1b2c3d-0004-4a00-8000-000000000004";
const G_EQUALS: &str = "0a1b2c3d-0005-4a00-8000-000000000005";
const G_DDE: &str = "0a1b2c3d-0006-4a00-8000-000000000006";
const G_BYTE_FF: &str = "0a1b2c3d-0007-4a00-8000-000000000007";
const G_TEXT_FF: &str = "0a1b2c3d-0008-4a00-8000-000000000008";
const G_PLUS: &str = "0a1b2c3d-0009-4a00-8000-000000000009";
const G_AT: &str = "0a1b2c3d-000a-4a00-8000-00000000000a";
const G_COMMA: &str = "0a1b2c3d-000b-4a00-8000-00000000000b";
const G_FOLDER: &str = "0a1b2c3d-000c-4a00-8000-00000000000c";
const G_EXACT: &str = "0a1b2c3d-000d-4a00-8000-00000000000d";
/// Its only evidence is larger than `--max-file-size` in the 1 MiB run.
const G_PADDED: &str = "0a1b2c3d-000e-4a00-8000-00000000000e";
/// Its only evidence is unreadable (mode 000) to the unprivileged user.
const G_UNREADABLE: &str = "0a1b2c3d-000f-4a00-8000-00000000000f";
/// The subscription of the earlier report's own input.
const G_OLD: &str = "0a1b2c3d-0010-4a00-8000-000000000010";

/// What the manifest must say about one entry.
#[derive(Clone, Debug)]
enum Expect {
    /// `status: skipped`, this `kind`, and a reason holding every fragment.
    Skipped {
        kind: &'static str,
        fragments: &'static [&'static str],
    },
    /// `status: evaluated`, `kind: file`; with `outcomes`, exactly one observation with
    /// one of them (empty: any outcome, any number of observations).
    Evaluated { outcomes: &'static [&'static str] },
    /// `status: evaluated`, `kind: file`, no observation, and a reason saying the file is
    /// not evidence (text in no evidence shape that names no subscription).
    NotEvidence,
    /// The file rewritten during the scan: skipped as changed, or evaluated with the
    /// SHA-256 of a state the file held at one instant: a content the writer produced, or
    /// the start of one (between the writer's truncate and the end of its write, a writer
    /// paused mid-write leaves the file so on disk). Never a mix of two contents.
    Rewritten,
}

/// One entry of the hostile tree.
struct Entry {
    /// What the messages call it.
    label: &'static str,
    /// Its path below the tree root, as bytes.
    rel: Vec<u8>,
    /// Its size when it is a regular file the scan may read.
    size: Option<u64>,
    /// What the manifest must say with the default `--max-file-size`.
    expect: Expect,
}

impl Entry {
    /// What the manifest must say when files over `limit` bytes are skipped.
    fn expect(&self, limit: u64) -> Expect {
        match (&self.expect, self.size) {
            (Expect::Evaluated { .. } | Expect::NotEvidence | Expect::Rewritten, Some(size))
                if size > limit =>
            {
                Expect::Skipped {
                    kind: "file",
                    fragments: &["larger than --max-file-size"],
                }
            }
            (expect, _) => expect.clone(),
        }
    }

    /// The spellings the report may give its path: `tree/` then the name with bytes that
    /// are not UTF-8 as `\xNN` and a backslash as two; also accepted: control characters
    /// written `\xNN` as well.
    fn shown(&self) -> Vec<String> {
        let plain = format!("tree/{}", escape(&self.rel, false));
        let escaped = format!("tree/{}", escape(&self.rel, true));
        if plain == escaped {
            vec![plain]
        } else {
            vec![plain, escaped]
        }
    }
}

/// A file name as the report writes it: non-UTF-8 bytes as `\xNN`, `\` as `\\`, and
/// (with `controls`) control characters as `\xNN`.
fn escape(bytes: &[u8], controls: bool) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else if controls && c.is_control() {
                write!(out, "\\x{:02X}", u32::from(c)).unwrap();
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            write!(out, "\\x{b:02X}").unwrap();
        }
    }
    out
}

/// The failed checks of one test, reported together at its end.
#[derive(Default)]
struct Checks {
    failures: Vec<String>,
    passed: usize,
}

impl Checks {
    fn check(&mut self, ok: bool, message: impl FnOnce() -> String) {
        if ok {
            self.passed += 1;
        } else {
            self.failures.push(message());
        }
    }

    fn finish(self, test: &str) {
        eprintln!(
            "{test}: {} checks passed, {} failed",
            self.passed,
            self.failures.len()
        );
        assert!(
            self.failures.is_empty(),
            "{test}: {} of {} checks failed:\n- {}",
            self.failures.len(),
            self.failures.len() + self.passed,
            self.failures.join("\n- ")
        );
    }
}

/// One run of the binary.
struct Run {
    what: String,
    code: Option<i32>,
    /// The signal that ended it, if any (SIGABRT = 6 after a failed allocation).
    signal: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    elapsed: Duration,
}

impl Run {
    fn json(&self, checks: &mut Checks) -> Option<Value> {
        match serde_json::from_slice::<Value>(&self.stdout) {
            Ok(v) => Some(v),
            Err(e) => {
                checks.check(false, || {
                    format!(
                        "{}: standard output is not valid JSON ({e}); it starts {:?}",
                        self.what,
                        String::from_utf8_lossy(&self.stdout[..self.stdout.len().min(300)])
                    )
                });
                None
            }
        }
    }
}

/// The contents the background writer alternates between, and their SHA-256.
struct Rewrite {
    contents: [Arc<Vec<u8>>; 2],
    sha256: [String; 2],
}

/// A background thread rewriting one file until stopped.
struct Rewriter {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<u64>,
}

impl Rewriter {
    fn start(path: PathBuf, rewrite: &Rewrite) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let contents = rewrite.contents.clone();
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let mut writes = 0;
            'outer: loop {
                for content in [&contents[1], &contents[0]] {
                    if flag.load(Ordering::Relaxed) {
                        break 'outer;
                    }
                    let mut file = std::fs::OpenOptions::new()
                        .write(true)
                        .truncate(true)
                        .open(&path)
                        .unwrap();
                    file.write_all(content).unwrap();
                    writes += 1;
                }
            }
            writes
        });
        Self { stop, handle }
    }

    /// Stops the writer; returns how many times it rewrote the file.
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap()
    }
}

/// The hostile tree, in a folder of `/tmp` the unprivileged user can traverse.
struct Tree {
    base: TempDir,
    entries: Vec<Entry>,
    /// Runs go through `setpriv` as uid/gid 65534, with the binary copied here.
    nobody: Option<PathBuf>,
    rewrite: Rewrite,
    /// Kept open so the socket stays a socket.
    _socket: std::os::unix::net::UnixListener,
}

/// Whether the binary can be run as an unprivileged user: this process is root and
/// `setpriv` works.
fn can_drop_privileges() -> Result<(), String> {
    let uid = std::fs::metadata("/proc/self").map_err(|e| format!("/proc/self: {e}"))?;
    if uid.uid() != 0 {
        return Err(format!("not root (uid {})", uid.uid()));
    }
    match std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .status()
    {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("setpriv failed: {s}")),
        Err(e) => Err(format!("setpriv missing: {e}")),
    }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Creates `path` (folders 0755) holding `bytes`, mode 0644.
fn put(path: &Path, bytes: &[u8]) {
    let parent = path.parent().unwrap();
    std::fs::create_dir_all(parent).unwrap();
    chmod(parent, 0o755);
    std::fs::write(path, bytes).unwrap();
    chmod(path, 0o644);
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            write!(s, "{b:02x}").unwrap();
            s
        })
}

fn run_ok(program: &str, args: &[&OsStr]) -> Result<(), String> {
    match std::process::Command::new(program).args(args).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "{program} failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("{program}: {e}")),
    }
}

/// File names that attack terminals, CSV readers and path escaping, each with real
/// evidence: (label, name, contents, subscription, outcome).
fn hostile_names() -> Vec<(&'static str, Vec<u8>, String, &'static str, &'static str)> {
    // Each `true` file ends in a different number of newlines so none is a duplicate.
    let scalar = |n: usize| format!("true{}", "\n".repeat(n));
    vec![
        (
            "name with a newline",
            format!("new\nline-{G_NEWLINE}.txt").into_bytes(),
            scalar(1),
            G_NEWLINE,
            "enabled",
        ),
        (
            "name with a tab",
            format!("tab\there-{G_TAB}.txt").into_bytes(),
            scalar(2),
            G_TAB,
            "enabled",
        ),
        (
            "name with ESC[31m",
            format!("\x1b[31mred-{G_ESC}.txt").into_bytes(),
            scalar(3),
            G_ESC,
            "enabled",
        ),
        (
            "name with a leading -",
            format!("-dash-{G_DASH}.txt").into_bytes(),
            scalar(4),
            G_DASH,
            "enabled",
        ),
        (
            "name with a leading =",
            format!("=1+1-{G_EQUALS}.txt").into_bytes(),
            scalar(5),
            G_EQUALS,
            "enabled",
        ),
        (
            "name with a leading +",
            format!("+1+1-{G_PLUS}.txt").into_bytes(),
            scalar(6),
            G_PLUS,
            "enabled",
        ),
        (
            "name with a leading @",
            format!("@SUM(1)-{G_AT}.txt").into_bytes(),
            scalar(7),
            G_AT,
            "enabled",
        ),
        (
            "name with ,=formula, inside",
            format!(",=2+3,-{G_COMMA}.txt").into_bytes(),
            scalar(8),
            G_COMMA,
            "enabled",
        ),
        (
            "DDE name ;=cmd|' \\C calc'!A0;.txt",
            b";=cmd|' \\C calc'!A0;.txt".to_vec(),
            settings_list(G_DDE, "true"),
            G_DDE,
            "enabled",
        ),
        (
            "name with byte 0xFF",
            b"bad\xFF.json".to_vec(),
            settings_list(G_BYTE_FF, "true"),
            G_BYTE_FF,
            "enabled",
        ),
        (
            "name with the text \\xFF",
            b"bad\\xFF.json".to_vec(),
            settings_list(G_TEXT_FF, "false"),
            G_TEXT_FF,
            "disabled",
        ),
    ]
}

impl Tree {
    fn root(&self) -> PathBuf {
        self.base.path().join("tree")
    }

    fn names_dir(&self) -> PathBuf {
        self.root().join("names")
    }

    #[allow(clippy::too_many_lines, reason = "one place lists every hostile entry")]
    fn build() -> Self {
        let base = tempfile::Builder::new()
            .prefix("mdc-hostile-")
            .tempdir_in("/tmp")
            .unwrap();
        chmod(base.path(), 0o755);
        let root = base.path().join("tree");
        std::fs::create_dir(&root).unwrap();
        chmod(&root, 0o755);
        let mut entries = Vec::new();
        let mut notes = Vec::new();
        let mut entry = |label, rel: &[u8], size, expect| {
            entries.push(Entry {
                label,
                rel: rel.to_vec(),
                size,
                expect,
            });
        };
        let not_regular = |kind| Expect::Skipped {
            kind,
            fragments: &["not a regular file"],
        };
        let link = Expect::Skipped {
            kind: "symlink",
            fragments: &["symbolic link not followed"],
        };
        let bad = Expect::Evaluated {
            outcomes: &["malformed", "unrecognized"],
        };
        let malformed = Expect::Evaluated {
            outcomes: &["malformed"],
        };
        let any = Expect::Evaluated { outcomes: &[] };

        // Entries that are not regular files.
        run_ok("mkfifo", &[root.join("fifo").as_os_str()]).unwrap();
        entry("FIFO", b"fifo", None, not_regular("fifo"));
        let socket = std::os::unix::net::UnixListener::bind(root.join("socket")).unwrap();
        entry("socket", b"socket", None, not_regular("socket"));
        match run_ok(
            "mknod",
            &[
                root.join("dev").as_os_str(),
                OsStr::new("c"),
                OsStr::new("1"),
                OsStr::new("3"),
            ],
        ) {
            Ok(()) => entry("device node", b"dev", None, not_regular("char_device")),
            Err(e) => notes.push(format!("device node not created: {e}")),
        }
        std::os::unix::fs::symlink("loop", root.join("loop")).unwrap();
        entry("symlink loop", b"loop", None, link.clone());
        std::os::unix::fs::symlink("/etc/hostname", root.join("escape")).unwrap();
        entry("symlink escaping the root", b"escape", None, link.clone());
        std::os::unix::fs::symlink("/dev/zero", root.join("zero")).unwrap();
        entry("symlink to /dev/zero", b"zero", None, link);

        // Sizes.
        let sparse = std::fs::File::create(root.join("sparse.json")).unwrap();
        sparse.set_len(2 << 30).unwrap();
        chmod(&root.join("sparse.json"), 0o644);
        entry(
            "2 GB sparse file",
            b"sparse.json",
            None,
            Expect::Skipped {
                kind: "file",
                fragments: &["larger than --max-file-size"],
            },
        );
        let exact_name = format!("exact-{G_EXACT}.txt");
        let mut exact = b"true".to_vec();
        exact.resize(usize::try_from(MIB).unwrap(), b'\n');
        put(&root.join(&exact_name), &exact);
        entry(
            "file of exactly 1 MiB",
            exact_name.as_bytes(),
            Some(MIB),
            Expect::Evaluated {
                outcomes: &["enabled"],
            },
        );
        let over: Vec<u8> = b"not evidence\n"
            .iter()
            .copied()
            .cycle()
            .take(usize::try_from(MIB + 1).unwrap())
            .collect();
        put(&root.join("over.txt"), &over);
        entry(
            "file of 1 MiB + 1 byte",
            b"over.txt",
            Some(MIB + 1),
            any.clone(),
        );
        let padded_name = format!("{G_PADDED}.txt");
        let mut padded = b"false".to_vec();
        padded.resize(usize::try_from(MIB + 4096).unwrap(), b'\n');
        put(&root.join(&padded_name), &padded);
        entry(
            "CIS scalar false padded over 1 MiB",
            padded_name.as_bytes(),
            Some(MIB + 4096),
            Expect::Evaluated {
                outcomes: &["disabled"],
            },
        );

        // Contents that attack the parsers.
        let depth = 200_000;
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        put(&root.join("deep.json"), deep.as_bytes());
        // Valid JSON, however deep, holding no settings: not evidence.
        entry(
            "JSON nested 200,000 deep",
            b"deep.json",
            Some(deep.len() as u64),
            Expect::Evaluated {
                outcomes: &["unrecognized"],
            },
        );
        let open = "[".repeat(depth);
        put(&root.join("deep-open.json"), open.as_bytes());
        entry(
            "JSON opened 200,000 deep, never closed",
            b"deep-open.json",
            Some(open.len() as u64),
            malformed.clone(),
        );
        let mut array = b"[1".to_vec();
        while array.len() < 10_000_000 {
            array.extend_from_slice(b",1");
        }
        array.push(b']');
        put(&root.join("array.json"), &array);
        entry(
            "10 MB [1,1,...] array",
            b"array.json",
            Some(array.len() as u64),
            bad.clone(),
        );
        let mut string = vec![b'"'];
        string.resize(10_000_001, b'a');
        string.push(b'"');
        put(&root.join("string.json"), &string);
        entry(
            "10 MB single-line string",
            b"string.json",
            Some(string.len() as u64),
            Expect::NotEvidence,
        );
        let invalid: &[u8] =
            b"{\"value\": \"\xC3\x28 \xA0\xA1 \xFF\xFE\xFD \x81\x8D\x8F\x90\x9D \xE2\x82\"}\n";
        put(&root.join("invalid-utf8.json"), invalid);
        entry(
            "invalid UTF-8 bytes",
            b"invalid-utf8.json",
            Some(invalid.len() as u64),
            bad,
        );
        let odd: &[u8] = b"\xFF\xFEA\x00B";
        put(&root.join("odd-utf16.json"), odd);
        entry(
            "odd-length UTF-16 (BOM FF FE + 3 bytes)",
            b"odd-utf16.json",
            Some(5),
            malformed,
        );
        let folder_file = format!("x.json/{G_FOLDER}.json");
        let folder_evidence = settings_list(G_FOLDER, "true");
        put(&root.join(&folder_file), folder_evidence.as_bytes());
        entry(
            "evidence inside a folder named x.json",
            folder_file.as_bytes(),
            Some(folder_evidence.len() as u64),
            Expect::Evaluated {
                outcomes: &["enabled"],
            },
        );

        // Hostile file names.
        for (label, name, contents, _, outcome) in hostile_names() {
            let mut rel = b"names/".to_vec();
            rel.extend_from_slice(&name);
            put(&root.join(OsStr::from_bytes(&rel)), contents.as_bytes());
            let outcomes: &'static [&'static str] = if outcome == "enabled" {
                &["enabled"]
            } else {
                &["disabled"]
            };
            entry(
                label,
                &rel,
                Some(contents.len() as u64),
                Expect::Evaluated { outcomes },
            );
        }

        // Unreadable entries, seen by an unprivileged user.
        let nobody = match can_drop_privileges() {
            Ok(()) => {
                put(
                    &root.join("unreadable.json"),
                    settings_list(G_OLD, "true").as_bytes(),
                );
                chmod(&root.join("unreadable.json"), 0);
                entry(
                    "unreadable file",
                    b"unreadable.json",
                    None,
                    Expect::Skipped {
                        kind: "file",
                        fragments: &["unreadable", "Permission denied"],
                    },
                );
                let sub_name = format!("{G_UNREADABLE}.txt");
                put(&root.join(&sub_name), b"false\n");
                chmod(&root.join(&sub_name), 0);
                entry(
                    "unreadable only evidence of a subscription",
                    sub_name.as_bytes(),
                    None,
                    Expect::Skipped {
                        kind: "file",
                        fragments: &["unreadable", "Permission denied"],
                    },
                );
                put(&root.join("unreadable-dir/inner.json"), b"true");
                chmod(&root.join("unreadable-dir"), 0);
                entry(
                    "unreadable folder",
                    b"unreadable-dir",
                    None,
                    Expect::Skipped {
                        kind: "directory",
                        fragments: &["unreadable"],
                    },
                );
                let bin = base.path().join("bin/mdc-evidence");
                std::fs::create_dir(base.path().join("bin")).unwrap();
                chmod(&base.path().join("bin"), 0o755);
                std::fs::copy(assert_cmd::cargo::cargo_bin("mdc-evidence"), &bin).unwrap();
                chmod(&bin, 0o755);
                Some(bin)
            }
            Err(why) => {
                notes.push(format!(
                    "unreadable file and folder not tested (runs stay privileged): {why}"
                ));
                None
            }
        };

        // A file rewritten while it is read: 30 MB, two contents.
        let size = 30 * 1024 * 1024;
        let content = |c: u8| {
            let mut pattern = vec![c; 63];
            pattern.push(b'\n');
            Arc::new(
                pattern
                    .iter()
                    .copied()
                    .cycle()
                    .take(size)
                    .collect::<Vec<u8>>(),
            )
        };
        let contents = [content(b'a'), content(b'b')];
        let rewrite = Rewrite {
            sha256: [sha256_hex(&contents[0]), sha256_hex(&contents[1])],
            contents,
        };
        put(&root.join("rewritten.txt"), &rewrite.contents[0]);
        entry(
            "30 MB file rewritten during the scan",
            b"rewritten.txt",
            Some(size as u64),
            Expect::Rewritten,
        );

        // An earlier report of this tool, and a leftover temporary file.
        let old_src = base.path().join("old-src");
        put(
            &old_src.join("settings.json"),
            settings_list(G_OLD, "true").as_bytes(),
        );
        std::fs::create_dir(base.path().join("old")).unwrap();
        let old = common::mdc()
            .current_dir(base.path())
            .args([
                "scan",
                "old-src",
                "-o",
                "old/old-report.json",
                "-o",
                "old/old-report.csv",
            ])
            .output()
            .unwrap();
        assert!(
            old.status.code() == Some(0),
            "the earlier report could not be made: {old:?}"
        );
        for name in ["old-report.json", "old-report.csv"] {
            let bytes = std::fs::read(base.path().join("old").join(name)).unwrap();
            put(&root.join(name), &bytes);
            entry(
                if name.ends_with("json") {
                    "earlier JSON report"
                } else {
                    "earlier CSV report"
                },
                name.as_bytes(),
                Some(bytes.len() as u64),
                Expect::Skipped {
                    kind: "file",
                    fragments: &["earlier report of mdc-evidence"],
                },
            );
        }
        let report = std::fs::read(base.path().join("old/old-report.json")).unwrap();
        let half = &report[..report.len() / 2];
        put(&root.join(".mdc-evidence-Ab12Cd.tmp"), half);
        entry(
            "leftover temporary report file",
            b".mdc-evidence-Ab12Cd.tmp",
            Some(half.len() as u64),
            Expect::Skipped {
                kind: "file",
                fragments: &["temporary file"],
            },
        );

        for note in &notes {
            eprintln!("note: {note}");
        }
        Self {
            base,
            entries,
            nobody,
            rewrite,
            _socket: socket,
        }
    }

    /// The binary, run as the unprivileged user when possible and under an address-space
    /// cap when asked, from the base folder (so paths read `tree/...`).
    fn command(&self, cap: Option<u64>) -> Command {
        let mut argv: Vec<OsString> = Vec::new();
        if let Some(cap) = cap {
            argv.push("prlimit".into());
            argv.push(format!("--as={cap}").into());
        }
        let bin = match &self.nobody {
            Some(bin) => {
                argv.extend(
                    [
                        "setpriv",
                        "--reuid=65534",
                        "--regid=65534",
                        "--clear-groups",
                    ]
                    .map(OsString::from),
                );
                bin.clone()
            }
            None => assert_cmd::cargo::cargo_bin("mdc-evidence"),
        };
        let mut cmd = if argv.is_empty() {
            Command::cargo_bin("mdc-evidence").unwrap()
        } else {
            let mut cmd = Command::new(&argv[0]);
            cmd.args(&argv[1..]).arg(bin);
            cmd
        };
        cmd.env("SOURCE_DATE_EPOCH", EPOCH.0)
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .timeout(Duration::from_secs(120))
            .current_dir(self.base.path());
        cmd
    }

    /// Runs `cmd` and checks what every run must satisfy.
    fn run(what: &str, cmd: &mut Command, checks: &mut Checks) -> Run {
        let start = Instant::now();
        let output = cmd.output();
        let elapsed = start.elapsed();
        let run = match output {
            Ok(o) => Run {
                what: what.to_owned(),
                code: o.status.code(),
                signal: std::os::unix::process::ExitStatusExt::signal(&o.status),
                stdout: o.stdout,
                stderr: o.stderr,
                elapsed,
            },
            Err(e) => Run {
                what: what.to_owned(),
                code: None,
                signal: None,
                stdout: Vec::new(),
                stderr: format!("could not run or timed out: {e}").into_bytes(),
                elapsed,
            },
        };
        let stderr = String::from_utf8_lossy(&run.stderr);
        eprintln!(
            "{what}: exit {:?} in {:.1?}; stderr: {}",
            run.code,
            run.elapsed,
            stderr.trim().chars().take(600).collect::<String>()
        );
        checks.check(matches!(run.code, Some(0 | 1 | 3)), || {
            format!(
                "{what}: exit code {:?} (signal {:?}), expected 0, 1 or 3 (never 2, never 101 = panic, never killed); stderr: {}",
                run.code,
                run.signal,
                stderr.trim().chars().take(600).collect::<String>()
            )
        });
        checks.check(!stderr.contains("panicked"), || {
            format!("{what}: panic message on standard error: {stderr}")
        });
        checks.check(run.elapsed < SLOW, || {
            format!(
                "{what}: took {:.1?} (a hang on the FIFO or a read of the sparse file?)",
                run.elapsed
            )
        });
        no_control_characters(&format!("{what}: standard output"), &run.stdout, checks);
        no_control_characters(&format!("{what}: standard error"), &run.stderr, checks);
        run
    }

    /// Checks every entry's line in the manifest of a JSON report made with files over
    /// `limit` bytes skipped.
    fn check_manifest(&self, what: &str, report: &Value, limit: u64, checks: &mut Checks) {
        let files = report["files"].as_array().cloned().unwrap_or_default();
        let observations = report["observations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        checks.check(files.len() == self.entries.len(), || {
            let listed: Vec<&str> = files.iter().filter_map(|f| f["path"].as_str()).collect();
            format!(
                "{what}: files[] has {} entries, the tree {}; listed: {listed:?}",
                files.len(),
                self.entries.len()
            )
        });
        checks.check(
            report["summary"]["files_seen"].as_u64() == Some(self.entries.len() as u64),
            || {
                format!(
                    "{what}: summary.files_seen is {}, the tree has {} entries",
                    report["summary"]["files_seen"],
                    self.entries.len()
                )
            },
        );
        let mut seen = BTreeMap::new();
        for f in &files {
            *seen
                .entry(f["path"].as_str().unwrap_or("").to_owned())
                .or_insert(0) += 1;
        }
        for (path, n) in &seen {
            checks.check(*n == 1, || {
                format!("{what}: path {path:?} appears {n} times in files[]")
            });
        }
        checks.check(!seen.contains_key("tree/x.json"), || {
            format!("{what}: the folder tree/x.json is listed as an entry although it was walked")
        });

        if std::env::var_os("MDC_HOSTILE_DUMP").is_some() {
            for f in &files {
                eprintln!(
                    "{what}: {} {} {} {} reason={} observations={}",
                    f["path"], f["kind"], f["status"], f["format"], f["reason"], f["observations"]
                );
            }
        }
        for entry in &self.entries {
            self.check_entry(what, entry, (&files, &observations), limit, checks);
        }
    }

    /// Checks one entry's line in `files[]` (and its observations).
    fn check_entry(
        &self,
        what: &str,
        entry: &Entry,
        (files, observations): (&[Value], &[Value]),
        limit: u64,
        checks: &mut Checks,
    ) {
        let shown = entry.shown();
        let matching: Vec<&Value> = files
            .iter()
            .filter(|f| {
                f["path"]
                    .as_str()
                    .is_some_and(|p| shown.iter().any(|s| s == p))
            })
            .collect();
        let label = entry.label;
        let [file] = matching.as_slice() else {
            let tail = String::from_utf8_lossy(&entry.rel).replace('\u{FFFD}', "");
            let tail = tail.rsplit('/').next().unwrap_or("").get(..4).unwrap_or("");
            let near: Vec<&str> = files
                .iter()
                .filter_map(|f| f["path"].as_str())
                .filter(|p| !tail.is_empty() && p.contains(tail))
                .collect();
            checks.check(false, || {
                format!(
                    "{what}: {label}: expected once in files[] as {shown:?}, found {} times; similar paths: {near:?}",
                    matching.len()
                )
            });
            return;
        };
        let path = file["path"].as_str().unwrap_or("");
        let status = file["status"].as_str().unwrap_or("");
        let kind = file["kind"].as_str().unwrap_or("");
        let reason = file["reason"].as_str().unwrap_or("");
        let outcomes: Vec<&str> = observations
            .iter()
            .filter(|o| o["path"].as_str() == Some(path))
            .filter_map(|o| o["outcome"].as_str())
            .collect();
        match entry.expect(limit) {
            Expect::Skipped {
                kind: want,
                fragments,
            } => {
                checks.check(status == "skipped" && kind == want, || {
                    format!(
                        "{what}: {label}: expected skipped {want}, got status {status:?} kind {kind:?} reason {reason:?}"
                    )
                });
                for fragment in fragments {
                    checks.check(reason.contains(fragment), || {
                        format!("{what}: {label}: reason {reason:?} lacks {fragment:?}")
                    });
                }
                if fragments.contains(&"Permission denied") {
                    let n = reason.matches("Permission denied").count();
                    checks.check(n <= 1, || {
                        format!("{what}: {label}: reason {reason:?} repeats the OS error {n} times")
                    });
                }
                checks.check(file["sha256"].is_null(), || {
                    format!("{what}: {label}: skipped yet has sha256 {}", file["sha256"])
                });
            }
            Expect::Evaluated { outcomes: want } => {
                checks.check(status == "evaluated" && kind == "file", || {
                    format!(
                        "{what}: {label}: expected evaluated file, got status {status:?} kind {kind:?} reason {reason:?}"
                    )
                });
                if !want.is_empty() {
                    checks.check(
                        file["observations"].as_u64() == Some(1)
                            && outcomes.len() == 1
                            && want.contains(&outcomes[0]),
                        || {
                            format!(
                                "{what}: {label}: expected one observation {want:?}, manifest says {} observations, observations[] gives {outcomes:?}",
                                file["observations"]
                            )
                        },
                    );
                }
            }
            Expect::NotEvidence => {
                checks.check(
                    status == "evaluated"
                        && kind == "file"
                        && file["observations"].as_u64() == Some(0)
                        && outcomes.is_empty()
                        && reason.starts_with("not evidence: "),
                    || {
                        format!(
                            "{what}: {label}: expected a file read as not evidence, got status {status:?} kind {kind:?} reason {reason:?}, {} observations, observations[] gives {outcomes:?}",
                            file["observations"]
                        )
                    },
                );
            }
            Expect::Rewritten => self.check_rewritten(what, label, file, status, reason, checks),
        }
    }
}

impl Tree {
    /// Checks the manifest entry of the file rewritten during the scan.
    fn check_rewritten(
        &self,
        what: &str,
        label: &str,
        file: &Value,
        status: &str,
        reason: &str,
        checks: &mut Checks,
    ) {
        let sha = file["sha256"].as_str().unwrap_or("");
        let held = |size: usize| {
            self.rewrite.contents.iter().any(|content| {
                content
                    .get(..size)
                    .is_some_and(|start| sha256_hex(start) == sha)
            })
        };
        let size = file["size"].as_u64().and_then(|n| usize::try_from(n).ok());
        let ok = (status == "skipped" && reason.contains("changed while it was read"))
            || (status == "evaluated" && size.is_some_and(held));
        let full = self.rewrite.contents[0].len();
        let hint = partial_hint(status, sha, file["size"].as_u64(), full);
        checks.check(ok, || {
                    format!(
                        "{what}: {label}: expected skipped 'changed while it was read' or evaluated with the sha256 of a state the file held (a written content or its start) {:?}; got status {status:?} reason {reason:?} sha256 {sha:?} size {}{hint}",
                        self.rewrite.sha256, file["size"]
                    )
                });
    }
}

/// Explains an evaluated read of the rewritten file that matches no content written.
fn partial_hint(status: &str, sha: &str, size: Option<u64>, full: usize) -> String {
    match size {
        _ if status != "evaluated" => String::new(),
        Some(0) if sha == EMPTY_SHA256 => {
            " (an empty read: the file as it was between the writer's truncate and its write)"
                .to_owned()
        }
        Some(n) if n < full as u64 => format!(
            " (a partial read: {n} of {full} bytes, the file as it was in the middle of a write)"
        ),
        _ => String::new(),
    }
}

/// Fails on any control character other than `\n`, `\r` and `\t` (C0, DEL, C1).
fn no_control_characters(what: &str, bytes: &[u8], checks: &mut Checks) {
    let text = String::from_utf8_lossy(bytes);
    let bad: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .take(5)
        .collect();
    checks.check(bad.is_empty(), || {
        let (at, _) = bad[0];
        let near: String = text
            .char_indices()
            .filter(|(i, _)| i + 60 >= at && *i <= at + 20)
            .map(|(_, c)| c)
            .collect();
        format!(
            "{what}: raw control characters {:?}, first near {near:?}",
            bad.iter().map(|(_, c)| *c).collect::<Vec<_>>()
        )
    });
}

/// The verdict and reason of `subscription` in a JSON report.
fn verdict(report: &Value, subscription: &str) -> Option<(String, String)> {
    report["subscriptions"]
        .as_array()?
        .iter()
        .find(|s| s["subscription_id"].as_str() == Some(subscription))
        .map(|s| {
            (
                s["verdict"].as_str().unwrap_or("").to_owned(),
                s["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
}

/// Checks that `subscription` has `want` as verdict and, if given, a reason holding
/// `fragment`.
fn check_verdict(
    what: &str,
    report: &Value,
    (label, subscription): (&str, &str),
    want: &str,
    fragment: Option<&str>,
    checks: &mut Checks,
) {
    let got = verdict(report, subscription);
    checks.check(
        got.as_ref()
            .is_some_and(|(v, r)| v == want && fragment.is_none_or(|f| r.contains(f))),
        || {
            format!(
                "{what}: {label}: subscription {subscription} expected {want}{}; got {got:?}",
                fragment.map_or(String::new(), |f| format!(
                    " with a reason mentioning {f:?}"
                ))
            )
        },
    );
}

#[test]
fn the_manifest_names_every_hostile_entry_with_its_reason() {
    let tree = Tree::build();
    let mut checks = Checks::default();
    let writer = Rewriter::start(tree.root().join("rewritten.txt"), &tree.rewrite);
    // Give the writer a head start so the scan meets a file being rewritten.
    std::thread::sleep(Duration::from_millis(100));
    let run = Tree::run(
        "scan --format json",
        tree.command(None)
            .args(["scan", "tree", "--format", "json"]),
        &mut checks,
    );
    let rewrites = writer.stop();
    eprintln!("the background writer rewrote rewritten.txt {rewrites} times");
    checks.check(rewrites >= 2, || {
        format!("rewritten.txt: the writer only rewrote it {rewrites} times during the scan")
    });
    if let Some(report) = run.json(&mut checks) {
        tree.check_manifest("scan --format json", &report, DEFAULT_LIMIT, &mut checks);
        for (label, _, _, subscription, outcome) in hostile_names() {
            let want = if outcome == "enabled" { "pass" } else { "fail" };
            check_verdict(
                "scan --format json",
                &report,
                (label, subscription),
                want,
                None,
                &mut checks,
            );
        }
        check_verdict(
            "scan --format json",
            &report,
            ("evidence inside a folder named x.json", G_FOLDER),
            "pass",
            None,
            &mut checks,
        );
        if tree.nobody.is_some() {
            check_verdict(
                "scan --format json",
                &report,
                ("unreadable only evidence of a subscription", G_UNREADABLE),
                "no_evidence",
                Some("unreadable"),
                &mut checks,
            );
        }
        let paths: Vec<&str> = report["files"]
            .as_array()
            .map(|f| f.iter().filter_map(|f| f["path"].as_str()).collect())
            .unwrap_or_default();
        checks.check(
            paths.contains(&"tree/names/bad\\xFF.json")
                && paths.contains(&"tree/names/bad\\\\xFF.json"),
            || {
                format!(
                    "byte 0xFF and text \\xFF names: expected paths {:?} and {:?}, files[] has {:?}",
                    "tree/names/bad\\xFF.json",
                    "tree/names/bad\\\\xFF.json",
                    paths.iter().filter(|p| p.contains("bad")).collect::<Vec<_>>()
                )
            },
        );
    }
    checks.check(run.code != Some(0), || {
        "scan --format json: exit 0 although subscriptions fail".to_owned()
    });
    checks.finish("the_manifest_names_every_hostile_entry_with_its_reason");
}

#[test]
fn max_file_size_is_a_byte_exact_limit_and_skipped_evidence_is_no_evidence() {
    let tree = Tree::build();
    let mut checks = Checks::default();
    let what = "scan --format json --max-file-size 1MiB";
    let run = Tree::run(
        what,
        tree.command(None).args([
            "scan",
            "tree",
            "--format",
            "json",
            "--max-file-size",
            "1MiB",
        ]),
        &mut checks,
    );
    if let Some(report) = run.json(&mut checks) {
        tree.check_manifest(what, &report, MIB, &mut checks);
        check_verdict(
            what,
            &report,
            ("file of exactly 1 MiB", G_EXACT),
            "pass",
            None,
            &mut checks,
        );
        check_verdict(
            what,
            &report,
            ("CIS scalar false padded over 1 MiB", G_PADDED),
            "no_evidence",
            Some("larger than --max-file-size"),
            &mut checks,
        );
        if tree.nobody.is_some() {
            check_verdict(
                what,
                &report,
                ("unreadable only evidence of a subscription", G_UNREADABLE),
                "no_evidence",
                Some("unreadable"),
                &mut checks,
            );
        }
    }
    checks.check(run.code != Some(0), || {
        format!("{what}: exit 0 although subscriptions have no evidence")
    });
    checks.finish("max_file_size_is_a_byte_exact_limit_and_skipped_evidence_is_no_evidence");
}

/// Converts every CSV in `csvs` to flat ODF with `LibreOffice`, reading fields separated by
/// `separator` and evaluating formulas; returns, per CSV, the formulas the sheet holds,
/// or `None` when `soffice` is not installed.
fn spreadsheet_formulas(
    csvs: &[PathBuf],
    separator: u8,
    out: &Path,
) -> Option<Vec<(PathBuf, Vec<String>)>> {
    if std::process::Command::new("soffice")
        .arg("--version")
        .output()
        .is_err()
    {
        let note = "soffice (Debian package libreoffice-calc-nogui) is not installed: \
                    the spreadsheet formula check is skipped";
        assert!(
            std::env::var_os("MDC_REQUIRE_LIBREOFFICE").is_none_or(|v| v != "1"),
            "MDC_REQUIRE_LIBREOFFICE=1 but {note}"
        );
        eprintln!("note: {note}");
        return None;
    }
    std::fs::create_dir_all(out).unwrap();
    let profile = tempfile::Builder::new()
        .prefix("lo-profile-")
        .tempdir_in("/tmp")
        .unwrap();
    // Tokens: separator, text delimiter `"`, UTF-8 (76), from line 1, no column formats,
    // default language, quoted field as text: false, detect special numbers: true, (two
    // export-only tokens), trim spaces: false, sheet: -1, evaluate formulas: true.
    let filter = format!("CSV:{separator},34,76,1,,0,false,true,false,false,false,-1,true");
    let output = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.path().display()
        ))
        .args(["--headless", "--norestore"])
        .arg(format!("--infilter={filter}"))
        .args(["--convert-to", "fods", "--outdir"])
        .arg(out)
        .args(csvs)
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(
        csvs.iter()
            .map(|csv| {
                let fods = out.join(csv.file_stem().unwrap()).with_extension("fods");
                let xml = std::fs::read_to_string(&fods).unwrap_or_else(|e| {
                    panic!(
                        "soffice made no {} from {}: {e}; stdout {}",
                        fods.display(),
                        csv.display(),
                        String::from_utf8_lossy(&output.stdout)
                    )
                });
                let formulas = xml
                    .match_indices("table:formula=\"")
                    .map(|(at, m)| {
                        let rest = &xml[at + m.len()..];
                        rest[..rest.find('"').unwrap_or(rest.len())].to_owned()
                    })
                    .collect();
                (csv.clone(), formulas)
            })
            .collect(),
    )
}

/// CSV reports on standard output, of the whole tree and of the hostile names given as
/// roots (so a cell starts with the name itself), with `,` and `;` as delimiter and both
/// kinds of rows; each is saved in `csvs`. Returns the `,` and the `;` reports.
fn standard_output_csvs(
    tree: &Tree,
    csvs: &Path,
    checks: &mut Checks,
) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let names: Vec<OsString> = hostile_names()
        .into_iter()
        .map(|(_, name, ..)| OsStr::from_bytes(&name).to_owned())
        .collect();
    let mut comma = Vec::new();
    let mut semicolons = Vec::new();
    for (file, delimiter, rows, roots) in [
        ("tree-subscriptions", ",", "subscriptions", false),
        ("tree-observations", ",", "observations", false),
        ("tree-semicolon-subscriptions", ";", "subscriptions", false),
        ("tree-semicolon-observations", ";", "observations", false),
        ("names-subscriptions", ",", "subscriptions", true),
        ("names-observations", ",", "observations", true),
        ("names-semicolon-subscriptions", ";", "subscriptions", true),
        ("names-semicolon-observations", ";", "observations", true),
    ] {
        let mut cmd = tree.command(None);
        cmd.args([
            "scan",
            "--format",
            "csv",
            "--rows",
            rows,
            "--csv-delimiter",
            delimiter,
        ]);
        if roots {
            cmd.current_dir(tree.names_dir()).arg("--").args(&names);
        } else {
            cmd.arg("tree");
        }
        let what = format!(
            "scan --format csv --rows {rows} --csv-delimiter '{delimiter}' ({})",
            if roots {
                "hostile names as roots"
            } else {
                "the tree"
            }
        );
        let run = Tree::run(&what, &mut cmd, checks);
        let header = String::from_utf8_lossy(&run.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned();
        let want = if rows == "subscriptions" {
            "subscription_id,subscription_name,check,control,verdict,flags,reason,\
             deciding_file,deciding_value,deciding_location,collected_at,collected_from,in_inventory,files,paths,\
             exception,exception_expires,exception_approved_by,exception_ticket,exception_justification"
        } else {
            "path,format,subscription_id,check,control,subscription_source,outcome,enabled,location,detail,sha256,size,collected_at,collected_by,collected_from,duplicate_of"
        }
        .replace(',', delimiter);
        checks.check(header == want, || {
            format!("{what}: header {header:?}, expected {want:?}")
        });
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter.as_bytes()[0])
            .from_reader(run.stdout.as_slice());
        let width = want.split(delimiter).count();
        let mut records = 0;
        for record in reader.records() {
            match record {
                Ok(r) => {
                    records += 1;
                    checks.check(r.len() == width, || {
                        format!("{what}: a row of {} cells, not {width}: {r:?}", r.len())
                    });
                }
                Err(e) => checks.check(false, || format!("{what}: not valid CSV: {e}")),
            }
        }
        if roots {
            // Every hostile name holds evidence: one row per name either way.
            checks.check(records == names.len(), || {
                format!("{what}: {records} rows, expected {}", names.len())
            });
        }
        let own = formula_cells(&run.stdout, delimiter.as_bytes()[0], "=+-@\t\r");
        checks.check(own.is_empty(), || {
            format!("{what}: cells a spreadsheet would take for formulas: {own:?}")
        });
        let other = if delimiter == "," { b';' } else { b',' };
        let mismatched = formula_cells(&run.stdout, other, "=");
        checks.check(mismatched.is_empty(), || {
            format!(
                "{what}: read with '{}' as separator, cells start with '=': {mismatched:?}",
                char::from(other)
            )
        });
        let path = csvs.join(format!("{file}.csv"));
        std::fs::write(&path, &run.stdout).unwrap();
        if delimiter == "," {
            comma.push(path);
        } else {
            semicolons.push(path);
        }
    }

    (comma, semicolons)
}

/// The cells of `csv`, read with `delimiter`, that start with one of `leading`.
fn formula_cells(csv: &[u8], delimiter: u8, leading: &str) -> Vec<String> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(csv)
        .records()
        .filter_map(Result::ok)
        .flat_map(|r| r.iter().map(str::to_owned).collect::<Vec<_>>())
        .filter(|cell| cell.starts_with(|c| leading.contains(c)))
        .collect()
}

/// `-o report.csv -o report.json` into `out`, a folder outside the tree.
fn report_files(tree: &Tree, out: &Path, checks: &mut Checks) {
    let what = "scan -o out/report.csv -o out/report.json";
    let run = Tree::run(
        what,
        tree.command(None).args([
            "scan",
            "tree",
            "-o",
            "out/report.csv",
            "-o",
            "out/report.json",
        ]),
        checks,
    );
    checks.check(run.stdout.is_empty(), || {
        format!(
            "{what}: standard output is not empty: {:?}",
            String::from_utf8_lossy(&run.stdout[..run.stdout.len().min(200)])
        )
    });
    let json = std::fs::read(out.join("report.json")).unwrap_or_default();
    let csv_report = std::fs::read(out.join("report.csv")).unwrap_or_default();
    no_control_characters(&format!("{what}: report.json"), &json, checks);
    no_control_characters(&format!("{what}: report.csv"), &csv_report, checks);
    match serde_json::from_slice::<Value>(&json) {
        Ok(report) => {
            tree.check_manifest(
                &format!("{what}: report.json"),
                &report,
                DEFAULT_LIMIT,
                checks,
            );
            // Files without a subscription end the workpaper as `unattributed`
            // rows; every other row is one subscription of report.json.
            let rows = csv::Reader::from_reader(csv_report.as_slice())
                .records()
                .filter(|r| {
                    r.as_ref()
                        .map_or(true, |r| r.get(4) != Some("unattributed"))
                })
                .count();
            let subscriptions = report["subscriptions"].as_array().map_or(0, Vec::len);
            checks.check(rows == subscriptions, || {
                format!(
                    "{what}: report.csv has {rows} rows, report.json {subscriptions} subscriptions"
                )
            });
        }
        Err(e) => checks.check(false, || {
            format!("{what}: report.json is not valid JSON: {e}")
        }),
    }
    let leftovers: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "report.csv" && n != "report.json")
        .collect();
    checks.check(leftovers.is_empty(), || {
        format!("{what}: files left beside the reports: {leftovers:?}")
    });
}

#[test]
fn csv_reports_hold_no_control_characters_and_no_formulas() {
    let tree = Tree::build();
    let mut checks = Checks::default();
    let out = tree.base.path().join("out");
    std::fs::create_dir(&out).unwrap();
    chmod(&out, 0o777);
    if tree.nobody.is_some() {
        std::os::unix::fs::chown(&out, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    let csvs = tree.base.path().join("csv");
    std::fs::create_dir(&csvs).unwrap();
    let (mut comma, semicolons) = standard_output_csvs(&tree, &csvs, &mut checks);
    report_files(&tree, &out, &mut checks);
    std::fs::copy(out.join("report.csv"), csvs.join("report-o.csv")).ok();
    comma.push(csvs.join("report-o.csv"));

    // Open every CSV in LibreOffice Calc, evaluating formulas, with the matching and a
    // mismatched separator.
    let mut read_with_comma = comma.clone();
    read_with_comma.extend(semicolons);
    for (separator, files, folder) in [
        (b',', &read_with_comma, "lo-comma"),
        (b';', &comma, "lo-semicolon"),
    ] {
        let Some(sheets) = spreadsheet_formulas(files, separator, &tree.base.path().join(folder))
        else {
            break;
        };
        for (csv, formulas) in sheets {
            checks.check(formulas.is_empty(), || {
                format!(
                    "LibreOffice reading {} with '{}' as separator runs formulas {formulas:?}",
                    csv.file_name().unwrap().to_string_lossy(),
                    char::from(separator)
                )
            });
        }
    }
    checks.finish("csv_reports_hold_no_control_characters_and_no_formulas");
}

#[test]
fn a_scan_fits_in_a_fixed_address_space() {
    let tree = Tree::build();
    let mut checks = Checks::default();
    if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("note: prlimit is not installed: the memory cap test is skipped");
        return;
    }
    let limit = 16 * MIB;
    let what = "prlimit --as=1610612736 scan --format json --threads 2 --max-file-size 16MiB";
    let run = Tree::run(
        what,
        tree.command(Some(ADDRESS_SPACE_CAP)).args([
            "scan",
            "tree",
            "--format",
            "json",
            "--threads",
            "2",
            "--max-file-size",
            "16MiB",
        ]),
        &mut checks,
    );
    if let Some(report) = run.json(&mut checks) {
        tree.check_manifest(what, &report, limit, &mut checks);
    }

    // Following links must not read /dev/zero or loop.
    let what = "scan --format json --follow-symlinks";
    let run = Tree::run(
        what,
        tree.command(None)
            .args(["scan", "tree", "--format", "json", "--follow-symlinks"]),
        &mut checks,
    );
    if let Some(report) = run.json(&mut checks) {
        let files = report["files"].as_array().cloned().unwrap_or_default();
        checks.check(files.len() == tree.entries.len(), || {
            format!(
                "{what}: files[] has {} entries, the tree {}",
                files.len(),
                tree.entries.len()
            )
        });
        for name in ["tree/zero", "tree/loop"] {
            let status = files
                .iter()
                .find(|f| f["path"].as_str() == Some(name))
                .map(|f| (f["status"].clone(), f["kind"].clone(), f["reason"].clone()));
            checks.check(
                status
                    .as_ref()
                    .is_some_and(|(s, _, _)| s.as_str() == Some("skipped")),
                || format!("{what}: {name} expected skipped, got {status:?}"),
            );
        }
    }
    checks.finish("a_scan_fits_in_a_fixed_address_space");
}
