//! `acfetch`: parses arguments, calls the library, prints.

use std::io::{self, BufRead, BufWriter, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use acfetch::cli::{Cli, Command, Common, ProgressArg, PullPolicyArg, TrustArgs};
use acfetch::download::Downloader;
use acfetch::keys::PublicKey;
use acfetch::trust::{Scope, TrustStore};
use acfetch::{FetchOptions, Fetcher, Insecure, PullPolicy, Reference};
use acstore::store::Store;
use anyhow::{Context, Result, bail};
use appc::discovery::http::{Client, ClientConfig};
use appc::discovery::{DiscoveryOptions, Search};
use clap::{CommandFactory, Parser};
use url::Url;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("acfetch: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error chain on one line, without the repeats of errors whose message already includes
/// their cause or of a context the next message starts with.
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if parts.last().is_some_and(|p| p.ends_with(&s)) {
            continue;
        }
        if parts
            .last()
            .is_some_and(|p| s.starts_with(&format!("{p}: ")))
        {
            parts.pop();
        }
        parts.push(s);
    }
    parts.join(": ")
}

fn run(cli: Cli) -> Result<()> {
    if cli.command.is_some() && !cli.references.is_empty() {
        bail!("image references and a subcommand cannot be mixed");
    }
    let insecure = Insecure::parse(&cli.common.insecure_options).map_err(anyhow::Error::msg)?;
    match &cli.command {
        Some(Command::GenerateDocs { dir }) => {
            return appc::cli_docs::generate(Cli::command(), dir)
                .with_context(|| dir.display().to_string());
        }
        Some(Command::Trust(args)) => return trust(&cli.common, insecure, args),
        None => {}
    }
    for w in insecure.warnings() {
        eprintln!("acfetch: {w}");
    }
    let fetcher = fetcher(&cli.common, insecure)?;
    if let Some(output) = &cli.output {
        if cli.references.len() != 1 {
            bail!("-o takes exactly one reference");
        }
        let r = &cli.references[0];
        let reference = Reference::parse(r)?;
        return write_output(&fetcher, &reference, output).with_context(|| r.clone());
    }
    let mut out = BufWriter::new(io::stdout().lock());
    for r in &cli.references {
        let reference = Reference::parse(r)?;
        let info = fetcher.fetch(&reference).with_context(|| r.clone())?;
        writeln!(out, "{}", info.to_json())?;
        out.flush()?;
    }
    Ok(())
}

fn write_output(fetcher: &Fetcher, reference: &Reference, output: &Path) -> Result<()> {
    if output == Path::new("-") {
        let mut out = io::stdout().lock();
        fetcher.fetch_to(reference, &mut out)?;
        return Ok(());
    }
    let mut file =
        appc::fsutil::AtomicFile::new(output).with_context(|| output.display().to_string())?;
    fetcher.fetch_to(reference, &mut *file)?;
    file.commit()
        .with_context(|| output.display().to_string())?;
    Ok(())
}

fn config_dirs(common: &Common) -> (Vec<PathBuf>, PathBuf) {
    match &common.config_dir {
        Some(d) => (vec![d.clone()], d.clone()),
        None => acfetch::trust::default_config_dirs(),
    }
}

fn client(common: &Common, insecure_tls: bool) -> Result<Client> {
    Ok(Client::new(&ClientConfig {
        insecure_tls,
        ca_files: common.ca_cert.clone(),
        read_timeout: Some(Duration::from_secs(common.timeout)),
        ..ClientConfig::default()
    })?)
}

fn fetcher(common: &Common, insecure: Insecure) -> Result<Fetcher> {
    let (read, write) = config_dirs(common);
    // Docker's own logins (for docker:// registries) first: auth.d entries replace them.
    let mut headers = appc::discovery::http::HostHeaders::new();
    let docker_config = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".docker")));
    if let Some(dir) = docker_config {
        acfetch::auth::load_docker_config(&dir.join("config.json"), &mut headers)?;
    }
    acfetch::auth::load_into(&read, &mut headers)?;
    let store_dir = common
        .store_dir
        .clone()
        .unwrap_or_else(acstore::layout::default_store_dir);
    let store = Store::open(&store_dir)
        .with_context(|| format!("opening the store at {}", store_dir.display()))?;
    let progress = match common.progress {
        ProgressArg::Auto => io::stderr().is_terminal(),
        ProgressArg::Always => true,
        ProgressArg::Never => false,
    };
    Ok(Fetcher {
        store,
        trust: TrustStore::new(read, write),
        downloader: Downloader {
            client: client(common, insecure.tls)?,
            headers: headers.clone(),
            retries: common.retries,
            backoff: Duration::from_millis(500),
            allow_http: insecure.http,
            progress,
        },
        options: FetchOptions {
            insecure,
            pull_policy: match common.pull_policy {
                PullPolicyArg::Never => PullPolicy::Never,
                PullPolicyArg::New => PullPolicy::New,
                PullPolicyArg::Update => PullPolicy::Update,
            },
            max_size: common.max_size,
            discovery: DiscoveryOptions {
                port: common.discovery_port,
                headers,
                ..DiscoveryOptions::default()
            },
        },
    })
}

fn trust(common: &Common, insecure: Insecure, args: &TrustArgs) -> Result<()> {
    let (read, write) = config_dirs(common);
    let store = TrustStore::new(read.clone(), write);
    let mut out = io::stdout().lock();
    if args.list {
        for key in store.list()? {
            writeln!(out, "{}", serde_json::to_string(&key)?)?;
        }
        return Ok(());
    }
    if let Some(fp) = &args.remove {
        let removed = store.remove(fp)?;
        if removed.is_empty() {
            bail!("{fp}: no such trusted key");
        }
        for key in removed {
            eprintln!("removed {} ({})", key.fingerprint, key.path.display());
        }
        return Ok(());
    }
    let scope = match (&args.prefix, args.root) {
        (Some(p), false) => Scope::Prefix(p.clone()),
        (None, true) => Scope::Root,
        _ => bail!("say which names the key is for: --prefix PREFIX or --root"),
    };
    for w in insecure.warnings() {
        eprintln!("acfetch: {w}");
    }
    let insecure_fetch = insecure.pubkey;
    let http = client(common, insecure_fetch && insecure.tls)?;
    let mut locations = args.keys.clone();
    if locations.is_empty() {
        let Scope::Prefix(prefix) = &scope else {
            bail!("--root needs a key file or URL");
        };
        let found = appc::discovery::discover(
            &http,
            prefix,
            &Default::default(),
            &DiscoveryOptions {
                port: common.discovery_port,
                insecure_http: insecure_fetch,
                headers: acfetch::auth::load(&read)?,
                ..DiscoveryOptions::default()
            },
            Search::PublicKeys,
        )?;
        locations = found.public_keys;
    }
    let mut stdin = io::stdin().lock();
    for location in &locations {
        let data = read_key(&http, location, insecure_fetch, common.retries)
            .with_context(|| location.clone())?;
        let key = PublicKey::parse(&data).with_context(|| location.clone())?;
        eprintln!("Key from {location}:");
        eprintln!("  fingerprint: {}", spaced(&key.fingerprint()));
        for uid in key.user_ids() {
            eprintln!("  user ID:     {uid}");
        }
        match &scope {
            Scope::Root => eprintln!("  trusted for: every image name"),
            Scope::Prefix(p) => eprintln!("  trusted for: {p} and names below it"),
        }
        if !args.yes {
            if !io::stdin().is_terminal() {
                bail!("{location}: not a terminal to ask on: pass --yes to trust the key");
            }
            eprint!("Trust this key? [y/N] ");
            let mut answer = String::new();
            stdin.read_line(&mut answer)?;
            if !matches!(answer.trim(), "y" | "Y" | "yes") {
                bail!("{location}: not trusted");
            }
        }
        let entry = store.add(&key, scope.clone())?;
        writeln!(out, "{}", serde_json::to_string(&entry)?)?;
    }
    Ok(())
}

fn read_key(http: &Client, location: &str, insecure: bool, retries: u32) -> Result<Vec<u8>> {
    if !(location.starts_with("https://") || location.starts_with("http://")) {
        let path = location.strip_prefix("file://").unwrap_or(location);
        return Ok(std::fs::read(path)?);
    }
    let url = Url::parse(location)?;
    let downloader = Downloader {
        client: http.clone(),
        headers: Default::default(),
        retries,
        backoff: Duration::from_millis(500),
        allow_http: insecure,
        progress: false,
    };
    let mut tmp = tempfile::tempfile()?;
    downloader.get(&url, None, Some(1 << 20), &mut tmp)?;
    let mut data = Vec::new();
    tmp.seek(SeekFrom::Start(0))?;
    tmp.read_to_end(&mut data)?;
    Ok(data)
}

fn spaced(fp: &str) -> String {
    fp.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).to_uppercase())
        .collect::<Vec<_>>()
        .join(" ")
}
