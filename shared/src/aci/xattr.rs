//! Listing a file's extended attributes without following symlinks.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The extended attributes of `path` (not followed if a symlink), sorted by name.
///
/// A filesystem without xattr support gives an empty list rather than an error.
pub fn list(path: &Path) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))?;
    let names = loop {
        // SAFETY: a null buffer of size 0 asks only for the needed size.
        let need = unsafe { libc::llistxattr(c.as_ptr(), std::ptr::null_mut(), 0) };
        if need < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::ENOTSUP) => Ok(Vec::new()),
                _ => Err(e),
            };
        }
        if need == 0 {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; need as usize];
        // SAFETY: buf is valid for buf.len() bytes.
        let got = unsafe { libc::llistxattr(c.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if got >= 0 {
            buf.truncate(got as usize);
            break buf;
        }
        let e = io::Error::last_os_error();
        // The list grew between the two calls: ask again.
        if e.raw_os_error() != Some(libc::ERANGE) {
            return Err(e);
        }
    };
    let mut out = Vec::new();
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let cname = CString::new(name).map_err(|_| io::Error::other("xattr name contains NUL"))?;
        if let Some(value) = get(&c, &cname)? {
            out.push((name.to_vec(), value));
        }
    }
    out.sort();
    Ok(out)
}

/// One attribute's value; `None` if it vanished meanwhile.
fn get(path: &CString, name: &CString) -> io::Result<Option<Vec<u8>>> {
    loop {
        // SAFETY: size query with a null buffer.
        let need =
            unsafe { libc::lgetxattr(path.as_ptr(), name.as_ptr(), std::ptr::null_mut(), 0) };
        if need < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::ENODATA) => Ok(None),
                _ => Err(e),
            };
        }
        let mut buf = vec![0u8; need as usize];
        // SAFETY: buf is valid for buf.len() bytes.
        let got = unsafe {
            libc::lgetxattr(
                path.as_ptr(),
                name.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        if got >= 0 {
            buf.truncate(got as usize);
            return Ok(Some(buf));
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::ERANGE) => {}
            Some(libc::ENODATA) => return Ok(None),
            _ => return Err(e),
        }
    }
}
