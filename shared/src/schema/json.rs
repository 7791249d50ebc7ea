//! A small JSON tree that behaves like Go's `encoding/json` where the reference depends on it.
//!
//! serde_json cannot do three things we need: keep a number's source text (isolator values
//! round-trip byte for byte as Go's `json.RawMessage`), keep every duplicate key (Go decodes
//! each one in order), and write Go's escaping (`<`, `>`, `&`, U+2028/9 as `\u` escapes).

use std::fmt::Write as _;

/// A parsed JSON value; numbers keep their source text.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as written in the source.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// A string whose source used escapes; the source text (between the quotes) is kept
    /// because Go writes raw isolator values as they were read.
    EscapedString {
        /// The unescaped value.
        value: String,
        /// The text between the quotes, escapes as written.
        source: String,
    },
    /// An array.
    Array(Vec<Json>),
    /// An object; every key is kept, in document order, duplicates included.
    Object(Vec<(String, Json)>),
}

/// A JSON syntax error with its 1-based position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at line {line}, column {column}: {reason}")]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in bytes).
    pub column: usize,
    /// What was wrong.
    pub reason: String,
}

impl Json {
    /// Parses one JSON document (surrounding whitespace allowed, nothing else).
    pub fn parse(input: &[u8]) -> Result<Json, SyntaxError> {
        let mut p = Parser { s: input, pos: 0 };
        p.ws();
        let v = p.value(0)?;
        p.ws();
        if p.pos < p.s.len() {
            return Err(p.err("invalid character after top-level value"));
        }
        Ok(v)
    }

    /// The name Go uses for this kind of value in type errors.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) | Json::EscapedString { .. } => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// The string value of a string node.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) | Json::EscapedString { value: s, .. } => Some(s),
            _ => None,
        }
    }

    /// Writes this value as Go's `json.Marshal` would (compact, Go escaping).
    pub fn to_go_string(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => write_string(out, s),
            Json::EscapedString { source, .. } => {
                // Go's compaction of raw JSON keeps escapes and only adds the HTML-safe ones.
                out.push('"');
                for c in source.chars() {
                    match c {
                        '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                            let _ = write!(out, "\\u{:04x}", c as u32);
                        }
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
            Json::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Object(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// Converts from a serde_json value (numbers keep serde_json's text form).
    pub fn from_serde(v: &serde_json::Value) -> Json {
        match v {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(b) => Json::Bool(*b),
            serde_json::Value::Number(n) => Json::Number(n.to_string()),
            serde_json::Value::String(s) => Json::String(s.clone()),
            serde_json::Value::Array(a) => Json::Array(a.iter().map(Json::from_serde).collect()),
            serde_json::Value::Object(o) => Json::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), Json::from_serde(v)))
                    .collect(),
            ),
        }
    }
}

/// Appends `s` as a JSON string literal with Go's escaping rules.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Go escapes these so the output is safe to embed in HTML and JavaScript.
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Re-indents compact JSON text as Go's `json.MarshalIndent(v, "", indent)` does.
pub fn indent(compact: &str, indent: &str) -> String {
    let bytes = compact.as_bytes();
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut i = 0;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(indent);
        }
    };
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let end = (i + 1).min(bytes.len());
                out.push_str(&compact[start..end]);
                i = end;
                continue;
            }
            b'{' | b'[' => {
                out.push(c as char);
                let close = if c == b'{' { b'}' } else { b']' };
                if bytes.get(i + 1) == Some(&close) {
                    out.push(close as char);
                    i += 2;
                    continue;
                }
                depth += 1;
                newline(&mut out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c as char);
            }
            b',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            b':' => out.push_str(": "),
            _ => {
                let start = i;
                while i < bytes.len() && !b"\"{}[],:".contains(&bytes[i]) {
                    i += 1;
                }
                out.push_str(&compact[start..i]);
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Whether two object keys match the way Go's decoder matches a key to a struct field:
/// case-insensitively, with Go's two extra folds (Kelvin sign to `k`, long s to `s`).
pub fn key_matches(key: &str, field: &str) -> bool {
    if key.len() == field.len() && key.eq_ignore_ascii_case(field) {
        return true;
    }
    if key.is_ascii() {
        return false;
    }
    let fold = |c: char| match c {
        '\u{212A}' => 'k',
        '\u{017F}' => 's',
        c => c.to_ascii_lowercase(),
    };
    key.chars().map(fold).eq(field.chars().map(fold))
}

// Deep nesting would otherwise overflow the stack on hostile input.
const MAX_DEPTH: usize = 512;

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, reason: &str) -> SyntaxError {
        let upto = &self.s[..self.pos.min(self.s.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = upto.len() - upto.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
        SyntaxError {
            line,
            column,
            reason: reason.to_string(),
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.pos) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.err("exceeded max depth"));
        }
        match self.s.get(self.pos) {
            None => Err(self.err("unexpected end of JSON input")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let start = self.pos + 1;
                let value = self.string()?;
                let source = &self.s[start..self.pos - 1];
                if source.contains(&b'\\') {
                    Ok(Json::EscapedString {
                        value,
                        source: String::from_utf8_lossy(source).into_owned(),
                    })
                } else {
                    Ok(Json::String(value))
                }
            }
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("invalid character looking for beginning of value")),
        }
    }

    fn literal(&mut self, word: &str, v: Json) -> Result<Json, SyntaxError> {
        if self.s[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.s.get(self.pos) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Json, SyntaxError> {
        let start = self.pos;
        if self.s[self.pos] == b'-' {
            self.pos += 1;
        }
        match self.s.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid character in numeric literal")),
        }
        if self.s.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid character after decimal point in numeric literal"));
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.s.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid character in exponent of numeric literal"));
            }
        }
        // Only ASCII was consumed, so this slice is valid UTF-8.
        let text = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
        Ok(Json::Number(text))
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let Some(h) = self.s.get(self.pos..self.pos + 4) else {
            return Err(self.err("unexpected end of JSON input"));
        };
        let text = std::str::from_utf8(h)
            .map_err(|_| self.err("invalid character in \\u hexadecimal character escape"))?;
        let v = u32::from_str_radix(text, 16)
            .map_err(|_| self.err("invalid character in \\u hexadecimal character escape"))?;
        self.pos += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.pos += 1;
        let mut buf: Vec<u8> = Vec::new();
        loop {
            let Some(&b) = self.s.get(self.pos) else {
                return Err(self.err("unexpected end of JSON input"));
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    // Go replaces invalid UTF-8 with U+FFFD rather than failing.
                    return Ok(String::from_utf8_lossy(&buf).into_owned());
                }
                b'\\' => {
                    self.pos += 1;
                    let Some(&e) = self.s.get(self.pos) else {
                        return Err(self.err("unexpected end of JSON input"));
                    };
                    self.pos += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            if (0xD800..0xDC00).contains(&hi)
                                && self.s[self.pos..].starts_with(b"\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                        .unwrap_or('\u{FFFD}')
                                } else {
                                    self.pos = save;
                                    '\u{FFFD}'
                                }
                            } else {
                                char::from_u32(hi).unwrap_or('\u{FFFD}')
                            }
                        }
                        _ => return Err(self.err("invalid character in string escape code")),
                    };
                    let mut tmp = [0u8; 4];
                    buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                }
                0..=0x1f => return Err(self.err("invalid character in string literal")),
                _ => {
                    buf.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, SyntaxError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.s.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.s.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                None => return Err(self.err("unexpected end of JSON input")),
                _ => return Err(self.err("invalid character after array element")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, SyntaxError> {
        self.pos += 1;
        let mut entries = Vec::new();
        self.ws();
        if self.s.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Json::Object(entries));
        }
        loop {
            self.ws();
            if self.s.get(self.pos) != Some(&b'"') {
                return Err(
                    self.err("invalid character looking for beginning of object key string")
                );
            }
            let key = self.string()?;
            self.ws();
            if self.s.get(self.pos) != Some(&b':') {
                return Err(self.err("invalid character after object key"));
            }
            self.pos += 1;
            self.ws();
            let v = self.value(depth + 1)?;
            entries.push((key, v));
            self.ws();
            match self.s.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(entries));
                }
                None => return Err(self.err("unexpected end of JSON input")),
                _ => return Err(self.err("invalid character after object key:value pair")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_number_text_and_duplicates() {
        let v = Json::parse(br#" {"a": 1e3, "A": [1.50, -0], "a": null} "#).unwrap();
        assert_eq!(v.to_go_string(), r#"{"a":1e3,"A":[1.50,-0],"a":null}"#);
    }

    #[test]
    fn go_escaping() {
        let v = Json::String("<a&b>\u{1}\u{2028}é\"\\\n".into());
        assert_eq!(
            v.to_go_string(),
            r#""\u003ca\u0026b\u003e\u0001\u2028é\"\\\n""#
        );
        let v = Json::parse(br#""\ud83d\ude00 \u0041""#).unwrap();
        assert_eq!(v.as_str(), Some("😀 A"));
        // Escapes are written back as read, plus Go's HTML-safe escapes.
        let v = Json::parse(br#"["\u0041\/<", "plain"]"#).unwrap();
        assert_eq!(v.to_go_string(), r#"["\u0041\/\u003c","plain"]"#);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = Json::parse(b"{\n  \"a\": tru }").unwrap_err();
        assert_eq!((e.line, e.column), (2, 8));
        assert!(Json::parse(b"").is_err());
        assert!(Json::parse(b"{} x").is_err());
        assert!(Json::parse(b"[01]").is_err());
        assert!(Json::parse(b"\"a\tb\"").is_err());
        assert!(Json::parse(b"[1,]").is_err());
    }

    #[test]
    fn indents_like_go() {
        let s = indent(r#"{"a":[],"b":{},"c":[1,{"d":"x,y:z"}]}"#, "  ");
        assert_eq!(
            s,
            "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    {\n      \"d\": \"x,y:z\"\n    }\n  ]\n}"
        );
    }

    #[test]
    fn go_key_folding() {
        assert!(key_matches("SUPPLEMENTARYgids", "supplementaryGIDs"));
        assert!(key_matches("\u{212A}ind", "kind"));
        assert!(!key_matches("kinds", "kind"));
    }
}
