//! Address management on disk: one directory per network, one lease file per address, and a
//! flock that serialises every change, so concurrent `acnet` processes never hand out one
//! address twice.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// An IPAM failure.
#[derive(Debug, thiserror::Error)]
pub enum IpamError {
    /// Every address of the pool is leased.
    #[error("address pool {pool} of network {network} is exhausted")]
    Exhausted {
        /// The network's name.
        network: String,
        /// The pool.
        pool: IpNet,
    },
    /// A requested address is not a pod address of the pool.
    #[error("address {ip} is not available for pods in {pool}")]
    NotInPool {
        /// The address asked for.
        ip: IpAddr,
        /// The pool.
        pool: IpNet,
    },
    /// A requested address is leased to another pod.
    #[error("address {ip} is already leased to pod {pod}")]
    Taken {
        /// The address asked for.
        ip: IpAddr,
        /// Its holder.
        pod: String,
    },
    /// The pool has no room for a gateway and one pod.
    #[error("subnet {0} is too small for a gateway and a pod")]
    TooSmall(IpNet),
    /// Reading or writing the lease files failed.
    #[error("IPAM state {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
}

/// Who holds an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    /// The pod's UUID.
    pub pod: String,
    /// The pod-side interface.
    pub if_name: String,
    /// The pod's network namespace, so `gc` can tell a dead pod from a live one.
    pub netns: PathBuf,
}

/// The lease store of one network.
pub struct Ipam {
    dir: PathBuf,
    network: String,
}

/// An exclusive hold on a network's lease store; released on drop.
pub struct IpamLock {
    _file: File,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> IpamError + '_ {
    move |source| IpamError::Io {
        path: path.to_owned(),
        source,
    }
}

impl Ipam {
    /// The lease store of `network` under `data_dir/ipam/`.
    pub fn new(data_dir: &Path, network: &str) -> Self {
        Ipam {
            dir: data_dir.join("ipam").join(network),
            network: network.to_owned(),
        }
    }

    /// The directory holding the lease files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the store's lock, creating the store if needed.
    pub fn lock(&self) -> Result<IpamLock, IpamError> {
        fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        let path = self.dir.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))?;
        file.lock().map_err(io_err(&path))?;
        Ok(IpamLock { _file: file })
    }

    /// Leases the next free address of `subnet` (skipping the network address, the gateway
    /// and, for IPv4, the broadcast address) to `lease`; an address already leased to the same
    /// pod and interface is handed back again, so a retried add is idempotent.
    pub fn allocate(
        &self,
        _lock: &IpamLock,
        subnet: IpNet,
        gateway: IpAddr,
        lease: &Lease,
    ) -> Result<IpAddr, IpamError> {
        if let Some(ip) = self
            .leases()?
            .into_iter()
            .find(|(_, l)| l.pod == lease.pod && l.if_name == lease.if_name)
            .map(|(ip, _)| ip)
        {
            return Ok(ip);
        }
        let (first, count) = host_range(subnet)?;
        let last_path = self.dir.join("last_reserved_ip");
        let start = fs::read_to_string(&last_path)
            .ok()
            .and_then(|s| s.trim().parse::<IpAddr>().ok())
            .and_then(|ip| offset_of(subnet, ip))
            .map(|o| o + 1)
            .unwrap_or(0);
        for i in 0..count {
            let offset = (start + i) % count;
            let Some(ip) = nth(first, offset) else {
                continue;
            };
            if ip == gateway {
                continue;
            }
            let path = self.dir.join(ip.to_string());
            if path.exists() {
                continue;
            }
            let body = serde_json::to_vec(lease).map_err(|e| IpamError::Io {
                path: path.clone(),
                source: io::Error::other(e),
            })?;
            write_atomic(&path, &body).map_err(io_err(&path))?;
            write_atomic(&last_path, ip.to_string().as_bytes()).map_err(io_err(&last_path))?;
            return Ok(ip);
        }
        Err(IpamError::Exhausted {
            network: self.network.clone(),
            pool: subnet,
        })
    }

    /// Leases the specific address `ip` of `subnet` to `lease`.
    pub fn reserve(
        &self,
        _lock: &IpamLock,
        subnet: IpNet,
        gateway: IpAddr,
        ip: IpAddr,
        lease: &Lease,
    ) -> Result<IpAddr, IpamError> {
        let (first, count) = host_range(subnet)?;
        let in_range = to_u128(ip)
            .checked_sub(to_u128(first))
            .is_some_and(|o| o < count && subnet.contains(&ip));
        if !in_range || ip == gateway {
            return Err(IpamError::NotInPool { ip, pool: subnet });
        }
        let path = self.dir.join(ip.to_string());
        if let Some((_, held)) = self.leases()?.into_iter().find(|(a, _)| *a == ip) {
            if held.pod == lease.pod && held.if_name == lease.if_name {
                return Ok(ip);
            }
            return Err(IpamError::Taken { ip, pod: held.pod });
        }
        let body = serde_json::to_vec(lease).map_err(|e| IpamError::Io {
            path: path.clone(),
            source: io::Error::other(e),
        })?;
        write_atomic(&path, &body).map_err(io_err(&path))?;
        Ok(ip)
    }

    /// Every lease of this network.
    pub fn leases(&self) -> Result<Vec<(IpAddr, Lease)>, IpamError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&self.dir)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err(&self.dir))?;
            let Some(ip) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<IpAddr>().ok())
            else {
                continue;
            };
            let body = fs::read(entry.path()).map_err(io_err(&entry.path()))?;
            // A lease we cannot parse still blocks its address, under an unknown owner.
            let lease = serde_json::from_slice(&body).unwrap_or(Lease {
                pod: String::new(),
                if_name: String::new(),
                netns: PathBuf::new(),
            });
            out.push((ip, lease));
        }
        out.sort_by_key(|(ip, _)| *ip);
        Ok(out)
    }

    /// Frees every address leased to `pod` (on `if_name`, when given); returns them.
    pub fn release(
        &self,
        _lock: &IpamLock,
        pod: &str,
        if_name: Option<&str>,
    ) -> Result<Vec<IpAddr>, IpamError> {
        let mut freed = Vec::new();
        for (ip, lease) in self.leases()? {
            if lease.pod == pod && if_name.is_none_or(|n| n == lease.if_name) {
                let path = self.dir.join(ip.to_string());
                match fs::remove_file(&path) {
                    Ok(()) => freed.push(ip),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err(&path)(e)),
                }
            }
        }
        Ok(freed)
    }

    /// Frees one address, whoever holds it.
    pub fn release_ip(&self, _lock: &IpamLock, ip: IpAddr) -> Result<(), IpamError> {
        let path = self.dir.join(ip.to_string());
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_err(&path)(e)),
            _ => Ok(()),
        }
    }
}

/// Names of the networks that have a lease store under `data_dir`.
pub fn networks(data_dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(data_dir.join("ipam"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    out.sort();
    out
}

/// The first usable host address of `subnet` and how many there are.
fn host_range(subnet: IpNet) -> Result<(IpAddr, u128), IpamError> {
    let host_bits = u32::from(subnet.max_prefix_len() - subnet.prefix_len());
    if host_bits < 2 {
        return Err(IpamError::TooSmall(subnet));
    }
    let total: u128 = if host_bits >= 128 {
        u128::MAX
    } else {
        1u128 << host_bits
    };
    let usable = match subnet {
        IpNet::V4(_) => total - 2,
        // Only the subnet-router anycast address (offset 0) is reserved in IPv6.
        IpNet::V6(_) => total - 1,
    };
    let first = nth(subnet.network(), 1).ok_or(IpamError::TooSmall(subnet))?;
    Ok((first, usable))
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

fn nth(base: IpAddr, n: u128) -> Option<IpAddr> {
    let v = to_u128(base).checked_add(n)?;
    Some(match base {
        IpAddr::V4(_) => IpAddr::V4(u32::try_from(v).ok()?.into()),
        IpAddr::V6(_) => IpAddr::V6(v.into()),
    })
}

/// The zero-based host offset of `ip` in `subnet`'s usable range.
fn offset_of(subnet: IpNet, ip: IpAddr) -> Option<u128> {
    if !subnet.contains(&ip) {
        return None;
    }
    to_u128(ip).checked_sub(to_u128(subnet.network()) + 1)
}

/// The first usable host address of `subnet`, the conventional gateway.
pub fn first_host(subnet: IpNet) -> Option<IpAddr> {
    nth(subnet.network(), 1)
}

/// Writes `path` by temp file + rename, so a crash of the process leaves the old file or the
/// new one. There is deliberately no fsync: every kernel object these files describe (veths,
/// routes, nft rules, namespaces) dies with the kernel, so after a power loss there is nothing
/// left for the files to describe, and each fsync costs milliseconds on every add.
pub fn write_atomic(path: &Path, body: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".tmp-{name}-{}", std::process::id()));
    let mut f = File::create(&tmp)?;
    f.write_all(body)?;
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(pod: &str) -> Lease {
        Lease {
            pod: pod.into(),
            if_name: "eth0".into(),
            netns: "/nonexistent".into(),
        }
    }

    #[test]
    fn allocates_in_order_skipping_gateway_and_exhausts() {
        let dir = tempfile::tempdir().unwrap();
        let ipam = Ipam::new(dir.path(), "t");
        let subnet: IpNet = "10.9.0.0/29".parse().unwrap();
        let gw = first_host(subnet).unwrap();
        let lock = ipam.lock().unwrap();
        let got: Vec<String> = (0..5)
            .map(|i| {
                ipam.allocate(&lock, subnet, gw, &lease(&format!("p{i}")))
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            got,
            ["10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"]
        );
        let err = ipam.allocate(&lock, subnet, gw, &lease("p9")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "address pool 10.9.0.0/29 of network t is exhausted"
        );
        assert_eq!(
            ipam.release(&lock, "p2", None).unwrap(),
            vec!["10.9.0.4".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(
            ipam.allocate(&lock, subnet, gw, &lease("p9"))
                .unwrap()
                .to_string(),
            "10.9.0.4"
        );
    }

    #[test]
    fn reserves_a_requested_address_once() {
        let dir = tempfile::tempdir().unwrap();
        let ipam = Ipam::new(dir.path(), "t");
        let subnet: IpNet = "10.9.0.0/29".parse().unwrap();
        let gw = first_host(subnet).unwrap();
        let lock = ipam.lock().unwrap();
        let ip: IpAddr = "10.9.0.5".parse().unwrap();
        assert_eq!(
            ipam.reserve(&lock, subnet, gw, ip, &lease("a")).unwrap(),
            ip
        );
        assert_eq!(
            ipam.reserve(&lock, subnet, gw, ip, &lease("b"))
                .unwrap_err()
                .to_string(),
            "address 10.9.0.5 is already leased to pod a"
        );
        for bad in ["10.9.0.1", "10.9.0.7", "10.9.0.0", "10.9.1.2"] {
            assert!(matches!(
                ipam.reserve(&lock, subnet, gw, bad.parse().unwrap(), &lease("c")),
                Err(IpamError::NotInPool { .. })
            ));
        }
        // The round robin skips the reserved address.
        let got: Vec<String> = (0..4)
            .map(|i| {
                ipam.allocate(&lock, subnet, gw, &lease(&format!("p{i}")))
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(got, ["10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.6"]);
    }

    #[test]
    fn same_pod_gets_same_address_back() {
        let dir = tempfile::tempdir().unwrap();
        let ipam = Ipam::new(dir.path(), "t");
        let subnet: IpNet = "fd00:9::/120".parse().unwrap();
        let gw = first_host(subnet).unwrap();
        let lock = ipam.lock().unwrap();
        let a = ipam.allocate(&lock, subnet, gw, &lease("p")).unwrap();
        let b = ipam.allocate(&lock, subnet, gw, &lease("p")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "fd00:9::2");
    }
}
