//! `acfetch`: turns image references (appc names found by meta discovery, URLs, files) into
//! verified images in the acstore store.
//!
//! - [`reference`]: the forms of an image reference.
//! - [`fetch`]: the fetch itself (discovery, cache, signature, checks, dependencies).
//! - [`download`]: HTTP(S) downloads with limits, retries and cache validators.
//! - [`keys`] and [`trust`]: OpenPGP signature checks and the trust store.
//! - [`auth`]: per-host credentials from `auth.d`.
//! - [`docker`] and [`squash`]: `docker://` and `oci:` images converted to ACIs.

pub mod auth;
pub mod cli;
pub mod docker;
pub mod download;
pub mod fetch;
pub mod keys;
pub mod progress;
pub mod reference;
pub mod squash;
pub mod trust;

pub use fetch::{FetchError, FetchOptions, Fetcher, Insecure, PullPolicy};
pub use reference::Reference;
