//! HTTP(S) downloads into files: bounded size, retries with backoff on transient failures,
//! conditional requests (`If-None-Match`) and the cache headers of the answer.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::thread;
use std::time::Duration;

use appc::discovery::http::{Client, HostHeaders};
use url::Url;

use crate::progress::Progress;

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The server answered with an error status.
    #[error("{url}: HTTP status {status}")]
    Status {
        /// The URL requested.
        url: String,
        /// The final status.
        status: u16,
    },
    /// Connecting, TLS, redirects, a timeout, or reading the body failed.
    #[error("{url}: {reason}")]
    Transport {
        /// The URL requested.
        url: String,
        /// What the client reported.
        reason: String,
    },
    /// The body exceeds the limit.
    #[error("{url}: larger than the limit of {limit} bytes")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// A plain-HTTP URL without `--insecure-options=http`.
    #[error("{0}: refusing plain http (allow it with --insecure-options=http)")]
    Insecure(String),
    /// Writing the downloaded bytes failed.
    #[error("writing the download: {0}")]
    Io(#[from] io::Error),
}

/// What a download gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `304 Not Modified`: the cached copy is current.
    NotModified(CacheInfo),
    /// The body was written; this many bytes.
    Downloaded(CacheInfo, u64),
}

/// The cache headers of a response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheInfo {
    /// `ETag`.
    pub etag: Option<String>,
    /// `Cache-Control: max-age` in seconds; 0 when absent or `no-cache`/`no-store`.
    pub max_age: u64,
}

/// Downloads with one client, its per-host headers and a retry policy.
#[derive(Debug, Clone)]
pub struct Downloader {
    /// The HTTP client.
    pub client: Client,
    /// Per-host headers (credentials).
    pub headers: HostHeaders,
    /// Extra attempts after a transient failure.
    pub retries: u32,
    /// Wait before the first retry; doubled each time.
    pub backoff: Duration,
    /// Allow `http://`.
    pub allow_http: bool,
    /// Show progress on stderr.
    pub progress: bool,
}

impl Downloader {
    /// GETs `url` into `out` (truncated first), sending `If-None-Match: etag` when given.
    pub fn get(
        &self,
        url: &Url,
        etag: Option<&str>,
        limit: Option<u64>,
        out: &mut File,
    ) -> Result<Outcome, DownloadError> {
        if url.scheme() == "http" && !self.allow_http {
            return Err(DownloadError::Insecure(url.to_string()));
        }
        let mut attempt = 0;
        loop {
            match self.try_get(url, etag, limit, out) {
                Err(e) if attempt < self.retries && transient(&e) => {
                    thread::sleep(self.backoff * 2u32.saturating_pow(attempt));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    fn try_get(
        &self,
        url: &Url,
        etag: Option<&str>,
        limit: Option<u64>,
        out: &mut File,
    ) -> Result<Outcome, DownloadError> {
        let transport = |e: &dyn std::fmt::Display| DownloadError::Transport {
            url: url.to_string(),
            reason: e.to_string(),
        };
        out.set_len(0)?;
        out.seek(SeekFrom::Start(0))?;
        let mut req = self
            .client
            .get(url, &self.headers)
            .config()
            .https_only(!self.allow_http)
            .build();
        if let Some(tag) = etag {
            req = req.header("If-None-Match", tag);
        }
        let response = req.call().map_err(|e| transport(&e))?;
        let status = response.status().as_u16();
        let cache = cache_info(response.headers());
        if status == 304 && etag.is_some() {
            return Ok(Outcome::NotModified(cache));
        }
        if status != 200 {
            return Err(DownloadError::Status {
                url: url.to_string(),
                status,
            });
        }
        let length = response.body().content_length();
        if let (Some(max), Some(len)) = (limit, length)
            && len > max
        {
            return Err(DownloadError::TooLarge {
                url: url.to_string(),
                limit: max,
            });
        }
        let mut body = response.into_body().into_with_config().reader();
        let mut progress = Progress::new(self.progress, url.as_str(), length);
        let mut buf = vec![0u8; 256 * 1024];
        let mut n: u64 = 0;
        loop {
            let k = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(transport(&e)),
            };
            n += k as u64;
            if let Some(max) = limit
                && n > max
            {
                return Err(DownloadError::TooLarge {
                    url: url.to_string(),
                    limit: max,
                });
            }
            out.write_all(&buf[..k])?;
            progress.update(n);
        }
        progress.finish(n);
        if let Some(len) = length
            && n != len
        {
            return Err(transport(&format!("body ended after {n} of {len} bytes")));
        }
        out.flush()?;
        Ok(Outcome::Downloaded(cache, n))
    }
}

/// Whether retrying may help: network trouble and the statuses that mean "try later".
fn transient(e: &DownloadError) -> bool {
    match e {
        DownloadError::Status { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
        DownloadError::Transport { reason, .. } => {
            !reason.contains("redirect") && !reason.contains("certificate")
        }
        _ => false,
    }
}

fn cache_info(headers: &ureq::http::HeaderMap) -> CacheInfo {
    let etag = headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut max_age = 0;
    if let Some(cc) = headers.get("cache-control").and_then(|v| v.to_str().ok()) {
        let directives: Vec<String> = cc
            .split(',')
            .map(|d| d.trim().to_ascii_lowercase())
            .collect();
        if !directives
            .iter()
            .any(|d| d == "no-cache" || d == "no-store")
        {
            max_age = directives
                .iter()
                .find_map(|d| d.strip_prefix("max-age=")?.trim_matches('"').parse().ok())
                .unwrap_or(0);
        }
    }
    CacheInfo { etag, max_age }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_is_read() {
        let mut h = ureq::http::HeaderMap::new();
        h.insert("etag", "\"abc\"".parse().unwrap());
        h.insert("cache-control", "public, max-age=300".parse().unwrap());
        assert_eq!(
            cache_info(&h),
            CacheInfo {
                etag: Some("\"abc\"".into()),
                max_age: 300
            }
        );
        h.insert("cache-control", "no-cache, max-age=300".parse().unwrap());
        assert_eq!(cache_info(&h).max_age, 0);
    }
}
