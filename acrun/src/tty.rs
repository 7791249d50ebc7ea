//! `--interactive` on a terminal: the pod gets a pseudo-terminal of its own, the user's
//! terminal is put in raw mode and bytes are relayed both ways until the pod ends.
//!
//! The pod's init becomes a session leader with the pty as its controlling terminal, so a shell
//! in the app gets job control and Ctrl-C reaches the app, never acrun.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::thread::JoinHandle;

/// A pty whose slave side is for the pod and whose master side we relay.
pub struct Pty {
    /// The master side (ours).
    pub master: OwnedFd,
    /// The slave side (the pod's stdin, stdout and stderr).
    pub slave: OwnedFd,
}

/// Opens a pty sized like the terminal on `like` (our stdin).
pub fn open(like: &impl AsRawFd) -> io::Result<Pty> {
    let (mut m, mut s) = (-1, -1);
    // SAFETY: winsize is plain data; openpty writes the two fds it returns.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let have_size = unsafe { libc::ioctl(like.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) } == 0;
    let wsp = if have_size {
        &mut ws as *mut libc::winsize
    } else {
        std::ptr::null_mut()
    };
    // SAFETY: valid out-pointers; null name and termios are allowed.
    if unsafe { libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), wsp) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: openpty returned two new fds that we now own.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(m), OwnedFd::from_raw_fd(s)) };
    for fd in [&master, &slave] {
        // SAFETY: setting FD_CLOEXEC on an fd we own.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok(Pty { master, slave })
}

/// The user's terminal in raw mode; the old mode comes back on drop (also on errors).
pub struct RawMode {
    fd: i32,
    old: libc::termios,
}

impl RawMode {
    /// Puts the terminal on `fd` in raw mode.
    pub fn enter(fd: &impl AsRawFd) -> io::Result<RawMode> {
        let fd = fd.as_raw_fd();
        // SAFETY: termios is plain data filled by tcgetattr.
        let mut old: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut old) } < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut raw = old;
        // SAFETY: cfmakeraw only edits the struct it is given.
        unsafe { libc::cfmakeraw(&mut raw) };
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(RawMode { fd, old })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restoring the attributes read in `enter` on the same fd.
        unsafe { libc::tcsetattr(self.fd, libc::TCSAFLUSH, &self.old) };
    }
}

/// Relays the user's stdin to the pty and the pty to the user's stdout. The output thread
/// ends when the pod's last holder of the slave side exits (reads give EIO); join it to flush
/// everything the pod wrote. The input thread is left to end with the process.
pub fn relay(master: OwnedFd) -> io::Result<JoinHandle<()>> {
    let mut to_pod = File::from(master.try_clone()?);
    // Raw descriptors, not io::stdin()/io::stdout(): the caller may hold their locks.
    let mut stdin = appc::fsutil::stdin_file()?;
    let mut out = appc::fsutil::stdout_file()?;
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdin.read(&mut buf) {
            if n == 0 || to_pod.write_all(&buf[..n]).is_err() {
                break;
            }
        }
    });
    let mut from_pod = File::from(master);
    Ok(std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match from_pod.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if out.write_all(&buf[..n]).and_then(|_| out.flush()).is_err() {
                        break;
                    }
                }
            }
        }
    }))
}
