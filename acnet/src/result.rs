//! The CNI result shape (spec 1.0.0) that `acnet add` prints, and reading plugins' results of
//! versions 0.3.x, 0.4.0 and 1.0.0 into it.

use serde::{Deserialize, Serialize};

/// A CNI result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CniResult {
    /// The result's version.
    #[serde(default)]
    pub cni_version: String,
    /// Interfaces created or used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<Interface>,
    /// Addresses assigned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<IpConfig>,
    /// Routes added in the pod.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteConfig>,
    /// DNS settings.
    #[serde(default)]
    pub dns: Dns,
}

/// One interface of a result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interface {
    /// Its name.
    pub name: String,
    /// Its hardware address.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mac: String,
    /// The namespace path for pod-side interfaces; empty on the host.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sandbox: String,
}

/// One address of a result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IpConfig {
    /// Address with prefix length, e.g. `172.16.28.2/24`.
    pub address: String,
    /// The gateway, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// Index into `interfaces`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<usize>,
}

/// One route of a result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteConfig {
    /// Destination network.
    pub dst: String,
    /// Next hop; the default gateway when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gw: Option<String>,
}

/// DNS settings of a result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dns {
    /// Name servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nameservers: Vec<String>,
    /// Local domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Search domains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search: Vec<String>,
    /// resolv.conf options.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// The result version `acnet` speaks.
pub const CNI_VERSION: &str = "1.0.0";

impl CniResult {
    /// Reads a plugin's result, whatever supported version it is in, as a 1.0.0 result
    /// (the per-IP `version` field of 0.3/0.4 is dropped, as 1.0.0 does).
    pub fn from_plugin(value: &serde_json::Value) -> Result<Self, serde_json::Error> {
        let mut r: CniResult = serde_json::from_value(value.clone())?;
        r.cni_version = CNI_VERSION.into();
        Ok(r)
    }

    /// The first IPv4 address of the result, without its prefix length.
    pub fn first_ipv4(&self) -> Option<std::net::Ipv4Addr> {
        self.ips.iter().find_map(|ip| {
            ip.address
                .split('/')
                .next()
                .and_then(|a| a.parse::<std::net::Ipv4Addr>().ok())
        })
    }
}

/// What `acnet add` prints for one network: the CNI result plus which network it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetResult {
    /// The network's name.
    pub network: String,
    /// The pod-side interface.
    pub if_name: String,
    /// The result.
    #[serde(flatten)]
    pub result: CniResult,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_0_4_0_result() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"cniVersion":"0.4.0","interfaces":[{"name":"eth0","mac":"aa:bb:cc:dd:ee:ff","sandbox":"/run/netns/x"}],
                "ips":[{"version":"4","address":"10.1.0.2/24","gateway":"10.1.0.1","interface":0}],
                "routes":[{"dst":"0.0.0.0/0"}],"dns":{}}"#,
        )
        .unwrap();
        let r = CniResult::from_plugin(&v).unwrap();
        assert_eq!(r.cni_version, "1.0.0");
        assert_eq!(r.first_ipv4().unwrap().to_string(), "10.1.0.2");
        let out = serde_json::to_value(&r).unwrap();
        assert!(out["ips"][0].get("version").is_none());
    }
}
