//! `actool`: build, validate, inspect and patch App Container Images and manifests.
//!
//! The binary only parses arguments and prints; each command's logic lives in a module here.

pub mod build;
pub mod cli;
pub mod discover;
pub mod input;
pub mod manifest;
pub mod tarcopy;
pub mod validate;
