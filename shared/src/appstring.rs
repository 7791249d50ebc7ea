//! App strings: `name[:version][,label=value...]`, as on the reference tools' command lines.
//!
//! Parsed like the reference's `discovery.NewAppFromString`: at most one colon, directly
//! after the name (it stands for `,version=`); label keys are query-unescaped and must be AC
//! Identifiers; values are taken literally; a repeated label (including `:v` together with
//! `version=`) is an error.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::schema::{AcIdentifier, Reason, cli_params};

/// A parsed app string: an image name and the labels to match.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppString {
    /// Image name.
    pub name: AcIdentifier,
    /// Labels to match, e.g. `version`, `os`, `arch`.
    pub labels: BTreeMap<AcIdentifier, String>,
}

impl AppString {
    /// An app string with no labels.
    pub fn new(name: AcIdentifier) -> Self {
        AppString {
            name,
            labels: BTreeMap::new(),
        }
    }

    /// Parses `name[:version][,label=value...]`.
    pub fn parse(s: &str) -> Result<Self, Reason> {
        let first_comma = s.find(',');
        let first_colon = s.find(':');
        if let (Some(colon), Some(comma)) = (first_colon, first_comma)
            && colon > comma
        {
            return Err(Reason::AppStringColonPlace);
        }
        if s.matches(':').count() > 1 {
            return Err(Reason::AppStringColonCount);
        }
        let prepared = format!("name={}", s.replacen(':', ",version=", 1));
        let mut name = String::new();
        let mut labels = BTreeMap::new();
        for (k, v) in cli_params(&prepared)? {
            if k == "name" {
                name = v;
                continue;
            }
            labels.insert(AcIdentifier::new(&k)?, v);
        }
        Ok(AppString {
            name: AcIdentifier::new(&name)?,
            labels,
        })
    }

    /// The `version` label.
    pub fn version(&self) -> Option<&str> {
        self.label("version")
    }

    /// A label's value.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for AppString {
    /// `name[:version],label=value...` with labels sorted; parses back to the same value
    /// as long as no value contains `,` (which the grammar cannot carry).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name.as_str())?;
        let version = self.version().filter(|v| !v.contains(':'));
        if let Some(v) = version {
            write!(f, ":{v}")?;
        }
        for (k, v) in &self.labels {
            if k.as_str() == "version" && version.is_some() {
                continue;
            }
            write!(f, ",{k}={v}")?;
        }
        Ok(())
    }
}

impl FromStr for AppString {
    type Err = Reason;
    fn from_str(s: &str) -> Result<Self, Reason> {
        AppString::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::NameError;

    fn labels(a: &AppString) -> Vec<(&str, &str)> {
        a.labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn reference_grammar() {
        let a = AppString::parse("example.com/reduce-worker:1.0.0").unwrap();
        assert_eq!(a.name.as_str(), "example.com/reduce-worker");
        assert_eq!(labels(&a), [("version", "1.0.0")]);

        let a = AppString::parse("example.com/reduce-worker,channel=alpha,label=value").unwrap();
        assert_eq!(labels(&a), [("channel", "alpha"), ("label", "value")]);

        let a = AppString::parse("example.com/app:1.2,os=linux,arch=amd64").unwrap();
        assert_eq!(
            labels(&a),
            [("arch", "amd64"), ("os", "linux"), ("version", "1.2")]
        );

        let a = AppString::parse("example.com/app").unwrap();
        assert!(a.labels.is_empty());

        // An empty version is allowed, values are literal, keys are unescaped.
        assert_eq!(AppString::parse("app:").unwrap().version(), Some(""));
        assert_eq!(
            AppString::parse("app,foo=a%2Cb").unwrap().label("foo"),
            Some("a%2Cb")
        );
        assert_eq!(
            AppString::parse("app,f%6Fo=x").unwrap().label("foo"),
            Some("x")
        );
        assert_eq!(
            AppString::parse("app,foo=a=b").unwrap().label("foo"),
            Some("a=b")
        );
    }

    #[test]
    fn reference_errors() {
        assert_eq!(
            AppString::parse("app,os=linux:1.0"),
            Err(Reason::AppStringColonPlace)
        );
        assert_eq!(
            AppString::parse("app:1.0:2.0"),
            Err(Reason::AppStringColonCount)
        );
        assert_eq!(
            AppString::parse("app:1.0,version=2.0"),
            Err(Reason::CliRepeated("version".into()))
        );
        assert_eq!(
            AppString::parse("app,os=linux,os=freebsd"),
            Err(Reason::CliRepeated("os".into()))
        );
        assert_eq!(
            AppString::parse("app,name=other"),
            Err(Reason::CliRepeated("name".into()))
        );
        assert!(matches!(
            AppString::parse("app,os"),
            Err(Reason::CliNoValue { .. })
        ));
        assert!(matches!(
            AppString::parse("app,"),
            Err(Reason::CliNoValue { .. })
        ));
        assert_eq!(
            AppString::parse("App"),
            Err(Reason::Name(NameError::IdentifierChar))
        );
        assert_eq!(
            AppString::parse(""),
            Err(Reason::Name(NameError::IdentifierEmpty))
        );
        assert_eq!(
            AppString::parse("app,OS=linux"),
            Err(Reason::Name(NameError::IdentifierChar))
        );
        assert!(matches!(
            AppString::parse("app,a%zz=1"),
            Err(Reason::CliKey(_))
        ));
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "example.com/app:1.0,arch=amd64,os=linux",
            "app",
            "app,channel=alpha",
            "app:",
        ] {
            let a = AppString::parse(s).unwrap();
            assert_eq!(a.to_string(), s);
            assert_eq!(AppString::parse(&a.to_string()).unwrap(), a);
        }
    }
}
