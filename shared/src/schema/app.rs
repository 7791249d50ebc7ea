//! The `app` section of an image manifest (also used inline in pod manifests).

use std::collections::{BTreeMap, HashSet};

use super::decode::{Obj, ObjWriter, Res, jlist, jmap, jstr, string_list};
use super::error::{Reason, SchemaError};
use super::isolator::{Isolator, Isolators};
use super::json::Json;
use super::labels::Environment;
use super::names::AcName;

/// An event handler: `pre-start` or `post-stop` with its command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventHandler {
    /// `pre-start` or `post-stop`.
    pub name: String,
    /// The command (`None` is Go's nil, written as `null`).
    pub exec: Option<Vec<String>>,
}

impl EventHandler {
    /// The name must be one of the two known handlers.
    pub fn validate(&self) -> Result<(), Reason> {
        match self.name.as_str() {
            "pre-start" | "post-stop" => Ok(()),
            "" => Err(Reason::EventHandlerEmpty),
            other => Err(Reason::EventHandlerBad(other.to_string())),
        }
    }

    fn decode(v: &Json, path: &str) -> Res<Self> {
        let o = Obj::new(v, path, "struct")?;
        let h = EventHandler {
            name: o.string("name")?,
            exec: o.strings("exec")?,
        };
        h.validate().map_err(|r| SchemaError::at(path, r))?;
        Ok(h)
    }

    fn encode(&self) -> Json {
        ObjWriter::new()
            .put("name", jstr(&self.name))
            .put("exec", jlist(self.exec.as_deref(), |s| jstr(s)))
            .build()
    }
}

/// A mount point the app expects a volume at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountPoint {
    /// Its name, matched against pod volumes.
    pub name: AcName,
    /// Path inside the app's rootfs.
    pub path: String,
    /// Whether it is mounted read-only.
    pub read_only: bool,
}

impl MountPoint {
    /// The CLI form's checks (the reference does not apply them to JSON).
    pub fn validate(&self) -> Result<(), Reason> {
        if self.name.is_empty() {
            return Err(Reason::NameMustBeSet);
        }
        if self.path.is_empty() {
            return Err(Reason::PathMustBeSet);
        }
        Ok(())
    }

    fn decode(v: &Json, path: &str) -> Res<Self> {
        let o = Obj::new(v, path, "struct")?;
        Ok(MountPoint {
            name: o.field("name", AcName::decode)?.unwrap_or_default(),
            path: o.string("path")?,
            read_only: o.bool("readOnly")?,
        })
    }

    pub(crate) fn encode(&self) -> Json {
        ObjWriter::new()
            .put("name", self.name.encode())
            .put("path", jstr(&self.path))
            .put_omitempty("readOnly", Json::Bool(self.read_only))
            .build()
    }
}

/// A port the app listens on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Port {
    /// Its name.
    pub name: AcName,
    /// Protocol, e.g. `tcp` (not checked).
    pub protocol: String,
    /// First port, 1..=65535.
    pub port: u64,
    /// Number of ports (0 is read as 1).
    pub count: u64,
    /// Whether the app expects the socket passed in.
    pub socket_activated: bool,
}

impl Port {
    /// Range checks: port in 1..=65535 and port+count at most 65536.
    pub fn validate(&self) -> Result<(), Reason> {
        if !(1..=65535).contains(&self.port) {
            return Err(Reason::PortRange);
        }
        // Go adds in 64 bits and can wrap; we refuse a wrapping count instead.
        match self.port.checked_add(self.count) {
            Some(end) if end <= 65536 => Ok(()),
            _ => Err(Reason::PortEndRange),
        }
    }

    pub(crate) fn decode(v: &Json, path: &str) -> Res<Self> {
        let o = Obj::new(v, path, "struct")?;
        let mut p = Port {
            name: o.field("name", AcName::decode)?.unwrap_or_default(),
            protocol: o.string("protocol")?,
            port: o.uint("port")?,
            count: o.uint("count")?,
            socket_activated: o.bool("socketActivated")?,
        };
        p.validate().map_err(|r| SchemaError::at(path, r))?;
        if p.count == 0 {
            p.count = 1;
        }
        Ok(p)
    }

    pub(crate) fn encode(&self) -> Json {
        ObjWriter::new()
            .put("name", self.name.encode())
            .put("protocol", jstr(&self.protocol))
            .put("port", Json::Number(self.port.to_string()))
            .put("count", Json::Number(self.count.to_string()))
            .put("socketActivated", Json::Bool(self.socket_activated))
            .build()
    }
}

/// How to run the app.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct App {
    /// Command and arguments (`None` is written as `null`, as Go writes a nil slice).
    pub exec: Option<Vec<String>>,
    /// `pre-start` / `post-stop` handlers.
    pub event_handlers: Vec<EventHandler>,
    /// User name, uid, or `/path` whose owner to use. Required.
    pub user: String,
    /// Group name, gid, or `/path` whose group to use. Required.
    pub group: String,
    /// Extra group IDs.
    pub supplementary_gids: Vec<i64>,
    /// Absolute working directory; empty means `/`.
    pub working_directory: String,
    /// Environment variables.
    pub environment: Environment,
    /// Where volumes are expected.
    pub mount_points: Vec<MountPoint>,
    /// Ports the app listens on.
    pub ports: Vec<Port>,
    /// Isolators, validated as a set.
    pub isolators: Isolators,
    /// Free-form annotations for users (not used by the executor).
    pub user_annotations: BTreeMap<String, String>,
    /// Free-form labels for users.
    pub user_labels: BTreeMap<String, String>,
}

impl App {
    /// The reference's checks, in its order; the error names the field.
    pub fn validate(&self) -> Result<(), SchemaError> {
        let at = |f: &str, r: Reason| SchemaError::at(f, r);
        if self.user.is_empty() {
            return Err(at("user", Reason::UserRequired));
        }
        if self.group.is_empty() {
            return Err(at("group", Reason::GroupRequired));
        }
        if !self.working_directory.is_empty() && !self.working_directory.starts_with('/') {
            return Err(at("workingDirectory", Reason::WorkingDirectoryRelative));
        }
        let mut seen = HashSet::new();
        for (i, h) in self.event_handlers.iter().enumerate() {
            h.validate()
                .map_err(|r| at(&format!("eventHandlers[{i}]"), r))?;
            if !seen.insert(h.name.as_str()) {
                return Err(at(
                    "eventHandlers",
                    Reason::EventHandlerDuplicate(h.name.clone()),
                ));
            }
        }
        self.environment
            .validate()
            .map_err(|r| at("environment", r))?;
        for (i, p) in self.ports.iter().enumerate() {
            p.validate().map_err(|r| at(&format!("ports[{i}]"), r))?;
        }
        self.isolators.validate().map_err(|r| at("isolators", r))?;
        Ok(())
    }

    /// Names the reference only checks when writing (a missing key leaves them empty).
    pub(crate) fn check_names(&self) -> Result<(), SchemaError> {
        for (i, m) in self.mount_points.iter().enumerate() {
            m.name
                .check()
                .map_err(|e| SchemaError::at(format!("mountPoints[{i}].name"), e))?;
        }
        for (i, p) in self.ports.iter().enumerate() {
            p.name
                .check()
                .map_err(|e| SchemaError::at(format!("ports[{i}].name"), e))?;
        }
        for (i, iso) in self.isolators.0.iter().enumerate() {
            iso.name()
                .check()
                .map_err(|e| SchemaError::at(format!("isolators[{i}].name"), e))?;
        }
        Ok(())
    }

    pub(crate) fn decode(v: &Json, path: &str) -> Res<Self> {
        let o = Obj::new(v, path, "struct")?;
        let app = App {
            exec: o.field("exec", string_list)?.flatten(),
            event_handlers: o
                .list("eventHandlers", EventHandler::decode)?
                .unwrap_or_default(),
            user: o.string("user")?,
            group: o.string("group")?,
            supplementary_gids: o
                .list("supplementaryGIDs", super::decode::int)?
                .unwrap_or_default(),
            working_directory: o.string("workingDirectory")?,
            environment: o
                .field("environment", Environment::decode)?
                .unwrap_or_default(),
            mount_points: o
                .list("mountPoints", MountPoint::decode)?
                .unwrap_or_default(),
            ports: o.list("ports", Port::decode)?.unwrap_or_default(),
            isolators: Isolators(
                o.field("isolators", Isolators::decode_list)?
                    .flatten()
                    .unwrap_or_default(),
            ),
            user_annotations: o.string_map("userAnnotations")?,
            user_labels: o.string_map("userLabels")?,
        };
        app.validate().map_err(|e| prefix(path, e))?;
        Ok(app)
    }

    pub(crate) fn encode(&self) -> Json {
        ObjWriter::new()
            .put("exec", jlist(self.exec.as_deref(), |s| jstr(s)))
            .put_omitempty(
                "eventHandlers",
                Json::Array(
                    self.event_handlers
                        .iter()
                        .map(EventHandler::encode)
                        .collect(),
                ),
            )
            .put("user", jstr(&self.user))
            .put("group", jstr(&self.group))
            .put_omitempty(
                "supplementaryGIDs",
                Json::Array(
                    self.supplementary_gids
                        .iter()
                        .map(|g| Json::Number(g.to_string()))
                        .collect(),
                ),
            )
            .put_omitempty("workingDirectory", jstr(&self.working_directory))
            .put_omitempty("environment", self.environment.encode())
            .put_omitempty(
                "mountPoints",
                Json::Array(self.mount_points.iter().map(MountPoint::encode).collect()),
            )
            .put_omitempty(
                "ports",
                Json::Array(self.ports.iter().map(Port::encode).collect()),
            )
            .put_omitempty(
                "isolators",
                Json::Array(self.isolators.0.iter().map(Isolator::encode).collect()),
            )
            .put_omitempty("userAnnotations", jmap(&self.user_annotations))
            .put_omitempty("userLabels", jmap(&self.user_labels))
            .build()
    }
}

/// Puts `path.` in front of an error's field.
pub(crate) fn prefix(path: &str, e: SchemaError) -> SchemaError {
    match e {
        SchemaError::Invalid { field, reason } => SchemaError::Invalid {
            field: super::decode::join(path, &field),
            reason,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::labels::EnvVar;

    fn app(exec: Option<&[&str]>, user: &str, group: &str, wd: &str) -> App {
        App {
            exec: exec.map(|e| e.iter().map(|s| s.to_string()).collect()),
            user: user.into(),
            group: group.into(),
            working_directory: wd.into(),
            ..Default::default()
        }
    }

    fn handlers(names: &[&str]) -> Vec<EventHandler> {
        names
            .iter()
            .map(|n| EventHandler {
                name: n.to_string(),
                exec: None,
            })
            .collect()
    }

    #[test]
    fn reference_valid_apps() {
        let mut with_handlers = app(Some(&["/app"]), "0", "0", "/tmp");
        with_handlers.event_handlers = handlers(&["pre-start", "post-stop"]);
        with_handlers.environment.set("DEBUG", "true");
        for a in [
            app(Some(&["/bin/httpd"]), "0", "0", "/tmp"),
            with_handlers,
            app(Some(&["/app", "arg1", "arg2"]), "0", "0", "/tmp"),
            app(None, "0", "0", "/tmp"),
            app(Some(&[]), "0", "0", "/tmp"),
            app(Some(&["app"]), "0", "0", "/tmp"),
            app(Some(&["bin/app", "arg1"]), "0", "0", ""),
        ] {
            assert_eq!(a.validate(), Ok(()), "{a:?}");
        }
    }

    #[test]
    fn reference_invalid_apps() {
        let reason = |a: &App| a.validate().unwrap_err().reason().cloned();
        for names in [
            &["pre-start", "pre-start"][..],
            &["post-stop", "pre-start", "post-stop"],
        ] {
            let mut a = app(Some(&["/bin/httpd"]), "0", "0", "");
            a.event_handlers = handlers(names);
            assert!(matches!(reason(&a), Some(Reason::EventHandlerDuplicate(_))));
        }
        assert_eq!(
            reason(&app(Some(&["/app"]), "", "", "")),
            Some(Reason::UserRequired)
        );
        assert_eq!(
            reason(&app(Some(&["/app"]), "0", "", "")),
            Some(Reason::GroupRequired)
        );
        assert_eq!(
            reason(&app(Some(&["app"]), "", "0", "")),
            Some(Reason::UserRequired)
        );
        for wd in ["stuff", "../home/fred"] {
            assert_eq!(
                reason(&app(Some(&["/app"]), "foo", "bar", wd)),
                Some(Reason::WorkingDirectoryRelative)
            );
        }
        let mut a = app(Some(&["/app"]), "foo", "bar", "");
        a.environment.0.push(EnvVar {
            name: "0DEBUG".into(),
            value: "true".into(),
        });
        assert_eq!(
            a.validate().unwrap_err().to_string(),
            "environment: environment variable does not have valid identifier \"0DEBUG\""
        );
    }

    #[test]
    fn port_reference_ranges() {
        let port = |port, count| Port {
            name: AcName::new("p").unwrap(),
            protocol: "tcp".into(),
            port,
            count,
            socket_activated: false,
        };
        assert_eq!(port(80, 1).validate(), Ok(()));
        assert_eq!(port(65535, 1).validate(), Ok(()));
        assert_eq!(port(0, 1).validate(), Err(Reason::PortRange));
        assert_eq!(port(65536, 0).validate(), Err(Reason::PortRange));
        assert_eq!(port(32456, 45678).validate(), Err(Reason::PortEndRange));
        assert_eq!(port(1, u64::MAX).validate(), Err(Reason::PortEndRange));
    }

    #[test]
    fn json_defaults_and_output() {
        let j = Json::parse(
            br#"{"user":"0","group":"0","ports":[{"name":"p","protocol":"tcp","port":80}]}"#,
        )
        .unwrap();
        let a = App::decode(&j, "app").unwrap();
        assert_eq!(a.ports[0].count, 1, "count 0 is read as 1");
        assert_eq!(
            a.encode().to_go_string(),
            r#"{"exec":null,"user":"0","group":"0","ports":[{"name":"p","protocol":"tcp","port":80,"count":1,"socketActivated":false}]}"#
        );
    }
}
