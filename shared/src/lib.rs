//! The App Container (appc spec v0.8.11) library shared by the appc tools.
//!
//! - [`schema`]: typed image and pod manifests and every type in them, with the reference
//!   implementation's validation rules.
//! - [`appstring`]: `name[:version][,label=value]` app strings.
//! - [`id`]: image IDs.
//! - [`time`]: RFC 3339 timestamps.
//! - [`fsutil`]: crash-safe file writes (temp file, fsync, rename).
//! - [`aci`]: reading (sniffing, decompressing, hashing, layout checks) and writing ACIs.
//! - `discovery` (feature `discovery`): appc meta discovery over HTTP(S).
//! - `cli_docs` and `cli` (feature `cli-docs`): man pages and shell completions from clap
//!   definitions, and argument types the tools share.

pub mod aci;
pub mod appstring;
#[cfg(feature = "cli-docs")]
pub mod cli;
#[cfg(feature = "cli-docs")]
pub mod cli_docs;
#[cfg(feature = "discovery")]
pub mod discovery;
pub mod fsutil;
pub mod id;
pub mod schema;
pub mod time;

pub use id::ImageId;
