//! `actool validate`: ACIs, image layouts, and image or pod manifests.

use std::fs;
use std::io::{self, Read};
use std::path::Path;

use appc::aci::{self, AciError, Compression};
use appc::schema::{ImageManifest, PodManifest, check_major_version};

use crate::cli::ValidateType;
use crate::input;

/// What a valid input turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Valid {
    /// An ACI.
    Image,
    /// An image layout directory.
    Layout,
    /// An image manifest.
    ImageManifest,
    /// A pod manifest.
    PodManifest,
}

impl Valid {
    /// How `--debug` reports it.
    pub fn describe(self) -> &'static str {
        match self {
            Valid::Image => "valid app container image",
            Valid::Layout => "valid image layout",
            Valid::ImageManifest => "valid ImageManifest",
            Valid::PodManifest => "valid PodManifest",
        }
    }
}

/// The outcome for one input: valid, possibly with a warning (an older spec major version).
#[derive(Debug)]
pub struct Verdict {
    /// What it is.
    pub kind: Valid,
    /// A warning to print, e.g. about an old acVersion.
    pub warning: Option<String>,
}

/// Why an input is invalid.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// The input could not be read.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The archive is broken or its layout is wrong.
    #[error(transparent)]
    Aci(#[from] AciError),
    /// The manifest is invalid.
    #[error("invalid {kind}: {reason}")]
    Manifest { kind: &'static str, reason: String },
    /// The layout directory is wrong.
    #[error("invalid image layout: {0}")]
    Layout(String),
    /// A directory given where a file was expected, or the other way round.
    #[error("{0}")]
    WrongType(String),
}

/// Validates one input, detecting its type unless `kind` says.
pub fn validate(path: &Path, kind: Option<ValidateType>) -> Result<Verdict, ValidateError> {
    let is_dir = !input::is_dash(path) && fs::metadata(path)?.is_dir();
    match (is_dir, kind) {
        (true, None | Some(ValidateType::Layout)) => return layout(path),
        (true, _) => {
            return Err(ValidateError::WrongType(
                "is a directory (wrong --type?)".into(),
            ));
        }
        (false, Some(ValidateType::Layout)) => {
            return Err(ValidateError::WrongType("is not a directory".into()));
        }
        _ => {}
    }
    let mut r = input::open(path)?;
    let mut head = Vec::with_capacity(aci::SNIFF_LEN);
    (&mut r)
        .take(aci::SNIFF_LEN as u64)
        .read_to_end(&mut head)?;
    let kind = kind.unwrap_or(if Compression::sniff(&head).is_some() {
        ValidateType::Appimage
    } else {
        ValidateType::Manifest
    });
    let whole = io::Cursor::new(head).chain(r);
    match kind {
        ValidateType::Appimage => image(whole),
        ValidateType::Manifest => {
            let mut b = Vec::new();
            whole.take(aci::MANIFEST_MAX + 1).read_to_end(&mut b)?;
            if b.len() as u64 > aci::MANIFEST_MAX {
                return Err(ValidateError::Manifest {
                    kind: "manifest",
                    reason: format!("larger than {} bytes", aci::MANIFEST_MAX),
                });
            }
            manifest(&b)
        }
        ValidateType::Layout => unreachable!("handled above"),
    }
}

/// One pass over an ACI: layout, image ID, manifest.
fn image(r: impl Read + Send) -> Result<Verdict, ValidateError> {
    // Validity needs no image ID, so the SHA-512 pass is skipped (`image-id` computes it).
    let scanned = aci::check(r)?;
    let m = ImageManifest::from_slice(&scanned.manifest).map_err(|e| ValidateError::Manifest {
        kind: "ImageManifest",
        reason: e.to_string(),
    })?;
    Ok(Verdict {
        kind: Valid::Image,
        warning: version_warning(&m)?,
    })
}

/// A manifest file: its `acKind` decides which schema applies.
pub fn manifest(b: &[u8]) -> Result<Verdict, ValidateError> {
    match appc::schema::detect_kind(b).map_err(|e| ValidateError::Manifest {
        kind: "manifest",
        reason: e.to_string(),
    })? {
        appc::schema::AcKind::ImageManifest => {
            let m = ImageManifest::from_slice(b).map_err(|e| ValidateError::Manifest {
                kind: "ImageManifest",
                reason: e.to_string(),
            })?;
            Ok(Verdict {
                kind: Valid::ImageManifest,
                warning: version_warning(&m)?,
            })
        }
        appc::schema::AcKind::PodManifest => {
            PodManifest::from_slice(b).map_err(|e| ValidateError::Manifest {
                kind: "PodManifest",
                reason: e.to_string(),
            })?;
            Ok(Verdict {
                kind: Valid::PodManifest,
                warning: None,
            })
        }
    }
}

/// An image layout directory: `manifest` and `rootfs/` and nothing else.
fn layout(dir: &Path) -> Result<Verdict, ValidateError> {
    aci::validate_layout(dir).map_err(|e| ValidateError::Layout(e.to_string()))?;
    let mp = dir.join("manifest");
    let m = ImageManifest::from_slice(&fs::read(&mp)?)
        .map_err(|e| ValidateError::Layout(format!("image manifest validation failed: {e}")))?;
    Ok(Verdict {
        kind: Valid::Layout,
        warning: version_warning(&m)?,
    })
}

/// A manifest of another major version is a warning, not an error: the reference warns about
/// older ones and accepts newer ones silently; we say so for both.
fn version_warning(m: &ImageManifest) -> Result<Option<String>, ValidateError> {
    Ok(check_major_version(&m.ac_version)
        .err()
        .map(|e| e.to_string()))
}
