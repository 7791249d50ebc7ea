//! What a user can ask `acfetch` for, told apart by its form.

use std::collections::BTreeMap;
use std::path::PathBuf;

use appc::appstring::AppString;
use url::Url;

/// An image reference given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// An appc name with labels, found by meta discovery.
    Name {
        /// The image name.
        name: String,
        /// Labels as given (the fetcher adds the host's `os` and `arch` for discovery).
        labels: BTreeMap<String, String>,
    },
    /// An `https://` or `http://` URL of an ACI.
    Url(Url),
    /// A local ACI file (a path or a `file://` URL).
    File(PathBuf),
    /// `docker://[registry/]repo[:tag|@digest]`.
    Docker(String),
    /// `oci:DIR[:tag]`, an OCI image layout.
    Oci(String),
}

/// Why a reference cannot be understood.
#[derive(Debug, thiserror::Error)]
#[error("{reference}: {reason}")]
pub struct ReferenceError {
    /// The reference as given.
    pub reference: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Reference {
    /// Classifies `s`: URLs by scheme, then paths (containing `/` and existing, or starting
    /// with `.` or `/`, or ending in `.aci`), else an app string.
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        let err = |reason: String| ReferenceError {
            reference: s.to_string(),
            reason,
        };
        if let Some(rest) = s.strip_prefix("docker://") {
            return Ok(Reference::Docker(rest.to_string()));
        }
        if let Some(rest) = s.strip_prefix("oci:") {
            return Ok(Reference::Oci(rest.to_string()));
        }
        if s.starts_with("https://") || s.starts_with("http://") {
            let url = Url::parse(s).map_err(|e| err(format!("invalid URL: {e}")))?;
            return Ok(Reference::Url(url));
        }
        if s.starts_with("file://") {
            let url = Url::parse(s).map_err(|e| err(format!("invalid URL: {e}")))?;
            let path = url
                .to_file_path()
                .map_err(|()| err("a file URL needs an absolute local path".into()))?;
            return Ok(Reference::File(path));
        }
        if s.contains("://") {
            return Err(err(
                "unsupported scheme (https, http, file, docker and oci: are)".into(),
            ));
        }
        let path = PathBuf::from(s);
        if s.starts_with('.') || s.starts_with('/') || s.ends_with(".aci") || path.is_file() {
            return Ok(Reference::File(path));
        }
        let app = AppString::parse(s).map_err(|e| err(e.to_string()))?;
        let labels: BTreeMap<String, String> = app
            .labels
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.clone()))
            .collect();
        Ok(Reference::Name {
            name: app.name.as_str().to_string(),
            labels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_told_apart() {
        assert!(matches!(
            Reference::parse("https://example.com/a.aci").unwrap(),
            Reference::Url(_)
        ));
        assert_eq!(
            Reference::parse("file:///tmp/a.aci").unwrap(),
            Reference::File("/tmp/a.aci".into())
        );
        assert_eq!(
            Reference::parse("./x").unwrap(),
            Reference::File("./x".into())
        );
        assert_eq!(
            Reference::parse("docker://busybox:1").unwrap(),
            Reference::Docker("busybox:1".into())
        );
        let Reference::Name { name, labels } =
            Reference::parse("example.com/app:1.0,os=linux").unwrap()
        else {
            panic!("not a name")
        };
        assert_eq!(name, "example.com/app");
        assert_eq!(labels["version"], "1.0");
        assert_eq!(labels["os"], "linux");
        assert!(!labels.contains_key("arch"));
        assert!(Reference::parse("ftp://x/y").is_err());
        assert!(Reference::parse("Bad Name").is_err());
    }
}
