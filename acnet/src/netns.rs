//! Network namespaces given by path: checking that a path is one, and running work inside it
//! on a short-lived thread so the calling thread never changes namespace.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};

/// `statfs` magic of the nsfs filesystem that namespace files live on.
const NSFS_MAGIC: libc::c_long = 0x6e73_6673;
/// `getsockopt` option giving a socket's network namespace cookie (Linux 5.14).
const SO_NETNS_COOKIE: libc::c_int = 71;
/// `statfs` magic of procfs (`/proc/PID/ns/net` before the link is followed).
const PROC_MAGIC: libc::c_long = 0x9fa0;

/// Why a namespace could not be used.
#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    /// The path does not exist (any more).
    #[error("network namespace {0} does not exist")]
    Gone(PathBuf),
    /// The path exists but is no namespace.
    #[error("{0} is not a network namespace")]
    NotNetns(PathBuf),
    /// Opening or entering failed.
    #[error("network namespace {path}: {source}")]
    Io {
        /// The namespace path.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
}

/// An open network namespace.
pub struct Netns {
    file: File,
    path: PathBuf,
}

impl Netns {
    /// Opens the namespace at `path`, checking that it is one.
    pub fn open(path: &Path) -> Result<Self, NetnsError> {
        let file = File::open(path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                NetnsError::Gone(path.to_owned())
            } else {
                NetnsError::Io {
                    path: path.to_owned(),
                    source: e,
                }
            }
        })?;
        let magic = fs_magic(&file).map_err(|source| NetnsError::Io {
            path: path.to_owned(),
            source,
        })?;
        if magic != NSFS_MAGIC && magic != PROC_MAGIC {
            return Err(NetnsError::NotNetns(path.to_owned()));
        }
        Ok(Netns {
            file,
            path: path.to_owned(),
        })
    }

    /// The path it was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The namespace's identity: its kernel cookie, which is never reused (inode numbers of
    /// nsfs files are), so a path that now names another namespace, such as a
    /// `/proc/PID/ns/net` whose PID was reused or a re-created bind mount, is told apart.
    pub fn id(&self) -> Result<String, NetnsError> {
        let cookie = self.run(|| {
            // SAFETY: plain socket calls on a descriptor this closure owns and closes.
            unsafe {
                let fd = libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
                if fd < 0 {
                    return Err(io::Error::last_os_error());
                }
                let mut cookie: u64 = 0;
                let mut len = std::mem::size_of::<u64>() as libc::socklen_t;
                let rc = libc::getsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    SO_NETNS_COOKIE,
                    (&mut cookie as *mut u64).cast(),
                    &mut len,
                );
                let err = io::Error::last_os_error();
                libc::close(fd);
                if rc != 0 {
                    return Err(err);
                }
                Ok(cookie)
            }
        })?;
        cookie
            .map(|c| format!("cookie:{c}"))
            .map_err(|source| NetnsError::Io {
                path: self.path.clone(),
                source,
            })
    }

    /// The namespace file, for `IFLA_NET_NS_FD`.
    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.file.as_fd()
    }

    /// Runs `f` on a new thread that has joined this namespace; sockets it opens stay bound
    /// to the namespace after it returns.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, NetnsError> {
        let fd = self.file.as_raw_fd();
        std::thread::scope(|s| {
            s.spawn(move || {
                // SAFETY: fd is an open namespace file owned by self for the whole scope.
                if unsafe { libc::setns(fd, libc::CLONE_NEWNET) } != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(f())
            })
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("namespace worker thread panicked")))
        })
        .map_err(|source| NetnsError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// Whether `path` still names a network namespace (a bind mount or `/proc/PID/ns/net`) and,
/// when `id` is given, the same one as when it was recorded.
pub fn exists(path: &Path, id: Option<&str>) -> bool {
    match Netns::open(path) {
        Ok(ns) => id.is_none_or(|want| ns.id().is_ok_and(|have| have == want)),
        Err(_) => false,
    }
}

fn fs_magic(file: &File) -> io::Result<libc::c_long> {
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: st is a valid out-pointer and the fd is open.
    if unsafe { libc::fstatfs(file.as_raw_fd(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st.f_type as libc::c_long)
}

/// Writes a sysctl under `/proc/sys` in the calling thread's network namespace.
pub fn write_sysctl(key: &str, value: &str) -> io::Result<()> {
    let path = Path::new("/proc/sys").join(key.replace('.', "/"));
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current.trim() == value {
        return Ok(());
    }
    std::fs::write(&path, value)
}
