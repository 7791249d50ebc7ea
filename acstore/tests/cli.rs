//! acstore as a user drives it: import, list, find, export, render, remove.

mod common;

use std::fs;
use std::io::Write;
use std::process::Stdio;

use appc::aci::Compression;
use common::{Img, acstore, build, err, out, run, snapshot};

fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn import_list_find_export_round_trip() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    let files = [("etc/hostname", "one\n"), ("bin/app", "#!/bin/sh\n")];
    let a = build(
        t.path(),
        &Img::new("example.com/app", "1.0.0", &files),
        Compression::Gzip,
    );
    let b = build(
        t.path(),
        &Img::new("example.com/app", "1.10.0", &files),
        Compression::Xz,
    );
    let c = build(
        t.path(),
        &Img::new("example.com/app", "1.9.0", &files),
        Compression::Uncompressed,
    );

    let o = run(acstore(&store).arg("import").arg(&a).arg(&b).arg(&c));
    assert!(o.status.success(), "{}", err(&o));
    let lines = json_lines(&out(&o));
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["name"], "example.com/app");
    assert_eq!(lines[1]["labels"]["version"], "1.10.0");
    let id_a = lines[0]["id"].as_str().unwrap().to_string();

    // Importing again is a no-op printing the same line (but the same ID and name).
    let again = run(acstore(&store).arg("import").arg(&a));
    assert!(again.status.success());
    assert_eq!(json_lines(&out(&again))[0]["id"], id_a.as_str());

    // From stdin.
    let mut child = acstore(&store)
        .args(["import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&fs::read(&a).unwrap())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    assert_eq!(json_lines(&out(&o))[0]["id"], id_a.as_str());

    let ls = run(acstore(&store).args(["ls", "--json"]));
    assert_eq!(json_lines(&out(&ls)).len(), 3);
    let table = out(&run(acstore(&store).arg("ls")));
    assert!(table.starts_with("ID"), "{table}");
    assert_eq!(table.lines().count(), 4);

    // No version: the newest by semver precedence (1.10.0 > 1.9.0 > 1.0.0).
    let latest = out(&run(acstore(&store).args(["find", "example.com/app"])));
    assert_eq!(
        latest.trim(),
        json_lines(&out(&run(acstore(&store).arg("import").arg(&b))))[0]["id"]
    );
    let v1 = out(&run(acstore(&store).args(["find", "example.com/app:1.0.0"])));
    assert_eq!(v1.trim(), id_a);
    let prefix = &id_a[..20];
    assert_eq!(
        out(&run(acstore(&store).args(["find", prefix]))).trim(),
        id_a
    );
    let missing = run(acstore(&store).args(["find", "example.com/app:9.9.9"]));
    assert!(!missing.status.success());
    assert!(err(&missing).contains("no such image"), "{}", err(&missing));

    // An uncompressed export is byte-identical to the imported tar, so the ID round-trips.
    let exported = t.path().join("out.aci");
    let o = run(acstore(&store)
        .args(["export", "--compression", "none", "-o"])
        .arg(&exported)
        .arg(&id_a));
    assert!(o.status.success(), "{}", err(&o));
    let plain = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "gzip -dc {} | cmp - {}",
            a.display(),
            exported.display()
        ))
        .status();
    assert!(plain.unwrap().success(), "export is not the imported tar");
    let gz = t.path().join("out-gz.aci");
    assert!(
        run(acstore(&store).args(["export", "-o"]).arg(&gz).arg(&id_a))
            .status
            .success()
    );
    let store2 = t.path().join("store2");
    let o = run(acstore(&store2).arg("import").arg(&gz));
    assert_eq!(json_lines(&out(&o))[0]["id"], id_a.as_str());

    let m = run(acstore(&store).args(["cat-manifest", &id_a]));
    let m: serde_json::Value = serde_json::from_str(&out(&m)).unwrap();
    assert_eq!(m["name"], "example.com/app");

    let rm = run(acstore(&store).args(["rm", "example.com/app:1.0.0"]));
    assert!(rm.status.success(), "{}", err(&rm));
    assert_eq!(
        json_lines(&out(&run(acstore(&store).args(["ls", "--json"])))).len(),
        2
    );
    let v = run(acstore(&store).arg("verify"));
    assert!(v.status.success(), "{}", err(&v));
}

#[test]
fn hostile_archives_are_refused_and_the_store_is_unchanged() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    let good = build(
        t.path(),
        &Img::new("example.com/good", "1.0.0", &[("a", "a")]),
        Compression::Gzip,
    );
    assert!(
        run(acstore(&store).arg("import").arg(&good))
            .status
            .success()
    );
    let before = snapshot(&store);

    let stage = t.path().join("stage");
    fs::create_dir_all(stage.join("rootfs/etc")).unwrap();
    fs::write(
        stage.join("manifest"),
        r#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/evil"}"#,
    )
    .unwrap();
    fs::write(stage.join("rootfs/etc/x"), "x").unwrap();
    std::os::unix::fs::symlink("/etc", stage.join("rootfs/link")).unwrap();
    let tar = |name: &str, members: &[&str]| {
        let p = t.path().join(name);
        let st = std::process::Command::new("tar")
            .arg("-cf")
            .arg(&p)
            .arg("-C")
            .arg(&stage)
            .args(["--format=gnu", "--no-recursion", "-P"])
            .args(members)
            .status()
            .unwrap();
        assert!(st.success());
        p
    };
    let cases = [
        tar(
            "traversal.aci",
            &["manifest", "rootfs", "rootfs/etc/../../manifest"],
        ),
        tar("absolute.aci", &["manifest", "rootfs", "/etc/hostname"]),
        tar(
            "duplicate.aci",
            &["manifest", "rootfs", "rootfs/etc/x", "rootfs/etc/x"],
        ),
        tar("no-rootfs.aci", &["manifest"]),
        tar(
            "symlink-then-file.aci",
            &["manifest", "rootfs", "rootfs/link", "rootfs/link/passwd"],
        ),
    ];
    let truncated = t.path().join("truncated.aci");
    let bytes = fs::read(&good).unwrap();
    fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let bad_manifest = t.path().join("bad-manifest.aci");
    fs::write(
        stage.join("manifest"),
        r#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"NOT VALID"}"#,
    )
    .unwrap();
    let st = std::process::Command::new("tar")
        .arg("-cf")
        .arg(&bad_manifest)
        .arg("-C")
        .arg(&stage)
        .args(["manifest", "rootfs"])
        .status();
    assert!(st.unwrap().success());
    for f in cases.iter().chain([&truncated, &bad_manifest]) {
        let o = run(acstore(&store).arg("import").arg(f));
        assert!(!o.status.success(), "{} accepted", f.display());
        let e = err(&o);
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        assert!(e.contains(&*f.to_string_lossy()), "{e}");
        assert!(!e.contains("panicked"));
        assert_eq!(
            snapshot(&store),
            before,
            "{} changed the store",
            f.display()
        );
    }
    // A decompression bomb stops at the limit.
    let big = build(
        t.path(),
        &Img::new("example.com/big", "1.0.0", &[("big", &"0".repeat(4 << 20))]),
        Compression::Gzip,
    );
    let o = run(acstore(&store)
        .args(["import", "--max-size", "1M"])
        .arg(&big));
    assert!(!o.status.success());
    assert!(err(&o).contains("larger than"), "{}", err(&o));
    assert_eq!(snapshot(&store), before);
}

#[test]
fn render_applies_dependencies_in_order_with_whitelists() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    // A -> [B, C], C -> [D]: applied B, D, C, A; later layers overwrite earlier ones.
    let d = build(
        t.path(),
        &Img::new(
            "example.com/d",
            "1.0.0",
            &[("who", "d"), ("d", "d"), ("c-overrides", "d")],
        ),
        Compression::Gzip,
    );
    let b = build(
        t.path(),
        &Img::new(
            "example.com/b",
            "1.0.0",
            &[("who", "b"), ("b", "b"), ("drop/me", "b")],
        ),
        Compression::Gzip,
    );
    let c = build(
        t.path(),
        &Img {
            deps: r#"{"imageName":"example.com/d"}"#,
            ..Img::new(
                "example.com/c",
                "1.0.0",
                &[("c-overrides", "c"), ("c", "c")],
            )
        },
        Compression::Gzip,
    );
    let a = build(
        t.path(),
        &Img {
            deps: r#"{"imageName":"example.com/b","labels":[{"name":"version","value":"1.0.0"}]},{"imageName":"example.com/c"}"#,
            whitelist: &["/who", "/b", "/c", "/d", "/c-overrides", "/a"],
            ..Img::new("example.com/a", "1.0.0", &[("a", "a")])
        },
        Compression::Gzip,
    );
    // Missing dependencies are a clear error.
    assert!(run(acstore(&store).arg("import").arg(&a)).status.success());
    let o = run(acstore(&store).args(["render", "example.com/a"]));
    assert!(!o.status.success());
    assert!(err(&o).contains("example.com/b"), "{}", err(&o));
    assert!(
        run(acstore(&store).arg("import").arg(&b).arg(&c).arg(&d))
            .status
            .success()
    );

    let o = run(acstore(&store).args(["render", "example.com/a"]));
    assert!(o.status.success(), "{}", err(&o));
    let rootfs = std::path::PathBuf::from(out(&o).trim());
    let read = |p: &str| fs::read_to_string(rootfs.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    assert_eq!(read("who"), "d", "D is applied after B");
    assert_eq!(read("c-overrides"), "c");
    assert_eq!(
        (read("a"), read("b"), read("c"), read("d")),
        ("a".into(), "b".into(), "c".into(), "d".into())
    );
    assert!(
        !rootfs.join("drop").exists(),
        "the whitelist of A filters B"
    );
    // A cached render returns the same tree.
    let again = run(acstore(&store).args(["render", "example.com/a"]));
    assert_eq!(out(&again), out(&o));
    // render DEST copies, extract gives the image's own rootfs only.
    let dest = t.path().join("dest");
    assert!(
        run(acstore(&store).args(["render", "example.com/a"]).arg(&dest))
            .status
            .success()
    );
    assert_eq!(fs::read_to_string(dest.join("who")).unwrap(), "d");
    let own = t.path().join("own");
    assert!(
        run(acstore(&store).args(["extract", "example.com/a"]).arg(&own))
            .status
            .success()
    );
    assert!(own.join("a").exists() && !own.join("b").exists());
    let v = run(acstore(&store).arg("verify"));
    assert!(v.status.success(), "{}", err(&v));
    // Tampering with a rendered tree is found, and --repair drops the tree.
    fs::write(rootfs.join("a"), "tampered").unwrap();
    let v = run(acstore(&store).arg("verify"));
    assert!(!v.status.success());
    assert!(err(&v).contains("content changed"), "{}", err(&v));
    assert!(
        run(acstore(&store).args(["verify", "--repair"]))
            .status
            .success()
    );
    assert!(run(acstore(&store).arg("verify")).status.success());
}

#[test]
fn dependency_cycles_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    let x = build(
        t.path(),
        &Img {
            deps: r#"{"imageName":"example.com/y"}"#,
            ..Img::new("example.com/x", "1.0.0", &[])
        },
        Compression::Gzip,
    );
    let y = build(
        t.path(),
        &Img {
            deps: r#"{"imageName":"example.com/x"}"#,
            ..Img::new("example.com/y", "1.0.0", &[])
        },
        Compression::Gzip,
    );
    assert!(
        run(acstore(&store).arg("import").arg(&x).arg(&y))
            .status
            .success()
    );
    let o = run(acstore(&store).args(["render", "example.com/x"]));
    assert!(!o.status.success());
    assert!(err(&o).contains("cycle"), "{}", err(&o));
}
