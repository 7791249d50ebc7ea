//! Network definitions: the built-in networks and CNI `.conf` / `.conflist` files found in the
//! configuration directories (user first, then vendor; a user network named like a built-in
//! replaces it).

use std::fs;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde_json::{Value, json};

/// A configuration problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No such network anywhere.
    #[error("unknown network {name:?}{skipped}")]
    Unknown {
        /// The name asked for.
        name: String,
        /// Malformed files passed over while looking, as a suffix of the message.
        skipped: String,
    },
    /// A config file that names the network is unusable.
    #[error("malformed network config {path}: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The native point-to-point network (`default`, `default-restricted`, type `acnet-ptp`).
#[derive(Debug, Clone, PartialEq)]
pub struct PtpConfig {
    /// IPv4 (or IPv6) pool.
    pub subnet: IpNet,
    /// Optional IPv6 pool, for dual stack.
    pub subnet6: Option<IpNet>,
    /// Masquerade traffic leaving the subnet.
    pub ip_masq: bool,
    /// Give the pod a default route (otherwise it reaches only the host).
    pub default_route: bool,
    /// Interface MTU.
    pub mtu: Option<u32>,
}

/// How a network is brought up.
#[derive(Debug, Clone, PartialEq)]
pub enum NetKind {
    /// Loopback only.
    None,
    /// The host's own namespace: nothing to do.
    Host,
    /// Native veth pair.
    Ptp(PtpConfig),
    /// CNI plugins; the value is the conflist (a single `.conf` is wrapped in one).
    Cni(Value),
}

/// A resolved network.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// Its name.
    pub name: String,
    /// How it is implemented.
    pub kind: NetKind,
    /// The file it came from, if not built in.
    pub source: Option<PathBuf>,
}

impl Network {
    /// The configuration recorded in pod state.
    pub fn config_value(&self) -> Value {
        match &self.kind {
            NetKind::None => json!({"type": "none"}),
            NetKind::Host => json!({"type": "host"}),
            NetKind::Ptp(p) => json!({
                "type": "acnet-ptp",
                "subnet": p.subnet.to_string(),
                "subnet6": p.subnet6.map(|s| s.to_string()),
                "ipMasq": p.ip_masq,
                "defaultRoute": p.default_route,
                "mtu": p.mtu,
            }),
            NetKind::Cni(v) => v.clone(),
        }
    }
}

/// The default network's pool, as rkt used.
pub const DEFAULT_SUBNET: &str = "172.16.28.0/24";
/// The restricted network's pool, as rkt used.
pub const RESTRICTED_SUBNET: &str = "172.31.0.0/16";

/// Whether `name` is a valid network name (CNI's rule); names become directory names.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The built-in networks' names.
pub const BUILTIN: [&str; 4] = ["none", "host", "default", "default-restricted"];

fn builtin(name: &str) -> Option<Network> {
    let ptp = |subnet: &str, masq: bool| {
        NetKind::Ptp(PtpConfig {
            subnet: subnet.parse().unwrap_or(IpNet::V4(Default::default())),
            subnet6: None,
            ip_masq: masq,
            default_route: masq,
            mtu: None,
        })
    };
    let kind = match name {
        "none" => NetKind::None,
        "host" => NetKind::Host,
        "default" => ptp(DEFAULT_SUBNET, true),
        "default-restricted" => ptp(RESTRICTED_SUBNET, false),
        _ => return None,
    };
    Some(Network {
        name: name.into(),
        kind,
        source: None,
    })
}

/// Config files of `dir` in lexical order (`*.conf`, `*.conflist`, `*.json`).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("conf" | "conflist" | "json")
            )
        })
        .collect();
    v.sort();
    v
}

/// Looks `name` up in `dirs` (in order), then among the built-ins.
pub fn resolve(name: &str, dirs: &[PathBuf]) -> Result<Network, ConfigError> {
    let mut skipped = Vec::new();
    for dir in dirs {
        for path in files(dir) {
            let value: Value = match fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
            {
                Ok(v) => v,
                Err(e) => {
                    skipped.push(format!("{}: {e}", path.display()));
                    continue;
                }
            };
            if value.get("name").and_then(Value::as_str) != Some(name) {
                continue;
            }
            return from_value(name, value, &path);
        }
    }
    builtin(name).ok_or_else(|| ConfigError::Unknown {
        name: name.into(),
        skipped: if skipped.is_empty() {
            String::new()
        } else {
            format!(" (skipped malformed config {})", skipped.join("; "))
        },
    })
}

/// Every network name defined in `dirs` plus the built-ins, first definition wins.
pub fn all_names(dirs: &[PathBuf]) -> Vec<(String, Option<PathBuf>)> {
    let mut out: Vec<(String, Option<PathBuf>)> = Vec::new();
    for dir in dirs {
        for path in files(dir) {
            let name = fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_owned));
            if let Some(name) = name
                && !out.iter().any(|(n, _)| *n == name)
            {
                out.push((name, Some(path)));
            }
        }
    }
    for b in BUILTIN {
        if !out.iter().any(|(n, _)| n == b) {
            out.push((b.into(), None));
        }
    }
    out
}

fn from_value(name: &str, value: Value, path: &Path) -> Result<Network, ConfigError> {
    let bad = |reason: String| ConfigError::Malformed {
        path: path.to_owned(),
        reason,
    };
    if !valid_name(name) {
        return Err(bad(format!("invalid network name {name:?}")));
    }
    if value.get("type").and_then(Value::as_str) == Some("acnet-ptp") {
        let get_net = |key: &str| -> Result<Option<IpNet>, ConfigError> {
            match value.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => s
                    .parse()
                    .map(|n: IpNet| Some(n.trunc()))
                    .map_err(|_| bad(format!("{key} {s:?} is not a CIDR subnet"))),
                Some(_) => Err(bad(format!("{key} must be a string"))),
            }
        };
        let get_bool = |key: &str, default: bool| -> Result<bool, ConfigError> {
            match value.get(key) {
                None => Ok(default),
                Some(Value::Bool(b)) => Ok(*b),
                Some(_) => Err(bad(format!("{key} must be true or false"))),
            }
        };
        let subnet = get_net("subnet")?.ok_or_else(|| bad("acnet-ptp needs a subnet".into()))?;
        let subnet6 = get_net("subnet6")?;
        if subnet6.is_some_and(|s| !matches!(s, IpNet::V6(_))) {
            return Err(bad("subnet6 must be an IPv6 subnet".into()));
        }
        let mtu = match value.get("mtu") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(|m| u32::try_from(m).ok())
                    .filter(|m| (68..=65535).contains(m))
                    .ok_or_else(|| bad("mtu must be a number from 68 to 65535".into()))?,
            ),
        };
        let ip_masq = get_bool("ipMasq", false)?;
        return Ok(Network {
            name: name.into(),
            kind: NetKind::Ptp(PtpConfig {
                subnet,
                subnet6,
                ip_masq,
                default_route: get_bool("defaultRoute", ip_masq)?,
                mtu,
            }),
            source: Some(path.to_owned()),
        });
    }
    let list = if let Some(plugins) = value.get("plugins") {
        let Some(arr) = plugins.as_array() else {
            return Err(bad("plugins must be a list".into()));
        };
        if arr.is_empty() {
            return Err(bad("plugins is empty".into()));
        }
        value.clone()
    } else {
        // A single-plugin .conf: the whole object is the plugin's config.
        json!({
            "cniVersion": value.get("cniVersion").cloned().unwrap_or(json!("0.4.0")),
            "name": name,
            "plugins": [value.clone()],
        })
    };
    for (i, p) in list["plugins"].as_array().into_iter().flatten().enumerate() {
        match p.get("type").and_then(Value::as_str) {
            Some(t) if !t.is_empty() && !t.contains('/') => {}
            _ => return Err(bad(format!("plugin {i} has no valid \"type\""))),
        }
    }
    if list.get("cniVersion").and_then(Value::as_str).is_none() {
        return Err(bad("cniVersion is missing".into()));
    }
    Ok(Network {
        name: name.into(),
        kind: NetKind::Cni(list),
        source: Some(path.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_config_replaces_builtin_and_bad_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("10-default.conf"),
            r#"{"cniVersion":"1.0.0","name":"default","type":"acnet-ptp","subnet":"10.77.0.0/24","ipMasq":true}"#,
        )
        .unwrap();
        fs::write(dir.path().join("20-bad.conflist"), "{not json").unwrap();
        let dirs = vec![dir.path().to_owned()];
        let n = resolve("default", &dirs).unwrap();
        let NetKind::Ptp(p) = n.kind else {
            panic!("expected ptp")
        };
        assert_eq!(p.subnet.to_string(), "10.77.0.0/24");
        assert!(p.default_route);
        let e = resolve("nosuch", &dirs).unwrap_err().to_string();
        assert!(
            e.starts_with("unknown network \"nosuch\" (skipped malformed config"),
            "{e}"
        );
        assert!(matches!(
            resolve("none", &dirs).unwrap().kind,
            NetKind::None
        ));
    }

    #[test]
    fn single_conf_is_wrapped_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("a.conf"),
            r#"{"cniVersion":"0.4.0","name":"br","type":"bridge"}"#,
        )
        .unwrap();
        fs::write(
            dir.path().join("b.conf"),
            r#"{"cniVersion":"0.4.0","name":"broken","type":"../evil"}"#,
        )
        .unwrap();
        let dirs = vec![dir.path().to_owned()];
        let NetKind::Cni(v) = resolve("br", &dirs).unwrap().kind else {
            panic!("expected cni")
        };
        assert_eq!(v["plugins"][0]["type"], "bridge");
        assert!(matches!(
            resolve("broken", &dirs),
            Err(ConfigError::Malformed { .. })
        ));
    }
}
