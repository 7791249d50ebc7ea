//! The pod manifest and its parts: apps, images, mounts, volumes and exposed ports.

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;

use super::app::{App, Port, prefix};
use super::decode::{Obj, ObjWriter, Res, jlist, jmap, jstr};
use super::error::{Reason, SchemaError};
use super::image::decode_hash;
use super::isolator::Isolator;
use super::json::{Json, indent};
use super::labels::{Annotations, Labels, check_names};
use super::names::{AcIdentifier, AcKind, AcName, SemVer};
use crate::id::ImageId;

/// Default mode of an `empty` volume.
pub const EMPTY_VOLUME_DEFAULT_MODE: &str = "0755";

/// A pod volume (or a mount's inline `appVolume`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Volume {
    /// Its name.
    pub name: AcName,
    /// `host` or `empty`.
    pub kind: String,
    /// Host path (host volumes only).
    pub source: String,
    /// Read-only, if set.
    pub read_only: Option<bool>,
    /// Recursive bind (host volumes; absent means recursive).
    pub recursive: Option<bool>,
    /// Octal mode string (empty volumes; defaults to `0755`).
    pub mode: Option<String>,
    /// Owner uid (empty volumes; defaults to 0).
    pub uid: Option<i64>,
    /// Owner gid (empty volumes; defaults to 0).
    pub gid: Option<i64>,
}

impl Volume {
    /// Fills in the `empty` kind's defaults, as the reference does before validating.
    pub fn set_defaults(&mut self) {
        if self.kind == "empty" {
            self.mode
                .get_or_insert_with(|| EMPTY_VOLUME_DEFAULT_MODE.to_string());
            self.uid.get_or_insert(0);
            self.gid.get_or_insert(0);
        }
    }

    /// The reference's per-kind rules (run after [`Volume::set_defaults`]).
    pub fn validate(&self) -> Result<(), Reason> {
        if self.name.is_empty() {
            return Err(Reason::NameMustBeSet);
        }
        match self.kind.as_str() {
            "empty" => {
                if !self.source.is_empty() {
                    return Err(Reason::EmptyVolumeSource);
                }
                Ok(())
            }
            "host" => {
                if self.source.is_empty() {
                    return Err(Reason::HostVolumeSourceEmpty);
                }
                if self.mode.is_some() {
                    return Err(Reason::HostVolumeFieldSet("mode"));
                }
                if self.uid.is_some() {
                    return Err(Reason::HostVolumeFieldSet("uid"));
                }
                if self.gid.is_some() {
                    return Err(Reason::HostVolumeFieldSet("gid"));
                }
                if !self.source.starts_with('/') {
                    return Err(Reason::HostVolumeSourceRelative);
                }
                Ok(())
            }
            _ => Err(Reason::VolumeKind),
        }
    }

    pub(crate) fn decode(v: &Json, path: &str) -> Res<Self> {
        let o = Obj::new(v, path, "struct")?;
        let mut vol = Volume {
            name: o.field("name", AcName::decode)?.unwrap_or_default(),
            kind: o.string("kind")?,
            source: o.string("source")?,
            read_only: o.opt_bool("readOnly")?,
            recursive: o.opt_bool("recursive")?,
            mode: o.opt_string("mode")?,
            uid: o.opt_int("uid")?,
            gid: o.opt_int("gid")?,
        };
        vol.set_defaults();
        vol.validate().map_err(|r| SchemaError::at(path, r))?;
        Ok(vol)
    }

    pub(crate) fn encode(&self) -> Json {
        let mut w = ObjWriter::new();
        w.put("name", self.name.encode())
            .put("kind", jstr(&self.kind))
            .put_omitempty("source", jstr(&self.source));
        if let Some(b) = self.read_only {
            w.put("readOnly", Json::Bool(b));
        }
        if let Some(b) = self.recursive {
            w.put("recursive", Json::Bool(b));
        }
        if let Some(m) = &self.mode {
            w.put("mode", jstr(m));
        }
        if let Some(u) = self.uid {
            w.put("uid", Json::Number(u.to_string()));
        }
        if let Some(g) = self.gid {
            w.put("gid", Json::Number(g.to_string()));
        }
        w.build()
    }
}

/// A volume mounted into a pod app.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mount {
    /// The pod volume's name.
    pub volume: AcName,
    /// Where in the app (a mount point path).
    pub path: String,
    /// A volume defined inline instead of by name.
    pub app_volume: Option<Volume>,
}

impl Mount {
    /// `volume` and `path` must be set (not applied to JSON by the reference).
    pub fn validate(&self) -> Result<(), Reason> {
        if self.volume.is_empty() {
            return Err(Reason::VolumeMustBeSet);
        }
        if self.path.is_empty() {
            return Err(Reason::PathMustBeSet);
        }
        Ok(())
    }

    fn decode(v: &Json, path: &str) -> Res<Self> {
        let o = Obj::new(v, path, "struct")?;
        Ok(Mount {
            volume: o.field("volume", AcName::decode)?.unwrap_or_default(),
            path: o.string("path")?,
            app_volume: o
                .field("appVolume", |v, p| {
                    if matches!(v, Json::Null) {
                        Ok(None)
                    } else {
                        Volume::decode(v, p).map(Some)
                    }
                })?
                .flatten(),
        })
    }

    fn encode(&self) -> Json {
        let mut w = ObjWriter::new();
        w.put("volume", self.volume.encode())
            .put("path", jstr(&self.path));
        if let Some(v) = &self.app_volume {
            w.put("appVolume", v.encode());
        }
        w.build()
    }
}

/// The image a pod app runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeImage {
    /// Image name (templates may use it instead of an ID).
    pub name: Option<AcIdentifier>,
    /// Image ID; required in a reified manifest, optional in the reference's parser.
    pub id: Option<ImageId>,
    /// Labels to match.
    pub labels: Labels,
}

impl RuntimeImage {
    fn decode(v: &Json, path: &str) -> Res<Self> {
        let o = Obj::new(v, path, "struct")?;
        Ok(RuntimeImage {
            name: o
                .field("name", |v, p| {
                    if matches!(v, Json::Null) {
                        Ok(None)
                    } else {
                        AcIdentifier::decode(v, p).map(Some)
                    }
                })?
                .flatten(),
            id: o.field("id", decode_hash)?,
            labels: o
                .field("labels", Labels::decode)?
                .flatten()
                .unwrap_or_default(),
        })
    }

    fn encode(&self) -> Res<Json> {
        let mut w = ObjWriter::new();
        if let Some(n) = &self.name {
            w.put("name", n.encode());
        }
        // Go cannot marshal an empty hash either.
        let id = self
            .id
            .as_ref()
            .ok_or_else(|| SchemaError::at("id", Reason::HashEmpty))?;
        w.put("id", jstr(id.as_str()))
            .put_omitempty("labels", Labels::encode(Some(&self.labels)));
        Ok(w.build())
    }
}

/// One app of a pod.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuntimeApp {
    /// The app's name in the pod (becomes `AC_APP_NAME`).
    pub name: AcName,
    /// Its image.
    pub image: RuntimeImage,
    /// Replaces the image's app wholesale when set.
    pub app: Option<App>,
    /// Mount the rootfs read-only.
    pub read_only_root_fs: bool,
    /// Volumes mounted into it.
    pub mounts: Vec<Mount>,
    /// Annotations overriding the image's.
    pub annotations: Annotations,
}

impl RuntimeApp {
    fn decode(v: &Json, path: &str) -> Res<Self> {
        let o = Obj::new(v, path, "struct")?;
        Ok(RuntimeApp {
            name: o.field("name", AcName::decode)?.unwrap_or_default(),
            image: o
                .merged("image", false, RuntimeImage::decode)?
                .unwrap_or_default(),
            app: o.merged("app", true, App::decode)?,
            read_only_root_fs: o.bool("readOnlyRootFS")?,
            mounts: o.list("mounts", Mount::decode)?.unwrap_or_default(),
            annotations: o
                .field("annotations", Annotations::decode)?
                .flatten()
                .unwrap_or_default(),
        })
    }

    fn encode(&self) -> Res<Json> {
        let mut w = ObjWriter::new();
        w.put("name", self.name.encode()).put(
            "image",
            self.image.encode().map_err(|e| prefix("image", e))?,
        );
        if let Some(app) = &self.app {
            w.put("app", app.encode());
        }
        w.put_omitempty("readOnlyRootFS", Json::Bool(self.read_only_root_fs))
            .put_omitempty(
                "mounts",
                Json::Array(self.mounts.iter().map(Mount::encode).collect()),
            )
            .put_omitempty("annotations", Annotations::encode(Some(&self.annotations)));
        Ok(w.build())
    }
}

/// A port of the pod exposed on the host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExposedPort {
    /// Name of an app port.
    pub name: AcName,
    /// Host port (not range-checked by the reference).
    pub host_port: u64,
    /// Host address to bind, if any.
    pub host_ip: Option<IpAddr>,
    /// The pod port, overriding the lookup by name.
    pub pod_port: Option<Port>,
}

fn decode_ip(v: &Json, path: &str) -> Res<Option<IpAddr>> {
    let s = match v {
        Json::Null => return Ok(None),
        Json::String(s) | Json::EscapedString { value: s, .. } => s,
        other => return Err(super::decode::type_err(path, other, "net.IP")),
    };
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<IpAddr>()
        .map(Some)
        .map_err(|_| SchemaError::at(path, Reason::IpAddress(s.clone())))
}

fn ip_text(ip: &IpAddr) -> String {
    // Go stores IPv4 in 16 bytes and prints IPv4-mapped addresses as dotted quads.
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        IpAddr::V4(v4) => v4.to_string(),
    }
}

impl ExposedPort {
    fn decode(v: &Json, path: &str) -> Res<Self> {
        let o = Obj::new(v, path, "struct")?;
        Ok(ExposedPort {
            name: o.field("name", AcName::decode)?.unwrap_or_default(),
            host_port: o.uint("hostPort")?,
            host_ip: o.field("hostIP", decode_ip)?.flatten(),
            pod_port: o
                .field("podPort", |v, p| {
                    if matches!(v, Json::Null) {
                        Ok(None)
                    } else {
                        Port::decode(v, p).map(Some)
                    }
                })?
                .flatten(),
        })
    }

    fn encode(&self) -> Json {
        let mut w = ObjWriter::new();
        w.put("name", self.name.encode())
            .put("hostPort", Json::Number(self.host_port.to_string()));
        if let Some(ip) = &self.host_ip {
            w.put("hostIP", jstr(&ip_text(ip)));
        }
        if let Some(p) = &self.pod_port {
            w.put("podPort", p.encode());
        }
        w.build()
    }
}

/// A pod manifest (`acKind: PodManifest`). `None` lists are written as `null`, as Go does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodManifest {
    /// Spec version; the reference does not require it when reading.
    pub ac_version: Option<SemVer>,
    /// The apps.
    pub apps: Option<Vec<RuntimeApp>>,
    /// The volumes.
    pub volumes: Option<Vec<Volume>>,
    /// Pod-level isolators (each checked alone; unknown ones allowed).
    pub isolators: Option<Vec<Isolator>>,
    /// Pod annotations.
    pub annotations: Option<Annotations>,
    /// Ports exposed on the host.
    pub ports: Option<Vec<ExposedPort>>,
    /// Free-form annotations for users.
    pub user_annotations: BTreeMap<String, String>,
    /// Free-form labels for users.
    pub user_labels: BTreeMap<String, String>,
}

impl PodManifest {
    /// An empty pod manifest of our spec version.
    pub fn new() -> Self {
        PodManifest {
            ac_version: Some(SemVer::ours()),
            ..Default::default()
        }
    }

    /// Parses and validates as the reference's `PodManifest.UnmarshalJSON` does.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, SchemaError> {
        Self::from_json(&Json::parse(bytes)?)
    }

    pub(crate) fn from_json(v: &Json) -> Res<Self> {
        let o = Obj::new(v, "", "schema.PodManifest")?;
        let version = o.field("acVersion", SemVer::decode)?;
        let kind = o.field("acKind", AcKind::decode)?;
        let apps = o.field("apps", |v, p| {
            let apps = super::decode::list(v, p, RuntimeApp::decode)?;
            check_unique_apps(apps.as_deref().unwrap_or_default())
                .map_err(|r| SchemaError::at(p, r))?;
            Ok(apps)
        })?;
        let pm = PodManifest {
            ac_version: version,
            apps: apps.flatten(),
            volumes: o.list("volumes", Volume::decode)?,
            isolators: o.list("isolators", Isolator::decode)?,
            annotations: o.field("annotations", Annotations::decode)?.flatten(),
            ports: o.list("ports", ExposedPort::decode)?,
            user_annotations: o.string_map("userAnnotations")?,
            user_labels: o.string_map("userLabels")?,
        };
        if kind != Some(AcKind::PodManifest) {
            return Err(SchemaError::at("acKind", Reason::KindWrong("PodManifest")));
        }
        pm.check_unique_volumes()?;
        Ok(pm)
    }

    fn check_unique_volumes(&self) -> Res<()> {
        let mut seen = HashSet::new();
        for v in self.volumes.iter().flatten() {
            if !seen.insert(v.name.as_str()) {
                return Err(SchemaError::at(
                    "volumes",
                    Reason::DuplicateVolume(v.name.to_string()),
                ));
            }
        }
        Ok(())
    }

    /// All the checks parsing applies, plus the name checks the reference makes when writing;
    /// for a manifest built or edited in code.
    pub fn validate(&self) -> Result<(), SchemaError> {
        check_unique_apps(self.apps.as_deref().unwrap_or_default())
            .map_err(|r| SchemaError::at("apps", r))?;
        for (i, a) in self.apps.iter().flatten().enumerate() {
            let p = format!("apps[{i}]");
            a.name
                .check()
                .map_err(|e| SchemaError::at(format!("{p}.name"), e))?;
            if let Some(app) = &a.app {
                app.validate().map_err(|e| prefix(&format!("{p}.app"), e))?;
                app.check_names()
                    .map_err(|e| prefix(&format!("{p}.app"), e))?;
            }
            for (j, m) in a.mounts.iter().enumerate() {
                m.volume
                    .check()
                    .map_err(|e| SchemaError::at(format!("{p}.mounts[{j}].volume"), e))?;
                if let Some(v) = &m.app_volume {
                    v.validate()
                        .map_err(|r| SchemaError::at(format!("{p}.mounts[{j}].appVolume"), r))?;
                }
            }
            check_names(&a.image.labels.0, &format!("{p}.image.labels"))?;
            check_names(&a.annotations.0, &format!("{p}.annotations"))?;
            a.image
                .labels
                .validate()
                .map_err(|r| SchemaError::at(format!("{p}.image.labels"), r))?;
            a.annotations
                .validate()
                .map_err(|r| SchemaError::at(format!("{p}.annotations"), r))?;
        }
        for (i, v) in self.volumes.iter().flatten().enumerate() {
            v.validate()
                .map_err(|r| SchemaError::at(format!("volumes[{i}]"), r))?;
        }
        self.check_unique_volumes()?;
        if let Some(a) = &self.annotations {
            a.validate()
                .map_err(|r| SchemaError::at("annotations", r))?;
            check_names(&a.0, "annotations")?;
        }
        for (i, iso) in self.isolators.iter().flatten().enumerate() {
            iso.name()
                .check()
                .map_err(|e| SchemaError::at(format!("isolators[{i}].name"), e))?;
        }
        for (i, p) in self.ports.iter().flatten().enumerate() {
            p.name
                .check()
                .map_err(|e| SchemaError::at(format!("ports[{i}].name"), e))?;
            if let Some(pp) = &p.pod_port {
                pp.validate()
                    .map_err(|r| SchemaError::at(format!("ports[{i}].podPort"), r))?;
            }
        }
        Ok(())
    }

    /// The app of that name.
    pub fn app(&self, name: &str) -> Option<&RuntimeApp> {
        self.apps.iter().flatten().find(|a| a.name.as_str() == name)
    }

    pub(crate) fn to_json(&self) -> Res<Json> {
        let version = self
            .ac_version
            .as_ref()
            .ok_or_else(|| SchemaError::at("acVersion", Reason::SemVerZero))?;
        let apps = match &self.apps {
            Some(apps) => Json::Array(
                apps.iter()
                    .enumerate()
                    .map(|(i, a)| a.encode().map_err(|e| prefix(&format!("apps[{i}]"), e)))
                    .collect::<Res<Vec<Json>>>()?,
            ),
            None => Json::Null,
        };
        Ok(ObjWriter::new()
            .put("acVersion", jstr(&version.to_string()))
            .put("acKind", jstr(AcKind::PodManifest.as_str()))
            .put("apps", apps)
            .put("volumes", jlist(self.volumes.as_deref(), Volume::encode))
            .put(
                "isolators",
                jlist(self.isolators.as_deref(), Isolator::encode),
            )
            .put(
                "annotations",
                Annotations::encode(self.annotations.as_ref()),
            )
            .put("ports", jlist(self.ports.as_deref(), ExposedPort::encode))
            .put_omitempty("userAnnotations", jmap(&self.user_annotations))
            .put_omitempty("userLabels", jmap(&self.user_labels))
            .build())
    }

    /// Validates, then writes compact JSON byte for byte as the reference's `json.Marshal`.
    pub fn to_vec(&self) -> Result<Vec<u8>, SchemaError> {
        self.validate()?;
        let out = self.to_json()?.to_go_string().into_bytes();
        // Never write what we could not read back: the reference refuses to marshal any empty
        // or invalid name, wherever it sits, and reading it back checks every one of them.
        Self::from_slice(&out)?;
        Ok(out)
    }

    /// Like [`PodManifest::to_vec`], indented by four spaces.
    pub fn to_vec_pretty(&self) -> Result<Vec<u8>, SchemaError> {
        let compact = self.to_vec()?;
        Ok(indent(&String::from_utf8_lossy(&compact), "    ").into_bytes())
    }
}

fn check_unique_apps(apps: &[RuntimeApp]) -> Result<(), Reason> {
    let mut seen = HashSet::new();
    for a in apps {
        if !seen.insert(a.name.as_str()) {
            return Err(Reason::DuplicateApp(a.name.to_string()));
        }
    }
    Ok(())
}
