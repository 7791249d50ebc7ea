//! `actool build`: an image layout directory to an ACI.

use std::path::Path;

use appc::aci::{self, BuildError, BuildOptions, Compression};
use appc::schema::{ImageManifest, check_major_version};

use appc::cli::CompressionArg;

use crate::cli::{BuildArgs, OutputArgs};
use crate::input::{Output, OutputError, OutputMode};

/// Why a build failed; each names what it is about.
#[derive(Debug, thiserror::Error)]
pub enum BuildCmdError {
    /// The layout is not valid.
    #[error("{path}: {reason}")]
    Layout { path: String, reason: String },
    /// The output could not be written.
    #[error("{path}: {source}")]
    Output { path: String, source: OutputError },
    /// Reading the layout or writing the archive failed.
    #[error("{path}: {err}")]
    Build { path: String, err: BuildError },
}

/// The compression chosen by `--compression` / `--no-compression` (gzip by default).
pub fn compression(o: &OutputArgs) -> Compression {
    if o.no_compression {
        return Compression::Uncompressed;
    }
    o.compression.unwrap_or(CompressionArg::Gzip).into()
}

/// Builds the ACI; returns a warning to print, if any (an older acVersion).
/// `want_id` computes the image ID while writing (it costs a SHA-512 pass over the tar).
pub fn run(args: &BuildArgs, want_id: bool) -> Result<(aci::Built, Option<String>), BuildCmdError> {
    let manifest_path = args.dir.join("manifest");
    let layout_err = |path: &Path, reason: String| BuildCmdError::Layout {
        path: path.display().to_string(),
        reason,
    };
    // The layout and manifest are checked before anything is written, as the reference does.
    aci::validate_layout(&args.dir).map_err(|e| match e {
        BuildError::Read { path, source } => layout_err(&path, source.to_string()),
        e => layout_err(&args.dir, e.to_string()),
    })?;
    let bytes =
        std::fs::read(&manifest_path).map_err(|e| layout_err(&manifest_path, e.to_string()))?;
    let m =
        ImageManifest::from_slice(&bytes).map_err(|e| layout_err(&manifest_path, e.to_string()))?;
    let warning = check_major_version(&m.ac_version)
        .err()
        .map(|e| e.to_string());

    let mode = OutputMode {
        overwrite: args.output.overwrite,
    };
    let out_err = |source| BuildCmdError::Output {
        path: args.out.display().to_string(),
        source,
    };
    let out = Output::create(&args.out, mode).map_err(out_err)?;
    let opts = BuildOptions {
        compression: compression(&args.output),
        source_date_epoch: args.source_date_epoch,
        owner_root: args.owner_root,
        image_id: want_id,
        ..BuildOptions::default()
    };
    let (built, out) = aci::build(&args.dir, out, &opts).map_err(|err| BuildCmdError::Build {
        path: args.dir.display().to_string(),
        err,
    })?;
    out.commit(mode).map_err(out_err)?;
    Ok((built, warning))
}
