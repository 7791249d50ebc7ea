//! Per-host credentials from `auth.d/*.json` in the configuration directories, in rkt's format:
//! `{"rktKind":"auth","rktVersion":"v1","domains":["example.com"],"type":"basic",
//! "credentials":{"user":"u","password":"p"}}` or `"type":"oauth"` with `{"token":"t"}`;
//! `{"rktKind":"dockerAuth","registries":[...],"credentials":{"user","password"}}` for
//! registries; and docker's own `config.json` (`auths.<host>.auth`).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use appc::discovery::http::{Credentials, HostHeaders};
use serde::Deserialize;

/// Why the credentials could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A file or directory could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A file is not a valid auth configuration.
    #[error("{}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthFile {
    #[serde(default)]
    rkt_kind: Option<String>,
    #[serde(default)]
    domains: Vec<String>,
    #[serde(default)]
    registries: Vec<String>,
    #[serde(rename = "type", default)]
    kind: String,
    credentials: BTreeMap<String, String>,
}

/// Adds the registry logins of a docker `config.json` (`{"auths":{"HOST":{"auth":"BASE64"}}}`).
pub fn load_docker_config(path: &Path, headers: &mut HostHeaders) -> Result<(), AuthError> {
    let data = match fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(AuthError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let v: serde_json::Value = serde_json::from_slice(&data).map_err(|e| AuthError::Invalid {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if let Some(auths) = v.get("auths").and_then(|a| a.as_object()) {
        for (host, entry) in auths {
            let Some(auth) = entry.get("auth").and_then(|a| a.as_str()) else {
                continue;
            };
            // Keys may be URLs (https://index.docker.io/v1/): keep the host part.
            let host = host
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .split('/')
                .next()
                .unwrap_or_default();
            headers.insert(host, "Authorization", format!("Basic {auth}"));
        }
    }
    Ok(())
}

/// Reads every `auth.d/*.json` under `config_dirs`; later directories override earlier ones
/// for the same host.
pub fn load(config_dirs: &[PathBuf]) -> Result<HostHeaders, AuthError> {
    let mut headers = HostHeaders::new();
    load_into(config_dirs, &mut headers)?;
    Ok(headers)
}

/// Like [`load`], adding to (and for the same host replacing the credentials of) `headers`.
pub fn load_into(config_dirs: &[PathBuf], headers: &mut HostHeaders) -> Result<(), AuthError> {
    for dir in config_dirs {
        let dir = dir.join("auth.d");
        let mut files: Vec<PathBuf> = match fs::read_dir(&dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => return Err(AuthError::Io { path: dir, source }),
        };
        files.sort();
        for file in files {
            for (host, creds) in parse_file(&file)? {
                headers.set_credentials(&host, &creds);
            }
        }
    }
    Ok(())
}

fn parse_file(path: &Path) -> Result<Vec<(String, Credentials)>, AuthError> {
    let invalid = |reason: String| AuthError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let data = fs::read(path).map_err(|source| AuthError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let f: AuthFile = serde_json::from_slice(&data).map_err(|e| invalid(e.to_string()))?;
    let docker = f.rkt_kind.as_deref() == Some("dockerAuth");
    if f.rkt_kind
        .as_deref()
        .is_some_and(|k| k != "auth" && k != "dockerAuth")
    {
        return Err(invalid(format!("unknown rktKind {:?}", f.rkt_kind)));
    }
    let get = |k: &str| {
        f.credentials
            .get(k)
            .cloned()
            .ok_or_else(|| invalid(format!("credentials.{k} is missing")))
    };
    if docker {
        let creds = Credentials::Basic {
            user: get("user")?,
            password: get("password")?,
        };
        return Ok(f
            .registries
            .into_iter()
            .map(|d| (d, creds.clone()))
            .collect());
    }
    let creds = match f.kind.as_str() {
        "basic" => Credentials::Basic {
            user: get("user")?,
            password: get("password")?,
        },
        "oauth" | "bearer" => Credentials::Bearer(get("token")?),
        other => return Err(invalid(format!("unknown type {other:?} (basic, oauth)"))),
    };
    Ok(f.domains.into_iter().map(|d| (d, creds.clone())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_and_oauth_files_give_headers() {
        let dir = tempfile::tempdir().unwrap();
        let auth = dir.path().join("auth.d");
        fs::create_dir(&auth).unwrap();
        fs::write(
            auth.join("a.json"),
            r#"{"rktKind":"auth","rktVersion":"v1","domains":["a.example"],"type":"basic","credentials":{"user":"u","password":"p"}}"#,
        )
        .unwrap();
        fs::write(
            auth.join("b.json"),
            r#"{"rktKind":"auth","domains":["b.example:8443"],"type":"oauth","credentials":{"token":"t"}}"#,
        )
        .unwrap();
        let h = load(&[dir.path().to_path_buf()]).unwrap();
        let a = h.for_url(&url::Url::parse("https://a.example/x").unwrap());
        assert_eq!(a[0].1, "Basic dTpw");
        let b = h.for_url(&url::Url::parse("https://b.example:8443/x").unwrap());
        assert_eq!(b[0].1, "Bearer t");
        fs::write(
            auth.join("c.json"),
            r#"{"domains":["c"],"type":"magic","credentials":{}}"#,
        )
        .unwrap();
        assert!(matches!(
            load(&[dir.path().to_path_buf()]),
            Err(AuthError::Invalid { .. })
        ));
    }
}
