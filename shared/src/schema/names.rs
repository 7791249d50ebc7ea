//! AC Identifier, AC Name, AC Kind and the spec version (SemVer).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::decode::{Res, string};
use super::error::{NameError, Reason, SchemaError};
use super::json::Json;

/// The appc spec version this crate implements.
pub const AC_VERSION: &str = "0.8.11";

fn check_name(
    s: &str,
    extra: &[u8],
    empty: NameError,
    chr: NameError,
    edge: NameError,
) -> Result<(), NameError> {
    if s.is_empty() {
        return Err(empty);
    }
    let ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !s.bytes().all(|b| ok(b) || extra.contains(&b)) {
        return Err(chr);
    }
    let bytes = s.as_bytes();
    if !ok(bytes[0]) || !ok(bytes[bytes.len() - 1]) {
        return Err(edge);
    }
    Ok(())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $ty:ident, $extra:expr, $empty:ident, $chr:ident, $edge:ident, $sub:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $ty(String);

        impl $ty {
            /// Parses with the reference's rules.
            pub fn new(s: &str) -> Result<Self, NameError> {
                check_name(s, $extra, NameError::$empty, NameError::$chr, NameError::$edge)?;
                Ok($ty(s.to_string()))
            }

            /// The name as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether this is the empty (unset) value, which only a missing JSON key yields.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }

            /// Checks a value (e.g. the empty default) again.
            pub fn check(&self) -> Result<(), NameError> {
                check_name(&self.0, $extra, NameError::$empty, NameError::$chr, NameError::$edge)
            }

            /// Lower-cases `s`, replaces bad characters and trims bad edges.
            pub fn sanitize(s: &str) -> Option<Self> {
                let lower = s.to_lowercase();
                let mapped: String = lower
                    .chars()
                    .map(|c| {
                        if c.is_ascii_lowercase() || c.is_ascii_digit() || $extra.contains(&(c as u8)) && c.is_ascii() {
                            c
                        } else {
                            $sub
                        }
                    })
                    .collect();
                let trimmed = mapped.trim_matches(|c: char| c.is_ascii() && $extra.contains(&(c as u8)));
                $ty::new(trimmed).ok()
            }

            pub(crate) fn decode(v: &Json, path: &str) -> Res<Self> {
                // Go calls the validating decoder for `null` too, so it counts as "".
                let s = string(v, path)?;
                $ty::new(&s).map_err(|e| SchemaError::at(path, e))
            }

            pub(crate) fn encode(&self) -> Json {
                Json::String(self.0.clone())
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $ty {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                $ty::new(s)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

name_type!(
    /// An AC Identifier: image, label, annotation and isolator names (`[a-z0-9._~/-]`,
    /// alphanumeric first and last character, as the reference code checks).
    AcIdentifier, b"-._~/", IdentifierEmpty, IdentifierChar, IdentifierEdge, '_'
);
name_type!(
    /// An AC Name: pod app, volume, mount point and port names (`[a-z0-9-]`, alphanumeric
    /// first and last character).
    AcName, b"-", NameEmpty, NameChar, NameEdge, '-'
);

/// The kind of an appc JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AcKind {
    /// `ImageManifest`.
    ImageManifest,
    /// `PodManifest`.
    PodManifest,
}

impl AcKind {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AcKind::ImageManifest => "ImageManifest",
            AcKind::PodManifest => "PodManifest",
        }
    }

    /// Parses the exact JSON spelling.
    pub fn parse(s: &str) -> Result<Self, Reason> {
        match s {
            "ImageManifest" => Ok(AcKind::ImageManifest),
            "PodManifest" => Ok(AcKind::PodManifest),
            "" => Err(Reason::KindEmpty),
            other => Err(Reason::KindBad(other.to_string())),
        }
    }

    pub(crate) fn decode(v: &Json, path: &str) -> Res<Self> {
        let s = string(v, path)?;
        AcKind::parse(&s).map_err(|r| SchemaError::at(path, r))
    }
}

impl fmt::Display for AcKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version as go-semver reads it: `MAJOR.MINOR.PATCH[-pre][+meta]`, leading zeros allowed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SemVer {
    /// Major version.
    pub major: i64,
    /// Minor version.
    pub minor: i64,
    /// Patch version.
    pub patch: i64,
    /// Pre-release part without the `-` (may be empty).
    pub pre: String,
    /// Build metadata without the `+` (may be empty).
    pub meta: String,
}

fn semver_ident_ok(s: &str) -> bool {
    s.is_empty()
        || s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

impl SemVer {
    /// Parses with go-semver's rules; `0.0.0` is rejected as the reference does.
    pub fn parse(s: &str) -> Result<Self, Reason> {
        let (rest, meta) = s.split_once('+').unwrap_or((s, ""));
        let (core, pre) = rest.split_once('-').unwrap_or((rest, ""));
        let parts: Vec<&str> = core.splitn(3, '.').collect();
        if parts.len() != 3 || !semver_ident_ok(pre) || !semver_ident_ok(meta) {
            return Err(Reason::SemVerBad);
        }
        let mut nums = [0i64; 3];
        for (n, p) in nums.iter_mut().zip(&parts) {
            // strconv.ParseInt base 10: optional sign, digits; no other forms.
            *n = p.parse::<i64>().map_err(|_| Reason::SemVerBad)?;
        }
        let v = SemVer {
            major: nums[0],
            minor: nums[1],
            patch: nums[2],
            pre: pre.to_string(),
            meta: meta.to_string(),
        };
        if v.major == 0 && v.minor == 0 && v.patch == 0 && v.pre.is_empty() && v.meta.is_empty() {
            return Err(Reason::SemVerZero);
        }
        Ok(v)
    }

    /// The version this crate implements.
    pub fn ours() -> SemVer {
        SemVer {
            major: 0,
            minor: 8,
            patch: 11,
            pre: String::new(),
            meta: String::new(),
        }
    }

    /// Precedence as go-semver compares (build metadata ignored); for "latest" selection.
    pub fn precedence(&self, other: &SemVer) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => pre_cmp(&self.pre, &other.pre),
            })
    }

    pub(crate) fn decode(v: &Json, path: &str) -> Res<Self> {
        let s = string(v, path)?;
        SemVer::parse(&s).map_err(|r| SchemaError::at(path, r))
    }
}

fn pre_cmp(a: &str, b: &str) -> Ordering {
    let mut ai = a.split('.');
    let mut bi = b.split('.');
    loop {
        match (ai.next(), bi.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = match (x.parse::<i64>(), y.parse::<i64>()) {
                    (Ok(p), Ok(q)) => p.cmp(&q),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

impl fmt::Display for SemVer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.meta.is_empty() {
            write!(f, "+{}", self.meta)?;
        }
        Ok(())
    }
}

impl FromStr for SemVer {
    type Err = Reason;
    fn from_str(s: &str) -> Result<Self, Reason> {
        SemVer::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_tables() {
        for good in [
            "asdf",
            "foo-bar-baz",
            "database",
            "example.com/database",
            "example.com/ourapp-1.0.0",
            "sub-domain.example.com/org/product/release-1.0.0",
            "sub-domain.example.com/org/product/~alice/release-1.0.0",
            "example.com/~bob/db",
            "a--b",
            "a__b",
        ] {
            assert!(AcIdentifier::new(good).is_ok(), "{good}");
        }
        for (bad, e) in [
            ("", NameError::IdentifierEmpty),
            ("BAR", NameError::IdentifierChar),
            ("foo#", NameError::IdentifierChar),
            ("EXAMPLE.com/foo", NameError::IdentifierChar),
            ("/app", NameError::IdentifierEdge),
            ("app/", NameError::IdentifierEdge),
            ("-app", NameError::IdentifierEdge),
            (".app", NameError::IdentifierEdge),
            ("_app", NameError::IdentifierEdge),
            ("~app", NameError::IdentifierEdge),
            ("a b", NameError::IdentifierChar),
        ] {
            assert_eq!(AcIdentifier::new(bad), Err(e), "{bad}");
        }
        assert_eq!(
            AcIdentifier::sanitize("Example.com/Foo Bar_")
                .unwrap()
                .as_str(),
            "example.com/foo_bar"
        );
        assert_eq!(
            AcIdentifier::new("EXAMPLE").unwrap_err().to_string(),
            "ACIdentifier must contain only lower case alphanumeric characters plus \"-._~/\""
        );
    }

    #[test]
    fn name_tables() {
        for good in ["asdf", "foo-bar-baz", "database", "a--b", "0"] {
            assert!(AcName::new(good).is_ok(), "{good}");
        }
        for (bad, e) in [
            ("", NameError::NameEmpty),
            ("foo.bar", NameError::NameChar),
            ("example.com/foo", NameError::NameChar),
            ("-app", NameError::NameEdge),
            ("app-", NameError::NameEdge),
            ("Foo", NameError::NameChar),
        ] {
            assert_eq!(AcName::new(bad), Err(e), "{bad}");
        }
        assert_eq!(AcName::sanitize("My App.1").unwrap().as_str(), "my-app-1");
        assert_eq!(AcName::sanitize("...."), None);
    }

    #[test]
    fn kinds() {
        assert_eq!(AcKind::parse("PodManifest"), Ok(AcKind::PodManifest));
        assert_eq!(AcKind::parse(""), Err(Reason::KindEmpty));
        assert_eq!(
            AcKind::parse("imagemanifest").unwrap_err().to_string(),
            "bad ACKind: imagemanifest"
        );
    }

    #[test]
    fn semver_rules() {
        for good in [
            "1.0.0",
            "0.8.11",
            "01.02.03",
            "1.0.0-alpha",
            "1.0.0+build.1",
            "0.0.0-x",
            "1.2.3-rc.1+x-y",
            "1.2.3-",
            "1.2.3+",
        ] {
            assert!(SemVer::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "v1.0.0",
            "1.0",
            "1.2.3.4",
            "",
            "1.2.x",
            "1.2.3-a..b",
            "1.2.3-a_b",
            "1..3",
        ] {
            assert_eq!(SemVer::parse(bad), Err(Reason::SemVerBad), "{bad}");
        }
        assert_eq!(SemVer::parse("0.0.0"), Err(Reason::SemVerZero));
        assert_eq!(SemVer::parse("01.2.3").unwrap().to_string(), "1.2.3");
    }

    #[test]
    fn semver_precedence() {
        let order = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.10.0",
            "2.0.0",
        ];
        for w in order.windows(2) {
            let a = SemVer::parse(w[0]).unwrap();
            let b = SemVer::parse(w[1]).unwrap();
            assert_eq!(a.precedence(&b), Ordering::Less, "{} < {}", w[0], w[1]);
            assert_eq!(b.precedence(&a), Ordering::Greater);
        }
        let a = SemVer::parse("1.0.0+a").unwrap();
        let b = SemVer::parse("1.0.0+b").unwrap();
        assert_eq!(a.precedence(&b), Ordering::Equal);
    }
}
