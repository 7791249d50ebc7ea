//! The image manifest.

use super::app::{App, prefix};
use super::decode::{Obj, ObjWriter, Res, jstr};
use super::error::{Reason, SchemaError};
use super::json::{Json, indent};
use super::labels::{Annotations, Labels, check_names};
use super::names::{AcIdentifier, AcKind, SemVer};
use crate::id::ImageId;

/// A dependency: another image whose rootfs goes under this one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependency {
    /// Image name to discover. Required.
    pub image_name: AcIdentifier,
    /// The exact image, if pinned.
    pub image_id: Option<ImageId>,
    /// Labels to match (version, os, arch...).
    pub labels: Labels,
    /// Expected size in bytes (0 = unknown).
    pub size: u64,
}

impl Dependency {
    /// `imageName` must be set and labels valid.
    pub fn validate(&self) -> Result<(), SchemaError> {
        if self.image_name.is_empty() {
            return Err(SchemaError::at("imageName", Reason::ImageNameEmpty));
        }
        self.image_name
            .check()
            .map_err(|e| SchemaError::at("imageName", e))?;
        self.labels
            .validate()
            .map_err(|r| SchemaError::at("labels", r))
    }

    fn decode(v: &Json, path: &str) -> Res<Self> {
        let o = Obj::new(v, path, "struct")?;
        let d = Dependency {
            image_name: o
                .field("imageName", AcIdentifier::decode)?
                .unwrap_or_default(),
            image_id: o.field("imageID", decode_opt_hash)?.flatten(),
            labels: o
                .field("labels", Labels::decode)?
                .flatten()
                .unwrap_or_default(),
            size: o.uint("size")?,
        };
        d.validate().map_err(|e| prefix(path, e))?;
        Ok(d)
    }

    fn encode(&self) -> Json {
        let mut w = ObjWriter::new();
        w.put("imageName", self.image_name.encode());
        if let Some(id) = &self.image_id {
            w.put("imageID", jstr(id.as_str()));
        }
        w.put_omitempty("labels", Labels::encode(Some(&self.labels)))
            .put_omitempty("size", Json::Number(self.size.to_string()))
            .build()
    }
}

/// An image ID behind a Go pointer: `null` is absent.
pub(crate) fn decode_opt_hash(v: &Json, path: &str) -> Res<Option<ImageId>> {
    if matches!(v, Json::Null) {
        return Ok(None);
    }
    decode_hash(v, path).map(Some)
}

/// An image ID (`null` reads as the empty string, which is badly formatted).
pub(crate) fn decode_hash(v: &Json, path: &str) -> Res<ImageId> {
    let s = super::decode::string(v, path)?;
    ImageId::parse(&s).map_err(|e| SchemaError::at(path, Reason::Hash(e)))
}

/// How a manifest's `acVersion` relates to the version this crate implements.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// Older major version: the reference only warns about this.
    #[error("ACVersion too old. Found major version {found}, expected {ours}")]
    OlderMajor {
        /// The manifest's major version.
        found: i64,
        /// Ours.
        ours: i64,
    },
    /// Newer major version than ours: the spec says we must not handle it.
    #[error("ACVersion too new. Found major version {found}, this implementation supports {ours}")]
    NewerMajor {
        /// The manifest's major version.
        found: i64,
        /// Ours.
        ours: i64,
    },
}

/// Checks a manifest version against ours ([`super::AC_VERSION`]) by major version.
pub fn check_major_version(v: &SemVer) -> Result<(), VersionError> {
    let ours = SemVer::ours().major;
    match v.major.cmp(&ours) {
        std::cmp::Ordering::Less => Err(VersionError::OlderMajor {
            found: v.major,
            ours,
        }),
        std::cmp::Ordering::Greater => Err(VersionError::NewerMajor {
            found: v.major,
            ours,
        }),
        std::cmp::Ordering::Equal => Ok(()),
    }
}

/// An image manifest (`acKind: ImageManifest`).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageManifest {
    /// Spec version the manifest was written for.
    pub ac_version: SemVer,
    /// Image name. Required.
    pub name: AcIdentifier,
    /// Labels (version, os, arch, ...).
    pub labels: Labels,
    /// How to run it; images without an app are only dependencies.
    pub app: Option<App>,
    /// Annotations.
    pub annotations: Annotations,
    /// Images whose rootfs goes under this one.
    pub dependencies: Vec<Dependency>,
    /// If non-empty, the only files kept after rendering.
    pub path_whitelist: Vec<String>,
}

impl ImageManifest {
    /// A manifest of our spec version with just a name.
    pub fn new(name: AcIdentifier) -> Self {
        ImageManifest {
            ac_version: SemVer::ours(),
            name,
            labels: Labels::default(),
            app: None,
            annotations: Annotations::default(),
            dependencies: Vec::new(),
            path_whitelist: Vec::new(),
        }
    }

    /// Parses and validates as the reference's `ImageManifest.UnmarshalJSON` does.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, SchemaError> {
        Self::from_json(&Json::parse(bytes)?)
    }

    pub(crate) fn from_json(v: &Json) -> Res<Self> {
        let o = Obj::new(v, "", "schema.ImageManifest")?;
        let kind = o.field("acKind", AcKind::decode)?;
        let version = o.field("acVersion", SemVer::decode)?;
        let name = o.field("name", AcIdentifier::decode)?;
        let labels = o.field("labels", Labels::decode)?.flatten();
        let app = o.merged("app", true, App::decode)?;
        let annotations = o.field("annotations", Annotations::decode)?.flatten();
        let dependencies = o.list("dependencies", Dependency::decode)?;
        let path_whitelist = o.strings("pathWhitelist")?;
        if kind != Some(AcKind::ImageManifest) {
            return Err(SchemaError::at(
                "acKind",
                Reason::KindWrong("ImageManifest"),
            ));
        }
        let Some(ac_version) = version else {
            return Err(SchemaError::at("acVersion", Reason::AcVersionRequired));
        };
        let name = name.unwrap_or_default();
        if name.is_empty() {
            return Err(SchemaError::at("name", Reason::NameRequired));
        }
        Ok(ImageManifest {
            ac_version,
            name,
            labels: labels.unwrap_or_default(),
            app,
            annotations: annotations.unwrap_or_default(),
            dependencies: dependencies.unwrap_or_default(),
            path_whitelist: path_whitelist.unwrap_or_default(),
        })
    }

    /// All the checks parsing applies, plus the name checks the reference makes when writing;
    /// for a manifest built or edited in code.
    pub fn validate(&self) -> Result<(), SchemaError> {
        if self.name.is_empty() {
            return Err(SchemaError::at("name", Reason::NameRequired));
        }
        self.name.check().map_err(|e| SchemaError::at("name", e))?;
        self.labels
            .validate()
            .map_err(|r| SchemaError::at("labels", r))?;
        check_names(&self.labels.0, "labels")?;
        if let Some(app) = &self.app {
            app.validate().map_err(|e| prefix("app", e))?;
            app.check_names().map_err(|e| prefix("app", e))?;
        }
        check_names(&self.annotations.0, "annotations")?;
        self.annotations
            .validate()
            .map_err(|r| SchemaError::at("annotations", r))?;
        for (i, d) in self.dependencies.iter().enumerate() {
            d.validate()
                .map_err(|e| prefix(&format!("dependencies[{i}]"), e))?;
            // The reference refuses to write an empty label name here too (found by fuzzing:
            // we wrote what we could not read back).
            check_names(&d.labels.0, &format!("dependencies[{i}].labels"))?;
        }
        Ok(())
    }

    /// Whether the manifest's major version matches ours (see [`check_major_version`]).
    pub fn app_version_major_check(&self) -> Result<(), VersionError> {
        check_major_version(&self.ac_version)
    }

    /// The value of a label.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name)
    }

    /// The value of an annotation.
    pub fn annotation(&self, name: &str) -> Option<&str> {
        self.annotations.get(name)
    }

    pub(crate) fn to_json(&self) -> Json {
        let mut w = ObjWriter::new();
        w.put("acKind", jstr(AcKind::ImageManifest.as_str()))
            .put("acVersion", jstr(&self.ac_version.to_string()))
            .put("name", self.name.encode())
            .put_omitempty("labels", Labels::encode(Some(&self.labels)));
        if let Some(app) = &self.app {
            w.put("app", app.encode());
        }
        w.put_omitempty("annotations", Annotations::encode(Some(&self.annotations)))
            .put_omitempty(
                "dependencies",
                Json::Array(self.dependencies.iter().map(Dependency::encode).collect()),
            )
            .put_omitempty(
                "pathWhitelist",
                Json::Array(self.path_whitelist.iter().map(|p| jstr(p)).collect()),
            )
            .build()
    }

    /// Validates, then writes compact JSON byte for byte as the reference's `json.Marshal`.
    pub fn to_vec(&self) -> Result<Vec<u8>, SchemaError> {
        self.validate()?;
        let out = self.to_json().to_go_string().into_bytes();
        // Never write what we could not read back: the reference refuses to marshal any empty
        // or invalid name, wherever it sits, and reading it back checks every one of them.
        Self::from_slice(&out)?;
        Ok(out)
    }

    /// Like [`ImageManifest::to_vec`], indented by four spaces as `actool cat-manifest` prints.
    pub fn to_vec_pretty(&self) -> Result<Vec<u8>, SchemaError> {
        let compact = self.to_vec()?;
        Ok(indent(&String::from_utf8_lossy(&compact), "    ").into_bytes())
    }
}
