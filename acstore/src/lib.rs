//! `acstore`: the content-addressed App Container image store.

pub mod extract;
pub mod lock;
