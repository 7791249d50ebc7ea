//! Crash and concurrency safety with real processes: concurrent importers, kill -9 at random
//! moments, gc racing renders, a full disk.

mod common;

use std::fs;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use acstore::Store;
use appc::aci::Compression;
use common::{Img, acstore, build, err, out, run, snapshot};

fn big_files(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            (
                format!("d{}/f{i}", i % 17),
                format!("{i:0>64}").repeat(2000),
            )
        })
        .collect()
}

#[test]
fn eight_concurrent_importers_of_the_same_and_different_images() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    let same = build(
        t.path(),
        &Img::new("example.com/same", "1.0.0", &[("x", "same")]),
        Compression::Gzip,
    );
    let mut acis = vec![same.clone(), same.clone(), same.clone(), same];
    for i in 0..4 {
        let v = format!("{i}.0.0");
        acis.push(build(
            t.path(),
            &Img::new("example.com/other", &v, &[("x", "other")]),
            Compression::Gzip,
        ));
    }
    let children: Vec<_> = acis
        .iter()
        .map(|a| {
            acstore(&store)
                .arg("import")
                .arg(a)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ids = Vec::new();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", err(&o));
        ids.push(out(&o));
    }
    assert!(
        ids[..4].iter().all(|i| i == &ids[0]),
        "same image, different lines"
    );
    let ls = out(&run(acstore(&store).args(["ls", "--json"])));
    assert_eq!(ls.lines().count(), 5);
    assert!(run(acstore(&store).arg("verify")).status.success());
    assert_eq!(
        fs::read_dir(store.join("tmp")).unwrap().count(),
        0,
        "leftovers in tmp/"
    );
}

#[test]
fn kill_9_at_any_moment_leaves_nothing_half_visible() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    let files = big_files(300);
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let aci = build(
        t.path(),
        &Img::new("example.com/big", "1.0.0", &refs),
        Compression::Gzip,
    );
    let mut seen_complete = false;
    for round in 0..24u64 {
        let mut c = acstore(&store)
            .arg("import")
            .arg(&aci)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        thread::sleep(Duration::from_millis((round * 7919) % 120));
        let _ = c.kill();
        let _ = c.wait();
        // What is visible is all or nothing: a listed image verifies and renders.
        let ls = out(&run(acstore(&store).args(["ls", "--json"])));
        if ls.lines().count() == 1 {
            seen_complete = true;
            let v = run(acstore(&store).arg("verify"));
            assert!(v.status.success(), "round {round}: {}", err(&v));
            // Kill a render too, then remove the image for the next round.
            let mut r = acstore(&store)
                .args(["render", "example.com/big"])
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            thread::sleep(Duration::from_millis((round * 104_729) % 60));
            let _ = r.kill();
            let _ = r.wait();
            let v = run(acstore(&store).arg("verify"));
            assert!(
                v.status.success(),
                "round {round} after killed render: {}",
                err(&v)
            );
            assert!(
                run(acstore(&store).args(["rm", "example.com/big"]))
                    .status
                    .success()
            );
        } else {
            assert_eq!(ls.lines().count(), 0);
        }
    }
    let gc = run(acstore(&store).args(["gc", "--grace-period", "0s"]));
    assert!(gc.status.success(), "{}", err(&gc));
    assert_eq!(fs::read_dir(store.join("tmp")).unwrap().count(), 0);
    assert!(run(acstore(&store).arg("verify")).status.success());
    let o = run(acstore(&store).arg("import").arg(&aci));
    assert!(o.status.success(), "{}", err(&o));
    let r = run(acstore(&store).args(["render", "example.com/big"]));
    assert!(r.status.success(), "{}", err(&r));
    let _ = seen_complete; // timing decides whether a round completed; both outcomes are checked
}

#[test]
fn gc_never_removes_a_tree_that_is_held() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("store");
    let aci = build(
        t.path(),
        &Img::new("example.com/held", "1.0.0", &[("f", "held")]),
        Compression::Gzip,
    );
    assert!(run(acstore(&dir).arg("import").arg(&aci)).status.success());
    let store = Store::open(&dir).unwrap();
    let id = store.resolve("example.com/held").unwrap().record.id;
    let tree = store.render(&id).unwrap();
    // Held (as a running pod holds it): gc with no grace period keeps the tree and its image.
    let gc = run(acstore(&dir).args(["gc", "--grace-period", "0s"]));
    assert!(gc.status.success(), "{}", err(&gc));
    assert_eq!(fs::read_to_string(tree.rootfs.join("f")).unwrap(), "held");
    assert!(store.info(&id).unwrap().is_some());
    drop(tree);
    let gc = run(acstore(&dir).args(["gc", "--grace-period", "0s"]));
    assert!(gc.status.success());
    assert_eq!(fs::read_dir(dir.join("trees")).unwrap().count(), 0);
    assert!(
        store.info(&id).unwrap().is_none(),
        "unused image outlived gc --grace-period 0s"
    );
}

#[test]
fn gc_racing_renders_and_imports() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    let aci = build(
        t.path(),
        &Img::new("example.com/race", "1.0.0", &[("f", "race")]),
        Compression::Gzip,
    );
    assert!(
        run(acstore(&store).arg("import").arg(&aci))
            .status
            .success()
    );
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let store = store.clone();
            let aci = aci.clone();
            thread::spawn(move || {
                for _ in 0..10 {
                    let o = if w == 0 {
                        run(acstore(&store).args(["gc", "--grace-period", "0s"]))
                    } else {
                        // Re-import (gc may have removed it), then render.
                        let i = run(acstore(&store).arg("import").arg(&aci));
                        assert!(i.status.success(), "{}", err(&i));
                        let o = run(acstore(&store).args(["render", "example.com/race"]));
                        // gc may remove the image between the two; anything else is a failure.
                        if !o.status.success() && err(&o).contains("no such image") {
                            continue;
                        }
                        o
                    };
                    assert!(o.status.success(), "worker {w}: {}", err(&o));
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let v = run(acstore(&store).arg("verify"));
    assert!(v.status.success(), "{}", err(&v));
}

#[test]
fn a_full_disk_gives_a_clear_error_and_leaves_the_store_intact() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: needs root to mount a small tmpfs");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let mnt = t.path().join("small");
    fs::create_dir(&mnt).unwrap();
    let st = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(st.success(), "mount tmpfs");
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    let store = mnt.join("store");
    let small = build(
        t.path(),
        &Img::new("example.com/small", "1.0.0", &[("f", "x")]),
        Compression::Gzip,
    );
    assert!(
        run(acstore(&store).arg("import").arg(&small))
            .status
            .success()
    );
    let before = snapshot(&store);
    let files = big_files(200);
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let big = build(
        t.path(),
        &Img::new("example.com/big", "1.0.0", &refs),
        Compression::Gzip,
    );
    let o = run(acstore(&store).arg("import").arg(&big));
    assert!(!o.status.success());
    let e = err(&o);
    assert!(e.contains("No space left on device"), "{e}");
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert_eq!(
        snapshot(&store),
        before,
        "a failed import changed the store"
    );
    assert!(run(acstore(&store).arg("verify")).status.success());
}
