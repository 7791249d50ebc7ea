//! User and group resolution inside an image's root, in the spec's order: a path's owner,
//! then the image's /etc/passwd or /etc/group, then a plain number.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::fs::OFlags;

use crate::error::{Error, Result};
use crate::sys::open_in_root;

/// Which database a name is looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// /etc/passwd, file owner uid.
    User,
    /// /etc/group, file owner gid.
    Group,
}

impl Kind {
    fn file(self) -> &'static str {
        match self {
            Kind::User => "etc/passwd",
            Kind::Group => "etc/group",
        }
    }
}

/// Resolves `value` (user or group) against the image root opened as `root`.
pub fn resolve(root: &OwnedFd, value: &str, kind: Kind) -> Result<u32> {
    let what = match kind {
        Kind::User => "user",
        Kind::Group => "group",
    };
    if value.is_empty() {
        return Err(Error::Invalid(format!("{what} is required")));
    }
    if value.starts_with('/') {
        let fd = open_in_root(root, Path::new(value), OFlags::PATH, 0).map_err(|e| {
            Error::Invalid(format!("{what} {value}: cannot use the file's owner: {e}"))
        })?;
        let st =
            rustix::fs::fstat(&fd).map_err(|e| Error::Invalid(format!("{what} {value}: {e}")))?;
        return Ok(match kind {
            Kind::User => st.st_uid,
            Kind::Group => st.st_gid,
        });
    }
    if let Some(id) = lookup(root, kind.file(), value) {
        return Ok(id);
    }
    value.parse::<u32>().map_err(|_| {
        Error::Invalid(format!(
            "{what} {value:?} not found in the image's /{}",
            kind.file()
        ))
    })
}

/// The id of `name` in a passwd/group-shaped file (`name:x:ID:...`), if present.
fn lookup(root: &OwnedFd, file: &str, name: &str) -> Option<u32> {
    let fd = open_in_root(root, Path::new(file), OFlags::RDONLY, 0).ok()?;
    let mut text = String::new();
    std::fs::File::from(fd)
        .take(4 << 20)
        .read_to_string(&mut text)
        .ok()?;
    parse_db(&text, name)
}

/// Finds `name`'s id in the text of a passwd or group file.
pub fn parse_db(text: &str, name: &str) -> Option<u32> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then_some(())?;
        f.next()?;
        f.next()?.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_lines() {
        let t = "root:x:0:0:root:/root:/bin/sh\n#bin:x:1:1\nwww:x:33:33::/:/bin/false\nbad\n";
        assert_eq!(parse_db(t, "www"), Some(33));
        assert_eq!(parse_db(t, "root"), Some(0));
        assert_eq!(parse_db(t, "bin"), None);
        assert_eq!(parse_db(t, "bad"), None);
    }

    #[test]
    fn resolution_order() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("etc")).unwrap();
        std::fs::write(
            d.path().join("etc/passwd"),
            "1000:x:7:7::/:/bin/sh\nu:x:5:5::/:\n",
        )
        .unwrap();
        std::fs::write(d.path().join("etc/group"), "g:x:9:\n").unwrap();
        std::os::unix::fs::symlink("/etc/shadow", d.path().join("escape")).unwrap();
        let root: OwnedFd = std::fs::File::open(d.path()).unwrap().into();
        assert_eq!(resolve(&root, "u", Kind::User).unwrap(), 5);
        // A name that looks numeric is still a name first.
        assert_eq!(resolve(&root, "1000", Kind::User).unwrap(), 7);
        assert_eq!(resolve(&root, "42", Kind::User).unwrap(), 42);
        assert_eq!(resolve(&root, "g", Kind::Group).unwrap(), 9);
        assert!(resolve(&root, "nobody", Kind::User).is_err());
        assert!(resolve(&root, "", Kind::Group).is_err());
        // The path form resolves inside the image: /etc/shadow of the image is absent.
        assert!(resolve(&root, "/escape", Kind::User).is_err());
        assert_eq!(
            resolve(&root, "/etc/passwd", Kind::User).unwrap(),
            rustix::process::getuid().as_raw()
        );
    }
}
