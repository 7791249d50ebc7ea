//! Manifest-level tests: the reference's image/pod test cases, the conformance corpus in
//! `tests/data/manifests` (verdicts recorded from the reference `actool validate`) and
//! byte-for-byte comparison with the reference's `json.Marshal` output.

use std::fs;
use std::path::{Path, PathBuf};

use super::*;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/manifests")
}

#[test]
fn corpus_verdicts_match_reference() {
    let tsv = fs::read_to_string(corpus().join("expected.tsv")).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in tsv.lines().filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, reference) = (cols[0], cols[1]);
        let differs = cols.get(2).is_some_and(|c| c.starts_with("differs:"));
        let bytes = fs::read(corpus().join(file)).unwrap();
        let ours = match parse_manifest(&bytes) {
            Ok(_) => "valid",
            Err(e) => {
                let msg = e.to_string();
                assert!(!msg.contains('\n'), "{file}: multi-line error {msg:?}");
                "invalid"
            }
        };
        let want_same = !differs;
        if (ours == reference) != want_same {
            failures.push(format!(
                "{file}: reference {reference}, ours {ours}, differs={differs}"
            ));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 55, "corpus too small: {checked}");
}

#[test]
fn corpus_files_all_listed() {
    let tsv = fs::read_to_string(corpus().join("expected.tsv")).unwrap();
    for kind in ["image", "pod"] {
        for verdict in ["valid", "invalid"] {
            for entry in fs::read_dir(corpus().join(kind).join(verdict)).unwrap() {
                let name = entry.unwrap().file_name();
                let rel = format!("{kind}/{verdict}/{}", name.to_string_lossy());
                let row = tsv
                    .lines()
                    .find(|l| l.split('\t').next() == Some(rel.as_str()))
                    .unwrap_or_else(|| panic!("{rel} missing from expected.tsv"));
                // Files sit in the directory of the reference's verdict.
                assert_eq!(row.split('\t').nth(1), Some(verdict), "{rel}");
            }
        }
    }
}

/// Our compact output equals the reference's `json.Marshal` for every valid corpus file it
/// can marshal; the pretty form equals `json.MarshalIndent(.., "", "    ")`.
#[test]
fn marshal_matches_reference_byte_for_byte() {
    let dir = corpus().join("marshal");
    let mut compared = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let (pretty, rest) = match name.strip_prefix("pretty-") {
            Some(rest) => (true, rest.to_string()),
            None => (false, name.clone()),
        };
        let (kind, file) = rest.split_once('-').unwrap();
        let src = fs::read(
            corpus()
                .join(kind)
                .join("valid")
                .join(format!("{file}.json")),
        )
        .unwrap();
        let want = fs::read_to_string(&path).unwrap();
        let got = match parse_manifest(&src).unwrap() {
            Manifest::Image(m) if pretty => m.to_vec_pretty().unwrap(),
            Manifest::Image(m) => m.to_vec().unwrap(),
            Manifest::Pod(m) if pretty => m.to_vec_pretty().unwrap(),
            Manifest::Pod(m) => m.to_vec().unwrap(),
        };
        assert_eq!(String::from_utf8(got).unwrap(), want, "{name}");
        compared += 1;
    }
    assert!(compared >= 40, "only {compared} marshal files");
}

/// Manifests the reference can read but not write: ours refuse to write them too.
#[test]
fn unmarshalable_pods_are_refused_on_write() {
    for (file, msg) in [
        ("no-acversion", "acVersion: SemVer cannot be zero"),
        (
            "image-without-id",
            "apps[0].image.id: unexpected empty hash type",
        ),
        ("app-without-name", "apps[0].name: ACName cannot be empty"),
    ] {
        let src = fs::read(corpus().join(format!("pod/valid/{file}.json"))).unwrap();
        let pm = PodManifest::from_slice(&src).unwrap();
        assert_eq!(pm.to_vec().unwrap_err().to_string(), msg, "{file}");
    }
}

#[test]
fn app_less_manifest_round_trips_without_app() {
    let m = ImageManifest::from_slice(
        br#"{"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/test"}"#,
    )
    .unwrap();
    assert!(m.app.is_none());
    let out = m.to_vec().unwrap();
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        r#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/test"}"#
    );
    assert_eq!(ImageManifest::from_slice(&out).unwrap(), m);
}

#[test]
fn kind_and_version_are_required() {
    let e = ImageManifest::from_slice(br#"{"name": "example.com/test"}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "acKind: missing or bad ACKind (must be \"ImageManifest\")"
    );
    let e =
        ImageManifest::from_slice(br#"{"acKind": "ImageManifest", "name": "example.com/test"}"#)
            .unwrap_err();
    assert_eq!(e.to_string(), "acVersion: acVersion must be set");
    let e = PodManifest::from_slice(b"{}").unwrap_err();
    assert_eq!(
        e.to_string(),
        "acKind: missing or bad ACKind (must be \"PodManifest\")"
    );
    // An image manifest is not a pod manifest.
    let e = PodManifest::from_slice(br#"{"acKind": "ImageManifest", "acVersion": "0.8.11"}"#)
        .unwrap_err();
    assert_eq!(e.reason(), Some(&Reason::KindWrong("PodManifest")));
}

#[test]
fn detect_kind_like_actool_validate() {
    assert_eq!(
        detect_kind(br#"{"acKind":"PodManifest"}"#),
        Ok(AcKind::PodManifest)
    );
    assert_eq!(
        detect_kind(br#"{"ACKIND":"ImageManifest"}"#),
        Ok(AcKind::ImageManifest)
    );
    assert_eq!(
        detect_kind(br#"{}"#).unwrap_err().reason(),
        Some(&Reason::KindEmpty)
    );
    assert_eq!(
        detect_kind(br#"{"acKind":"ImageManifest","acVersion":"1.0"}"#)
            .unwrap_err()
            .to_string(),
        "acVersion: SemVer is bad"
    );
    assert!(matches!(detect_kind(b"{"), Err(SchemaError::Syntax(_))));
}

#[test]
fn duplicate_apps_and_volumes() {
    let e = PodManifest::from_slice(
        br#"{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"a"},{"name":"a"}]}"#,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "apps: duplicate apps of name \"a\"");
    let e = PodManifest::from_slice(
        br#"{"acVersion":"0.8.11","acKind":"PodManifest","volumes":[{"name":"v","kind":"empty"},{"name":"v","kind":"host","source":"/x"}]}"#,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "volumes: duplicate volume name \"v\"");
}

#[test]
fn errors_name_the_field() {
    let e = ImageManifest::from_slice(
        br#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"x","app":{"group":"0"}}"#,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "app.user: user is required");
    let e = ImageManifest::from_slice(
        br#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"x","app":{"user":"0","group":"0",
            "isolators":[{"name":"resource/memory","value":{"limit":"1K"}}]}}"#,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "app.isolators[0].value.limit: unable to parse quantity's suffix"
    );
    let e = ImageManifest::from_slice(
        br#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"x","app":{"user":"0","group":"0","ports":[{"name":"p","port":"80"}]}}"#,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "app.ports[0].port: cannot unmarshal string into Go value of type uint"
    );
}

#[test]
fn version_major_check() {
    let mut m = ImageManifest::new(AcIdentifier::new("example.com/x").unwrap());
    assert_eq!(m.app_version_major_check(), Ok(()));
    m.ac_version = SemVer::parse("1.0.0").unwrap();
    assert_eq!(
        m.app_version_major_check(),
        Err(VersionError::NewerMajor { found: 1, ours: 0 })
    );
    assert_eq!(AC_VERSION, SemVer::ours().to_string());
}

#[test]
fn built_manifest_is_validated_on_write() {
    let mut m = ImageManifest::new(AcIdentifier::new("example.com/x").unwrap());
    m.app = Some(App {
        user: "0".into(),
        ..Default::default()
    });
    assert_eq!(
        m.to_vec().unwrap_err().to_string(),
        "app.group: group is required"
    );
    m.app.as_mut().unwrap().group = "0".into();
    m.app
        .as_mut()
        .unwrap()
        .mount_points
        .push(MountPoint::default());
    assert_eq!(
        m.to_vec().unwrap_err().to_string(),
        "app.mountPoints[0].name: ACName cannot be empty"
    );
}

#[test]
fn pod_names_checked_on_write() {
    let pm = PodManifest::from_slice(
        br#"{"acVersion":"0.8.11","acKind":"PodManifest","isolators":[{"value":1}],"annotations":[null]}"#,
    )
    .unwrap();
    assert_eq!(
        pm.to_vec().unwrap_err().to_string(),
        "annotations[0].name: ACIdentifier cannot be empty"
    );
}

#[test]
fn repeated_struct_keys_merge_like_go() {
    // Go decodes the second "app" into the first, so user and group survive.
    let m = ImageManifest::from_slice(
        br#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"x",
            "app":{"user":"1","group":"2"},"app":{"exec":["/x"]}}"#,
    )
    .unwrap();
    let app = m.app.unwrap();
    assert_eq!(
        (app.user.as_str(), app.exec),
        ("1", Some(vec!["/x".to_string()]))
    );
    // Each occurrence is checked as merged so far: the first alone lacks a group.
    let e = ImageManifest::from_slice(
        br#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"x",
            "app":{"user":"1"},"app":{"group":"2"}}"#,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "app.group: group is required");
    // null clears a pointer field.
    let m = ImageManifest::from_slice(
        br#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"x","app":{"user":"1","group":"2"},"app":null}"#,
    )
    .unwrap();
    assert!(m.app.is_none());
}
