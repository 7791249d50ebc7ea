//! Typed errors for reading and writing ACIs.

use std::error::Error as StdError;
use std::io;
use std::path::PathBuf;

use super::compression::Compression;

/// Error type a visitor may return; it is carried through [`AciError::Visitor`].
pub type VisitError = Box<dyn StdError + Send + Sync>;

/// Why an archive is not a readable, well-formed ACI.
#[derive(Debug, thiserror::Error)]
pub enum AciError {
    /// The first bytes match no supported compression and no tar header.
    #[error("unknown image filetype")]
    UnknownFileType,
    /// Reading the input itself failed.
    #[error("reading image: {0}")]
    Io(#[source] io::Error),
    /// The compressed stream is corrupt or ends early.
    #[error("corrupt or truncated {format} data: {message}")]
    Decompress {
        /// The format being decoded.
        format: Compression,
        /// The decoder's own message.
        message: String,
    },
    /// The tar stream is corrupt or ends early.
    #[error("corrupt or truncated tar archive: {0}")]
    Tar(String),
    /// An entry name starts with `/`.
    #[error("absolute path in archive: {0:?}")]
    AbsolutePath(String),
    /// An entry name has a `..` component.
    #[error("path with a \"..\" component in archive: {0:?}")]
    ParentComponent(String),
    /// Two entries have the same name after cleaning.
    #[error("duplicate file entry in archive: {0}")]
    Duplicate(String),
    /// An entry is neither `manifest`, `rootfs` nor under `rootfs/`.
    #[error("unrecognized file path in layout: {0:?}")]
    Unrecognized(String),
    /// The `rootfs` entry is not a directory (e.g. a symlink).
    #[error("rootfs is not a directory")]
    RootfsNotDir,
    /// The `manifest` entry is not a regular file.
    #[error("manifest is not a regular file")]
    ManifestNotFile,
    /// The manifest is larger than [`super::MANIFEST_MAX`].
    #[error("image manifest is larger than {limit} bytes")]
    ManifestTooLarge {
        /// The cap that was exceeded.
        limit: u64,
    },
    /// A PAX or GNU long-name record is larger than [`super::EXTENSION_MAX`].
    #[error("tar extension record of {size} bytes is larger than {limit}")]
    ExtensionTooLarge {
        /// The declared size.
        size: u64,
        /// The cap that was exceeded.
        limit: u64,
    },
    /// A hardlink points outside `rootfs/`.
    #[error("hardlink {name:?} points outside rootfs: {target:?}")]
    LinkOutsideRootfs {
        /// The link's own name.
        name: String,
        /// Where it points.
        target: String,
    },
    /// A hardlink points to a name that no earlier entry had.
    #[error("hardlink {name:?} points to {target:?}, which is not an earlier entry")]
    LinkUnknownTarget {
        /// The link's own name.
        name: String,
        /// Where it points.
        target: String,
    },
    /// The archive has no `manifest` entry.
    #[error("no image manifest found in layout")]
    NoManifest,
    /// The archive has no `rootfs` directory entry.
    #[error("no rootfs found in layout")]
    NoRootfs,
    /// The caller's visitor refused an entry.
    #[error("{0}")]
    Visitor(VisitError),
}

/// Why an image layout directory could not be written as an ACI.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// `DIR/manifest` does not exist.
    #[error("no image manifest found in layout")]
    NoManifest,
    /// `DIR/rootfs` does not exist.
    #[error("no rootfs found in layout")]
    NoRootfs,
    /// `DIR/rootfs` is not a directory (symlinks are not followed).
    #[error("rootfs is not a directory")]
    RootfsNotDir,
    /// `DIR/manifest` is not a regular file.
    #[error("manifest is not a regular file")]
    ManifestNotFile,
    /// `DIR` holds something besides `manifest` and `rootfs`.
    #[error("unrecognized file path in layout: {0:?}")]
    Unrecognized(String),
    /// The manifest is larger than [`super::MANIFEST_MAX`], so no reader would accept it.
    #[error("image manifest is larger than {limit} bytes")]
    ManifestTooLarge {
        /// The cap that was exceeded.
        limit: u64,
    },
    /// A file shrank between `stat` and reading it.
    #[error("{0}: file shrank while being archived")]
    FileShrank(PathBuf),
    /// Reading something from the layout failed.
    #[error("{path}: {source}")]
    Read {
        /// The file or directory being read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Compressing or writing the output failed.
    #[error("writing image: {0}")]
    Write(#[source] io::Error),
}
