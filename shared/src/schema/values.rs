//! Scalar value types: timestamps, URLs and UUIDs.

use std::fmt;
use std::str::FromStr;

use super::error::Reason;

/// An RFC 3339 timestamp as Go's `time.Parse(time.RFC3339, ..)` accepts it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Date {
    text: String,
    unix: i64,
    nanos: u32,
    offset_secs: i32,
}

fn digits(s: &[u8], at: usize, n: usize, what: &str) -> Result<u32, Reason> {
    let part = s
        .get(at..at + n)
        .filter(|p| p.iter().all(u8::is_ascii_digit))
        .ok_or_else(|| Reason::Date(format!("cannot parse {what}")))?;
    Ok(part.iter().fold(0, |a, b| a * 10 + u32::from(b - b'0')))
}

fn expect(s: &[u8], at: usize, c: u8) -> Result<(), Reason> {
    if s.get(at) == Some(&c) {
        Ok(())
    } else {
        Err(Reason::Date(format!(
            "expected {:?} at offset {at}",
            c as char
        )))
    }
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Date {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
    pub fn parse(s: &str) -> Result<Self, Reason> {
        let b = s.as_bytes();
        let year = digits(b, 0, 4, "year")?;
        expect(b, 4, b'-')?;
        let month = digits(b, 5, 2, "month")?;
        expect(b, 7, b'-')?;
        let day = digits(b, 8, 2, "day")?;
        expect(b, 10, b'T')?;
        let hour = digits(b, 11, 2, "hour")?;
        expect(b, 13, b':')?;
        let min = digits(b, 14, 2, "minute")?;
        expect(b, 16, b':')?;
        let sec = digits(b, 17, 2, "second")?;
        let mut at = 19;
        let mut nanos = 0u32;
        if let Some(b'.' | b',') = b.get(at) {
            let start = at + 1;
            let mut end = start;
            while b.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end == start {
                return Err(Reason::Date("cannot parse fractional second".into()));
            }
            for (i, d) in b[start..end].iter().take(9).enumerate() {
                nanos += u32::from(d - b'0') * 10u32.pow(8 - i as u32);
            }
            at = end;
        }
        let offset_secs = match b.get(at) {
            Some(b'Z') => {
                at += 1;
                0
            }
            Some(&sign @ (b'+' | b'-')) => {
                let oh = digits(b, at + 1, 2, "zone hour")?;
                expect(b, at + 3, b':')?;
                let om = digits(b, at + 4, 2, "zone minute")?;
                // Go 1.19, which built the reference, does not range-check the offset.
                at += 6;
                let v = (oh * 3600 + om * 60) as i32;
                if sign == b'-' { -v } else { v }
            }
            _ => return Err(Reason::Date("missing time zone".into())),
        };
        if at != b.len() {
            return Err(Reason::Date(format!(
                "extra text: {:?}",
                &s[at.min(s.len())..]
            )));
        }
        if !(1..=12).contains(&month) {
            return Err(Reason::Date("month out of range".into()));
        }
        if day < 1 || day > days_in_month(i64::from(year), month) {
            return Err(Reason::Date("day out of range".into()));
        }
        if hour > 23 || min > 59 || sec > 59 {
            return Err(Reason::Date("time out of range".into()));
        }
        let unix = days_from_civil(i64::from(year), month, day) * 86_400
            + i64::from(hour * 3600 + min * 60 + sec)
            - i64::from(offset_secs);
        Ok(Date {
            text: s.to_string(),
            unix,
            nanos,
            offset_secs,
        })
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.unix
    }

    /// Sub-second nanoseconds.
    pub fn nanos(&self) -> u32 {
        self.nanos
    }

    /// The zone offset in seconds east of UTC.
    pub fn offset_seconds(&self) -> i32 {
        self.offset_secs
    }

    /// The timestamp as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Date {
    type Err = Reason;
    fn from_str(s: &str) -> Result<Self, Reason> {
        Date::parse(s)
    }
}

/// Checks an http(s) URL the way the reference does for the `homepage` and `documentation`
/// annotations: Go's `url.Parse` must succeed and the scheme must be http or https.
pub fn check_http_url(s: &str) -> Result<(), Reason> {
    let bad = |m: &str| Err(Reason::Url(m.to_string()));
    if s.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return bad("invalid control character in URL");
    }
    let (rest, fragment) = s.split_once('#').unwrap_or((s, ""));
    check_escapes(fragment, false)?;
    // Go's getScheme: a letter, then letters, digits and `+-.`, up to the first `:`.
    let mut scheme = "";
    for (i, c) in rest.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return bad("missing protocol scheme"),
            ':' => {
                scheme = &rest[..i];
                break;
            }
            _ => break,
        }
    }
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return Err(Reason::UrlScheme);
    }
    let rest = &rest[scheme.len() + 1..];
    // The query is kept raw and not checked.
    let rest = rest.split_once('?').map_or(rest, |(r, _)| r);
    let Some(after) = rest.strip_prefix("//") else {
        if rest.starts_with('/') {
            check_escapes(rest, false)?;
        }
        return Ok(());
    };
    let (authority, path) = after.find('/').map_or((after, ""), |i| after.split_at(i));
    check_escapes(path, false)?;
    let host = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let ok = userinfo
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b));
            if !ok {
                return bad("invalid userinfo");
            }
            check_escapes(userinfo, false)?;
            host
        }
        None => authority,
    };
    let port = if let Some(inner) = host.strip_prefix('[') {
        match inner.find(']') {
            Some(end) => &inner[end + 1..],
            None => return bad("missing ']' in host"),
        }
    } else {
        host.rfind(':').map_or("", |i| &host[i..])
    };
    let port_ok =
        port.is_empty() || (port.starts_with(':') && port[1..].bytes().all(|b| b.is_ascii_digit()));
    if !port_ok {
        return bad("invalid port after host");
    }
    let host_ok = host
        .bytes()
        .all(|b| b >= 0x80 || b.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"%".contains(&b));
    if !host_ok {
        return bad("invalid character in host name");
    }
    check_escapes(host, true)
}

/// An http or https URL as accepted by [`check_http_url`] (the `homepage` and
/// `documentation` annotations).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpUrl(String);

impl HttpUrl {
    /// Parses with the reference's rules.
    pub fn parse(s: &str) -> Result<Self, Reason> {
        check_http_url(s)?;
        Ok(HttpUrl(s.to_string()))
    }

    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for HttpUrl {
    type Err = Reason;
    fn from_str(s: &str) -> Result<Self, Reason> {
        HttpUrl::parse(s)
    }
}

// Go's unescape: every `%` needs two hex digits; in a host only `%25` and escapes of
// non-ASCII bytes are allowed.
fn check_escapes(s: &str, host: bool) -> Result<(), Reason> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
            let Some(hex) = hex else {
                return Err(Reason::Url("invalid URL escape".into()));
            };
            if host && hex[0] < b'8' && hex != b"25" {
                return Err(Reason::Url("invalid URL escape in host".into()));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// A pod UUID (RFC 4122 text form; the reference accepts any 32 hex digits with dashes anywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// Parses: dashes are dropped, then exactly 32 hex digits (any case) must remain.
    pub fn parse(s: &str) -> Result<Self, Reason> {
        let hex: String = s.chars().filter(|&c| c != '-').collect();
        if hex.len() != 32 {
            return Err(Reason::UuidLength);
        }
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Reason::UuidHex);
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).map_err(|_| Reason::UuidHex)?;
        }
        Ok(Uuid(out))
    }

    /// Parses and rejects the all-zero UUID, as the reference does for JSON.
    pub fn parse_non_empty(s: &str) -> Result<Self, Reason> {
        let u = Uuid::parse(s)?;
        if u.0 == [0; 16] {
            return Err(Reason::UuidEmpty);
        }
        Ok(u)
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = hex::encode(self.0);
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

impl FromStr for Uuid {
    type Err = Reason;
    fn from_str(s: &str) -> Result<Self, Reason> {
        Uuid::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        for good in [
            "2004-05-14T23:11:14+00:00",
            "2001-02-03T04:05:06Z",
            "2014-11-14T17:36:54-08:00",
            "2014-11-14T17:36:54.123456789Z",
            "2016-02-29T00:00:00Z",
        ] {
            assert!(Date::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "garbage",
            "1416015188",
            "Fri Nov 14 17:53:02 PST 2014",
            "2014-11-1417:36:54",
            "2014-11-14T17:36:54",
            "2014-11-14t17:36:54Z",
            "2015-02-29T00:00:00Z",
            "2014-11-14T24:00:00Z",
            "2014-11-14T17:36:54Z ",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        let d = Date::parse("1970-01-02T01:00:00+01:00").unwrap();
        assert_eq!(d.unix_seconds(), 86_400);
        assert_eq!(
            Date::parse("2001-02-03T04:05:06Z").unwrap().unix_seconds(),
            981_173_106
        );
    }

    #[test]
    fn urls() {
        for good in [
            "http://example.com",
            "https://example.com/a?b#c",
            "HTTP://example.com:80/",
            "https://[::1]:8080/x",
        ] {
            assert_eq!(check_http_url(good), Ok(()), "{good}");
        }
        assert_eq!(check_http_url("ftp://example.com"), Err(Reason::UrlScheme));
        assert_eq!(
            "https://example.com/x".parse::<HttpUrl>().unwrap().as_str(),
            "https://example.com/x"
        );
        assert_eq!(check_http_url("example.com"), Err(Reason::UrlScheme));
        assert_eq!(check_http_url("file:///etc"), Err(Reason::UrlScheme));
        assert!(matches!(
            check_http_url("http://example.com/%zz"),
            Err(Reason::Url(_))
        ));
        assert!(matches!(
            check_http_url("http://example.com:port/"),
            Err(Reason::Url(_))
        ));
        assert!(matches!(check_http_url(":foo"), Err(Reason::Url(_))));
        // Facts from the reference's url.Parse.
        for good in [
            "http:x",
            "http://",
            "http://x?%zz",
            "http://x:/",
            "http:///path",
            "http://x:99999999999/",
        ] {
            assert_eq!(check_http_url(good), Ok(()), "{good}");
        }
        for bad in [
            "http://x/#%zz",
            "https://user:pa ss@x/",
            "http://x\\y",
            "http://%41/",
            "http://[::1/",
            "http://a b/",
        ] {
            assert!(check_http_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn uuids() {
        let u = Uuid::parse("6733C088-A507-4694-AABF-EDBE4FC5266F").unwrap();
        assert_eq!(u.to_string(), "6733c088-a507-4694-aabf-edbe4fc5266f");
        assert_eq!(Uuid::parse("6733c088a5074694aabfedbe4fc5266f").unwrap(), u);
        assert_eq!(Uuid::parse("6733c088-a507"), Err(Reason::UuidLength));
        assert_eq!(
            Uuid::parse("z733c088a5074694aabfedbe4fc5266f"),
            Err(Reason::UuidHex)
        );
        assert_eq!(
            Uuid::parse_non_empty("00000000-0000-0000-0000-000000000000"),
            Err(Reason::UuidEmpty)
        );
    }
}
