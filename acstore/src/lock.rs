//! flock(2)-based locks on files in the store. A lock file may be removed by whoever holds it
//! exclusively (gc does), so after locking we check that the path still names the locked inode
//! and retry otherwise: a lock on an unlinked file would protect nothing.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Shared (many holders) or exclusive (one holder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Many processes may hold it at once: using an image or tree, importing, rendering.
    Shared,
    /// One process alone: garbage collection, removal.
    Exclusive,
}

/// A held lock; released when dropped (or when the process dies, even by SIGKILL).
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
}

impl Lock {
    /// Waits for the lock on `path`, creating the file if needed.
    pub fn acquire(path: &Path, mode: LockMode) -> io::Result<Lock> {
        loop {
            let file = open(path)?;
            match mode {
                LockMode::Shared => file.lock_shared()?,
                LockMode::Exclusive => file.lock()?,
            }
            if still_linked(&file, path)? {
                return Ok(Lock {
                    file,
                    path: path.to_path_buf(),
                });
            }
        }
    }

    /// Takes the lock on `path` if nobody holds a conflicting one; `None` if somebody does.
    pub fn try_acquire(path: &Path, mode: LockMode) -> io::Result<Option<Lock>> {
        loop {
            let file = open(path)?;
            let r = match mode {
                LockMode::Shared => file.try_lock_shared(),
                LockMode::Exclusive => file.try_lock(),
            };
            match r {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Ok(None),
                Err(TryLockError::Error(e)) => return Err(e),
            }
            if still_linked(&file, path)? {
                return Ok(Some(Lock {
                    file,
                    path: path.to_path_buf(),
                }));
            }
        }
    }

    /// The locked file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the lock file while still holding it exclusively, so waiters retry on a new file.
    pub fn remove(self) -> io::Result<()> {
        appc::fsutil::remove_file_if_exists(&self.path)?;
        drop(self.file);
        Ok(())
    }
}

fn open(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

fn still_linked(file: &File, path: &Path) -> io::Result<bool> {
    let held = file.metadata()?;
    match std::fs::metadata(path) {
        Ok(now) => Ok(now.ino() == held.ino() && now.dev() == held.dev()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_excludes_exclusive_and_removal_is_seen() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("l");
        let a = Lock::acquire(&p, LockMode::Shared).unwrap();
        let b = Lock::try_acquire(&p, LockMode::Shared).unwrap();
        assert!(b.is_some());
        assert!(
            Lock::try_acquire(&p, LockMode::Exclusive)
                .unwrap()
                .is_none()
        );
        drop((a, b));
        let x = Lock::try_acquire(&p, LockMode::Exclusive)
            .unwrap()
            .expect("free now");
        x.remove().unwrap();
        assert!(!p.exists());
        // A fresh lock file is made on the next acquire.
        let _again = Lock::acquire(&p, LockMode::Exclusive).unwrap();
        assert!(p.exists());
    }
}
