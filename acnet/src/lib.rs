//! Pod networking for appc pods, without a daemon.
//!
//! - [`ops`]: `add`, `del`, `check`, `ls`, `gc`.
//! - [`config`]: built-in networks and CNI config files.
//! - [`netlink`], [`netns`]: native veth/address/route setup inside a namespace.
//! - [`ipam`]: address leases on disk under a flock.
//! - [`nft`]: masquerade and port forwards in per-pod nftables chains.
//! - [`cni`]: CNI plugin execution; [`result`]: the CNI result shape.
//! - [`ports`]: port-forward arguments; [`state`]: per-pod records.

#![warn(missing_docs)]

pub mod cni;
pub mod config;
pub mod error;
pub mod ipam;
pub mod netlink;
pub mod netns;
pub mod nft;
pub mod ops;
pub mod ports;
pub mod result;
pub mod state;

pub use error::Error;
