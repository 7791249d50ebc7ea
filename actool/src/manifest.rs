//! `actool cat-manifest` and `actool patch-manifest`.

use std::io;
use std::path::Path;

use appc::aci::{self, AciError};
use appc::schema::{AcIdentifier, App, ImageManifest, Isolator, MountPoint, Port};
use serde_json::{Map, Value, json};

use crate::build::compression;
use crate::cli::PatchManifestArgs;
use crate::input::{self, Output, OutputError, OutputMode};
use crate::tarcopy::{self, CopyError};

/// Why cat-manifest or patch-manifest failed.
#[derive(Debug, thiserror::Error)]
pub enum ManifestCmdError {
    /// Reading the image failed.
    #[error(transparent)]
    Aci(#[from] AciError),
    /// The manifest is invalid, or a patch is.
    #[error("{0}")]
    Invalid(String),
    /// I/O on an input.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// Copying the archive failed.
    #[error(transparent)]
    Copy(#[from] CopyError),
    /// The output could not be written.
    #[error("{path}: {source}")]
    Output { path: String, source: OutputError },
}

/// The manifest of an ACI as printed by cat-manifest: the stored bytes, or pretty-printed.
pub fn cat(path: &Path, pretty: bool) -> Result<Vec<u8>, ManifestCmdError> {
    let bytes = aci::read_manifest(input::open(path)?)?;
    let m =
        ImageManifest::from_slice(&bytes).map_err(|e| ManifestCmdError::Invalid(e.to_string()))?;
    if pretty {
        return m
            .to_vec_pretty()
            .map_err(|e| ManifestCmdError::Invalid(e.to_string()));
    }
    Ok(bytes)
}

/// Copies the input ACI with its manifest patched (or replaced), as the flags say.
pub fn patch(args: &PatchManifestArgs) -> Result<(), ManifestCmdError> {
    let new_manifest = match &args.manifest {
        Some(p) => {
            let b = std::fs::read(p)
                .map_err(|e| ManifestCmdError::Invalid(format!("{}: {e}", p.display())))?;
            // The reference copies the file in unchecked; an image with an invalid manifest is
            // of no use to anyone, so we refuse it.
            ImageManifest::from_slice(&b)
                .map_err(|e| ManifestCmdError::Invalid(format!("{}: {e}", p.display())))?;
            Some(b)
        }
        None => None,
    };
    let (out_path, mode) = match (&args.output_aci, args.replace) {
        (_, true) => (args.input_aci.clone(), OutputMode { overwrite: true }),
        (Some(p), false) => (
            p.clone(),
            OutputMode {
                overwrite: args.output.overwrite,
            },
        ),
        (None, false) => unreachable!("clap requires OUTPUT_ACI without --replace"),
    };
    let out_err = |source| ManifestCmdError::Output {
        path: out_path.display().to_string(),
        source,
    };
    let out = if args.replace {
        if input::is_dash(&args.input_aci) {
            return Err(ManifestCmdError::Invalid(
                "--replace needs a file, not stdin".into(),
            ));
        }
        input::replacement(&args.input_aci)
            .map_err(|e| out_err(e.into()))?
            .0
    } else {
        Output::create(&out_path, mode).map_err(out_err)?
    };

    let (_, decoded) = aci::decompress(input::open(&args.input_aci)?)?;
    let out_compression = compression(&args.output);
    let mut enc = out_compression.encoder(out, out_compression.default_level())?;
    tarcopy::copy_replacing_manifest(decoded, &mut enc, |old| match &new_manifest {
        Some(b) => Ok(b.clone()),
        None => {
            let mut m = ImageManifest::from_slice(&old).map_err(|e| e.to_string())?;
            apply(&mut m, args)?;
            m.validate().map_err(|e| e.to_string())?;
            m.to_vec().map_err(|e| e.to_string())
        }
    })?;
    let out = enc.finish()?;
    out.commit(mode).map_err(out_err)?;
    Ok(())
}

/// Applies the patch flags, with the reference's rules and messages.
fn apply(m: &mut ImageManifest, a: &PatchManifestArgs) -> Result<(), String> {
    if let Some(n) = &a.name {
        m.name = AcIdentifier::new(n).map_err(|e| e.to_string())?;
    }
    if let Some(exec) = &a.exec {
        // The reference splits at single spaces, keeping empty words; so do we.
        m.app.get_or_insert_with(App::default).exec =
            Some(exec.split(' ').map(str::to_string).collect());
    }
    let wants_app = a.user.is_some()
        || a.group.is_some()
        || a.supplementary_groups.is_some()
        || a.capability.is_some()
        || a.revoke_capability.is_some()
        || a.mounts.is_some()
        || a.ports.is_some()
        || a.isolators.is_some();
    let Some(app) = m.app.as_mut() else {
        if wants_app {
            return Err("no app in the supplied manifest and no exec command provided".into());
        }
        return check_seccomp_flags(a);
    };
    if let Some(u) = &a.user {
        app.user = u.clone();
    }
    if let Some(g) = &a.group {
        app.group = g.clone();
    }
    if let Some(gids) = &a.supplementary_groups {
        app.supplementary_gids = gids
            .split(',')
            .map(|g| {
                g.parse::<i64>()
                    .map_err(|_| format!("invalid supplementary group {g:?}"))
            })
            .collect::<Result<_, _>>()?;
    }
    const CAPS: [&str; 2] = [
        "os/linux/capabilities-remove-set",
        "os/linux/capabilities-retain-set",
    ];
    if let Some(caps) = &a.capability {
        let i = isolator(
            CAPS[1],
            json!({ "set": caps.split(',').collect::<Vec<_>>() }),
        )
        .map_err(|e| format!("cannot parse capability retain set {caps:?}: {e}"))?;
        replace_isolators(app, i, &CAPS);
    }
    if let Some(caps) = &a.revoke_capability {
        let i = isolator(
            CAPS[0],
            json!({ "set": caps.split(',').collect::<Vec<_>>() }),
        )
        .map_err(|e| format!("cannot parse capability remove set {caps:?}: {e}"))?;
        replace_isolators(app, i, &CAPS);
    }
    if let Some(mounts) = &a.mounts {
        for s in mounts.split(':') {
            app.mount_points.push(
                s.parse::<MountPoint>()
                    .map_err(|e| format!("cannot parse mount point {s:?}: {e}"))?,
            );
        }
    }
    if let Some(ports) = &a.ports {
        for s in ports.split(':') {
            app.ports.push(
                s.parse::<Port>()
                    .map_err(|e| format!("cannot parse port {s:?}: {e}"))?,
            );
        }
    }
    if let Some(mode) = &a.seccomp_mode {
        let i = seccomp(mode, a.seccomp_set.as_deref().unwrap_or(""))?;
        replace_isolators(
            app,
            i,
            &["os/linux/seccomp-remove-set", "os/linux/seccomp-retain-set"],
        );
    }
    if let Some(list) = &a.isolators {
        for s in list.split(':') {
            app.isolators.0.push(isolator_from_cli(s)?);
        }
    }
    Ok(())
}

fn check_seccomp_flags(a: &PatchManifestArgs) -> Result<(), String> {
    if let Some(mode) = &a.seccomp_mode {
        seccomp(mode, a.seccomp_set.as_deref().unwrap_or(""))?;
        return Err("no app in the supplied manifest and no exec command provided".into());
    }
    Ok(())
}

fn isolator(name: &str, value: Value) -> Result<Isolator, String> {
    Isolator::new(name, value).map_err(|e| e.to_string())
}

/// Removes every isolator named in `names` and appends `new` (the reference's
/// `ReplaceIsolatorsByName`).
fn replace_isolators(app: &mut App, new: Isolator, names: &[&str]) {
    app.isolators
        .0
        .retain(|i| !names.contains(&i.name().as_str()));
    app.isolators.0.push(new);
}

/// `--seccomp-mode=remove|retain[,errno=E]` with `--seccomp-set=a,b`.
fn seccomp(mode_arg: &str, set: &str) -> Result<Isolator, String> {
    let mut mode = "";
    let mut errno = None;
    for part in mode_arg.split(',') {
        let kv: Vec<&str> = part.split('=').collect();
        match kv.as_slice() {
            [m] => mode = m,
            ["errno", e] => errno = Some(*e),
            [_, _] => return Err(format!("invalid seccomp-mode optional argument: {part}")),
            _ => return Err(format!("cannot parse seccomp-mode argument: {part}")),
        }
    }
    let name = match mode {
        "remove" => "os/linux/seccomp-remove-set",
        "retain" => "os/linux/seccomp-retain-set",
        other => {
            return Err(format!(
                "cannot parse seccomp isolator: unknown seccomp mode {other}"
            ));
        }
    };
    let mut v = Map::new();
    v.insert("set".into(), json!(set.split(',').collect::<Vec<_>>()));
    // The reference always writes errno, empty when not given.
    v.insert("errno".into(), json!(errno.unwrap_or("")));
    isolator(name, Value::Object(v)).map_err(|e| format!("cannot parse seccomp isolator: {e}"))
}

/// `name,key=value,...` as `--isolators` takes it: resource isolators get string values;
/// no-new-privileges and oom-score-adj take one raw JSON value (`name,true`).
fn isolator_from_cli(s: &str) -> Result<Isolator, String> {
    let mut parts = s.split(',');
    let name = parts.next().unwrap_or_default();
    AcIdentifier::new(name).map_err(|e| format!("cannot parse isolator {s:?}: {e}"))?;
    match name {
        "os/linux/no-new-privileges" | "os/linux/oom-score-adj" => {
            let rest: Vec<&str> = parts.collect();
            let [raw] = rest.as_slice() else {
                return Err(format!("isolator {name}: invalid format"));
            };
            let v: Value = serde_json::from_str(raw)
                .map_err(|e| format!("cannot unmarshal isolator {name}: {e}"))?;
            isolator(name, v).map_err(|e| format!("cannot unmarshal isolator {name}: {e}"))
        }
        n if n.starts_with("resource/") => {
            let mut v = Map::new();
            for kv in parts {
                let (k, val) = kv.split_once('=').unwrap_or((kv, ""));
                if v.insert(unescape(k), Value::String(unescape(val)))
                    .is_some()
                {
                    return Err(format!(
                        "cannot parse isolator {s:?}: label {k} with multiple values"
                    ));
                }
            }
            isolator(name, Value::Object(v))
                .map_err(|e| format!("cannot unmarshal isolator {name}: {e}"))
        }
        _ => Err(format!("isolator {name} is not supported for patching")),
    }
}

/// Query unescaping as Go's url.ParseQuery does for keys and values (`+` and `%XX`).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() && hex(b[i + 1]).is_some() && hex(b[i + 2]).is_some() => {
                out.push((hex(b[i + 1]).unwrap_or(0) * 16 + hex(b[i + 2]).unwrap_or(0)) as u8);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
