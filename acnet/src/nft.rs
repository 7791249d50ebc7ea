//! nftables rules for masquerade and port forwards, applied through `nft -f -` as single
//! atomic transactions.
//!
//! Everything lives in one `inet` table (default `acnet`). Its base chains hold only verdict
//! map lookups; each pod gets its own chains, reached through map elements keyed by the pod's
//! address or the forwarded port. Removing a pod therefore means deleting map elements and
//! chains by name, never hunting for rule handles.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;
use std::process::{Child, Command, Stdio};

use ipnet::IpNet;

use crate::ports::PortForward;

/// An nft failure.
#[derive(Debug, thiserror::Error)]
pub enum NftError {
    /// `nft` could not be run.
    #[error("cannot run nft: {0} (is the nftables package installed?)")]
    Spawn(io::Error),
    /// `nft` rejected the rules.
    #[error("nft: {0}")]
    Rejected(String),
}

/// One masqueraded pod address and the subnet it may reach without NAT.
#[derive(Debug, Clone)]
pub struct Masq {
    /// The pod's address.
    pub addr: IpAddr,
    /// Its network's subnet.
    pub subnet: IpNet,
}

/// The rules of one pod.
#[derive(Debug, Clone, Default)]
pub struct PodRules {
    /// Addresses to masquerade, with their if names (chain names need them).
    pub masq: Vec<(String, Masq)>,
    /// Port forwards (pod address filled in).
    pub ports: Vec<PortForward>,
}

/// A running `nft` transaction; [`Pending::wait`] gives its outcome. Starting it before the
/// netlink work and waiting after lets the two overlap.
pub struct Pending {
    child: Option<Child>,
    nft: Nft,
    /// For a delete: the pieces to retry one by one if the whole transaction is refused.
    retry: Vec<String>,
}

impl Pending {
    fn done(nft: &Nft) -> Pending {
        Pending {
            child: None,
            nft: nft.clone(),
            retry: Vec::new(),
        }
    }

    /// Waits for the transaction.
    pub fn wait(self) -> Result<(), NftError> {
        let Some(child) = self.child else {
            return Ok(());
        };
        let outcome = finish(child);
        if outcome.is_ok() || self.retry.is_empty() {
            return outcome;
        }
        // Some element belongs to someone else now (e.g. a port taken over after our add
        // failed): remove what is ours piece by piece; only a failure to run nft counts.
        let mut first_err = None;
        for g in &self.retry {
            if let Err(e) = self.nft.run(&format!("{}{g}", self.nft.base())) {
                first_err.get_or_insert(e);
            }
        }
        match first_err {
            Some(NftError::Spawn(e)) => Err(NftError::Spawn(e)),
            _ => Ok(()),
        }
    }
}

fn spawn(script: &str) -> Result<Child, NftError> {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(NftError::Spawn)?;
    if let Some(mut stdin) = child.stdin.take() {
        // The script is far below the pipe buffer, so this cannot block on nft.
        stdin
            .write_all(script.as_bytes())
            .map_err(NftError::Spawn)?;
    }
    Ok(child)
}

fn finish(child: Child) -> Result<(), NftError> {
    let out = child.wait_with_output().map_err(NftError::Spawn)?;
    if out.status.success() {
        return Ok(());
    }
    let msg = String::from_utf8_lossy(&out.stderr);
    let first = msg
        .lines()
        .find(|l| l.starts_with("Error"))
        .or_else(|| msg.lines().next())
        .unwrap_or("failed")
        .trim()
        .to_owned();
    Err(NftError::Rejected(first))
}

/// Handle on the `acnet` nftables table.
#[derive(Debug, Clone)]
pub struct Nft {
    table: String,
}

fn short(pod: &str) -> String {
    pod.replace('-', "")
}

impl Nft {
    /// Uses table `inet <table>`.
    pub fn new(table: &str) -> Self {
        Nft {
            table: table.to_owned(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    fn run(&self, script: &str) -> Result<(), NftError> {
        finish(spawn(script)?)
    }

    /// Re-declares the table, its maps and base chains; flushing the base chains before
    /// adding their rules keeps concurrent and repeated adds from duplicating them.
    fn base(&self) -> String {
        let t = &self.table;
        let mut s = String::new();
        let _ = write!(
            s,
            "add table inet {t}\n\
             add map inet {t} pod_masq4 {{ type ipv4_addr : verdict ; }}\n\
             add map inet {t} pod_masq6 {{ type ipv6_addr : verdict ; }}\n\
             add map inet {t} pod_fwd {{ type inet_proto . inet_service : verdict ; }}\n\
             add map inet {t} pod_fwd4 {{ type ipv4_addr . inet_proto . inet_service : verdict ; }}\n\
             add set inet {t} pod_fwd_lo {{ type ipv4_addr ; }}\n\
             add chain inet {t} postrouting {{ type nat hook postrouting priority srcnat ; policy accept ; }}\n\
             add chain inet {t} prerouting {{ type nat hook prerouting priority dstnat ; policy accept ; }}\n\
             add chain inet {t} output {{ type nat hook output priority -100 ; policy accept ; }}\n\
             flush chain inet {t} postrouting\n\
             flush chain inet {t} prerouting\n\
             flush chain inet {t} output\n\
             add rule inet {t} postrouting ip saddr 127.0.0.0/8 ip daddr @pod_fwd_lo masquerade\n\
             add rule inet {t} postrouting ip saddr vmap @pod_masq4\n\
             add rule inet {t} postrouting ip6 saddr vmap @pod_masq6\n"
        );
        for chain in ["prerouting", "output"] {
            let _ = write!(
                s,
                "add rule inet {t} {chain} fib daddr type local ip daddr . meta l4proto . th dport vmap @pod_fwd4\n\
                 add rule inet {t} {chain} fib daddr type local meta l4proto . th dport vmap @pod_fwd\n"
            );
        }
        s
    }

    /// Installs a pod's rules in one transaction; a host port already forwarded to another
    /// pod makes the whole transaction fail.
    pub fn add_pod(&self, pod: &str, rules: &PodRules) -> Result<(), NftError> {
        self.start_add_pod(pod, rules)?.wait()
    }

    /// Starts [`Nft::add_pod`]'s transaction without waiting for it.
    pub fn start_add_pod(&self, pod: &str, rules: &PodRules) -> Result<Pending, NftError> {
        if rules.masq.is_empty() && rules.ports.is_empty() {
            return Ok(Pending::done(self));
        }
        let t = &self.table;
        let id = short(pod);
        let mut s = self.base();
        for (if_name, m) in &rules.masq {
            let chain = format!("masq-{id}-{if_name}");
            let (fam, map) = if m.addr.is_ipv4() {
                ("ip", "pod_masq4")
            } else {
                ("ip6", "pod_masq6")
            };
            let _ = writeln!(s, "add chain inet {t} {chain}");
            let _ = writeln!(
                s,
                "add rule inet {t} {chain} {fam} daddr {} return",
                m.subnet.trunc()
            );
            let multicast = if m.addr.is_ipv4() {
                "224.0.0.0/4"
            } else {
                "ff00::/8"
            };
            let _ = writeln!(
                s,
                "add rule inet {t} {chain} {fam} daddr {multicast} return"
            );
            let _ = writeln!(s, "add rule inet {t} {chain} masquerade");
            let _ = writeln!(
                s,
                "create element inet {t} {map} {{ {} : jump {chain} }}",
                m.addr
            );
        }
        if !rules.ports.is_empty() {
            let chain = format!("pfwd-{id}");
            let _ = writeln!(s, "add chain inet {t} {chain}");
            for p in &rules.ports {
                let Some(pod_ip) = p.pod_ip else { continue };
                let daddr = p
                    .host_ip
                    .map(|ip| format!("ip daddr {ip} "))
                    .unwrap_or_default();
                let _ = writeln!(
                    s,
                    "add rule inet {t} {chain} {daddr}{proto} dport {hp} dnat ip to {pod_ip}:{pp}",
                    proto = p.protocol,
                    hp = p.host_port,
                    pp = p.pod_port
                );
                let _ = match p.host_ip {
                    Some(ip) => writeln!(
                        s,
                        "create element inet {t} pod_fwd4 {{ {ip} . {} . {} : jump {chain} }}",
                        p.protocol, p.host_port
                    ),
                    None => writeln!(
                        s,
                        "create element inet {t} pod_fwd {{ {} . {} : jump {chain} }}",
                        p.protocol, p.host_port
                    ),
                };
                let _ = writeln!(s, "add element inet {t} pod_fwd_lo {{ {pod_ip} }}");
            }
        }
        Ok(Pending {
            child: Some(spawn(&s)?),
            nft: self.clone(),
            retry: Vec::new(),
        })
    }

    /// Removes a pod's rules. Each element or chain is first (re)added and then deleted, so
    /// the transaction does not depend on what a crashed or half-done add left behind.
    pub fn del_pod(&self, pod: &str, rules: &PodRules) -> Result<(), NftError> {
        self.start_del_pod(pod, rules)?.wait()
    }

    /// Starts [`Nft::del_pod`]'s transaction without waiting for it.
    pub fn start_del_pod(&self, pod: &str, rules: &PodRules) -> Result<Pending, NftError> {
        if rules.masq.is_empty() && rules.ports.is_empty() {
            return Ok(Pending::done(self));
        }
        let t = &self.table;
        let id = short(pod);
        let mut groups: Vec<String> = Vec::new();
        let mut chains: Vec<String> = Vec::new();
        for (if_name, m) in &rules.masq {
            let chain = format!("masq-{id}-{if_name}");
            let map = if m.addr.is_ipv4() {
                "pod_masq4"
            } else {
                "pod_masq6"
            };
            groups.push(format!(
                "add chain inet {t} {chain}\nadd element inet {t} {map} {{ {a} : jump {chain} }}\ndelete element inet {t} {map} {{ {a} }}\n",
                a = m.addr
            ));
            chains.push(chain);
        }
        if !rules.ports.is_empty() {
            let chain = format!("pfwd-{id}");
            for p in &rules.ports {
                let mut g = format!("add chain inet {t} {chain}\n");
                let _ = match p.host_ip {
                    Some(ip) => write!(
                        g,
                        "add element inet {t} pod_fwd4 {{ {ip} . {pr} . {hp} : jump {chain} }}\ndelete element inet {t} pod_fwd4 {{ {ip} . {pr} . {hp} }}\n",
                        pr = p.protocol,
                        hp = p.host_port
                    ),
                    None => write!(
                        g,
                        "add element inet {t} pod_fwd {{ {pr} . {hp} : jump {chain} }}\ndelete element inet {t} pod_fwd {{ {pr} . {hp} }}\n",
                        pr = p.protocol,
                        hp = p.host_port
                    ),
                };
                if let Some(ip) = p.pod_ip {
                    let _ = write!(
                        g,
                        "add element inet {t} pod_fwd_lo {{ {ip} }}\ndelete element inet {t} pod_fwd_lo {{ {ip} }}\n"
                    );
                }
                groups.push(g);
            }
            chains.push(chain);
        }
        let chain_groups: Vec<String> = chains
            .iter()
            .map(|c| {
                format!(
                    "add chain inet {t} {c}\nflush chain inet {t} {c}\ndelete chain inet {t} {c}\n"
                )
            })
            .collect();
        let mut all = self.base();
        for g in groups.iter().chain(&chain_groups) {
            all.push_str(g);
        }
        Ok(Pending {
            child: Some(spawn(&all)?),
            nft: self.clone(),
            retry: groups.into_iter().chain(chain_groups).collect(),
        })
    }

    /// Deletes the whole table (tests and full teardown).
    pub fn delete_table(&self) -> Result<(), NftError> {
        self.run(&format!(
            "add table inet {t}\ndelete table inet {t}\n",
            t = self.table
        ))
    }

    /// The table's rules as `nft list` prints them, or an empty string when it is absent.
    pub fn list(&self) -> Result<String, NftError> {
        let out = Command::new("nft")
            .args(["list", "table", "inet", &self.table])
            .output()
            .map_err(NftError::Spawn)?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Names of the per-pod chains present in the table.
    pub fn pod_chains(&self) -> Result<Vec<String>, NftError> {
        Ok(self
            .list()?
            .lines()
            .filter_map(|l| l.trim().strip_prefix("chain "))
            .map(|l| l.trim_end_matches(" {").to_owned())
            .filter(|c| c.starts_with("masq-") || c.starts_with("pfwd-"))
            .collect())
    }
}
