//! Crash-safe file writes shared by the tools: write a temp file in the target's directory,
//! fsync it, rename it over the target, fsync the directory. A reader sees the old file or the
//! new one, never a half-written one, even after `kill -9` or a power cut.

use std::fs::{self, File};
use std::io::{self, Write};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A file being written that becomes visible at `target` only on [`AtomicFile::commit`];
/// dropped without commit, it leaves nothing behind.
#[derive(Debug)]
pub struct AtomicFile {
    tmp: NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts writing `target` (its directory must exist).
    pub fn new(target: impl AsRef<Path>) -> io::Result<Self> {
        let target = target.as_ref().to_path_buf();
        let dir = parent_dir(&target);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)?;
        Ok(AtomicFile { tmp, target })
    }

    /// Makes the file durable and visible at the target, replacing what was there.
    pub fn commit(self) -> io::Result<()> {
        self.tmp.as_file().sync_all()?;
        self.tmp.persist(&self.target).map_err(|e| e.error)?;
        sync_dir(parent_dir(&self.target))
    }

    /// Like [`AtomicFile::commit`] but fails with `AlreadyExists` instead of replacing a file.
    pub fn commit_new(self) -> io::Result<()> {
        self.tmp.as_file().sync_all()?;
        self.tmp
            .persist_noclobber(&self.target)
            .map_err(|e| e.error)?;
        sync_dir(parent_dir(&self.target))
    }

    /// The path the file will have once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }
}

impl Deref for AtomicFile {
    type Target = File;
    fn deref(&self) -> &File {
        self.tmp.as_file()
    }
}

impl DerefMut for AtomicFile {
    fn deref_mut(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tmp.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.tmp.flush()
    }
}

/// Writes `data` to `target` atomically (see the module docs).
pub fn atomic_write(target: impl AsRef<Path>, data: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::new(target)?;
    f.write_all(data)?;
    f.commit()
}

/// fsyncs a directory, so a rename or unlink in it survives a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Removes a file, treating "already gone" as success.
pub fn remove_file_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Standard input as a `File` (a duplicate of fd 0): unbuffered, unlocked and `Send`, for
/// streaming images through pipes in large chunks.
pub fn stdin_file() -> io::Result<File> {
    use std::os::fd::AsFd;
    Ok(File::from(io::stdin().as_fd().try_clone_to_owned()?))
}

/// Standard output as a `File` (a duplicate of fd 1); see [`stdin_file`]. Unlike `io::stdout`
/// it does not flush at every newline, which binary data is full of.
pub fn stdout_file() -> io::Result<File> {
    use std::os::fd::AsFd;
    Ok(File::from(io::stdout().as_fd().try_clone_to_owned()?))
}

fn parent_dir(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_and_drop_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let t = d.path().join("f.json");
        atomic_write(&t, b"one").unwrap();
        {
            let mut f = AtomicFile::new(&t).unwrap();
            f.write_all(b"half").unwrap();
            // dropped without commit
        }
        assert_eq!(fs::read(&t).unwrap(), b"one");
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "temp file left behind"
        );
        atomic_write(&t, b"two").unwrap();
        assert_eq!(fs::read(&t).unwrap(), b"two");
        let mut f = AtomicFile::new(&t).unwrap();
        f.write_all(b"three").unwrap();
        assert_eq!(
            f.commit_new().unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(fs::read(&t).unwrap(), b"two");
    }
}
