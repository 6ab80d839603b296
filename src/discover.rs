//! Walking the roots: every entry below them, sorted, each either to be read or skipped
//! with its reason.
//!
//! Folders are walked, never reported; every other entry (regular file, symlink, FIFO,
//! socket, device) becomes one [`Entry`], so nothing under a root is dropped silently.
//! Nothing is read here: the entry's type comes from the directory listing, and FIFOs,
//! sockets and devices are never opened at all. Folders are opened read-only, on Linux with
//! `O_NOATIME` where the kernel permits it, so that listing them leaves their access times
//! as they were collected; where it does not (the folder belongs to another user), the
//! number of such folders is counted for the run metadata.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use glob::Pattern;
use rayon::prelude::*;

use crate::error::Error;
use crate::escape::display;
use crate::vocabulary::entry::{EntryKind, Skip};

/// What to walk and what to leave out.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// Files and folders to scan, as given.
    pub roots: Vec<PathBuf>,
    /// When not empty, only files matching one of these (below their root) are read.
    pub include: Vec<Pattern>,
    /// Files matching any of these (below their root) are skipped.
    pub exclude: Vec<Pattern>,
    /// Follow symbolic links instead of listing them as skipped.
    pub follow_symlinks: bool,
    /// Canonical paths of this run's report files: never read as evidence.
    pub outputs: Vec<PathBuf>,
}

/// One entry under a root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The path as reached from its root argument, with `/` separators.
    pub path: String,
    /// The path to open.
    pub fs_path: PathBuf,
    /// The entry's type.
    pub kind: EntryKind,
    /// Why it is not read, if it is not.
    pub skip: Option<Skip>,
}

/// The entries under the roots, and how the walk went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovered {
    /// Every entry, sorted byte-wise by path, each directory entry once.
    pub entries: Vec<Entry>,
    /// Folders listed without `O_NOATIME` (the kernel refused it): their access times may
    /// have changed.
    pub folders_atime_not_kept: usize,
    /// The `--include` and `--exclude` patterns that matched no entry (`--exclude x`), to
    /// warn about: a pattern copied wrong silently changes nothing.
    pub unmatched_patterns: Vec<String>,
}

/// The prefix and suffix of the temporary files reports are staged in.
pub const TEMPORARY_PREFIX: &str = ".mdc-evidence-";
/// See [`TEMPORARY_PREFIX`].
pub const TEMPORARY_SUFFIX: &str = ".tmp";

/// Walks every root and returns its entries sorted byte-wise by path. A directory entry
/// reached twice (roots `a` and `./a`, or a root inside another) is listed once, under the
/// first of its paths.
///
/// # Errors
/// [`Error::Root`] when a root does not exist or, being a folder, cannot be listed.
pub fn discover(discovery: &Discovery) -> Result<Discovered, Error> {
    let mut walk = Walk {
        discovery,
        entries: Vec::new(),
        identities: Vec::new(),
        folders_atime_not_kept: 0,
        exclude_used: vec![false; discovery.exclude.len()],
        include_used: vec![false; discovery.include.len()],
    };
    for root in &discovery.roots {
        let root_error = |source| Error::Root {
            path: root.clone(),
            source,
        };
        let metadata = std::fs::metadata(root).map_err(root_error)?;
        if metadata.is_dir() {
            let listing = fs::list(root).map_err(root_error)?;
            walk.walk(root, listing);
        } else {
            // A file named on the command line is read whatever the patterns say.
            let kind = EntryKind::of(metadata.file_type());
            let skip = skip_for_kind(kind)
                .or_else(|| skip_for_name(root))
                .or_else(|| is_output(root, discovery));
            let identity = root.file_name().and_then(|name| {
                let parent = match root.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                fs::folder_identity(parent)
                    .map(|folder| (folder, name.to_owned()))
                    .filter(|_| discovery.roots.len() > 1)
            });
            walk.push(
                Entry {
                    path: display(root),
                    fs_path: root.clone(),
                    kind,
                    skip,
                },
                identity,
            );
        }
    }
    Ok(walk.finish())
}

/// Where a directory entry is: its folder's device and inode, and its name.
type Identity = ((u64, u64), OsString);

/// A chain of the folders above one being walked, to detect symbolic link loops.
struct Ancestors {
    folder: Option<(u64, u64)>,
    parent: Option<Rc<Ancestors>>,
}

impl Ancestors {
    fn contains(&self, folder: Option<(u64, u64)>) -> bool {
        let mut node = Some(self);
        while let Some(n) = node {
            if folder.is_some() && n.folder == folder {
                return true;
            }
            node = n.parent.as_deref();
        }
        false
    }
}

struct Walk<'a> {
    discovery: &'a Discovery,
    entries: Vec<Entry>,
    identities: Vec<Option<Identity>>,
    folders_atime_not_kept: usize,
    /// Whether each `--exclude` and `--include` pattern matched an entry.
    exclude_used: Vec<bool>,
    include_used: Vec<bool>,
}

impl Walk<'_> {
    fn push(&mut self, entry: Entry, identity: Option<Identity>) {
        self.entries.push(entry);
        self.identities.push(identity);
    }

    fn walk(&mut self, root: &Path, listing: fs::Listing) {
        let mut pending = vec![(
            root.to_path_buf(),
            Ok::<_, std::io::Error>(listing),
            None::<Rc<Ancestors>>,
        )];
        while let Some((folder, listing, ancestors)) = pending.pop() {
            let listing = match listing {
                Ok(listing) => listing,
                Err(error) => {
                    self.push(
                        Entry {
                            path: display(&folder),
                            fs_path: folder,
                            kind: EntryKind::Directory,
                            skip: Some(Skip::Unreadable(error.to_string())),
                        },
                        None,
                    );
                    continue;
                }
            };
            if !listing.atime_kept {
                self.folders_atime_not_kept += 1;
            }
            let here = Rc::new(Ancestors {
                folder: listing.identity,
                parent: ancestors,
            });
            let reachable_twice = self.discovery.roots.len() > 1 || self.discovery.follow_symlinks;
            // The folders in this one, listed together once it is read.
            let mut folders = Vec::new();
            for raw in listing.entries {
                let path = folder.join(&raw.name);
                // One root walked without following links reaches each entry once: only
                // several roots, or links followed, can reach one twice.
                let identity = listing
                    .identity
                    .filter(|_| reachable_twice)
                    .map(|folder| (folder, raw.name));
                let mut kind = raw.kind;
                if kind == EntryKind::Symlink && self.discovery.follow_symlinks {
                    match std::fs::metadata(&path) {
                        Ok(target) if target.is_dir() => {
                            let target_id = fs::identity_of(&target);
                            if here.contains(target_id) {
                                self.push(
                                    Entry {
                                        path: display(&path),
                                        fs_path: path,
                                        kind: EntryKind::Symlink,
                                        skip: Some(Skip::SymlinkLoop),
                                    },
                                    identity,
                                );
                            } else {
                                folders.push(path);
                            }
                            continue;
                        }
                        Ok(target) => kind = EntryKind::of(target.file_type()),
                        Err(error) => {
                            self.push(
                                Entry {
                                    path: display(&path),
                                    fs_path: path,
                                    kind: EntryKind::Symlink,
                                    skip: Some(Skip::Unreadable(format!(
                                        "symbolic link to nothing readable: {error}"
                                    ))),
                                },
                                identity,
                            );
                            continue;
                        }
                    }
                }
                if kind == EntryKind::Directory {
                    folders.push(path);
                    continue;
                }
                let skip = self.skip_for(root, &path, kind);
                self.push(
                    Entry {
                        path: display(&path),
                        fs_path: path,
                        kind,
                        skip,
                    },
                    identity,
                );
            }
            // Listed in parallel (in the current thread pool): with a cold page cache each
            // listing waits on the disk. The order of the walk cannot reach a report:
            // `finish` sorts the entries.
            let listings: Vec<_> = folders.par_iter().map(|folder| fs::list(folder)).collect();
            for (folder, listing) in folders.into_iter().zip(listings) {
                pending.push((folder, listing, Some(Rc::clone(&here))));
            }
        }
    }

    /// Why an entry found by the walk is not read, if it is not. The user's patterns come
    /// first: a skip they chose never keeps a run from passing, whatever the entry is.
    fn skip_for(&mut self, root: &Path, path: &Path, kind: EntryKind) -> Option<Skip> {
        let below_root = path.strip_prefix(root).unwrap_or(path).to_string_lossy();
        let reported = display(path);
        // A pattern matches the path below its root, or the path as reports show it (a
        // path copied from a report).
        let matches = |p: &Pattern| p.matches(&below_root) || p.matches(&reported);
        let excluded = self.discovery.exclude.iter().position(matches);
        if let Some(index) = excluded {
            if let Some(used) = self.exclude_used.get_mut(index) {
                *used = true;
            }
            let pattern = self.discovery.exclude.get(index).map(Pattern::as_str);
            return Some(Skip::Excluded(pattern.unwrap_or_default().to_owned()));
        }
        if !self.discovery.include.is_empty() {
            let mut included = false;
            for (p, used) in self.discovery.include.iter().zip(&mut self.include_used) {
                if matches(p) {
                    *used = true;
                    included = true;
                }
            }
            if !included {
                return Some(Skip::NotIncluded);
            }
        }
        skip_for_kind(kind)
            .or_else(|| skip_for_name(path))
            .or_else(|| is_output(path, self.discovery))
    }

    /// Sorts byte-wise by path; of two entries for one directory entry (a file also named
    /// on the command line, overlapping roots), the first path is kept, and the one that is
    /// read before one that is skipped.
    fn finish(self) -> Discovered {
        let mut paired: Vec<(Entry, Option<Identity>)> =
            self.entries.into_iter().zip(self.identities).collect();
        paired.sort_by(|(a, _), (b, _)| {
            (a.path.as_bytes(), a.skip.is_some()).cmp(&(b.path.as_bytes(), b.skip.is_some()))
        });
        // The same path twice (a file also named on the command line) is adjacent once
        // sorted; the same directory entry under two paths is found by its identity.
        paired.dedup_by(|later, kept| later.0.fs_path == kept.0.fs_path);
        // Of the paths reaching one entry, keep the first that is read (a file named on
        // the command line is read whatever a walk's patterns say), else the first.
        let mut kept: HashMap<&Identity, usize> = HashMap::new();
        for (index, (entry, identity)) in paired.iter().enumerate() {
            let Some(identity) = identity else { continue };
            match kept.get(identity).and_then(|&k| paired.get(k)) {
                Some((first, _)) if first.skip.is_some() && entry.skip.is_none() => {
                    kept.insert(identity, index);
                }
                Some(_) => {}
                None => {
                    kept.insert(identity, index);
                }
            }
        }
        let keep: Vec<bool> = paired
            .iter()
            .enumerate()
            .map(|(index, (_, identity))| {
                identity
                    .as_ref()
                    .is_none_or(|id| kept.get(id) == Some(&index))
            })
            .collect();
        let entries = paired
            .into_iter()
            .zip(keep)
            .filter(|(_, keep)| *keep)
            .map(|((entry, _), _)| entry)
            .collect();
        let unmatched = |flag: &str, patterns: &[Pattern], used: &[bool]| {
            patterns
                .iter()
                .zip(used)
                .filter(|(_, used)| !**used)
                .map(|(p, _)| format!("{flag} {}", p.as_str()))
                .collect::<Vec<_>>()
        };
        let mut unmatched_patterns =
            unmatched("--exclude", &self.discovery.exclude, &self.exclude_used);
        unmatched_patterns.extend(unmatched(
            "--include",
            &self.discovery.include,
            &self.include_used,
        ));
        Discovered {
            unmatched_patterns,
            entries,
            folders_atime_not_kept: self.folders_atime_not_kept,
        }
    }
}

fn skip_for_kind(kind: EntryKind) -> Option<Skip> {
    match kind {
        EntryKind::File => None,
        EntryKind::Symlink => Some(Skip::SymlinkNotFollowed),
        kind => Some(Skip::NotRegular(kind)),
    }
}

/// A name like the temporary files reports are staged in (left behind by a run that was
/// killed, or not): not read, and counted as evidence not read.
fn skip_for_name(path: &Path) -> Option<Skip> {
    let name = path.file_name()?.to_str()?;
    (name.starts_with(TEMPORARY_PREFIX) && name.ends_with(TEMPORARY_SUFFIX))
        .then_some(Skip::TemporaryFile)
}

/// Whether `path` is one of this run's report files. Only entries whose file name matches
/// an output's are canonicalized, so this costs nothing per file in the common case.
fn is_output(path: &Path, discovery: &Discovery) -> Option<Skip> {
    let name = path.file_name()?;
    if !discovery
        .outputs
        .iter()
        .any(|o| o.file_name() == Some(name))
    {
        return None;
    }
    let canonical = path.canonicalize().ok()?;
    discovery
        .outputs
        .contains(&canonical)
        .then_some(Skip::ReportOutput)
}

/// Listing folders: the one platform-specific part of the walk.
mod fs {
    use std::ffi::OsString;
    use std::io;
    use std::path::Path;

    use super::EntryKind;

    /// One entry of a folder listing.
    pub(super) struct RawEntry {
        pub(super) name: OsString,
        pub(super) kind: EntryKind,
    }

    /// A folder's entries and identity.
    pub(super) struct Listing {
        /// The folder's device and inode.
        pub(super) identity: Option<(u64, u64)>,
        /// Whether it was opened so that its access time stays as it was.
        pub(super) atime_kept: bool,
        pub(super) entries: Vec<RawEntry>,
    }

    /// The device and inode of a file's metadata.
    #[cfg(unix)]
    #[allow(
        clippy::unnecessary_wraps,
        reason = "the same signature as where inodes are not available"
    )]
    pub(super) fn identity_of(metadata: &std::fs::Metadata) -> Option<(u64, u64)> {
        use std::os::unix::fs::MetadataExt;
        Some((metadata.dev(), metadata.ino()))
    }

    /// The device and inode of a file's metadata: not available here, so entries are told
    /// apart by path only.
    #[cfg(not(unix))]
    pub(super) fn identity_of(_: &std::fs::Metadata) -> Option<(u64, u64)> {
        None
    }

    /// The identity of the folder at `path`.
    pub(super) fn folder_identity(path: &Path) -> Option<(u64, u64)> {
        std::fs::metadata(path).ok().and_then(|m| identity_of(&m))
    }

    /// Lists a folder, opened read-only with `O_NOATIME` where permitted.
    #[cfg(unix)]
    pub(super) fn list(path: &Path) -> io::Result<Listing> {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::OpenOptionsExt;

        use rustix::fs::FileType;

        let open = |flags| {
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(flags)
                .open(path)
        };
        let base = rustix::fs::OFlags::DIRECTORY.bits() | rustix::fs::OFlags::NONBLOCK.bits();
        let noatime = rustix::fs::OFlags::NOATIME.bits();
        #[allow(
            clippy::cast_possible_wrap,
            reason = "open(2) flags are small positive bit masks"
        )]
        let (file, atime_kept) = match open((base | noatime) as i32) {
            // O_NOATIME is only allowed to the folder's owner (or with CAP_FOWNER).
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::PERM.raw_os_error()) => {
                (open(base as i32)?, false)
            }
            result => (result?, true),
        };
        let metadata = file.metadata()?;
        let identity = identity_of(&metadata);
        let dir = rustix::fs::Dir::new(file)?;
        let mut entries = Vec::new();
        for item in dir {
            let item = item?;
            let name = item.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let name = OsString::from(std::ffi::OsStr::from_bytes(name));
            let kind = match item.file_type() {
                FileType::RegularFile => EntryKind::File,
                FileType::Directory => EntryKind::Directory,
                FileType::Symlink => EntryKind::Symlink,
                FileType::Fifo => EntryKind::Fifo,
                FileType::Socket => EntryKind::Socket,
                FileType::CharacterDevice => EntryKind::CharDevice,
                FileType::BlockDevice => EntryKind::BlockDevice,
                FileType::Unknown => std::fs::symlink_metadata(path.join(&name))
                    .map_or(EntryKind::Other, |m| EntryKind::of(m.file_type())),
            };
            entries.push(RawEntry { name, kind });
        }
        Ok(Listing {
            identity,
            atime_kept,
            entries,
        })
    }

    /// Lists a folder.
    #[cfg(not(unix))]
    pub(super) fn list(path: &Path) -> io::Result<Listing> {
        let mut entries = Vec::new();
        for item in std::fs::read_dir(path)? {
            let item = item?;
            let kind = item.file_type().map_or(EntryKind::Other, EntryKind::of);
            entries.push(RawEntry {
                name: item.file_name(),
                kind,
            });
        }
        Ok(Listing {
            identity: None,
            atime_kept: true,
            entries,
        })
    }
}
