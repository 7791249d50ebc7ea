//! Test fixtures: namespaces, veths and nft tables that clean themselves up on drop, an
//! isolated acnet environment per test, and TCP helpers that run inside a namespace.
#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A unique suffix for names in this process.
pub fn unique() -> String {
    format!(
        "{}x{}",
        std::process::id() % 100000,
        SEQ.fetch_add(1, Ordering::SeqCst)
    )
}

pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

pub fn sh(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"))
}

/// A named network namespace (`ip netns add`), deleted on drop.
pub struct Ns {
    pub name: String,
}

impl Ns {
    pub fn new(tag: &str) -> Ns {
        let name = format!("acnt-{tag}-{}", unique());
        let out = sh("ip", &["netns", "add", &name]);
        assert!(out.status.success(), "ip netns add: {out:?}");
        Ns { name }
    }
    pub fn path(&self) -> PathBuf {
        PathBuf::from(format!("/run/netns/{}", self.name))
    }
    /// Runs a command inside the namespace.
    pub fn exec(&self, args: &[&str]) -> Output {
        let mut all = vec!["netns", "exec", &self.name];
        all.extend_from_slice(args);
        sh("ip", &all)
    }
    /// Runs `f` on a thread inside the namespace.
    pub fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> std::thread::JoinHandle<T> {
        let file = File::open(self.path()).expect("open netns");
        std::thread::spawn(move || {
            assert_eq!(
                unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) },
                0
            );
            f()
        })
    }
    /// Binds a TCP listener inside the namespace and returns it.
    pub fn listen(&self, addr: &str) -> TcpListener {
        let addr = addr.to_owned();
        self.run(move || TcpListener::bind(addr).expect("bind in netns"))
            .join()
            .expect("listener thread")
    }
    /// Connects from inside the namespace, sends a line, returns the reply.
    pub fn tcp_roundtrip(&self, addr: SocketAddr) -> std::io::Result<String> {
        self.run(move || tcp_roundtrip(addr))
            .join()
            .expect("client thread")
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = sh("ip", &["netns", "del", &self.name]);
    }
}

/// Connects, writes "ping", reads the reply.
pub fn tcp_roundtrip(addr: SocketAddr) -> std::io::Result<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(3))?;
    s.set_read_timeout(Some(Duration::from_secs(3)))?;
    s.write_all(b"ping")?;
    s.shutdown(std::net::Shutdown::Write)?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    Ok(buf)
}

/// Serves `n` connections on `l`: each gets back "pong from <peer address>".
pub fn serve(l: TcpListener, n: usize) -> std::thread::JoinHandle<Vec<SocketAddr>> {
    std::thread::spawn(move || {
        let mut peers = Vec::new();
        for _ in 0..n {
            let Ok((mut s, peer)) = l.accept() else { break };
            let mut buf = [0u8; 16];
            let _ = s.read(&mut buf);
            let _ = s.write_all(format!("pong from {}", peer.ip()).as_bytes());
            peers.push(peer);
        }
        peers
    })
}

/// A veth pair whose host end is deleted on drop (its peer goes with it).
pub struct Veth {
    pub host: String,
}

impl Drop for Veth {
    fn drop(&mut self) {
        let _ = sh("ip", &["link", "del", &self.host]);
    }
}

/// An isolated acnet environment: temp data and config dirs, its own nft table (deleted on
/// drop) and a test subnet 198.18.<octet>.0/24, which no host route uses.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub table: String,
    pub octet: u8,
}

impl Env {
    pub fn new(octet: u8) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("conf")).unwrap();
        let env = Env {
            dir,
            table: format!("acnet_t{}", unique()),
            octet,
        };
        env.write_conf(
            "10-default.conf",
            &format!(
                r#"{{"cniVersion":"1.0.0","name":"default","type":"acnet-ptp","subnet":"{}","ipMasq":true}}"#,
                env.subnet()
            ),
        );
        env
    }
    pub fn subnet(&self) -> String {
        format!("198.18.{}.0/24", self.octet)
    }
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    pub fn write_conf(&self, name: &str, body: &str) {
        std::fs::write(self.dir.path().join("conf").join(name), body).unwrap();
    }
    pub fn acnet(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_acnet"))
            .args(args)
            .env("ACNET_DATA_DIR", self.data())
            .env("ACNET_CONFIG_DIR", self.dir.path().join("conf"))
            .env("ACNET_VENDOR_CONFIG_DIR", self.dir.path().join("vendor"))
            .env("ACNET_NFT_TABLE", &self.table)
            .output()
            .expect("run acnet")
    }
    /// `acnet add`, asserting success; returns the parsed result lines.
    pub fn add(&self, pod: &str, ns: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
        let ns = ns.display().to_string();
        let mut args = vec!["add", "--pod", pod, "--netns", &ns];
        args.extend_from_slice(extra);
        let out = self.acnet(&args);
        assert!(
            out.status.success(),
            "acnet add failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect()
    }
    pub fn del(&self, pod: &str) {
        let out = self.acnet(&["del", "--pod", pod]);
        assert!(
            out.status.success(),
            "acnet del: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    pub fn nft(&self) -> String {
        String::from_utf8_lossy(&sh("nft", &["list", "table", "inet", &self.table]).stdout)
            .into_owned()
    }
    /// Files left under the data dir, other than lock and round-robin bookkeeping.
    pub fn leftover_files(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.data(), &mut out);
        out.retain(|f| !f.ends_with("/lock") && !f.ends_with("/last_reserved_ip"));
        out
    }
}

fn walk(dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p.display().to_string());
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = sh("nft", &["delete", "table", "inet", &self.table]);
    }
}

/// A fresh pod UUID.
pub fn pod_id() -> String {
    let n = SEQ.fetch_add(1, Ordering::SeqCst);
    format!("{:08x}-0000-4000-8000-{:012x}", std::process::id(), n)
}

/// The pod's first IPv4 address from an add result.
pub fn ip_of(result: &serde_json::Value) -> std::net::Ipv4Addr {
    result["ips"][0]["address"]
        .as_str()
        .and_then(|a| a.split('/').next())
        .and_then(|a| a.parse().ok())
        .expect("an IPv4 address in the result")
}

/// Host link names.
pub fn host_links() -> Vec<String> {
    String::from_utf8_lossy(&sh("ip", &["-o", "link", "show"]).stdout)
        .lines()
        .filter_map(|l| {
            l.split(": ")
                .nth(1)
                .map(|n| n.split('@').next().unwrap_or(n).to_owned())
        })
        .collect()
}

pub fn ping(ns: Option<&Ns>, ip: &str) -> bool {
    let args = ["ping", "-c1", "-W2", ip];
    let out = match ns {
        Some(ns) => ns.exec(&args),
        None => sh(args[0], &args[1..]),
    };
    out.status.success()
}

/// Removes iptables' tables (`ip nat`, `ip filter`, ...) that CNI plugins such as portmap and
/// firewall create, if they did not exist when the guard was made.
pub struct IptablesTables {
    before: String,
}

const IPTABLES_TABLES: [&str; 6] = [
    "table ip nat",
    "table ip filter",
    "table ip mangle",
    "table ip6 nat",
    "table ip6 filter",
    "table ip6 mangle",
];

impl IptablesTables {
    pub fn guard() -> Self {
        IptablesTables {
            before: String::from_utf8_lossy(&sh("nft", &["list", "tables"]).stdout).into_owned(),
        }
    }
}

impl Drop for IptablesTables {
    fn drop(&mut self) {
        let now = String::from_utf8_lossy(&sh("nft", &["list", "tables"]).stdout).into_owned();
        for t in IPTABLES_TABLES {
            if now.lines().any(|l| l == t) && !self.before.lines().any(|l| l == t) {
                let mut args = vec!["delete"];
                args.extend(t.split(' '));
                let _ = sh("nft", &args);
            }
        }
    }
}

/// A host link deleted on drop (bridges and dummies that CNI plugins leave or need).
pub struct HostLink(pub String);

impl Drop for HostLink {
    fn drop(&mut self) {
        let _ = sh("ip", &["link", "del", &self.0]);
    }
}
