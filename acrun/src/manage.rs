//! Pod lifecycle commands besides run: list, status, stop, rm, gc, enter, cat-manifest.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use acstore::lock::{Lock, LockMode};

use crate::error::{Error, Result, at, io_err};
use crate::mounts::Entry;
use crate::plan::Plan;
use crate::poddir::{PodDir, State};
use crate::sys;

/// Every pod as a JSON object.
pub fn list(dir: &Path) -> Result<Vec<serde_json::Value>> {
    PodDir::all(dir)?.iter().map(|p| p.to_json()).collect()
}

/// A pod's status; with `wait`, after it has exited.
pub fn status(dir: &Path, uuid: &str, wait: bool) -> Result<serde_json::Value> {
    let pod = PodDir::find(dir, uuid)?;
    if wait {
        // The supervisor holds the lock exclusively while the pod lives.
        let p = pod.lock_path();
        drop(Lock::acquire(&p, LockMode::Shared).map_err(at(&p))?);
    }
    pod.to_json()
}

/// Stops a running pod: SIGTERM to its init (which gives the apps their grace period), or
/// SIGKILL with `force`.
pub fn stop(dir: &Path, uuid: &str, force: bool) -> Result<()> {
    let pod = PodDir::find(dir, uuid)?;
    let (st, f) = pod.state()?;
    let pid = match (st, f.pid) {
        (State::Running, Some(pid)) => pid,
        _ => {
            return Err(Error::State {
                uuid: pod.uuid,
                state: st.as_str().into(),
                why: "only a running pod can be stopped",
            });
        }
    };
    let sig = if force { libc::SIGKILL } else { libc::SIGTERM };
    sys::kill(pid, sig).map_err(io_err(format!("signalling pod {}", pod.uuid)))
}

/// Removes a pod that is not running.
pub fn rm(dir: &Path, uuid: &str) -> Result<()> {
    let pod = PodDir::find(dir, uuid)?;
    let lock = pod.lock_exclusive()?;
    // A supervisor killed mid-run may leave its netns file mounted.
    let _ = sys::umount2(&pod.path.join("netns"), libc::MNT_DETACH);
    crate::cgroups::remove(&pod.uuid);
    pod.remove()?;
    drop(lock);
    Ok(())
}

/// Removes exited (and abandoned prepared) pods whose state is older than `grace_ms`;
/// returns the UUIDs removed.
pub fn gc(dir: &Path, grace_ms: u64) -> Result<Vec<String>> {
    let now = std::time::SystemTime::now();
    let mut removed = Vec::new();
    for pod in PodDir::all(dir)? {
        let Ok((st, _)) = pod.state() else { continue };
        if st == State::Running {
            continue;
        }
        let age = fs::metadata(pod.path.join("state.json"))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .unwrap_or_default();
        if age.as_millis() < grace_ms as u128 {
            continue;
        }
        if rm(dir, &pod.uuid).is_ok() {
            removed.push(pod.uuid);
        }
    }
    Ok(removed)
}

/// The reified manifest of a pod.
pub fn cat_manifest(dir: &Path, uuid: &str) -> Result<Vec<u8>> {
    PodDir::find(dir, uuid)?.manifest_bytes()
}

/// Runs `cmd` in a running app: the pod's namespaces, the app's root, environment,
/// credentials and capabilities. Returns the command's shell-style status.
pub fn enter(dir: &Path, uuid: &str, app: Option<&str>, cmd: &[String]) -> Result<i32> {
    let pod = PodDir::find(dir, uuid)?;
    let (st, f) = pod.state()?;
    let Some(pid) = f.pid.filter(|_| st == State::Running) else {
        return Err(Error::State {
            uuid: pod.uuid,
            state: st.as_str().into(),
            why: "enter needs a running pod",
        });
    };
    let plan_path = pod.path.join("plan.json");
    let plan: Plan = serde_json::from_slice(&fs::read(&plan_path).map_err(at(&plan_path))?)
        .map_err(|e| Error::Invalid(format!("{}: {e}", plan_path.display())))?;
    let app = match app {
        Some(name) => plan
            .apps
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| Error::Invalid(format!("pod {} has no app {name}", pod.uuid)))?,
        None if plan.apps.len() == 1 => &plan.apps[0],
        None => {
            return Err(Error::Invalid(format!(
                "pod {} has several apps; choose one with --app",
                pod.uuid
            )));
        }
    };
    let argv: Vec<String> = if cmd.is_empty() {
        vec!["/bin/sh".into()]
    } else {
        cmd.to_vec()
    };
    // Until exec, this process is acrun inside the pod: keep the apps from reading or
    // tracing it (the rkt CVE-2019-10144 class).
    sys::prctl(libc::PR_SET_DUMPABLE, 0, 0).map_err(io_err("PR_SET_DUMPABLE"))?;
    let ns = |n: &str| format!("/proc/{pid}/ns/{n}");
    let files: Vec<(fs::File, libc::c_int)> = [
        ("ipc", libc::CLONE_NEWIPC),
        ("uts", libc::CLONE_NEWUTS),
        ("net", libc::CLONE_NEWNET),
        ("pid", libc::CLONE_NEWPID),
        ("mnt", libc::CLONE_NEWNS),
    ]
    .into_iter()
    .map(|(n, t)| fs::File::open(ns(n)).map(|f| (f, t)).map_err(io_err(ns(n))))
    .collect::<Result<_>>()?;
    for (f, t) in &files {
        use std::os::fd::AsRawFd;
        // SAFETY: setns on an open namespace file.
        if unsafe { libc::setns(f.as_raw_fd(), *t) } < 0 {
            return Err(io_err(format!("joining the pod's {t:#x} namespace"))(
                std::io::Error::last_os_error(),
            ));
        }
    }
    let entry = Entry::new(app)?;
    let mut c = Command::new(&argv[0]);
    c.args(&argv[1..])
        .env_clear()
        .envs(app.env.iter().map(|(k, v)| (k, v)));
    // SAFETY: the closure only makes system calls on data prepared before fork.
    unsafe {
        c.pre_exec(move || entry.enter());
    }
    let st = c
        .status()
        .map_err(|e| Error::Invalid(format!("enter {}: {e}", argv[0])))?;
    use std::os::unix::process::ExitStatusExt;
    Ok(st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0)))
}
