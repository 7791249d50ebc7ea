//! Isolators: the standard ones with typed values, unknown ones kept as raw JSON.

use std::collections::{BTreeMap, HashSet};

use super::decode::{Obj, ObjWriter, Res, boolean, int, join, string_map};
use super::error::{Reason, SchemaError};
use super::json::Json;
use super::names::AcIdentifier;
use super::quantity::{Quantity, QuantityError};

/// `os/linux/capabilities-retain-set`.
pub const CAPABILITIES_RETAIN_SET: &str = "os/linux/capabilities-retain-set";
/// `os/linux/capabilities-remove-set`.
pub const CAPABILITIES_REMOVE_SET: &str = "os/linux/capabilities-remove-set";
/// `os/linux/no-new-privileges`.
pub const NO_NEW_PRIVILEGES: &str = "os/linux/no-new-privileges";
/// `os/linux/seccomp-remove-set`.
pub const SECCOMP_REMOVE_SET: &str = "os/linux/seccomp-remove-set";
/// `os/linux/seccomp-retain-set`.
pub const SECCOMP_RETAIN_SET: &str = "os/linux/seccomp-retain-set";
/// `os/linux/oom-score-adj`.
pub const OOM_SCORE_ADJ: &str = "os/linux/oom-score-adj";
/// `os/linux/cpu-shares`.
pub const CPU_SHARES: &str = "os/linux/cpu-shares";
/// `os/linux/selinux-context`.
pub const SELINUX_CONTEXT: &str = "os/linux/selinux-context";
/// `os/linux/apparmor-profile` (added after 0.8.11; see docs/schema.md).
pub const APPARMOR_PROFILE: &str = "os/linux/apparmor-profile";
/// `os/unix/sysctl`.
pub const UNIX_SYSCTL: &str = "os/unix/sysctl";
/// `resource/block-bandwidth`.
pub const RESOURCE_BLOCK_BANDWIDTH: &str = "resource/block-bandwidth";
/// `resource/block-iops`.
pub const RESOURCE_BLOCK_IOPS: &str = "resource/block-iops";
/// `resource/cpu`.
pub const RESOURCE_CPU: &str = "resource/cpu";
/// `resource/memory`.
pub const RESOURCE_MEMORY: &str = "resource/memory";
/// `resource/network-bandwidth`.
pub const RESOURCE_NETWORK_BANDWIDTH: &str = "resource/network-bandwidth";

/// Every isolator name this crate knows.
pub const KNOWN_ISOLATORS: &[&str] = &[
    CAPABILITIES_RETAIN_SET,
    CAPABILITIES_REMOVE_SET,
    NO_NEW_PRIVILEGES,
    SECCOMP_REMOVE_SET,
    SECCOMP_RETAIN_SET,
    OOM_SCORE_ADJ,
    CPU_SHARES,
    SELINUX_CONTEXT,
    APPARMOR_PROFILE,
    UNIX_SYSCTL,
    RESOURCE_BLOCK_BANDWIDTH,
    RESOURCE_BLOCK_IOPS,
    RESOURCE_CPU,
    RESOURCE_MEMORY,
    RESOURCE_NETWORK_BANDWIDTH,
];

/// A resource isolator value: `{default, request, limit}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resource {
    /// `default`: must be false for cpu/memory, true for block/network.
    pub default: bool,
    /// The guaranteed amount (cpu/memory only).
    pub request: Option<Quantity>,
    /// The ceiling.
    pub limit: Option<Quantity>,
}

/// A seccomp set: syscalls plus the optional errno to return.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeccompSet {
    /// Syscall names (or `@appc.io/...` wildcards).
    pub set: Vec<String>,
    /// `E...` errno name; empty means SIGSYS.
    pub errno: String,
}

/// An SELinux context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelinuxContext {
    /// SELinux user.
    pub user: String,
    /// SELinux role.
    pub role: String,
    /// SELinux type.
    pub r#type: String,
    /// SELinux level.
    pub level: String,
}

/// The typed value of a known isolator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IsolatorValue {
    /// Bounding set becomes exactly these capabilities.
    CapabilitiesRetain(Vec<String>),
    /// Bounding set is the default minus these.
    CapabilitiesRemove(Vec<String>),
    /// Only these syscalls are allowed.
    SeccompRetain(SeccompSet),
    /// These syscalls are blocked.
    SeccompRemove(SeccompSet),
    /// `PR_SET_NO_NEW_PRIVS`.
    NoNewPrivileges(bool),
    /// `/proc/self/oom_score_adj`, -1000..=1000.
    OomScoreAdj(i64),
    /// cgroup cpu.shares, 2..=262144.
    CpuShares(i64),
    /// SELinux context.
    SelinuxContext(SelinuxContext),
    /// AppArmor profile name.
    ApparmorProfile(String),
    /// sysctl key/values.
    Sysctl(BTreeMap<String, String>),
    /// CPU in cores (`milli_value()` gives millicores).
    Cpu(Resource),
    /// Memory in bytes.
    Memory(Resource),
    /// Block bandwidth in bytes/s.
    BlockBandwidth(Resource),
    /// Block IOPS.
    BlockIops(Resource),
    /// Network bandwidth in bytes/s.
    NetworkBandwidth(Resource),
}

impl IsolatorValue {
    /// Whether one app may list this isolator more than once (the reference's rule).
    pub fn multiple_allowed(&self) -> bool {
        !matches!(
            self,
            IsolatorValue::SeccompRetain(_)
                | IsolatorValue::SeccompRemove(_)
                | IsolatorValue::OomScoreAdj(_)
                | IsolatorValue::CpuShares(_)
                | IsolatorValue::SelinuxContext(_)
                | IsolatorValue::ApparmorProfile(_)
                | IsolatorValue::Sysctl(_)
        )
    }

    /// Isolator names that cannot appear together with this one.
    pub fn conflicts(&self) -> &'static [&'static str] {
        match self {
            IsolatorValue::SeccompRetain(_) => &[SECCOMP_REMOVE_SET],
            IsolatorValue::SeccompRemove(_) => &[SECCOMP_RETAIN_SET],
            _ => &[],
        }
    }

    /// The value's own checks.
    pub fn validate(&self) -> Result<(), Reason> {
        match self {
            IsolatorValue::CapabilitiesRetain(s) | IsolatorValue::CapabilitiesRemove(s) => {
                if s.is_empty() {
                    return Err(Reason::SetEmpty);
                }
            }
            IsolatorValue::SeccompRetain(s) | IsolatorValue::SeccompRemove(s) => {
                if s.set.is_empty() {
                    return Err(Reason::SetEmpty);
                }
                for (i, c) in s.errno.chars().enumerate() {
                    if i == 0 && c != 'E' {
                        return Err(Reason::ErrnoStart(s.errno.clone()));
                    }
                    if !(c.is_uppercase() || c.is_numeric()) {
                        return Err(Reason::ErrnoChars(s.errno.clone()));
                    }
                }
            }
            IsolatorValue::NoNewPrivileges(_) | IsolatorValue::Sysctl(_) => {}
            IsolatorValue::OomScoreAdj(v) => {
                if !(-1000..=1000).contains(v) {
                    return Err(Reason::OomScoreAdj(*v));
                }
            }
            IsolatorValue::CpuShares(v) => {
                if !(2..=262_144).contains(v) {
                    return Err(Reason::CpuShares(*v));
                }
            }
            IsolatorValue::SelinuxContext(c) => {
                for (part, value, colon_ok) in [
                    ("user", &c.user, false),
                    ("role", &c.role, false),
                    ("type", &c.r#type, false),
                    ("level", &c.level, true),
                ] {
                    if value.is_empty() || (!colon_ok && value.contains(':')) {
                        return Err(Reason::SelinuxPart {
                            part,
                            value: value.clone(),
                        });
                    }
                }
            }
            IsolatorValue::ApparmorProfile(p) => {
                if p.is_empty() {
                    return Err(Reason::ApparmorEmpty);
                }
            }
            IsolatorValue::Cpu(r) | IsolatorValue::Memory(r) => {
                if r.default {
                    return Err(Reason::DefaultMustBeFalse);
                }
            }
            IsolatorValue::BlockBandwidth(r)
            | IsolatorValue::BlockIops(r)
            | IsolatorValue::NetworkBandwidth(r) => {
                if !r.default {
                    return Err(Reason::DefaultMustBeTrue);
                }
                if r.request.is_some() {
                    return Err(Reason::RequestNotSupported);
                }
            }
        }
        Ok(())
    }

    fn decode(name: &str, v: &Json, path: &str) -> Res<Option<IsolatorValue>> {
        let caps = |v: &Json| -> Res<Vec<String>> {
            let o = Obj::new(v, path, "struct")?;
            Ok(o.strings("set")?.unwrap_or_default())
        };
        let seccomp = |v: &Json| -> Res<SeccompSet> {
            let o = Obj::new(v, path, "struct")?;
            Ok(SeccompSet {
                set: o.strings("set")?.unwrap_or_default(),
                errno: o.string("errno")?,
            })
        };
        let resource = |v: &Json| -> Res<Resource> {
            let o = Obj::new(v, path, "struct")?;
            let q = |field: &str| {
                Ok::<_, SchemaError>(
                    o.field(field, |v, p| quantity(v).map_err(|e| SchemaError::at(p, e)))?
                        .flatten(),
                )
            };
            Ok(Resource {
                default: o.bool("default")?,
                request: q("request")?,
                limit: q("limit")?,
            })
        };
        let value = match name {
            CAPABILITIES_RETAIN_SET => IsolatorValue::CapabilitiesRetain(caps(v)?),
            CAPABILITIES_REMOVE_SET => IsolatorValue::CapabilitiesRemove(caps(v)?),
            SECCOMP_RETAIN_SET => IsolatorValue::SeccompRetain(seccomp(v)?),
            SECCOMP_REMOVE_SET => IsolatorValue::SeccompRemove(seccomp(v)?),
            NO_NEW_PRIVILEGES => IsolatorValue::NoNewPrivileges(boolean(v, path)?),
            OOM_SCORE_ADJ => IsolatorValue::OomScoreAdj(int(v, path)?),
            CPU_SHARES => IsolatorValue::CpuShares(int(v, path)?),
            SELINUX_CONTEXT => {
                let o = Obj::new(v, path, "struct")?;
                IsolatorValue::SelinuxContext(SelinuxContext {
                    user: o.string("user")?,
                    role: o.string("role")?,
                    r#type: o.string("type")?,
                    level: o.string("level")?,
                })
            }
            APPARMOR_PROFILE => {
                let o = Obj::new(v, path, "struct")?;
                IsolatorValue::ApparmorProfile(o.string("profile")?)
            }
            UNIX_SYSCTL => IsolatorValue::Sysctl(string_map(v, path)?),
            RESOURCE_CPU => IsolatorValue::Cpu(resource(v)?),
            RESOURCE_MEMORY => IsolatorValue::Memory(resource(v)?),
            RESOURCE_BLOCK_BANDWIDTH => IsolatorValue::BlockBandwidth(resource(v)?),
            RESOURCE_BLOCK_IOPS => IsolatorValue::BlockIops(resource(v)?),
            RESOURCE_NETWORK_BANDWIDTH => IsolatorValue::NetworkBandwidth(resource(v)?),
            _ => return Ok(None),
        };
        value.validate().map_err(|r| SchemaError::at(path, r))?;
        Ok(Some(value))
    }
}

// The reference hands the raw JSON text to the quantity parser: strings lose their quotes,
// numbers are used as written, `null` means absent and anything else fails to parse.
fn quantity(v: &Json) -> Result<Option<Quantity>, QuantityError> {
    match v {
        Json::Null => Ok(None),
        Json::String(s) => Quantity::from_json_text(s).map(Some),
        // The reference parses the bytes between the quotes, escapes and all.
        Json::EscapedString { source, .. } => Quantity::from_json_text(source).map(Some),
        Json::Number(n) => Quantity::from_json_text(n).map(Some),
        Json::Bool(_) | Json::Array(_) | Json::Object(_) => Err(QuantityError::Format),
    }
}

/// One isolator: its name, the raw JSON value (kept for round-trips) and, for known names,
/// the typed value.
#[derive(Debug, Clone, PartialEq)]
pub struct Isolator {
    name: AcIdentifier,
    raw: Option<Json>,
    value: Option<IsolatorValue>,
}

impl Isolator {
    /// Builds an isolator; a known name must carry a valid value, an unknown one is kept raw.
    pub fn new(name: &str, value: serde_json::Value) -> Result<Isolator, SchemaError> {
        let name = AcIdentifier::new(name).map_err(|e| SchemaError::at("name", e))?;
        Self::from_parts(name, Some(Json::from_serde(&value)), "value")
    }

    fn from_parts(name: AcIdentifier, raw: Option<Json>, path: &str) -> Res<Isolator> {
        let raw = raw.filter(|r| *r != Json::Null);
        let value = match &raw {
            Some(r) => IsolatorValue::decode(name.as_str(), r, path)?,
            None if KNOWN_ISOLATORS.contains(&name.as_str()) => {
                // The reference dereferences the missing value and crashes.
                return Err(SchemaError::at(path, Reason::InvalidIsolator));
            }
            None => None,
        };
        Ok(Isolator { name, raw, value })
    }

    /// The isolator's name.
    pub fn name(&self) -> &AcIdentifier {
        &self.name
    }

    /// The typed value, `None` for names this crate does not know.
    pub fn value(&self) -> Option<&IsolatorValue> {
        self.value.as_ref()
    }

    /// The value as JSON, exactly as it will be written (`None` for a missing value).
    pub fn raw_value(&self) -> Option<serde_json::Value> {
        self.raw
            .as_ref()
            .and_then(|r| serde_json::from_str(&r.to_go_string()).ok())
    }

    /// The resource value of a `resource/*` isolator.
    pub fn resource(&self) -> Option<&Resource> {
        match self.value.as_ref()? {
            IsolatorValue::Cpu(r)
            | IsolatorValue::Memory(r)
            | IsolatorValue::BlockBandwidth(r)
            | IsolatorValue::BlockIops(r)
            | IsolatorValue::NetworkBandwidth(r) => Some(r),
            _ => None,
        }
    }

    /// The capability names of a capabilities retain/remove isolator.
    pub fn capabilities(&self) -> Option<&[String]> {
        match self.value.as_ref()? {
            IsolatorValue::CapabilitiesRetain(s) | IsolatorValue::CapabilitiesRemove(s) => Some(s),
            _ => None,
        }
    }

    /// The set of a seccomp retain/remove isolator.
    pub fn seccomp(&self) -> Option<&SeccompSet> {
        match self.value.as_ref()? {
            IsolatorValue::SeccompRetain(s) | IsolatorValue::SeccompRemove(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn decode(v: &Json, path: &str) -> Res<Isolator> {
        let o = Obj::new(v, path, "struct")?;
        let name = o.field("name", AcIdentifier::decode)?.unwrap_or_default();
        let raw = o.field("value", |v, _| Ok(v.clone()))?;
        Self::from_parts(name, raw, &join(path, "value"))
    }

    pub(crate) fn encode(&self) -> Json {
        ObjWriter::new()
            .put("name", self.name.encode())
            .put("value", self.raw.clone().unwrap_or(Json::Null))
            .build()
    }
}

/// An app's isolator list, validated as a set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Isolators(pub Vec<Isolator>);

impl Isolators {
    /// The last isolator of that name (later entries override earlier ones).
    pub fn get_by_name(&self, name: &str) -> Option<&Isolator> {
        self.0.iter().rev().find(|i| i.name.as_str() == name)
    }

    /// The isolators whose names this crate does not know.
    pub fn unrecognized(&self) -> Vec<&Isolator> {
        self.0.iter().filter(|i| i.value.is_none()).collect()
    }

    /// The reference's set rules: every isolator known, single-instance ones once, no
    /// conflicting pair.
    pub fn validate(&self) -> Result<(), Reason> {
        let mut seen: HashSet<&str> = HashSet::new();
        for i in &self.0 {
            let Some(v) = &i.value else {
                return Err(Reason::InvalidIsolator);
            };
            v.validate()?;
            if seen.contains(i.name.as_str()) && !v.multiple_allowed() {
                return Err(Reason::TooManyIsolators(i.name.to_string()));
            }
            if v.conflicts().iter().any(|c| seen.contains(c)) {
                return Err(Reason::IncompatibleIsolators);
            }
            seen.insert(i.name.as_str());
        }
        Ok(())
    }

    pub(crate) fn decode_list(v: &Json, path: &str) -> Res<Option<Vec<Isolator>>> {
        super::decode::list(v, path, Isolator::decode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(name: &str, v: serde_json::Value) -> String {
        Isolator::new(name, v).unwrap_err().to_string()
    }

    #[test]
    fn reference_unmarshal_table() {
        assert!(Isolator::new(CPU_SHARES, json!(1024)).is_ok());
        assert_eq!(
            err(CPU_SHARES, json!(1)),
            "value: os/linux/cpu-shares must be between 2 and 262144, got 1"
        );
        assert!(Isolator::new(CPU_SHARES, json!("pants")).is_err());
        assert!(Isolator::new(CPU_SHARES, json!("262145")).is_err());
        assert!(Isolator::new(CPU_SHARES, json!(262_145)).is_err());
        assert!(Isolator::new(OOM_SCORE_ADJ, json!(-1000)).is_ok());
        assert!(Isolator::new(OOM_SCORE_ADJ, json!(-2500)).is_err());
        assert!(Isolator::new(NO_NEW_PRIVILEGES, json!(true)).is_ok());
        assert!(Isolator::new(NO_NEW_PRIVILEGES, json!("true")).is_err());
        assert!(Isolator::new(NO_NEW_PRIVILEGES, json!(1)).is_err());
        assert!(Isolator::new(CAPABILITIES_RETAIN_SET, json!({"set": ["CAP_KILL"]})).is_ok());
        assert_eq!(
            err(CAPABILITIES_REMOVE_SET, json!({"set": []})),
            "value: set must be non-empty"
        );
        assert_eq!(
            err(CAPABILITIES_REMOVE_SET, json!({})),
            "value: set must be non-empty"
        );
        assert!(
            Isolator::new(
                RESOURCE_BLOCK_BANDWIDTH,
                json!({"default": true, "limit": "1G"})
            )
            .is_ok()
        );
        assert_eq!(
            err(RESOURCE_BLOCK_IOPS, json!({"limit": "1G"})),
            "value: default must be true"
        );
        assert_eq!(
            err(
                RESOURCE_NETWORK_BANDWIDTH,
                json!({"default": true, "request": "1", "limit": "1G"})
            ),
            "value: request not supported by this resource, must be empty"
        );
        assert_eq!(
            err(RESOURCE_CPU, json!({"default": true, "limit": "1"})),
            "value: default must be false"
        );
        assert_eq!(
            err(RESOURCE_MEMORY, json!({"limit": "1K"})),
            "value.limit: unable to parse quantity's suffix"
        );
        assert!(Isolator::new(UNIX_SYSCTL, json!({"net.ipv4.ip_forward": "1"})).is_ok());
        assert!(Isolator::new(UNIX_SYSCTL, json!({"net.ipv4.ip_forward": 1})).is_err());
        assert!(
            Isolator::new(
                SELINUX_CONTEXT,
                json!({"user": "u", "role": "r", "type": "t", "level": "s0:c1"})
            )
            .is_ok()
        );
        assert_eq!(
            err(
                SELINUX_CONTEXT,
                json!({"user": "u:x", "role": "r", "type": "t", "level": "s0"})
            ),
            "value: invalid user value \"u:x\""
        );
        assert!(
            Isolator::new(
                SELINUX_CONTEXT,
                json!({"user": "u", "role": "r", "type": "t"})
            )
            .is_err()
        );
        assert!(
            Isolator::new(
                SECCOMP_RETAIN_SET,
                json!({"set": ["read"], "errno": "EPERM"})
            )
            .is_ok()
        );
        assert_eq!(
            err(
                SECCOMP_RETAIN_SET,
                json!({"set": ["read"], "errno": "eperm"})
            ),
            "value: errno must start with an 'E' character, got eperm"
        );
        assert_eq!(
            err(
                SECCOMP_REMOVE_SET,
                json!({"set": ["read"], "errno": "EPERm"})
            ),
            "value: errno can only contain upper case or numeric characters, got EPERm"
        );
        assert!(Isolator::new(APPARMOR_PROFILE, json!({"profile": "x"})).is_ok());
        assert!(Isolator::new(APPARMOR_PROFILE, json!({"profile": ""})).is_err());
        assert!(Isolator::new(CPU_SHARES, serde_json::Value::Null).is_err());
    }

    #[test]
    fn typed_accessors_and_raw_round_trip() {
        let cpu = Isolator::new(RESOURCE_CPU, json!({"request": "30m", "limit": 1})).unwrap();
        let r = cpu.resource().unwrap();
        assert_eq!(r.request.as_ref().unwrap().milli_value(), 30);
        assert_eq!(r.limit.as_ref().unwrap().milli_value(), 1000);
        let mem = Isolator::new(RESOURCE_MEMORY, json!({"request": "1G", "limit": "2Gi"})).unwrap();
        let r = mem.resource().unwrap();
        assert_eq!(r.request.as_ref().unwrap().value(), 1_000_000_000);
        assert_eq!(r.limit.as_ref().unwrap().value(), 2 << 30);
        let unknown = Isolator::new("example.com/thing", json!({"b": [1, 2], "a": "<x>"})).unwrap();
        assert!(unknown.value().is_none());
        assert_eq!(
            unknown.encode().to_go_string(),
            r#"{"name":"example.com/thing","value":{"b":[1,2],"a":"\u003cx\u003e"}}"#
        );
    }

    #[test]
    fn set_rules() {
        let i = |n: &str, v: serde_json::Value| Isolator::new(n, v).unwrap();
        let ok = Isolators(vec![
            i(CAPABILITIES_RETAIN_SET, json!({"set": ["CAP_KILL"]})),
            i(CAPABILITIES_RETAIN_SET, json!({"set": ["CAP_CHOWN"]})),
            i(RESOURCE_CPU, json!({"limit": "1"})),
            i(RESOURCE_CPU, json!({"limit": "2"})),
        ]);
        assert_eq!(ok.validate(), Ok(()));
        assert_eq!(
            ok.get_by_name(RESOURCE_CPU)
                .unwrap()
                .resource()
                .unwrap()
                .limit
                .as_ref()
                .unwrap()
                .value(),
            2
        );
        let conflict = Isolators(vec![
            i(SECCOMP_RETAIN_SET, json!({"set": ["read"]})),
            i(SECCOMP_REMOVE_SET, json!({"set": ["write"]})),
        ]);
        assert_eq!(conflict.validate(), Err(Reason::IncompatibleIsolators));
        let twice = Isolators(vec![i(CPU_SHARES, json!(2)), i(CPU_SHARES, json!(3))]);
        assert_eq!(
            twice.validate(),
            Err(Reason::TooManyIsolators(CPU_SHARES.into()))
        );
        let unknown = Isolators(vec![i("example.com/x", json!(1))]);
        assert_eq!(unknown.validate(), Err(Reason::InvalidIsolator));
        assert_eq!(unknown.unrecognized().len(), 1);
    }
}
