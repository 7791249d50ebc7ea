//! The record the store keeps of each image, and the image reference line printed for it.

use std::collections::BTreeMap;

use appc::ImageId;
use serde::{Deserialize, Serialize};

/// What the store knows of an image besides its blob and manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ImageRecord {
    /// The image ID.
    pub id: ImageId,
    /// The manifest's name.
    pub name: String,
    /// The manifest's labels.
    pub labels: BTreeMap<String, String>,
    /// Bytes of the stored (decompressed) tar.
    pub size: u64,
    /// Bytes of the image as it was imported (compressed, if it was).
    pub source_size: u64,
    /// When it was imported, Unix seconds.
    pub import_time: i64,
    /// Where it came from (a URL or file path), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// An image as listed: its record and when it was last used.
#[derive(Debug, Clone)]
pub struct ImageInfo {
    /// The stored record.
    pub record: ImageRecord,
    /// When the image was last imported, rendered or run, Unix seconds.
    pub last_used: i64,
}

impl ImageInfo {
    /// The image reference line shared by the tools: `{"id","name","labels",...}`.
    pub fn to_json(&self) -> serde_json::Value {
        let r = &self.record;
        let mut v = serde_json::json!({
            "id": r.id.as_str(),
            "name": r.name,
            "labels": r.labels,
            "size": r.size,
            "importTime": appc::time::rfc3339_utc(r.import_time),
            "lastUsed": appc::time::rfc3339_utc(self.last_used),
        });
        if let Some(s) = &r.source {
            v["source"] = serde_json::Value::String(s.clone());
        }
        v
    }

    /// The value of a listing field by its name (for `ls --fields` and `--sort`).
    pub fn field(&self, name: &str) -> Option<String> {
        let r = &self.record;
        Some(match name {
            "id" => r.id.to_string(),
            "name" => r.name.clone(),
            "version" => r.labels.get("version").cloned().unwrap_or_default(),
            "labels" => r
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
            "size" => human_size(r.size),
            "importtime" | "import-time" | "importTime" => appc::time::rfc3339_utc(r.import_time),
            "lastused" | "last-used" | "lastUsed" => appc::time::rfc3339_utc(self.last_used),
            "source" => r.source.clone().unwrap_or_default(),
            _ => return None,
        })
    }
}

/// The fields `ls` knows, in their default order.
pub const FIELDS: &[&str] = &[
    "id",
    "name",
    "version",
    "labels",
    "size",
    "importtime",
    "lastused",
    "source",
];

/// Bytes as a short human size (KiB, MiB, ...).
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_line_has_the_contract_fields() {
        let info = ImageInfo {
            record: ImageRecord {
                id: ImageId::from_digest(&[1; 64]),
                name: "example.com/app".into(),
                labels: [("version".to_string(), "1.0".to_string())].into(),
                size: 10,
                source_size: 5,
                import_time: 0,
                source: None,
            },
            last_used: 60,
        };
        let v = info.to_json();
        assert_eq!(v["name"], "example.com/app");
        assert_eq!(v["labels"]["version"], "1.0");
        assert!(v["id"].as_str().unwrap().starts_with("sha512-"));
        assert_eq!(v["lastUsed"], "1970-01-01T00:01:00Z");
        assert_eq!(human_size(1536), "1.5 KiB");
    }
}
