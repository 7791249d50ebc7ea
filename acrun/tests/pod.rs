//! acrun end to end: pods of busybox images, run for real (root, namespaces, overlayfs).

mod common;

use std::fs;
use std::time::{Duration, Instant};

use common::{err, fixture, out};

#[test]
fn environment_identity_and_hostname() {
    let Some(f) = fixture() else { return };
    f.sh_image(
        "example.com/env",
        "env; echo cwd=$(pwd); echo host=$(hostname); id; cat /etc/hosts",
    );
    let o = f.run(&["run", "--hostname", "podhost", "example.com/env"]);
    assert!(o.status.success(), "{}", err(&o));
    let s = out(&o);
    assert!(
        s.contains("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"),
        "{s}"
    );
    assert!(s.contains("AC_APP_NAME=env\n"), "{s}");
    assert!(s.contains("container=acrun\n"), "{s}");
    assert!(s.contains("AC_METADATA_URL=http://127.0.0.1:"), "{s}");
    assert!(s.contains("cwd=/\n"), "{s}");
    assert!(s.contains("host=podhost\n"), "{s}");
    assert!(s.contains("uid=0(root) gid=0(root)"), "{s}");
    assert!(s.contains("localhost"), "{s}");
}

#[test]
fn set_env_precedence_and_args() {
    let Some(f) = fixture() else { return };
    f.image(
        "example.com/envs",
        serde_json::json!({
            "exec": ["/bin/sh", "-c", "echo A=$A B=$B C=$C"],
            "user": "0", "group": "0",
            "environment": [{"name": "A", "value": "image"}, {"name": "B", "value": "image"}]
        }),
        |_| {},
    );
    let envfile = f.tmp.path().join("env");
    fs::write(&envfile, "C=file\n# comment\n").unwrap();
    let o = f.run(&[
        "run",
        "--set-env-file",
        envfile.to_str().unwrap(),
        "example.com/envs",
        "--set-env=B=flag",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), "A=image B=flag C=file\n");
    let o = f
        .acrun()
        .args(["run", "--inherit-env", "example.com/envs"])
        .env("A", "host")
        .env("C", "host")
        .output()
        .unwrap();
    // Inherited variables never override the image's.
    assert_eq!(out(&o), "A=image B=image C=host\n", "{}", err(&o));
    let o = f.run(&[
        "run",
        "example.com/envs",
        "--exec",
        "/bin/echo",
        "--",
        "one",
        "--two",
        "---",
    ]);
    assert_eq!(out(&o), "one --two\n", "{}", err(&o));
}

#[test]
fn exit_codes() {
    let Some(f) = fixture() else { return };
    f.sh_image("example.com/ok", "exit 0");
    f.sh_image("example.com/three", "sleep 0.2; exit 3");
    f.sh_image("example.com/five", "exit 5");
    let o = f.run(&["run", "example.com/ok", "example.com/three"]);
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    // The first app to fail decides.
    let o = f.run(&["run", "example.com/three", "example.com/five"]);
    assert_eq!(o.status.code(), Some(5), "{}", err(&o));
    let o = f.run(&["run", "example.com/missing"]);
    assert_eq!(o.status.code(), Some(254));
    assert!(err(&o).starts_with("acrun: "), "{}", err(&o));
    let o = f.run(&["run", "example.com/ok", "--exec", "/no/such/binary"]);
    assert_eq!(o.status.code(), Some(254));
    assert!(err(&o).contains("/no/such/binary"), "{}", err(&o));
    // Each app's status is recorded in the pod dir and shown by list.
    let o = f.run(&["list", "--json"]);
    let pods: Vec<serde_json::Value> = out(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(pods.iter().any(|p| {
        p["exitCode"] == 5
            && p["apps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["name"] == "three" && a["exitCode"] == 3)
    }));
}

#[test]
fn users_groups_and_working_dir() {
    let Some(f) = fixture() else { return };
    f.image(
        "example.com/users",
        serde_json::json!({
            "exec": ["/bin/sh", "-c", "id -u; id -g; id -G; pwd"],
            "user": "www", "group": "/etc/owned", "supplementaryGIDs": [7, 8],
            "workingDirectory": "/srv"
        }),
        |r| {
            fs::create_dir(r.join("srv")).unwrap();
            fs::write(r.join("etc/owned"), "").unwrap();
            std::os::unix::fs::chown(r.join("etc/owned"), Some(1), Some(4321)).unwrap();
        },
    );
    let o = f.run(&["run", "example.com/users"]);
    assert!(o.status.success(), "{}", err(&o));
    let s = out(&o);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines[0], "33");
    assert_eq!(lines[1], "4321");
    assert!(
        lines[2].split(' ').any(|g| g == "7") && lines[2].split(' ').any(|g| g == "8"),
        "{s}"
    );
    assert_eq!(lines[3], "/srv");
    let o = f.run(&[
        "run",
        "example.com/users",
        "--user=1234",
        "--group=nogroup",
        "--working-dir=/",
    ]);
    assert_eq!(
        out(&o).lines().take(2).collect::<Vec<_>>(),
        ["1234", "65534"]
    );
    let o = f.run(&["run", "example.com/users", "--working-dir=/missing"]);
    assert_eq!(o.status.code(), Some(254));
    assert!(
        err(&o).contains("working directory /missing does not exist"),
        "{}",
        err(&o)
    );
    let o = f.run(&["run", "example.com/users", "--user=ghost"]);
    assert_eq!(o.status.code(), Some(254));
    assert!(err(&o).contains("ghost"), "{}", err(&o));
}

#[test]
fn linux_filesystems_and_devices() {
    let Some(f) = fixture() else { return };
    f.sh_image(
        "example.com/fs",
        "for d in null zero full random urandom tty console ptmx pts shm mqueue; do test -e /dev/$d && echo dev-$d; done; \
         grep -E ' /(proc|sys|dev/pts|dev/shm|dev/mqueue) ' /proc/self/mountinfo | while read a b c d mp opts rest; do echo \"mnt $mp ${opts%%,*}\"; done; \
         head -c 4 /dev/zero | wc -c; ls /proc/1/ >/dev/null && echo pid1=$(cat /proc/1/comm)",
    );
    let o = f.run(&["run", "example.com/fs"]);
    assert!(o.status.success(), "{}", err(&o));
    let s = out(&o);
    for d in [
        "null", "zero", "full", "random", "urandom", "tty", "console", "ptmx", "pts", "shm",
        "mqueue",
    ] {
        assert!(s.contains(&format!("dev-{d}\n")), "missing /dev/{d}: {s}");
    }
    assert!(s.contains("mnt /proc rw"), "{s}");
    assert!(s.contains("mnt /sys ro"), "{s}");
    assert!(s.contains("mnt /dev/pts rw"), "{s}");
    assert!(s.contains("mnt /dev/shm rw"), "{s}");
    assert!(s.contains("mnt /dev/mqueue rw"), "{s}");
    // Our own init is the pod's pid 1.
    assert!(s.contains("pid1=acrun"), "{s}");
}

#[test]
fn readonly_rootfs() {
    let Some(f) = fixture() else { return };
    f.sh_image("example.com/ro", "touch /x && echo wrote || echo refused");
    let o = f.run(&["run", "example.com/ro", "--readonly-rootfs"]);
    assert_eq!(out(&o), "refused\n", "{}", err(&o));
    let o = f.run(&["run", "example.com/ro"]);
    assert_eq!(out(&o), "wrote\n", "{}", err(&o));
    // The copy instead of overlayfs, read-only too.
    let o = f.run(&["run", "--no-overlay", "example.com/ro", "--readonly-rootfs"]);
    assert_eq!(out(&o), "refused\n", "{}", err(&o));
    let o = f.run(&["run", "--no-overlay", "example.com/ro"]);
    assert_eq!(out(&o), "wrote\n", "{}", err(&o));
}

#[test]
fn volumes_host_and_empty() {
    let Some(f) = fixture() else { return };
    let host = f.tmp.path().join("hostdir");
    fs::create_dir(&host).unwrap();
    fs::write(host.join("in"), "from host").unwrap();
    // A submount inside the host volume must be read-only in the pod too.
    fs::create_dir(host.join("sub")).unwrap();
    let st = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "tmpfs"])
        .arg(host.join("sub"))
        .status()
        .unwrap();
    assert!(st.success());
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }
    let _sub = Unmount(host.join("sub"));
    f.image(
        "example.com/vol",
        serde_json::json!({
            "exec": ["/bin/sh", "-c", "cat /h/in; touch /h/new 2>/dev/null && echo h-writable || echo h-readonly; touch /h/sub/new 2>/dev/null && echo sub-writable || echo sub-readonly; touch /e/$AC_APP_NAME; stat -c %a /e; sleep 0.3; ls /e"],
            "user": "0", "group": "0",
            "mountPoints": [{"name": "hv", "path": "/h", "readOnly": true}, {"name": "ev", "path": "/e"}]
        }),
        |_| {},
    );
    let hv = format!("hv,kind=host,source={}", host.display());
    let o = f.run(&[
        "run",
        "--volume",
        &hv,
        "--volume",
        "ev,kind=empty,mode=0700",
        "example.com/vol",
        "--name=one",
        "example.com/vol",
        "--name=two",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let s = out(&o);
    assert_eq!(s.matches("from host").count(), 2, "{s}");
    assert_eq!(s.matches("h-readonly").count(), 2, "{s}");
    assert_eq!(s.matches("sub-readonly").count(), 2, "{s}");
    assert!(s.contains("700"), "{s}");
    // The empty volume is shared by both apps.
    assert!(s.contains("one\ntwo\n"), "{s}");
    assert!(!host.join("new").exists());

    // A symlinked host source is refused.
    let link = f.tmp.path().join("link");
    std::os::unix::fs::symlink(&host, &link).unwrap();
    let o = f.run(&[
        "run",
        "--volume",
        &format!("hv,kind=host,source={}", link.display()),
        "--volume",
        "ev,kind=empty",
        "example.com/vol",
    ]);
    assert_eq!(o.status.code(), Some(254));
    assert!(err(&o).contains("symlink"), "{}", err(&o));
    // A missing one too.
    let o = f.run(&[
        "run",
        "--volume",
        "hv,kind=host,source=/nonexistent/acrun",
        "--volume",
        "ev,kind=empty",
        "example.com/vol",
    ]);
    assert!(err(&o).contains("does not exist"), "{}", err(&o));
    // A mount point without a volume, and overlapping targets.
    let o = f.run(&["run", "--volume", &hv, "example.com/vol"]);
    assert!(err(&o).contains("has no volume"), "{}", err(&o));
    let o = f.run(&[
        "run",
        "--volume",
        &hv,
        "--volume",
        "ev,kind=empty",
        "example.com/vol",
        "--mount",
        "volume=ev,target=/h/sub",
    ]);
    assert!(err(&o).contains("overlap"), "{}", err(&o));
}

#[test]
fn capabilities_and_no_new_privs() {
    let Some(f) = fixture() else { return };
    f.sh_image(
        "example.com/caps",
        "grep -E '^(CapBnd|CapEff|NoNewPrivs)' /proc/self/status",
    );
    let o = f.run(&["run", "example.com/caps"]);
    let s = out(&o);
    // The spec's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
    // NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
    assert!(s.contains("CapBnd:\t00000000a80425fb"), "{s}");
    assert!(s.contains("CapEff:\t00000000a80425fb"), "{s}");
    let o = f.run(&[
        "run",
        "example.com/caps",
        "--caps-retain=CAP_NET_RAW,CAP_KILL",
    ]);
    assert!(out(&o).contains("CapBnd:\t0000000000002020"), "{}", out(&o));
    let o = f.run(&["run", "example.com/caps", "--caps-remove=CAP_CHOWN"]);
    assert!(out(&o).contains("CapBnd:\t00000000a80425fa"), "{}", out(&o));
    let o = f.run(&["run", "example.com/caps", "--caps-retain=CAP_BOGUS"]);
    assert_eq!(o.status.code(), Some(254));
    f.image(
        "example.com/nnp",
        serde_json::json!({
            "exec": ["/bin/sh", "-c", "grep NoNewPrivs /proc/self/status"], "user": "0", "group": "0",
            "isolators": [{"name": "os/linux/no-new-privileges", "value": true}]
        }),
        |_| {},
    );
    let o = f.run(&["run", "example.com/nnp"]);
    assert!(out(&o).contains("NoNewPrivs:\t1"), "{}{}", out(&o), err(&o));
    f.image(
        "example.com/oom",
        serde_json::json!({
            "exec": ["/bin/cat", "/proc/self/oom_score_adj"], "user": "0", "group": "0",
            "isolators": [{"name": "os/linux/oom-score-adj", "value": 500}]
        }),
        |_| {},
    );
    let o = f.run(&["run", "example.com/oom"]);
    assert_eq!(out(&o), "500\n", "{}", err(&o));
}

#[test]
fn escapes_fail() {
    let Some(f) = fixture() else { return };
    let marker = f.tmp.path().join("host-secret");
    fs::write(&marker, "secret").unwrap();
    let exe = env!("CARGO_BIN_EXE_acrun");
    // The block device holding the host's root: with CAP_MKNOD an app can make a node for it,
    // but every place it can write is nodev.
    let dev = rustix::fs::stat("/").unwrap().st_dev;
    let disk = format!("{} {}", rustix::fs::major(dev), rustix::fs::minor(dev));
    let before = fs::metadata(exe).unwrap().len();
    f.image(
        "example.com/escape",
        serde_json::json!({
            "exec": ["/bin/sh", "-c", concat!(
                "head -c 16 /proc/kcore | wc -c; ",
                "cat /proc/sysrq-trigger 2>/dev/null | wc -c; ",
                "ls /proc/acpi 2>/dev/null | wc -l; ",
                "echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo sys-writable || echo sys-ro; ",
                "echo x >> /proc/1/exe 2>/dev/null && echo exe-writable || echo exe-safe; ",
                "cat /data/host-secret 2>/dev/null || echo no-host-path; ",
                "mount -t proc proc /mnt 2>/dev/null && echo mounted || echo no-mount; ",
                "for d in /dev/disk /tmp/disk /data/disk; do mknod $d b $DISK 2>/dev/null && echo made; head -c 1 $d 2>/dev/null | wc -c; done",
            )],
            "environment": [{"name": "DISK", "value": disk}],
            "user": "0", "group": "0",
            "mountPoints": [{"name": "data", "path": "/data"}]
        }),
        |r| {
            // A symlink to a host path: the volume must land inside the image, not there.
            std::os::unix::fs::symlink(f.tmp.path(), r.join("data")).unwrap();
            fs::create_dir(r.join("mnt")).unwrap();
            fs::create_dir(r.join("tmp")).unwrap();
        },
    );
    let o = f.run(&["run", "--volume", "data,kind=empty", "example.com/escape"]);
    let s = out(&o);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.first(), Some(&"0"), "kcore readable: {s}{}", err(&o));
    assert_eq!(lines[1], "0", "sysrq-trigger readable: {s}");
    assert_eq!(lines[2], "0", "/proc/acpi visible: {s}");
    assert_eq!(lines[3], "sys-ro", "{s}");
    assert_eq!(lines[4], "exe-safe", "{s}");
    assert_eq!(lines[5], "no-host-path", "{s}");
    assert_eq!(lines[6], "no-mount", "{s}");
    assert_eq!(
        &lines[7..],
        ["made", "0", "made", "0", "made", "0"],
        "raw disk readable: {s}"
    );
    assert_eq!(fs::metadata(exe).unwrap().len(), before);
    assert_eq!(fs::read_to_string(&marker).unwrap(), "secret");
    // The empty volume went inside the pod: no host file appeared next to the marker.
    assert!(
        fs::read_dir(f.tmp.path())
            .unwrap()
            .all(|e| e.unwrap().file_name() != "lost")
    );
}

#[test]
fn stop_status_enter_and_crash_recovery() {
    let Some(mut f) = fixture() else { return };
    f.sh_image("example.com/sleeper", "echo started; exec sleep 60");
    let (idx, uuid) = f.start(&["example.com/sleeper"]);
    let st: serde_json::Value = serde_json::from_slice(&f.run(&["status", &uuid]).stdout).unwrap();
    assert_eq!(st["state"], "running");
    // enter: the app's root and capabilities.
    let o = f.run(&[
        "enter",
        &uuid,
        "/bin/sh",
        "-c",
        "grep -E '^(CapBnd|Seccomp):' /proc/self/status; cat /etc/hostname; echo $AC_APP_NAME",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let s = out(&o);
    assert!(s.contains("CapBnd:\t00000000a80425fb"), "{s}");
    assert!(s.contains(&format!("acrun-{}", &uuid[..8])), "{s}");
    assert!(s.contains("sleeper"), "{s}");
    // The entered process is filtered like the app.
    assert!(s.contains("Seccomp:\t2"), "{s}");
    // stop: SIGTERM reaches the app, the pod exits with its status.
    let t0 = Instant::now();
    let o = f.run(&["stop", &uuid]);
    assert!(o.status.success(), "{}", err(&o));
    let o = f.wait(idx);
    assert_eq!(o.status.code(), Some(143), "{}", err(&o));
    assert!(t0.elapsed() < Duration::from_secs(5));
    let st: serde_json::Value =
        serde_json::from_slice(&f.run(&["status", "--wait", &uuid]).stdout).unwrap();
    assert_eq!(st["state"], "exited");
    assert_eq!(st["exitCode"], 143);

    // A supervisor killed with SIGKILL: the pod dies with it and reads as exited; gc removes it.
    let (idx, uuid) = f.start(&["example.com/sleeper"]);
    f.child(idx).kill().unwrap();
    f.wait(idx);
    let st: serde_json::Value =
        serde_json::from_slice(&f.run(&["status", "--wait", &uuid]).stdout).unwrap();
    assert_eq!(st["state"], "exited", "{st}");
    let o = f.run(&["gc", "--grace-period", "0s"]);
    assert!(out(&o).contains(&uuid), "{}", err(&o));
    assert!(!f.pods.join(&uuid).exists());
}

#[test]
fn prepare_run_prepared_cat_manifest_rm_and_stdin() {
    let Some(f) = fixture() else { return };
    let id = f.sh_image("example.com/prep", "echo prepared-run");
    let o = f.run(&["prepare", "example.com/prep"]);
    assert!(o.status.success(), "{}", err(&o));
    let uuid = out(&o).trim().to_string();
    let m = f.run(&["cat-manifest", &uuid[..8]]);
    let v: serde_json::Value = serde_json::from_slice(&m.stdout).unwrap();
    assert_eq!(v["acKind"], "PodManifest");
    assert_eq!(v["apps"][0]["image"]["id"], id);
    let st: serde_json::Value = serde_json::from_slice(&f.run(&["status", &uuid]).stdout).unwrap();
    assert_eq!(st["state"], "prepared");
    let o = f.run(&["run-prepared", &uuid]);
    assert_eq!(out(&o), "prepared-run\n", "{}", err(&o));
    let o = f.run(&["run-prepared", &uuid]);
    assert_eq!(o.status.code(), Some(254), "a pod runs once");
    let o = f.run(&["rm", &uuid]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(!f.pods.join(&uuid).exists());
    // Image JSON lines on stdin, as acstore and acfetch print them.
    let mut c = f.acrun();
    c.arg("run")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    writeln!(
        child.stdin.take().unwrap(),
        "{{\"id\":\"{id}\",\"name\":\"example.com/prep\"}}"
    )
    .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(out(&o), "prepared-run\n", "{}", err(&o));
}

#[test]
fn pre_start_and_post_stop() {
    let Some(f) = fixture() else { return };
    let host = f.tmp.path().join("events");
    fs::create_dir(&host).unwrap();
    f.image(
        "example.com/handlers",
        serde_json::json!({
            "exec": ["/bin/sh", "-c", "test -e /pre && echo main >> /log/order"],
            "user": "0", "group": "0",
            "eventHandlers": [
                {"name": "pre-start", "exec": ["/bin/sh", "-c", "touch /pre; echo pre >> /log/order"]},
                {"name": "post-stop", "exec": ["/bin/sh", "-c", "echo post >> /log/order"]}
            ],
            "mountPoints": [{"name": "log", "path": "/log"}]
        }),
        |_| {},
    );
    let o = f.run(&[
        "run",
        "--volume",
        &format!("log,kind=host,source={}", host.display()),
        "example.com/handlers",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        fs::read_to_string(host.join("order")).unwrap(),
        "pre\nmain\npost\n"
    );
}

#[test]
fn resource_isolators_through_cgroups() {
    let Some(f) = fixture() else { return };
    if acrun::cgroups::layout() == acrun::cgroups::Layout::None {
        eprintln!("skipping: no cgroups");
        return;
    }
    f.sh_image(
        "example.com/hog",
        "grep -c acrun/ /proc/self/cgroup; dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo dd=$?",
    );
    let o = f.run(&["run", "example.com/hog", "--memory=32Mi", "--cpu=500m"]);
    assert!(o.status.success(), "{}", err(&o));
    let s = out(&o);
    // Killed by the memory limit: a 64 MiB buffer does not fit in 32 MiB.
    assert!(s.ends_with("dd=137\n"), "{s}");
    assert_ne!(s.lines().next(), Some("0"), "{s}");
    let o = f.run(&["run", "example.com/hog"]);
    assert!(out(&o).ends_with("dd=0\n"), "{}", out(&o));
    // Nothing is left in the cgroup trees.
    let o = f.run(&["list", "--json"]);
    for line in out(&o).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let uuid = v["uuid"].as_str().unwrap();
        for c in ["memory", "cpu", "unified"] {
            assert!(!acrun::cgroups::pod_dir(acrun::cgroups::layout(), c, uuid).exists());
        }
    }
}

#[test]
fn seccomp_filters() {
    let Some(f) = fixture() else { return };
    f.sh_image(
        "example.com/sc",
        "grep Seccomp: /proc/self/status; chmod 700 /bin 2>&1; echo chmod=$?",
    );
    // Default filter: on, ordinary calls allowed.
    let o = f.run(&["run", "example.com/sc"]);
    assert!(out(&o).starts_with("Seccomp:\t2\n"), "{}", out(&o));
    assert!(out(&o).ends_with("chmod=0\n"), "{}", out(&o));
    // remove-set with errno.
    let o = f.run(&[
        "run",
        "example.com/sc",
        "--seccomp=mode=remove,errno=ENOTSUP,chmod,fchmodat",
    ]);
    let s = out(&o);
    assert!(
        s.contains("Operation not supported") && s.ends_with("chmod=1\n"),
        "{s}"
    );
    // retain-set without errno: anything else kills the app with SIGSYS.
    let o = f.run(&["run", "example.com/sc", "--seccomp=mode=retain,execve"]);
    assert_eq!(o.status.code(), Some(128 + libc::SIGSYS), "{}", err(&o));
    // @appc.io/all: no filter.
    let o = f.run(&[
        "run",
        "example.com/sc",
        "--seccomp=mode=retain,@appc.io/all",
    ]);
    assert!(out(&o).starts_with("Seccomp:\t0\n"), "{}", out(&o));
    let o = f.run(&["run", "example.com/sc", "--seccomp=mode=remove,nosuchcall"]);
    assert_eq!(o.status.code(), Some(254));
    assert!(err(&o).contains("nosuchcall"), "{}", err(&o));
}

#[test]
fn pod_manifest_with_sysctl() {
    let Some(f) = fixture() else { return };
    f.sh_image("example.com/sysctl", "cat /proc/sys/net/ipv4/ip_forward");
    let o = f.run(&["prepare", "example.com/sysctl"]);
    let uuid = out(&o).trim().to_string();
    let mut m: serde_json::Value =
        serde_json::from_slice(&f.run(&["cat-manifest", &uuid]).stdout).unwrap();
    m["isolators"] = serde_json::json!([
        {"name": "os/unix/sysctl", "value": {"net.ipv4.ip_forward": "1"}}
    ]);
    let path = f.tmp.path().join("pod.json");
    fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    let o = f.run(&["run", "--pod-manifest", path.to_str().unwrap()]);
    assert_eq!(out(&o), "1\n", "{}", err(&o));
    // Only net.* keys, and never on the host's network namespace.
    m["isolators"][0]["value"] = serde_json::json!({"kernel.panic": "1"});
    fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    let o = f.run(&["run", "--pod-manifest", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(254));
    assert!(err(&o).contains("only net.*"), "{}", err(&o));
    m["isolators"][0]["value"] = serde_json::json!({"net.ipv4.ip_forward": "1"});
    fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    let o = f.run(&[
        "run",
        "--net=host",
        "--pod-manifest",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(254));
}

#[test]
fn stop_kills_after_grace_and_enter_joins_cgroups() {
    let Some(mut f) = fixture() else { return };
    f.sh_image(
        "example.com/stubborn",
        "trap '' TERM; while true; do sleep 0.1; done",
    );
    let (idx, uuid) = f.start(&["--grace=500ms", "example.com/stubborn", "--memory=256Mi"]);
    let o = f.run(&[
        "enter",
        &uuid,
        "/bin/sh",
        "-c",
        "grep -c /acrun/ /proc/self/cgroup",
    ]);
    assert_ne!(out(&o).trim(), "0", "{}{}", out(&o), err(&o));
    assert!(o.status.success(), "{}", err(&o));
    let t0 = Instant::now();
    f.run(&["stop", &uuid]);
    let o = f.wait(idx);
    assert_eq!(o.status.code(), Some(137), "{}", err(&o));
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert!(
        err(&o).contains("isolators enforced: resource/memory"),
        "{}",
        err(&o)
    );
}

#[test]
fn acnet_network_and_metadata_through_the_gateway() {
    let Some(f) = fixture() else { return };
    let acnet = std::path::Path::new(env!("CARGO_BIN_EXE_acrun")).with_file_name("acnet");
    if !acnet.exists() {
        eprintln!("skipping: acnet is not built (cargo build --workspace --bins)");
        return;
    }
    // A network of our own (no NAT, no default route), state and nft table in temp places.
    let conf = f.tmp.path().join("net.d");
    fs::create_dir(&conf).unwrap();
    fs::write(
        conf.join("t.conf"),
        r#"{"cniVersion":"1.0.0","name":"acruntest","type":"acnet-ptp","subnet":"172.31.250.0/24","ipMasq":false,"defaultRoute":false}"#,
    )
    .unwrap();
    let data = f.tmp.path().join("netdata");
    let table = format!("acnet_t{}", std::process::id());
    f.sh_image(
        "example.com/net",
        "grep -c 172.31.250. /proc/net/fib_trie >/dev/null && echo has-address; \
         wget -qO- $AC_METADATA_URL/acMetadata/v1/pod/uuid; echo",
    );
    let envs = [
        ("ACNET_DATA_DIR", data.as_os_str()),
        ("ACNET_CONFIG_DIR", conf.as_os_str()),
        (
            "ACNET_VENDOR_CONFIG_DIR",
            f.tmp.path().join("none").into_os_string().leak(),
        ),
        ("ACNET_NFT_TABLE", std::ffi::OsStr::new(&table)),
    ];
    let uuid_file = f.tmp.path().join("uuid");
    let o = f
        .acrun()
        .args(["run", "--net=acruntest", "--uuid-file-save"])
        .arg(&uuid_file)
        .arg("example.com/net")
        .envs(envs)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let uuid = fs::read_to_string(&uuid_file).unwrap();
    assert_eq!(
        out(&o),
        format!("has-address\n{}\n", uuid.trim()),
        "{}",
        err(&o)
    );
    // acnet del ran: no pod record left, the namespace file is gone.
    let ls = std::process::Command::new(&acnet)
        .args(["ls", "--json"])
        .envs(envs)
        .output()
        .unwrap();
    assert_eq!(out(&ls), "", "{}", err(&ls));
    assert!(!f.pods.join(uuid.trim()).join("netns").exists());
    let _ = std::process::Command::new("nft")
        .args(["delete", "table", "inet", &table])
        .output();
}

#[test]
fn dns_and_interactive_stdin() {
    let Some(f) = fixture() else { return };
    f.sh_image("example.com/dns", "cat /etc/resolv.conf; cat");
    let mut c = f.acrun();
    c.args([
        "run",
        "--interactive",
        "--dns",
        "192.0.2.53",
        "example.com/dns",
    ])
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"typed\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(out(&o), "nameserver 192.0.2.53\ntyped\n", "{}", err(&o));
    // Without --interactive the app reads nothing.
    let o = f.run(&["run", "example.com/dns"]);
    assert!(o.status.success());
    assert!(!out(&o).contains("typed"));
}

#[test]
fn interactive_on_a_terminal_gets_a_pty() {
    let Some(f) = fixture() else { return };
    f.image(
        "example.com/tty",
        serde_json::json!({"exec": ["/bin/sh", "-i"], "user": "0", "group": "0"}),
        |_| {},
    );
    // script(1) gives acrun a terminal; the shell in the pod reads our commands from it, on a
    // pty of the pod's own (another device than acrun's terminal, so the pod can never inject
    // input into the user's terminal).
    let line = format!(
        "stat -L -c outer-%t:%T /proc/self/fd/0; exec {} --dir {} --store-dir {} run --interactive example.com/tty",
        env!("CARGO_BIN_EXE_acrun"),
        f.pods.display(),
        f.store.display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_remove("ACRUN_DIR")
        .env_remove("ACSTORE_DIR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1) from bsdutils");
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || {
        use std::io::Write;
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let _ = stdin.write_all(b"[ -t 0 ] && [ -t 1 ] && echo tty-$((40+2))\n");
        let _ = stdin.write_all(b"stat -L -c inner-%t:%T /proc/self/fd/0\n");
        std::thread::sleep(std::time::Duration::from_millis(500));
        let _ = stdin.write_all(b"exit 5\n");
        std::thread::sleep(std::time::Duration::from_millis(2000));
    });
    let o = child.wait_with_output().unwrap();
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("tty-42"), "{s}");
    assert_eq!(o.status.code(), Some(5), "{s}");
    let dev = |tag: &str| {
        let i = s.rfind(tag).unwrap_or_else(|| panic!("no {tag} in {s}")) + tag.len();
        s[i..]
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert_ne!(
        dev("outer-"),
        dev("inner-"),
        "the pod shares acrun's terminal: {s}"
    );
}
