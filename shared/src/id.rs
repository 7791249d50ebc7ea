//! Image IDs: `sha512-` followed by the lowercase hex SHA-512 of an image's tar stream.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The only hash algorithm appc allows for image IDs.
pub const ALGORITHM: &str = "sha512";

/// Length of a full image ID: `sha512-` plus 128 hex digits.
pub const FULL_LEN: usize = ALGORITHM.len() + 1 + 128;

/// Length of a short image ID as the reference prints it: `sha512-` plus 32 hex digits.
pub const SHORT_LEN: usize = ALGORITHM.len() + 1 + 32;

/// Why a string is not an image ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Not of the form `TYPE-VALUE` with exactly one dash.
    #[error("badly formatted hash string")]
    Format,
    /// The hash type is not `sha512`.
    #[error("unrecognized hash type: {0}")]
    Algorithm(String),
    /// Nothing after the dash.
    #[error("unexpected empty hash value")]
    Empty,
    /// Not 128 lowercase hex digits (only checked by [`ImageId::parse_full`]).
    #[error("image ID must be sha512- followed by 128 lowercase hex digits")]
    NotFull,
}

/// An image ID as found in manifests and on command lines.
///
/// Parsing follows the reference (`types.NewHash`): one dash, type `sha512`, a non-empty value.
/// The value's hex and length are not checked there, so manifests the reference accepts parse
/// here too; [`ImageId::is_full`] tells whether it is a complete ID that can name a blob.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageId(String);

impl ImageId {
    /// The ID of a tar stream whose SHA-512 digest is `digest`.
    pub fn from_digest(digest: &[u8; 64]) -> Self {
        ImageId(format!("{ALGORITHM}-{}", hex::encode(digest)))
    }

    /// Parses with the reference's (loose) rules.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let mut parts = s.split('-');
        let (Some(alg), Some(val), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(IdError::Format);
        };
        if alg != ALGORITHM {
            return Err(IdError::Algorithm(alg.to_string()));
        }
        if val.is_empty() {
            return Err(IdError::Empty);
        }
        Ok(ImageId(s.to_string()))
    }

    /// Parses and also requires 128 lowercase hex digits.
    pub fn parse_full(s: &str) -> Result<Self, IdError> {
        let id = Self::parse(s)?;
        if id.is_full() {
            Ok(id)
        } else {
            Err(IdError::NotFull)
        }
    }

    /// Whether the value is exactly 128 lowercase hex digits.
    pub fn is_full(&self) -> bool {
        let v = self.hex();
        v.len() == 128
            && v.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    /// The hex part after `sha512-`.
    pub fn hex(&self) -> &str {
        &self.0[ALGORITHM.len() + 1..]
    }

    /// The whole ID as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The short form: at most `sha512-` plus 32 hex digits, as the reference's `ShortHash`.
    pub fn short(&self) -> &str {
        &self.0[..self.0.len().min(SHORT_LEN)]
    }

    /// Whether `prefix` (e.g. `sha512-abc`) is a prefix of this ID; case-insensitive on the hex.
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.0.len() >= prefix.len() && self.0[..prefix.len()].eq_ignore_ascii_case(prefix)
    }
}

impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImageId({})", self.0)
    }
}

impl FromStr for ImageId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for ImageId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for ImageId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ImageId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ImageId::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_round_trip_and_short_form() {
        let id = ImageId::from_digest(&[0xab; 64]);
        assert!(id.is_full());
        assert_eq!(id.as_str().len(), FULL_LEN);
        assert_eq!(id.short(), &id.as_str()[..SHORT_LEN]);
        assert_eq!(ImageId::parse_full(id.as_str()).unwrap(), id);
        assert!(id.has_prefix("sha512-ABAB"));
    }

    #[test]
    fn reference_error_conditions() {
        assert_eq!(ImageId::parse("sha512"), Err(IdError::Format));
        assert_eq!(ImageId::parse("sha512-a-b"), Err(IdError::Format));
        assert_eq!(
            ImageId::parse("md5-abc"),
            Err(IdError::Algorithm("md5".into()))
        );
        assert_eq!(ImageId::parse("sha512-"), Err(IdError::Empty));
        // The reference does not check hex or length; we parse, but it is not a full ID.
        let loose = ImageId::parse("sha512-xyz").unwrap();
        assert!(!loose.is_full());
        assert_eq!(ImageId::parse_full("sha512-xyz"), Err(IdError::NotFull));
    }
}
