//! CNI plugin execution against fake plugins (shell scripts): environment, stdin config,
//! prevResult chaining, reverse DEL, error JSON. Needs no root.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use acnet::cni::{self, CniError, Invocation};
use serde_json::{Value, json};

/// A plugin that logs its command, environment and stdin, then prints `result` (or an error
/// when `fail` is set) .
fn plugin(dir: &Path, name: &str, result: &str, fail: bool) {
    let log = dir.join("log");
    let body = format!(
        "#!/bin/sh\nin=$(cat)\nprintf '%s %s %s %s %s %s\\n' {name} \"$CNI_COMMAND\" \"$CNI_CONTAINERID\" \"$CNI_IFNAME\" \"$CNI_NETNS\" \"$CNI_ARGS\" >> {log}\n\
         printf '%s\\n' \"$in\" >> {log}\n{tail}\n",
        log = log.display(),
        tail = if fail {
            r#"echo '{"cniVersion":"1.0.0","code":11,"msg":"no luck","details":"try again"}'; exit 1"#.to_owned()
        } else if result.is_empty() {
            "exit 0".to_owned()
        } else {
            format!("echo '{result}'")
        }
    );
    let path = dir.join(name);
    fs::write(&path, body).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn log_lines(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join("log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn inv<'a>(dirs: &'a [PathBuf], args: &'a str) -> Invocation<'a> {
    Invocation {
        plugin_dirs: dirs,
        container_id: "pod-1",
        netns: Path::new("/run/netns/x"),
        if_name: "eth0",
        args,
        runtime_config: json!({"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}),
    }
}

#[test]
fn add_chains_prev_result_and_del_runs_in_reverse() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = vec![tmp.path().join("missing"), tmp.path().to_owned()];
    let r1 = r#"{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}"#;
    plugin(tmp.path(), "first", r1, false);
    plugin(tmp.path(), "second", "", false);
    let list = json!({"cniVersion":"1.0.0","name":"n","plugins":[
        {"type":"first","x":1},
        {"type":"second","capabilities":{"portMappings":true}}]});
    // A plugin that prints nothing passes the previous result on.
    let out = cni::add(&list, &inv(&dirs, "A=b")).unwrap();
    assert_eq!(out["ips"][0]["address"], "10.0.0.2/24");
    let log = log_lines(tmp.path());
    assert_eq!(
        log[0],
        "first ADD pod-1 eth0 /run/netns/x IgnoreUnknown=1;A=b"
    );
    let conf1: Value = serde_json::from_str(&log[1]).unwrap();
    assert_eq!(
        (
            conf1["name"].clone(),
            conf1["cniVersion"].clone(),
            conf1["x"].clone()
        ),
        (json!("n"), json!("1.0.0"), json!(1))
    );
    assert!(conf1.get("prevResult").is_none() && conf1.get("runtimeConfig").is_none());
    let conf2: Value = serde_json::from_str(&log[3]).unwrap();
    assert_eq!(conf2["prevResult"]["ips"][0]["address"], "10.0.0.2/24");
    assert_eq!(conf2["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);

    fs::remove_file(tmp.path().join("log")).unwrap();
    cni::del(&list, &inv(&dirs, ""), Some(&out)).unwrap();
    let log = log_lines(tmp.path());
    assert!(
        log[0].starts_with("second DEL") && log[2].starts_with("first DEL"),
        "{log:?}"
    );
    let conf: Value = serde_json::from_str(&log[3]).unwrap();
    assert_eq!(conf["prevResult"]["ips"][0]["address"], "10.0.0.2/24");

    fs::remove_file(tmp.path().join("log")).unwrap();
    cni::check(&list, &inv(&dirs, ""), &out).unwrap();
    assert!(log_lines(tmp.path())[0].starts_with("first CHECK"));
}

#[test]
fn a_failing_plugin_gives_its_error_and_earlier_plugins_are_undone() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = vec![tmp.path().to_owned()];
    plugin(tmp.path(), "ok", r#"{"cniVersion":"1.0.0"}"#, false);
    plugin(tmp.path(), "bad", "", true);
    let list = json!({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"ok"},{"type":"bad"}]});
    let err = cni::add(&list, &inv(&dirs, "")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "CNI plugin bad ADD failed: no luck: try again (code 11)"
    );
    let cmds: Vec<String> = log_lines(tmp.path())
        .iter()
        .filter(|l| !l.starts_with('{'))
        .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(cmds, ["ok ADD", "bad ADD", "bad DEL", "ok DEL"]);
}

#[test]
fn a_missing_plugin_fails_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = vec![tmp.path().to_owned()];
    plugin(tmp.path(), "ok", r#"{"cniVersion":"1.0.0"}"#, false);
    let list = json!({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"ok"},{"type":"nope"}]});
    let err = cni::add(&list, &inv(&dirs, "")).unwrap_err();
    assert!(matches!(err, CniError::NotFound { .. }), "{err}");
    assert!(log_lines(tmp.path()).is_empty());
}

#[test]
fn check_is_skipped_for_versions_before_0_4_0() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = vec![tmp.path().to_owned()];
    plugin(tmp.path(), "bad", "", true);
    let list = json!({"cniVersion":"0.3.1","name":"n","plugins":[{"type":"bad"}]});
    cni::check(&list, &inv(&dirs, ""), &json!({})).unwrap();
    assert!(log_lines(tmp.path()).is_empty());
}

#[test]
fn version_of_debians_plugins() {
    let dirs = vec![PathBuf::from("/usr/lib/cni")];
    if !dirs[0].join("ptp").exists() {
        eprintln!("skipped: containernetworking-plugins not installed");
        return;
    }
    let v = cni::version(&dirs, "ptp").unwrap();
    assert!(
        v.iter().any(|v| v == "1.0.0") && v.iter().any(|v| v == "0.4.0"),
        "{v:?}"
    );
}
