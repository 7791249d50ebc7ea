//! Linux capabilities: names, the spec's default bounding set, and applying a set to the
//! calling process just before exec.

use std::io;

/// Capability names in kernel order (number = index).
pub const NAMES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// The spec's default bounding set when no capability isolator is given.
pub const DEFAULT: &[&str] = &[
    "CAP_AUDIT_WRITE",
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_KILL",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_NET_BIND_SERVICE",
    "CAP_SETUID",
    "CAP_SETGID",
    "CAP_SETPCAP",
    "CAP_SETFCAP",
    "CAP_SYS_CHROOT",
];

/// The number of a capability name (`CAP_` prefix optional, any case).
pub fn number(name: &str) -> Option<u32> {
    let up = name.to_ascii_uppercase();
    let full = if up.starts_with("CAP_") {
        up
    } else {
        format!("CAP_{up}")
    };
    NAMES.iter().position(|n| *n == full).map(|i| i as u32)
}

/// Numbers of `names`, or the first unknown name.
pub fn numbers(names: &[String]) -> Result<Vec<u32>, String> {
    names
        .iter()
        .map(|n| number(n).ok_or_else(|| n.clone()))
        .collect()
}

/// The spec's default set, as numbers.
pub fn default_set() -> Vec<u32> {
    DEFAULT.iter().filter_map(|n| number(n)).collect()
}

fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(NAMES.len() as u32 - 1)
}

/// What [`apply`] needs, computed before fork so the child only makes system calls.
#[derive(Debug, Clone)]
pub struct Prepared {
    drop: Vec<u32>,
    mask: u64,
}

/// Prepares keeping exactly `keep`.
pub fn prepare(keep: &[u32]) -> Prepared {
    let drop = (0..=last_cap()).filter(|c| !keep.contains(c)).collect();
    let mask = keep
        .iter()
        .filter(|&&c| c < 64)
        .fold(0u64, |m, &c| m | 1 << c);
    Prepared { drop, mask }
}

/// Drops every capability outside the prepared set from the bounding set (call before
/// changing uid, while CAP_SETPCAP is held).
pub fn drop_bounding(p: &Prepared) -> io::Result<()> {
    for &c in &p.drop {
        crate::sys::prctl(libc::PR_CAPBSET_DROP, c as libc::c_ulong, 0)?;
    }
    Ok(())
}

#[repr(C)]
struct Header {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct Data {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Limits the effective, permitted and inheritable sets to the prepared set (after the uid
/// change; a non-root uid has lost them all already, which this keeps).
pub fn limit_sets(p: &Prepared) -> io::Result<()> {
    let hdr = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let mut cur = [Data {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: header and a two-element data array, as capget(2) requires for version 3.
    if unsafe { libc::syscall(libc::SYS_capget, &hdr, cur.as_mut_ptr()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let lo = p.mask as u32;
    let hi = (p.mask >> 32) as u32;
    let new = [
        Data {
            effective: cur[0].effective & lo,
            permitted: cur[0].permitted & lo,
            inheritable: cur[0].inheritable & lo,
        },
        Data {
            effective: cur[1].effective & hi,
            permitted: cur[1].permitted & hi,
            inheritable: cur[1].inheritable & hi,
        },
    ];
    // SAFETY: as above.
    if unsafe { libc::syscall(libc::SYS_capset, &hdr, new.as_ptr()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(number("CAP_SYS_ADMIN"), Some(21));
        assert_eq!(number("net_raw"), Some(13));
        assert_eq!(number("CAP_NOPE"), None);
        assert_eq!(default_set().len(), 14);
        assert_eq!(numbers(&["CAP_BOGUS".into()]), Err("CAP_BOGUS".into()));
    }
}
