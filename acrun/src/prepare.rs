//! From flags and images to a reified pod manifest, and from that manifest to init's plan.

use std::collections::BTreeSet;
use std::fs;
use std::io::BufRead;
use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use acstore::record::ImageInfo;
use acstore::render::Tree;
use acstore::store::{ImportOptions, Store};
use appc::schema::{
    self, AcName, App, Isolator, IsolatorValue, Mount, PodManifest, RuntimeApp, RuntimeImage,
    Volume,
};
use serde::{Deserialize, Serialize};

use crate::cli::{AppFlags, ImageSpec, RunArgs};
use crate::error::{Error, Result, at};
use crate::plan::{AppPlan, BindPlan, Creds, NetMode, Plan, Security};
use crate::user::{self, Kind};

/// Pod-level choices that are not part of the manifest, saved beside it for `run-prepared`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PodOptions {
    /// Networks (`host`, `none` or acnet names).
    pub net: Vec<String>,
    /// Ports for acnet.
    pub ports: Vec<String>,
    /// DNS servers.
    pub dns: Vec<String>,
    /// Hostname.
    pub hostname: Option<String>,
    /// Host environment captured with --inherit-env.
    pub inherited_env: Vec<(String, String)>,
    /// Serve the metadata service.
    pub metadata: bool,
    /// Grace period, milliseconds.
    pub grace_ms: u64,
    /// Copy trees instead of overlayfs.
    #[serde(default)]
    pub no_overlay: bool,
}

impl PodOptions {
    /// The options of a `run`/`prepare` command line.
    pub fn from_args(args: &RunArgs) -> PodOptions {
        PodOptions {
            net: args.net.clone(),
            ports: args.port.clone(),
            dns: args.dns.clone(),
            hostname: args.hostname.clone(),
            inherited_env: if args.inherit_env {
                std::env::vars().collect()
            } else {
                Vec::new()
            },
            metadata: !args.no_metadata,
            grace_ms: args.grace,
            no_overlay: args.no_overlay,
        }
    }

    /// The networking mode these options ask for.
    pub fn net_mode(&self) -> Result<NetMode> {
        match self.net.as_slice() {
            [] => Ok(NetMode::None),
            [n] if n == "host" => Ok(NetMode::Host),
            [n] if n == "none" => Ok(NetMode::None),
            nets if nets.iter().any(|n| n == "host" || n == "none") => Err(Error::Invalid(
                "--net=host and --net=none cannot be combined with other networks".into(),
            )),
            _ => Ok(NetMode::Joined),
        }
    }
}

/// Finds an image: an .aci file (imported first), else a store reference.
pub fn resolve_image(store: &Store, reference: &str) -> Result<ImageInfo> {
    let p = Path::new(reference);
    if (reference.ends_with(".aci") || reference.contains('/') && p.is_absolute()) && p.is_file() {
        let f = fs::File::open(p).map_err(at(p))?;
        let opts = ImportOptions {
            max_size: None,
            source: Some(reference.to_string()),
        };
        return Ok(store.import(f, &opts)?.info);
    }
    Ok(store.resolve(reference)?)
}

/// Reads image references from JSON lines (`{"id": ...}`), as acfetch and acstore print.
pub fn images_from_lines(r: impl BufRead) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for line in r.lines() {
        let line = line.map_err(crate::error::io_err("reading stdin"))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| Error::Invalid(format!("stdin: not an image JSON line: {e}")))?;
        let id = v["id"]
            .as_str()
            .ok_or_else(|| Error::Invalid("stdin: image JSON line without \"id\"".into()))?;
        out.push(id.to_string());
    }
    Ok(out)
}

fn parse_kv(s: &str) -> Result<(String, String)> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| Error::Invalid(format!("{s:?}: expected NAME=VALUE")))?;
    Ok((k.to_string(), v.to_string()))
}

/// Parses `--volume NAME,kind=...,...`.
pub fn parse_volume(s: &str) -> Result<Volume> {
    let mut parts = s.split(',');
    let name = parts.next().unwrap_or_default();
    let bad = |why: String| Error::Invalid(format!("--volume {s}: {why}"));
    let mut v = Volume {
        name: AcName::new(name).map_err(|e| bad(e.to_string()))?,
        ..Default::default()
    };
    for p in parts {
        let (k, val) = parse_kv(p)?;
        let flag = || {
            val.parse::<bool>()
                .map_err(|_| bad(format!("{k} must be true or false")))
        };
        let int = || {
            val.parse::<i64>()
                .map_err(|_| bad(format!("{k} must be a number")))
        };
        match k.to_ascii_lowercase().as_str() {
            "kind" => v.kind = val.clone(),
            "source" => v.source = val.clone(),
            "readonly" => v.read_only = Some(flag()?),
            "recursive" => v.recursive = Some(flag()?),
            "mode" => v.mode = Some(val.clone()),
            "uid" => v.uid = Some(int()?),
            "gid" => v.gid = Some(int()?),
            _ => return Err(bad(format!("unknown key {k}"))),
        }
    }
    v.set_defaults();
    v.validate().map_err(|e| bad(e.to_string()))?;
    Ok(v)
}

fn parse_mount(s: &str) -> Result<Mount> {
    let mut volume = None;
    let mut target = None;
    for p in s.split(',') {
        match parse_kv(p)? {
            (k, v) if k == "volume" => volume = Some(v),
            (k, v) if k == "target" => target = Some(v),
            (k, _) => return Err(Error::Invalid(format!("--mount {s}: unknown key {k}"))),
        }
    }
    let (Some(volume), Some(path)) = (volume, target) else {
        return Err(Error::Invalid(format!(
            "--mount {s}: expected volume=NAME,target=PATH"
        )));
    };
    Ok(Mount {
        volume: AcName::new(&volume).map_err(|e| Error::Invalid(format!("--mount {s}: {e}")))?,
        path,
        app_volume: None,
    })
}

fn resource(name: &str, limit: &str) -> Result<Isolator> {
    let v = serde_json::json!({ "limit": limit });
    Isolator::new(name, v).map_err(|e| Error::Invalid(format!("{name}={limit}: {e}")))
}

/// Merges per-image flags over the defaults given before the first image.
fn merge(defaults: &AppFlags, own: &AppFlags) -> AppFlags {
    let pick = |a: &Option<String>, b: &Option<String>| a.clone().or_else(|| b.clone());
    let list = |a: &Vec<String>, b: &Vec<String>| {
        let mut v = b.clone();
        v.extend(a.iter().cloned());
        v
    };
    AppFlags {
        exec: pick(&own.exec, &defaults.exec),
        name: own.name.clone(),
        user: pick(&own.user, &defaults.user),
        group: pick(&own.group, &defaults.group),
        working_dir: pick(&own.working_dir, &defaults.working_dir),
        set_env: list(&own.set_env, &defaults.set_env),
        mount: list(&own.mount, &defaults.mount),
        readonly_rootfs: own.readonly_rootfs || defaults.readonly_rootfs,
        caps_retain: if own.caps_retain.is_empty() {
            defaults.caps_retain.clone()
        } else {
            own.caps_retain.clone()
        },
        caps_remove: if own.caps_remove.is_empty() {
            defaults.caps_remove.clone()
        } else {
            own.caps_remove.clone()
        },
        seccomp: pick(&own.seccomp, &defaults.seccomp),
        memory: pick(&own.memory, &defaults.memory),
        cpu: pick(&own.cpu, &defaults.cpu),
    }
}

fn default_app_name(image_name: &str) -> String {
    let base = image_name.rsplit('/').next().unwrap_or(image_name);
    AcName::sanitize(base)
        .map(|n| n.as_str().to_string())
        .unwrap_or_else(|| "app".into())
}

/// Builds the reified pod manifest of a `run`/`prepare` command line.
pub fn manifest_from_args(
    store: &Store,
    args: &RunArgs,
    images: Vec<ImageSpec>,
) -> Result<PodManifest> {
    let mut env_file = Vec::new();
    for f in &args.set_env_file {
        let text = fs::read_to_string(f).map_err(at(f))?;
        for l in text.lines().map(str::trim) {
            if !l.is_empty() && !l.starts_with('#') {
                env_file.push(parse_kv(l)?);
            }
        }
    }
    let volumes: Vec<Volume> = args
        .volume
        .iter()
        .map(|v| parse_volume(v))
        .collect::<Result<_>>()?;
    let mut apps = Vec::new();
    let mut names = BTreeSet::new();
    for (reference, own, app_args) in images {
        let info = resolve_image(store, &reference)?;
        let id = info.record.id.clone();
        let im = store.manifest(&id)?;
        let flags = merge(&args.app, &own.app);
        let name = match &flags.name {
            Some(n) => n.clone(),
            None => default_app_name(im.name.as_str()),
        };
        let name =
            AcName::new(&name).map_err(|e| Error::Invalid(format!("app name {name:?}: {e}")))?;
        if !names.insert(name.as_str().to_string()) {
            return Err(Error::Invalid(format!(
                "two apps named {name}; give one --name",
                name = name.as_str()
            )));
        }
        let mut app = im.app.clone().unwrap_or_default();
        let mut changed = false;
        if let Some(e) = &flags.exec {
            app.exec = Some(vec![e.clone()]);
            changed = true;
        }
        if let Some(a) = app_args {
            let mut exec = app.exec.clone().unwrap_or_default();
            exec.truncate(1);
            if exec.is_empty() {
                return Err(Error::Invalid(format!(
                    "app {}: arguments given but the image has no exec (use --exec)",
                    name.as_str()
                )));
            }
            exec.extend(a);
            app.exec = Some(exec);
            changed = true;
        }
        for (v, field) in [
            (&flags.user, &mut app.user),
            (&flags.group, &mut app.group),
            (&flags.working_dir, &mut app.working_directory),
        ] {
            if let Some(v) = v {
                *field = v.clone();
                changed = true;
            }
        }
        if im.app.is_none() {
            // An app-less image (a dependency base) runs as root unless told otherwise.
            for f in [&mut app.user, &mut app.group] {
                if f.is_empty() {
                    *f = "0".into();
                }
            }
            changed = true;
        }
        for (k, v) in env_file.iter().cloned().chain(
            flags
                .set_env
                .iter()
                .map(|s| parse_kv(s))
                .collect::<Result<Vec<_>>>()?,
        ) {
            app.environment.set(k, v);
            changed = true;
        }
        let is_seccomp = |i: &Isolator| {
            matches!(
                i.value(),
                Some(IsolatorValue::SeccompRemove(_) | IsolatorValue::SeccompRetain(_))
            )
        };
        let mut add_isolator = |iso: Isolator| {
            // A new seccomp set replaces either kind (they conflict).
            app.isolators
                .0
                .retain(|i| i.name() != iso.name() && !(is_seccomp(i) && is_seccomp(&iso)));
            app.isolators.0.push(iso);
        };
        if !flags.caps_retain.is_empty() {
            add_isolator(
                Isolator::new(
                    schema::CAPABILITIES_RETAIN_SET,
                    serde_json::json!({ "set": flags.caps_retain }),
                )
                .map_err(|e| Error::Invalid(format!("--caps-retain: {e}")))?,
            );
            changed = true;
        }
        if !flags.caps_remove.is_empty() {
            add_isolator(
                Isolator::new(
                    schema::CAPABILITIES_REMOVE_SET,
                    serde_json::json!({ "set": flags.caps_remove }),
                )
                .map_err(|e| Error::Invalid(format!("--caps-remove: {e}")))?,
            );
            changed = true;
        }
        if let Some(s) = &flags.seccomp {
            let iso = crate::seccomp::isolator_from_flag(s).map_err(Error::Invalid)?;
            add_isolator(iso);
            changed = true;
        }
        if let Some(m) = &flags.memory {
            add_isolator(resource("resource/memory", m)?);
            changed = true;
        }
        if let Some(c) = &flags.cpu {
            add_isolator(resource("resource/cpu", c)?);
            changed = true;
        }
        app.validate().map_err(|e| Error::Schema {
            what: format!("app {}", name.as_str()),
            source: e,
        })?;
        let mut mounts: Vec<Mount> = flags
            .mount
            .iter()
            .map(|m| parse_mount(m))
            .collect::<Result<_>>()?;
        // As rkt does: a volume named like a mount point is mounted there.
        for mp in &app.mount_points {
            if !mounts.iter().any(|m| m.path == mp.path)
                && volumes.iter().any(|v| v.name == mp.name)
            {
                mounts.push(Mount {
                    volume: mp.name.clone(),
                    path: mp.path.clone(),
                    app_volume: None,
                });
            }
        }
        apps.push(RuntimeApp {
            name,
            image: RuntimeImage {
                name: Some(im.name.clone()),
                id: Some(id),
                labels: im.labels.clone(),
            },
            app: changed.then_some(app),
            read_only_root_fs: flags.readonly_rootfs,
            mounts,
            annotations: Default::default(),
        });
    }
    if apps.is_empty() {
        return Err(Error::Invalid("no image to run".into()));
    }
    let mut m = PodManifest::new();
    m.apps = Some(apps);
    m.volumes = Some(volumes);
    m.validate().map_err(|e| Error::Schema {
        what: "pod manifest".into(),
        source: e,
    })?;
    Ok(m)
}

/// Checks a host volume source: absolute, present, and no symlink anywhere on its path.
pub fn check_host_source(name: &str, source: &str) -> Result<PathBuf> {
    let p = PathBuf::from(source);
    let err = |why| Error::Volume {
        name: name.to_string(),
        why,
        path: p.clone(),
    };
    if !p.is_absolute() {
        return Err(err("source must be an absolute path"));
    }
    let real = fs::canonicalize(&p).map_err(|_| err("source does not exist"))?;
    let lexical: PathBuf = p
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    if real != lexical {
        return Err(err("source is or passes through a symlink (or ..)"));
    }
    Ok(real)
}

fn norm(p: &str) -> String {
    let parts: Vec<&str> = p
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

fn overlaps(a: &str, b: &str) -> bool {
    a == b
        || b.starts_with(&format!("{a}/"))
        || a.starts_with(&format!("{b}/"))
        || a == "/"
        || b == "/"
}

/// What the executor does with each isolator of an app: `(name, enforced)`.
pub fn isolator_report(app: &App) -> Vec<(String, bool)> {
    app.isolators
        .0
        .iter()
        .map(|i| {
            let enforced = matches!(
                i.value(),
                Some(
                    IsolatorValue::CapabilitiesRetain(_)
                        | IsolatorValue::CapabilitiesRemove(_)
                        | IsolatorValue::NoNewPrivileges(_)
                        | IsolatorValue::OomScoreAdj(_)
                        | IsolatorValue::Memory(_)
                        | IsolatorValue::Cpu(_)
                )
            );
            // Seccomp filters are built for x86_64 only.
            let seccomp = cfg!(target_arch = "x86_64")
                && matches!(
                    i.value(),
                    Some(IsolatorValue::SeccompRemove(_) | IsolatorValue::SeccompRetain(_))
                );
            (i.name().as_str().to_string(), enforced || seccomp)
        })
        .collect()
}

fn security(app: &App, name: &str) -> Result<Security> {
    let mut caps = crate::caps::default_set();
    let mut sec = Security::default();
    for i in &app.isolators.0 {
        match i.value() {
            Some(IsolatorValue::CapabilitiesRetain(set)) => {
                caps = crate::caps::numbers(set)
                    .map_err(|c| Error::Invalid(format!("app {name}: unknown capability {c}")))?;
            }
            Some(IsolatorValue::CapabilitiesRemove(set)) => {
                let rm = crate::caps::numbers(set)
                    .map_err(|c| Error::Invalid(format!("app {name}: unknown capability {c}")))?;
                caps.retain(|c| !rm.contains(c));
            }
            Some(IsolatorValue::NoNewPrivileges(b)) => sec.no_new_privs = *b,
            Some(IsolatorValue::OomScoreAdj(v)) => sec.oom_score_adj = Some(*v),
            _ => {}
        }
    }
    sec.caps = caps;
    sec.seccomp = crate::seccomp::for_app(&app.isolators)
        .map_err(|e| Error::Invalid(format!("app {name}: seccomp: {e}")))?;
    Ok(sec)
}

/// Builds init's plan from a reified manifest and the rendered trees (one per app, in
/// order), creating the app and volume directories in the pod dir.
#[allow(clippy::too_many_arguments)]
pub fn build_plan(
    pod_dir: &Path,
    uuid: &str,
    manifest: &PodManifest,
    store: &Store,
    trees: &[Tree],
    opts: &PodOptions,
    metadata_url: &str,
) -> Result<Plan> {
    let net = opts.net_mode()?;
    let hostname = opts
        .hostname
        .clone()
        .unwrap_or_else(|| format!("acrun-{}", &uuid[..8.min(uuid.len())]));
    let volumes = manifest.volumes.clone().unwrap_or_default();
    let mut apps = Vec::new();
    for (ra, tree) in manifest.apps.iter().flatten().zip(trees) {
        let name = ra.name.as_str().to_string();
        let id =
            ra.image.id.as_ref().ok_or_else(|| {
                Error::Invalid(format!("app {name}: the manifest has no image id"))
            })?;
        let app = match &ra.app {
            Some(a) => a.clone(),
            None => store.manifest(id)?.app.ok_or_else(|| {
                Error::Invalid(format!("app {name}: the image has no app to run"))
            })?,
        };
        let exec = app.exec.clone().unwrap_or_default();
        if exec.is_empty() {
            return Err(Error::Invalid(format!(
                "app {name}: the image gives no exec (use --exec)"
            )));
        }
        let report = isolator_report(&app);
        if !report.is_empty() {
            let list = |want: bool| {
                let v: Vec<&str> = report
                    .iter()
                    .filter(|(_, e)| *e == want)
                    .map(|(n, _)| n.as_str())
                    .collect();
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join(", ")
                }
            };
            eprintln!(
                "acrun: app {name}: isolators enforced: {}; ignored: {}",
                list(true),
                list(false)
            );
        }
        let root: OwnedFd = fs::File::open(&tree.rootfs)
            .map_err(at(&tree.rootfs))?
            .into();
        let uid = user::resolve(&root, &app.user, Kind::User)
            .map_err(|e| Error::Invalid(format!("app {name}: {e}")))?;
        let gid = user::resolve(&root, &app.group, Kind::Group)
            .map_err(|e| Error::Invalid(format!("app {name}: {e}")))?;
        let groups = app
            .supplementary_gids
            .iter()
            .map(|&g| {
                u32::try_from(g)
                    .map_err(|_| Error::Invalid(format!("app {name}: bad supplementary gid {g}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut env: Vec<(String, String)> = vec![("PATH".into(), crate::DEFAULT_PATH.into())];
        let set = |env: &mut Vec<(String, String)>, k: &str, v: &str| match env
            .iter_mut()
            .find(|(n, _)| n == k)
        {
            Some(e) => e.1 = v.to_string(),
            None => env.push((k.to_string(), v.to_string())),
        };
        for (k, v) in &opts.inherited_env {
            if app.environment.get(k).is_none() {
                set(&mut env, k, v);
            }
        }
        for e in &app.environment.0 {
            set(&mut env, &e.name, &e.value);
        }
        set(&mut env, "AC_APP_NAME", &name);
        set(&mut env, "AC_METADATA_URL", metadata_url);
        set(&mut env, "container", crate::EXECUTOR_NAME);
        let handler = |n: &str| {
            app.event_handlers
                .iter()
                .find(|h| h.name == n)
                .and_then(|h| h.exec.clone())
                .filter(|e| !e.is_empty())
        };
        let dir = pod_dir.join("apps").join(&name);
        for d in ["upper", "work", "rootfs"] {
            fs::create_dir_all(dir.join(d)).map_err(at(&dir.join(d)))?;
        }
        let mut binds: Vec<BindPlan> = Vec::new();
        for m in &ra.mounts {
            let vol = match &m.app_volume {
                Some(v) => v.clone(),
                None => volumes
                    .iter()
                    .find(|v| v.name == m.volume)
                    .cloned()
                    .ok_or_else(|| {
                        Error::Invalid(format!(
                            "app {name}: no volume {} for {}",
                            m.volume.as_str(),
                            m.path
                        ))
                    })?,
            };
            let target = norm(&m.path);
            if let Some(b) = binds.iter().find(|b| overlaps(&b.target, &target)) {
                return Err(Error::Invalid(format!(
                    "app {name}: mount targets {} and {target} overlap",
                    b.target
                )));
            }
            let mp_ro = app
                .mount_points
                .iter()
                .any(|mp| norm(&mp.path) == target && mp.read_only);
            let source = match vol.kind.as_str() {
                "host" => check_host_source(vol.name.as_str(), &vol.source)?,
                _ => empty_volume(pod_dir, &vol)?,
            };
            binds.push(BindPlan {
                volume: vol.name.as_str().to_string(),
                source,
                target,
                read_only: vol.read_only.unwrap_or(false) || mp_ro,
                recursive: vol.recursive.unwrap_or(true),
            });
        }
        for mp in &app.mount_points {
            if !binds.iter().any(|b| b.target == norm(&mp.path)) {
                return Err(Error::Invalid(format!(
                    "app {name}: mount point {} ({}) has no volume; add --volume {},kind=empty",
                    mp.name.as_str(),
                    mp.path,
                    mp.name.as_str()
                )));
            }
        }
        apps.push(AppPlan {
            security: security(&app, &name)?,
            name,
            lower: tree.rootfs.clone(),
            dir,
            exec,
            pre_start: handler("pre-start"),
            post_stop: handler("post-stop"),
            env,
            creds: Creds { uid, gid, groups },
            cwd: if app.working_directory.is_empty() {
                "/".into()
            } else {
                app.working_directory.clone()
            },
            read_only: ra.read_only_root_fs,
            binds,
            cgroup_procs: Vec::new(),
        });
    }
    let mut sysctls = Vec::new();
    for i in manifest.isolators.iter().flatten() {
        if matches!(
            i.value(),
            Some(IsolatorValue::Memory(_) | IsolatorValue::Cpu(_))
        ) {
            continue;
        }
        if let Some(IsolatorValue::Sysctl(map)) = i.value() {
            for (k, v) in map {
                if !k.starts_with("net.") || k.contains("..") || k.contains('/') {
                    return Err(Error::Invalid(format!(
                        "sysctl {k}: only net.* keys are allowed"
                    )));
                }
                if net == NetMode::Host {
                    return Err(Error::Invalid(format!(
                        "sysctl {k}: not with --net=host (it would change the host)"
                    )));
                }
                sysctls.push((k.clone(), v.clone()));
            }
        } else {
            eprintln!(
                "acrun: pod isolator {} is not enforced (ignored)",
                i.name().as_str()
            );
        }
    }
    let hosts = format!(
        "127.0.0.1\tlocalhost localhost.localdomain {hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    );
    let resolv = if !opts.dns.is_empty() {
        Some(
            opts.dns
                .iter()
                .map(|d| format!("nameserver {d}\n"))
                .collect(),
        )
    } else if net == NetMode::Host {
        fs::read_to_string("/etc/resolv.conf").ok()
    } else {
        None
    };
    Ok(Plan {
        uuid: uuid.to_string(),
        pod_dir: pod_dir.to_path_buf(),
        hostname,
        net,
        hosts,
        resolv,
        sysctls,
        grace_ms: opts.grace_ms,
        no_overlay: opts.no_overlay,
        apps,
    })
}

fn empty_volume(pod_dir: &Path, vol: &Volume) -> Result<PathBuf> {
    let p = pod_dir.join("volumes").join(vol.name.as_str());
    if !p.exists() {
        fs::create_dir_all(&p).map_err(at(&p))?;
        let mode = u32::from_str_radix(vol.mode.as_deref().unwrap_or("0755"), 8)
            .map_err(|_| Error::Invalid(format!("volume {}: bad mode", vol.name.as_str())))?;
        fs::set_permissions(&p, fs::Permissions::from_mode(mode & 0o7777)).map_err(at(&p))?;
        let uid = vol.uid.unwrap_or(0);
        let gid = vol.gid.unwrap_or(0);
        let (Ok(uid), Ok(gid)) = (u32::try_from(uid), u32::try_from(gid)) else {
            return Err(Error::Invalid(format!(
                "volume {}: bad uid/gid",
                vol.name.as_str()
            )));
        };
        std::os::unix::fs::chown(&p, Some(uid), Some(gid)).map_err(at(&p))?;
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_flags() {
        let v = parse_volume("data,kind=empty,mode=0700,uid=5").unwrap();
        assert_eq!(v.mode.as_deref(), Some("0700"));
        assert_eq!(v.uid, Some(5));
        assert!(parse_volume("x,kind=host").is_err());
        assert!(parse_volume("x,kind=host,source=rel").is_err());
        assert!(parse_volume("x,kind=bogus").is_err());
        assert!(parse_volume("x,kind=empty,colour=red").is_err());
    }

    #[test]
    fn host_sources() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real");
        fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&real, d.path().join("link")).unwrap();
        let canon = fs::canonicalize(&real).unwrap();
        assert_eq!(
            check_host_source("v", canon.to_str().unwrap()).unwrap(),
            canon
        );
        let link = fs::canonicalize(d.path()).unwrap().join("link");
        assert!(matches!(
            check_host_source("v", link.to_str().unwrap()),
            Err(Error::Volume { why, .. }) if why.contains("symlink")
        ));
        assert!(check_host_source("v", "/nonexistent/acrun").is_err());
    }

    #[test]
    fn target_overlap() {
        assert!(overlaps("/a", "/a/b"));
        assert!(overlaps("/a", "/a"));
        assert!(!overlaps("/a", "/ab"));
        assert_eq!(norm("/a//b/./"), "/a/b");
    }

    #[test]
    fn default_names() {
        assert_eq!(
            default_app_name("example.com/ace-validator-main"),
            "ace-validator-main"
        );
        assert_eq!(default_app_name("Busy_Box"), "busy-box");
    }
}
