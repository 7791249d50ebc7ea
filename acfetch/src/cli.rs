//! The command-line definition of `acfetch`: every flag is defined here once; `--help`, the man
//! pages and the completions are generated from it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
References:
  example.com/app[:version][,label=value...]   appc name, found by meta discovery
                                               (os and arch default to this host)
  https://example.com/app.aci                  URL (signature: the URL + .asc)
  ./app.aci, /srv/app.aci, file:///srv/app.aci local file (signature: the path + .asc)

Every image must carry a signature by a key trusted for its name (see acfetch trust), unless
--insecure-options=image. Each image goes into the store and its reference line is printed as
JSON on stdout; with -o the ACI is written out instead.

Examples:
  acfetch trust --prefix example.com/app key.asc      trust a key for example.com/app...
  acfetch example.com/app:1.0                          discover, verify, store; print the line
  acfetch example.com/app:1.0 | acrun                  fetch and run
  acfetch --pull-policy new example.com/app            use the stored image if there is one
  acfetch -o app.aci https://example.com/app.aci       download and verify into a file
  acfetch --insecure-options=image ./unsigned.aci      store an unsigned local image

Exit status: 0 on success, 1 on failure, 2 on usage errors.";

/// Fetch App Container images: discovery, download, signature check, into the store.
#[derive(Debug, Parser)]
#[command(name = "acfetch", version, about, after_help = AFTER_HELP)]
#[command(arg_required_else_help = true, disable_help_subcommand = true)]
pub struct Cli {
    /// Image references to fetch.
    #[arg(value_name = "REF")]
    pub references: Vec<String>,

    /// Write the verified ACI to FILE (`-` for stdout) instead of storing it.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Options shared with `trust`.
    #[command(flatten)]
    pub common: Common,

    /// A subcommand instead of a fetch.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags every mode takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root,
    /// $XDG_DATA_HOME/appc/store otherwise].
    #[arg(long, global = true, value_name = "DIR")]
    pub store_dir: Option<PathBuf>,

    /// Use only this configuration directory (trustedkeys/, auth.d/) instead of
    /// /usr/lib/appc, /etc/appc and $XDG_CONFIG_HOME/appc.
    #[arg(long, global = true, value_name = "DIR", env = "ACFETCH_CONFIG_DIR")]
    pub config_dir: Option<PathBuf>,

    /// Security checks to switch off, comma separated: none, http, tls, image (no signature
    /// check), pubkey, all-fetch, all. Each is warned about.
    #[arg(long, global = true, value_name = "LIST", default_value = "none")]
    pub insecure_options: String,

    /// When to use the network: never (store only), new (only if not stored), update (ask
    /// the server; cached answers are revalidated cheaply).
    #[arg(long, global = true, value_enum, default_value_t = PullPolicyArg::Update)]
    pub pull_policy: PullPolicyArg,

    /// Also trust the CA certificates in this PEM file (repeatable; SSL_CERT_FILE replaces the
    /// system store).
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,

    /// Refuse downloads larger than this many bytes.
    #[arg(long, global = true, value_name = "BYTES")]
    pub max_size: Option<u64>,

    /// Extra attempts after a transient network failure (backoff doubles from 0.5 s).
    #[arg(long, global = true, value_name = "N", default_value_t = 3)]
    pub retries: u32,

    /// Seconds one network read may block.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,

    /// Connect to this port for discovery instead of 443/80 (for testing).
    #[arg(long, global = true, value_name = "PORT", hide = true)]
    pub discovery_port: Option<u16>,

    /// Progress on stderr: auto (when a terminal), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ProgressArg::Auto)]
    pub progress: ProgressArg,
}

/// `--pull-policy` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PullPolicyArg {
    /// Only the store.
    Never,
    /// The store if it has the image, else the network.
    New,
    /// Always ask the server.
    Update,
}

/// `--progress` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    /// When stderr is a terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Trust an OpenPGP key for an image name prefix (or all names), list or remove keys.
    #[command(after_help = TRUST_HELP)]
    Trust(TrustArgs),
    /// Write man pages and shell completions to DIR.
    #[command(hide = true)]
    GenerateDocs {
        /// Output directory.
        dir: PathBuf,
    },
}

const TRUST_HELP: &str = "\
Keys live in <config>/trustedkeys/root.d/<fingerprint> and
<config>/trustedkeys/prefix.d/<prefix>/<fingerprint>. A key for prefix example.com/app is used
for example.com/app and example.com/app/...; root keys for every name.

Examples:
  acfetch trust --prefix example.com/app key.asc       show the fingerprint, ask, store
  acfetch trust --prefix example.com/app               discover the keys (ac-discovery-pubkeys)
  acfetch trust --root --yes https://example.com/k.asc trust for every name without asking
  acfetch trust --list                                 list trusted keys as JSON lines
  acfetch trust --remove 0123456789abcdef              remove a key (fingerprint or suffix)";

/// Flags of `acfetch trust`.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// The image name prefix the key may sign for.
    #[arg(long, value_name = "PREFIX", conflicts_with = "root")]
    pub prefix: Option<String>,

    /// Trust the key for every image name.
    #[arg(long)]
    pub root: bool,

    /// Do not ask: trust the keys shown.
    #[arg(short, long)]
    pub yes: bool,

    /// List trusted keys (JSON lines).
    #[arg(long, conflicts_with_all = ["prefix", "root", "remove", "keys"])]
    pub list: bool,

    /// Remove the key with this fingerprint (or fingerprint suffix).
    #[arg(long, value_name = "FINGERPRINT", conflicts_with_all = ["prefix", "root", "keys"])]
    pub remove: Option<String>,

    /// Key files or URLs (armored public keys); none: discover them for --prefix.
    #[arg(value_name = "KEY")]
    pub keys: Vec<String>,
}
