//! The command line as a user meets it: help, usage errors, generated docs.

use std::process::Command;

fn acnet(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_acnet"))
        .args(args)
        .env("ACNET_DATA_DIR", "/nonexistent/acnet-test")
        .env("ACNET_VENDOR_CONFIG_DIR", "/nonexistent/acnet-vendor")
        .env("ACNET_CONFIG_DIR", "/nonexistent/acnet-config")
        .output()
        .expect("run acnet")
}

#[test]
fn help_shows_examples_and_exit_codes() {
    let out = acnet(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Examples:") && text.contains("acnet add --pod"),
        "{text}"
    );
    assert!(text.contains("ACNET_DATA_DIR"));
    let add = String::from_utf8_lossy(&acnet(&["add", "--help"]).stdout).into_owned();
    assert!(add.contains("--port <NAME:HOSTPORT[:HOSTIP]>"), "{add}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(acnet(&["add"]).status.code(), Some(2));
    assert_eq!(acnet(&["frobnicate"]).status.code(), Some(2));
    let out = acnet(&["add", "--pod", "x", "--netns", "/x", "--net", ":a=b"]);
    assert_eq!(out.status.code(), Some(2));
    let out = acnet(&["del", "--pod", "not-a-uuid"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "acnet: invalid pod UUID \"not-a-uuid\""
    );
    let out = acnet(&["--nft-table", "other", "ls"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn networks_lists_builtins_and_configs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.conflist"),
        r#"{"cniVersion":"1.0.0","name":"mynet","plugins":[{"type":"bridge"}]}"#,
    )
    .unwrap();
    let out = acnet(&["--config-dir", dir.path().to_str().unwrap(), "networks"]);
    assert!(out.status.success());
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        names,
        ["mynet", "none", "host", "default", "default-restricted"]
    );
}

#[test]
fn generate_docs_writes_man_pages_and_completions() {
    let dir = tempfile::tempdir().unwrap();
    let out = acnet(&["generate-docs", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    for f in [
        "acnet.1",
        "acnet-add.1",
        "acnet-del.1",
        "acnet-gc.1",
        "completions/acnet.bash",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }
    assert!(!dir.path().join("acnet-generate-docs.1").exists());
    let man = std::fs::read_to_string(dir.path().join("acnet-add.1")).unwrap();
    assert!(man.contains("pod\\-port") || man.contains("pod-port"));
}
