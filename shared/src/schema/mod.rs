//! Typed appc schema: image and pod manifests and the types in them.
//!
//! Reading follows the reference Go implementation (appc/spec 0.8.11): the same rules and
//! messages, JSON keys matched case-insensitively, unknown keys ignored. Writing produces
//! what the reference's `json.Marshal` produces for the same value. Where we are stricter,
//! `docs/schema.md` says so and why.

mod app;
mod cli;
mod decode;
mod error;
mod image;
mod isolator;
pub mod json;
mod labels;
mod names;
mod pod;
pub mod quantity;
mod values;

pub use app::{App, EventHandler, MountPoint, Port};
pub use error::{NameError, Reason, SchemaError};
pub use image::{Dependency, ImageManifest, VersionError, check_major_version};
pub use isolator::*;
pub use labels::{
    Annotation, Annotations, EnvVar, Environment, Label, Labels, NameValue, VALID_OS_ARCH,
    appc_os_arch, check_os_arch, host_os_arch,
};
pub use names::{AC_VERSION, AcIdentifier, AcKind, AcName, SemVer};
pub use pod::{
    EMPTY_VOLUME_DEFAULT_MODE, ExposedPort, Mount, PodManifest, RuntimeApp, RuntimeImage, Volume,
};
pub use quantity::{Quantity, QuantityError};
pub use values::{Date, HttpUrl, Uuid, check_http_url};

pub(crate) use cli::params as cli_params;

use decode::Obj;
use json::Json;

/// Tells the kind of an appc JSON document the way `actool validate` does: `acVersion`, if
/// present, must be a valid version and `acKind` must be one of the two kinds.
pub fn detect_kind(bytes: &[u8]) -> Result<AcKind, SchemaError> {
    kind_of(&Json::parse(bytes)?)
}

fn kind_of(v: &Json) -> Result<AcKind, SchemaError> {
    let o = Obj::new(v, "", "schema.Kind")?;
    o.field("acVersion", SemVer::decode)?;
    // A missing acKind makes the reference tool crash; report it as unset.
    o.field("acKind", AcKind::decode)?
        .ok_or_else(|| SchemaError::at("acKind", Reason::KindEmpty))
}

/// A parsed manifest of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Manifest {
    /// An image manifest.
    Image(Box<ImageManifest>),
    /// A pod manifest.
    Pod(Box<PodManifest>),
}

/// Validates a manifest file as `actool validate --type manifest` does: detect the kind,
/// then parse it as that kind.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, SchemaError> {
    let v = Json::parse(bytes)?;
    match kind_of(&v)? {
        AcKind::ImageManifest => ImageManifest::from_json(&v).map(|m| Manifest::Image(Box::new(m))),
        AcKind::PodManifest => PodManifest::from_json(&v).map(|m| Manifest::Pod(Box::new(m))),
    }
}

#[cfg(test)]
mod tests;
