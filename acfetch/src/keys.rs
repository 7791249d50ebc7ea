//! OpenPGP public keys and detached signature checks (rPGP), with the key policy the library
//! leaves to us: revocation, expiry and the signing capability of subkeys.

use std::io::{Read, Seek, SeekFrom};
use std::time::{SystemTime, UNIX_EPOCH};

use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use pgp::packet::SignatureType;
use pgp::types::KeyDetails;

/// Why a key or signature was refused.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file is not an armored OpenPGP public key with valid self-signatures.
    #[error("not a usable OpenPGP public key: {0}")]
    BadKey(String),
    /// The signature file is not an armored detached OpenPGP signature.
    #[error("not an armored OpenPGP signature: {0}")]
    BadSignature(String),
    /// No trusted key made the signature.
    #[error("signed by key {issuer}, which is not trusted for {name}{hint}")]
    Untrusted {
        /// The issuer fingerprint or key ID named in the signature.
        issuer: String,
        /// The image name the keys were chosen for.
        name: String,
        /// What to do about it.
        hint: String,
    },
    /// A trusted key matched the issuer but the signature does not verify: the data changed.
    #[error("bad signature by key {fingerprint}: the data does not match it ({reason})")]
    Invalid {
        /// The key that was tried.
        fingerprint: String,
        /// rPGP's description.
        reason: String,
    },
    /// The matching key or subkey cannot sign now (revoked, expired, not for signing).
    #[error("key {fingerprint} cannot be used: {reason}")]
    Unusable {
        /// The key.
        fingerprint: String,
        /// Why.
        reason: String,
    },
    /// Reading the signed data failed.
    #[error("reading the signed data: {0}")]
    Io(#[from] std::io::Error),
}

/// A parsed public key with its self-signatures checked.
#[derive(Debug, Clone)]
pub struct PublicKey {
    key: SignedPublicKey,
    armored: Vec<u8>,
}

impl PublicKey {
    /// Parses an armored public key (binary is accepted too) and checks its bindings.
    pub fn parse(data: &[u8]) -> Result<PublicKey, KeyError> {
        let (key, _) = SignedPublicKey::from_reader_single(data)
            .map_err(|e| KeyError::BadKey(e.to_string()))?;
        key.verify_bindings()
            .map_err(|e| KeyError::BadKey(format!("self-signature: {e}")))?;
        let armored = key
            .to_armored_bytes(Default::default())
            .map_err(|e| KeyError::BadKey(e.to_string()))?;
        Ok(PublicKey { key, armored })
    }

    /// The primary key's fingerprint, lower-case hex.
    pub fn fingerprint(&self) -> String {
        format!("{:x}", self.key.primary_key.fingerprint())
    }

    /// The user IDs (`Name <email>`).
    pub fn user_ids(&self) -> Vec<String> {
        self.key
            .details
            .users
            .iter()
            .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
            .collect()
    }

    /// The key, armored, as stored in the trust store.
    pub fn armored(&self) -> &[u8] {
        &self.armored
    }

    /// Whether the primary key carries a revocation signature.
    fn revoked(&self) -> bool {
        !self.key.details.revocation_signatures.is_empty()
    }

    /// Expiry of the primary key from its newest self-signature, Unix seconds.
    fn expires(&self) -> Option<i64> {
        let created = i64::from(self.key.primary_key.created_at().as_secs());
        self.key
            .details
            .users
            .iter()
            .flat_map(|u| u.signatures.iter())
            .chain(self.key.details.direct_signatures.iter())
            .filter_map(|s| Some((s.created()?.as_secs(), s.key_expiration_time()?)))
            .max_by_key(|(at, _)| *at)
            .map(|(_, d)| created + d.as_secs() as i64)
    }
}

/// A parsed detached signature.
#[derive(Debug, Clone)]
pub struct Signature(DetachedSignature);

impl Signature {
    /// Parses an armored (or binary) detached signature.
    pub fn parse(data: &[u8]) -> Result<Signature, KeyError> {
        let (sig, _) = DetachedSignature::from_reader_single(data)
            .map_err(|e| KeyError::BadSignature(e.to_string()))?;
        Ok(Signature(sig))
    }

    /// The issuer as the signature names it: a fingerprint if present, else the key ID.
    pub fn issuer(&self) -> String {
        let s = &self.0.signature;
        if let Some(fp) = s.issuer_fingerprint().first() {
            return format!("{fp:x}");
        }
        s.issuer_key_id()
            .first()
            .map(|k| hex::encode(k.as_ref()))
            .unwrap_or_else(|| "(unnamed)".into())
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Checks `signature` over all of `data` (read from its start) against `keys`; returns the
/// fingerprint of the trusted primary key that signed it. `name` only shapes the error.
pub fn verify<R: Read + Seek>(
    keys: &[PublicKey],
    signature: &Signature,
    data: &mut R,
    name: &str,
) -> Result<String, KeyError> {
    let sig = &signature.0.signature;
    let ids = sig.issuer_key_id();
    let fps = sig.issuer_fingerprint();
    let names = |k: &dyn KeyDetails| {
        fps.iter().any(|f| **f == k.fingerprint()) || ids.iter().any(|i| **i == k.legacy_key_id())
    };
    for key in keys {
        let fingerprint = key.fingerprint();
        let unusable = |reason: &str| KeyError::Unusable {
            fingerprint: fingerprint.clone(),
            reason: reason.to_string(),
        };
        let primary = &key.key.primary_key;
        if names(primary) {
            check_primary(key).map_err(|r| unusable(&r))?;
            data.seek(SeekFrom::Start(0))?;
            return sig
                .verify(primary, &mut *data)
                .map(|()| fingerprint.clone())
                .map_err(|e| invalid(&fingerprint, e));
        }
        for sub in &key.key.public_subkeys {
            if !names(&sub.key) {
                continue;
            }
            check_primary(key).map_err(|r| unusable(&r))?;
            sub.verify_bindings(primary)
                .map_err(|e| unusable(&format!("subkey binding: {e}")))?;
            let sub_ok = sub
                .signatures
                .iter()
                .all(|s| s.typ() != Some(SignatureType::SubkeyRevocation))
                && sub.signatures.iter().any(|s| s.key_flags().sign());
            if !sub_ok {
                return Err(unusable("the subkey is revoked or not a signing subkey"));
            }
            let sub_created = i64::from(sub.key.created_at().as_secs());
            let expiry = sub
                .signatures
                .iter()
                .filter_map(|s| s.key_expiration_time())
                .map(|d| sub_created + d.as_secs() as i64)
                .max();
            if expiry.is_some_and(|e| e <= now()) {
                return Err(unusable("the signing subkey has expired"));
            }
            data.seek(SeekFrom::Start(0))?;
            return sig
                .verify(&sub.key, &mut *data)
                .map(|()| fingerprint.clone())
                .map_err(|e| invalid(&fingerprint, e));
        }
    }
    Err(KeyError::Untrusted {
        issuer: signature.issuer(),
        name: name.to_string(),
        hint: format!(" (trust it with: acfetch trust --prefix {name} KEY)"),
    })
}

fn invalid(fingerprint: &str, e: pgp::errors::Error) -> KeyError {
    KeyError::Invalid {
        fingerprint: fingerprint.to_string(),
        reason: e.to_string(),
    }
}

fn check_primary(key: &PublicKey) -> Result<(), String> {
    if key.revoked() {
        return Err("it has been revoked".into());
    }
    if key.expires().is_some_and(|e| e <= now()) {
        return Err("it has expired".into());
    }
    Ok(())
}
