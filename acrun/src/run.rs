//! The pod supervisor: `prepare` writes a pod directory, `run_prepared` runs it to the end.

use std::collections::HashMap;
use std::fs;
use std::io::{BufReader, Read};
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;

use acstore::lock::Lock;
use acstore::store::Store;
use appc::schema::PodManifest;

use crate::error::{Error, Result, at, io_err};
use crate::metadata::{self, AppMeta, PodMeta};
use crate::plan::{self, Event, NetMode};
use crate::poddir::{PodDir, StateFile};
use crate::prepare::{PodOptions, build_plan};
use crate::spawn::{InitSpawn, self_exe};
use crate::sys;

fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0; n];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(io_err("reading /dev/urandom"))?;
    Ok(buf)
}

/// Writes a new pod directory (manifest, options, state "prepared"); the returned lock is
/// held until the caller drops it.
pub fn prepare(dir: &Path, manifest: &PodManifest, opts: &PodOptions) -> Result<(PodDir, Lock)> {
    let uuid = uuid::Uuid::new_v4().to_string();
    let (pod, lock) = PodDir::create(dir, &uuid)?;
    let bytes = manifest.to_vec().map_err(|e| Error::Schema {
        what: "pod manifest".into(),
        source: e,
    })?;
    appc::fsutil::atomic_write(pod.manifest_path(), &bytes).map_err(at(&pod.manifest_path()))?;
    let o = pod.path.join("options.json");
    let ob = serde_json::to_vec(opts).map_err(|e| Error::Invalid(e.to_string()))?;
    write_private(&o, &ob)?;
    pod.write_state(&StateFile {
        state: "prepared".into(),
        created: appc::time::now_unix(),
        ..Default::default()
    })?;
    Ok((pod, lock))
}

fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(at(&tmp))?;
    f.write_all(data)
        .and_then(|_| f.sync_all())
        .map_err(at(&tmp))?;
    fs::rename(&tmp, path).map_err(at(path))
}

/// Reads a prepared pod's saved options.
pub fn options(pod: &PodDir) -> Result<PodOptions> {
    let p = pod.path.join("options.json");
    let b = fs::read(&p).map_err(at(&p))?;
    serde_json::from_slice(&b).map_err(|e| Error::Invalid(format!("{}: {e}", p.display())))
}

/// Finds the acnet binary: beside ours, else on PATH.
fn acnet() -> PathBuf {
    if let Ok(exe) = self_exe()
        && let Some(dir) = exe.parent()
        && dir.join("acnet").is_file()
    {
        return dir.join("acnet");
    }
    PathBuf::from("acnet")
}

/// A persistent network namespace file for acnet to configure.
fn make_netns(path: &Path) -> Result<OwnedFd> {
    fs::File::create(path).map_err(at(path))?;
    let p = path.to_path_buf();
    // unshare(CLONE_NEWNET) in a short-lived thread changes only that thread's namespace.
    std::thread::spawn(move || -> std::io::Result<()> {
        sys::unshare(libc::CLONE_NEWNET)?;
        sys::mount(
            Some(Path::new("/proc/thread-self/ns/net")),
            &p,
            None,
            libc::MS_BIND,
            None,
        )
    })
    .join()
    .map_err(|_| Error::Invalid("netns thread panicked".into()))?
    .map_err(io_err("creating the network namespace"))?;
    Ok(fs::File::open(path).map_err(at(path))?.into())
}

struct Net {
    netns: Option<OwnedFd>,
    path: Option<PathBuf>,
    uuid: String,
    gateway: Option<std::net::IpAddr>,
}

impl Drop for Net {
    fn drop(&mut self) {
        if let Some(p) = &self.path {
            let _ = Command::new(acnet())
                .args(["del", "--pod", &self.uuid, "--netns"])
                .arg(p)
                .status();
            let _ = sys::umount2(p, libc::MNT_DETACH);
            let _ = fs::remove_file(p);
        }
    }
}

/// `NAME:PROTO:PORT` of every app port, for acnet's `--pod-port`.
fn pod_ports(manifest: &PodManifest, store: &Store) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for ra in manifest.apps.iter().flatten() {
        let app = match (&ra.app, &ra.image.id) {
            (Some(a), _) => Some(a.clone()),
            (None, Some(id)) => store.manifest(id)?.app,
            (None, None) => None,
        };
        for p in app.iter().flat_map(|a| a.ports.iter()) {
            out.push(format!("{}:{}:{}", p.name.as_str(), p.protocol, p.port));
        }
    }
    Ok(out)
}

/// The first gateway in acnet's result lines (CNI result shape).
pub fn gateway_of(result: &[u8]) -> Option<std::net::IpAddr> {
    String::from_utf8_lossy(result).lines().find_map(|l| {
        let v: serde_json::Value = serde_json::from_str(l).ok()?;
        v["ips"]
            .as_array()?
            .iter()
            .find_map(|ip| ip["gateway"].as_str()?.parse().ok())
    })
}

fn setup_net(pod: &PodDir, opts: &PodOptions, mode: NetMode, ports: &[String]) -> Result<Net> {
    let mut net = Net {
        netns: None,
        path: None,
        uuid: pod.uuid.clone(),
        gateway: None,
    };
    if mode != NetMode::Joined {
        return Ok(net);
    }
    let p = pod.path.join("netns");
    net.netns = Some(make_netns(&p)?);
    net.path = Some(p.clone());
    let mut cmd = Command::new(acnet());
    cmd.args(["add", "--pod", &pod.uuid, "--netns"]).arg(&p);
    for n in &opts.net {
        cmd.arg("--net").arg(n);
    }
    for port in &opts.ports {
        cmd.arg("--port").arg(port);
    }
    for p in ports {
        cmd.arg("--pod-port").arg(p);
    }
    let out = cmd
        .output()
        .map_err(|e| Error::Invalid(format!("running acnet: {e}")))?;
    if !out.status.success() {
        return Err(Error::Invalid(format!(
            "acnet add: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    appc::fsutil::atomic_write(pod.path.join("net.json"), &out.stdout)
        .map_err(at(&pod.path.join("net.json")))?;
    net.gateway = gateway_of(&out.stdout);
    Ok(net)
}

fn pod_meta(
    pod: &PodDir,
    dir: &Path,
    manifest: &PodManifest,
    store: &Store,
    token: String,
    key: Vec<u8>,
) -> Result<PodMeta> {
    let bytes = manifest.to_vec().map_err(|e| Error::Schema {
        what: "pod manifest".into(),
        source: e,
    })?;
    let json: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::Invalid(e.to_string()))?;
    let mut apps = HashMap::new();
    for (i, ra) in manifest.apps.iter().flatten().enumerate() {
        let Some(id) = &ra.image.id else { continue };
        let im_bytes = store.manifest_bytes(id)?;
        let im: serde_json::Value =
            serde_json::from_slice(&im_bytes).map_err(|e| Error::Invalid(e.to_string()))?;
        let merged =
            metadata::merge_annotations(&im["annotations"], &json["apps"][i]["annotations"]);
        apps.insert(
            ra.name.as_str().to_string(),
            AppMeta {
                image_manifest: im_bytes,
                image_id: id.as_str().to_string(),
                annotations: serde_json::to_vec(&merged).unwrap_or_default(),
            },
        );
    }
    Ok(PodMeta {
        uuid: pod.uuid.clone(),
        token,
        annotations: serde_json::to_vec(&json["annotations"]).unwrap_or_default(),
        manifest: bytes,
        apps,
        key,
        pods_dir: dir.to_path_buf(),
    })
}

/// Removes the pod's cgroups when the supervisor is done.
struct CgroupGuard(String);

impl Drop for CgroupGuard {
    fn drop(&mut self) {
        crate::cgroups::remove(&self.0);
    }
}

fn cgroup_limits(
    pod: &PodDir,
    manifest: &PodManifest,
    store: &Store,
    plan: &mut crate::plan::Plan,
) -> Result<CgroupGuard> {
    use crate::cgroups::{self, Limits};
    let pod_limits = Limits::from_isolators(manifest.isolators.iter().flatten());
    let mut apps = Vec::new();
    for ra in manifest.apps.iter().flatten() {
        let app = match (&ra.app, &ra.image.id) {
            (Some(a), _) => Some(a.clone()),
            (None, Some(id)) => store.manifest(id)?.app,
            (None, None) => None,
        };
        let l = app
            .map(|a| Limits::from_isolators(&a.isolators.0))
            .unwrap_or_default();
        apps.push((ra.name.as_str().to_string(), l));
    }
    let guard = CgroupGuard(pod.uuid.clone());
    let procs = cgroups::create(&pod.uuid, &pod_limits, &apps)?;
    for (a, p) in plan.apps.iter_mut().zip(procs) {
        a.cgroup_procs = p;
    }
    Ok(guard)
}

/// Runs a prepared pod to its end; returns the pod's exit code (the first failing app's).
pub fn run_prepared(
    dir: &Path,
    pod: &PodDir,
    lock: Lock,
    store: &Store,
    opts: &PodOptions,
    interactive: bool,
) -> Result<i32> {
    let manifest = PodManifest::from_slice(&pod.manifest_bytes()?).map_err(|e| Error::Schema {
        what: "pod manifest".into(),
        source: e,
    })?;
    let mut trees = Vec::new();
    for ra in manifest.apps.iter().flatten() {
        let id = ra
            .image
            .id
            .as_ref()
            .ok_or_else(|| Error::Invalid(format!("app {}: no image id", ra.name.as_str())))?;
        trees.push(store.render(id)?);
    }
    let token = hex::encode(random_bytes(16)?);
    let key = random_bytes(64)?;
    write_private(&pod.path.join("hmac-key"), &key)?;
    let net = setup_net(pod, opts, opts.net_mode()?, &pod_ports(&manifest, store)?)?;
    let service = if opts.metadata {
        // With acnet's networks the pod reaches the host at its gateway address.
        let ip = net.gateway.unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
        Some(metadata::Service::bind(ip).map_err(io_err("binding the metadata service"))?)
    } else {
        None
    };
    let url = service.as_ref().map(|s| s.url(&token)).unwrap_or_default();
    let mut plan = build_plan(&pod.path, &pod.uuid, &manifest, store, &trees, opts, &url)?;
    let _cgroups = cgroup_limits(pod, &manifest, store, &mut plan)?;
    let plan_bytes = serde_json::to_vec(&plan).map_err(|e| Error::Invalid(e.to_string()))?;
    write_private(&pod.path.join("plan.json"), &plan_bytes)?;
    let meta = pod_meta(pod, dir, &manifest, store, token, key)?;

    let mut flags =
        libc::CLONE_NEWPID | libc::CLONE_NEWNS | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS;
    if plan.net == NetMode::None {
        flags |= libc::CLONE_NEWNET;
    }
    let set = sys::block_signals(&[libc::SIGCHLD, libc::SIGTERM, libc::SIGINT, libc::SIGHUP])
        .map_err(io_err("blocking signals"))?;
    let (plan_r, plan_w) = sys::pipe().map_err(io_err("pipe"))?;
    let (ev_r, ev_w) = sys::pipe().map_err(io_err("pipe"))?;
    // Interactive on a terminal: the pod gets a pty of its own (see tty.rs).
    let pty = if interactive && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        Some(crate::tty::open(&std::io::stdin()).map_err(io_err("opening a pty"))?)
    } else {
        None
    };
    let stdin: Option<OwnedFd> = if interactive {
        None
    } else {
        Some(
            fs::File::open("/dev/null")
                .map_err(io_err("/dev/null"))?
                .into(),
        )
    };
    let pid = InitSpawn {
        exe: self_exe().map_err(io_err("/proc/self/exe"))?,
        flags,
        netns: net.netns.as_ref(),
        stdin: stdin.as_ref(),
        tty: pty.as_ref().map(|p| &p.slave),
        plan: plan_r,
        events: ev_w,
    }
    .spawn()
    .map_err(io_err("starting the pod's init"))?;
    let (_raw, relay) = match pty {
        Some(p) => {
            drop(p.slave);
            let raw = crate::tty::RawMode::enter(&std::io::stdin())
                .map_err(io_err("terminal raw mode"))?;
            (
                Some(raw),
                Some(crate::tty::relay(p.master).map_err(io_err("pty relay"))?),
            )
        }
        None => (None, None),
    };
    let mut w = fs::File::from(plan_w);
    // If init died before reading, its exit status tells why; the wait below reports it.
    let _ = plan::send(&mut w, &plan);
    drop(w);
    let created = pod.state_file().map(|s| s.created).unwrap_or(0);
    pod.write_state(&StateFile {
        state: "running".into(),
        pid: Some(pid),
        created,
        started: Some(appc::time::now_unix()),
        ..Default::default()
    })?;
    if let Some(s) = service {
        s.serve(meta);
    }
    let (tx, rx) = mpsc::channel();
    let ready_pod = pod.clone();
    std::thread::spawn(move || {
        let mut r = BufReader::new(fs::File::from(ev_r));
        while let Ok(Some(ev)) = plan::recv::<Event>(&mut r) {
            if ev == Event::Started
                && let Ok(mut s) = ready_pod.state_file()
            {
                s.ready = true;
                let _ = ready_pod.write_state(&s);
            }
            if tx.send(ev).is_err() {
                break;
            }
        }
    });
    let status = loop {
        match sys::wait_signal(&set, 1000) {
            Some(libc::SIGTERM) | Some(libc::SIGINT) | Some(libc::SIGHUP) => {
                let _ = sys::kill(pid, libc::SIGTERM);
            }
            _ => {}
        }
        let mut st = 0;
        // SAFETY: status is a valid int.
        let r = unsafe { libc::waitpid(pid, &mut st, libc::WNOHANG) };
        if r == pid {
            break sys::shell_status(st);
        }
        if r < 0 {
            break 255;
        }
    };
    if let Some(r) = relay {
        // Everything the pod wrote reaches the terminal before acrun says anything more.
        let _ = r.join();
    }
    drop(_raw);
    let mut failure = None;
    let mut started = false;
    while let Ok(ev) = rx.recv_timeout(std::time::Duration::from_millis(200)) {
        match ev {
            Event::Failed { message } => failure = Some(message),
            Event::Started => started = true,
            Event::AppExited { .. } => {}
        }
    }
    if failure.is_none() && !started {
        failure = Some(format!("exited with {status} before starting the apps"));
    }
    drop(net);
    pod.write_state(&StateFile {
        state: "exited".into(),
        pid: None,
        created,
        started: pod.state_file().ok().and_then(|s| s.started),
        finished: Some(appc::time::now_unix()),
        ready: false,
        exit_code: Some(if failure.is_some() {
            crate::EXIT_ACRUN_FAILURE.into()
        } else {
            status
        }),
    })?;
    drop(trees);
    drop(lock);
    match failure {
        Some(m) => Err(Error::Init(m)),
        None => Ok(status),
    }
}
