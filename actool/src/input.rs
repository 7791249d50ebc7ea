//! Inputs and outputs named on the command line, where `-` is stdin or stdout.

use std::fs::{self, File};
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use appc::fsutil::AtomicFile;

/// Whether a path argument means stdin/stdout.
pub fn is_dash(p: &Path) -> bool {
    p == Path::new("-")
}

/// Opens a file argument for reading (`-`: stdin).
pub fn open(p: &Path) -> io::Result<Box<dyn Read + Send>> {
    if is_dash(p) {
        Ok(Box::new(appc::fsutil::stdin_file()?))
    } else {
        Ok(Box::new(File::open(p)?))
    }
}

/// How an output file is opened.
#[derive(Debug, Clone, Copy)]
pub struct OutputMode {
    /// Replace an existing file.
    pub overwrite: bool,
}

/// Why an output could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The output exists and --overwrite was not given.
    #[error("target file exists (try --overwrite)")]
    Exists,
    /// Writing an image to a terminal.
    #[error("refusing to write an image to a terminal (redirect stdout or name a file)")]
    Terminal,
    /// The name does not end in `.aci`.
    #[error("extension must be .aci (given {0:?})")]
    Extension(String),
    /// Any I/O error.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// An ACI being written: to stdout, or to a temp file renamed over the target on commit, so a
/// failed write leaves the old file (or nothing) in place.
pub enum Output {
    /// Standard output.
    Stdout(BufWriter<File>),
    /// A file, visible on commit.
    File(BufWriter<AtomicFile>),
}

impl Output {
    /// Opens `p` for writing an ACI (`-`: stdout).
    pub fn create(p: &Path, mode: OutputMode) -> Result<Output, OutputError> {
        if is_dash(p) {
            if io::stdout().is_terminal() {
                return Err(OutputError::Terminal);
            }
            return Ok(Output::Stdout(BufWriter::with_capacity(
                1 << 20,
                appc::fsutil::stdout_file()?,
            )));
        }
        let ext = p
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        if ext != "aci" {
            return Err(OutputError::Extension(if ext.is_empty() {
                String::new()
            } else {
                format!(".{ext}")
            }));
        }
        if !mode.overwrite && fs::symlink_metadata(p).is_ok() {
            return Err(OutputError::Exists);
        }
        Ok(Output::File(BufWriter::with_capacity(
            1 << 20,
            AtomicFile::new(p)?,
        )))
    }

    /// Flushes and, for a file, makes it visible (failing if it appeared meanwhile and
    /// --overwrite was not given).
    pub fn commit(self, mode: OutputMode) -> Result<(), OutputError> {
        match self {
            Output::Stdout(mut w) => Ok(w.flush()?),
            Output::File(w) => {
                let f = w.into_inner().map_err(|e| e.into_error())?;
                let r = if mode.overwrite {
                    f.commit()
                } else {
                    f.commit_new()
                };
                r.map_err(|e| {
                    if e.kind() == io::ErrorKind::AlreadyExists {
                        OutputError::Exists
                    } else {
                        e.into()
                    }
                })
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File(w) => w.flush(),
        }
    }
}

/// Replaces `target` by writing next to it (for `patch-manifest --replace`).
pub fn replacement(target: &Path) -> io::Result<(Output, PathBuf)> {
    // Keep the original's permissions: --replace edits the file in place for the user.
    let perms = fs::metadata(target)?.permissions();
    let f = AtomicFile::new(target)?;
    f.set_permissions(perms)?;
    Ok((
        Output::File(BufWriter::with_capacity(1 << 20, f)),
        target.to_path_buf(),
    ))
}
