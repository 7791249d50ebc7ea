//! Starting the pod's init: a raw clone into new namespaces, then exec of our own binary
//! from a read-only bind mount of it.
//!
//! The read-only mount is the defence against the runc CVE-2019-5736 class: an app that
//! opens `/proc/1/exe` for writing gets EROFS instead of the host's acrun binary. It lives
//! only in the pod's private mount namespace.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;

use crate::init::{EVENT_FD, PLAN_FD};
use crate::sys::cpath;

/// How to start init.
pub struct InitSpawn<'a> {
    /// Our own binary.
    pub exe: PathBuf,
    /// CLONE_NEW* flags.
    pub flags: libc::c_int,
    /// A network namespace to join instead of making one.
    pub netns: Option<&'a OwnedFd>,
    /// Replaces init's stdin (non-interactive pods read /dev/null).
    pub stdin: Option<&'a OwnedFd>,
    /// A pty slave: init's controlling terminal and its stdin, stdout and stderr.
    pub tty: Option<&'a OwnedFd>,
    /// Read end of the plan pipe.
    pub plan: OwnedFd,
    /// Write end of the event pipe.
    pub events: OwnedFd,
}

fn high(fd: &OwnedFd) -> io::Result<i32> {
    // SAFETY: F_DUPFD_CLOEXEC on a valid fd.
    let r = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 10) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// The real path of the running binary.
pub fn self_exe() -> io::Result<PathBuf> {
    std::fs::read_link("/proc/self/exe")
}

impl InitSpawn<'_> {
    /// Clones the init process; returns its host pid.
    pub fn spawn(self) -> io::Result<i32> {
        let exe = cpath(&self.exe)?;
        let arg0 = CString::new("acrun").expect("static");
        let arg1 = CString::new("init").expect("static");
        let argv = [arg0.as_ptr(), arg1.as_ptr(), std::ptr::null()];
        let envp = [std::ptr::null::<libc::c_char>()];
        let plan_fd = high(&self.plan)?;
        let event_fd = high(&self.events)?;
        // Every fd the child uses goes above 10, clear of the 3 and 4 it dup2s onto.
        let netns = self.netns.map(high).transpose()?;
        let stdin = self.stdin.map(high).transpose()?;
        let tty = self.tty.map(high).transpose()?;
        let root = c"/";
        // SAFETY: a fork-like clone (no new stack, SIGCHLD to the parent). The child only
        // makes async-signal-safe system calls on data prepared above, then execs or exits.
        let pid = unsafe {
            libc::syscall(
                libc::SYS_clone,
                (self.flags | libc::SIGCHLD) as libc::c_ulong,
                0usize,
                0usize,
                0usize,
                0usize,
            )
        };
        if pid < 0 {
            let e = io::Error::last_os_error();
            // SAFETY: closing fds we own copies of.
            unsafe {
                for fd in [Some(plan_fd), Some(event_fd), netns, stdin, tty]
                    .into_iter()
                    .flatten()
                {
                    libc::close(fd);
                }
            }
            return Err(e);
        }
        if pid == 0 {
            // SAFETY: child side, see above.
            unsafe {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if libc::dup2(plan_fd, PLAN_FD) < 0 || libc::dup2(event_fd, EVENT_FD) < 0 {
                    libc::_exit(254);
                }
                if let Some(fd) = stdin
                    && libc::dup2(fd, 0) < 0
                {
                    libc::_exit(254);
                }
                if let Some(fd) = tty
                    && (libc::setsid() < 0
                        || libc::ioctl(fd, libc::TIOCSCTTY, 0) < 0
                        || libc::dup2(fd, 0) < 0
                        || libc::dup2(fd, 1) < 0
                        || libc::dup2(fd, 2) < 0)
                {
                    libc::_exit(254);
                }
                if let Some(fd) = netns
                    && libc::setns(fd, libc::CLONE_NEWNET) < 0
                {
                    libc::_exit(254);
                }
                if libc::mount(
                    std::ptr::null(),
                    root.as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ) < 0
                {
                    libc::_exit(254);
                }
                if libc::mount(
                    exe.as_ptr(),
                    exe.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null(),
                ) < 0
                    || libc::mount(
                        std::ptr::null(),
                        exe.as_ptr(),
                        std::ptr::null(),
                        libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
                        std::ptr::null(),
                    ) < 0
                {
                    libc::_exit(254);
                }
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
                libc::execve(exe.as_ptr(), argv.as_ptr(), envp.as_ptr());
                libc::_exit(254);
            }
        }
        // SAFETY: closing the parent's copies.
        unsafe {
            for fd in [Some(plan_fd), Some(event_fd), netns, stdin, tty]
                .into_iter()
                .flatten()
            {
                libc::close(fd);
            }
        }
        Ok(pid as i32)
    }
}
