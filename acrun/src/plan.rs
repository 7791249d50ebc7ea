//! The typed messages between `acrun run` and the pod's init: the plan it sends (everything
//! init needs, resolved in advance), and the events init sends back.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How the pod is networked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetMode {
    /// The host's network namespace.
    Host,
    /// A fresh namespace with only loopback.
    None,
    /// A namespace prepared beforehand (by acnet) and joined by init.
    Joined,
}

/// A bind mount into an app's root.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BindPlan {
    /// The volume it comes from.
    pub volume: String,
    /// Host path (checked by the supervisor).
    pub source: PathBuf,
    /// Absolute path inside the app.
    pub target: String,
    /// Mount read-only.
    pub read_only: bool,
    /// Bind submounts too.
    pub recursive: bool,
}

/// Who an app runs as.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Creds {
    /// User ID.
    pub uid: u32,
    /// Group ID.
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
}

/// What the supervisor decided for one app's security.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Security {
    /// Capability numbers kept in the bounding (and, for root, effective) set.
    pub caps: Vec<u32>,
    /// Set PR_SET_NO_NEW_PRIVS.
    pub no_new_privs: bool,
    /// /proc/self/oom_score_adj.
    pub oom_score_adj: Option<i64>,
    /// The seccomp filter (none: unfiltered).
    #[serde(default)]
    pub seccomp: Option<crate::seccomp::Filter>,
}

/// One app, resolved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppPlan {
    /// The pod app name.
    pub name: String,
    /// The rendered image tree (overlay lower layer).
    pub lower: PathBuf,
    /// The app's directory in the pod dir (upper, work, rootfs).
    pub dir: PathBuf,
    /// The main command.
    pub exec: Vec<String>,
    /// pre-start handler.
    pub pre_start: Option<Vec<String>>,
    /// post-stop handler.
    pub post_stop: Option<Vec<String>>,
    /// Environment, in order.
    pub env: Vec<(String, String)>,
    /// Credentials.
    pub creds: Creds,
    /// Working directory inside the app.
    pub cwd: String,
    /// Root filesystem read-only.
    pub read_only: bool,
    /// Volumes.
    pub binds: Vec<BindPlan>,
    /// Capabilities and friends.
    pub security: Security,
    /// `cgroup.procs` files the app's processes join (resource isolators).
    #[serde(default)]
    pub cgroup_procs: Vec<PathBuf>,
}

impl AppPlan {
    /// Where the app's root is mounted (inside init's mount namespace).
    pub fn rootfs(&self) -> PathBuf {
        self.dir.join("rootfs")
    }
}

/// Everything init needs to run the pod.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// The pod UUID.
    pub uuid: String,
    /// The pod directory.
    pub pod_dir: PathBuf,
    /// The pod's hostname.
    pub hostname: String,
    /// Networking.
    pub net: NetMode,
    /// Content of /etc/hosts for apps whose image has none.
    pub hosts: String,
    /// Content of /etc/resolv.conf for apps whose image has none (none: leave it absent).
    pub resolv: Option<String>,
    /// `net.*` sysctls to set in the pod's network namespace.
    pub sysctls: Vec<(String, String)>,
    /// Grace period between SIGTERM and SIGKILL, milliseconds.
    pub grace_ms: u64,
    /// Copy the trees instead of overlayfs.
    #[serde(default)]
    pub no_overlay: bool,
    /// The apps.
    pub apps: Vec<AppPlan>,
}

/// What init reports to the supervisor.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// The pod is set up and its apps started.
    Started,
    /// An app exited.
    AppExited {
        /// The app.
        app: String,
        /// Shell-style status.
        status: i32,
    },
    /// Init failed; it exits with the failure code after this.
    Failed {
        /// What went wrong.
        message: String,
    },
}

/// Writes one message as a JSON line.
pub fn send<T: Serialize>(w: &mut impl Write, msg: &T) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(msg).map_err(std::io::Error::other)?;
    line.push(b'\n');
    w.write_all(&line)?;
    w.flush()
}

/// Reads one JSON-line message; `None` at end of stream.
pub fn recv<T: for<'de> Deserialize<'de>>(r: &mut impl BufRead) -> std::io::Result<Option<T>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    serde_json::from_str(&line)
        .map(Some)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}
