//! The command-line definition of `actool`: every flag is defined here once, and `--help`, the
//! man pages and the shell completions are all generated from it.

use std::path::PathBuf;

use appc::cli::CompressionArg;
use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Examples:
  actool build --owner-root image/ app.aci        build a gzip-compressed ACI from a layout
  actool build image/ - | actool validate -       build to stdout and validate from stdin
  actool validate app.aci manifest.json image/    validate an ACI, a manifest and a layout
  actool cat-manifest --pretty-print app.aci      print an image's manifest
  actool patch-manifest --exec='/bin/sh -c date' in.aci out.aci
  actool image-id app.aci                         print the image ID (sha512-...)
  actool discover example.com/app:1.0             print where an image can be fetched

Exit status: 0 on success, 1 when an input is invalid or an operation fails, 2 on usage errors.";

/// Build, validate, inspect and patch App Container Images (ACIs) and manifests.
#[derive(Debug, Parser)]
#[command(name = "actool", version, about, after_help = AFTER_HELP)]
#[command(
    propagate_version = true,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Print verbose (debug) output on stderr, such as a line for every valid input.
    #[arg(long, global = true)]
    pub debug: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `actool`.
// Parsed once per run; boxing the larger variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build an ACI from an image layout directory (DIR/manifest and DIR/rootfs/).
    #[command(after_help = "\
The layout is validated first. Entries are written sorted, with the manifest first, so the
same tree gives the same image ID when SOURCE_DATE_EPOCH or --source-date-epoch fixes mtimes.
Output `-` writes the ACI to stdout.

Examples:
  actool build image/ app.aci
  SOURCE_DATE_EPOCH=0 actool build --owner-root image/ app.aci
  actool build --compression zstd image/ - | acstore import -")]
    Build(BuildArgs),

    /// Validate ACIs, image layouts, and image or pod manifests.
    #[command(after_help = "\
The type of each input is detected unless --type is given: a directory is a layout, a tar
(plain or compressed) is an ACI, anything else a JSON manifest. `-` reads stdin.

Examples:
  actool validate app.aci
  actool validate --type manifest pod.json
  actool build image/ - | actool validate -")]
    Validate(ValidateArgs),

    /// Print the manifest of an ACI.
    #[command(after_help = "\
Examples:
  actool cat-manifest app.aci
  actool cat-manifest --pretty-print app.aci
  curl -s https://example.com/app.aci | actool cat-manifest -")]
    CatManifest(CatManifestArgs),

    /// Copy an ACI with its manifest patched (or replaced with --manifest).
    #[command(after_help = "\
Lists given to --mounts, --ports and --isolators are separated by `:`; each item is
`name,key=value,...`.

Examples:
  actool patch-manifest --name=example.com/app2 in.aci out.aci
  actool patch-manifest --exec='/bin/httpd -f' --user=0 --group=0 --replace app.aci
  actool patch-manifest --mounts=work,path=/opt,readOnly=true in.aci out.aci
  actool patch-manifest --ports=www,protocol=tcp,port=80 in.aci out.aci
  actool patch-manifest --isolators=resource/memory,limit=1G in.aci out.aci
  actool patch-manifest --seccomp-mode=retain,errno=EPERM --seccomp-set=read,write in.aci out.aci")]
    PatchManifest(PatchManifestArgs),

    /// Discover the download URLs of app container images (appc meta discovery).
    #[command(after_help = "\
os and arch default to this machine's.

Examples:
  actool discover example.com/app
  actool discover --json example.com/app:1.0,os=linux,arch=amd64")]
    Discover(DiscoverArgs),

    /// Print the image ID of an ACI: sha512- and the SHA-512 of its decompressed tar.
    #[command(after_help = "\
Examples:
  actool image-id app.aci
  actool build image/ - | actool image-id -")]
    ImageId(ImageIdArgs),

    /// Print the version of actool and of the appc spec it implements.
    Version,

    /// Write man pages and shell completions into DIR.
    #[command(hide = true)]
    GenerateDocs {
        /// Where to write them.
        dir: PathBuf,
    },
}

/// Options shared by commands that write an ACI.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Overwrite the output file if it already exists.
    #[arg(long)]
    pub overwrite: bool,

    /// Do not compress the produced ACI (the same as --compression none).
    #[arg(long, conflicts_with = "compression")]
    pub no_compression: bool,

    /// Compression of the produced ACI.
    #[arg(long, value_enum, value_name = "ALGORITHM")]
    pub compression: Option<CompressionArg>,
}

/// Arguments of `actool build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub output: OutputArgs,

    /// Record every file as owned by root:root instead of its numeric owner.
    #[arg(long)]
    pub owner_root: bool,

    /// Set every mtime to this Unix time, for reproducible image IDs.
    #[arg(long, env = "SOURCE_DATE_EPOCH", value_name = "SECONDS")]
    pub source_date_epoch: Option<i64>,

    /// The image layout directory.
    pub dir: PathBuf,

    /// The ACI to write (must end in .aci), or `-` for stdout.
    pub out: PathBuf,
}

/// What `actool validate --type` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateType {
    /// An ACI (tar, optionally gzip, bzip2, xz or zstd compressed).
    Appimage,
    /// An image layout directory.
    Layout,
    /// An image or pod manifest (JSON).
    Manifest,
}

/// Arguments of `actool validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Type of the inputs; detected from each input when not given.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub kind: Option<ValidateType>,

    /// Files or directories to validate; `-` reads stdin.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Arguments of `actool cat-manifest`.
#[derive(Debug, Args)]
pub struct CatManifestArgs {
    /// Print the manifest indented.
    #[arg(long)]
    pub pretty_print: bool,

    /// The ACI, or `-` for stdin.
    pub aci: PathBuf,
}

/// Arguments of `actool patch-manifest`.
#[derive(Debug, Args)]
pub struct PatchManifestArgs {
    #[command(flatten)]
    pub output: OutputArgs,

    /// Replace the input file instead of writing a new one.
    #[arg(long, conflicts_with = "output_aci")]
    pub replace: bool,

    /// Replace the whole image manifest with this file; incompatible with the other patches.
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "name", "exec", "user", "group", "supplementary_groups", "capability",
        "revoke_capability", "mounts", "ports", "isolators", "seccomp_mode", "seccomp_set"])]
    pub manifest: Option<PathBuf>,

    /// Replace the image name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Replace the command line of the app (split at spaces).
    #[arg(long, value_name = "CMDLINE", allow_hyphen_values = true)]
    pub exec: Option<String>,

    /// Replace the app's user.
    #[arg(long)]
    pub user: Option<String>,

    /// Replace the app's group.
    #[arg(long)]
    pub group: Option<String>,

    /// Replace the supplementary groups: a comma-separated list of GIDs.
    #[arg(long, value_name = "GID,...")]
    pub supplementary_groups: Option<String>,

    /// Set the capability retain set: a comma-separated list.
    #[arg(long, value_name = "CAP,...", conflicts_with = "revoke_capability")]
    pub capability: Option<String>,

    /// Set the capability remove set: a comma-separated list.
    #[arg(long, value_name = "CAP,...")]
    pub revoke_capability: Option<String>,

    /// Add mount points: `name,path=/p[,readOnly=true][:name2,...]`.
    #[arg(long, value_name = "MOUNTS")]
    pub mounts: Option<String>,

    /// Add ports: `name,protocol=tcp,port=80[,count=N][,socketActivated=true][:name2,...]`.
    #[arg(long, value_name = "PORTS")]
    pub ports: Option<String>,

    /// Add isolators: `name,key=value,...[:name2,...]`, e.g. `resource/cpu,request=50m,limit=100m`.
    #[arg(long, value_name = "ISOLATORS")]
    pub isolators: Option<String>,

    /// Set the seccomp isolator mode: `remove|retain[,errno=ENAME]`.
    #[arg(long, value_name = "MODE")]
    pub seccomp_mode: Option<String>,

    /// The syscalls of the seccomp isolator: a comma-separated list.
    #[arg(long, value_name = "SYSCALL,...", requires = "seccomp_mode")]
    pub seccomp_set: Option<String>,

    /// The ACI to patch, or `-` for stdin.
    pub input_aci: PathBuf,

    /// The ACI to write (`-` for stdout); required unless --replace.
    #[arg(required_unless_present = "replace")]
    pub output_aci: Option<PathBuf>,
}

/// Arguments of `actool discover`.
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,

    /// Do not check TLS certificates, and fall back to plain http.
    #[arg(long)]
    pub insecure: bool,

    /// Port to connect to for discovery (0: the scheme's default).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Extra PEM CA certificates to trust, besides the system's.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// App strings: `name[:version][,label=value...]`.
    #[arg(required = true, value_name = "APP")]
    pub apps: Vec<String>,
}

/// Arguments of `actool image-id`.
#[derive(Debug, Args)]
pub struct ImageIdArgs {
    /// ACIs, or `-` for stdin.
    #[arg(required = true)]
    pub acis: Vec<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn manifest_conflicts_with_other_patches() {
        let err = Cli::try_parse_from([
            "actool",
            "patch-manifest",
            "--manifest",
            "m.json",
            "--name",
            "x",
            "a.aci",
            "b.aci",
        ])
        .unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }
}
