//! `docker://` (Docker Registry HTTP API v2 / OCI distribution) and `oci:` (OCI image layout)
//! images, turned into one ACI as docker2aci did: layers squashed, config mapped to the app.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use appc::discovery::http::{Client, HostHeaders};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use crate::squash::{SquashError, squash};

/// The default registry of names without one, as docker uses.
pub const DEFAULT_REGISTRY: &str = "registry-1.docker.io";

const MEDIA_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MEDIA_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// Why a docker or OCI image could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// The reference is malformed.
    #[error("invalid image reference {0:?}: {1}")]
    Reference(String, String),
    /// An HTTP request failed.
    #[error("{url}: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// What happened.
        reason: String,
    },
    /// A manifest, index or config is not what the formats allow.
    #[error("{0}")]
    Format(String),
    /// Content does not match its digest.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    Digest {
        /// Which blob.
        what: String,
        /// The digest asked for.
        expected: String,
        /// The digest of what came.
        actual: String,
    },
    /// No image for this platform.
    #[error("no image for {os}/{arch} in the index (pick one with another host)")]
    Platform {
        /// Wanted os.
        os: String,
        /// Wanted arch.
        arch: String,
    },
    /// Squashing failed.
    #[error(transparent)]
    Squash(#[from] SquashError),
    /// A local file failed.
    #[error("{}: {error}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        error: io::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> DockerError + '_ {
    move |error| DockerError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// A parsed `docker://` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerRef {
    /// Registry host (and port).
    pub registry: String,
    /// Repository path (`library/busybox`).
    pub repository: String,
    /// The tag (`latest` when neither tag nor digest is given).
    pub tag: Option<String>,
    /// The manifest digest.
    pub digest: Option<String>,
}

impl DockerRef {
    /// Parses `[registry/]repo[:tag|@digest]` as docker does.
    pub fn parse(s: &str) -> Result<DockerRef, DockerError> {
        let bad = |r: &str| DockerError::Reference(s.to_string(), r.to_string());
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (s, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, p))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), p.to_string())
            }
            _ => (DEFAULT_REGISTRY.to_string(), rest.to_string()),
        };
        let (repo, tag) = match path.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r.to_string(), Some(t.to_string())),
            _ => (path, None),
        };
        if repo.is_empty()
            || !repo
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b))
        {
            return Err(bad(
                "the repository must be lower-case letters, digits, . _ - /",
            ));
        }
        let repository = if registry == DEFAULT_REGISTRY && !repo.contains('/') {
            format!("library/{repo}")
        } else {
            repo
        };
        if let Some(d) = &digest
            && !d.starts_with("sha256:")
        {
            return Err(bad("only sha256 digests are supported"));
        }
        let tag = match (&tag, &digest) {
            (None, None) => Some("latest".to_string()),
            _ => tag,
        };
        Ok(DockerRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The reference for manifest requests: the digest if given, else the tag.
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }
}

/// The docker platform names of an appc os/arch.
pub fn docker_platform(os: &str, arch: &str) -> (String, String) {
    let arch = match arch {
        "aarch64" => "arm64",
        "armv7l" | "armv7b" | "armv6l" => "arm",
        "i386" => "386",
        "ppc64le" | "ppc64" | "s390x" | "amd64" => arch,
        other => other,
    };
    (os.to_string(), arch.to_string())
}

/// Where manifests and blobs come from.
pub trait BlobSource: Sync {
    /// A manifest or index by tag or digest, with its media type (if known) and digest.
    fn manifest(&self, reference: &str) -> Result<(Vec<u8>, Option<String>, String), DockerError>;
    /// Writes the blob with `digest` to `out`, checking its digest and size.
    fn blob(&self, digest: &str, size: Option<u64>, out: &mut File) -> Result<(), DockerError>;
}

/// A registry speaking the Docker Registry HTTP API v2 (bearer-token auth as in docker).
pub struct Registry {
    client: Client,
    base: Url,
    repository: String,
    authorization: Option<String>,
    token: std::sync::Mutex<Option<String>>,
    max_size: Option<u64>,
}

impl Registry {
    /// A registry client for `r`: https, or http when `http` (plain registries).
    pub fn new(
        client: Client,
        r: &DockerRef,
        http: bool,
        headers: &HostHeaders,
        max_size: Option<u64>,
    ) -> Result<Registry, DockerError> {
        let scheme = if http { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{}/", r.registry))
            .map_err(|e| DockerError::Reference(r.registry.clone(), e.to_string()))?;
        // Credentials configured for the registry host are sent until a token replaces them,
        // and to the token service.
        let authorization = headers
            .for_url(&base)
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.clone());
        Ok(Registry {
            client,
            base,
            repository: r.repository.clone(),
            authorization,
            token: std::sync::Mutex::new(None),
            max_size,
        })
    }

    fn url(&self, path: &str) -> Result<Url, DockerError> {
        self.base
            .join(&format!("v2/{}/{path}", self.repository))
            .map_err(|e| DockerError::Format(e.to_string()))
    }

    /// GET with the current token; on a 401 with a Bearer challenge, gets a token and retries.
    fn get(
        &self,
        url: &Url,
        accept: &str,
    ) -> Result<ureq::http::Response<ureq::Body>, DockerError> {
        let http_err = |reason: String| DockerError::Http {
            url: url.to_string(),
            reason,
        };
        for attempt in 0..2 {
            let mut req = self
                .client
                .agent()
                .get(url.as_str())
                .header("Accept", accept);
            let token = self.token.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if let Some(t) = token {
                req = req.header("Authorization", &format!("Bearer {t}"));
            } else if let Some(a) = &self.authorization {
                req = req.header("Authorization", a);
            }
            let resp = req.call().map_err(|e| http_err(e.to_string()))?;
            let status = resp.status().as_u16();
            if status == 401 && attempt == 0 {
                let challenge = resp
                    .headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let token = self.fetch_token(&challenge)?;
                *self.token.lock().unwrap_or_else(|p| p.into_inner()) = Some(token);
                continue;
            }
            if status != 200 {
                return Err(http_err(format!("HTTP status {status}")));
            }
            return Ok(resp);
        }
        Err(http_err("authentication failed".into()))
    }

    fn fetch_token(&self, challenge: &str) -> Result<String, DockerError> {
        let Some(params) = challenge.strip_prefix("Bearer ") else {
            return Err(DockerError::Format(format!(
                "registry asks for unsupported authentication {challenge:?}"
            )));
        };
        let mut fields = BTreeMap::new();
        for part in split_params(params) {
            if let Some((k, v)) = part.split_once('=') {
                fields.insert(
                    k.trim().to_ascii_lowercase(),
                    v.trim().trim_matches('"').to_string(),
                );
            }
        }
        let realm = fields
            .get("realm")
            .ok_or_else(|| DockerError::Format("Bearer challenge without realm".into()))?;
        let mut url =
            Url::parse(realm).map_err(|e| DockerError::Format(format!("token realm: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = fields.get("service") {
                q.append_pair("service", s);
            }
            let scope = fields
                .get("scope")
                .cloned()
                .unwrap_or_else(|| format!("repository:{}:pull", self.repository));
            q.append_pair("scope", &scope);
        }
        let mut req = self.client.agent().get(url.as_str());
        if let Some(a) = &self.authorization {
            req = req.header("Authorization", a);
        }
        let http_err = |reason: String| DockerError::Http {
            url: url.to_string(),
            reason,
        };
        let resp = req.call().map_err(|e| http_err(e.to_string()))?;
        if resp.status().as_u16() != 200 {
            return Err(http_err(format!("HTTP status {}", resp.status().as_u16())));
        }
        #[derive(Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let body = resp
            .into_body()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| http_err(e.to_string()))?;
        let t: Token = serde_json::from_slice(&body).map_err(|e| http_err(e.to_string()))?;
        t.token
            .or(t.access_token)
            .ok_or_else(|| http_err("no token in the answer".into()))
    }
}

fn split_params(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn sha256_hex(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

impl BlobSource for Registry {
    fn manifest(&self, reference: &str) -> Result<(Vec<u8>, Option<String>, String), DockerError> {
        let url = self.url(&format!("manifests/{reference}"))?;
        let resp = self.get(&url, ACCEPT)?;
        let media = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(';').next().unwrap_or(s).trim().to_string());
        let body = resp
            .into_body()
            .with_config()
            .limit(4 << 20)
            .read_to_vec()
            .map_err(|e| DockerError::Http {
                url: url.to_string(),
                reason: e.to_string(),
            })?;
        let digest = sha256_hex(&body);
        if reference.starts_with("sha256:") && digest != reference {
            return Err(DockerError::Digest {
                what: format!("manifest {reference}"),
                expected: reference.to_string(),
                actual: digest,
            });
        }
        Ok((body, media, digest))
    }

    fn blob(&self, digest: &str, size: Option<u64>, out: &mut File) -> Result<(), DockerError> {
        let url = self.url(&format!("blobs/{digest}"))?;
        let resp = self.get(&url, "*/*")?;
        if let (Some(s), Some(max)) = (size, self.max_size)
            && s > max
        {
            return Err(DockerError::Format(format!(
                "{url}: {s} bytes, larger than the limit of {max} bytes"
            )));
        }
        let limit = size.or(self.max_size).unwrap_or(u64::MAX);
        let mut reader = resp.into_body().into_with_config().limit(limit).reader();
        copy_checked(&mut reader, out, digest, size, url.as_str())
    }
}

/// Copies `input` to `out` while hashing; checks digest and size.
fn copy_checked(
    input: &mut dyn Read,
    out: &mut File,
    digest: &str,
    size: Option<u64>,
    what: &str,
) -> Result<(), DockerError> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0u64;
    loop {
        let k = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(DockerError::Http {
                    url: what.to_string(),
                    reason: e.to_string(),
                });
            }
        };
        hasher.update(&buf[..k]);
        out.write_all(&buf[..k])
            .map_err(io_at(Path::new("layer")))?;
        n += k as u64;
    }
    let actual = format!("sha256:{}", hex::encode(hasher.finalize()));
    if actual != digest {
        return Err(DockerError::Digest {
            what: what.to_string(),
            expected: digest.to_string(),
            actual,
        });
    }
    if let Some(s) = size
        && s != n
    {
        return Err(DockerError::Format(format!(
            "{what}: {n} bytes, the manifest says {s}"
        )));
    }
    Ok(())
}

/// An OCI image layout directory (`index.json`, `blobs/sha256/...`).
pub struct OciLayout {
    dir: PathBuf,
}

impl OciLayout {
    /// Opens the layout at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> OciLayout {
        OciLayout { dir: dir.into() }
    }

    fn blob_path(&self, digest: &str) -> Result<PathBuf, DockerError> {
        let hex = digest
            .strip_prefix("sha256:")
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| DockerError::Format(format!("unsupported digest {digest:?}")))?;
        Ok(self.dir.join("blobs/sha256").join(hex))
    }
}

impl BlobSource for OciLayout {
    fn manifest(&self, reference: &str) -> Result<(Vec<u8>, Option<String>, String), DockerError> {
        if reference.starts_with("sha256:") {
            let p = self.blob_path(reference)?;
            let body = std::fs::read(&p).map_err(io_at(&p))?;
            let digest = sha256_hex(&body);
            if digest != reference {
                return Err(DockerError::Digest {
                    what: p.display().to_string(),
                    expected: reference.to_string(),
                    actual: digest,
                });
            }
            return Ok((body, None, digest));
        }
        // A tag: the top index.json, narrowed to the manifests carrying that ref name.
        let p = self.dir.join("index.json");
        let body = std::fs::read(&p).map_err(io_at(&p))?;
        let mut index: Value = serde_json::from_slice(&body)
            .map_err(|e| DockerError::Format(format!("{}: {e}", p.display())))?;
        if !reference.is_empty()
            && let Some(list) = index.get_mut("manifests").and_then(Value::as_array_mut)
        {
            list.retain(|m| {
                m.pointer("/annotations/org.opencontainers.image.ref.name")
                    .and_then(Value::as_str)
                    == Some(reference)
            });
            if list.is_empty() {
                return Err(DockerError::Format(format!(
                    "{}: no image tagged {reference:?}",
                    self.dir.display()
                )));
            }
        }
        let body = serde_json::to_vec(&index).map_err(|e| DockerError::Format(e.to_string()))?;
        let digest = sha256_hex(&body);
        Ok((body, Some(MEDIA_INDEX.to_string()), digest))
    }

    fn blob(&self, digest: &str, size: Option<u64>, out: &mut File) -> Result<(), DockerError> {
        let p = self.blob_path(digest)?;
        let mut f = File::open(&p).map_err(io_at(&p))?;
        copy_checked(&mut f, out, digest, size, &p.display().to_string())
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: Option<String>,
    digest: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    platform: Option<Platform>,
}

#[derive(Debug, Deserialize)]
struct Platform {
    os: String,
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
}

/// What names the converted image.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The ACI name.
    pub name: String,
    /// The `version` label (the tag), if any.
    pub version: Option<String>,
    /// Annotations recording where it came from.
    pub annotations: Vec<(String, String)>,
}

/// An image ready to be squashed: its ACI manifest and its downloaded layers, bottom first.
pub struct Prepared {
    /// The ACI manifest.
    pub manifest: Vec<u8>,
    /// The layer blobs as downloaded (unlinked files).
    pub layers: Vec<File>,
}

impl Prepared {
    /// Writes the ACI (an uncompressed tar) to `out`.
    pub fn write(mut self, out: impl Write) -> Result<(), DockerError> {
        let mut w = io::BufWriter::with_capacity(1 << 20, out);
        squash(&self.manifest, &mut self.layers, &mut w)?;
        w.flush().map_err(io_at(Path::new("output")))
    }
}

/// Resolves the image for `os`/`arch` from `source` and downloads its config and layers (in
/// parallel, digests checked) into `tmp_dir`.
pub fn prepare(
    source: &dyn BlobSource,
    reference: &str,
    origin: &Origin,
    os: &str,
    arch: &str,
    tmp_dir: &Path,
) -> Result<Prepared, DockerError> {
    let (dos, darch) = docker_platform(os, arch);
    let (mut body, mut media, mut digest) = source.manifest(reference)?;
    for _ in 0..4 {
        let m: Manifest = serde_json::from_slice(&body)
            .map_err(|e| DockerError::Format(format!("manifest: {e}")))?;
        let kind = m.media_type.clone().or(media.clone()).unwrap_or_default();
        let is_index = kind == MEDIA_INDEX || kind == MEDIA_LIST || m.layers.is_none();
        let list = match &m.manifests {
            Some(list) if is_index => list,
            _ => return build(source, &m, &digest, origin, tmp_dir),
        };
        let pick = list
            .iter()
            .find(|d| {
                d.platform.as_ref().is_some_and(|p| {
                    p.os == dos
                        && p.architecture == darch
                        && (darch != "arm"
                            || p.variant.is_none()
                            || p.variant.as_deref() == Some("v7"))
                })
            })
            .or_else(|| (list.len() == 1 && list[0].platform.is_none()).then(|| &list[0]))
            .ok_or_else(|| DockerError::Platform {
                os: dos.clone(),
                arch: darch.clone(),
            })?;
        let next = pick.digest.clone();
        (body, media, digest) = source.manifest(&next)?;
        media = media.or(pick.media_type.clone());
    }
    Err(DockerError::Format("indexes nest too deeply".into()))
}

fn build(
    source: &dyn BlobSource,
    m: &Manifest,
    digest: &str,
    origin: &Origin,
    tmp_dir: &Path,
) -> Result<Prepared, DockerError> {
    let config_desc = m.config.as_ref().ok_or_else(|| {
        DockerError::Format("manifest without config (schema 1 is not supported)".into())
    })?;
    let layers = m.layers.as_deref().unwrap_or_default();
    let tmp = |e| DockerError::Io {
        path: tmp_dir.to_path_buf(),
        error: e,
    };
    let mut config_file = tempfile::tempfile_in(tmp_dir).map_err(tmp)?;
    source.blob(&config_desc.digest, config_desc.size, &mut config_file)?;
    let mut config_bytes = Vec::new();
    config_file
        .seek(SeekFrom::Start(0))
        .and_then(|_| config_file.read_to_end(&mut config_bytes))
        .map_err(tmp)?;
    let config: Value = serde_json::from_slice(&config_bytes)
        .map_err(|e| DockerError::Format(format!("image config: {e}")))?;

    // Layers in parallel, each into its own unlinked file.
    let mut files: Vec<File> = Vec::with_capacity(layers.len());
    for _ in layers {
        files.push(tempfile::tempfile_in(tmp_dir).map_err(tmp)?);
    }
    let results: Vec<Result<(), DockerError>> = std::thread::scope(|s| {
        let handles: Vec<_> = layers
            .iter()
            .zip(files.iter_mut())
            .map(|(d, f)| s.spawn(move || source.blob(&d.digest, d.size, f)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(DockerError::Format("layer download panicked".into())))
            })
            .collect()
    });
    for r in results {
        r?;
    }
    let manifest = image_manifest(&config, &config_desc.digest, digest, origin)?;
    Ok(Prepared {
        manifest,
        layers: files,
    })
}

/// The ACI manifest for a docker/OCI image config, mapped as docker2aci did.
pub fn image_manifest(
    config: &Value,
    config_digest: &str,
    manifest_digest: &str,
    origin: &Origin,
) -> Result<Vec<u8>, DockerError> {
    let c = config.get("config").cloned().unwrap_or(Value::Null);
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut exec = strings(c.get("Entrypoint"));
    exec.extend(strings(c.get("Cmd")));
    let mut labels = Vec::new();
    if let Some(v) = &origin.version {
        labels.push(json!({"name": "version", "value": v}));
    }
    let os = config.get("os").and_then(Value::as_str).unwrap_or("linux");
    let arch = config
        .get("architecture")
        .and_then(Value::as_str)
        .unwrap_or("amd64");
    let appc_arch = match arch {
        "arm64" => "aarch64",
        "arm" => "armv7l",
        "386" => "i386",
        a => a,
    };
    labels.push(json!({"name": "os", "value": os}));
    labels.push(json!({"name": "arch", "value": appc_arch}));
    let mut annotations: Vec<Value> = origin
        .annotations
        .iter()
        .map(|(k, v)| json!({"name": k, "value": v}))
        .collect();
    annotations.push(json!({"name": "appc.io/docker/imageid", "value": config_digest}));
    annotations.push(json!({"name": "appc.io/docker/manifesthash", "value": manifest_digest}));
    if let Some(created) = config.get("created").and_then(Value::as_str) {
        annotations.push(json!({"name": "created", "value": created}));
    }
    if let Some(author) = config.get("author").and_then(Value::as_str) {
        annotations.push(json!({"name": "authors", "value": author}));
    }
    let mut manifest = json!({
        "acKind": "ImageManifest",
        "acVersion": "0.8.11",
        "name": origin.name,
        "labels": labels,
        "annotations": annotations,
    });
    if !exec.is_empty() {
        let user = c.get("User").and_then(Value::as_str).unwrap_or("");
        let (user, group) = match user.split_once(':') {
            Some((u, g)) => (u.to_string(), g.to_string()),
            None if user.is_empty() => ("0".to_string(), "0".to_string()),
            None => (user.to_string(), "0".to_string()),
        };
        let env: Vec<Value> = strings(c.get("Env"))
            .iter()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        let mut ports = Vec::new();
        if let Some(map) = c.get("ExposedPorts").and_then(Value::as_object) {
            for key in map.keys() {
                let (port, proto) = key.split_once('/').unwrap_or((key, "tcp"));
                if let Ok(n) = port.parse::<u16>() {
                    ports.push(
                        json!({"name": format!("{n}-{proto}"), "protocol": proto, "port": n}),
                    );
                }
            }
        }
        let mut mounts = Vec::new();
        if let Some(map) = c.get("Volumes").and_then(Value::as_object) {
            for path in map.keys() {
                let name: String = path
                    .trim_matches('/')
                    .chars()
                    .map(|ch| {
                        if ch.is_ascii_alphanumeric() {
                            ch.to_ascii_lowercase()
                        } else {
                            '-'
                        }
                    })
                    .collect();
                mounts.push(json!({"name": format!("volume-{name}"), "path": path}));
            }
        }
        let mut app = json!({"exec": exec, "user": user, "group": group});
        if !env.is_empty() {
            app["environment"] = Value::Array(env);
        }
        if let Some(wd) = c
            .get("WorkingDir")
            .and_then(Value::as_str)
            .filter(|w| !w.is_empty())
        {
            app["workingDirectory"] = json!(wd);
        }
        if !ports.is_empty() {
            app["ports"] = Value::Array(ports);
        }
        if !mounts.is_empty() {
            app["mountPoints"] = Value::Array(mounts);
        }
        manifest["app"] = app;
    }
    let bytes = serde_json::to_vec(&manifest).map_err(|e| DockerError::Format(e.to_string()))?;
    appc::schema::ImageManifest::from_slice(&bytes)
        .map_err(|e| DockerError::Format(format!("converted manifest is invalid: {e}")))?;
    Ok(bytes)
}

/// An AC name for `registry/repository`: lower case, `:` (a port) becomes `-`.
pub fn aci_name(registry: &str, repository: &str) -> String {
    format!("{registry}/{repository}")
        .to_ascii_lowercase()
        .replace(':', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_references_parse_as_docker_does() {
        let r = DockerRef::parse("busybox").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            (DEFAULT_REGISTRY, "library/busybox", Some("latest"))
        );
        let r = DockerRef::parse("127.0.0.1:5000/test/app:1.2").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("127.0.0.1:5000", "test/app", Some("1.2"))
        );
        let d = format!("sha256:{}", "a".repeat(64));
        let r = DockerRef::parse(&format!("quay.io/x/y@{d}")).unwrap();
        assert_eq!((r.tag, r.digest.as_deref()), (None, Some(d.as_str())));
        assert!(DockerRef::parse("Bad/Name").is_err());
        assert_eq!(
            aci_name("127.0.0.1:5000", "test/app"),
            "127.0.0.1-5000/test/app"
        );
    }

    #[test]
    fn config_maps_like_docker2aci() {
        let config = json!({"os": "linux", "architecture": "amd64", "config": {
            "Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo hi"], "User": "1000:100",
            "Env": ["PATH=/bin", "A=b=c"], "WorkingDir": "/srv",
            "ExposedPorts": {"80/tcp": {}, "53/udp": {}}, "Volumes": {"/data": {}}}});
        let origin = Origin {
            name: "example.com/app".into(),
            version: Some("1.0".into()),
            annotations: vec![(
                "appc.io/docker/originalname".into(),
                "example.com/app:1.0".into(),
            )],
        };
        let m: Value = serde_json::from_slice(
            &image_manifest(&config, "sha256:c", "sha256:m", &origin).unwrap(),
        )
        .unwrap();
        assert_eq!(m["app"]["exec"], json!(["/bin/sh", "-c", "echo hi"]));
        assert_eq!(m["app"]["user"], "1000");
        assert_eq!(m["app"]["group"], "100");
        assert_eq!(
            m["app"]["environment"][1],
            json!({"name": "A", "value": "b=c"})
        );
        assert_eq!(m["app"]["workingDirectory"], "/srv");
        let ports = m["app"]["ports"].as_array().unwrap();
        assert!(ports.contains(&json!({"name": "80-tcp", "protocol": "tcp", "port": 80})));
        assert_eq!(
            m["app"]["mountPoints"][0],
            json!({"name": "volume-data", "path": "/data"})
        );
        assert_eq!(m["labels"][0], json!({"name": "version", "value": "1.0"}));
    }
}
