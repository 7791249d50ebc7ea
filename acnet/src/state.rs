//! Per-pod state under `<data>/pods/<uuid>.json`: written before anything is created and
//! updated as each piece is, so `del`, `gc` and a failed `add` know what to undo.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ipam::write_atomic;
use crate::ports::PortForward;

/// What one network of a pod holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetState {
    /// The network's name.
    pub name: String,
    /// How it is implemented: `none`, `host`, `ptp` (native) or `cni`.
    pub kind: String,
    /// The pod-side interface.
    pub if_name: String,
    /// The host-side veth, for native networks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_if: Option<String>,
    /// The `K=V;...` arguments given with `--net`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub args: String,
    /// The network's configuration as it was when added (CNI conflists are replayed for DEL).
    #[serde(default)]
    pub config: serde_json::Value,
    /// Whether host-side port forwards from 127.0.0.1 leave through this network's veth.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub route_localnet: bool,
    /// The result, once the network is up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
}

/// Everything `acnet` did for one pod.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodState {
    /// The pod's UUID.
    pub pod: String,
    /// Its network namespace.
    pub netns: PathBuf,
    /// The namespace's identity when added (see [`crate::netns::Netns::id`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netns_id: Option<String>,
    /// `adding` until every network is up, then `ready`.
    pub status: String,
    /// The nftables table its rules live in.
    pub nft_table: String,
    /// Its networks, in order.
    pub networks: Vec<NetState>,
    /// Its native port forwards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortForward>,
}

/// A state-file failure.
#[derive(Debug, thiserror::Error)]
#[error("pod state {path}: {source}")]
pub struct StateError {
    /// The file.
    pub path: PathBuf,
    /// What failed.
    pub source: io::Error,
}

/// The pod state directory under a data dir.
pub fn pods_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("pods")
}

fn state_path(data_dir: &Path, pod: &str) -> PathBuf {
    pods_dir(data_dir).join(format!("{pod}.json"))
}

/// An exclusive hold on one pod's state; released on drop.
pub struct PodLock {
    _file: File,
}

/// Locks pod `pod` against concurrent `add`/`del`/`gc`.
pub fn lock(data_dir: &Path, pod: &str) -> Result<PodLock, StateError> {
    let dir = pods_dir(data_dir);
    let path = dir.join(format!("{pod}.lock"));
    let err = |source| StateError {
        path: path.clone(),
        source,
    };
    fs::create_dir_all(&dir).map_err(err)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(err)?;
    file.lock().map_err(err)?;
    Ok(PodLock { _file: file })
}

/// Reads pod `pod`'s state, if it has any.
pub fn load(data_dir: &Path, pod: &str) -> Result<Option<PodState>, StateError> {
    let path = state_path(data_dir, pod);
    match fs::read(&path) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| StateError {
                path,
                source: io::Error::new(io::ErrorKind::InvalidData, e),
            }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StateError { path, source }),
    }
}

/// Writes pod state atomically.
pub fn save(data_dir: &Path, state: &PodState) -> Result<(), StateError> {
    let path = state_path(data_dir, &state.pod);
    let err = |source| StateError {
        path: path.clone(),
        source,
    };
    fs::create_dir_all(pods_dir(data_dir)).map_err(err)?;
    let body = serde_json::to_vec_pretty(state).map_err(|e| err(io::Error::other(e)))?;
    write_atomic(&path, &body).map_err(err)
}

/// Removes pod state and its lock file.
pub fn remove(data_dir: &Path, pod: &str) -> Result<(), StateError> {
    let path = state_path(data_dir, pod);
    match fs::remove_file(&path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(StateError { path, source: e }),
        _ => {
            let _ = fs::remove_file(pods_dir(data_dir).join(format!("{pod}.lock")));
            Ok(())
        }
    }
}

/// UUIDs of every pod with state.
pub fn list(data_dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(pods_dir(data_dir))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .map(str::to_owned)
        })
        .collect();
    out.sort();
    out
}
