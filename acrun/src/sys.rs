//! Thin checked wrappers over the Linux calls acrun needs that rustix does not offer.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

/// A path as a C string (paths from the system never hold NUL; others are refused).
pub fn cpath(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn check(r: libc::c_int) -> io::Result<()> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// mount(2).
pub fn mount(
    src: Option<&Path>,
    target: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> io::Result<()> {
    let src = src.map(cpath).transpose()?;
    let target = cpath(target)?;
    let fstype = fstype
        .map(|s| CString::new(s).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL)))
        .transpose()?;
    let data = data
        .map(|s| CString::new(s).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL)))
        .transpose()?;
    // SAFETY: every pointer is a valid NUL-terminated string or null.
    check(unsafe {
        libc::mount(
            src.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            target.as_ptr(),
            fstype.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            flags,
            data.as_ref()
                .map_or(std::ptr::null(), |s| s.as_ptr().cast()),
        )
    })
}

/// umount2(2).
pub fn umount2(target: &Path, flags: libc::c_int) -> io::Result<()> {
    let t = cpath(target)?;
    // SAFETY: valid C string.
    check(unsafe { libc::umount2(t.as_ptr(), flags) })
}

/// In a mount namespace of its own, makes `fd`'s directory the root and drops the old one.
pub fn pivot_into(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: plain syscalls on a valid fd and static strings.
    unsafe {
        // Enter the directory first: unshare moves the cwd to the new namespace's copy of
        // its mount, while an fd would keep pointing into the old namespace.
        check(libc::fchdir(fd.as_raw_fd()))?;
        check(libc::unshare(libc::CLONE_NEWNS))?;
        let dot = c".";
        check(libc::syscall(libc::SYS_pivot_root, dot.as_ptr(), dot.as_ptr()) as libc::c_int)?;
        // The old root is stacked under the new one at "."; detach it so no host path stays.
        check(libc::umount2(dot.as_ptr(), libc::MNT_DETACH))?;
        check(libc::chdir(c"/".as_ptr()))?;
    }
    Ok(())
}

/// unshare(2).
pub fn unshare(flags: libc::c_int) -> io::Result<()> {
    // SAFETY: no pointers.
    check(unsafe { libc::unshare(flags) })
}

/// setns(2) on the namespace file at `path`.
pub fn setns_path(path: &Path, nstype: libc::c_int) -> io::Result<()> {
    let f = std::fs::File::open(path)?;
    // SAFETY: valid fd.
    check(unsafe { libc::setns(f.as_raw_fd(), nstype) })
}

/// sethostname(2).
pub fn sethostname(name: &str) -> io::Result<()> {
    // SAFETY: pointer and length of a live slice.
    check(unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) })
}

/// prctl(2) with integer arguments.
pub fn prctl(op: libc::c_int, a: libc::c_ulong, b: libc::c_ulong) -> io::Result<()> {
    // SAFETY: integer-only prctl operations.
    check(unsafe { libc::prctl(op, a, b, 0 as libc::c_ulong, 0 as libc::c_ulong) })
}

/// Opens (creating missing directories, 0755) the directory `rel` inside `root` without ever
/// leaving it: every component, symlinks included, resolves as if `root` were `/`.
pub fn mkdir_in_root(root: &OwnedFd, rel: &Path) -> io::Result<OwnedFd> {
    mkdir_in_root_depth(root, rel, 0)
}

fn is_symlink(dir: &OwnedFd, name: &std::ffi::OsStr) -> bool {
    rustix::fs::statat(dir, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
        .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode).is_symlink())
}

fn mkdir_in_root_depth(root: &OwnedFd, rel: &Path, depth: u32) -> io::Result<OwnedFd> {
    use rustix::fs::{Mode, OFlags, ResolveFlags};
    let mut done = std::path::PathBuf::from("/");
    let how = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut cur = rustix::fs::openat2(root, ".", flags, Mode::empty(), how)?;
    for c in rel.components() {
        let name = match c {
            Component::Normal(n) => n,
            _ => continue,
        };
        match rustix::fs::openat2(&cur, name, flags, Mode::empty(), how) {
            Ok(fd) => cur = fd,
            Err(rustix::io::Errno::NOENT) if is_symlink(&cur, name) => {
                // A dangling symlink: create its target, resolved inside the root too.
                if depth > 40 {
                    return Err(io::Error::from_raw_os_error(libc::ELOOP));
                }
                let target = rustix::fs::readlinkat(&cur, name, Vec::new())?;
                let target = Path::new(std::ffi::OsStr::from_bytes(target.as_bytes()));
                let full = if target.is_absolute() {
                    target.to_path_buf()
                } else {
                    done.join(target)
                };
                mkdir_in_root_depth(root, &full, depth + 1)?;
                cur = rustix::fs::openat2(&cur, name, flags, Mode::empty(), how)?;
            }
            Err(rustix::io::Errno::NOENT) => {
                // O_PATH fds cannot create; reopen this level for it.
                let dirfd = rustix::fs::openat2(
                    &cur,
                    ".",
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                    how,
                )?;
                match rustix::fs::mkdirat(&dirfd, name, Mode::from_raw_mode(0o755)) {
                    Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                    Err(e) => return Err(e.into()),
                }
                cur = rustix::fs::openat2(&cur, name, flags, Mode::empty(), how)?;
            }
            Err(e) => return Err(e.into()),
        }
        done.push(name);
    }
    Ok(cur)
}

/// Opens `rel` inside `root` (as with [`mkdir_in_root`]) with `flags`, creating a file when
/// `create` is set.
pub fn open_in_root(
    root: &OwnedFd,
    rel: &Path,
    flags: rustix::fs::OFlags,
    mode: u32,
) -> io::Result<OwnedFd> {
    use rustix::fs::{Mode, OFlags, ResolveFlags};
    let how = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    Ok(rustix::fs::openat2(
        root,
        rel,
        flags | OFlags::CLOEXEC,
        Mode::from_raw_mode(mode),
        how,
    )?)
}

/// The `/proc/self/fd/N` path of an fd, usable as a mount target that cannot be redirected.
pub fn fd_path(fd: &OwnedFd) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

/// A pipe whose both ends close on exec.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds is a two-int array.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 just returned these two fresh fds.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Blocks `signals` in the calling thread and returns the set.
pub fn block_signals(signals: &[libc::c_int]) -> io::Result<libc::sigset_t> {
    // SAFETY: sigset_t is plain data initialized by sigemptyset.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
        let r = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        if r != 0 {
            return Err(io::Error::from_raw_os_error(r));
        }
        Ok(set)
    }
}

/// Unblocks every signal in the calling thread.
pub fn unblock_all() -> io::Result<()> {
    // SAFETY: an empty set from sigemptyset.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        let r = libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        if r != 0 {
            return Err(io::Error::from_raw_os_error(r));
        }
    }
    Ok(())
}

/// Waits up to `timeout_ms` for one of the blocked `set`; `None` on timeout.
pub fn wait_signal(set: &libc::sigset_t, timeout_ms: u64) -> Option<libc::c_int> {
    let ts = libc::timespec {
        tv_sec: (timeout_ms / 1000) as libc::time_t,
        tv_nsec: ((timeout_ms % 1000) * 1_000_000) as libc::c_long,
    };
    // SAFETY: valid set and timespec; info may be null.
    let r = unsafe { libc::sigtimedwait(set, std::ptr::null_mut(), &ts) };
    (r > 0).then_some(r)
}

/// kill(2); a process already gone is not an error.
pub fn kill(pid: i32, sig: libc::c_int) -> io::Result<()> {
    // SAFETY: no pointers.
    let r = unsafe { libc::kill(pid, sig) };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::ESRCH) {
            return Err(e);
        }
    }
    Ok(())
}

/// Reaps one exited child without blocking: `(pid, shell-style status)`.
pub fn reap_any() -> Option<(i32, i32)> {
    let mut status = 0;
    // SAFETY: status is a valid int.
    let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    (pid > 0).then(|| (pid, shell_status(status)))
}

/// A wait status as a shell reports it: the exit code, or 128 + the signal.
pub fn shell_status(status: i32) -> i32 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        255
    }
}
