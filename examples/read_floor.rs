//! The read-only floor of a scan: walks the roots and reads every regular file with N
//! threads, and does nothing else (no decoding, parsing, hashing or report). `scripts/bench`
//! times it beside `mdc-evidence scan` on the same files, so that the scan's cost is quoted
//! as a ratio to the least any tool must spend to see every byte.
//!
//! Usage: `read_floor [-j N] ROOT...` (N defaults to what `scan --threads` defaults to,
//! `mdc_evidence::read::threads`). Prints the number of files and bytes read.

use std::io::Read as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the walk saw.
#[derive(Default)]
struct Totals {
    files: AtomicU64,
    bytes: AtomicU64,
}

/// Reads one file into `buffer`, counting it.
fn read(path: &Path, buffer: &mut Vec<u8>, totals: &Totals) {
    buffer.clear();
    if let Ok(mut file) = std::fs::File::open(path)
        && file.read_to_end(buffer).is_ok()
    {
        totals.files.fetch_add(1, Ordering::Relaxed);
        let bytes = u64::try_from(buffer.len()).unwrap_or(0);
        totals.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// Lists one folder, reads its files into one reused buffer, and spawns a task per
/// sub-folder: the folders are walked in parallel, as the files are read.
fn walk<'s>(folder: &Path, totals: &'s Totals, scope: &rayon::Scope<'s>) {
    let Ok(listing) = std::fs::read_dir(folder) else {
        return;
    };
    let mut buffer = Vec::new();
    for entry in listing.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            scope.spawn(move |scope| walk(&path, totals, scope));
        } else if kind.is_file() {
            read(&path, &mut buffer, totals);
        }
    }
}

fn main() -> std::process::ExitCode {
    let mut threads = 0;
    let mut roots = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-j" | "--threads" => threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(0),
            _ => match arg.strip_prefix("-j").map(str::parse) {
                Some(Ok(n)) => threads = n,
                _ => roots.push(arg),
            },
        }
    }
    if roots.is_empty() {
        eprintln!("usage: read_floor [-j N] ROOT...");
        return std::process::ExitCode::from(2);
    }
    let threads = mdc_evidence::read::threads(threads);
    let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(threads).build() else {
        eprintln!("read_floor: cannot start {threads} threads");
        return std::process::ExitCode::from(2);
    };
    let totals = Totals::default();
    pool.scope(|scope| {
        for root in &roots {
            let totals = &totals;
            let root = Path::new(root);
            if root.is_dir() {
                scope.spawn(move |scope| walk(root, totals, scope));
            } else {
                read(root, &mut Vec::new(), totals);
            }
        }
    });
    #[expect(clippy::print_stdout, reason = "the example's one line of output")]
    {
        println!(
            "{} files, {} bytes",
            totals.files.load(Ordering::Relaxed),
            totals.bytes.load(Ordering::Relaxed)
        );
    }
    std::process::ExitCode::SUCCESS
}
