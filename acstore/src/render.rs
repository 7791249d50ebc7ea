//! Rendering: an image's root filesystem with its dependencies applied, cached as an immutable
//! tree that acrun uses as an overlayfs lower directory.
//!
//! Per the spec, dependencies are applied depth-first in list order and then the image itself
//! (`A -> [B, C], C -> [D]` applies B, D, C, A; a diamond applies the shared image once per
//! path). Later layers overwrite earlier ones. A `pathWhitelist` filters the files of its own
//! image and everything of the images below it; a directory stays when it is listed or holds a
//! listed path, so listed files keep their real parent directories.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use appc::ImageId;
use appc::aci::{self, Entry, VisitError};
use appc::schema::ImageManifest;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};

use crate::extract::{EntryKind, EntryMeta, ExtractOptions, Extractor};
use crate::lock::{Lock, LockMode};
use crate::store::{Result, Store, StoreError, io_at};

/// A path whitelist: the listed paths and every directory above them.
#[derive(Debug)]
struct Whitelist {
    files: HashSet<PathBuf>,
    dirs: HashSet<PathBuf>,
}

impl Whitelist {
    fn new(paths: &[String]) -> Self {
        let mut files = HashSet::new();
        let mut dirs = HashSet::new();
        for p in paths {
            let rel: PathBuf = Path::new(p)
                .components()
                .filter(|c| matches!(c, std::path::Component::Normal(_)))
                .collect();
            let mut up = rel.parent();
            while let Some(d) = up.filter(|d| !d.as_os_str().is_empty()) {
                dirs.insert(d.to_path_buf());
                up = d.parent();
            }
            files.insert(rel);
        }
        Whitelist { files, dirs }
    }

    /// Whether an entry survives this whitelist as an ancestor's (dirs included).
    fn keeps(&self, path: &Path, is_dir: bool) -> bool {
        self.files.contains(path) || (is_dir && self.dirs.contains(path))
    }
}

/// One image to apply, with the whitelists that filter it.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The image.
    pub id: ImageId,
    own: Option<Arc<Whitelist>>,
    above: Vec<Arc<Whitelist>>,
}

/// What `tree.json` records of a rendered tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeInfo {
    /// The image rendered.
    pub image: ImageId,
    /// The images applied, in order.
    pub layers: Vec<ImageId>,
    /// When it was rendered, Unix seconds.
    pub rendered: i64,
}

/// A rendered tree, held (shared lock) so gc leaves it alone while the holder uses it.
#[derive(Debug)]
pub struct Tree {
    /// The cache key.
    pub key: String,
    /// The tree's root filesystem.
    pub rootfs: PathBuf,
    /// What was rendered.
    pub info: TreeInfo,
    /// Whether this call rendered it (false: it was cached).
    pub fresh: bool,
    _lock: Lock,
}

impl Store {
    /// Resolves the layers of an image: its dependencies depth-first, then itself.
    pub fn layers(&self, id: &ImageId) -> Result<Vec<Layer>> {
        let mut out = Vec::new();
        let mut path = Vec::new();
        self.collect(id, None, &[], &mut path, &mut out)?;
        Ok(out)
    }

    fn collect(
        &self,
        id: &ImageId,
        size_limit: Option<u64>,
        above: &[Arc<Whitelist>],
        path: &mut Vec<ImageId>,
        out: &mut Vec<Layer>,
    ) -> Result<()> {
        if path.contains(id) {
            let names: Vec<String> = path
                .iter()
                .chain([id])
                .map(|i| i.short().to_string())
                .collect();
            return Err(StoreError::Render(format!(
                "dependency cycle: {}",
                names.join(" -> ")
            )));
        }
        let info = self
            .info(id)?
            .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        if let Some(limit) = size_limit
            && limit > 0
            && info.record.source_size > limit
            && info.record.size > limit
        {
            return Err(StoreError::Render(format!(
                "dependency {} is {} bytes, more than the {limit} its dependent allows",
                info.record.name, info.record.source_size
            )));
        }
        let m: ImageManifest = self.manifest(id)?;
        let own =
            (!m.path_whitelist.is_empty()).then(|| Arc::new(Whitelist::new(&m.path_whitelist)));
        let mut below = above.to_vec();
        below.extend(own.clone());
        path.push(id.clone());
        for dep in &m.dependencies {
            let dep_id = match &dep.image_id {
                Some(want) => {
                    let found = self.resolve(want.as_str()).map_err(|_| {
                        StoreError::Render(format!(
                            "dependency {} ({}) is not in the store",
                            dep.image_name.as_str(),
                            want
                        ))
                    })?;
                    if !found
                        .record
                        .name
                        .eq_ignore_ascii_case(dep.image_name.as_str())
                    {
                        return Err(StoreError::Render(format!(
                            "dependency {}: image {} is named {}",
                            dep.image_name.as_str(),
                            want,
                            found.record.name
                        )));
                    }
                    found.record.id
                }
                None => {
                    let labels: BTreeMap<String, String> = dep
                        .labels
                        .0
                        .iter()
                        .map(|l| (l.name.as_str().to_string(), l.value.clone()))
                        .collect();
                    self.find_by_name(dep.image_name.as_str(), &labels)?
                        .ok_or_else(|| {
                            StoreError::Render(format!(
                                "dependency {} of {} is not in the store",
                                describe(dep.image_name.as_str(), &labels),
                                m.name.as_str()
                            ))
                        })?
                        .record
                        .id
                }
            };
            self.collect(&dep_id, Some(dep.size), &below, path, out)?;
        }
        path.pop();
        out.push(Layer {
            id: id.clone(),
            own,
            above: above.to_vec(),
        });
        Ok(())
    }

    /// The cache key of a render: covers the resolved images in the order applied.
    pub fn tree_key(layers: &[Layer]) -> String {
        let mut h = Sha512::new();
        for l in layers {
            h.update(l.id.as_str().as_bytes());
            h.update(b"\n");
        }
        hex::encode(&h.finalize()[..32])
    }

    /// Renders an image (or returns the cached render) and holds it until the `Tree` drops.
    pub fn render(&self, id: &ImageId) -> Result<Tree> {
        let store_lock = self.lock(LockMode::Shared)?;
        let layers = self.layers(id)?;
        let key = Self::tree_key(&layers);
        let tree_dir = self.layout().tree(&key);
        let lock_path = self.layout().tree_lock(&key);
        let lock = Lock::acquire(&lock_path, LockMode::Shared).map_err(io_at(&lock_path))?;
        let info_path = tree_dir.join("tree.json");
        let mut fresh = false;
        if !info_path.exists() {
            self.render_into_place(id, &layers, &tree_dir)?;
            fresh = true;
        }
        drop(store_lock);
        let info: TreeInfo =
            serde_json::from_slice(&fs::read(&info_path).map_err(io_at(&info_path))?)
                .map_err(|e| StoreError::Corrupt(format!("{}: {e}", info_path.display())))?;
        if let Ok(f) = fs::File::options().write(true).open(&info_path) {
            let _ = f.set_modified(std::time::SystemTime::now());
        }
        self.touch(id);
        Ok(Tree {
            key,
            rootfs: tree_dir.join("rootfs"),
            info,
            fresh,
            _lock: lock,
        })
    }

    fn render_into_place(&self, id: &ImageId, layers: &[Layer], tree_dir: &Path) -> Result<()> {
        let tmp_root = self.layout().tmp();
        let work = tempfile::Builder::new()
            .prefix("tree-")
            .tempdir_in(&tmp_root)
            .map_err(io_at(&tmp_root))?;
        let rootfs = work.path().join("rootfs");
        fs::create_dir(&rootfs).map_err(io_at(&rootfs))?;
        self.apply_layers(layers, &rootfs)?;
        let info = TreeInfo {
            image: id.clone(),
            layers: layers.iter().map(|l| l.id.clone()).collect(),
            rendered: appc::time::now_unix(),
        };
        let info_path = work.path().join("tree.json");
        fs::write(
            &info_path,
            serde_json::to_vec(&info).expect("tree info serializes"),
        )
        .map_err(io_at(&info_path))?;
        // Make the whole tree durable before it becomes visible (one syncfs, not an fsync per
        // file); on tmpfs it costs nothing.
        let dirfd = fs::File::open(work.path()).map_err(io_at(work.path()))?;
        rustix::fs::syncfs(&dirfd).map_err(|e| StoreError::Io {
            path: work.path().to_path_buf(),
            source: e.into(),
        })?;
        match fs::rename(work.path(), tree_dir) {
            Ok(()) => {
                let _ = work.keep();
                let trees = self.layout().trees();
                appc::fsutil::sync_dir(&trees).map_err(io_at(&trees))?;
            }
            // A concurrent render of the same key finished first; ours is dropped.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOTEMPTY) | Some(libc::EEXIST)) => {}
            Err(e) => {
                return Err(StoreError::Io {
                    path: tree_dir.to_path_buf(),
                    source: e,
                });
            }
        }
        Ok(())
    }

    /// Extracts the layers into `rootfs`, re-checking each image's hash as it streams.
    pub fn apply_layers(&self, layers: &[Layer], rootfs: &Path) -> Result<()> {
        let opts = ExtractOptions::for_current_user();
        for layer in layers {
            let mut ex =
                Extractor::new(rootfs, opts).map_err(|e| StoreError::Render(e.to_string()))?;
            let blob = self.open_blob(&layer.id)?;
            let mut visit = |e: &mut Entry<'_>| -> std::result::Result<(), VisitError> {
                apply_entry(&mut ex, layer, e)
            };
            let scanned = aci::scan(io::BufReader::with_capacity(1 << 20, blob), &mut visit)
                .map_err(|e| {
                    StoreError::Corrupt(format!("{}: stored image: {e}", layer.id.short()))
                })?;
            if scanned.id != layer.id {
                return Err(StoreError::Corrupt(format!(
                    "{}: image hash does not match expected (run acstore verify --repair)",
                    layer.id.short()
                )));
            }
            ex.finish().map_err(|e| StoreError::Render(e.to_string()))?;
        }
        Ok(())
    }

    /// Extracts an image's own rootfs (no dependencies, no whitelist) into `dest`.
    pub fn extract(&self, id: &ImageId, dest: &Path) -> Result<()> {
        let layer = Layer {
            id: id.clone(),
            own: None,
            above: Vec::new(),
        };
        self.apply_to_new_dir(id, std::slice::from_ref(&layer), dest)
    }

    /// Renders an image (dependencies applied) into `dest` instead of the tree cache.
    pub fn render_to(&self, id: &ImageId, dest: &Path) -> Result<()> {
        let layers = self.layers(id)?;
        self.apply_to_new_dir(id, &layers, dest)
    }

    /// Applies layers into `dest`, which is created if missing and must be empty.
    fn apply_to_new_dir(&self, id: &ImageId, layers: &[Layer], dest: &Path) -> Result<()> {
        let _lock = self.lock(LockMode::Shared)?;
        fs::create_dir_all(dest).map_err(io_at(dest))?;
        if fs::read_dir(dest).map_err(io_at(dest))?.next().is_some() {
            return Err(StoreError::Io {
                path: dest.to_path_buf(),
                source: io::Error::new(io::ErrorKind::AlreadyExists, "destination is not empty"),
            });
        }
        self.apply_layers(layers, dest)?;
        self.touch(id);
        Ok(())
    }
}

/// Applies one archive entry of a layer, through its whitelists.
fn apply_entry(
    ex: &mut Extractor,
    layer: &Layer,
    e: &mut Entry<'_>,
) -> std::result::Result<(), VisitError> {
    let Ok(rel) = e.path.strip_prefix("rootfs") else {
        return Ok(()); // the manifest
    };
    let is_dir = e.kind == aci::tar::EntryType::Directory;
    if rel.as_os_str().is_empty() {
        return Ok(()); // rootfs itself: the tree's root keeps the destination's metadata
    }
    if let Some(own) = &layer.own
        && !is_dir
        && !own.files.contains(rel)
    {
        return Ok(());
    }
    if !layer.above.iter().all(|w| w.keeps(rel, is_dir)) {
        return Ok(());
    }
    let kind = match e.kind {
        aci::tar::EntryType::Regular | aci::tar::EntryType::Continuous => EntryKind::File,
        aci::tar::EntryType::Directory => EntryKind::Dir,
        aci::tar::EntryType::Symlink => {
            EntryKind::Symlink(e.link_name.map(Path::to_path_buf).unwrap_or_default())
        }
        aci::tar::EntryType::Link => {
            let target = e
                .link_name
                .and_then(|t| t.strip_prefix("rootfs").ok())
                .map(Path::to_path_buf)
                .unwrap_or_default();
            EntryKind::Hardlink(target)
        }
        aci::tar::EntryType::Char | aci::tar::EntryType::Block => {
            let major = e.header.device_major().ok().flatten().unwrap_or(0);
            let minor = e.header.device_minor().ok().flatten().unwrap_or(0);
            if e.kind == aci::tar::EntryType::Char {
                EntryKind::CharDevice { major, minor }
            } else {
                EntryKind::BlockDevice { major, minor }
            }
        }
        aci::tar::EntryType::Fifo => EntryKind::Fifo,
        _ => return Ok(()),
    };
    use std::os::unix::ffi::OsStringExt;
    let meta = EntryMeta {
        path: rel.to_path_buf(),
        kind,
        mode: e.mode,
        uid: e.uid as u32,
        gid: e.gid as u32,
        mtime: e.mtime,
        xattrs: e
            .xattrs
            .iter()
            .map(|(k, v)| (std::ffi::OsString::from_vec(k.clone()), v.clone()))
            .collect(),
    };
    ex.entry(&meta, e.data)?;
    Ok(())
}

fn describe(name: &str, labels: &BTreeMap<String, String>) -> String {
    let mut s = name.to_string();
    for (k, v) in labels {
        s.push_str(&format!(",{k}={v}"));
    }
    s
}
