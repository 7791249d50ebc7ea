//! Safe extraction of untrusted archive entries into a directory.
//!
//! Every path is resolved relative to a directory file descriptor with `openat2` and
//! `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, so nothing is ever written outside the destination:
//! not through `..`, not through an absolute path, and not through a symlink that an earlier entry
//! (or an earlier layer) planted. A symlink standing where a directory is wanted is replaced, not
//! followed, as the appc spec asks of renderers. Ownership, modes, mtimes and xattrs are set
//! exactly; device nodes are made only by root; setuid/setgid bits are kept only for root.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{
    AtFlags, FileType, Mode, OFlags, ResolveFlags, Timespec, Timestamps, XattrFlags, openat2,
};
use rustix::io::Errno;

/// What kind of filesystem object an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file; its data follows.
    File,
    /// A directory.
    Dir,
    /// A symbolic link to the given target (never followed).
    Symlink(PathBuf),
    /// A hard link to an earlier entry, by its path relative to the destination.
    Hardlink(PathBuf),
    /// A character device.
    CharDevice { major: u32, minor: u32 },
    /// A block device.
    BlockDevice { major: u32, minor: u32 },
    /// A named pipe.
    Fifo,
}

/// The metadata of one entry to extract.
#[derive(Debug, Clone)]
pub struct EntryMeta {
    /// Path relative to the destination: no root, no `..`, no `.` components.
    pub path: PathBuf,
    /// What to create.
    pub kind: EntryKind,
    /// Permission bits, including setuid, setgid and sticky.
    pub mode: u32,
    /// Numeric owner.
    pub uid: u32,
    /// Numeric group.
    pub gid: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Extended attributes (from PAX `SCHILY.xattr.*` records).
    pub xattrs: Vec<(OsString, Vec<u8>)>,
}

/// Why an entry could not be extracted.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The path is absolute, empty, or has `..` or `.` components.
    #[error("{0}: unsafe path in archive")]
    UnsafePath(PathBuf),
    /// A component of the path is a symlink (or other non-directory) planted earlier.
    #[error("{0}: path goes through a symlink or non-directory; refusing to follow it")]
    ThroughSymlink(PathBuf),
    /// A hard link points at something that is not inside the destination.
    #[error("{path}: hard link target {target} is not an earlier entry inside the image")]
    BadHardlink { path: PathBuf, target: PathBuf },
    /// A system call failed.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// Extraction options; [`ExtractOptions::for_current_user`] picks what the caller may do.
#[derive(Debug, Clone, Copy)]
pub struct ExtractOptions {
    /// Set the numeric owner of every entry (needs root).
    pub same_owner: bool,
    /// Create device nodes (needs root); otherwise they are skipped.
    pub devices: bool,
    /// Keep setuid and setgid bits.
    pub keep_setid: bool,
}

impl ExtractOptions {
    /// Root keeps owners, devices and set-id bits; anyone else gets none of them.
    pub fn for_current_user() -> Self {
        let root = rustix::process::geteuid().is_root();
        ExtractOptions {
            same_owner: root,
            devices: root,
            keep_setid: root,
        }
    }
}

/// Extracts entries, one at a time, beneath a destination directory.
pub struct Extractor {
    root: OwnedFd,
    opts: ExtractOptions,
    /// Directories whose mode and mtime are set at the end, once their children are written.
    dirs: Vec<(PathBuf, u32, i64)>,
    /// The last parent directory opened, as entries of one directory come together.
    cached_parent: Option<(PathBuf, OwnedFd)>,
    /// Device entries skipped because the caller may not create them.
    pub skipped_devices: usize,
}

const BENEATH: ResolveFlags = ResolveFlags::BENEATH
    .union(ResolveFlags::NO_SYMLINKS)
    .union(ResolveFlags::NO_MAGICLINKS);

impl Extractor {
    /// Starts extracting into `dest`, which must be an existing directory.
    pub fn new(dest: &Path, opts: ExtractOptions) -> Result<Self, ExtractError> {
        let root = rustix::fs::open(
            dest,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| io_err(dest, e))?;
        Ok(Extractor {
            root,
            opts,
            dirs: Vec::new(),
            cached_parent: None,
            skipped_devices: 0,
        })
    }

    /// Extracts one entry; `data` supplies a regular file's contents.
    pub fn entry(&mut self, meta: &EntryMeta, data: &mut dyn Read) -> Result<(), ExtractError> {
        check_relative(&meta.path)?;
        let (parent_path, name) = match (meta.path.parent(), meta.path.file_name()) {
            (Some(p), Some(n)) => (p.to_path_buf(), n.to_owned()),
            _ => return Err(ExtractError::UnsafePath(meta.path.clone())),
        };
        let parent = self.parent(&parent_path, &meta.path)?;
        let name = Path::new(&name);
        let err = |e: Errno| io_err(&meta.path, e);

        let existing = rustix::fs::statat(&parent, name, AtFlags::SYMLINK_NOFOLLOW).ok();
        let existing_is_dir = existing
            .as_ref()
            .is_some_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory);
        if meta.kind == EntryKind::Dir {
            if existing.is_some() && !existing_is_dir {
                rustix::fs::unlinkat(&parent, name, AtFlags::empty()).map_err(err)?;
            }
            if !existing_is_dir {
                rustix::fs::mkdirat(&parent, name, Mode::from_raw_mode(0o700)).map_err(err)?;
            }
            let fd = rustix::fs::openat(
                &parent,
                name,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(err)?;
            self.own(fd.as_fd(), meta)?;
            self.set_xattrs(fd.as_fd(), meta)?;
            self.dirs.push((meta.path.clone(), meta.mode, meta.mtime));
            if self
                .cached_parent
                .as_ref()
                .is_some_and(|(p, _)| p.starts_with(&meta.path))
            {
                self.cached_parent = None;
            }
            return Ok(());
        }
        if existing_is_dir {
            remove_dir_all_at(&parent, name).map_err(|e| ExtractError::Io {
                path: meta.path.clone(),
                source: e,
            })?;
            if self
                .cached_parent
                .as_ref()
                .is_some_and(|(p, _)| p.starts_with(&meta.path))
            {
                self.cached_parent = None;
            }
        } else if existing.is_some() {
            rustix::fs::unlinkat(&parent, name, AtFlags::empty()).map_err(err)?;
        }

        match &meta.kind {
            EntryKind::File => {
                let fd = rustix::fs::openat(
                    &parent,
                    name,
                    OFlags::WRONLY
                        | OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::NOFOLLOW
                        | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o600),
                )
                .map_err(err)?;
                let mut file = File::from(fd);
                io::copy(data, &mut file).map_err(|e| ExtractError::Io {
                    path: meta.path.clone(),
                    source: e,
                })?;
                self.own(file.as_fd(), meta)?;
                rustix::fs::fchmod(&file, Mode::from_raw_mode(self.mode(meta.mode)))
                    .map_err(err)?;
                self.set_xattrs(file.as_fd(), meta)?;
                rustix::fs::futimens(&file, &times(meta.mtime)).map_err(err)?;
                return Ok(());
            }
            EntryKind::Symlink(target) => {
                rustix::fs::symlinkat(target.as_path(), &parent, name).map_err(err)?;
            }
            EntryKind::Hardlink(target) => {
                check_relative(target).map_err(|_| ExtractError::BadHardlink {
                    path: meta.path.clone(),
                    target: target.clone(),
                })?;
                let src = openat2(
                    &self.root,
                    target,
                    OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                    BENEATH,
                )
                .map_err(|_| ExtractError::BadHardlink {
                    path: meta.path.clone(),
                    target: target.clone(),
                })?;
                let st = rustix::fs::fstat(&src).map_err(err)?;
                if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
                    return Err(ExtractError::BadHardlink {
                        path: meta.path.clone(),
                        target: target.clone(),
                    });
                }
                // Linking an O_PATH descriptor through /proc needs no privilege, unlike AT_EMPTY_PATH.
                let proc_path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&src));
                rustix::fs::linkat(
                    rustix::fs::CWD,
                    proc_path.as_str(),
                    &parent,
                    name,
                    AtFlags::SYMLINK_FOLLOW,
                )
                .map_err(err)?;
                // A hard link shares the inode: owner, mode and times are the target's.
                return Ok(());
            }
            EntryKind::CharDevice { major, minor } | EntryKind::BlockDevice { major, minor } => {
                if !self.opts.devices {
                    self.skipped_devices += 1;
                    return Ok(());
                }
                let ft = if matches!(meta.kind, EntryKind::CharDevice { .. }) {
                    FileType::CharacterDevice
                } else {
                    FileType::BlockDevice
                };
                rustix::fs::mknodat(
                    &parent,
                    name,
                    ft,
                    Mode::from_raw_mode(0o600),
                    rustix::fs::makedev(*major, *minor),
                )
                .map_err(err)?;
            }
            EntryKind::Fifo => {
                rustix::fs::mknodat(&parent, name, FileType::Fifo, Mode::from_raw_mode(0o600), 0)
                    .map_err(err)?;
            }
            EntryKind::Dir => unreachable!("handled above"),
        }
        // Symlinks, devices and FIFOs: set metadata by name without following.
        if self.opts.same_owner {
            rustix::fs::chownat(
                &parent,
                name,
                Some(rustix::fs::Uid::from_raw(meta.uid)),
                Some(rustix::fs::Gid::from_raw(meta.gid)),
                AtFlags::SYMLINK_NOFOLLOW,
            )
            .map_err(err)?;
        }
        if !matches!(meta.kind, EntryKind::Symlink(_)) {
            // Opening a FIFO or device with O_PATH neither blocks nor touches the device.
            let fd = rustix::fs::openat(
                &parent,
                name,
                OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(err)?;
            let proc_path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&fd));
            rustix::fs::chmod(
                proc_path.as_str(),
                Mode::from_raw_mode(self.mode(meta.mode)),
            )
            .map_err(err)?;
        }
        rustix::fs::utimensat(&parent, name, &times(meta.mtime), AtFlags::SYMLINK_NOFOLLOW)
            .map_err(err)?;
        Ok(())
    }

    /// Sets the modes and mtimes of the directories, deepest first, and closes the extraction.
    pub fn finish(mut self) -> Result<(), ExtractError> {
        self.cached_parent = None;
        // Deepest first; of duplicate entries for one directory the last one wins (reversing
        // before the stable sort puts it first among its equals, where dedup keeps it).
        self.dirs.reverse();
        self.dirs.sort_by(|a, b| b.0.cmp(&a.0));
        self.dirs.dedup_by(|a, b| a.0 == b.0);
        for (path, mode, mtime) in std::mem::take(&mut self.dirs) {
            let fd = match openat2(
                &self.root,
                &path,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
                BENEATH,
            ) {
                Ok(fd) => fd,
                // A later entry replaced the directory (or one above it) with something else.
                Err(Errno::NOTDIR) | Err(Errno::NOENT) | Err(Errno::LOOP) => continue,
                Err(e) => return Err(io_err(&path, e)),
            };
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(self.mode(mode)))
                .map_err(|e| io_err(&path, e))?;
            rustix::fs::futimens(&fd, &times(mtime)).map_err(|e| io_err(&path, e))?;
        }
        Ok(())
    }

    fn mode(&self, mode: u32) -> u32 {
        if self.opts.keep_setid {
            mode & 0o7777
        } else {
            mode & 0o1777
        }
    }

    fn own(&self, fd: BorrowedFd<'_>, meta: &EntryMeta) -> Result<(), ExtractError> {
        if self.opts.same_owner {
            rustix::fs::fchown(
                fd,
                Some(rustix::fs::Uid::from_raw(meta.uid)),
                Some(rustix::fs::Gid::from_raw(meta.gid)),
            )
            .map_err(|e| io_err(&meta.path, e))?;
        }
        Ok(())
    }

    fn set_xattrs(&self, fd: BorrowedFd<'_>, meta: &EntryMeta) -> Result<(), ExtractError> {
        for (name, value) in &meta.xattrs {
            match rustix::fs::fsetxattr(fd, name.as_bytes(), value, XattrFlags::empty()) {
                Ok(()) => {}
                // Filesystems without xattr support, or namespaces we may not write
                // (trusted.* as non-root), are not a reason to fail the whole image.
                Err(Errno::OPNOTSUPP) | Err(Errno::PERM) if !self.opts.same_owner => {}
                Err(Errno::OPNOTSUPP) => {}
                Err(e) => return Err(io_err(&meta.path, e)),
            }
        }
        Ok(())
    }

    /// Opens (creating missing directories) the parent directory of an entry, never following
    /// a symlink.
    fn parent(&mut self, parent: &Path, entry: &Path) -> Result<OwnedFd, ExtractError> {
        if parent.as_os_str().is_empty() {
            return rustix::io::dup(&self.root).map_err(|e| io_err(entry, e));
        }
        if let Some((p, fd)) = &self.cached_parent
            && p == parent
        {
            return rustix::io::dup(fd).map_err(|e| io_err(entry, e));
        }
        let fd = match openat2(
            &self.root,
            parent,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
            BENEATH,
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => self.make_parents(parent, entry)?,
            Err(Errno::LOOP) | Err(Errno::NOTDIR) | Err(Errno::XDEV) => {
                return Err(ExtractError::ThroughSymlink(entry.to_path_buf()));
            }
            Err(e) => return Err(io_err(entry, e)),
        };
        let dup = rustix::io::dup(&fd).map_err(|e| io_err(entry, e))?;
        self.cached_parent = Some((parent.to_path_buf(), fd));
        Ok(dup)
    }

    /// Creates the missing directories of `parent` one component at a time (mode 0755, like
    /// tar does for directories an archive does not list).
    fn make_parents(&mut self, parent: &Path, entry: &Path) -> Result<OwnedFd, ExtractError> {
        let mut fd = rustix::io::dup(&self.root).map_err(|e| io_err(entry, e))?;
        for comp in parent.components() {
            let Component::Normal(c) = comp else {
                return Err(ExtractError::UnsafePath(entry.to_path_buf()));
            };
            match rustix::fs::mkdirat(&fd, c, Mode::from_raw_mode(0o755)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(io_err(entry, e)),
            }
            fd = match openat2(
                &fd,
                c,
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
                BENEATH,
            ) {
                Ok(fd) => fd,
                Err(Errno::LOOP) | Err(Errno::NOTDIR) => {
                    return Err(ExtractError::ThroughSymlink(entry.to_path_buf()));
                }
                Err(e) => return Err(io_err(entry, e)),
            };
        }
        Ok(fd)
    }
}

/// Refuses absolute paths and `..`/`.` components.
fn check_relative(p: &Path) -> Result<(), ExtractError> {
    if p.as_os_str().is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(ExtractError::UnsafePath(p.to_path_buf()));
    }
    Ok(())
}

/// Removes a directory tree below `parent` without following symlinks.
fn remove_dir_all_at(parent: &OwnedFd, name: &Path) -> io::Result<()> {
    // std's remove_dir_all is symlink-race-safe (it walks with openat/unlinkat); reach the
    // directory through the parent's descriptor so no path outside is ever resolved.
    let p = PathBuf::from(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(parent)
    ))
    .join(name);
    std::fs::remove_dir_all(p)
}

fn times(mtime: i64) -> Timestamps {
    let t = Timespec {
        tv_sec: mtime,
        tv_nsec: 0,
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

fn io_err(path: &Path, e: Errno) -> ExtractError {
    ExtractError::Io {
        path: path.to_path_buf(),
        source: e.into(),
    }
}

/// Reads an entry's metadata from a tar entry whose path has already been made relative to the
/// destination (`rel`) and whose hard-link target likewise (`link_rel`).
pub fn meta_from_tar<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    rel: PathBuf,
    link_rel: Option<PathBuf>,
) -> Result<Option<EntryMeta>, ExtractError> {
    let h = entry.header();
    let ioe = |e: io::Error| ExtractError::Io {
        path: rel.clone(),
        source: e,
    };
    let kind = match h.entry_type() {
        tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
        tar::EntryType::Directory => EntryKind::Dir,
        tar::EntryType::Symlink => {
            let t = entry
                .link_name()
                .map_err(ioe)?
                .ok_or_else(|| ExtractError::UnsafePath(rel.clone()))?;
            EntryKind::Symlink(t.into_owned())
        }
        tar::EntryType::Link => {
            let t = link_rel.ok_or_else(|| ExtractError::BadHardlink {
                path: rel.clone(),
                target: PathBuf::new(),
            })?;
            EntryKind::Hardlink(t)
        }
        tar::EntryType::Char | tar::EntryType::Block => {
            let major = h.device_major().map_err(ioe)?.unwrap_or(0);
            let minor = h.device_minor().map_err(ioe)?.unwrap_or(0);
            if h.entry_type() == tar::EntryType::Char {
                EntryKind::CharDevice { major, minor }
            } else {
                EntryKind::BlockDevice { major, minor }
            }
        }
        tar::EntryType::Fifo => EntryKind::Fifo,
        // PAX and GNU long-name headers are consumed by the tar reader; anything else
        // (sockets are never archived, sparse files are not written by image builders) is
        // skipped rather than guessed at.
        _ => return Ok(None),
    };
    let (mode, uid, gid, mtime) = (
        h.mode().map_err(ioe)?,
        h.uid().map_err(ioe)?,
        h.gid().map_err(ioe)?,
        h.mtime().map_err(ioe)?,
    );
    let mut xattrs = Vec::new();
    if let Some(exts) = entry.pax_extensions().map_err(ioe)? {
        for ext in exts {
            let ext = ext.map_err(ioe)?;
            if let Some(name) = ext.key_bytes().strip_prefix(b"SCHILY.xattr.") {
                xattrs.push((
                    OsString::from(std::ffi::OsStr::from_bytes(name)),
                    ext.value_bytes().to_vec(),
                ));
            }
        }
    }
    Ok(Some(EntryMeta {
        path: rel,
        kind,
        mode,
        uid: uid as u32,
        gid: gid as u32,
        mtime: mtime as i64,
        xattrs,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn meta(path: &str, kind: EntryKind, mode: u32) -> EntryMeta {
        EntryMeta {
            path: PathBuf::from(path),
            kind,
            mode,
            uid: 0,
            gid: 0,
            mtime: 1_000_000,
            xattrs: vec![],
        }
    }

    fn ex(dest: &Path) -> Extractor {
        Extractor::new(dest, ExtractOptions::for_current_user()).unwrap()
    }

    #[test]
    fn files_dirs_links_and_metadata() {
        let d = tempfile::tempdir().unwrap();
        let mut x = ex(d.path());
        x.entry(&meta("etc", EntryKind::Dir, 0o755), &mut io::empty())
            .unwrap();
        x.entry(
            &meta("etc/passwd", EntryKind::File, 0o644),
            &mut &b"root:x:0:0::/:/bin/sh\n"[..],
        )
        .unwrap();
        x.entry(
            &meta("etc/link", EntryKind::Hardlink("etc/passwd".into()), 0),
            &mut io::empty(),
        )
        .unwrap();
        x.entry(
            &meta("etc/sym", EntryKind::Symlink("/nowhere".into()), 0o777),
            &mut io::empty(),
        )
        .unwrap();
        x.entry(
            &meta("deep/er/file", EntryKind::File, 0o600),
            &mut &b"x"[..],
        )
        .unwrap();
        x.entry(&meta("ro", EntryKind::Dir, 0o555), &mut io::empty())
            .unwrap();
        x.entry(&meta("ro/f", EntryKind::File, 0o4755), &mut &b"x"[..])
            .unwrap();
        x.finish().unwrap();
        let p = d.path();
        assert_eq!(
            fs::read_to_string(p.join("etc/passwd")).unwrap(),
            "root:x:0:0::/:/bin/sh\n"
        );
        assert_eq!(
            fs::metadata(p.join("etc/link")).unwrap().ino(),
            fs::metadata(p.join("etc/passwd")).unwrap().ino()
        );
        assert_eq!(
            fs::read_link(p.join("etc/sym")).unwrap(),
            Path::new("/nowhere")
        );
        assert_eq!(
            fs::metadata(p.join("ro")).unwrap().permissions().mode() & 0o7777,
            0o555
        );
        assert_eq!(
            fs::metadata(p.join("etc/passwd")).unwrap().mtime(),
            1_000_000
        );
        assert_eq!(fs::metadata(p.join("etc")).unwrap().mtime(), 1_000_000);
        let setid = fs::metadata(p.join("ro/f")).unwrap().permissions().mode() & 0o7777;
        let root = rustix::process::geteuid().is_root();
        assert_eq!(setid, if root { 0o4755 } else { 0o755 });
    }

    #[test]
    fn symlink_planted_earlier_is_never_followed() {
        let outside = tempfile::tempdir().unwrap();
        let d = tempfile::tempdir().unwrap();
        let mut x = ex(d.path());
        x.entry(
            &meta(
                "evil",
                EntryKind::Symlink(outside.path().to_path_buf()),
                0o777,
            ),
            &mut io::empty(),
        )
        .unwrap();
        let e = x
            .entry(&meta("evil/pwned", EntryKind::File, 0o644), &mut &b"x"[..])
            .unwrap_err();
        assert!(matches!(e, ExtractError::ThroughSymlink(_)), "{e}");
        let e = x
            .entry(&meta("evil/a/b", EntryKind::File, 0o644), &mut &b"x"[..])
            .unwrap_err();
        assert!(matches!(e, ExtractError::ThroughSymlink(_)), "{e}");
        assert_eq!(
            fs::read_dir(outside.path()).unwrap().count(),
            0,
            "wrote outside the destination"
        );
        // A relative symlink climbing out is refused the same way.
        x.entry(
            &meta("up", EntryKind::Symlink("../../../..".into()), 0o777),
            &mut io::empty(),
        )
        .unwrap();
        assert!(
            x.entry(&meta("up/tmp/x", EntryKind::File, 0o644), &mut &b"x"[..])
                .is_err()
        );
    }

    #[test]
    fn unsafe_paths_and_escaping_hardlinks_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let mut x = ex(d.path());
        for p in ["/etc/passwd", "../x", "a/../../x", "", "./a"] {
            let e = x.entry(&meta(p, EntryKind::File, 0o644), &mut io::empty());
            assert!(matches!(e, Err(ExtractError::UnsafePath(_))), "{p}: {e:?}");
        }
        for t in ["../../etc/passwd", "/etc/passwd", "missing"] {
            let e = x.entry(
                &meta("l", EntryKind::Hardlink(t.into()), 0),
                &mut io::empty(),
            );
            assert!(
                matches!(e, Err(ExtractError::BadHardlink { .. })),
                "{t}: {e:?}"
            );
        }
        x.entry(
            &meta("s", EntryKind::Symlink("/etc/passwd".into()), 0o777),
            &mut io::empty(),
        )
        .unwrap();
        // Linking to the symlink links the symlink itself, never what it points at.
        x.entry(
            &meta("l2", EntryKind::Hardlink("s".into()), 0),
            &mut io::empty(),
        )
        .unwrap();
        assert!(
            fs::symlink_metadata(d.path().join("l2"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn later_entries_replace_earlier_ones() {
        let d = tempfile::tempdir().unwrap();
        let mut x = ex(d.path());
        // A symlink to a directory in the way of a directory is replaced, not followed.
        x.entry(&meta("target", EntryKind::Dir, 0o755), &mut io::empty())
            .unwrap();
        x.entry(
            &meta("lib", EntryKind::Symlink("target".into()), 0o777),
            &mut io::empty(),
        )
        .unwrap();
        x.entry(&meta("lib", EntryKind::Dir, 0o755), &mut io::empty())
            .unwrap();
        x.entry(&meta("lib/f", EntryKind::File, 0o644), &mut &b"x"[..])
            .unwrap();
        assert!(
            fs::read_dir(d.path().join("target"))
                .unwrap()
                .next()
                .is_none()
        );
        // A file over a directory replaces the whole directory.
        x.entry(&meta("lib", EntryKind::File, 0o644), &mut &b"file"[..])
            .unwrap();
        x.entry(&meta("f", EntryKind::File, 0o644), &mut &b"1"[..])
            .unwrap();
        x.entry(&meta("f", EntryKind::File, 0o600), &mut &b"2"[..])
            .unwrap();
        x.finish().unwrap();
        assert_eq!(fs::read_to_string(d.path().join("lib")).unwrap(), "file");
        assert_eq!(fs::read_to_string(d.path().join("f")).unwrap(), "2");
    }

    #[test]
    fn xattrs_are_set() {
        let d = tempfile::tempdir().unwrap();
        let mut x = ex(d.path());
        let mut m = meta("f", EntryKind::File, 0o644);
        m.xattrs = vec![(OsString::from("user.appc.test"), b"v\0alue".to_vec())];
        x.entry(&m, &mut &b"x"[..]).unwrap();
        x.finish().unwrap();
        let mut buf = vec![0u8; 64];
        match rustix::fs::getxattr(d.path().join("f").as_path(), "user.appc.test", &mut buf) {
            Ok(n) => assert_eq!(&buf[..n], b"v\0alue"),
            // A filesystem without user xattrs: extraction skipped it, as documented.
            Err(Errno::OPNOTSUPP) => {}
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn fifos_and_devices() {
        let d = tempfile::tempdir().unwrap();
        let mut x = ex(d.path());
        x.entry(&meta("fifo", EntryKind::Fifo, 0o640), &mut io::empty())
            .unwrap();
        x.entry(
            &meta("null", EntryKind::CharDevice { major: 1, minor: 3 }, 0o666),
            &mut io::empty(),
        )
        .unwrap();
        let root = rustix::process::geteuid().is_root();
        assert_eq!(x.skipped_devices, usize::from(!root));
        x.finish().unwrap();
        use std::os::unix::fs::FileTypeExt;
        let ft = fs::symlink_metadata(d.path().join("fifo")).unwrap();
        assert!(ft.file_type().is_fifo());
        assert_eq!(ft.permissions().mode() & 0o777, 0o640);
        if root {
            let m = fs::symlink_metadata(d.path().join("null")).unwrap();
            assert!(m.file_type().is_char_device());
            assert_eq!(m.rdev(), rustix::fs::makedev(1, 3));
        }
    }
}
