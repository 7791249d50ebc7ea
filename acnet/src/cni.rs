//! Running CNI plugins (spec 1.0.0, compatible with 0.4.0): one process per plugin per
//! command, configuration on stdin, `CNI_*` environment, result or error JSON on stdout, and
//! `prevResult` chaining through a conflist.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// A CNI failure.
#[derive(Debug, thiserror::Error)]
pub enum CniError {
    /// No plugin binary of that type in the plugin directories.
    #[error("CNI plugin {plugin:?} not found in {dirs}")]
    NotFound {
        /// The plugin type.
        plugin: String,
        /// The directories searched, colon-separated.
        dirs: String,
    },
    /// The plugin reported an error.
    #[error("CNI plugin {plugin} {command} failed: {msg} (code {code})")]
    Failed {
        /// The plugin type.
        plugin: String,
        /// ADD, DEL, CHECK or VERSION.
        command: String,
        /// The CNI error code.
        code: i64,
        /// Its message and details.
        msg: String,
    },
    /// The plugin could not be run or printed something that is not JSON.
    #[error("CNI plugin {plugin} {command}: {reason}")]
    Exec {
        /// The plugin type.
        plugin: String,
        /// The command.
        command: String,
        /// What went wrong.
        reason: String,
    },
}

/// What every plugin invocation of one network attachment shares.
#[derive(Debug, Clone)]
pub struct Invocation<'a> {
    /// Where plugin binaries are looked for, in order.
    pub plugin_dirs: &'a [PathBuf],
    /// `CNI_CONTAINERID`: the pod UUID.
    pub container_id: &'a str,
    /// `CNI_NETNS`.
    pub netns: &'a Path,
    /// `CNI_IFNAME`.
    pub if_name: &'a str,
    /// `CNI_ARGS`, `K=V;...`.
    pub args: &'a str,
    /// Runtime config offered to plugins that declare the matching capability.
    pub runtime_config: Value,
}

fn find_plugin(dirs: &[PathBuf], plugin: &str) -> Result<PathBuf, CniError> {
    dirs.iter()
        .map(|d| d.join(plugin))
        .find(|p| p.is_file())
        .ok_or_else(|| CniError::NotFound {
            plugin: plugin.into(),
            dirs: join_dirs(dirs),
        })
}

fn join_dirs(dirs: &[PathBuf]) -> String {
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// Every plugin of a conflist sees the same CNI_ARGS, and most reject keys they do not know
/// unless told otherwise, so (as containerd does) `IgnoreUnknown=1` goes first.
fn cni_args(args: &str) -> String {
    if args.is_empty() || args.split(';').any(|kv| kv.starts_with("IgnoreUnknown=")) {
        args.to_owned()
    } else {
        format!("IgnoreUnknown=1;{args}")
    }
}

/// The stdin config of plugin `i` of `list`.
fn plugin_config(list: &Value, i: usize, inv: &Invocation<'_>, prev: Option<&Value>) -> Value {
    let mut conf = list["plugins"][i].clone();
    if let Some(obj) = conf.as_object_mut() {
        obj.insert("name".into(), list["name"].clone());
        obj.insert("cniVersion".into(), list["cniVersion"].clone());
        if let Some(prev) = prev {
            obj.insert("prevResult".into(), prev.clone());
        }
        let caps = obj.get("capabilities").cloned().unwrap_or(Value::Null);
        let mut rc = serde_json::Map::new();
        if let Some(offered) = inv.runtime_config.as_object() {
            for (k, v) in offered {
                if caps.get(k).and_then(Value::as_bool) == Some(true) {
                    rc.insert(k.clone(), v.clone());
                }
            }
        }
        if !rc.is_empty() {
            obj.insert("runtimeConfig".into(), Value::Object(rc));
        }
    }
    conf
}

fn plugin_type(list: &Value, i: usize) -> String {
    list["plugins"][i]["type"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn exec(
    inv: &Invocation<'_>,
    plugin: &str,
    command: &str,
    stdin: &Value,
) -> Result<Option<Value>, CniError> {
    let path = find_plugin(inv.plugin_dirs, plugin)?;
    let exec_err = |reason: String| CniError::Exec {
        plugin: plugin.into(),
        command: command.into(),
        reason,
    };
    let mut child = Command::new(&path)
        .env("CNI_COMMAND", command)
        .env("CNI_CONTAINERID", inv.container_id)
        .env("CNI_NETNS", inv.netns)
        .env("CNI_IFNAME", inv.if_name)
        .env("CNI_ARGS", cni_args(inv.args))
        .env("CNI_PATH", join_dirs(inv.plugin_dirs))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| exec_err(format!("cannot run {}: {e}", path.display())))?;
    let body = serde_json::to_vec(stdin).map_err(|e| exec_err(e.to_string()))?;
    if let Some(mut input) = child.stdin.take() {
        // A plugin that exits without reading its config closes the pipe; its exit status
        // tells the real story.
        let _ = input.write_all(&body);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| exec_err(e.to_string()))?;
    let parsed: Option<Value> = if out.stdout.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(serde_json::from_slice(&out.stdout).map_err(|e| {
            exec_err(format!(
                "output is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout).trim()
            ))
        })?)
    };
    if out.status.success() {
        return Ok(parsed);
    }
    match parsed {
        Some(err) if err.get("code").is_some() => {
            let mut msg = err["msg"].as_str().unwrap_or("error").to_owned();
            if let Some(d) = err["details"].as_str().filter(|d| !d.is_empty()) {
                msg = format!("{msg}: {d}");
            }
            Err(CniError::Failed {
                plugin: plugin.into(),
                command: command.into(),
                code: err["code"].as_i64().unwrap_or(0),
                msg,
            })
        }
        _ => Err(exec_err(format!(
            "exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
    }
}

/// Runs ADD through the conflist, chaining each result into the next plugin; on failure the
/// plugins already run are deleted again (in reverse) before the error is returned.
pub fn add(list: &Value, inv: &Invocation<'_>) -> Result<Value, CniError> {
    let n = list["plugins"].as_array().map_or(0, Vec::len);
    // Fail before running anything when a plugin is missing.
    for i in 0..n {
        find_plugin(inv.plugin_dirs, &plugin_type(list, i))?;
    }
    let mut prev: Option<Value> = None;
    for i in 0..n {
        let conf = plugin_config(list, i, inv, prev.as_ref());
        match exec(inv, &plugin_type(list, i), "ADD", &conf) {
            Ok(Some(r)) => prev = Some(r),
            Ok(None) => {}
            Err(e) => {
                let _ = del_upto(list, inv, prev.as_ref(), i + 1);
                return Err(e);
            }
        }
    }
    prev.ok_or_else(|| CniError::Exec {
        plugin: plugin_type(list, n.saturating_sub(1)),
        command: "ADD".into(),
        reason: "no result".into(),
    })
}

fn del_upto(
    list: &Value,
    inv: &Invocation<'_>,
    prev: Option<&Value>,
    upto: usize,
) -> Result<(), CniError> {
    let mut first = None;
    for i in (0..upto).rev() {
        let conf = plugin_config(list, i, inv, prev);
        if let Err(e) = exec(inv, &plugin_type(list, i), "DEL", &conf) {
            first.get_or_insert(e);
        }
    }
    first.map_or(Ok(()), Err)
}

/// Runs DEL through the conflist in reverse order with the cached result as `prevResult`.
/// Every plugin is run even when one fails; the first failure is returned.
pub fn del(list: &Value, inv: &Invocation<'_>, prev: Option<&Value>) -> Result<(), CniError> {
    let n = list["plugins"].as_array().map_or(0, Vec::len);
    del_upto(list, inv, prev, n)
}

/// Runs CHECK through the conflist (0.4.0 and later; older versions have no CHECK).
pub fn check(list: &Value, inv: &Invocation<'_>, prev: &Value) -> Result<(), CniError> {
    let version = list["cniVersion"].as_str().unwrap_or("0.0.0");
    if !supports_check(version) {
        return Ok(());
    }
    let n = list["plugins"].as_array().map_or(0, Vec::len);
    for i in 0..n {
        let conf = plugin_config(list, i, inv, Some(prev));
        exec(inv, &plugin_type(list, i), "CHECK", &conf)?;
    }
    Ok(())
}

/// Asks a plugin which spec versions it supports.
pub fn version(plugin_dirs: &[PathBuf], plugin: &str) -> Result<Vec<String>, CniError> {
    let inv = Invocation {
        plugin_dirs,
        container_id: "",
        netns: Path::new(""),
        if_name: "",
        args: "",
        runtime_config: Value::Null,
    };
    let out = exec(&inv, plugin, "VERSION", &json!({"cniVersion": "1.0.0"}))?;
    Ok(out
        .and_then(|v| v.get("supportedVersions").cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

fn supports_check(version: &str) -> bool {
    let mut it = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    major >= 1 || minor >= 4
}
