//! Pods on disk: `<data dir>/<uuid>/` holds the reified manifest (`pod`), `state.json`, the
//! `lock` its supervisor holds while it lives, each app's dirs and exit status, volumes.
//!
//! The lock, not the state file, says whether a pod runs: a supervisor killed with SIGKILL
//! leaves "running" in `state.json`, but its lock is free, so the pod reads as exited.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use acstore::lock::{Lock, LockMode};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, at};

/// The default pod data directory.
pub const DEFAULT_DIR: &str = "/var/lib/appc/pods";

/// The data directory: `--dir`, else `ACRUN_DIR`, else [`DEFAULT_DIR`].
pub fn default_dir() -> PathBuf {
    std::env::var_os("ACRUN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR))
}

/// What `state.json` records.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StateFile {
    /// `prepared`, `running` or `exited` as last written.
    pub state: String,
    /// Host pid of the pod's init while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// When the pod was created, Unix seconds.
    pub created: i64,
    /// When it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<i64>,
    /// When it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<i64>,
    /// The pod's exit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Whether init reported its apps started.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ready: bool,
}

/// The state a pod is in, as readers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Prepared, not started.
    Prepared,
    /// Its supervisor holds the lock.
    Running,
    /// Finished (or its supervisor died).
    Exited,
}

impl State {
    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Prepared => "prepared",
            State::Running => "running",
            State::Exited => "exited",
        }
    }
}

/// One pod directory.
#[derive(Debug, Clone)]
pub struct PodDir {
    /// The pod UUID.
    pub uuid: String,
    /// Its directory.
    pub path: PathBuf,
}

impl PodDir {
    /// Creates a new pod directory for `uuid` under `dir` and takes its lock.
    pub fn create(dir: &Path, uuid: &str) -> Result<(PodDir, Lock)> {
        fs::create_dir_all(dir).map_err(at(dir))?;
        let path = dir.join(uuid);
        fs::create_dir(&path).map_err(at(&path))?;
        let pod = PodDir {
            uuid: uuid.to_string(),
            path,
        };
        let lock = pod.lock_exclusive()?;
        Ok((pod, lock))
    }

    /// Finds the pod whose UUID is `uuid` or starts with it.
    pub fn find(dir: &Path, uuid: &str) -> Result<PodDir> {
        if uuid.is_empty() || uuid.contains('/') || uuid.starts_with('.') {
            return Err(Error::NoPod(uuid.to_string()));
        }
        let exact = dir.join(uuid);
        if exact.join("state.json").exists() {
            return Ok(PodDir {
                uuid: uuid.to_string(),
                path: exact,
            });
        }
        let found: Vec<PodDir> = Self::all(dir)?
            .into_iter()
            .filter(|p| p.uuid.starts_with(uuid))
            .collect();
        match found.len() {
            0 => Err(Error::NoPod(uuid.to_string())),
            1 => Ok(found.into_iter().next().expect("one pod")),
            _ => Err(Error::AmbiguousPod(uuid.to_string())),
        }
    }

    /// Every pod directory under `dir`, sorted by UUID.
    pub fn all(dir: &Path) -> Result<Vec<PodDir>> {
        let mut out = Vec::new();
        let rd = match fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(at(dir)(e)),
        };
        for e in rd {
            let e = e.map_err(at(dir))?;
            let Some(name) = e.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if uuid::Uuid::parse_str(&name).is_ok() && e.path().join("state.json").exists() {
                out.push(PodDir {
                    uuid: name,
                    path: e.path(),
                });
            }
        }
        out.sort_by(|a, b| a.uuid.cmp(&b.uuid));
        Ok(out)
    }

    /// The pod's lock file.
    pub fn lock_path(&self) -> PathBuf {
        self.path.join("lock")
    }

    /// Takes the pod's lock, failing if its supervisor holds it.
    pub fn lock_exclusive(&self) -> Result<Lock> {
        let p = self.lock_path();
        Lock::try_acquire(&p, LockMode::Exclusive)
            .map_err(at(&p))?
            .ok_or_else(|| Error::State {
                uuid: self.uuid.clone(),
                state: "running".into(),
                why: "its supervisor holds it",
            })
    }

    /// Whether a live supervisor holds the lock.
    pub fn is_locked(&self) -> bool {
        matches!(
            Lock::try_acquire(&self.lock_path(), LockMode::Shared),
            Ok(None)
        )
    }

    /// The reified pod manifest's path.
    pub fn manifest_path(&self) -> PathBuf {
        self.path.join("pod")
    }

    /// The reified pod manifest's bytes.
    pub fn manifest_bytes(&self) -> Result<Vec<u8>> {
        let p = self.manifest_path();
        fs::read(&p).map_err(at(&p))
    }

    /// The state file, as written.
    pub fn state_file(&self) -> Result<StateFile> {
        let p = self.path.join("state.json");
        let bytes = fs::read(&p).map_err(at(&p))?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Invalid(format!("{}: {e}", p.display())))
    }

    /// Writes the state file atomically.
    pub fn write_state(&self, s: &StateFile) -> Result<()> {
        let p = self.path.join("state.json");
        let bytes = serde_json::to_vec(s).map_err(|e| Error::Invalid(e.to_string()))?;
        appc::fsutil::atomic_write(&p, &bytes).map_err(at(&p))
    }

    /// The state readers see: the lock decides whether it runs.
    pub fn state(&self) -> Result<(State, StateFile)> {
        let f = self.state_file()?;
        let st = if self.is_locked() {
            State::Running
        } else if f.state == "prepared" {
            State::Prepared
        } else {
            State::Exited
        };
        Ok((st, f))
    }

    /// An app's directory.
    pub fn app_dir(&self, app: &str) -> PathBuf {
        self.path.join("apps").join(app)
    }

    /// Every app's recorded exit status.
    pub fn app_statuses(&self) -> BTreeMap<String, i32> {
        let mut out = BTreeMap::new();
        if let Ok(rd) = fs::read_dir(self.path.join("apps")) {
            for e in rd.flatten() {
                if let (Some(name), Ok(s)) = (
                    e.file_name().to_str().map(str::to_string),
                    fs::read_to_string(e.path().join("exit")),
                ) && let Ok(code) = s.trim().parse()
                {
                    out.insert(name, code);
                }
            }
        }
        out
    }

    /// The pod as a JSON line for `list --json` and `status`.
    pub fn to_json(&self) -> Result<serde_json::Value> {
        let (st, f) = self.state()?;
        let mut apps = Vec::new();
        if let Ok(bytes) = self.manifest_bytes()
            && let Ok(m) = appc::schema::PodManifest::from_slice(&bytes)
        {
            let statuses = self.app_statuses();
            for a in m.apps.unwrap_or_default() {
                let mut v = serde_json::json!({
                    "name": a.name.as_str(),
                    "image": a.image.id.as_ref().map(|i| i.as_str().to_string()),
                });
                if let Some(code) = statuses.get(a.name.as_str()) {
                    v["exitCode"] = (*code).into();
                }
                apps.push(v);
            }
        }
        let mut v = serde_json::json!({
            "uuid": self.uuid,
            "state": st.as_str(),
            "created": appc::time::rfc3339_utc(f.created),
            "apps": apps,
        });
        if let Some(t) = f.started {
            v["started"] = appc::time::rfc3339_utc(t).into();
        }
        if st == State::Running
            && let Some(pid) = f.pid
        {
            v["pid"] = pid.into();
            v["ready"] = f.ready.into();
        }
        if st == State::Exited {
            if let Some(t) = f.finished {
                v["finished"] = appc::time::rfc3339_utc(t).into();
            }
            if let Some(c) = f.exit_code {
                v["exitCode"] = c.into();
            }
        }
        Ok(v)
    }

    /// Removes the pod's directory (the caller holds its lock).
    pub fn remove(&self) -> Result<()> {
        fs::remove_dir_all(&self.path).map_err(at(&self.path))
    }
}
