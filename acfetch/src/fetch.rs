//! From a reference to a verified image in the store: discovery, download (with the remote
//! cache), signature check, name and label checks, dependencies; nothing is made visible in
//! the store before the signature verified, and a failed fetch leaves nothing new behind.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use acstore::record::ImageInfo;
use acstore::remote::Remote;
use acstore::store::{ImportOptions, Store, StoreError};
use appc::ImageId;
use appc::aci::AciError;
use appc::discovery::{DiscoveryError, DiscoveryOptions, Search};
use appc::schema::{Dependency, ImageManifest};
use url::Url;

use crate::docker::{self, DockerError, DockerRef, OciLayout, Origin, Registry};
use crate::download::{DownloadError, Downloader, Outcome};
use crate::keys::{self, KeyError, Signature};
use crate::reference::Reference;
use crate::trust::{TrustError, TrustStore};

/// How deep dependencies may nest (a cycle would otherwise never end).
const MAX_DEPTH: usize = 16;

/// Largest signature file accepted.
const MAX_SIGNATURE_SIZE: u64 = 1 << 20;

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Discovery found no endpoint.
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    /// A download failed.
    #[error(transparent)]
    Download(#[from] DownloadError),
    /// The signature could not be fetched.
    #[error("no signature: {reason} (to skip signature checks: --insecure-options=image)")]
    NoSignature {
        /// Where it was looked for.
        location: String,
        /// Why it is missing.
        reason: String,
    },
    /// The signature did not verify.
    #[error("{location}: {source}")]
    Signature {
        /// The image checked.
        location: String,
        /// Why.
        source: KeyError,
    },
    /// The trust store could not be read.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The downloaded file is not a valid ACI.
    #[error("{location}: {source}")]
    Aci {
        /// The image.
        location: String,
        /// Why.
        source: AciError,
    },
    /// The image is not what was asked for.
    #[error("{location}: {reason}")]
    Mismatch {
        /// The image.
        location: String,
        /// What differs.
        reason: String,
    },
    /// `--pull-policy never` and the image is not in the store.
    #[error("{0}: not in the store and --pull-policy is never")]
    NotInStore(String),
    /// Every endpoint failed.
    #[error("no endpoint gave a valid image: {}", .0.join("; "))]
    AllFailed(Vec<String>),
    /// A docker or OCI image failed.
    #[error(transparent)]
    Docker(#[from] crate::docker::DockerError),
    /// Docker and OCI images carry no appc signature.
    #[error("{0}: docker and OCI images are not signed: pass --insecure-options=image")]
    Unsigned(String),
    /// A dependency failed.
    #[error("dependency {name}: {source}")]
    Dependency {
        /// The dependency's image name.
        name: String,
        /// Why.
        source: Box<FetchError>,
    },
    /// Dependencies nest too deeply (a cycle?).
    #[error("dependencies nest deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A local file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Security checks switched off, with rkt's words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Insecure {
    /// `http`: allow plain HTTP for discovery, images, signatures.
    pub http: bool,
    /// `tls`: skip certificate verification.
    pub tls: bool,
    /// `image`: skip the signature check.
    pub image: bool,
    /// `pubkey`: allow `trust` to fetch keys over plain HTTP or unverified TLS.
    pub pubkey: bool,
}

impl Insecure {
    /// Parses a comma-separated list: `none`, `http`, `tls`, `image`, `pubkey`, `all-fetch`, `all`.
    pub fn parse(s: &str) -> Result<Insecure, String> {
        let mut out = Insecure::default();
        for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word {
                "none" => {}
                "http" => out.http = true,
                "tls" => out.tls = true,
                "image" => out.image = true,
                "pubkey" => out.pubkey = true,
                "all-fetch" | "all" => {
                    out = Insecure {
                        http: true,
                        tls: true,
                        image: true,
                        pubkey: true,
                    }
                }
                other => {
                    return Err(format!(
                        "unknown insecure option {other:?} (none, http, tls, image, pubkey, all-fetch, all)"
                    ));
                }
            }
        }
        Ok(out)
    }

    /// One warning line per check switched off.
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut w = Vec::new();
        if self.http {
            w.push("WARNING: insecure option http: plain HTTP allowed; anyone on the path can change what is fetched");
        }
        if self.tls {
            w.push("WARNING: insecure option tls: TLS certificates are NOT verified");
        }
        if self.image {
            w.push("WARNING: insecure option image: image signatures are NOT checked");
        }
        if self.pubkey {
            w.push(
                "WARNING: insecure option pubkey: keys may be fetched over insecure connections",
            );
        }
        w
    }
}

/// When to go to the network, as rkt's `--pull-policy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PullPolicy {
    /// Only the store.
    Never,
    /// The store if it has a match, else fetch.
    New,
    /// Always ask the remote (cheap when cached: `max-age` or `304 Not Modified`).
    #[default]
    Update,
}

/// Settings of a [`Fetcher`].
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    /// Disabled checks.
    pub insecure: Insecure,
    /// When to go to the network.
    pub pull_policy: PullPolicy,
    /// Largest download accepted for an image, bytes.
    pub max_size: Option<u64>,
    /// Discovery options (port override, timeouts, credentials).
    pub discovery: DiscoveryOptions,
}

/// Fetches images into a store.
#[derive(Debug, Clone)]
pub struct Fetcher {
    /// The store images go to.
    pub store: Store,
    /// The trusted keys.
    pub trust: TrustStore,
    /// The HTTP side.
    pub downloader: Downloader,
    /// Settings.
    pub options: FetchOptions,
}

/// What is expected of an image.
#[derive(Debug, Clone, Default)]
struct Want {
    name: Option<String>,
    labels: BTreeMap<String, String>,
    id: Option<ImageId>,
    limit: Option<u64>,
}

/// Where one candidate image (and its signature) is.
#[derive(Debug, Clone)]
enum Location {
    Url(Url),
    File(PathBuf),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Url(u) => f.write_str(u.as_str()),
            Location::File(p) => write!(f, "{}", p.display()),
        }
    }
}

#[derive(Debug, Clone)]
struct Source {
    aci: Location,
    asc: Location,
}

/// A fetched image and the images this fetch added to the store (undone on a later failure).
struct Fetched {
    info: ImageInfo,
    added: Vec<ImageId>,
}

impl Fetcher {
    /// Fetches `reference` (and its dependencies) into the store; returns its record.
    pub fn fetch(&self, reference: &Reference) -> Result<ImageInfo, FetchError> {
        let fetched = self.fetch_at(reference, 0)?;
        Ok(fetched.info)
    }

    /// Downloads and verifies `reference`, then writes the ACI as distributed to `out`
    /// instead of storing it (dependencies are not fetched).
    pub fn fetch_to(&self, reference: &Reference, out: &mut dyn Write) -> Result<(), FetchError> {
        if matches!(reference, Reference::Docker(_) | Reference::Oci(_)) {
            return Ok(self.convert(reference)?.write(out)?);
        }
        let (sources, want) = self.sources(reference)?;
        let mut errors = Vec::new();
        for source in &sources {
            let attempt = (|| -> Result<(), FetchError> {
                let (mut file, _) = self.obtain(&source.aci, None, &want)?;
                self.check(&mut file, &source.aci, &source.asc, &want)?;
                file.seek(SeekFrom::Start(0))
                    .map_err(io_at(Path::new("download")))?;
                io::copy(&mut file, out).map_err(io_at(Path::new("output")))?;
                out.flush().map_err(io_at(Path::new("output")))?;
                Ok(())
            })();
            match attempt {
                Ok(()) => return Ok(()),
                Err(e) if sources.len() == 1 => return Err(e),
                Err(e) => errors.push(e.to_string()),
            }
        }
        Err(FetchError::AllFailed(errors))
    }

    fn fetch_at(&self, reference: &Reference, depth: usize) -> Result<Fetched, FetchError> {
        if depth > MAX_DEPTH {
            return Err(FetchError::TooDeep);
        }
        if let Some(info) = self.stored_answer(reference)? {
            return Ok(Fetched {
                info,
                added: Vec::new(),
            });
        }
        if matches!(reference, Reference::Docker(_) | Reference::Oci(_)) {
            let prepared = self.convert(reference)?;
            // Squash into a pipe that the import reads: no intermediate file, both at once.
            let (reader, writer) = io::pipe().map_err(io_at(Path::new("pipe")))?;
            let (written, imported) = std::thread::scope(|s| {
                let squasher = s.spawn(move || prepared.write(writer));
                let imported = self.store.import(
                    reader,
                    &ImportOptions {
                        max_size: None,
                        source: Some(describe(reference)),
                    },
                );
                let written = squasher.join().unwrap_or_else(|_| {
                    Err(DockerError::Format("squashing the layers panicked".into()))
                });
                (written, imported)
            });
            // A squash failure also shows as a truncated import: report the squash error.
            if let Err(e) = written {
                if let Ok(i) = &imported
                    && i.new
                {
                    let _ = self.store.remove(&i.info.record.id);
                }
                return Err(e.into());
            }
            let imported = imported?;
            return Ok(Fetched {
                info: imported.info,
                added: Vec::new(),
            });
        }
        if let Some(info) = self.fresh_name_answer(reference)? {
            return Ok(Fetched {
                info,
                added: Vec::new(),
            });
        }
        let (sources, want) = self.sources(reference)?;
        let fetched = self.fetch_sources(&sources, &want, depth)?;
        self.remember_name(reference, &sources, &fetched.info)?;
        Ok(fetched)
    }

    /// The cache key of an appc name: the name and its labels with os/arch defaulted, as
    /// discovery sees them.
    fn name_key(name: &str, labels: &BTreeMap<String, String>) -> String {
        let mut labels = labels.clone();
        let (os, arch) = appc::schema::host_os_arch();
        labels.entry("os".into()).or_insert_with(|| os.into());
        labels.entry("arch".into()).or_insert_with(|| arch.into());
        let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("appc-name:{name},{}", labels.join(","))
    }

    /// A re-fetch of a name whose image came, within its `Cache-Control: max-age`, from the
    /// URL discovery gave: answered from the store with no request at all (not even the
    /// discovery page), as a fresh re-fetch of that URL is.
    fn fresh_name_answer(&self, reference: &Reference) -> Result<Option<ImageInfo>, FetchError> {
        let Reference::Name { name, labels } = reference else {
            return Ok(None);
        };
        if self.options.pull_policy != PullPolicy::Update {
            return Ok(None);
        }
        match self.store.remote(&Self::name_key(name, labels))? {
            Some(r) if r.is_fresh(appc::time::now_unix()) => Ok(self.store.info(&r.id)?),
            _ => Ok(None),
        }
    }

    /// Records which image a name gave, fresh for as long as the image URL's response was.
    fn remember_name(
        &self,
        reference: &Reference,
        sources: &[Source],
        info: &ImageInfo,
    ) -> Result<(), FetchError> {
        let Reference::Name { name, labels } = reference else {
            return Ok(());
        };
        for source in sources {
            if let Location::Url(u) = &source.aci
                && let Some(r) = self.store.remote(u.as_str())?
                && r.id == info.record.id
            {
                self.store.set_remote(&Remote {
                    url: Self::name_key(name, labels),
                    ..r
                })?;
                break;
            }
        }
        Ok(())
    }

    /// Resolves and downloads a `docker://` or `oci:` image, ready to squash.
    fn convert(&self, reference: &Reference) -> Result<docker::Prepared, FetchError> {
        if !self.options.insecure.image {
            return Err(FetchError::Unsigned(describe(reference)));
        }
        let (os, arch) = appc::schema::host_os_arch();
        let tmp_dir = self.store.layout().tmp();
        match reference {
            Reference::Docker(s) => {
                let r = DockerRef::parse(s)?;
                let origin = Origin {
                    name: docker::aci_name(&r.registry, &r.repository),
                    version: r.tag.clone(),
                    annotations: vec![
                        ("appc.io/docker/originalname".into(), s.clone()),
                        ("appc.io/docker/registryurl".into(), r.registry.clone()),
                        ("appc.io/docker/repository".into(), r.repository.clone()),
                    ]
                    .into_iter()
                    .chain(r.tag.clone().map(|t| ("appc.io/docker/tag".to_string(), t)))
                    .collect(),
                };
                let mut schemes = vec![false];
                if self.options.insecure.http {
                    schemes.push(true);
                }
                let mut last = None;
                for http in schemes {
                    let registry = Registry::new(
                        self.downloader.client.clone(),
                        &r,
                        http,
                        &self.downloader.headers,
                        self.options.max_size,
                    )?;
                    match docker::prepare(&registry, r.manifest_ref(), &origin, os, arch, &tmp_dir)
                    {
                        Ok(p) => return Ok(p),
                        Err(e @ DockerError::Http { .. }) => last = Some(e),
                        Err(e) => return Err(e.into()),
                    }
                }
                Err(last
                    .map(FetchError::from)
                    .unwrap_or_else(|| FetchError::AllFailed(Vec::new())))
            }
            Reference::Oci(s) => {
                let (dir, tag) = match s.rsplit_once(':') {
                    Some((d, t)) if !t.contains('/') => (d.to_string(), t.to_string()),
                    _ => (s.clone(), String::new()),
                };
                let base = Path::new(&dir)
                    .canonicalize()
                    .map_err(io_at(Path::new(&dir)))?;
                let stem: String = base
                    .file_name()
                    .map(|n| n.to_string_lossy().to_ascii_lowercase())
                    .unwrap_or_default()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect();
                let origin = Origin {
                    name: format!("oci/{}", stem.trim_matches('-')),
                    version: (!tag.is_empty()).then(|| tag.clone()),
                    annotations: vec![("appc.io/oci/layout".into(), base.display().to_string())],
                };
                Ok(docker::prepare(
                    &OciLayout::new(&base),
                    &tag,
                    &origin,
                    os,
                    arch,
                    &tmp_dir,
                )?)
            }
            _ => Err(FetchError::AllFailed(vec![describe(reference)])),
        }
    }

    fn fetch_sources(
        &self,
        sources: &[Source],
        want: &Want,
        depth: usize,
    ) -> Result<Fetched, FetchError> {
        let mut errors = Vec::new();
        for source in sources {
            match self.fetch_source(source, want, depth) {
                Ok(f) => return Ok(f),
                Err(e) if sources.len() == 1 => return Err(e),
                Err(e) => errors.push(e.to_string()),
            }
        }
        Err(FetchError::AllFailed(errors))
    }

    /// The store's answer when the pull policy lets it decide.
    fn stored_answer(&self, reference: &Reference) -> Result<Option<ImageInfo>, FetchError> {
        let policy = self.options.pull_policy;
        if policy == PullPolicy::Update {
            return Ok(None);
        }
        let found = match reference {
            Reference::Name { name, labels } => self.find(name, labels)?,
            Reference::Url(url) => match self.store.remote(url.as_str())? {
                Some(r) => self.store.info(&r.id)?,
                None => None,
            },
            Reference::Docker(s) => {
                let r = DockerRef::parse(s)?;
                let labels = r
                    .tag
                    .iter()
                    .map(|t| ("version".to_string(), t.clone()))
                    .collect();
                self.find(&docker::aci_name(&r.registry, &r.repository), &labels)?
            }
            // A local file or layout is always read: that costs no network.
            _ => return Ok(None),
        };
        match (found, policy) {
            (Some(info), _) => Ok(Some(info)),
            (None, PullPolicy::Never) => Err(FetchError::NotInStore(describe(reference))),
            (None, _) => Ok(None),
        }
    }

    /// The newest stored image with this name whose labels match (os/arch: if it has them).
    fn find(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<Option<ImageInfo>, FetchError> {
        let explicit: BTreeMap<String, String> = labels.clone();
        let Some(info) = self.store.find_by_name(name, &explicit)? else {
            return Ok(None);
        };
        let (os, arch) = appc::schema::host_os_arch();
        for (k, host) in [("os", os), ("arch", arch)] {
            if !labels.contains_key(k) && info.record.labels.get(k).is_some_and(|v| v != host) {
                return Ok(None);
            }
        }
        Ok(Some(info))
    }

    /// The candidate locations of `reference`, in the order to try them.
    fn sources(&self, reference: &Reference) -> Result<(Vec<Source>, Want), FetchError> {
        match reference {
            Reference::Name { name, labels } => {
                let want = Want {
                    name: Some(name.clone()),
                    labels: labels.clone(),
                    ..Want::default()
                };
                Ok((self.discover(name, labels)?, want))
            }
            Reference::Url(url) => {
                let mut asc = url.clone();
                asc.set_path(&format!("{}.asc", url.path()));
                Ok((
                    vec![Source {
                        aci: Location::Url(url.clone()),
                        asc: Location::Url(asc),
                    }],
                    Want::default(),
                ))
            }
            Reference::File(path) => {
                let mut asc = path.clone().into_os_string();
                asc.push(".asc");
                Ok((
                    vec![Source {
                        aci: Location::File(path.clone()),
                        asc: Location::File(asc.into()),
                    }],
                    Want::default(),
                ))
            }
            Reference::Docker(_) | Reference::Oci(_) => Err(FetchError::AllFailed(vec![format!(
                "{}: converted, not downloaded",
                describe(reference)
            )])),
        }
    }

    fn discover(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<Vec<Source>, FetchError> {
        let mut labels = labels.clone();
        let (os, arch) = appc::schema::host_os_arch();
        labels.entry("os".into()).or_insert_with(|| os.into());
        labels.entry("arch".into()).or_insert_with(|| arch.into());
        let mut options = self.options.discovery.clone();
        options.insecure_http = self.options.insecure.http;
        options.headers = self.downloader.headers.clone();
        let found = appc::discovery::discover(
            &self.downloader.client,
            name,
            &labels,
            &options,
            Search::AciEndpoints,
        )?;
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for ep in found.aci_endpoints {
            match (Url::parse(&ep.aci), Url::parse(&ep.asc)) {
                (Ok(aci), Ok(asc)) => out.push(Source {
                    aci: Location::Url(aci),
                    asc: Location::Url(asc),
                }),
                _ => errors.push(format!("{}: not a URL", ep.aci)),
            }
        }
        if out.is_empty() {
            return Err(FetchError::AllFailed(errors));
        }
        Ok(out)
    }

    /// Opens a local image, or downloads one (conditionally when `cached` has an `ETag`);
    /// the outcome tells a download from a `304 Not Modified`.
    fn obtain(
        &self,
        location: &Location,
        cached: Option<&Remote>,
        want: &Want,
    ) -> Result<(File, Option<Outcome>), FetchError> {
        match location {
            Location::File(path) => {
                let f = File::open(path).map_err(io_at(path))?;
                Ok((f, None))
            }
            Location::Url(url) => {
                let mut tmp = self.tmp_file()?;
                let limit = match (want.limit, self.options.max_size) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                let outcome = self.downloader.get(
                    url,
                    cached.and_then(|r| r.etag.as_deref()),
                    limit,
                    &mut tmp,
                )?;
                Ok((tmp, Some(outcome)))
            }
        }
    }

    fn tmp_file(&self) -> Result<File, FetchError> {
        let dir = self.store.layout().tmp();
        // Unlinked from the start: a crash leaves nothing to clean up.
        tempfile::tempfile_in(&dir).map_err(io_at(&dir))
    }

    fn fetch_source(
        &self,
        source: &Source,
        want: &Want,
        depth: usize,
    ) -> Result<Fetched, FetchError> {
        let cache_key = match &source.aci {
            Location::Url(u) => Some(u.as_str().to_string()),
            Location::File(_) => None,
        };
        let cached = match &cache_key {
            Some(k) => self
                .store
                .remote(k)?
                .filter(|r| want.id.as_ref().is_none_or(|id| *id == r.id)),
            None => None,
        };
        if let Some(r) = &cached
            && r.is_fresh(appc::time::now_unix())
            && let Some(info) = self.store.info(&r.id)?
        {
            self.check_record(&info, &source.aci, want)?;
            return Ok(Fetched {
                info,
                added: Vec::new(),
            });
        }
        let (mut file, outcome) = self.obtain(&source.aci, cached.as_ref(), want)?;
        if let (Some(Outcome::NotModified(cache)), Some(r)) = (&outcome, &cached) {
            let info = self
                .store
                .info(&r.id)?
                .ok_or_else(|| StoreError::NotFound(r.id.to_string()))?;
            self.check_record(&info, &source.aci, want)?;
            self.store.set_remote(&Remote {
                etag: cache.etag.clone().or_else(|| r.etag.clone()),
                max_age: cache.max_age,
                download_time: appc::time::now_unix(),
                ..r.clone()
            })?;
            return Ok(Fetched {
                info,
                added: Vec::new(),
            });
        }
        let manifest = self.check(&mut file, &source.aci, &source.asc, want)?;
        let mut added = self.fetch_dependencies(&manifest, depth)?;
        let result = (|| -> Result<ImageInfo, FetchError> {
            file.seek(SeekFrom::Start(0))
                .map_err(io_at(Path::new("download")))?;
            let imported = self.store.import(
                &mut file,
                &ImportOptions {
                    max_size: None,
                    source: Some(source.aci.to_string()),
                },
            )?;
            if imported.new {
                added.push(imported.info.record.id.clone());
            }
            if let (Some(key), Some(Outcome::Downloaded(cache, _))) = (&cache_key, &outcome) {
                self.store.set_remote(&Remote {
                    url: key.clone(),
                    id: imported.info.record.id.clone(),
                    etag: cache.etag.clone(),
                    max_age: cache.max_age,
                    download_time: appc::time::now_unix(),
                })?;
            }
            Ok(imported.info)
        })();
        match result {
            Ok(info) => Ok(Fetched { info, added }),
            Err(e) => {
                self.undo(&added);
                Err(e)
            }
        }
    }

    /// Reads the manifest, checks name, labels, ID and signature; the file stays unchanged.
    fn check(
        &self,
        file: &mut File,
        aci: &Location,
        asc: &Location,
        want: &Want,
    ) -> Result<ImageManifest, FetchError> {
        let location = aci.to_string();
        let aci_err = |source| FetchError::Aci {
            location: location.clone(),
            source,
        };
        file.seek(SeekFrom::Start(0))
            .map_err(io_at(Path::new("download")))?;
        let bytes = appc::aci::read_manifest(&mut *file).map_err(aci_err)?;
        let manifest = ImageManifest::from_slice(&bytes).map_err(|e| FetchError::Mismatch {
            location: location.clone(),
            reason: format!("invalid manifest: {e}"),
        })?;
        let labels: BTreeMap<String, String> = manifest
            .labels
            .0
            .iter()
            .map(|l| (l.name.as_str().to_string(), l.value.clone()))
            .collect();
        check_identity(manifest.name.as_str(), &labels, want, &location)?;
        if let Some(id) = &want.id {
            file.seek(SeekFrom::Start(0))
                .map_err(io_at(Path::new("download")))?;
            let scanned = appc::aci::validate(&mut *file).map_err(aci_err)?;
            if scanned.id != *id {
                return Err(FetchError::Mismatch {
                    location,
                    reason: format!("image ID is {}, the dependency requires {id}", scanned.id),
                });
            }
        }
        if self.options.insecure.image {
            return Ok(manifest);
        }
        let sig = self.signature(asc)?;
        let keys = self.trust.keys_for(manifest.name.as_str())?;
        keys::verify(&keys, &sig, file, manifest.name.as_str()).map_err(|source| {
            FetchError::Signature {
                location: location.clone(),
                source,
            }
        })?;
        Ok(manifest)
    }

    fn check_record(
        &self,
        info: &ImageInfo,
        aci: &Location,
        want: &Want,
    ) -> Result<(), FetchError> {
        check_identity(
            &info.record.name,
            &info.record.labels,
            want,
            &aci.to_string(),
        )
    }

    fn signature(&self, asc: &Location) -> Result<Signature, FetchError> {
        let missing = |reason: String| FetchError::NoSignature {
            location: asc.to_string(),
            reason,
        };
        let data = match asc {
            Location::File(p) => {
                std::fs::read(p).map_err(|e| missing(format!("{}: {e}", p.display())))?
            }
            Location::Url(u) => {
                let mut tmp = self.tmp_file()?;
                let quiet = Downloader {
                    progress: false,
                    ..self.downloader.clone()
                };
                quiet
                    .get(u, None, Some(MAX_SIGNATURE_SIZE), &mut tmp)
                    .map_err(|e| missing(e.to_string()))?;
                let mut data = Vec::new();
                tmp.seek(SeekFrom::Start(0))
                    .and_then(|_| tmp.read_to_end(&mut data))
                    .map_err(|e| missing(e.to_string()))?;
                data
            }
        };
        Signature::parse(&data).map_err(|source| FetchError::Signature {
            location: asc.to_string(),
            source,
        })
    }

    /// Fetches every dependency concurrently; on failure removes what this call added.
    fn fetch_dependencies(
        &self,
        manifest: &ImageManifest,
        depth: usize,
    ) -> Result<Vec<ImageId>, FetchError> {
        let added = Mutex::new(Vec::new());
        let first_error: Mutex<Option<FetchError>> = Mutex::new(None);
        std::thread::scope(|s| {
            for dep in &manifest.dependencies {
                let added = &added;
                let first_error = &first_error;
                s.spawn(move || match self.fetch_dependency(dep, depth + 1) {
                    Ok(mut ids) => lock(added).append(&mut ids),
                    Err(e) => {
                        let mut slot = lock(first_error);
                        if slot.is_none() {
                            *slot = Some(FetchError::Dependency {
                                name: dep.image_name.as_str().to_string(),
                                source: Box::new(e),
                            });
                        }
                    }
                });
            }
        });
        let added = added.into_inner().unwrap_or_else(|p| p.into_inner());
        match first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => {
                self.undo(&added);
                Err(e)
            }
            None => Ok(added),
        }
    }

    fn fetch_dependency(&self, dep: &Dependency, depth: usize) -> Result<Vec<ImageId>, FetchError> {
        if depth > MAX_DEPTH {
            return Err(FetchError::TooDeep);
        }
        if let Some(id) = &dep.image_id
            && self.store.info(id)?.is_some()
        {
            return Ok(Vec::new());
        }
        let name = dep.image_name.as_str().to_string();
        let labels: BTreeMap<String, String> = dep
            .labels
            .0
            .iter()
            .map(|l| (l.name.as_str().to_string(), l.value.clone()))
            .collect();
        if dep.image_id.is_none()
            && self.options.pull_policy != PullPolicy::Update
            && self.find(&name, &labels)?.is_some()
        {
            return Ok(Vec::new());
        }
        let want = Want {
            name: Some(name.clone()),
            labels: labels.clone(),
            id: dep.image_id.clone(),
            limit: (dep.size > 0).then_some(dep.size),
        };
        let sources = self.discover(&name, &labels)?;
        Ok(self.fetch_sources(&sources, &want, depth)?.added)
    }

    fn undo(&self, added: &[ImageId]) {
        for id in added {
            let _ = self.store.remove(id);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Name and labels as asked: os/arch not asked for must match the host when the image has them.
fn check_identity(
    name: &str,
    labels: &BTreeMap<String, String>,
    want: &Want,
    location: &str,
) -> Result<(), FetchError> {
    let mismatch = |reason: String| FetchError::Mismatch {
        location: location.to_string(),
        reason,
    };
    if let Some(w) = &want.name
        && !w.eq_ignore_ascii_case(name)
    {
        return Err(mismatch(format!("the image is named {name:?}, not {w:?}")));
    }
    if want.name.is_none() {
        return Ok(());
    }
    for (k, v) in &want.labels {
        if labels.get(k) != Some(v) {
            return Err(mismatch(format!(
                "label {k} is {:?}, {v:?} was asked for",
                labels.get(k).map(String::as_str).unwrap_or("(unset)")
            )));
        }
    }
    let (os, arch) = appc::schema::host_os_arch();
    for (k, host) in [("os", os), ("arch", arch)] {
        if !want.labels.contains_key(k)
            && let Some(v) = labels.get(k)
            && v != host
        {
            return Err(mismatch(format!(
                "label {k} is {v:?}, this host is {host:?}"
            )));
        }
    }
    Ok(())
}

fn describe(reference: &Reference) -> String {
    match reference {
        Reference::Name { name, labels } => {
            let mut s = name.clone();
            for (k, v) in labels {
                s.push_str(&format!(",{k}={v}"));
            }
            s
        }
        Reference::Url(u) => u.to_string(),
        Reference::File(p) => p.display().to_string(),
        Reference::Docker(r) => format!("docker://{r}"),
        Reference::Oci(r) => format!("oci:{r}"),
    }
}
