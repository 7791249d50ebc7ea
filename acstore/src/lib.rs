//! `acstore`: the content-addressed App Container image store, as a library (acfetch and acrun
//! link it) and a tool.
//!
//! No daemon: the store is a directory of immutable objects made visible by `rename`, guarded
//! by `flock` locks; see [`layout`] for what lives where.

pub mod cli;
pub mod extract;
pub mod gc;
pub mod layout;
pub mod lock;
pub mod record;
pub mod remote;
pub mod render;
pub mod store;

pub use store::{Store, StoreError};
