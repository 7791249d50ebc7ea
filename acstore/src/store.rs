//! The store: importing, finding, listing, exporting and removing images.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use appc::ImageId;
use appc::aci::{self, AciError};
use appc::schema::ImageManifest;

use crate::layout::Layout;
use crate::lock::{Lock, LockMode};
use crate::record::{ImageInfo, ImageRecord};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An I/O error on a path of the store (or an input).
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// The image is not a valid ACI.
    #[error(transparent)]
    Aci(#[from] AciError),
    /// The image's manifest is invalid.
    #[error("manifest: {0}")]
    Manifest(String),
    /// The decompressed image is larger than the limit the caller set.
    #[error("image is larger than the limit of {0} bytes")]
    TooLarge(u64),
    /// Nothing in the store matches.
    #[error("{0}: no such image in the store")]
    NotFound(String),
    /// More than one image matches an ID prefix.
    #[error("{reference}: ambiguous, matches {}", .candidates.join(", "))]
    Ambiguous {
        reference: String,
        candidates: Vec<String>,
    },
    /// A reference that is neither an ID nor a valid app string.
    #[error("{reference}: {reason}")]
    BadReference { reference: String, reason: String },
    /// A stored object is damaged.
    #[error("{0}")]
    Corrupt(String),
    /// Rendering failed.
    #[error("{0}")]
    Render(String),
}

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Wraps an I/O error with the path it happened on.
pub(crate) fn io_at(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An open store directory.
#[derive(Debug, Clone)]
pub struct Store {
    layout: Layout,
}

/// Options of an import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Refuse images whose decompressed tar exceeds this many bytes (decompression bombs).
    pub max_size: Option<u64>,
    /// Recorded as where the image came from.
    pub source: Option<String>,
}

/// The result of an import.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The image as stored.
    pub info: ImageInfo,
    /// Whether it was new (false: it was already stored and nothing was written).
    pub new: bool,
}

impl Store {
    /// Opens (creating if needed) the store at `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Store> {
        let layout = Layout::new(root);
        for d in layout.dirs() {
            fs::create_dir_all(&d).map_err(io_at(&d))?;
        }
        Ok(Store { layout })
    }

    /// The paths of this store.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Takes the store-wide lock.
    pub(crate) fn lock(&self, mode: LockMode) -> Result<Lock> {
        let p = self.layout.lock();
        Lock::acquire(&p, mode).map_err(io_at(&p))
    }

    /// Imports an ACI (any compression) from `input` in one pass: decompress, hash, validate
    /// and write the blob together. An image already present is not written again.
    pub fn import(&self, input: impl Read + Send, opts: &ImportOptions) -> Result<Imported> {
        let _lock = self.lock(LockMode::Shared)?;
        let tmp_dir = self.layout.tmp();
        let tmp = tempfile::Builder::new()
            .prefix("blob-")
            .tempfile_in(&tmp_dir)
            .map_err(io_at(&tmp_dir))?;
        let tmp_path = tmp.path().to_path_buf();
        let mut counted = Counting { inner: input, n: 0 };
        let (_, decoder) = aci::decompress(&mut counted)?;
        let file = tmp.as_file().try_clone().map_err(io_at(&tmp_path))?;
        let mut tee = Tee {
            inner: decoder,
            out: BufWriter::with_capacity(1 << 20, file),
            n: 0,
            max: opts.max_size,
            error: None,
            path: tmp_path.clone(),
        };
        let mut links = SymlinkGuard::default();
        let scanned = aci::scan(&mut tee, &mut |e: &mut aci::Entry<'_>| links.check(e));
        if let Some(e) = tee.error.take() {
            return Err(e);
        }
        let scanned = scanned?;
        tee.out.flush().map_err(io_at(&tmp_path))?;
        drop(tee);
        let source_size = counted.n;
        let manifest = ImageManifest::from_slice(&scanned.manifest)
            .map_err(|e| StoreError::Manifest(e.to_string()))?;
        let id = scanned.id;

        if let Some(info) = self.info(&id)? {
            self.touch(&id);
            return Ok(Imported { info, new: false });
        }
        // The blob first: a record never points at a missing blob.
        tmp.as_file().sync_all().map_err(io_at(&tmp_path))?;
        let blob = self.layout.blob(&id);
        let blob_dir = blob.parent().expect("blob path has a parent");
        fs::create_dir_all(blob_dir).map_err(io_at(blob_dir))?;
        fs::set_permissions(&tmp_path, fs::Permissions::from_mode(0o444))
            .map_err(io_at(&tmp_path))?;
        tmp.persist(&blob).map_err(|e| StoreError::Io {
            path: blob.clone(),
            source: e.error,
        })?;
        appc::fsutil::sync_dir(blob_dir).map_err(io_at(blob_dir))?;

        let record = ImageRecord {
            id: id.clone(),
            name: manifest.name.as_str().to_string(),
            labels: manifest
                .labels
                .0
                .iter()
                .map(|l| (l.name.as_str().to_string(), l.value.clone()))
                .collect(),
            size: scanned.tar_size,
            source_size,
            import_time: appc::time::now_unix(),
            source: opts.source.clone(),
        };
        let new = self.publish_record(&record, &scanned.manifest)?;
        let info = self
            .info(&id)?
            .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        Ok(Imported { info, new })
    }

    /// Writes an image's record directory in `tmp/` and renames it into place. Returns false
    /// if a concurrent import published the same image first.
    fn publish_record(&self, record: &ImageRecord, manifest: &[u8]) -> Result<bool> {
        let tmp_root = self.layout.tmp();
        let dir = tempfile::Builder::new()
            .prefix("image-")
            .tempdir_in(&tmp_root)
            .map_err(io_at(&tmp_root))?;
        for (name, data) in [
            ("manifest", manifest.to_vec()),
            (
                "record.json",
                serde_json::to_vec(record).expect("record serializes"),
            ),
        ] {
            let p = dir.path().join(name);
            let mut f = File::create(&p).map_err(io_at(&p))?;
            f.write_all(&data)
                .and_then(|_| f.sync_all())
                .map_err(io_at(&p))?;
        }
        appc::fsutil::sync_dir(dir.path()).map_err(io_at(dir.path()))?;
        let target = self.layout.image_dir(&record.id);
        match fs::rename(dir.path(), &target) {
            Ok(()) => {
                let _ = dir.keep();
                let images = self.layout.images();
                appc::fsutil::sync_dir(&images).map_err(io_at(&images))?;
                Ok(true)
            }
            // Renaming a directory onto a non-empty one fails: somebody else won the race.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOTEMPTY) | Some(libc::EEXIST)) => {
                Ok(false)
            }
            Err(e) => Err(StoreError::Io {
                path: target,
                source: e,
            }),
        }
    }

    /// The record of an image, if stored.
    pub fn info(&self, id: &ImageId) -> Result<Option<ImageInfo>> {
        let p = self.layout.record(id);
        let data = match fs::read(&p) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::Io { path: p, source: e }),
        };
        let record: ImageRecord = serde_json::from_slice(&data)
            .map_err(|e| StoreError::Corrupt(format!("{}: {e}", p.display())))?;
        let last_used = fs::metadata(&p)
            .and_then(|m| m.modified())
            .map(appc::time::unix_seconds)
            .unwrap_or(record.import_time);
        Ok(Some(ImageInfo { record, last_used }))
    }

    /// Every stored image, in no particular order.
    pub fn list(&self) -> Result<Vec<ImageInfo>> {
        let dir = self.layout.images();
        let mut out = Vec::new();
        for e in fs::read_dir(&dir).map_err(io_at(&dir))? {
            let e = e.map_err(io_at(&dir))?;
            let name = e.file_name();
            let Some(hex) = name.to_str() else { continue };
            let Ok(id) = ImageId::parse_full(&format!("sha512-{hex}")) else {
                continue;
            };
            if let Some(info) = self.info(&id)? {
                out.push(info);
            }
        }
        Ok(out)
    }

    /// Marks an image as used now (for gc's grace period). Best effort.
    pub fn touch(&self, id: &ImageId) {
        if let Ok(f) = File::options().write(true).open(self.layout.record(id)) {
            let _ = f.set_modified(SystemTime::now());
        }
    }

    /// The stored manifest bytes of an image.
    pub fn manifest_bytes(&self, id: &ImageId) -> Result<Vec<u8>> {
        let p = self.layout.manifest(id);
        fs::read(&p).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => StoreError::NotFound(id.to_string()),
            _ => StoreError::Io { path: p, source: e },
        })
    }

    /// The parsed manifest of an image.
    pub fn manifest(&self, id: &ImageId) -> Result<ImageManifest> {
        let b = self.manifest_bytes(id)?;
        ImageManifest::from_slice(&b)
            .map_err(|e| StoreError::Corrupt(format!("{id}: stored manifest: {e}")))
    }

    /// Resolves a reference: a full image ID, a unique ID prefix (`sha512-abc...`), or an app
    /// string `name[:version][,label=value...]` (no version: the newest by semver precedence of
    /// the `version` label, the appc meaning of "latest").
    pub fn resolve(&self, reference: &str) -> Result<ImageInfo> {
        if reference.starts_with("sha512-") {
            return self.resolve_id_prefix(reference);
        }
        let app =
            appc::appstring::AppString::parse(reference).map_err(|e| StoreError::BadReference {
                reference: reference.to_string(),
                reason: e.to_string(),
            })?;
        let labels: BTreeMap<String, String> = app
            .labels
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.clone()))
            .collect();
        self.find_by_name(app.name.as_str(), &labels)?
            .ok_or_else(|| StoreError::NotFound(reference.to_string()))
    }

    fn resolve_id_prefix(&self, reference: &str) -> Result<ImageInfo> {
        let hex = &reference["sha512-".len()..];
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::BadReference {
                reference: reference.to_string(),
                reason: "an image ID is sha512- followed by hex digits".into(),
            });
        }
        let hex = hex.to_ascii_lowercase();
        if hex.len() == 128 {
            let id = ImageId::parse_full(&format!("sha512-{hex}")).expect("checked above");
            return self
                .info(&id)?
                .ok_or_else(|| StoreError::NotFound(reference.to_string()));
        }
        let dir = self.layout.images();
        let mut found = Vec::new();
        for e in fs::read_dir(&dir).map_err(io_at(&dir))? {
            let name = e.map_err(io_at(&dir))?.file_name();
            if let Some(n) = name
                .to_str()
                .filter(|n| n.starts_with(&hex) && n.len() == 128)
            {
                found.push(format!("sha512-{n}"));
            }
        }
        match found.len() {
            0 => Err(StoreError::NotFound(reference.to_string())),
            1 => {
                let id = ImageId::parse_full(&found[0]).expect("listed from the store");
                self.info(&id)?
                    .ok_or_else(|| StoreError::NotFound(reference.to_string()))
            }
            _ => Err(StoreError::Ambiguous {
                reference: reference.to_string(),
                candidates: found
                    .iter()
                    .map(|f| f[..appc::id::SHORT_LEN.min(f.len())].to_string())
                    .collect(),
            }),
        }
    }

    /// The newest image named `name` (case-insensitively, as AC identifiers compare) whose
    /// labels include `labels`.
    pub fn find_by_name(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<Option<ImageInfo>> {
        let mut best: Option<ImageInfo> = None;
        for info in self.list()? {
            let r = &info.record;
            if !r.name.eq_ignore_ascii_case(name) {
                continue;
            }
            if !labels.iter().all(|(k, v)| r.labels.get(k) == Some(v)) {
                continue;
            }
            if best.as_ref().is_none_or(|b| newer(&info, b)) {
                best = Some(info);
            }
        }
        Ok(best)
    }

    /// Removes an image's record and blob. Rendered trees that use it stay until gc, so a
    /// running pod keeps its root filesystem.
    pub fn remove(&self, id: &ImageId) -> Result<()> {
        let _lock = self.lock(LockMode::Shared)?;
        let dir = self.layout.image_dir(id);
        if !dir.exists() {
            return Err(StoreError::NotFound(id.to_string()));
        }
        // Rename out of sight first, so a crash never leaves a record without its blob.
        let tmp_root = self.layout.tmp();
        let graveyard = tempfile::Builder::new()
            .prefix("rm-")
            .tempdir_in(&tmp_root)
            .map_err(io_at(&tmp_root))?;
        let dead = graveyard.path().join("image");
        fs::rename(&dir, &dead).map_err(io_at(&dir))?;
        let images = self.layout.images();
        appc::fsutil::sync_dir(&images).map_err(io_at(&images))?;
        let blob = self.layout.blob(id);
        appc::fsutil::remove_file_if_exists(&blob).map_err(io_at(&blob))?;
        Ok(())
    }

    /// Opens an image's blob (its tar) for reading.
    pub fn open_blob(&self, id: &ImageId) -> Result<File> {
        let p = self.layout.blob(id);
        File::open(&p).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => {
                StoreError::Corrupt(format!("{id}: blob missing (run acstore verify --repair)"))
            }
            _ => StoreError::Io { path: p, source: e },
        })
    }

    /// Writes an image to `out`, compressed as asked; with no compression the bytes are exactly
    /// the imported tar, so the image ID round-trips.
    pub fn export(
        &self,
        id: &ImageId,
        out: impl Write + Send,
        compression: aci::Compression,
    ) -> Result<()> {
        let mut blob = self.open_blob(id)?;
        let blob_path = self.layout.blob(id);
        let mut enc = compression
            .encoder(out, compression.default_level())
            .map_err(io_at(&blob_path))?;
        io::copy(&mut blob, &mut enc).map_err(io_at(&blob_path))?;
        let mut out = enc.finish().map_err(io_at(&blob_path))?;
        out.flush().map_err(io_at(&blob_path))?;
        self.touch(id);
        Ok(())
    }
}

/// Whether `a` is a newer choice than `b` for "latest": higher version by semver precedence
/// (versions that do not parse rank below those that do), then the later import.
fn newer(a: &ImageInfo, b: &ImageInfo) -> bool {
    use std::cmp::Ordering;
    let va = a
        .record
        .labels
        .get("version")
        .and_then(|v| appc::schema::SemVer::parse(v).ok());
    let vb = b
        .record
        .labels
        .get("version")
        .and_then(|v| appc::schema::SemVer::parse(v).ok());
    let by_version = match (&va, &vb) {
        (Some(x), Some(y)) => x.precedence(y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    };
    by_version.then(a.record.import_time.cmp(&b.record.import_time)) == Ordering::Greater
}

/// Refuses an entry whose path goes through a symlink that an earlier entry of the same archive
/// made (`rootfs/x -> /etc`, then `rootfs/x/passwd`): extraction would refuse it anyway, and an
/// image that cannot be rendered has no place in the store.
#[derive(Default)]
struct SymlinkGuard {
    links: std::collections::HashSet<PathBuf>,
}

impl SymlinkGuard {
    fn check(&mut self, e: &aci::Entry<'_>) -> Result<(), aci::VisitError> {
        if let Some(link) = e.path.ancestors().skip(1).find(|a| self.links.contains(*a)) {
            return Err(format!(
                "{}: path goes through the symlink {} in the same archive",
                e.path.display(),
                link.display()
            )
            .into());
        }
        if e.kind == aci::tar::EntryType::Symlink {
            self.links.insert(e.path.to_path_buf());
        } else {
            self.links.remove(e.path);
        }
        Ok(())
    }
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}

/// Copies what is read into the blob file, enforcing the size limit.
struct Tee<R, W: Write> {
    inner: R,
    out: BufWriter<W>,
    n: u64,
    max: Option<u64>,
    error: Option<StoreError>,
    /// The blob being written, named in write errors.
    path: PathBuf,
}

impl<R: Read, W: Write> Read for Tee<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        if let Some(max) = self.max
            && self.n > max
        {
            self.error = Some(StoreError::TooLarge(max));
            return Err(io::Error::other("image too large"));
        }
        if let Err(e) = self.out.write_all(&buf[..k]) {
            let msg = e.to_string();
            self.error = Some(StoreError::Io {
                path: self.path.clone(),
                source: e,
            });
            return Err(io::Error::other(msg));
        }
        Ok(k)
    }
}
