//! Seccomp filters for the `os/linux/seccomp-{retain,remove}-set` isolators, and a default
//! filter (dangerous calls return EPERM) when an app has neither. Classic BPF, built here.

use std::io;

use appc::schema::{IsolatorValue, Isolators};

#[cfg(target_arch = "x86_64")]
#[path = "syscalls_x86_64.rs"]
mod table;

const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_ERRNO: u32 = 0x0005_0000;
const RET_ALLOW: u32 = 0x7fff_0000;
const X32_BIT: u32 = 0x4000_0000;

/// Calls blocked (EPERM) by the default filter: kernel modules, kexec, reboot, swap,
/// clocks, keyrings, bpf/perf, new mount API and namespaces, handle-based opens, ptrace
/// helpers.
pub const DEFAULT_BLOCKED: &[&str] = &[
    "acct",
    "add_key",
    "adjtimex",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "create_module",
    "delete_module",
    "finit_module",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "get_kernel_syms",
    "init_module",
    "ioperm",
    "iopl",
    "kcmp",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "lookup_dcookie",
    "mount",
    "mount_setattr",
    "move_mount",
    "name_to_handle_at",
    "nfsservctl",
    "open_by_handle_at",
    "open_tree",
    "perf_event_open",
    "pivot_root",
    "process_vm_readv",
    "process_vm_writev",
    "query_module",
    "quotactl",
    "reboot",
    "request_key",
    "setns",
    "settimeofday",
    "swapoff",
    "swapon",
    "syslog",
    "umount2",
    "unshare",
    "uselib",
    "userfaultfd",
    "vhangup",
    "_sysctl",
];

/// Calls a retain-set always allows, so that acrun can finish starting the app and the
/// app can exit.
pub const ALWAYS_ALLOWED: &[&str] = &[
    "execve",
    "exit",
    "exit_group",
    "rt_sigreturn",
    "rt_sigprocmask",
    "setgroups",
    "setgid",
    "setuid",
    "capget",
    "capset",
    "chdir",
    "prctl",
    "futex",
    "brk",
    "mmap",
    "munmap",
    "mprotect",
    "arch_prctl",
    "set_tid_address",
    "close",
    "read",
    "write",
];

/// The number of a system call name on this architecture.
pub fn number(name: &str) -> Option<u32> {
    #[cfg(target_arch = "x86_64")]
    {
        table::SYSCALLS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = name;
        None
    }
}

/// Errno names the spec requires (POSIX.1-2001 / C99), as numbers.
pub fn errno(name: &str) -> Option<u32> {
    let v = match name {
        "E2BIG" => libc::E2BIG,
        "EACCES" => libc::EACCES,
        "EADDRINUSE" => libc::EADDRINUSE,
        "EAGAIN" => libc::EAGAIN,
        "EBADF" => libc::EBADF,
        "EBUSY" => libc::EBUSY,
        "ECHILD" => libc::ECHILD,
        "EDOM" => libc::EDOM,
        "EEXIST" => libc::EEXIST,
        "EFAULT" => libc::EFAULT,
        "EFBIG" => libc::EFBIG,
        "EINTR" => libc::EINTR,
        "EINVAL" => libc::EINVAL,
        "EIO" => libc::EIO,
        "EISDIR" => libc::EISDIR,
        "EMFILE" => libc::EMFILE,
        "EMLINK" => libc::EMLINK,
        "ENAMETOOLONG" => libc::ENAMETOOLONG,
        "ENFILE" => libc::ENFILE,
        "ENODEV" => libc::ENODEV,
        "ENOENT" => libc::ENOENT,
        "ENOEXEC" => libc::ENOEXEC,
        "ENOMEM" => libc::ENOMEM,
        "ENOSPC" => libc::ENOSPC,
        "ENOSYS" => libc::ENOSYS,
        "ENOTDIR" => libc::ENOTDIR,
        "ENOTEMPTY" => libc::ENOTEMPTY,
        "ENOTSUP" => libc::ENOTSUP,
        "ENOTTY" => libc::ENOTTY,
        "ENXIO" => libc::ENXIO,
        "EPERM" => libc::EPERM,
        "EPIPE" => libc::EPIPE,
        "ERANGE" => libc::ERANGE,
        "EROFS" => libc::EROFS,
        "ESPIPE" => libc::ESPIPE,
        "ESRCH" => libc::ESRCH,
        "ETIMEDOUT" => libc::ETIMEDOUT,
        "EXDEV" => libc::EXDEV,
        _ => return None,
    };
    Some(v as u32)
}

/// One BPF instruction (`struct sock_filter`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Insn {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

const fn stmt(code: u16, k: u32) -> Insn {
    Insn {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}
const fn jeq(k: u32, jt: u8, jf: u8) -> Insn {
    Insn {
        code: 0x15,
        jt,
        jf,
        k,
    }
}
const LD_ABS: u16 = 0x20;
const RET: u16 = 0x06;
const JGE: u16 = 0x35;

/// A filter: the listed calls get `listed`, the rest `default`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Filter {
    insns: Vec<Insn>,
}

impl Filter {
    fn build(nrs: &[u32], listed: u32, default: u32) -> Filter {
        let mut v = vec![
            stmt(LD_ABS, 4),
            jeq(AUDIT_ARCH_X86_64, 1, 0),
            stmt(RET, RET_KILL_PROCESS),
            stmt(LD_ABS, 0),
            Insn {
                code: JGE,
                jt: 0,
                jf: 1,
                k: X32_BIT,
            },
            stmt(RET, RET_KILL_PROCESS),
        ];
        for &nr in nrs {
            v.push(jeq(nr, 0, 1));
            v.push(stmt(RET, listed));
        }
        v.push(stmt(RET, default));
        Filter { insns: v }
    }

    /// Installs the filter on the calling thread (needs CAP_SYS_ADMIN or no-new-privs).
    pub fn install(&self) -> io::Result<()> {
        #[repr(C)]
        struct Prog {
            len: u16,
            filter: *const Insn,
        }
        let prog = Prog {
            len: self.insns.len() as u16,
            filter: self.insns.as_ptr(),
        };
        // SAFETY: prog points at our live instructions for the duration of the call.
        let r = unsafe {
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER as libc::c_ulong,
                &prog as *const Prog as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
            )
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }
}

fn numbers(set: &[String]) -> Result<Vec<u32>, String> {
    set.iter()
        .filter(|s| !s.starts_with("@appc.io/"))
        .map(|s| number(s).ok_or_else(|| format!("unknown system call {s}")))
        .collect()
}

fn action(errno_name: &str) -> Result<u32, String> {
    if errno_name.is_empty() {
        return Ok(RET_KILL_PROCESS);
    }
    errno(errno_name)
        .map(|e| RET_ERRNO | e)
        .ok_or_else(|| format!("unsupported errno {errno_name}"))
}

/// The filter an app's isolators ask for (`None`: no filtering, `@appc.io/all`).
pub fn for_app(isolators: &Isolators) -> Result<Option<Filter>, String> {
    if !cfg!(target_arch = "x86_64") {
        return Ok(None);
    }
    for i in &isolators.0 {
        match i.value() {
            Some(IsolatorValue::SeccompRemove(s)) => {
                let act = action(&s.errno)?;
                return Ok(Some(Filter::build(&numbers(&s.set)?, act, RET_ALLOW)));
            }
            Some(IsolatorValue::SeccompRetain(s)) => {
                if s.set.iter().any(|c| c == "@appc.io/all") {
                    return Ok(None);
                }
                let act = action(&s.errno)?;
                let mut nrs = numbers(&s.set)?;
                nrs.extend(ALWAYS_ALLOWED.iter().filter_map(|n| number(n)));
                nrs.sort_unstable();
                nrs.dedup();
                return Ok(Some(Filter::build(&nrs, RET_ALLOW, act)));
            }
            _ => {}
        }
    }
    let nrs: Vec<u32> = DEFAULT_BLOCKED.iter().filter_map(|n| number(n)).collect();
    Ok(Some(Filter::build(
        &nrs,
        RET_ERRNO | libc::EPERM as u32,
        RET_ALLOW,
    )))
}

/// Parses `--seccomp mode=remove|retain[,errno=ENAME],SYSCALL...` into an isolator.
pub fn isolator_from_flag(s: &str) -> Result<appc::schema::Isolator, String> {
    let mut mode = None;
    let mut errno_name = String::new();
    let mut set = Vec::new();
    for p in s.split(',') {
        if let Some(m) = p.strip_prefix("mode=") {
            mode = Some(m.to_string());
        } else if let Some(e) = p.strip_prefix("errno=") {
            errno_name = e.to_string();
        } else if !p.is_empty() {
            set.push(p.to_string());
        }
    }
    let name = match mode.as_deref() {
        Some("remove") => appc::schema::SECCOMP_REMOVE_SET,
        Some("retain") => appc::schema::SECCOMP_RETAIN_SET,
        _ => return Err(format!("--seccomp {s}: mode=remove or mode=retain first")),
    };
    let mut v = serde_json::json!({ "set": set });
    if !errno_name.is_empty() {
        v["errno"] = errno_name.into();
    }
    appc::schema::Isolator::new(name, v).map_err(|e| format!("--seccomp {s}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(number("read"), Some(0));
        assert_eq!(number("execve"), Some(59));
        assert_eq!(number("nope"), None);
        assert_eq!(errno("EPERM"), Some(1));
        assert!(errno("EBOGUS").is_none());
    }

    #[test]
    fn flag_and_filters() {
        let i = isolator_from_flag("mode=remove,errno=ENOTSUP,chmod,fchmodat").unwrap();
        let f = for_app(&Isolators(vec![i])).unwrap().unwrap();
        // header, two calls, default.
        assert_eq!(f.insns.len(), 6 + 4 + 1);
        assert!(isolator_from_flag("chmod").is_err());
        let all = isolator_from_flag("mode=retain,@appc.io/all").unwrap();
        assert!(for_app(&Isolators(vec![all])).unwrap().is_none());
        let bad = isolator_from_flag("mode=remove,nosuchcall").unwrap();
        assert!(for_app(&Isolators(vec![bad])).is_err());
    }
}
