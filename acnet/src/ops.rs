//! The `acnet` operations: add, del, check, ls and gc.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::{self, NetKind, Network, PtpConfig};
use crate::error::Error;
use crate::ipam::{self, Ipam, Lease};
use crate::netlink::{Netlink, Route};
use crate::netns::{self, Netns};
use crate::nft::{Masq, Nft, PodRules};
use crate::ports::{self, PodPort, PortForward};
use crate::result::{CNI_VERSION, CniResult, Interface, IpConfig, NetResult, RouteConfig};
use crate::state::{self, NetState, PodState};
use crate::{cni, result};

/// Where `acnet` keeps and finds things.
#[derive(Debug, Clone)]
pub struct Paths {
    /// State: IPAM leases and pod records.
    pub data_dir: PathBuf,
    /// Network config directories, searched in order (user, then vendor).
    pub config_dirs: Vec<PathBuf>,
    /// CNI plugin directories, searched in order.
    pub plugin_dirs: Vec<PathBuf>,
    /// The nftables table (family `inet`).
    pub nft_table: String,
}

/// One `--net NAME[:K=V;...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetArg {
    /// The network's name.
    pub name: String,
    /// Its `K=V;...` arguments (CNI_ARGS).
    pub args: String,
}

impl std::str::FromStr for NetArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, args) = s.split_once(':').unwrap_or((s, ""));
        if !config::valid_name(name) {
            return Err(format!(
                "invalid network name {name:?} (letters, digits, '_', '.', '-'; not starting with a symbol)"
            ));
        }
        if !args.is_empty()
            && args
                .split(';')
                .any(|kv| kv.split_once('=').is_none_or(|(k, _)| k.is_empty()))
        {
            return Err(format!("arguments {args:?} are not K=V;K2=V2"));
        }
        Ok(NetArg {
            name: name.into(),
            args: args.into(),
        })
    }
}

/// An `acnet add` request.
#[derive(Debug, Clone)]
pub struct AddRequest {
    /// Pod UUID.
    pub pod: String,
    /// The pod's network namespace.
    pub netns: PathBuf,
    /// Networks, in order (default: `default`).
    pub nets: Vec<NetArg>,
    /// `--port NAME:HOSTPORT[:HOSTIP]` values.
    pub ports: Vec<String>,
    /// The pod's named ports.
    pub pod_ports: Vec<PodPort>,
}

/// Normalises a pod UUID.
pub fn parse_pod(pod: &str) -> Result<String, Error> {
    uuid::Uuid::parse_str(pod)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| Error::Usage(format!("invalid pod UUID {pod:?}")))
}

/// The host-side veth name of a pod interface: short (IFNAMSIZ), stable, and unique per pod
/// and interface, so `del` can find it even without state.
pub fn host_if_name(pod: &str, if_name: &str) -> String {
    let digest = Sha256::digest(format!("{pod}/{if_name}").as_bytes());
    format!("acn{}", &hex::encode(digest)[..12])
}

fn cni_has_cap(list: &Value, cap: &str) -> bool {
    list["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| p["capabilities"][cap].as_bool() == Some(true))
}

fn cni_masq(list: &Value) -> bool {
    list["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| p["ipMasq"].as_bool() == Some(true))
}

/// Adds the pod's networks; on any failure everything done so far is undone.
pub fn add(paths: &Paths, req: &AddRequest) -> Result<Vec<NetResult>, Error> {
    let pod = parse_pod(&req.pod)?;
    let nets = if req.nets.is_empty() {
        vec![NetArg {
            name: "default".into(),
            args: String::new(),
        }]
    } else {
        req.nets.clone()
    };
    for (i, n) in nets.iter().enumerate() {
        if nets[..i].iter().any(|m| m.name == n.name) {
            return Err(Error::Usage(format!("network {:?} given twice", n.name)));
        }
    }
    let mut resolved = Vec::new();
    for n in &nets {
        resolved.push(config::resolve(&n.name, &paths.config_dirs)?);
    }
    let special = resolved
        .iter()
        .find(|n| matches!(n.kind, NetKind::None | NetKind::Host));
    if let Some(s) = special
        && resolved.len() > 1
    {
        return Err(Error::Usage(format!(
            "network {:?} cannot be combined with other networks",
            s.name
        )));
    }
    let mut forwards = ports::resolve(&req.ports, &req.pod_ports)?;
    if !forwards.is_empty() && special.is_some() {
        return Err(Error::Usage(
            "port forwards need a network with an address (not none or host)".into(),
        ));
    }
    let ns = Netns::open(&req.netns)?;

    let _lock = state::lock(&paths.data_dir, &pod)?;
    if state::load(&paths.data_dir, &pod)?.is_some() {
        return Err(Error::Usage(format!(
            "pod {pod} already has networking (run acnet del first)"
        )));
    }
    let mut eth = 0;
    let mut st = PodState {
        pod: pod.clone(),
        netns: req.netns.clone(),
        netns_id: ns.id().ok(),
        status: "adding".into(),
        nft_table: paths.nft_table.clone(),
        networks: resolved
            .iter()
            .zip(&nets)
            .map(|(n, a)| {
                let (kind, if_name, host_if) = match &n.kind {
                    NetKind::None => ("none", "lo".to_owned(), None),
                    NetKind::Host => ("host", String::new(), None),
                    k => {
                        let name = format!("eth{eth}");
                        eth += 1;
                        let host = matches!(k, NetKind::Ptp(_)).then(|| host_if_name(&pod, &name));
                        (if host.is_some() { "ptp" } else { "cni" }, name, host)
                    }
                };
                NetState {
                    name: n.name.clone(),
                    kind: kind.into(),
                    if_name,
                    host_if,
                    args: a.args.clone(),
                    config: n.config_value(),
                    route_localnet: false,
                    result: None,
                }
            })
            .collect(),
        ports: Vec::new(),
    };
    state::save(&paths.data_dir, &st)?;

    match add_inner(paths, &ns, &resolved, &mut st, &mut forwards) {
        Ok(results) => Ok(results),
        Err(e) => match teardown(paths, &st) {
            Ok(()) => Err(e),
            Err(r) => Err(Error::RollbackFailed {
                error: Box::new(e),
                rollback: Box::new(r),
            }),
        },
    }
}

fn add_inner(
    paths: &Paths,
    ns: &Netns,
    resolved: &[Network],
    st: &mut PodState,
    forwards: &mut [PortForward],
) -> Result<Vec<NetResult>, Error> {
    if !resolved.iter().any(|n| n.kind == NetKind::Host) {
        let mut nl = ns.run(Netlink::open)??;
        if let Some(lo) = nl.link_index("lo")? {
            nl.set_up(lo)?;
        }
    }
    let cni_ports = resolved.iter().any(|n| match &n.kind {
        NetKind::Cni(list) => cni_has_cap(list, "portMappings"),
        _ => false,
    });
    let port_mappings: Vec<Value> = forwards
        .iter()
        .map(|f| {
            let mut m = json!({"hostPort": f.host_port, "containerPort": f.pod_port, "protocol": f.protocol});
            if let Some(ip) = f.host_ip {
                m["hostIP"] = json!(ip.to_string());
            }
            m
        })
        .collect();

    // Native addresses first: with them known, the nft transaction can run while the links
    // are being made (it only names addresses), unless a CNI network's address is needed.
    let mut leased: Vec<Option<(CniResult, Leased)>> = vec![None; resolved.len()];
    for (i, net) in resolved.iter().enumerate() {
        if let NetKind::Ptp(conf) = &net.kind {
            leased[i] = Some(alloc_ptp(paths, st, i, conf)?);
        }
    }
    let early = !resolved.iter().any(|n| matches!(n.kind, NetKind::Cni(_)));
    let nft = Nft::new(&st.nft_table);
    let mut pending = None;
    if early {
        let planned: Vec<NetResult> = resolved
            .iter()
            .zip(&st.networks)
            .zip(&leased)
            .map(|((n, s), l)| NetResult {
                network: n.name.clone(),
                if_name: s.if_name.clone(),
                result: l.as_ref().map(|(r, _)| r.clone()).unwrap_or_default(),
            })
            .collect();
        plan_forwards(paths, resolved, &planned, st, forwards, cni_ports)?;
        pending = Some(nft.start_add_pod(&st.pod, &pod_rules(st))?);
    }

    let mut out = Vec::new();
    let mut failure = None;
    for (i, net) in resolved.iter().enumerate() {
        let if_name = st.networks[i].if_name.clone();
        let result = match &net.kind {
            NetKind::Host => Ok(CniResult {
                cni_version: CNI_VERSION.into(),
                ..Default::default()
            }),
            NetKind::None => Ok(CniResult {
                cni_version: CNI_VERSION.into(),
                interfaces: vec![Interface {
                    name: "lo".into(),
                    mac: String::new(),
                    sandbox: st.netns.display().to_string(),
                }],
                ..Default::default()
            }),
            NetKind::Ptp(conf) => match leased[i].take() {
                Some(l) => link_ptp(ns, st, i, conf, l),
                None => Err(Error::Check(format!(
                    "network {}: no addresses leased",
                    net.name
                ))),
            },
            NetKind::Cni(list) => add_cni(paths, st, i, list, &port_mappings),
        };
        match result {
            Ok(result) => {
                st.networks[i].result = serde_json::to_value(&result).ok();
                out.push(NetResult {
                    network: net.name.clone(),
                    if_name,
                    result,
                });
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    // Always reap the nft child, even when a link step failed.
    let nft_outcome = pending.map_or(Ok(()), |p| p.wait());
    if let Some(e) = failure {
        return Err(e);
    }
    nft_outcome.map_err(|e| nft_add_error(e, st))?;
    if !early {
        plan_forwards(paths, resolved, &out, st, forwards, cni_ports)?;
        for n in st.networks.iter().filter(|n| n.route_localnet) {
            set_route_localnet(n.host_if.as_deref().unwrap_or_default())?;
        }
        nft.add_pod(&st.pod, &pod_rules(st))
            .map_err(|e| nft_add_error(e, st))?;
    }
    failpoint("before-ready");
    st.status = "ready".into();
    state::save(&paths.data_dir, st)?;
    Ok(out)
}

fn add_cni(
    paths: &Paths,
    st: &mut PodState,
    i: usize,
    list: &Value,
    port_mappings: &[Value],
) -> Result<CniResult, Error> {
    let if_name = st.networks[i].if_name.clone();
    let args = st.networks[i].args.clone();
    let inv = cni::Invocation {
        plugin_dirs: &paths.plugin_dirs,
        container_id: &st.pod,
        netns: &st.netns,
        if_name: &if_name,
        args: &args,
        runtime_config: json!({ "portMappings": port_mappings }),
    };
    let raw = cni::add(list, &inv)?;
    st.networks[i].result = Some(raw.clone());
    state::save(&paths.data_dir, st)?;
    CniResult::from_plugin(&raw).map_err(|e| {
        Error::Check(format!(
            "network {}: unreadable CNI result: {e}",
            st.networks[i].name
        ))
    })
}

/// Picks the pod address that native port forwards go to and records the forwards.
fn plan_forwards(
    paths: &Paths,
    resolved: &[Network],
    results: &[NetResult],
    st: &mut PodState,
    forwards: &mut [PortForward],
    cni_ports: bool,
) -> Result<(), Error> {
    if forwards.is_empty() {
        return Ok(());
    }
    if cni_ports {
        // The portmap-style plugins do the forwarding; recorded (without a pod address, so
        // no native rules) for DEL, CHECK and ls.
        st.ports = forwards.to_vec();
        return state::save(&paths.data_dir, st).map_err(Error::from);
    }
    // As rkt: the first masquerading network, else the last one with an IPv4 address.
    let target = resolved
        .iter()
        .zip(results)
        .filter(|(n, _)| match &n.kind {
            NetKind::Ptp(p) => p.ip_masq,
            NetKind::Cni(l) => cni_masq(l),
            _ => false,
        })
        .find_map(|(_, r)| r.result.first_ipv4().map(|ip| (ip, r.if_name.clone())))
        .or_else(|| {
            results
                .iter()
                .rev()
                .find_map(|r| r.result.first_ipv4().map(|ip| (ip, r.if_name.clone())))
        });
    let Some((pod_ip, if_name)) = target else {
        return Err(Error::Usage(
            "port forwards need a network that gives the pod an IPv4 address".into(),
        ));
    };
    for f in forwards.iter_mut() {
        f.pod_ip = Some(pod_ip);
    }
    st.ports = forwards.to_vec();
    state::save(&paths.data_dir, st)?;
    // Forwards from the host's own 127.0.0.1 leave through the pod's host-side veth, which
    // exists only later; its sysctl is set once it does (see link_ptp) or here for CNI.
    if let Some(host_if) = st
        .networks
        .iter()
        .find(|n| n.if_name == if_name)
        .and_then(|n| n.host_if.clone())
    {
        st.networks
            .iter_mut()
            .filter(|n| n.host_if.as_deref() == Some(&host_if))
            .for_each(|n| n.route_localnet = true);
    }
    Ok(())
}

/// The only element an add can collide on is a forwarded port (pod addresses are leased
/// under a lock), so "File exists" from nft means another pod holds one of the host ports.
fn nft_add_error(e: crate::nft::NftError, st: &PodState) -> Error {
    match &e {
        crate::nft::NftError::Rejected(msg)
            if msg.contains("File exists") && !st.ports.is_empty() =>
        {
            let ports: Vec<String> = st
                .ports
                .iter()
                .map(|p| match p.host_ip {
                    Some(ip) => format!("{}/{}:{}", p.protocol, ip, p.host_port),
                    None => format!("{}/{}", p.protocol, p.host_port),
                })
                .collect();
            Error::PortTaken(ports.join(", "))
        }
        _ => e.into(),
    }
}

/// Crash tests set `ACNET_FAILPOINT` to a step name to make the process die there, as a
/// `kill -9` would, and then check that `gc` cleans up what was left.
fn failpoint(name: &str) {
    if std::env::var_os("ACNET_FAILPOINT").is_some_and(|v| v == name) {
        std::process::abort();
    }
}

fn set_route_localnet(host_if: &str) -> Result<(), Error> {
    let key = format!("net.ipv4.conf.{host_if}.route_localnet");
    netns::write_sysctl(&key, "1").map_err(|source| Error::Sysctl { key, source })
}

fn prefix_route(addr: IpAddr) -> IpNet {
    IpNet::new(addr, if addr.is_ipv4() { 32 } else { 128 }).unwrap_or_else(|_| IpNet::from(addr))
}

/// Native networks take one argument, `IP=` (as rkt's did): the address(es) to lease,
/// comma-separated for dual stack. Anything else is refused rather than silently ignored.
fn requested_ips(network: &str, args: &str) -> Result<Vec<IpAddr>, Error> {
    let mut out = Vec::new();
    for kv in args.split(';').filter(|kv| !kv.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        if k != "IP" {
            return Err(Error::Usage(format!(
                "network {network} accepts only the argument IP=ADDRESS, not {k:?}"
            )));
        }
        for ip in v.split(',') {
            out.push(ip.parse().map_err(|_| {
                Error::Usage(format!("network {network}: IP={ip:?} is not an address"))
            })?);
        }
    }
    Ok(out)
}

/// The addresses (with their gateways) leased for one native network.
type Leased = Vec<(IpNet, IpAddr)>;

/// Leases a native network's addresses and records them, with the result they will give,
/// before any kernel object exists, so a crash from here on is cleanable.
fn alloc_ptp(
    paths: &Paths,
    st: &mut PodState,
    i: usize,
    conf: &PtpConfig,
) -> Result<(CniResult, Leased), Error> {
    let name = st.networks[i].name.clone();
    let if_name = st.networks[i].if_name.clone();
    let host_if = st.networks[i]
        .host_if
        .clone()
        .unwrap_or_else(|| host_if_name(&st.pod, &if_name));
    let ipam = Ipam::new(&paths.data_dir, &name);
    let lease = Lease {
        pod: st.pod.clone(),
        if_name: if_name.clone(),
        netns: st.netns.clone(),
    };
    let wanted = requested_ips(&name, &st.networks[i].args)?;
    let mut addrs: Vec<(IpNet, IpAddr)> = Vec::new();
    {
        let lock = ipam.lock()?;
        for subnet in std::iter::once(conf.subnet).chain(conf.subnet6) {
            let gw = ipam::first_host(subnet).ok_or(ipam::IpamError::TooSmall(subnet))?;
            let want = wanted
                .iter()
                .find(|ip| ip.is_ipv4() == subnet.addr().is_ipv4());
            let ip = match want {
                Some(ip) => ipam.reserve(&lock, subnet, gw, *ip, &lease)?,
                None => ipam.allocate(&lock, subnet, gw, &lease)?,
            };
            let net = IpNet::new(ip, subnet.prefix_len()).unwrap_or(subnet);
            addrs.push((net, gw));
        }
    }
    let mut result = CniResult {
        cni_version: CNI_VERSION.into(),
        interfaces: vec![
            Interface {
                name: host_if.clone(),
                ..Default::default()
            },
            Interface {
                name: if_name.clone(),
                mac: String::new(),
                sandbox: st.netns.display().to_string(),
            },
        ],
        ips: addrs
            .iter()
            .map(|(net, gw)| IpConfig {
                address: net.to_string(),
                gateway: Some(gw.to_string()),
                interface: Some(1),
            })
            .collect(),
        routes: Vec::new(),
        dns: Default::default(),
    };
    if conf.default_route {
        for (net, gw) in &addrs {
            let dst = if net.addr().is_ipv4() {
                "0.0.0.0/0"
            } else {
                "::/0"
            };
            result.routes.push(RouteConfig {
                dst: dst.into(),
                gw: Some(gw.to_string()),
            });
        }
    }
    st.networks[i].result = serde_json::to_value(&result).ok();
    state::save(&paths.data_dir, st)?;
    Ok((result, addrs))
}

/// Creates a native network's veth pair, addresses and routes.
fn link_ptp(
    ns: &Netns,
    st: &PodState,
    i: usize,
    conf: &PtpConfig,
    leased: (CniResult, Leased),
) -> Result<CniResult, Error> {
    let (mut result, addrs) = leased;
    let if_name = st.networks[i].if_name.clone();
    let host_if = result.interfaces[0].name.clone();
    let mut host = Netlink::open()?;
    host.add_veth(&host_if, &if_name, ns.fd(), conf.mtu)?;
    failpoint("after-veth");
    let mut pod_nl = ns.run(Netlink::open)??;
    let pidx = pod_nl
        .link_index(&if_name)?
        .ok_or_else(|| Error::Check(format!("{if_name} vanished from the pod namespace")))?;
    for (net, _) in &addrs {
        pod_nl.add_addr(pidx, *net, true)?;
    }
    pod_nl.set_up(pidx)?;
    for (_, gw) in &addrs {
        pod_nl.add_route(&Route {
            dst: prefix_route(*gw),
            gateway: None,
            oif: pidx,
            link_scope: true,
        })?;
        if conf.default_route {
            let any = if gw.is_ipv4() {
                IpNet::V4(Default::default())
            } else {
                IpNet::V6(Default::default())
            };
            pod_nl.add_route(&Route {
                dst: any,
                gateway: Some(*gw),
                oif: pidx,
                link_scope: false,
            })?;
        }
    }
    result.interfaces[1].mac = pod_nl.link_mac(&if_name)?.unwrap_or_default();

    let hidx = host
        .link_index(&host_if)?
        .ok_or_else(|| Error::Check(format!("{host_if} vanished from the host")))?;
    for (_, gw) in &addrs {
        host.add_addr(hidx, prefix_route(*gw), false)?;
    }
    host.set_up(hidx)?;
    for (net, _) in &addrs {
        host.add_route(&Route {
            dst: prefix_route(net.addr()),
            gateway: None,
            oif: hidx,
            link_scope: true,
        })?;
    }
    result.interfaces[0].mac = host.link_mac(&host_if)?.unwrap_or_default();
    if st.networks[i].route_localnet {
        set_route_localnet(&host_if)?;
    }
    if conf.default_route || conf.ip_masq {
        for (net, _) in &addrs {
            let key = if net.addr().is_ipv4() {
                "net.ipv4.ip_forward"
            } else {
                "net.ipv6.conf.all.forwarding"
            };
            netns::write_sysctl(key, "1").map_err(|source| Error::Sysctl {
                key: key.into(),
                source,
            })?;
        }
    }
    Ok(result)
}

/// The nft rules a pod's state implies.
fn pod_rules(st: &PodState) -> PodRules {
    let mut rules = PodRules {
        masq: Vec::new(),
        ports: st
            .ports
            .iter()
            .filter(|p| p.pod_ip.is_some())
            .cloned()
            .collect(),
    };
    for n in &st.networks {
        if n.kind != "ptp" || n.config["ipMasq"].as_bool() != Some(true) {
            continue;
        }
        let Some(res) = n
            .result
            .as_ref()
            .and_then(|r| CniResult::from_plugin(r).ok())
        else {
            continue;
        };
        for ip in &res.ips {
            if let Ok(net) = ip.address.parse::<IpNet>() {
                rules.masq.push((
                    n.if_name.clone(),
                    Masq {
                        addr: net.addr(),
                        subnet: net.trunc(),
                    },
                ));
            }
        }
    }
    rules
}

/// Undoes everything a pod state records; keeps going past failures and returns the first.
fn teardown(paths: &Paths, st: &PodState) -> Result<(), Error> {
    let mut errors: Vec<Error> = Vec::new();
    let mut note = |r: Result<(), Error>| {
        if let Err(e) = r {
            errors.push(e);
        }
    };
    // Started first, so the kernel's nft commit overlaps the link deletions below.
    let pending = Nft::new(&st.nft_table).start_del_pod(&st.pod, &pod_rules(st));
    for n in st.networks.iter().rev() {
        match n.kind.as_str() {
            "ptp" => {
                if let Some(host_if) = &n.host_if {
                    // Deleting one end of a veth pair deletes both.
                    note(
                        Netlink::open()
                            .and_then(|mut nl| nl.del_link(host_if))
                            .map(|_| ())
                            .map_err(Error::from),
                    );
                }
            }
            "cni" => {
                // The spec lets CNI_NETNS be empty on DEL when the namespace is gone; it must
                // be when the path now names someone else's namespace.
                let netns = if netns::exists(&st.netns, st.netns_id.as_deref()) {
                    st.netns.as_path()
                } else {
                    Path::new("")
                };
                let inv = cni::Invocation {
                    plugin_dirs: &paths.plugin_dirs,
                    container_id: &st.pod,
                    netns,
                    if_name: &n.if_name,
                    args: &n.args,
                    runtime_config: json!({"portMappings": port_mappings_of(st, n)}),
                };
                // A plugin that is missing cannot have left anything behind.
                match cni::del(&n.config, &inv, n.result.as_ref()) {
                    Err(cni::CniError::NotFound { .. }) => {}
                    r => note(r.map_err(Error::from)),
                }
            }
            _ => {}
        }
        if n.kind == "ptp" {
            let ipam = Ipam::new(&paths.data_dir, &n.name);
            note(
                ipam.lock()
                    .and_then(|l| ipam.release(&l, &st.pod, Some(&n.if_name)))
                    .map(|_| ())
                    .map_err(Error::from),
            );
        }
    }
    if let Err(e) = pending.and_then(|p| p.wait()) {
        errors.insert(0, e.into());
    }
    if errors.is_empty() {
        state::remove(&paths.data_dir, &st.pod)?;
    }
    errors.into_iter().next().map_or(Ok(()), Err)
}

fn port_mappings_of(st: &PodState, _n: &NetState) -> Vec<Value> {
    st.ports
        .iter()
        .filter(|f| f.pod_ip.is_none())
        .map(|f| {
            let mut m = json!({"hostPort": f.host_port, "containerPort": f.pod_port, "protocol": f.protocol});
            if let Some(ip) = f.host_ip {
                m["hostIP"] = json!(ip.to_string());
            }
            m
        })
        .collect()
}

/// Removes all of a pod's networking. Without recorded state it still frees the pod's leases
/// and deletes its veths by their derived names, so a repeated `del` is harmless.
pub fn del(paths: &Paths, pod: &str) -> Result<(), Error> {
    let pod = parse_pod(pod)?;
    let _lock = state::lock(&paths.data_dir, &pod)?;
    match state::load(&paths.data_dir, &pod)? {
        Some(st) => teardown(paths, &st),
        None => {
            for net in ipam::networks(&paths.data_dir) {
                let ipam = Ipam::new(&paths.data_dir, &net);
                let lock = ipam.lock()?;
                for (_, lease) in ipam.leases()? {
                    if lease.pod == pod {
                        let mut nl = Netlink::open()?;
                        nl.del_link(&host_if_name(&pod, &lease.if_name))?;
                    }
                }
                ipam.release(&lock, &pod, None)?;
            }
            state::remove(&paths.data_dir, &pod)?;
            Ok(())
        }
    }
}

/// Verifies that a pod's networking is still in place: both ends of native veths, the pod's
/// nftables chains, and for CNI networks the plugins' own CHECK.
pub fn check(paths: &Paths, pod: &str) -> Result<(), Error> {
    let pod = parse_pod(pod)?;
    let st = state::load(&paths.data_dir, &pod)?
        .ok_or_else(|| Error::Check(format!("pod {pod} has no networking")))?;
    if st.status != "ready" {
        return Err(Error::Check(format!(
            "pod {pod} is {} (an add did not finish)",
            st.status
        )));
    }
    let ns = Netns::open(&st.netns)?;
    let mut pod_nl = ns.run(Netlink::open)??;
    let mut host = Netlink::open()?;
    for n in &st.networks {
        match n.kind.as_str() {
            "ptp" => {
                let host_if = n.host_if.clone().unwrap_or_default();
                if host.link_index(&host_if)?.is_none() {
                    return Err(Error::Check(format!(
                        "network {}: host interface {host_if} is missing",
                        n.name
                    )));
                }
                if pod_nl.link_index(&n.if_name)?.is_none() {
                    return Err(Error::Check(format!(
                        "network {}: pod interface {} is missing",
                        n.name, n.if_name
                    )));
                }
            }
            "cni" => {
                let inv = cni::Invocation {
                    plugin_dirs: &paths.plugin_dirs,
                    container_id: &st.pod,
                    netns: &st.netns,
                    if_name: &n.if_name,
                    args: &n.args,
                    runtime_config: json!({"portMappings": port_mappings_of(&st, n)}),
                };
                let prev = n.result.clone().unwrap_or(Value::Null);
                cni::check(&n.config, &inv, &prev)?;
            }
            _ => {}
        }
    }
    let rules = pod_rules(&st);
    if !rules.masq.is_empty() || !rules.ports.is_empty() {
        let listing = Nft::new(&st.nft_table).list()?;
        let id = st.pod.replace('-', "");
        for (if_name, _) in &rules.masq {
            if !listing.contains(&format!("chain masq-{id}-{if_name} ")) {
                return Err(Error::Check(format!(
                    "masquerade rules for {if_name} are missing"
                )));
            }
        }
        if !rules.ports.is_empty() && !listing.contains(&format!("chain pfwd-{id} ")) {
            return Err(Error::Check("port-forward rules are missing".into()));
        }
    }
    Ok(())
}

/// One pod as `acnet ls` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSummary {
    /// Pod UUID.
    pub pod: String,
    /// Its namespace.
    pub netns: PathBuf,
    /// Whether that namespace still exists.
    pub netns_alive: bool,
    /// `adding` or `ready`.
    pub status: String,
    /// Its networks.
    pub networks: Vec<NetSummary>,
    /// Its port forwards.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortForward>,
}

/// One network of a pod in `acnet ls`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetSummary {
    /// The network's name.
    pub name: String,
    /// The pod-side interface.
    pub if_name: String,
    /// Its addresses.
    pub ips: Vec<String>,
}

/// Every pod with recorded networking.
pub fn list(paths: &Paths) -> Result<Vec<PodSummary>, Error> {
    let mut out = Vec::new();
    for pod in state::list(&paths.data_dir) {
        let Some(st) = state::load(&paths.data_dir, &pod)? else {
            continue;
        };
        out.push(PodSummary {
            netns_alive: netns::exists(&st.netns, st.netns_id.as_deref()),
            networks: st
                .networks
                .iter()
                .map(|n| NetSummary {
                    name: n.name.clone(),
                    if_name: n.if_name.clone(),
                    ips: n
                        .result
                        .as_ref()
                        .and_then(|r| result::CniResult::from_plugin(r).ok())
                        .map(|r| r.ips.into_iter().map(|i| i.address).collect())
                        .unwrap_or_default(),
                })
                .collect(),
            pod: st.pod,
            netns: st.netns,
            status: st.status,
            ports: st.ports,
        });
    }
    Ok(out)
}

/// What `gc` removed.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GcReport {
    /// Pods whose networking was removed.
    pub pods: Vec<String>,
    /// Leases freed that no pod state accounted for.
    pub leases: Vec<String>,
    /// Pods whose record could not be read (left in place).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
}

/// Removes the networking of every pod whose namespace is gone, and leases left by crashed
/// adds of such pods.
pub fn gc(paths: &Paths) -> Result<GcReport, Error> {
    let mut report = GcReport::default();
    for pod in state::list(&paths.data_dir) {
        let _lock = state::lock(&paths.data_dir, &pod)?;
        let st = match state::load(&paths.data_dir, &pod) {
            Ok(Some(st)) => st,
            Ok(None) => continue,
            // One damaged record must not stop the rest from being collected.
            Err(_) => {
                report.unreadable.push(pod);
                continue;
            }
        };
        if netns::exists(&st.netns, st.netns_id.as_deref()) {
            continue;
        }
        teardown(paths, &st)?;
        report.pods.push(pod);
    }
    let mut dirs = vec![state::pods_dir(&paths.data_dir)];
    dirs.extend(
        ipam::networks(&paths.data_dir)
            .iter()
            .map(|n| Ipam::new(&paths.data_dir, n).dir().to_owned()),
    );
    for dir in dirs {
        remove_dead_temp_files(&dir);
    }
    for net in ipam::networks(&paths.data_dir) {
        let ipam = Ipam::new(&paths.data_dir, &net);
        let lock = ipam.lock()?;
        for (ip, lease) in ipam.leases()? {
            let has_state = !lease.pod.is_empty()
                && state::load(&paths.data_dir, &lease.pod)
                    .ok()
                    .flatten()
                    .is_some();
            if has_state || netns::exists(&lease.netns, None) {
                continue;
            }
            if !lease.pod.is_empty() {
                let _ = Netlink::open()
                    .and_then(|mut nl| nl.del_link(&host_if_name(&lease.pod, &lease.if_name)));
            }
            ipam.release_ip(&lock, ip)?;
            report.leases.push(format!("{net}/{ip}"));
        }
    }
    Ok(report)
}

/// Temp files are named `.tmp-<name>-<pid>`; one whose writer is no longer running was left
/// by a crash between write and rename.
fn remove_dead_temp_files(dir: &Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(".tmp-")
            .and_then(|r| r.rsplit_once('-'))
            .and_then(|(_, pid)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Default data directory for root.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/appc/net";
/// Default user config directory.
pub const DEFAULT_CONFIG_DIR: &str = "/etc/appc/net.d";
/// Default vendor config directory.
pub const DEFAULT_VENDOR_CONFIG_DIR: &str = "/usr/lib/appc/net.d";
/// Default CNI plugin directories, colon-separated.
pub const DEFAULT_PLUGIN_PATH: &str = "/usr/lib/cni:/opt/cni/bin";
