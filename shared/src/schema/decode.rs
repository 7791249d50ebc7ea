//! Decoding helpers that follow Go's `encoding/json` rules for struct fields.
//!
//! - a key binds to a field case-insensitively; every matching key is decoded in document
//!   order and the last one wins (an earlier bad one still fails, as in Go);
//! - `null` leaves a plain string, number or bool at its zero value and a slice or map empty;
//! - a value of the wrong JSON type is an error.

use std::collections::BTreeMap;

use super::error::{Reason, SchemaError};
use super::json::{Json, key_matches};

/// Decoding result.
pub(crate) type Res<T> = Result<T, SchemaError>;

/// `parent.child` (or `child` at the top).
pub(crate) fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// `parent[i]`.
pub(crate) fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// A type error at `path`.
pub(crate) fn type_err(path: &str, v: &Json, expected: &'static str) -> SchemaError {
    SchemaError::at(
        path,
        Reason::Type {
            found: v.kind_name(),
            expected,
        },
    )
}

/// The fields of a JSON object; `None` for `null`.
pub(crate) struct Obj<'a> {
    entries: &'a [(String, Json)],
    path: String,
}

impl<'a> Obj<'a> {
    /// Views `v` as an object; `null` gives an object with no fields.
    pub(crate) fn new(v: &'a Json, path: &str, expected: &'static str) -> Res<Self> {
        match v {
            Json::Object(entries) => Ok(Obj {
                entries,
                path: path.to_string(),
            }),
            Json::Null => Ok(Obj {
                entries: &[],
                path: path.to_string(),
            }),
            other => Err(type_err(path, other, expected)),
        }
    }

    /// Path of the named field.
    pub(crate) fn path(&self, field: &str) -> String {
        join(&self.path, field)
    }

    /// Decodes every value bound to `field` with `f`; returns the last result.
    pub(crate) fn field<T>(
        &self,
        field: &str,
        mut f: impl FnMut(&'a Json, &str) -> Res<T>,
    ) -> Res<Option<T>> {
        let mut path = None;
        let mut out = None;
        for (k, v) in self.entries {
            if key_matches(k, field) {
                let p = path.get_or_insert_with(|| self.path(field));
                out = Some(f(v, p)?);
            }
        }
        Ok(out)
    }

    /// A struct field that Go decodes into the existing value when its key repeats: each
    /// occurrence is decoded (and checked) merged over the ones before it. `null` clears it
    /// when `null_clears` (a Go pointer), otherwise it is ignored.
    pub(crate) fn merged<T>(
        &self,
        field: &str,
        null_clears: bool,
        mut f: impl FnMut(&Json, &str) -> Res<T>,
    ) -> Res<Option<T>> {
        let mut acc: Vec<(String, Json)> = Vec::new();
        let mut out = None;
        for (k, v) in self.entries {
            if !key_matches(k, field) {
                continue;
            }
            let path = self.path(field);
            match v {
                Json::Null if null_clears => {
                    acc.clear();
                    out = None;
                }
                Json::Null => {}
                // The common case, a single occurrence, needs no merged copy.
                Json::Object(_) if acc.is_empty() && !self.repeated(field) => {
                    out = Some(f(v, &path)?);
                }
                Json::Object(entries) => {
                    acc.extend(entries.iter().cloned());
                    out = Some(f(&Json::Object(acc.clone()), &path)?);
                }
                other => return Err(type_err(&path, other, "struct")),
            }
        }
        Ok(out)
    }

    fn repeated(&self, field: &str) -> bool {
        self.entries
            .iter()
            .filter(|(k, _)| key_matches(k, field))
            .nth(1)
            .is_some()
    }

    /// A plain string field (`""` when absent or null).
    pub(crate) fn string(&self, field: &str) -> Res<String> {
        Ok(self.field(field, string)?.unwrap_or_default())
    }

    /// A plain bool field.
    pub(crate) fn bool(&self, field: &str) -> Res<bool> {
        Ok(self.field(field, boolean)?.unwrap_or_default())
    }

    /// A string field behind a Go pointer: `null` makes it absent.
    pub(crate) fn opt_string(&self, field: &str) -> Res<Option<String>> {
        Ok(self
            .field(field, |v, p| {
                if matches!(v, Json::Null) {
                    Ok(None)
                } else {
                    string(v, p).map(Some)
                }
            })?
            .flatten())
    }

    /// A bool field behind a Go pointer.
    pub(crate) fn opt_bool(&self, field: &str) -> Res<Option<bool>> {
        Ok(self
            .field(field, |v, p| {
                if matches!(v, Json::Null) {
                    Ok(None)
                } else {
                    boolean(v, p).map(Some)
                }
            })?
            .flatten())
    }

    /// An int field behind a Go pointer.
    pub(crate) fn opt_int(&self, field: &str) -> Res<Option<i64>> {
        Ok(self
            .field(field, |v, p| {
                if matches!(v, Json::Null) {
                    Ok(None)
                } else {
                    int(v, p).map(Some)
                }
            })?
            .flatten())
    }

    /// A Go `uint` field (64-bit).
    pub(crate) fn uint(&self, field: &str) -> Res<u64> {
        Ok(self.field(field, uint)?.unwrap_or_default())
    }

    /// A `[]string` field; `None` when absent or null (Go's nil slice).
    pub(crate) fn strings(&self, field: &str) -> Res<Option<Vec<String>>> {
        Ok(self.field(field, string_list)?.flatten())
    }

    /// A `map[string]string` field.
    pub(crate) fn string_map(&self, field: &str) -> Res<BTreeMap<String, String>> {
        Ok(self.field(field, string_map)?.unwrap_or_default())
    }

    /// A slice of structs decoded by `f`; `None` when absent or null.
    pub(crate) fn list<T>(
        &self,
        field: &str,
        mut f: impl FnMut(&'a Json, &str) -> Res<T>,
    ) -> Res<Option<Vec<T>>> {
        Ok(self.field(field, |v, p| list(v, p, &mut f))?.flatten())
    }
}

/// A Go string; `null` is `""`.
pub(crate) fn string(v: &Json, path: &str) -> Res<String> {
    match v {
        Json::String(s) | Json::EscapedString { value: s, .. } => Ok(s.clone()),
        Json::Null => Ok(String::new()),
        other => Err(type_err(path, other, "string")),
    }
}

/// A Go bool; `null` is false.
pub(crate) fn boolean(v: &Json, path: &str) -> Res<bool> {
    match v {
        Json::Bool(b) => Ok(*b),
        Json::Null => Ok(false),
        other => Err(type_err(path, other, "bool")),
    }
}

/// A Go `int` (64-bit): only plain integer literals, as Go's `strconv.ParseInt`.
pub(crate) fn int(v: &Json, path: &str) -> Res<i64> {
    match v {
        Json::Number(n) => n.parse::<i64>().map_err(|_| {
            SchemaError::at(
                path,
                Reason::Number {
                    text: n.clone(),
                    expected: "int",
                },
            )
        }),
        Json::Null => Ok(0),
        other => Err(type_err(path, other, "int")),
    }
}

/// A Go `uint` (64-bit).
pub(crate) fn uint(v: &Json, path: &str) -> Res<u64> {
    match v {
        Json::Number(n) => n.parse::<u64>().map_err(|_| {
            SchemaError::at(
                path,
                Reason::Number {
                    text: n.clone(),
                    expected: "uint",
                },
            )
        }),
        Json::Null => Ok(0),
        other => Err(type_err(path, other, "uint")),
    }
}

/// A slice decoded element by element; `None` for `null`.
pub(crate) fn list<'a, T>(
    v: &'a Json,
    path: &str,
    mut f: impl FnMut(&'a Json, &str) -> Res<T>,
) -> Res<Option<Vec<T>>> {
    match v {
        Json::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| f(item, &index(path, i)))
            .collect::<Res<Vec<T>>>()
            .map(Some),
        Json::Null => Ok(None),
        other => Err(type_err(path, other, "slice")),
    }
}

/// A `[]string`.
pub(crate) fn string_list(v: &Json, path: &str) -> Res<Option<Vec<String>>> {
    list(v, path, string)
}

/// A `map[string]string`; a repeated key keeps the last value, as Go does.
pub(crate) fn string_map(v: &Json, path: &str) -> Res<BTreeMap<String, String>> {
    match v {
        Json::Object(entries) => {
            let mut out = BTreeMap::new();
            for (k, val) in entries {
                out.insert(k.clone(), string(val, &join(path, k))?);
            }
            Ok(out)
        }
        Json::Null => Ok(BTreeMap::new()),
        other => Err(type_err(path, other, "map[string]string")),
    }
}

/// Builds JSON objects in Go struct field order.
pub(crate) struct ObjWriter(Vec<(String, Json)>);

impl ObjWriter {
    /// An empty object.
    pub(crate) fn new() -> Self {
        ObjWriter(Vec::new())
    }

    /// Always writes the field.
    pub(crate) fn put(&mut self, key: &str, v: Json) -> &mut Self {
        self.0.push((key.to_string(), v));
        self
    }

    /// Writes the field unless `v` is Go's empty value for `omitempty`.
    pub(crate) fn put_omitempty(&mut self, key: &str, v: Json) -> &mut Self {
        let empty = match &v {
            Json::Null => true,
            Json::Bool(b) => !b,
            Json::Number(n) => n == "0",
            Json::String(s) | Json::EscapedString { value: s, .. } => s.is_empty(),
            Json::Array(a) => a.is_empty(),
            Json::Object(o) => o.is_empty(),
        };
        if !empty {
            self.0.push((key.to_string(), v));
        }
        self
    }

    /// The finished object.
    pub(crate) fn build(&mut self) -> Json {
        Json::Object(std::mem::take(&mut self.0))
    }
}

/// A Go string.
pub(crate) fn jstr(s: &str) -> Json {
    Json::String(s.to_string())
}

/// A Go slice; `None` is Go's nil slice (`null`).
pub(crate) fn jlist<T>(items: Option<&[T]>, f: impl Fn(&T) -> Json) -> Json {
    match items {
        Some(items) => Json::Array(items.iter().map(f).collect()),
        None => Json::Null,
    }
}

/// A Go `map[string]string` (keys sorted, as Go writes maps).
pub(crate) fn jmap(m: &BTreeMap<String, String>) -> Json {
    Json::Object(m.iter().map(|(k, v)| (k.clone(), jstr(v))).collect())
}
