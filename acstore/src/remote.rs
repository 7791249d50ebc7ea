//! The remote cache: which image a source URL gave last time, with the HTTP validators needed
//! to re-fetch it cheaply (`ETag`) or not at all (`Cache-Control: max-age`).

use std::fs;
use std::io;
use std::path::PathBuf;

use appc::ImageId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{Result, Store, StoreError, io_at};

/// What a source URL gave when it was last downloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Remote {
    /// The URL the image was downloaded from.
    pub url: String,
    /// The image it gave.
    pub id: ImageId,
    /// The `ETag` of that response, sent back as `If-None-Match`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Cache-Control: max-age` of that response, in seconds (0: always revalidate).
    #[serde(default)]
    pub max_age: u64,
    /// When it was downloaded or last revalidated, Unix seconds.
    pub download_time: i64,
}

impl Remote {
    /// Whether the entry may be used without asking the server, at Unix time `now`.
    pub fn is_fresh(&self, now: i64) -> bool {
        self.max_age > 0
            && now >= self.download_time
            && now - self.download_time < self.max_age as i64
    }
}

impl Store {
    fn remote_path(&self, url: &str) -> PathBuf {
        let key = hex::encode(Sha256::digest(url.as_bytes()));
        self.layout().remotes().join(format!("{key}.json"))
    }

    /// The cache entry of `url`, if any and if its image is still stored.
    pub fn remote(&self, url: &str) -> Result<Option<Remote>> {
        let p = self.remote_path(url);
        let data = match fs::read(&p) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::Io { path: p, source: e }),
        };
        // A damaged entry only costs a download: treat it as absent.
        let Ok(remote) = serde_json::from_slice::<Remote>(&data) else {
            return Ok(None);
        };
        if remote.url != url || self.info(&remote.id)?.is_none() {
            return Ok(None);
        }
        Ok(Some(remote))
    }

    /// Records (atomically) what `remote.url` gave.
    pub fn set_remote(&self, remote: &Remote) -> Result<()> {
        let p = self.remote_path(&remote.url);
        let data = serde_json::to_vec(remote).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        appc::fsutil::atomic_write(&p, &data).map_err(io_at(&p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_follows_max_age() {
        let r = Remote {
            url: "https://example.com/a.aci".into(),
            id: ImageId::from_digest(&[7; 64]),
            etag: Some("\"x\"".into()),
            max_age: 60,
            download_time: 1000,
        };
        assert!(r.is_fresh(1059));
        assert!(!r.is_fresh(1060));
        assert!(!r.is_fresh(999));
        assert!(!Remote { max_age: 0, ..r }.is_fresh(1000));
    }

    #[test]
    fn entries_of_missing_images_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let r = Remote {
            url: "https://example.com/a.aci".into(),
            id: ImageId::from_digest(&[7; 64]),
            etag: None,
            max_age: 0,
            download_time: 0,
        };
        store.set_remote(&r).unwrap();
        assert_eq!(store.remote(&r.url).unwrap(), None);
    }
}
