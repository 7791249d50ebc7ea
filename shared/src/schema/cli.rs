//! Command-line forms used by the reference tools: `NAME,key=value,...` for mount points,
//! ports and volumes (`types.MountPointFromString` and friends).

use std::fmt;
use std::str::FromStr;

use super::app::{MountPoint, Port};
use super::error::Reason;
use super::names::AcName;
use super::pod::{EMPTY_VOLUME_DEFAULT_MODE, Volume};

fn unescape_key(key: &str) -> Result<String, Reason> {
    let bad = || Reason::CliKey(key.to_string());
    // Go's query parser rejects `;`.
    if key.contains(';') {
        return Err(bad());
    }
    let b = key.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3).ok_or_else(bad)?;
                let text = std::str::from_utf8(hex).map_err(|_| bad())?;
                out.push(u8::from_str_radix(text, 16).map_err(|_| bad())?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Splits `k=v,k=v`: keys are query-unescaped, values taken literally (the reference escapes
/// and then unescapes them), a part without `=` or a repeated key is an error.
pub(crate) fn params(s: &str) -> Result<Vec<(String, String)>, Reason> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in s.split(',') {
        let Some((k, v)) = part.split_once('=') else {
            return Err(Reason::CliNoValue {
                string: s.to_string(),
                part: part.to_string(),
            });
        };
        // The reference joins the parts with `&` and parses the result as a query, so an `&`
        // inside a key splits it into extra keys with empty values.
        let mut keys: Vec<&str> = k.split('&').collect();
        let last = keys.pop().unwrap_or_default();
        let pairs = keys
            .into_iter()
            .filter(|seg| !seg.is_empty())
            .map(|seg| (seg, ""))
            .chain(std::iter::once((last, v)));
        for (k, v) in pairs {
            let k = unescape_key(k)?;
            if out.iter().any(|(seen, _)| *seen == k) {
                return Err(Reason::CliRepeated(k));
            }
            out.push((k, v.to_string()));
        }
    }
    Ok(out)
}

/// Go's `strconv.ParseBool`.
fn parse_bool(s: &str) -> Result<bool, Reason> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(Reason::CliValue(s.to_string())),
    }
}

/// Go's `strconv.ParseUint(s, 10, 16)`.
fn parse_u16(s: &str) -> Result<u64, Reason> {
    if s.starts_with('+') {
        return Err(Reason::CliValue(s.to_string()));
    }
    s.parse::<u16>()
        .map(u64::from)
        .map_err(|_| Reason::CliValue(s.to_string()))
}

fn name(v: &str) -> Result<AcName, Reason> {
    AcName::new(v).map_err(Reason::from)
}

impl FromStr for MountPoint {
    type Err = Reason;

    /// `NAME,path=/x[,readOnly=true]`.
    fn from_str(s: &str) -> Result<Self, Reason> {
        let mut mp = MountPoint::default();
        for (k, v) in params(&format!("name={s}"))? {
            match k.as_str() {
                "name" => mp.name = name(&v)?,
                "path" => mp.path = v,
                "readOnly" => mp.read_only = parse_bool(&v)?,
                _ => {
                    return Err(Reason::CliUnknown {
                        what: "mountpoint",
                        key: k,
                    });
                }
            }
        }
        mp.validate()?;
        Ok(mp)
    }
}

impl fmt::Display for MountPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},path={}", self.name, self.path)?;
        if self.read_only {
            f.write_str(",readOnly=true")?;
        }
        Ok(())
    }
}

impl FromStr for Port {
    type Err = Reason;

    /// `NAME,protocol=tcp,port=80[,count=1][,socketActivated=true]`.
    fn from_str(s: &str) -> Result<Self, Reason> {
        let mut p = Port::default();
        for (k, v) in params(&format!("name={s}"))? {
            match k.as_str() {
                "name" => p.name = name(&v)?,
                "protocol" => p.protocol = v,
                "port" => p.port = parse_u16(&v)?,
                "count" => p.count = parse_u16(&v)?,
                "socketActivated" => p.socket_activated = parse_bool(&v)?,
                _ => {
                    return Err(Reason::CliUnknown {
                        what: "port",
                        key: k,
                    });
                }
            }
        }
        p.validate()?;
        Ok(p)
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},protocol={},port={}",
            self.name, self.protocol, self.port
        )?;
        if self.count != 0 {
            write!(f, ",count={}", self.count)?;
        }
        if self.socket_activated {
            f.write_str(",socketActivated=true")?;
        }
        Ok(())
    }
}

impl FromStr for Volume {
    type Err = Reason;

    /// `NAME,kind=host,source=/x[,readOnly=..][,recursive=..]` or
    /// `NAME,kind=empty[,mode=0755][,uid=0][,gid=0]`.
    fn from_str(s: &str) -> Result<Self, Reason> {
        let mut vol = Volume::default();
        for (k, v) in params(&format!("name={s}"))? {
            let int = |v: &str| {
                v.parse::<i64>()
                    .map_err(|_| Reason::CliValue(v.to_string()))
            };
            match k.as_str() {
                "name" => vol.name = name(&v)?,
                "kind" => vol.kind = v,
                "source" => vol.source = v,
                "readOnly" => vol.read_only = Some(parse_bool(&v)?),
                "recursive" => vol.recursive = Some(parse_bool(&v)?),
                "mode" => vol.mode = Some(v),
                "uid" => vol.uid = Some(int(&v)?),
                "gid" => vol.gid = Some(int(&v)?),
                _ => {
                    return Err(Reason::CliUnknown {
                        what: "volume",
                        key: k,
                    });
                }
            }
        }
        vol.set_defaults();
        vol.validate()?;
        Ok(vol)
    }
}

impl fmt::Display for Volume {
    /// The reference's `Volume.String()` form; empty-volume defaults are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},kind={}", self.name, self.kind)?;
        if !self.source.is_empty() {
            write!(f, ",source={}", self.source)?;
        }
        if let Some(ro) = self.read_only {
            write!(f, ",readOnly={ro}")?;
        }
        if let Some(r) = self.recursive {
            write!(f, ",recursive={r}")?;
        }
        if self.kind == "empty" {
            if let Some(m) = self
                .mode
                .as_deref()
                .filter(|m| *m != EMPTY_VOLUME_DEFAULT_MODE)
            {
                write!(f, ",mode={m}")?;
            }
            if let Some(u) = self.uid.filter(|u| *u != 0) {
                write!(f, ",uid={u}")?;
            }
            if let Some(g) = self.gid.filter(|g| *g != 0) {
                write!(f, ",gid={g}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points() {
        let mp: MountPoint = "foobar,path=/tmp,readOnly=true".parse().unwrap();
        assert_eq!(
            (mp.name.as_str(), mp.path.as_str(), mp.read_only),
            ("foobar", "/tmp", true)
        );
        assert_eq!(mp.to_string().parse::<MountPoint>().unwrap(), mp);
        assert!(matches!(
            "foobar,path=/tmp/a,b".parse::<MountPoint>(),
            Err(Reason::CliNoValue { .. })
        ));
        assert!(
            "foobar,path=/tmp,readOnly=maybe"
                .parse::<MountPoint>()
                .is_err()
        );
        assert_eq!("foobar".parse::<MountPoint>(), Err(Reason::PathMustBeSet));
        assert_eq!(
            "foobar,path=/a,path=/b".parse::<MountPoint>(),
            Err(Reason::CliRepeated("path".into()))
        );
        assert_eq!(
            "foobar,path=/a,size=1"
                .parse::<MountPoint>()
                .unwrap_err()
                .to_string(),
            "unknown mountpoint parameter \"size\""
        );
        assert!("Foo,path=/a".parse::<MountPoint>().is_err());
    }

    #[test]
    fn ports() {
        let p: Port = "www,protocol=tcp,port=80,count=2,socketActivated=true"
            .parse()
            .unwrap();
        assert_eq!((p.port, p.count, p.socket_activated), (80, 2, true));
        assert_eq!(p.to_string().parse::<Port>().unwrap(), p);
        assert_eq!(
            "www,protocol=tcp,port=0".parse::<Port>(),
            Err(Reason::PortRange)
        );
        assert!("www,protocol=tcp,port=65536".parse::<Port>().is_err());
        assert!("www,protocol=tcp,port=+80".parse::<Port>().is_err());
        assert_eq!(
            "www,protocol=tcp,port=32456,count=45678".parse::<Port>(),
            Err(Reason::PortEndRange)
        );
    }

    #[test]
    fn volumes() {
        let v: Volume = "foobar,kind=host,source=/tmp,readOnly=true,recursive=false"
            .parse()
            .unwrap();
        assert_eq!(
            v.to_string(),
            "foobar,kind=host,source=/tmp,readOnly=true,recursive=false"
        );
        let v: Volume = "foobar,kind=empty".parse().unwrap();
        assert_eq!(
            (v.mode.as_deref(), v.uid, v.gid),
            (Some("0755"), Some(0), Some(0))
        );
        assert_eq!(v.to_string(), "foobar,kind=empty");
        let v: Volume = "foobar,kind=empty,mode=0777,uid=1000,gid=1000"
            .parse()
            .unwrap();
        assert_eq!(
            v.to_string(),
            "foobar,kind=empty,mode=0777,uid=1000,gid=1000"
        );
        assert_eq!(
            "foobar,kind=host".parse::<Volume>(),
            Err(Reason::HostVolumeSourceEmpty)
        );
        assert_eq!(
            "foobar,kind=host,source=tmp".parse::<Volume>(),
            Err(Reason::HostVolumeSourceRelative)
        );
        assert_eq!(
            "foobar,kind=host,source=/tmp,uid=1".parse::<Volume>(),
            Err(Reason::HostVolumeFieldSet("uid"))
        );
        assert_eq!(
            "foobar,kind=empty,source=/tmp".parse::<Volume>(),
            Err(Reason::EmptyVolumeSource)
        );
        assert_eq!("foobar,kind=nfs".parse::<Volume>(), Err(Reason::VolumeKind));
        assert!("foobar,kind=empty,uid=x".parse::<Volume>().is_err());
        // Values are literal; keys are query-unescaped.
        let v: Volume = "foobar,kind=host,source=/a%20b".parse().unwrap();
        assert_eq!(v.source, "/a%20b");
        let v: Volume = "foobar,ki%6Ed=host,source=/x".parse().unwrap();
        assert_eq!(v.kind, "host");
    }
}
