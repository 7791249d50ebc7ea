//! Garbage collection and verification.
//!
//! gc holds the store lock exclusively, so no import, render or removal is half-way through
//! while it runs; what those left in `tmp/` after a crash is debris and goes. Trees are removed
//! only when their lock can be taken exclusively, so a pod holding its tree (shared) keeps it,
//! and so do the images that tree was rendered from.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read};
use std::path::Path;

use appc::ImageId;
use serde::Serialize;
use sha2::{Digest, Sha512};

use crate::lock::{Lock, LockMode};
use crate::render::TreeInfo;
use crate::store::{Result, Store, io_at};

/// What gc removed.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GcReport {
    /// Images removed (unused for longer than the grace period).
    pub images: Vec<ImageId>,
    /// Rendered trees removed.
    pub trees: Vec<String>,
    /// Leftovers of interrupted work, orphan blobs and stale locks.
    pub debris: usize,
}

/// What verify found.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// Images checked.
    pub checked: usize,
    /// Problems, one line each.
    pub problems: Vec<String>,
    /// Objects removed by `--repair`.
    pub repaired: usize,
}

impl Store {
    /// Removes trees and images unused for `grace_secs`, and all debris.
    pub fn gc(&self, grace_secs: i64) -> Result<GcReport> {
        let _lock = self.lock(LockMode::Exclusive)?;
        let now = appc::time::now_unix();
        let mut report = GcReport::default();
        let layout = self.layout().clone();

        let tmp = layout.tmp();
        for e in fs::read_dir(&tmp).map_err(io_at(&tmp))? {
            let p = e.map_err(io_at(&tmp))?.path();
            remove_any(&p).map_err(io_at(&p))?;
            report.debris += 1;
        }

        let images: Vec<_> = self.list()?;
        let live: HashSet<ImageId> = images.iter().map(|i| i.record.id.clone()).collect();
        let mut in_use: HashSet<ImageId> = HashSet::new();
        let trees = layout.trees();
        for e in fs::read_dir(&trees).map_err(io_at(&trees))? {
            let e = e.map_err(io_at(&trees))?;
            let key = e.file_name().to_string_lossy().into_owned();
            let dir = e.path();
            let info_path = dir.join("tree.json");
            let info: Option<TreeInfo> = fs::read(&info_path)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            let lock_path = layout.tree_lock(&key);
            let Some(lock) =
                Lock::try_acquire(&lock_path, LockMode::Exclusive).map_err(io_at(&lock_path))?
            else {
                in_use.extend(info.into_iter().flat_map(|i| i.layers));
                continue;
            };
            let used = fs::metadata(&info_path)
                .and_then(|m| m.modified())
                .map(appc::time::unix_seconds)
                .unwrap_or(0);
            let orphan = info
                .as_ref()
                .is_none_or(|i| !i.layers.iter().all(|l| live.contains(l)));
            if orphan || now - used >= grace_secs {
                remove_any(&dir).map_err(io_at(&dir))?;
                lock.remove().map_err(io_at(&lock_path))?;
                report.trees.push(key);
            } else {
                in_use.extend(info.into_iter().flat_map(|i| i.layers));
            }
        }

        for info in &images {
            let id = &info.record.id;
            if in_use.contains(id) || now - info.last_used < grace_secs {
                continue;
            }
            let lock_path = layout.image_lock(id);
            let Some(lock) =
                Lock::try_acquire(&lock_path, LockMode::Exclusive).map_err(io_at(&lock_path))?
            else {
                continue;
            };
            self.remove_unlocked(id)?;
            lock.remove().map_err(io_at(&lock_path))?;
            report.images.push(id.clone());
        }

        // Blobs without a record: an import that died between its two renames.
        let blobs = layout.blobs();
        for sub in fs::read_dir(&blobs).map_err(io_at(&blobs))? {
            let sub = sub.map_err(io_at(&blobs))?.path();
            for b in fs::read_dir(&sub).map_err(io_at(&sub))? {
                let b = b.map_err(io_at(&sub))?.path();
                let name = b
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                let known = ImageId::parse_full(&format!("sha512-{name}"))
                    .is_ok_and(|id| layout.record(&id).exists());
                if !known {
                    remove_any(&b).map_err(io_at(&b))?;
                    report.debris += 1;
                }
            }
        }

        // Locks of objects that no longer exist (nobody can be holding them: we could lock).
        let locks = layout.locks();
        for e in fs::read_dir(&locks).map_err(io_at(&locks))? {
            let p = e.map_err(io_at(&locks))?.path();
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let exists = if let Some(key) = name.strip_prefix("tree-") {
                layout.tree(key).exists()
            } else if let Some(hex) = name.strip_prefix("image-") {
                layout.images().join(hex).exists()
            } else {
                true
            };
            if !exists
                && let Some(l) = Lock::try_acquire(&p, LockMode::Exclusive).map_err(io_at(&p))?
            {
                l.remove().map_err(io_at(&p))?;
                report.debris += 1;
            }
        }
        Ok(report)
    }

    /// Removes an image while the caller holds the store lock.
    fn remove_unlocked(&self, id: &ImageId) -> Result<()> {
        let dir = self.layout().image_dir(id);
        remove_any(&dir).map_err(io_at(&dir))?;
        let blob = self.layout().blob(id);
        appc::fsutil::remove_file_if_exists(&blob).map_err(io_at(&blob))
    }

    /// Re-hashes the blobs of `ids` (all images when empty), checks records and manifests, and
    /// re-renders each unlocked tree to compare it with what is on disk. With `repair`, damaged
    /// images and trees are removed.
    pub fn verify(&self, ids: &[ImageId], repair: bool) -> Result<VerifyReport> {
        let _lock = self.lock(if repair {
            LockMode::Exclusive
        } else {
            LockMode::Shared
        })?;
        let mut report = VerifyReport::default();
        let targets: Vec<ImageId> = if ids.is_empty() {
            self.list()?.into_iter().map(|i| i.record.id).collect()
        } else {
            ids.to_vec()
        };
        let mut damaged = HashSet::new();
        for id in &targets {
            report.checked += 1;
            if let Err(problem) = self.check_image(id) {
                report.problems.push(format!("{}: {problem}", id.short()));
                damaged.insert(id.clone());
                if repair {
                    self.remove_unlocked(id)?;
                    report.repaired += 1;
                }
            }
        }
        let trees = self.layout().trees();
        for e in fs::read_dir(&trees).map_err(io_at(&trees))? {
            let e = e.map_err(io_at(&trees))?;
            let key = e.file_name().to_string_lossy().into_owned();
            let info_path = e.path().join("tree.json");
            let Some(info) = fs::read(&info_path)
                .ok()
                .and_then(|b| serde_json::from_slice::<TreeInfo>(&b).ok())
            else {
                report
                    .problems
                    .push(format!("tree {key}: missing or unreadable tree.json"));
                if repair {
                    remove_any(&e.path()).map_err(io_at(&e.path()))?;
                    report.repaired += 1;
                }
                continue;
            };
            if !ids.is_empty() && !info.layers.iter().any(|l| targets.contains(l)) {
                continue;
            }
            let problem = if info.layers.iter().any(|l| damaged.contains(l)) {
                Some("rendered from a damaged image".to_string())
            } else {
                self.check_tree(&key, &info)?
            };
            if let Some(problem) = problem {
                report.problems.push(format!("tree {key}: {problem}"));
                let lock_path = self.layout().tree_lock(&key);
                if repair
                    && let Some(l) = Lock::try_acquire(&lock_path, LockMode::Exclusive)
                        .map_err(io_at(&lock_path))?
                {
                    remove_any(&e.path()).map_err(io_at(&e.path()))?;
                    l.remove().map_err(io_at(&lock_path))?;
                    report.repaired += 1;
                }
            }
        }
        Ok(report)
    }

    fn check_image(&self, id: &ImageId) -> std::result::Result<(), String> {
        let info = self
            .info(id)
            .map_err(|e| e.to_string())?
            .ok_or("record missing")?;
        if &info.record.id != id {
            return Err(format!("record names {}", info.record.id));
        }
        self.manifest(id).map_err(|e| e.to_string())?;
        let mut blob = self.open_blob(id).map_err(|e| e.to_string())?;
        let mut h = Sha512::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut n = 0u64;
        loop {
            match blob.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => {
                    h.update(&buf[..k]);
                    n += k as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        let digest: [u8; 64] = h.finalize().into();
        if &ImageId::from_digest(&digest) != id {
            return Err("blob does not hash to its image ID".into());
        }
        if n != info.record.size {
            return Err(format!(
                "blob is {n} bytes, the record says {}",
                info.record.size
            ));
        }
        Ok(())
    }

    /// Re-renders a tree into tmp/ and compares the two. `None` when they agree.
    fn check_tree(&self, key: &str, info: &TreeInfo) -> Result<Option<String>> {
        let layers = match self.layers(&info.image) {
            Ok(l) => l,
            Err(e) => return Ok(Some(format!("cannot resolve its image any more: {e}"))),
        };
        if Store::tree_key(&layers) != key {
            return Ok(Some("its image now resolves to other layers".into()));
        }
        let tmp_root = self.layout().tmp();
        let work = tempfile::Builder::new()
            .prefix("verify-")
            .tempdir_in(&tmp_root)
            .map_err(io_at(&tmp_root))?;
        let fresh = work.path().join("rootfs");
        fs::create_dir(&fresh).map_err(io_at(&fresh))?;
        self.apply_layers(&layers, &fresh)?;
        let stored = self.layout().tree(key).join("rootfs");
        Ok(compare_trees(&fresh, &stored).err())
    }
}

/// Compares two trees: the same names, types, modes, owners, link targets and file contents.
fn compare_trees(a: &Path, b: &Path) -> std::result::Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let mut ea: Vec<_> = fs::read_dir(a)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    let mut eb: Vec<_> = fs::read_dir(b)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    ea.sort();
    eb.sort();
    if ea != eb {
        let missing: Vec<_> = ea.iter().filter(|n| !eb.contains(n)).collect();
        let extra: Vec<_> = eb.iter().filter(|n| !ea.contains(n)).collect();
        return Err(format!(
            "{}: missing {missing:?}, unexpected {extra:?}",
            b.display()
        ));
    }
    for name in ea {
        let (pa, pb) = (a.join(&name), b.join(&name));
        let (ma, mb) = (
            fs::symlink_metadata(&pa).map_err(|e| e.to_string())?,
            fs::symlink_metadata(&pb).map_err(|e| e.to_string())?,
        );
        if ma.mode() != mb.mode() || ma.uid() != mb.uid() || ma.gid() != mb.gid() {
            return Err(format!("{}: type, mode or owner changed", pb.display()));
        }
        if ma.file_type().is_symlink() {
            if fs::read_link(&pa).ok() != fs::read_link(&pb).ok() {
                return Err(format!("{}: symlink target changed", pb.display()));
            }
        } else if ma.is_dir() {
            compare_trees(&pa, &pb)?;
        } else if ma.is_file() && (ma.len() != mb.len() || !same_content(&pa, &pb)) {
            return Err(format!("{}: content changed", pb.display()));
        }
    }
    Ok(())
}

fn same_content(a: &Path, b: &Path) -> bool {
    let (Ok(mut fa), Ok(mut fb)) = (fs::File::open(a), fs::File::open(b)) else {
        return false;
    };
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let Ok(n) = read_full(&mut fa, &mut ba) else {
            return false;
        };
        let Ok(m) = read_full(&mut fb, &mut bb) else {
            return false;
        };
        if n != m || ba[..n] != bb[..m] {
            return false;
        }
        if n == 0 {
            return true;
        }
    }
}

fn read_full(f: &mut fs::File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Removes a file or a whole directory tree.
fn remove_any(p: &Path) -> io::Result<()> {
    match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => {
            // Read-only directories in a rendered tree would stop the removal of their children.
            make_writable(p);
            fs::remove_dir_all(p)
        }
        Ok(_) => fs::remove_file(p),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn make_writable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if rustix::process::geteuid().is_root() {
        return; // root ignores directory permissions
    }
    let mut stack = vec![p.to_path_buf()];
    while let Some(d) = stack.pop() {
        let _ = fs::set_permissions(&d, fs::Permissions::from_mode(0o700));
        if let Ok(rd) = fs::read_dir(&d) {
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(e.path());
                }
            }
        }
    }
}
