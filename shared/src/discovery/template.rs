//! Turning discovery meta tags into ACI, signature and public key URLs for one app.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::meta::{MetaKind, MetaTag};

/// The `version` label used when the app asks for none.
pub const DEFAULT_VERSION: &str = "latest";

/// Where to download one ACI and its detached signature.
///
/// Serialised with the reference `actool discover --json` field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AciEndpoint {
    /// The image URL (`{ext}` = `aci`).
    #[serde(rename = "ACI")]
    pub aci: String,
    /// The signature URL (`{ext}` = `aci.asc`).
    #[serde(rename = "ASC")]
    pub asc: String,
}

/// What the tags of one page offer an app.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageEndpoints {
    /// Rendered ACI endpoints, in document order.
    pub aci_endpoints: Vec<AciEndpoint>,
    /// Public key URLs, in document order.
    pub public_keys: Vec<String>,
}

/// Renders every tag of a page that applies to `name`; templates that cannot be fully
/// rendered are dropped.
pub fn page_endpoints(
    tags: &[MetaTag],
    name: &str,
    labels: &BTreeMap<String, String>,
) -> PageEndpoints {
    let mut out = PageEndpoints::default();
    for tag in tags.iter().filter(|t| t.applies_to(name)) {
        match tag.kind {
            MetaKind::AciTemplate => {
                if let Some(endpoint) = render_endpoint(&tag.value, name, labels) {
                    out.aci_endpoints.push(endpoint);
                }
            }
            MetaKind::PublicKeys => out.public_keys.push(tag.value.clone()),
        }
    }
    out
}

/// Renders an `ac-discovery` template for an app, or `None` when a `{...}` would be left.
///
/// `{name}` is replaced first, then `{label}` for each label in name order (so a label called
/// `name` has no effect), with `version` defaulting to `latest`; last `{ext}` becomes `aci`
/// and `aci.asc`. Substitution is literal: values are not escaped.
pub fn render_endpoint(
    template: &str,
    name: &str,
    labels: &BTreeMap<String, String>,
) -> Option<AciEndpoint> {
    let mut rendered = template.replace("{name}", name);
    let mut effective = labels.clone();
    let version = effective.entry("version".to_string()).or_default();
    if version.is_empty() {
        *version = DEFAULT_VERSION.to_string();
    }
    for (label, value) in &effective {
        rendered = rendered.replace(&format!("{{{label}}}"), value);
    }
    let asc = rendered.replace("{ext}", "aci.asc");
    let aci = rendered.replace("{ext}", "aci");
    if has_placeholder(&asc) || has_placeholder(&aci) {
        return None;
    }
    Some(AciEndpoint { aci, asc })
}

/// True when `s` still holds a `{...}` on one line, the reference's `{.*?}` test.
fn has_placeholder(s: &str) -> bool {
    let mut open = false;
    for c in s.chars() {
        match c {
            '{' => open = true,
            '}' if open => return true,
            '\n' => open = false,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const FULL: &str = "https://storage.example.com/{name}-{version}-{os}-{arch}.{ext}";
    const SHORT: &str = "https://storage.example.com/{name}-{version}.{ext}";
    const HDFS: &str = "hdfs://storage.example.com/{name}-{version}-{os}-{arch}.{ext}";

    fn linux_amd64() -> BTreeMap<String, String> {
        labels(&[("version", "1.0.0"), ("os", "linux"), ("arch", "amd64")])
    }

    fn tags(kind: MetaKind, values: &[&str]) -> Vec<MetaTag> {
        values
            .iter()
            .map(|v| MetaTag {
                kind,
                prefix: "example.com".into(),
                value: v.to_string(),
            })
            .collect()
    }

    #[test]
    fn renders_all_labels_and_both_extensions() {
        let ep = render_endpoint(FULL, "example.com/myapp", &linux_amd64()).unwrap();
        assert_eq!(
            ep.aci,
            "https://storage.example.com/example.com/myapp-1.0.0-linux-amd64.aci"
        );
        assert_eq!(
            ep.asc,
            "https://storage.example.com/example.com/myapp-1.0.0-linux-amd64.aci.asc"
        );
    }

    #[test]
    fn template_with_a_missing_label_is_dropped() {
        let l = labels(&[("version", "1.0.0")]);
        assert_eq!(render_endpoint(FULL, "example.com/myapp", &l), None);
        let ep = render_endpoint(SHORT, "example.com/myapp", &l).unwrap();
        assert_eq!(
            ep.aci,
            "https://storage.example.com/example.com/myapp-1.0.0.aci"
        );
    }

    #[test]
    fn version_defaults_to_latest_when_absent_or_empty() {
        for l in [labels(&[]), labels(&[("version", "")])] {
            let ep = render_endpoint(SHORT, "example.com/myapp", &l).unwrap();
            assert_eq!(
                ep.aci,
                "https://storage.example.com/example.com/myapp-latest.aci"
            );
            assert_eq!(
                ep.asc,
                "https://storage.example.com/example.com/myapp-latest.aci.asc"
            );
        }
    }

    #[test]
    fn a_label_called_name_is_ignored() {
        let l = labels(&[("name", "labelcalledname"), ("version", "1.0.0")]);
        let ep = render_endpoint(SHORT, "example.com/myapp", &l).unwrap();
        assert_eq!(
            ep.aci,
            "https://storage.example.com/example.com/myapp-1.0.0.aci"
        );
    }

    #[test]
    fn substitution_is_literal() {
        let l = labels(&[("version", "1.0 +beta/x?y=&z")]);
        let ep = render_endpoint("https://s/{name}/{version}.{ext}", "a.com/b", &l).unwrap();
        assert_eq!(ep.aci, "https://s/a.com/b/1.0 +beta/x?y=&z.aci");
    }

    #[test]
    fn leftover_placeholder_rules_follow_the_reference_regexp() {
        let l = labels(&[]);
        assert_eq!(render_endpoint("https://s/{}.{ext}", "n", &l), None);
        // `{ext}` is replaced before the check, so this brace is never closed.
        let unclosed = render_endpoint("https://s/{foo.{ext}", "n", &l).unwrap();
        assert_eq!(unclosed.aci, "https://s/{foo.aci");
        assert_eq!(
            render_endpoint("https://s/{os}-{arch}.{ext}", "n", &l),
            None
        );
        assert!(render_endpoint("https://s/{foo.aci", "n", &l).is_some());
        assert!(render_endpoint("https://s/}{.{ext}", "n", &l).is_some());
        assert!(render_endpoint("https://s/{a\nb}.{ext}", "n", &l).is_some());
    }

    #[test]
    fn template_without_ext_gives_the_same_url_twice() {
        let ep = render_endpoint("https://s/{name}", "n", &labels(&[])).unwrap();
        assert_eq!(ep.aci, "https://s/n");
        assert_eq!(ep.asc, "https://s/n");
    }

    #[test]
    fn page_endpoints_keep_document_order_and_skip_unrenderable() {
        let mut all = tags(MetaKind::AciTemplate, &[FULL, SHORT, HDFS]);
        all.extend(tags(
            MetaKind::PublicKeys,
            &["https://example.com/pubkeys.gpg"],
        ));
        let got = page_endpoints(&all, "example.com/myapp", &linux_amd64());
        let acis: Vec<&str> = got.aci_endpoints.iter().map(|e| e.aci.as_str()).collect();
        assert_eq!(
            acis,
            [
                "https://storage.example.com/example.com/myapp-1.0.0-linux-amd64.aci",
                "https://storage.example.com/example.com/myapp-1.0.0.aci",
                "hdfs://storage.example.com/example.com/myapp-1.0.0-linux-amd64.aci",
            ]
        );
        assert_eq!(got.public_keys, ["https://example.com/pubkeys.gpg"]);

        let only_version = labels(&[("version", "1.0.0")]);
        let got = page_endpoints(&all, "example.com/myapp", &only_version);
        assert_eq!(got.aci_endpoints.len(), 1);
    }

    #[test]
    fn tags_for_another_prefix_do_not_apply() {
        let mut all = tags(MetaKind::AciTemplate, &[SHORT]);
        all.extend(tags(MetaKind::PublicKeys, &["https://k"]));
        let got = page_endpoints(&all, "other.com/myapp", &linux_amd64());
        assert_eq!(got, PageEndpoints::default());
    }

    #[test]
    fn endpoint_json_uses_reference_field_names() {
        let ep = AciEndpoint {
            aci: "a".into(),
            asc: "b".into(),
        };
        assert_eq!(
            serde_json::to_string(&ep).unwrap(),
            r#"{"ACI":"a","ASC":"b"}"#
        );
    }
}
