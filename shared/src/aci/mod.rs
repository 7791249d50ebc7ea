//! App Container Images: format sniffing, streaming reading and deterministic writing.
//!
//! - [`scan`] / [`validate`]: one pipelined pass that decompresses, computes the image ID,
//!   checks the layout and returns the manifest bytes; a [`Visitor`] sees every entry.
//! - [`read_manifest`]: stops as soon as the manifest has been read.
//! - [`build`]: writes an image layout directory as a deterministic ACI.
//!
//! See `docs/aci.md` for the rules and where they differ from the reference.

mod compression;
mod error;
mod guard;
mod path;
mod pipe;
mod reader;
mod writer;
mod xattr;

pub use compression::{Compression, Encoder, SNIFF_LEN};
pub use error::{AciError, BuildError, VisitError};
pub use guard::EXTENSION_MAX;
pub use path::clean as clean_name;
pub use reader::{
    Checked, Entry, MANIFEST_MAX, NoVisit, Scanned, Visitor, check, decompress, read_manifest,
    scan, validate,
};
pub use writer::{BuildOptions, Built, build, validate_layout};

/// The tar crate whose types appear in [`Entry`].
pub use tar;

#[cfg(test)]
mod tests;
