//! The trust store: which OpenPGP keys may sign images of which names.
//!
//! ```text
//! <config>/trustedkeys/root.d/<fingerprint>             trusted for every name
//! <config>/trustedkeys/prefix.d/<prefix>/<fingerprint>  trusted for <prefix> and names below it
//! ```
//!
//! Keys are read from every configuration directory (vendor `/usr/lib/appc`, system
//! `/etc/appc`, user `$XDG_CONFIG_HOME/appc`); new keys are written to one of them.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::keys::{KeyError, PublicKey};

/// Why a trust store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// Reading or writing a key file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A key is unusable.
    #[error("{}: {source}", path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// Why.
        source: KeyError,
    },
    /// The prefix is not a valid image name prefix.
    #[error("invalid prefix {0:?}: {1}")]
    BadPrefix(String, String),
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> TrustError + '_ {
    move |source| TrustError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// For which names a key is trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Every name.
    Root,
    /// Names equal to or below this prefix.
    Prefix(String),
}

/// A key in the trust store.
#[derive(Debug, Clone, Serialize)]
pub struct TrustedKey {
    /// Primary key fingerprint, lower-case hex.
    pub fingerprint: String,
    /// Where it applies.
    pub scope: Scope,
    /// The key file.
    pub path: PathBuf,
    /// Its user IDs.
    pub user_ids: Vec<String>,
}

/// The configuration directories holding `trustedkeys/`.
#[derive(Debug, Clone)]
pub struct TrustStore {
    read: Vec<PathBuf>,
    write: PathBuf,
}

/// The default configuration directories, lowest priority first, and the one written to:
/// root writes `/etc/appc`, others `$XDG_CONFIG_HOME/appc`.
pub fn default_config_dirs() -> (Vec<PathBuf>, PathBuf) {
    let system = PathBuf::from("/etc/appc");
    let mut read = vec![PathBuf::from("/usr/lib/appc"), system.clone()];
    let user = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))
        .map(|d| d.join("appc"));
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let write = match (&user, root) {
        (Some(u), false) => u.clone(),
        _ => system,
    };
    read.extend(user);
    (read, write)
}

impl TrustStore {
    /// A store reading keys from `read` (every directory) and adding them to `write`.
    pub fn new(read: Vec<PathBuf>, write: PathBuf) -> TrustStore {
        TrustStore { read, write }
    }

    /// A store using one configuration directory for everything.
    pub fn single(dir: PathBuf) -> TrustStore {
        TrustStore {
            read: vec![dir.clone()],
            write: dir,
        }
    }

    /// The keys trusted for image `name`: root keys and those of every prefix of it.
    pub fn keys_for(&self, name: &str) -> Result<Vec<PublicKey>, TrustError> {
        let mut out: Vec<PublicKey> = Vec::new();
        for entry in self.list()? {
            let applies = match &entry.scope {
                Scope::Root => true,
                Scope::Prefix(p) => name == p || name.starts_with(&format!("{p}/")),
            };
            if !applies || out.iter().any(|k| k.fingerprint() == entry.fingerprint) {
                continue;
            }
            let data = fs::read(&entry.path).map_err(io_at(&entry.path))?;
            let key = PublicKey::parse(&data).map_err(|source| TrustError::Key {
                path: entry.path.clone(),
                source,
            })?;
            out.push(key);
        }
        Ok(out)
    }

    /// Every trusted key in every configuration directory.
    pub fn list(&self) -> Result<Vec<TrustedKey>, TrustError> {
        let mut out = Vec::new();
        for dir in &self.read {
            let base = dir.join("trustedkeys");
            collect(&base.join("root.d"), &Scope::Root, &mut out)?;
            let prefixes = base.join("prefix.d");
            walk_prefixes(&prefixes, &prefixes, &mut out)?;
        }
        Ok(out)
    }

    /// Stores `key` for `scope` (replacing the same key there); returns its entry.
    pub fn add(&self, key: &PublicKey, scope: Scope) -> Result<TrustedKey, TrustError> {
        let base = self.write.join("trustedkeys");
        let dir = match &scope {
            Scope::Root => base.join("root.d"),
            Scope::Prefix(p) => {
                appc::discovery::check_name(p)
                    .map_err(|e| TrustError::BadPrefix(p.clone(), e.to_string()))?;
                base.join("prefix.d").join(p.trim_end_matches('/'))
            }
        };
        fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        let path = dir.join(key.fingerprint());
        appc::fsutil::atomic_write(&path, key.armored()).map_err(io_at(&path))?;
        Ok(TrustedKey {
            fingerprint: key.fingerprint(),
            scope,
            path,
            user_ids: key.user_ids(),
        })
    }

    /// Removes the key with this fingerprint (or a suffix of it, as key IDs are) from the
    /// writable directory; returns what was removed.
    pub fn remove(&self, fingerprint: &str) -> Result<Vec<TrustedKey>, TrustError> {
        let want = fingerprint.to_ascii_lowercase().replace(' ', "");
        let mut removed = Vec::new();
        for entry in TrustStore::single(self.write.clone()).list()? {
            if !want.is_empty() && entry.fingerprint.ends_with(&want) {
                fs::remove_file(&entry.path).map_err(io_at(&entry.path))?;
                removed.push(entry);
            }
        }
        Ok(removed)
    }
}

fn collect(dir: &Path, scope: &Scope, out: &mut Vec<TrustedKey>) -> Result<(), TrustError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(TrustError::Io {
                path: dir.to_path_buf(),
                source: e,
            });
        }
    };
    for e in entries {
        let e = e.map_err(io_at(dir))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if !e.file_type().map_err(io_at(dir))?.is_file() || !is_fingerprint(&name) {
            continue;
        }
        let path = e.path();
        let user_ids = fs::read(&path)
            .ok()
            .and_then(|d| PublicKey::parse(&d).ok())
            .map(|k| k.user_ids())
            .unwrap_or_default();
        out.push(TrustedKey {
            fingerprint: name,
            scope: scope.clone(),
            path,
            user_ids,
        });
    }
    Ok(())
}

fn walk_prefixes(root: &Path, dir: &Path, out: &mut Vec<TrustedKey>) -> Result<(), TrustError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(TrustError::Io {
                path: dir.to_path_buf(),
                source: e,
            });
        }
    };
    let mut has_keys = false;
    for e in entries {
        let e = e.map_err(io_at(dir))?;
        if e.file_type().map_err(io_at(dir))?.is_dir() {
            walk_prefixes(root, &e.path(), out)?;
        } else {
            has_keys = true;
        }
    }
    if has_keys && dir != root {
        let prefix = dir
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        collect(dir, &Scope::Prefix(prefix), out)?;
    }
    Ok(())
}

fn is_fingerprint(s: &str) -> bool {
    s.len() >= 16 && s.bytes().all(|b| b.is_ascii_hexdigit())
}
