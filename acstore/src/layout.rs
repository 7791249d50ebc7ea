//! Where things live in a store directory, and how the store directory is chosen.
//!
//! ```text
//! lock                          store-wide: shared by import/render/rm, exclusive by gc
//! blobs/sha512/ab/<hex>         an image's tar exactly as imported (decompressed), read-only
//! images/<hex>/record.json      the image record (name, labels, size, times); its mtime is
//!                               the last-used time
//! images/<hex>/manifest         the image manifest, byte for byte
//! trees/<key>/rootfs/           a rendered image (dependencies applied)
//! trees/<key>/tree.json         what was rendered: written last, inside the dir renamed in
//! locks/image-<hex>             held shared by users of an image, exclusive by rm and gc
//! locks/tree-<key>              held shared by pods using a tree, exclusive by gc
//! remotes/<sha256(url)>.json    source URL -> image ID with ETag and Cache-Control (acfetch)
//! tmp/                          work in progress; renamed into place when complete
//! ```
//!
//! Every object becomes visible by one `rename` of a complete file or directory, so a crash at
//! any moment leaves either nothing or the whole object; what it leaves in `tmp/` gc removes.

use std::env;
use std::path::{Path, PathBuf};

use appc::ImageId;

/// The environment variable that overrides the store directory.
pub const STORE_DIR_ENV: &str = "ACSTORE_DIR";

/// The store directory: `--store-dir`, else `$ACSTORE_DIR`, else `/var/lib/appc/store` for root,
/// else `$XDG_DATA_HOME/appc/store` (`~/.local/share/appc/store`).
pub fn default_store_dir() -> PathBuf {
    if let Some(d) = env::var_os(STORE_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if rustix::process::geteuid().is_root() {
        return PathBuf::from("/var/lib/appc/store");
    }
    let data = env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("appc/store")
}

/// The paths of one store directory.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Layout { root: root.into() }
    }

    /// The store directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The store-wide lock file.
    pub fn lock(&self) -> PathBuf {
        self.root.join("lock")
    }

    /// The directory of blobs.
    pub fn blobs(&self) -> PathBuf {
        self.root.join("blobs/sha512")
    }

    /// The blob of an image.
    pub fn blob(&self, id: &ImageId) -> PathBuf {
        let hex = id.hex();
        self.blobs().join(&hex[..2]).join(hex)
    }

    /// The directory of image records.
    pub fn images(&self) -> PathBuf {
        self.root.join("images")
    }

    /// The record directory of an image.
    pub fn image_dir(&self, id: &ImageId) -> PathBuf {
        self.images().join(id.hex())
    }

    /// The record file of an image.
    pub fn record(&self, id: &ImageId) -> PathBuf {
        self.image_dir(id).join("record.json")
    }

    /// The stored manifest of an image.
    pub fn manifest(&self, id: &ImageId) -> PathBuf {
        self.image_dir(id).join("manifest")
    }

    /// The directory of rendered trees.
    pub fn trees(&self) -> PathBuf {
        self.root.join("trees")
    }

    /// A rendered tree.
    pub fn tree(&self, key: &str) -> PathBuf {
        self.trees().join(key)
    }

    /// The directory of per-object locks.
    pub fn locks(&self) -> PathBuf {
        self.root.join("locks")
    }

    /// The lock of an image.
    pub fn image_lock(&self, id: &ImageId) -> PathBuf {
        self.locks().join(format!("image-{}", id.hex()))
    }

    /// The lock of a tree.
    pub fn tree_lock(&self, key: &str) -> PathBuf {
        self.locks().join(format!("tree-{key}"))
    }

    /// The directory of remote (URL) cache entries.
    pub fn remotes(&self) -> PathBuf {
        self.root.join("remotes")
    }

    /// Where work in progress lives until it is renamed into place.
    pub fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Every directory the store needs.
    pub fn dirs(&self) -> [PathBuf; 7] {
        [
            self.blobs(),
            self.images(),
            self.trees(),
            self.locks(),
            self.remotes(),
            self.tmp(),
            self.root.clone(),
        ]
    }
}
