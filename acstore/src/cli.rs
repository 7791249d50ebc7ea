//! The command-line definition of `acstore`: every flag is defined here once; `--help`, the man
//! pages and the completions are generated from it.

use std::path::PathBuf;

use appc::cli::CompressionArg;
use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Images are named by ID (sha512-...), by a unique ID prefix (at least sha512- and one hex digit),
or by an app string name[:version][,label=value...] (no version: the newest by semver).

Examples:
  acstore import app.aci                               store an image, print its reference line
  actool build image/ - | acstore import -             build and store in one pipe
  acstore ls                                           list images
  acstore find example.com/app:1.0                     print the ID of an image
  acstore render example.com/app                       print the rendered root filesystem
  acstore export sha512-1a2b -o app.aci                write an image back out
  acstore export ID | ssh host acstore import -        copy an image to another machine
  acstore gc --grace-period 0s                         remove what nothing uses

Exit status: 0 on success, 1 on failure, 2 on usage errors.";

/// The content-addressed App Container image store.
#[derive(Debug, Parser)]
#[command(name = "acstore", version, about, after_help = AFTER_HELP)]
#[command(
    propagate_version = true,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root,
    /// $XDG_DATA_HOME/appc/store otherwise].
    #[arg(long, global = true, value_name = "DIR")]
    pub store_dir: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `acstore`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import ACIs (any compression); print one image reference line per image.
    #[command(after_help = "\
Each image is read once: decompressed, hashed, validated and written together. Importing an
image that is already stored writes nothing and prints the same line.

Examples:
  acstore import app.aci other.aci
  curl -sL https://example.com/app.aci | acstore import -")]
    Import(ImportArgs),

    /// List stored images.
    #[command(visible_alias = "list")]
    Ls(LsArgs),

    /// Print the ID of the image a reference names.
    Find {
        /// An ID, ID prefix or name[:version][,label=value...].
        reference: String,
    },

    /// Print the manifest of a stored image.
    CatManifest {
        /// Print it indented.
        #[arg(long)]
        pretty_print: bool,
        /// The image.
        reference: String,
    },

    /// Write a stored image out as an ACI.
    Export(ExportArgs),

    /// Extract an image's own rootfs (no dependencies) into an empty directory.
    Extract {
        /// The image.
        reference: String,
        /// The destination directory (created if missing; must be empty).
        dest: PathBuf,
    },

    /// Render an image with its dependencies; print the cached tree's rootfs path (or copy it
    /// to DEST).
    Render {
        /// The image.
        reference: String,
        /// Extract the rendered tree here instead of printing the cache path.
        dest: Option<PathBuf>,
    },

    /// Remove images.
    Rm {
        /// The images.
        #[arg(required = true)]
        references: Vec<String>,
    },

    /// Remove images and trees unused for the grace period, and leftovers of interrupted work.
    Gc {
        /// How long since last use before an image or tree goes (e.g. 30s, 10m, 24h, 7d).
        #[arg(long, default_value = "24h", value_parser = parse_duration)]
        grace_period: i64,
    },

    /// Re-hash images and re-check rendered trees; with --repair, remove what is damaged.
    Verify {
        /// Remove damaged images and trees.
        #[arg(long)]
        repair: bool,
        /// Images to check (default: all).
        references: Vec<String>,
    },

    /// Write man pages and shell completions into DIR.
    #[command(hide = true)]
    GenerateDocs {
        /// Where to write them.
        dir: PathBuf,
    },
}

/// Arguments of `acstore import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Refuse an image whose decompressed tar is larger than this (e.g. 500M, 2G).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,

    /// ACI files; `-` reads stdin.
    #[arg(default_value = "-")]
    pub files: Vec<PathBuf>,
}

/// Arguments of `acstore ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Print JSON lines (the image reference lines) instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Columns to show: id,name,version,labels,size,importtime,lastused,source.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "id,name,version,size,importtime,lastused"
    )]
    pub fields: Vec<String>,

    /// Sort by this field.
    #[arg(long, default_value = "importtime")]
    pub sort: String,

    /// Show full image IDs.
    #[arg(long)]
    pub full: bool,
}

/// Arguments of `acstore export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The image.
    pub reference: String,

    /// Where to write it (`-` for stdout).
    #[arg(short, long, default_value = "-", value_name = "FILE")]
    pub output: PathBuf,

    /// Compression of the output.
    #[arg(long, value_enum, default_value = "gzip")]
    pub compression: CompressionArg,

    /// Overwrite the output file if it exists.
    #[arg(long)]
    pub overwrite: bool,
}

/// Parses `30s`, `10m`, `24h`, `7d` or plain seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 's')) => (&s[..i], 1),
        Some((i, 'm')) => (&s[..i], 60),
        Some((i, 'h')) => (&s[..i], 3600),
        Some((i, 'd')) => (&s[..i], 86_400),
        _ => (s, 1),
    };
    num.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .map(|n| n * mult)
        .ok_or_else(|| format!("bad duration {s:?}: use e.g. 30s, 10m, 24h, 7d"))
}

/// Parses a byte size with an optional K, M, G or T suffix (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim().trim_end_matches(['B', 'b']).trim_end_matches('i');
    let (num, shift) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 30),
        Some('T' | 't') => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("bad size {s:?}: use e.g. 500M or 2G"))
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
    fn durations_and_sizes() {
        assert_eq!(parse_duration("24h"), Ok(86_400));
        assert_eq!(parse_duration("0s"), Ok(0));
        assert_eq!(parse_duration("90"), Ok(90));
        assert!(parse_duration("-1s").is_err());
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("500MiB"), Ok(500 << 20));
        assert!(parse_size("lots").is_err());
    }
}
