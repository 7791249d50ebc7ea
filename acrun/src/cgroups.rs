//! resource/memory and resource/cpu through cgroups: v1, v2, and the hybrid layout (v1
//! controllers beside a cgroup2 mount that holds none of them).
//!
//! Each app gets `acrun/<uuid>/<app>` under the supervisor's own cgroup of every controller
//! used (v1) or under the v2 root; pod-level limits go on `acrun/<uuid>`.

use std::fs;
use std::path::{Path, PathBuf};

use appc::schema::{Isolator, IsolatorValue, Resource};

use crate::error::{Error, Result, at};

const ROOT: &str = "/sys/fs/cgroup";

/// Which cgroup layout the host has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// cgroup2 only at /sys/fs/cgroup.
    Unified,
    /// v1 controllers under /sys/fs/cgroup/<controller> (with or without a cgroup2 mount).
    Legacy,
    /// No usable cgroups.
    None,
}

/// Detects the host's layout.
pub fn layout() -> Layout {
    if Path::new(ROOT).join("cgroup.controllers").exists() {
        Layout::Unified
    } else if Path::new(ROOT).join("memory").is_dir() || Path::new(ROOT).join("cpu").is_dir() {
        Layout::Legacy
    } else {
        Layout::None
    }
}

/// Limits for one cgroup, in base units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// Memory ceiling, bytes.
    pub memory_limit: Option<i64>,
    /// Memory floor, bytes.
    pub memory_request: Option<i64>,
    /// CPU ceiling, millicores.
    pub cpu_limit: Option<i64>,
    /// CPU share, millicores.
    pub cpu_request: Option<i64>,
}

impl Limits {
    /// The limits the resource isolators in `isolators` ask for.
    pub fn from_isolators<'a>(isolators: impl IntoIterator<Item = &'a Isolator>) -> Limits {
        let mut l = Limits::default();
        for i in isolators {
            match i.value() {
                Some(IsolatorValue::Memory(r)) => {
                    let (req, lim) = values(r, |q| q.value());
                    l.memory_limit = lim.or(l.memory_limit);
                    l.memory_request = req.or(l.memory_request);
                }
                Some(IsolatorValue::Cpu(r)) => {
                    let (req, lim) = values(r, |q| q.milli_value());
                    l.cpu_limit = lim.or(l.cpu_limit);
                    l.cpu_request = req.or(l.cpu_request);
                }
                _ => {}
            }
        }
        l
    }

    /// Whether nothing is limited.
    pub fn is_empty(&self) -> bool {
        *self == Limits::default()
    }

    /// The files to write for `layout`: (controller, file, value). v2 has no controller.
    pub fn files(&self, layout: Layout) -> Vec<(&'static str, &'static str, String)> {
        let mut out = Vec::new();
        let v1 = layout == Layout::Legacy;
        if let Some(m) = self.memory_limit {
            out.push(if v1 {
                ("memory", "memory.limit_in_bytes", m.to_string())
            } else {
                ("", "memory.max", m.to_string())
            });
        }
        if let Some(m) = self.memory_request {
            out.push(if v1 {
                ("memory", "memory.soft_limit_in_bytes", m.to_string())
            } else {
                ("", "memory.low", m.to_string())
            });
        }
        if let Some(c) = self.cpu_limit {
            let quota = (c * 100).max(1000);
            out.push(if v1 {
                ("cpu", "cpu.cfs_quota_us", quota.to_string())
            } else {
                ("", "cpu.max", format!("{quota} 100000"))
            });
        }
        if let Some(c) = self.cpu_request {
            let shares = (c * 1024 / 1000).clamp(2, 262_144);
            out.push(if v1 {
                ("cpu", "cpu.shares", shares.to_string())
            } else {
                let weight = 1 + ((shares - 2) * 9999) / 262_142;
                ("", "cpu.weight", weight.to_string())
            });
        }
        out
    }
}

fn values(r: &Resource, f: impl Fn(&appc::schema::Quantity) -> i64) -> (Option<i64>, Option<i64>) {
    let lim = r.limit.as_ref().map(&f);
    // The request defaults to the limit (spec).
    let req = r.request.as_ref().map(&f);
    (req, lim)
}

/// The supervisor's own v1 cgroup path for `controller`.
fn own_path(controller: &str) -> PathBuf {
    let text = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    for line in text.lines() {
        let mut f = line.splitn(3, ':');
        let (_, ctrls, path) = (f.next(), f.next().unwrap_or(""), f.next().unwrap_or("/"));
        if ctrls.split(',').any(|c| c == controller) {
            return PathBuf::from(path.trim_start_matches('/'));
        }
    }
    PathBuf::new()
}

/// The pod's cgroup directory for `controller` ("" for v2).
pub fn pod_dir(layout: Layout, controller: &str, uuid: &str) -> PathBuf {
    match layout {
        Layout::Unified => Path::new(ROOT).join("acrun").join(uuid),
        _ => Path::new(ROOT)
            .join(controller)
            .join(own_path(controller))
            .join("acrun")
            .join(uuid),
    }
}

fn write(dir: &Path, file: &str, value: &str) -> Result<()> {
    let p = dir.join(file);
    fs::write(&p, value).map_err(at(&p))
}

/// Creates the pod's and its apps' cgroups with their limits; returns, per app, the
/// `cgroup.procs` files its processes must join.
pub fn create(uuid: &str, pod: &Limits, apps: &[(String, Limits)]) -> Result<Vec<Vec<PathBuf>>> {
    let layout = layout();
    let any = !pod.is_empty() || apps.iter().any(|(_, l)| !l.is_empty());
    if !any {
        return Ok(vec![Vec::new(); apps.len()]);
    }
    if layout == Layout::None {
        return Err(Error::Invalid(
            "resource isolators need cgroups, and /sys/fs/cgroup has none".into(),
        ));
    }
    let controllers: &[&str] = if layout == Layout::Legacy {
        &["memory", "cpu"]
    } else {
        &[""]
    };
    if layout == Layout::Unified {
        for d in [
            PathBuf::from(ROOT),
            Path::new(ROOT).join("acrun"),
            pod_dir(layout, "", uuid),
        ] {
            fs::create_dir_all(&d).map_err(at(&d))?;
            // Controllers must be enabled top-down; failures surface when writing limits.
            let _ = write(&d, "cgroup.subtree_control", "+memory +cpu");
        }
    }
    for c in controllers {
        let d = pod_dir(layout, c, uuid);
        fs::create_dir_all(&d).map_err(at(&d))?;
    }
    for (ctrl, file, v) in pod.files(layout) {
        write(&pod_dir(layout, ctrl, uuid), file, &v)?;
    }
    let mut out = Vec::new();
    for (name, l) in apps {
        let mut procs = Vec::new();
        for c in controllers {
            let d = pod_dir(layout, c, uuid).join(name);
            fs::create_dir_all(&d).map_err(at(&d))?;
            procs.push(d.join("cgroup.procs"));
        }
        for (ctrl, file, v) in l.files(layout) {
            write(&pod_dir(layout, ctrl, uuid).join(name), file, &v)?;
        }
        out.push(procs);
    }
    Ok(out)
}

/// Removes the pod's cgroups (its processes are gone).
pub fn remove(uuid: &str) {
    let layout = layout();
    let controllers: &[&str] = if layout == Layout::Legacy {
        &["memory", "cpu"]
    } else {
        &[""]
    };
    for c in controllers {
        let d = pod_dir(layout, c, uuid);
        if let Ok(rd) = fs::read_dir(&d) {
            for e in rd.flatten() {
                if e.path().is_dir() {
                    let _ = fs::remove_dir(e.path());
                }
            }
        }
        let _ = fs::remove_dir(&d);
        // The shared parent goes with the last pod.
        if let Some(parent) = d.parent() {
            let _ = fs::remove_dir(parent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_files() {
        let l = Limits {
            memory_limit: Some(1 << 30),
            memory_request: None,
            cpu_limit: Some(500),
            cpu_request: Some(250),
        };
        let v1 = l.files(Layout::Legacy);
        assert!(v1.contains(&("memory", "memory.limit_in_bytes", "1073741824".into())));
        assert!(v1.contains(&("cpu", "cpu.cfs_quota_us", "50000".into())));
        assert!(v1.contains(&("cpu", "cpu.shares", "256".into())));
        let v2 = l.files(Layout::Unified);
        assert!(v2.contains(&("", "memory.max", "1073741824".into())));
        assert!(v2.contains(&("", "cpu.max", "50000 100000".into())));
    }

    #[test]
    fn from_isolators() {
        let i = [
            Isolator::new("resource/memory", serde_json::json!({"limit": "64Mi"})).unwrap(),
            Isolator::new(
                "resource/cpu",
                serde_json::json!({"request": "100m", "limit": "1"}),
            )
            .unwrap(),
        ];
        let l = Limits::from_isolators(&i);
        assert_eq!(l.memory_limit, Some(64 << 20));
        assert_eq!(l.cpu_limit, Some(1000));
        assert_eq!(l.cpu_request, Some(100));
    }
}
