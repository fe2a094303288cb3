//! Ed25519 keys in the C2SP signed-note encodings (<https://c2sp.org/signed-note>; a copy is in
//! `shared/reference/tlog/c2sp/`), the same encodings `canvass-log` uses for the log key.
//!
//! ```text
//! vkey: canvass/us-2020/jurisdiction/42001+1f3a9c07+AXb0...   (name + key id hex + base64(0x01 || public key))
//! skey: PRIVATE+KEY+canvass/us-2020/jurisdiction/42001+1f3a9c07+AZk3...   (base64(0x01 || seed))
//! ```
//!
//! The key id is the first four bytes (big-endian) of `SHA-256(name || "\n" || 0x01 || public
//! key)`. A [`SecretKey`] never prints its seed: its `Debug` shows only the name and key id.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};

use crate::error::KeyError;

/// The signed-note signature type byte for Ed25519.
const ALG_ED25519: u8 = 0x01;

/// The key name of an election's authority (canvassing board) key.
pub fn authority_key_name(election: &str) -> String {
    format!("canvass/{election}/authority")
}

/// The key name (and log origin) of an election's transparency log key.
pub fn log_key_name(election: &str) -> String {
    format!("canvass/{election}/log")
}

/// The key name of a reporting jurisdiction's key.
pub fn jurisdiction_key_name(election: &str, jurisdiction: &str) -> String {
    format!("canvass/{election}/jurisdiction/{jurisdiction}")
}

/// Whether a signed-note key name is valid: non-empty, no whitespace, no `+`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

fn key_id_of(name: &str, public: &VerifyingKey) -> u32 {
    let mut material = [0u8; 33];
    material[0] = ALG_ED25519;
    material[1..].copy_from_slice(public.as_bytes());
    canvass_log::checkpoint::key_id(name, &material)
}

/// An Ed25519 signing key with its signed-note name.
#[derive(Clone)]
pub struct SecretKey {
    name: String,
    key: SigningKey,
    id: u32,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({}, {:08x})", self.name, self.id)
    }
}

impl SecretKey {
    /// A key from a 32-byte seed; the caller supplies the randomness.
    ///
    /// # Errors
    /// [`KeyError::BadName`] for a name that is empty or has whitespace or `+`.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, KeyError> {
        if !is_valid_name(name) {
            return Err(KeyError::BadName(name.to_owned()));
        }
        let key = SigningKey::from_bytes(&seed);
        let id = key_id_of(name, &key.verifying_key());
        Ok(SecretKey {
            name: name.to_owned(),
            key,
            id,
        })
    }

    /// Parses a `PRIVATE+KEY+<name>+<id>+<base64>` signer key (surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`KeyError::BadKey`] if the text is malformed or its key id does not match the key.
    pub fn from_skey(skey: &str) -> Result<Self, KeyError> {
        let bad = |reason: &str| KeyError::BadKey {
            what: "signer key",
            reason: reason.to_owned(),
        };
        let rest = skey
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("it does not start with PRIVATE+KEY+"))?;
        let (name, id, material) = split_key(rest).ok_or_else(|| bad("expected name+id+key"))?;
        if material.len() != 33 || material[0] != ALG_ED25519 {
            return Err(bad("the key is not a 32-byte Ed25519 seed"));
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&material[1..]);
        let key = SecretKey::from_seed(name, seed).map_err(|_| bad("invalid key name"))?;
        if key.id != id {
            return Err(bad("the key id does not match the key"));
        }
        Ok(key)
    }

    /// The signer key text, `PRIVATE+KEY+<name>+<id>+<base64>`. Write it only to a 0600 file.
    pub fn to_skey(&self) -> String {
        let mut material = Vec::with_capacity(33);
        material.push(ALG_ED25519);
        material.extend_from_slice(&self.key.to_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            B64.encode(material)
        )
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The 32-byte seed, e.g. to build a `canvass_log::LogSigner` for the log key.
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            id: self.id,
        }
    }

    /// Signs a message.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.key.sign(msg).to_bytes()
    }
}

/// An Ed25519 verifier key with its signed-note name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    name: String,
    key: VerifyingKey,
    id: u32,
}

impl PublicKey {
    /// Parses a `<name>+<id>+<base64>` verifier key.
    ///
    /// # Errors
    /// [`KeyError::BadKey`] if the text is malformed, not an Ed25519 key, or its key id does
    /// not match.
    pub fn from_vkey(vkey: &str) -> Result<Self, KeyError> {
        let bad = |reason: &str| KeyError::BadKey {
            what: "verifier key",
            reason: reason.to_owned(),
        };
        let (name, id, material) = split_key(vkey).ok_or_else(|| bad("expected name+id+key"))?;
        if !is_valid_name(name) {
            return Err(bad("invalid key name"));
        }
        if material.len() != 33 || material[0] != ALG_ED25519 {
            return Err(bad("the key is not a 32-byte Ed25519 public key"));
        }
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&material[1..]);
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| bad("not a valid Ed25519 point"))?;
        if key_id_of(name, &key) != id {
            return Err(bad("the key id does not match the key"));
        }
        Ok(PublicKey {
            name: name.to_owned(),
            key,
            id,
        })
    }

    /// The verifier key text, `<name>+<id>+<base64>`.
    pub fn to_vkey(&self) -> String {
        let mut material = Vec::with_capacity(33);
        material.push(ALG_ED25519);
        material.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.id, B64.encode(material))
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Whether `sig` is this key's signature of `msg` (strict Ed25519 verification).
    pub fn verify(&self, msg: &[u8], sig: &[u8; 64]) -> bool {
        let sig = Signature::from_bytes(sig);
        self.key.verify_strict(msg, &sig).is_ok() && self.key.verify(msg, &sig).is_ok()
    }
}

/// Splits `<name>+<8 hex id>+<base64>`.
fn split_key(s: &str) -> Option<(&str, u32, Vec<u8>)> {
    let mut parts = s.splitn(3, '+');
    let name = parts.next()?;
    let id_hex = parts.next()?;
    let material = parts.next()?;
    if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let id = u32::from_str_radix(id_hex, 16).ok()?;
    let material = B64.decode(material).ok()?;
    Some((name, id, material))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skey_and_vkey_round_trip() {
        let k = SecretKey::from_seed("canvass/us-2020/jurisdiction/42001", [7; 32]).unwrap();
        let back = SecretKey::from_skey(&k.to_skey()).unwrap();
        assert_eq!(back.seed(), [7; 32]);
        let v = PublicKey::from_vkey(&k.public().to_vkey()).unwrap();
        assert_eq!(v, k.public());
        let sig = k.sign(b"hello");
        assert!(v.verify(b"hello", &sig));
        assert!(!v.verify(b"hellp", &sig));
    }

    #[test]
    fn debug_never_shows_the_seed() {
        let k = SecretKey::from_seed("a", [0xab; 32]).unwrap();
        let d = format!("{k:?}");
        assert!(!d.contains(&B64.encode([0xab; 32])[..8]));
        assert!(d.starts_with("SecretKey(a, "));
    }

    #[test]
    fn key_id_agrees_with_the_log_crate() {
        // The log crate's LogSigner computes its key ids with the signed_note crate.
        let k = SecretKey::from_seed("canvass/us-2020/log", [3; 32]).unwrap();
        let s = canvass_log::LogSigner::from_seed("canvass/us-2020/log", [3; 32]).unwrap();
        assert_eq!(s.verifier().to_vkey(), k.public().to_vkey());
        assert_eq!(s.to_skey(), k.to_skey());
    }

    #[test]
    fn rejects_bad_keys() {
        assert!(SecretKey::from_seed("has space", [0; 32]).is_err());
        assert!(SecretKey::from_seed("a+b", [0; 32]).is_err());
        let v = SecretKey::from_seed("a", [1; 32])
            .unwrap()
            .public()
            .to_vkey();
        let tampered = v.replacen("+", "+0", 1);
        assert!(PublicKey::from_vkey(&tampered).is_err());
        let wrong_id = format!("a+00000000+{}", v.rsplit('+').next().unwrap());
        assert!(PublicKey::from_vkey(&wrong_id).is_err());
    }
}
