//! Port-forward requests: `--port NAME:HOSTPORT[:HOSTIP]` matched against the pod's named
//! ports (`--pod-port NAME:PROTO:PORT`, from the pod manifest; or a name like `80-tcp`).

use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

/// A bad port argument.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PortError {
    /// `--port` did not parse.
    #[error("invalid --port {0:?}: expected NAME:HOSTPORT[:HOSTIP]")]
    BadForward(String),
    /// `--pod-port` did not parse.
    #[error("invalid --pod-port {0:?}: expected NAME:tcp|udp:PORT")]
    BadPodPort(String),
    /// The name is neither declared nor of the form PORT-PROTO.
    #[error("port {0:?} is not a declared pod port (declare it with --pod-port {0}:tcp:PORT)")]
    Unknown(String),
    /// Two forwards claim the same host port.
    #[error("host port {0} is forwarded twice")]
    Duplicate(String),
}

/// A named port of the pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodPort {
    /// The name.
    pub name: String,
    /// `tcp` or `udp`.
    pub protocol: String,
    /// The port inside the pod.
    pub port: u16,
}

/// A host port forwarded to a pod port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortForward {
    /// The pod port's name.
    pub name: String,
    /// `tcp` or `udp`.
    pub protocol: String,
    /// The host port.
    pub host_port: u16,
    /// The host address it is limited to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<Ipv4Addr>,
    /// The port inside the pod.
    pub pod_port: u16,
    /// The pod address it goes to, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_ip: Option<Ipv4Addr>,
}

fn parse_proto(p: &str) -> Option<String> {
    match p.to_ascii_lowercase().as_str() {
        "tcp" => Some("tcp".into()),
        "udp" => Some("udp".into()),
        _ => None,
    }
}

/// Parses `NAME:tcp|udp:PORT`.
pub fn parse_pod_port(s: &str) -> Result<PodPort, PortError> {
    let bad = || PortError::BadPodPort(s.to_owned());
    let mut it = s.splitn(3, ':');
    let (Some(name), Some(proto), Some(port)) = (it.next(), it.next(), it.next()) else {
        return Err(bad());
    };
    if name.is_empty() {
        return Err(bad());
    }
    Ok(PodPort {
        name: name.into(),
        protocol: parse_proto(proto).ok_or_else(bad)?,
        port: port.parse().ok().filter(|p| *p != 0).ok_or_else(bad)?,
    })
}

/// Parses `--port` values and resolves their names against `declared`.
pub fn resolve(forwards: &[String], declared: &[PodPort]) -> Result<Vec<PortForward>, PortError> {
    let mut out: Vec<PortForward> = Vec::new();
    for s in forwards {
        let bad = || PortError::BadForward(s.clone());
        let mut it = s.splitn(3, ':');
        let (Some(name), Some(host_port)) = (it.next(), it.next()) else {
            return Err(bad());
        };
        let host_port: u16 = host_port.parse().ok().filter(|p| *p != 0).ok_or_else(bad)?;
        let host_ip = match it.next() {
            None => None,
            Some(ip) => match ip.parse::<IpAddr>() {
                Ok(IpAddr::V4(v4)) if !v4.is_unspecified() => Some(v4),
                Ok(IpAddr::V4(_)) => None,
                _ => return Err(bad()),
            },
        };
        let port = declared
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .or_else(|| implicit(name))
            .ok_or_else(|| PortError::Unknown(name.to_owned()))?;
        let fwd = PortForward {
            name: name.into(),
            protocol: port.protocol,
            host_port,
            host_ip,
            pod_port: port.port,
            pod_ip: None,
        };
        if out.iter().any(|o| {
            o.protocol == fwd.protocol
                && o.host_port == fwd.host_port
                && (o.host_ip.is_none() || fwd.host_ip.is_none() || o.host_ip == fwd.host_ip)
        }) {
            return Err(PortError::Duplicate(format!(
                "{}/{}",
                fwd.protocol, host_port
            )));
        }
        out.push(fwd);
    }
    Ok(out)
}

/// Docker-converted images name ports `PORT-PROTO`; take those at their word.
fn implicit(name: &str) -> Option<PodPort> {
    let (port, proto) = name.rsplit_once('-')?;
    Some(PodPort {
        name: name.into(),
        protocol: parse_proto(proto)?,
        port: port.parse().ok().filter(|p| *p != 0)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_declared_and_implicit_names() {
        let declared = vec![parse_pod_port("http:tcp:80").unwrap()];
        let f = resolve(
            &["http:8080".into(), "53-udp:5353:127.0.0.1".into()],
            &declared,
        )
        .unwrap();
        assert_eq!(
            (f[0].protocol.as_str(), f[0].pod_port, f[0].host_port),
            ("tcp", 80, 8080)
        );
        assert_eq!(f[1].protocol, "udp");
        assert_eq!(f[1].host_ip, Some(Ipv4Addr::LOCALHOST));
    }

    #[test]
    fn rejects_bad_forwards() {
        assert_eq!(
            resolve(&["nope:80".into()], &[]).unwrap_err().to_string(),
            "port \"nope\" is not a declared pod port (declare it with --pod-port nope:tcp:PORT)"
        );
        assert!(matches!(
            resolve(&["80-tcp:x".into()], &[]),
            Err(PortError::BadForward(_))
        ));
        assert!(matches!(
            resolve(&["80-tcp:81".into(), "81-tcp:81".into()], &[]),
            Err(PortError::Duplicate(_))
        ));
        assert!(parse_pod_port("a:sctp:1").is_err());
    }
}
