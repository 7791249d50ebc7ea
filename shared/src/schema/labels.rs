//! Labels (with the os/arch table), annotations and environment variables.

use std::collections::HashSet;

use super::decode::{Obj, ObjWriter, Res, jstr, list};
use super::error::{Reason, SchemaError};
use super::json::Json;
use super::names::AcIdentifier;
use super::values::{Date, check_http_url};

/// The os/arch pairs the reference accepts in `os` and `arch` labels.
pub const VALID_OS_ARCH: &[(&str, &[&str])] = &[
    ("darwin", &["x86_64", "i386"]),
    ("freebsd", &["amd64", "i386", "arm"]),
    (
        "linux",
        &[
            "amd64",
            "i386",
            "aarch64",
            "aarch64_be",
            "armv6l",
            "armv7l",
            "armv7b",
            "ppc64",
            "ppc64le",
            "s390x",
        ],
    ),
];

/// Maps Go's `GOOS`/`GOARCH` (and `GOARM`) to appc os/arch label values.
pub fn appc_os_arch(
    go_os: &str,
    go_arch: &str,
    go_arm: &str,
) -> Option<(&'static str, &'static str)> {
    Some(match (go_os, go_arch, go_arm) {
        ("linux", "amd64", "") => ("linux", "amd64"),
        ("linux", "386", "") => ("linux", "i386"),
        ("linux", "arm64", "") => ("linux", "aarch64"),
        ("linux", "arm", "" | "6") => ("linux", "armv6l"),
        ("linux", "arm", "7") => ("linux", "armv7l"),
        ("linux", "ppc64", "") => ("linux", "ppc64"),
        ("linux", "ppc64le", "") => ("linux", "ppc64le"),
        ("linux", "s390x", "") => ("linux", "s390x"),
        ("freebsd", "amd64", "") => ("freebsd", "amd64"),
        ("freebsd", "386", "") => ("freebsd", "i386"),
        ("freebsd", "arm", "" | "5" | "6" | "7") => ("freebsd", "arm"),
        ("darwin", "amd64", "") => ("darwin", "x86_64"),
        ("darwin", "386", "") => ("darwin", "i386"),
        _ => return None,
    })
}

/// Checks `os` / `arch` values against [`VALID_OS_ARCH`]; arch only matters when os is set.
pub fn check_os_arch(os: Option<&str>, arch: Option<&str>) -> Result<(), Reason> {
    let Some(os) = os else { return Ok(()) };
    let Some((_, archs)) = VALID_OS_ARCH.iter().find(|(o, _)| *o == os) else {
        let valid: Vec<&str> = VALID_OS_ARCH.iter().map(|(o, _)| *o).collect();
        return Err(Reason::BadOs {
            os: os.to_string(),
            valid: valid.join(" "),
        });
    };
    if let Some(arch) = arch
        && !archs.contains(&arch)
    {
        return Err(Reason::BadArch {
            arch: arch.to_string(),
            os: os.to_string(),
            valid: archs.join(" "),
        });
    }
    Ok(())
}

/// One `{name, value}` pair of a label or annotation list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NameValue {
    /// The name.
    pub name: AcIdentifier,
    /// The value.
    pub value: String,
}

impl NameValue {
    /// A pair.
    pub fn new(name: AcIdentifier, value: impl Into<String>) -> Self {
        NameValue {
            name,
            value: value.into(),
        }
    }

    fn decode(v: &Json, path: &str) -> Res<Self> {
        let o = Obj::new(v, path, "struct")?;
        Ok(NameValue {
            name: o.field("name", AcIdentifier::decode)?.unwrap_or_default(),
            value: o.string("value")?,
        })
    }

    fn encode(&self) -> Json {
        ObjWriter::new()
            .put("name", self.name.encode())
            .put("value", jstr(&self.value))
            .build()
    }
}

/// A label: `{name, value}`.
pub type Label = NameValue;
/// An annotation: `{name, value}`.
pub type Annotation = NameValue;

fn get<'a>(items: &'a [NameValue], name: &str) -> Option<&'a str> {
    items
        .iter()
        .find(|l| l.name.as_str() == name)
        .map(|l| l.value.as_str())
}

fn set(items: &mut Vec<NameValue>, name: AcIdentifier, value: String) {
    match items.iter_mut().find(|l| l.name == name) {
        Some(l) => l.value = value,
        None => items.push(NameValue { name, value }),
    }
}

/// Checks the names of a label or annotation list, as the reference does when writing.
pub(crate) fn check_names(items: &[NameValue], field: &str) -> Result<(), SchemaError> {
    for (i, l) in items.iter().enumerate() {
        l.name
            .check()
            .map_err(|e| SchemaError::at(format!("{field}[{i}].name"), e))?;
    }
    Ok(())
}

/// An ordered label list (`None` inside the manifest types means the key was absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels(pub Vec<Label>);

impl Labels {
    /// The value of label `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        get(&self.0, name)
    }

    /// Sets or replaces a label (no validation; see [`Labels::validate`]).
    pub fn set(&mut self, name: AcIdentifier, value: impl Into<String>) {
        set(&mut self.0, name, value.into());
    }

    /// The reference's checks: no `name` label, unique names, known os/arch.
    pub fn validate(&self) -> Result<(), Reason> {
        let mut seen = HashSet::new();
        for l in &self.0 {
            if l.name.as_str() == "name" {
                return Err(Reason::LabelNameReserved);
            }
            if !seen.insert(l.name.as_str()) {
                return Err(Reason::DuplicateLabel(l.name.to_string()));
            }
        }
        check_os_arch(self.get("os"), self.get("arch"))
    }

    pub(crate) fn decode(v: &Json, path: &str) -> Res<Option<Self>> {
        let Some(items) = list(v, path, NameValue::decode)? else {
            return Ok(None);
        };
        let l = Labels(items);
        l.validate().map_err(|r| SchemaError::at(path, r))?;
        Ok(Some(l))
    }

    pub(crate) fn encode(this: Option<&Self>) -> Json {
        match this {
            Some(l) => Json::Array(l.0.iter().map(NameValue::encode).collect()),
            None => Json::Null,
        }
    }
}

/// An ordered annotation list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotations(pub Vec<Annotation>);

impl Annotations {
    /// The value of annotation `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        get(&self.0, name)
    }

    /// Sets or replaces an annotation in place (the pod-over-image merge rule).
    pub fn set(&mut self, name: AcIdentifier, value: impl Into<String>) {
        set(&mut self.0, name, value.into());
    }

    /// The reference's checks: unique names, `created` a timestamp, `homepage` and
    /// `documentation` http(s) URLs.
    pub fn validate(&self) -> Result<(), Reason> {
        let mut seen = HashSet::new();
        for a in &self.0 {
            if !seen.insert(a.name.as_str()) {
                return Err(Reason::DuplicateAnnotation(a.name.to_string()));
            }
        }
        if let Some(c) = self.get("created") {
            Date::parse(c)?;
        }
        if let Some(h) = self.get("homepage") {
            check_http_url(h)?;
        }
        if let Some(d) = self.get("documentation") {
            check_http_url(d)?;
        }
        Ok(())
    }

    pub(crate) fn decode(v: &Json, path: &str) -> Res<Option<Self>> {
        let Some(items) = list(v, path, NameValue::decode)? else {
            return Ok(None);
        };
        let a = Annotations(items);
        a.validate().map_err(|r| SchemaError::at(path, r))?;
        Ok(Some(a))
    }

    pub(crate) fn encode(this: Option<&Self>) -> Json {
        match this {
            Some(a) => Json::Array(a.0.iter().map(NameValue::encode).collect()),
            None => Json::Null,
        }
    }
}

/// One environment variable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EnvVar {
    /// Variable name (`[A-Za-z_][A-Za-z_0-9.-]*`).
    pub name: String,
    /// Literal value.
    pub value: String,
}

/// An app's environment, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment(pub Vec<EnvVar>);

fn env_name_ok(n: &str) -> bool {
    let b = n.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"_.-".contains(&c))
}

impl Environment {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.value.as_str())
    }

    /// Sets or replaces `name`.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        match self.0.iter_mut().find(|e| e.name == name) {
            Some(e) => e.value = value,
            None => self.0.push(EnvVar { name, value }),
        }
    }

    /// Names valid and unique.
    pub fn validate(&self) -> Result<(), Reason> {
        let mut seen = HashSet::new();
        for e in &self.0 {
            if e.name.is_empty() {
                return Err(Reason::EnvNameEmpty);
            }
            if !env_name_ok(&e.name) {
                return Err(Reason::EnvNameInvalid(e.name.clone()));
            }
            if !seen.insert(e.name.as_str()) {
                return Err(Reason::DuplicateEnv(e.name.clone()));
            }
        }
        Ok(())
    }

    pub(crate) fn decode(v: &Json, path: &str) -> Res<Self> {
        let items = list(v, path, |v, p| {
            let o = Obj::new(v, p, "struct")?;
            Ok(EnvVar {
                name: o.string("name")?,
                value: o.string("value")?,
            })
        })?
        .unwrap_or_default();
        let e = Environment(items);
        e.validate().map_err(|r| SchemaError::at(path, r))?;
        Ok(e)
    }

    pub(crate) fn encode(&self) -> Json {
        Json::Array(
            self.0
                .iter()
                .map(|e| {
                    ObjWriter::new()
                        .put("name", jstr(&e.name))
                        .put("value", jstr(&e.value))
                        .build()
                })
                .collect(),
        )
    }
}

/// This machine's appc `os` and `arch` label values (e.g. `linux`, `amd64`), the defaults
/// when a user names an image without them.
pub fn host_os_arch() -> (&'static str, &'static str) {
    let go_arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        other => other,
    };
    appc_os_arch(
        std::env::consts::OS,
        go_arch,
        if go_arch == "arm" { "7" } else { "" },
    )
    .unwrap_or((std::env::consts::OS, std::env::consts::ARCH))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels(
            pairs
                .iter()
                .map(|(n, v)| NameValue::new(AcIdentifier::new(n).unwrap(), *v))
                .collect(),
        )
    }

    #[test]
    fn os_arch_table() {
        assert_eq!(
            labels(&[("os", "linux"), ("arch", "amd64")]).validate(),
            Ok(())
        );
        assert_eq!(
            labels(&[("os", "freebsd"), ("arch", "arm")]).validate(),
            Ok(())
        );
        assert_eq!(
            labels(&[("os", "darwin"), ("arch", "x86_64")]).validate(),
            Ok(())
        );
        // arch alone is not checked.
        assert_eq!(labels(&[("arch", "anything")]).validate(), Ok(()));
        assert_eq!(
            labels(&[("os", "plan9")])
                .validate()
                .unwrap_err()
                .to_string(),
            "bad os \"plan9\" (must be one of: [darwin freebsd linux])"
        );
        assert_eq!(
            labels(&[("os", "darwin"), ("arch", "amd64")])
                .validate()
                .unwrap_err()
                .to_string(),
            "bad arch \"amd64\" for darwin (must be one of: [x86_64 i386])"
        );
        assert_eq!(
            appc_os_arch("linux", "arm64", ""),
            Some(("linux", "aarch64"))
        );
        assert_eq!(
            appc_os_arch("darwin", "amd64", ""),
            Some(("darwin", "x86_64"))
        );
        assert_eq!(appc_os_arch("windows", "amd64", ""), None);
    }

    #[test]
    fn label_rules() {
        assert_eq!(
            labels(&[("name", "x")]).validate(),
            Err(Reason::LabelNameReserved)
        );
        assert_eq!(
            labels(&[("version", "1"), ("version", "2")]).validate(),
            Err(Reason::DuplicateLabel("version".into()))
        );
    }

    #[test]
    fn annotation_rules() {
        let a = |pairs: &[(&str, &str)]| Annotations(labels(pairs).0);
        assert_eq!(
            a(&[("created", "2014-11-14T17:36:54-08:00")]).validate(),
            Ok(())
        );
        assert!(matches!(
            a(&[("created", "yesterday")]).validate(),
            Err(Reason::Date(_))
        ));
        assert_eq!(
            a(&[("homepage", "ftp://x")]).validate(),
            Err(Reason::UrlScheme)
        );
        assert_eq!(a(&[("documentation", "https://x/doc")]).validate(), Ok(()));
        assert!(a(&[("homepage", "not-A$@#URL")]).validate().is_err());
        assert!(a(&[("created", "garbage")]).validate().is_err());
        assert_eq!(
            a(&[
                ("appc.io/executor/supports-systemd-notify", "false"),
                ("foo", "bar")
            ])
            .validate(),
            Ok(())
        );
        assert_eq!(
            a(&[("a", "1"), ("a", "2")]).validate(),
            Err(Reason::DuplicateAnnotation("a".into()))
        );
        let mut ann = a(&[("a", "1"), ("b", "2")]);
        ann.set(AcIdentifier::new("a").unwrap(), "3");
        ann.set(AcIdentifier::new("c").unwrap(), "4");
        assert_eq!(ann.get("a"), Some("3"));
        assert_eq!(ann.0.len(), 3);
    }

    #[test]
    fn environment_rules() {
        let env = |names: &[&str]| {
            Environment(
                names
                    .iter()
                    .map(|n| EnvVar {
                        name: n.to_string(),
                        value: String::new(),
                    })
                    .collect(),
            )
        };
        assert_eq!(env(&["PATH", "_x", "a.b-c9"]).validate(), Ok(()));
        assert_eq!(env(&[""]).validate(), Err(Reason::EnvNameEmpty));
        assert_eq!(
            env(&["0abc"]).validate(),
            Err(Reason::EnvNameInvalid("0abc".into()))
        );
        assert_eq!(
            env(&["a b"]).validate(),
            Err(Reason::EnvNameInvalid("a b".into()))
        );
        assert_eq!(
            env(&["A", "A"]).validate(),
            Err(Reason::DuplicateEnv("A".into()))
        );
    }
}
