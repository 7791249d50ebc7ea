//! Building each app's root inside the pod's mount namespace (run by init), and moving a
//! process into it (run in the app's child just before exec).
//!
//! Every mount target inside an image is opened with `openat2(RESOLVE_IN_ROOT)` and mounted
//! on through its `/proc/self/fd` path, so an image's symlinks cannot point a mount at a
//! host path.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::fs::{Mode, OFlags};

use crate::error::{Error, Result, io_err};
use crate::plan::{AppPlan, Plan};
use crate::sys::{self, fd_path, mkdir_in_root, mount, open_in_root};

const NOSUID: libc::c_ulong = libc::MS_NOSUID;
const NODEV: libc::c_ulong = libc::MS_NODEV;
const NOEXEC: libc::c_ulong = libc::MS_NOEXEC;

/// /proc files hidden behind /dev/null (the runc/rkt list).
pub const MASKED_FILES: &[&str] = &[
    "kcore",
    "keys",
    "latency_stats",
    "timer_list",
    "timer_stats",
    "sched_debug",
    "sysrq-trigger",
];
/// /proc directories hidden behind an empty read-only tmpfs.
pub const MASKED_DIRS: &[&str] = &["acpi", "scsi"];
/// /proc directories made read-only.
pub const READONLY_DIRS: &[&str] = &["bus", "fs", "irq", "sys"];

fn ctx(what: String) -> impl FnOnce(std::io::Error) -> Error {
    io_err(what)
}

/// Mounts the app's root: overlayfs over the rendered tree (a copy when overlayfs fails).
fn mount_root(app: &AppPlan, no_overlay: bool) -> Result<()> {
    let root = app.rootfs();
    let opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        app.lower.display(),
        app.dir.join("upper").display(),
        app.dir.join("work").display()
    );
    if opts.matches(',').count() != 2 || opts.contains(':') {
        return Err(Error::Invalid(format!(
            "app {}: paths with ',' or ':' cannot be given to overlayfs",
            app.name
        )));
    }
    // nodev wherever an app can write: CAP_MKNOD (in the spec's default set) must not turn
    // into reading the host's disks through a node made in the image or a volume.
    let overlay = if no_overlay {
        Err(std::io::Error::other("--no-overlay"))
    } else {
        mount(
            Some(Path::new("overlay")),
            &root,
            Some("overlay"),
            NODEV,
            Some(&opts),
        )
    };
    if let Err(e) = overlay {
        if !no_overlay {
            eprintln!(
                "acrun: app {}: overlayfs: {e}; copying the tree instead",
                app.name
            );
        }
        let st = std::process::Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", app.lower.display()))
            .arg(&root)
            .status()
            .map_err(ctx("cp".into()))?;
        if !st.success() {
            return Err(Error::Invalid(format!(
                "app {}: copying the tree failed",
                app.name
            )));
        }
        mount(Some(&root), &root, None, libc::MS_BIND, None)
            .map_err(ctx(format!("bind {}", root.display())))?;
        mount(
            None,
            &root,
            None,
            libc::MS_BIND | libc::MS_REMOUNT | NODEV,
            None,
        )
        .map_err(ctx(format!("nodev {}", root.display())))?;
    }
    Ok(())
}

/// Puts the host's device `host` at `/dev/<name>` by bind mount: the pod's /dev is nodev, so
/// only these nodes work there.
fn bind_dev(dev: &OwnedFd, name: &str, host: &str) -> Result<()> {
    let fd: OwnedFd = rustix::fs::openat(
        dev,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o666),
    )
    .map_err(|e| Error::Io {
        what: format!("create /dev/{name}"),
        source: e.into(),
    })?;
    bind_onto(Path::new(host), &fd, 0, name)
}

fn bind_onto(src: &Path, target: &OwnedFd, flags: libc::c_ulong, what: &str) -> Result<()> {
    mount(
        Some(src),
        &fd_path(target),
        None,
        libc::MS_BIND | flags,
        None,
    )
    .map_err(ctx(format!("bind {} on {what}", src.display())))
}

fn remount_ro(root: &OwnedFd, rel: &str, extra: libc::c_ulong) -> Result<()> {
    let fd = mkdir_in_root(root, Path::new(rel)).map_err(ctx(format!("open {rel}")))?;
    mount(
        None,
        &fd_path(&fd),
        None,
        libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | extra,
        None,
    )
    .map_err(ctx(format!("remount {rel} read-only")))
}

fn write_if_missing(root: &OwnedFd, rel: &str, content: &str) -> Result<()> {
    match open_in_root(root, Path::new(rel), OFlags::PATH, 0) {
        Ok(_) => return Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
        Err(e) => {
            return Err(Error::Io {
                what: rel.into(),
                source: e,
            });
        }
    }
    if let Some(parent) = Path::new(rel).parent() {
        mkdir_in_root(root, parent).map_err(ctx(format!("mkdir {}", parent.display())))?;
    }
    let fd = open_in_root(
        root,
        Path::new(rel),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW,
        0o644,
    )
    .map_err(ctx(format!("create {rel}")))?;
    std::fs::File::from(fd)
        .write_all(content.as_bytes())
        .map_err(ctx(format!("write {rel}")))
}

/// Mounts /proc (with its masks), /sys, /dev and friends, the volumes and the generated /etc
/// files into the app's root; then makes the root read-only if asked.
pub fn setup_app(plan: &Plan, app: &AppPlan, shm: &Path) -> Result<()> {
    mount_root(app, plan.no_overlay)?;
    let rootfs = app.rootfs();
    let root: OwnedFd = std::fs::File::open(&rootfs)
        .map_err(ctx(rootfs.display().to_string()))?
        .into();
    let dir = |rel: &str| mkdir_in_root(&root, Path::new(rel)).map_err(ctx(format!("mkdir {rel}")));

    let proc_fd = dir("proc")?;
    mount(
        Some(Path::new("proc")),
        &fd_path(&proc_fd),
        Some("proc"),
        NOSUID | NODEV | NOEXEC,
        None,
    )
    .map_err(ctx("mount /proc".into()))?;
    for f in MASKED_FILES {
        if let Ok(fd) = open_in_root(&root, &Path::new("proc").join(f), OFlags::PATH, 0) {
            bind_onto(Path::new("/dev/null"), &fd, 0, f)?;
        }
    }
    for d in MASKED_DIRS {
        if let Ok(fd) = open_in_root(
            &root,
            &Path::new("proc").join(d),
            OFlags::PATH | OFlags::DIRECTORY,
            0,
        ) {
            mount(
                Some(Path::new("tmpfs")),
                &fd_path(&fd),
                Some("tmpfs"),
                libc::MS_RDONLY | NOSUID | NODEV | NOEXEC,
                Some("size=0"),
            )
            .map_err(ctx(format!("mask /proc/{d}")))?;
        }
    }
    for d in READONLY_DIRS {
        let rel = format!("proc/{d}");
        if open_in_root(&root, Path::new(&rel), OFlags::PATH | OFlags::DIRECTORY, 0).is_ok() {
            let fd = dir(&rel)?;
            bind_onto(&fd_path(&fd), &fd, libc::MS_REC, &rel)?;
            remount_ro(&root, &rel, NOSUID | NODEV | NOEXEC)?;
        }
    }

    let sys_fd = dir("sys")?;
    if mount(
        Some(Path::new("sysfs")),
        &fd_path(&sys_fd),
        Some("sysfs"),
        libc::MS_RDONLY | NOSUID | NODEV | NOEXEC,
        None,
    )
    .is_err()
    {
        bind_onto(Path::new("/sys"), &sys_fd, libc::MS_REC, "/sys")?;
        remount_ro(&root, "sys", NOSUID | NODEV | NOEXEC)?;
    }

    let dev_mp = dir("dev")?;
    mount(
        Some(Path::new("tmpfs")),
        &fd_path(&dev_mp),
        Some("tmpfs"),
        NOSUID | NODEV | libc::MS_STRICTATIME,
        Some("mode=755,size=65536k"),
    )
    .map_err(ctx("mount /dev".into()))?;
    let dev = open_in_root(
        &root,
        Path::new("dev"),
        OFlags::RDONLY | OFlags::DIRECTORY,
        0,
    )
    .map_err(ctx("open /dev".into()))?;
    for name in ["null", "zero", "full", "random", "urandom", "tty"] {
        bind_dev(&dev, name, &format!("/dev/{name}"))?;
    }
    // The host console must not be reachable: /dev/console is the null device here.
    bind_dev(&dev, "console", "/dev/null")?;
    for (link, to) in [
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        rustix::fs::symlinkat(to, &dev, link).map_err(|e| Error::Io {
            what: format!("symlink /dev/{link}"),
            source: e.into(),
        })?;
    }
    let pts = dir("dev/pts")?;
    mount(
        Some(Path::new("devpts")),
        &fd_path(&pts),
        Some("devpts"),
        NOSUID | NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620,gid=5"),
    )
    .map_err(ctx("mount /dev/pts".into()))?;
    let shm_fd = dir("dev/shm")?;
    bind_onto(shm, &shm_fd, 0, "/dev/shm")?;
    let mq = dir("dev/mqueue")?;
    mount(
        Some(Path::new("mqueue")),
        &fd_path(&mq),
        Some("mqueue"),
        NOSUID | NODEV | NOEXEC,
        None,
    )
    .map_err(ctx("mount /dev/mqueue".into()))?;

    write_if_missing(&root, "etc/hosts", &plan.hosts)?;
    if let Some(r) = &plan.resolv {
        write_if_missing(&root, "etc/resolv.conf", r)?;
    }
    write_if_missing(&root, "etc/hostname", &format!("{}\n", plan.hostname))?;

    for b in &app.binds {
        let rel = b.target.trim_start_matches('/');
        let target = if b.source.is_dir() {
            dir(rel)?
        } else {
            if let Some(parent) = Path::new(rel).parent() {
                mkdir_in_root(&root, parent).map_err(ctx(format!("mkdir {}", parent.display())))?;
            }
            if let Err(e) = open_in_root(
                &root,
                Path::new(rel),
                OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW,
                0o644,
            ) {
                return Err(Error::Io {
                    what: format!("create {}", b.target),
                    source: e,
                });
            }
            open_in_root(&root, Path::new(rel), OFlags::PATH, 0).map_err(ctx(b.target.clone()))?
        };
        let rec = if b.recursive { libc::MS_REC } else { 0 };
        bind_onto(&b.source, &target, rec, &b.target)?;
        let ro = if b.read_only { libc::MS_RDONLY } else { 0 };
        let fd =
            open_in_root(&root, Path::new(rel), OFlags::PATH, 0).map_err(ctx(b.target.clone()))?;
        mount(
            None,
            &fd_path(&fd),
            None,
            libc::MS_BIND | libc::MS_REMOUNT | ro | NOSUID | NODEV,
            None,
        )
        .map_err(ctx(format!("volume {} flags", b.volume)))?;
        if b.read_only && b.recursive {
            // The remount above only covers the top mount; submounts of a recursive bind stay
            // writable unless the attribute is set on the whole tree.
            set_tree_read_only(&fd)
                .map_err(ctx(format!("volume {} read-only submounts", b.volume)))?;
        }
    }

    if open_in_root(
        &root,
        Path::new(&app.cwd),
        OFlags::PATH | OFlags::DIRECTORY,
        0,
    )
    .is_err()
    {
        return Err(Error::Invalid(format!(
            "app {}: working directory {} does not exist in the image",
            app.name, app.cwd
        )));
    }
    if app.read_only {
        mount(
            None,
            &rootfs,
            None,
            libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | NODEV,
            None,
        )
        .map_err(ctx("read-only root".into()))?;
    }
    Ok(())
}

/// What a child needs to enter an app, opened and computed before fork.
pub struct Entry {
    root: OwnedFd,
    caps: crate::caps::Prepared,
    creds: crate::plan::Creds,
    cwd: std::ffi::CString,
    no_new_privs: bool,
    oom: Option<std::ffi::CString>,
    cgroups: Vec<std::ffi::CString>,
    seccomp: Option<crate::seccomp::Filter>,
}

impl Entry {
    /// Prepares entering `app`'s root (mounted in the current mount namespace).
    pub fn new(app: &AppPlan) -> Result<Entry> {
        let rootfs = app.rootfs();
        let root: OwnedFd = std::fs::File::open(&rootfs)
            .map_err(ctx(rootfs.display().to_string()))?
            .into();
        Ok(Entry {
            root,
            caps: crate::caps::prepare(&app.security.caps),
            creds: app.creds.clone(),
            cwd: sys::cpath(Path::new(&app.cwd)).map_err(ctx(app.cwd.clone()))?,
            no_new_privs: app.security.no_new_privs,
            oom: app
                .security
                .oom_score_adj
                .map(|v| std::ffi::CString::new(v.to_string()).expect("digits")),
            seccomp: app.security.seccomp.clone(),
            cgroups: app
                .cgroup_procs
                .iter()
                .map(|p| sys::cpath(p))
                .collect::<std::io::Result<_>>()
                .map_err(ctx("cgroup path".into()))?,
        })
    }

    /// In the child: own mount namespace, pivot into the app's root, apply oom score,
    /// capabilities, credentials, cwd and no-new-privileges. Only system calls.
    pub fn enter(&self) -> std::io::Result<()> {
        // Join the app's cgroups while their files are still reachable.
        for p in &self.cgroups {
            write_file(p, b"0")?;
        }
        sys::pivot_into(&self.root)?;
        if let Some(v) = &self.oom {
            write_file(c"/proc/self/oom_score_adj", v.as_bytes())?;
        }
        crate::caps::drop_bounding(&self.caps)?;
        // Installed while CAP_SYS_ADMIN is still effective, so no-new-privs stays optional.
        if let Some(f) = &self.seccomp {
            f.install()?;
        }
        let c = &self.creds;
        // SAFETY: setgroups reads `groups` for its length; the rest take integers.
        unsafe {
            if libc::setgroups(c.groups.len(), c.groups.as_ptr()) < 0
                || libc::setgid(c.gid) < 0
                || libc::setuid(c.uid) < 0
            {
                return Err(std::io::Error::last_os_error());
            }
        }
        crate::caps::limit_sets(&self.caps)?;
        // SAFETY: valid C string.
        if unsafe { libc::chdir(self.cwd.as_ptr()) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if self.no_new_privs {
            sys::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0)?;
        }
        // Init blocks the signals it waits for; the app must start with none blocked.
        sys::unblock_all()
    }
}

/// open + write + close, with nothing allocated (safe between fork and exec).
fn write_file(path: &std::ffi::CStr, data: &[u8]) -> std::io::Result<()> {
    // SAFETY: a NUL-terminated path and a live buffer.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let r = libc::write(fd, data.as_ptr().cast(), data.len());
        let e = std::io::Error::last_os_error();
        libc::close(fd);
        if r < 0 {
            return Err(e);
        }
    }
    Ok(())
}

/// Makes a mount and every mount below it read-only (`mount_setattr` with `AT_RECURSIVE`).
fn set_tree_read_only(fd: &impl std::os::fd::AsRawFd) -> std::io::Result<()> {
    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }
    const MOUNT_ATTR_RDONLY: u64 = 0x1;
    const AT_RECURSIVE: libc::c_uint = 0x8000;
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_RDONLY,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: the path is a valid empty C string, attr lives across the call and its size is
    // passed exactly, as the syscall requires.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            fd.as_raw_fd(),
            c"".as_ptr(),
            (libc::AT_EMPTY_PATH as libc::c_uint) | AT_RECURSIVE,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
