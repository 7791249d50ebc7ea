//! Entry-name cleaning, as Go's `filepath.Clean` does it, minus what we refuse outright.

use super::error::AciError;

/// Cleans a tar entry name: drops empty and `.` components and a trailing slash.
///
/// Returns an empty vector for names that clean to `.`. Absolute names and names with a `..`
/// component are refused before cleaning, because cleaning would hide an escape such as
/// `rootfs/../manifest`.
pub fn clean(raw: &[u8]) -> Result<Vec<u8>, AciError> {
    if raw.first() == Some(&b'/') {
        return Err(AciError::AbsolutePath(lossy(raw)));
    }
    let mut out = Vec::with_capacity(raw.len());
    for part in raw.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => return Err(AciError::ParentComponent(lossy(raw))),
            _ => {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(part);
            }
        }
    }
    Ok(out)
}

/// Renders a byte name for messages.
pub fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_like_go_and_refuses_escapes() {
        assert_eq!(clean(b"./rootfs//x/./y/").unwrap(), b"rootfs/x/y");
        assert_eq!(clean(b"manifest").unwrap(), b"manifest");
        assert!(clean(b"./").unwrap().is_empty());
        assert!(clean(b"").unwrap().is_empty());
        assert!(matches!(
            clean(b"/etc/passwd"),
            Err(AciError::AbsolutePath(_))
        ));
        assert!(matches!(
            clean(b"rootfs/../manifest"),
            Err(AciError::ParentComponent(_))
        ));
        assert!(matches!(clean(b"../x"), Err(AciError::ParentComponent(_))));
        // `..` inside a name is just a name.
        assert_eq!(clean(b"rootfs/a..b").unwrap(), b"rootfs/a..b");
    }
}
