//! Ed25519 witness cosignatures from C2SP tlog-cosignature
//! (<https://c2sp.org/tlog-cosignature>, copy in `shared/reference/tlog/c2sp/`), and a k-of-n
//! witness policy.
//!
//! A cosignature is a note signature whose key id is
//! `SHA-256(<name> || "\n" || 0x04 || public key)[:4]` and whose signature bytes are
//! `u64 big-endian timestamp || Ed25519 signature` over
//!
//! ```text
//! cosignature/v1
//! time 1679315147
//! <checkpoint note text>
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use signed_note::{Note, VerifierList};

use crate::checkpoint::{NoteError, check_key_id, format_skey, key_id, parse_skey, parse_vkey};

/// Signature type byte for Ed25519 cosignatures (`cosignature/v1`).
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// The message a cosigner signs for a note text at a timestamp.
pub fn cosigned_message(timestamp: u64, note_text: &[u8]) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(note_text);
    m
}

/// A witness's Ed25519 cosigning key.
#[derive(Clone)]
pub struct Cosigner {
    name: String,
    key: SigningKey,
    id: u32,
}

impl std::fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cosigner({}, {:08x})", self.name, self.id)
    }
}

impl Cosigner {
    /// A cosigner from a 32-byte seed (the caller supplies the randomness).
    ///
    /// # Errors
    /// [`NoteError::BadName`] for an invalid name.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(NoteError::BadName(name.to_owned()));
        }
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(
            name,
            &[
                &[ALG_COSIGNATURE_V1],
                key.verifying_key().as_bytes().as_slice(),
            ]
            .concat(),
        );
        Ok(Self {
            name: name.to_owned(),
            key,
            id,
        })
    }

    /// Parses a `PRIVATE+KEY+<name>+<id>+base64(0x04 || seed)` cosigner key (the signed-note
    /// private key encoding with the cosignature type byte).
    ///
    /// # Errors
    /// [`NoteError::BadKey`] if malformed or the key id does not match.
    pub fn from_skey(skey: &str) -> Result<Self, NoteError> {
        let (name, id_hex, seed) = parse_skey(
            skey,
            "cosigner",
            ALG_COSIGNATURE_V1,
            "seed",
            "a cosignature/v1 (type 0x04)",
        )?;
        let c = Self::from_seed(name, seed)?;
        check_key_id("cosigner", id_hex, c.id)?;
        Ok(c)
    }

    /// The private key text, `PRIVATE+KEY+<name>+<id>+base64(0x04 || seed)`; keep it secret.
    pub fn to_skey(&self) -> String {
        format_skey(&self.name, self.id, ALG_COSIGNATURE_V1, &self.key)
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier.
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            id: self.id,
        }
    }

    /// Cosigns a note text at `timestamp` (POSIX seconds, non-zero, below 2^63) and returns the
    /// signature line `— <name> <base64>` with its final newline.
    ///
    /// # Errors
    /// [`NoteError::Malformed`] if the timestamp is zero or too large.
    pub fn cosign(&self, note_text: &[u8], timestamp: u64) -> Result<String, NoteError> {
        if timestamp == 0 || timestamp > i64::MAX as u64 {
            return Err(NoteError::Malformed(format!(
                "cosignature timestamp {timestamp} must be between 1 and 2^63-1"
            )));
        }
        let sig = self.key.sign(&cosigned_message(timestamp, note_text));
        let mut data = self.id.to_be_bytes().to_vec();
        data.extend_from_slice(&timestamp.to_be_bytes());
        data.extend_from_slice(&sig.to_bytes());
        Ok(format!(
            "\u{2014} {} {}\n",
            self.name,
            STANDARD.encode(data)
        ))
    }
}

/// A witness's cosignature verifier key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key: VerifyingKey,
    id: u32,
}

impl CosignatureVerifier {
    /// Parses a `<name>+<id>+base64(0x04 || key)` verifier key.
    ///
    /// # Errors
    /// [`NoteError::BadKey`] if malformed, not type 0x04, or the id does not match.
    pub fn from_vkey(vkey: &str) -> Result<Self, NoteError> {
        let (name, key) = parse_vkey(vkey, ALG_COSIGNATURE_V1, "cosigner")?;
        let id = key_id(
            name,
            &[&[ALG_COSIGNATURE_V1], key.as_bytes().as_slice()].concat(),
        );
        Ok(Self {
            name: name.to_owned(),
            key,
            id,
        })
    }

    /// The verifier key text.
    pub fn to_vkey(&self) -> String {
        let data = [&[ALG_COSIGNATURE_V1], self.key.as_bytes().as_slice()].concat();
        format!("{}+{:08x}+{}", self.name, self.id, STANDARD.encode(data))
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The timestamp of a valid cosignature by this key on `note`, if there is one.
    ///
    /// # Errors
    /// [`NoteError`] if the note is malformed or carries an invalid signature with this key's
    /// name and id; `Ok(None)` if it is simply not cosigned by this key.
    pub fn cosigned_at(&self, note: &[u8]) -> Result<Option<u64>, NoteError> {
        let parsed = Note::from_bytes(note).map_err(|e| NoteError::Malformed(e.to_string()))?;
        let list = VerifierList::new(vec![Box::new(self.clone())]);
        match parsed.verify(&list) {
            Ok((verified, _)) => Ok(verified
                .first()
                .and_then(|s| s.signature().get(..8))
                .and_then(|t| <[u8; 8]>::try_from(t).ok())
                .map(u64::from_be_bytes)),
            Err(signed_note::NoteError::UnverifiedNote) => Ok(None),
            Err(e) => Err(NoteError::NotSigned {
                name: self.name.clone(),
                id: self.id,
                reason: e.to_string(),
            }),
        }
    }
}

impl signed_note::Verifier for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        if sig.len() != 72 {
            return false;
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&sig[..8]);
        let timestamp = u64::from_be_bytes(ts);
        let Ok(s) = <[u8; 64]>::try_from(&sig[8..]) else {
            return false;
        };
        timestamp <= i64::MAX as u64
            && self
                .key
                .verify_strict(
                    &cosigned_message(timestamp, msg),
                    &ed25519_dalek::Signature::from_bytes(&s),
                )
                .is_ok()
    }
}

/// Publish a checkpoint only when at least `threshold` of the listed witnesses cosigned it.
#[derive(Clone, Debug)]
pub struct WitnessPolicy {
    /// The witnesses whose cosignatures count.
    pub witnesses: Vec<CosignatureVerifier>,
    /// How many distinct witnesses must have cosigned (k of n).
    pub threshold: usize,
}

/// A checkpoint that does not satisfy a [`WitnessPolicy`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("checkpoint has {valid} valid witness cosignatures but the policy needs {threshold} of {total}{}", if invalid.is_empty() { String::new() } else { format!("; invalid cosignatures from {}", invalid.join(", ")) })]
pub struct PolicyError {
    /// Distinct witnesses with a valid cosignature.
    pub valid: usize,
    /// Cosignatures needed.
    pub threshold: usize,
    /// Witnesses in the policy.
    pub total: usize,
    /// Witnesses whose signature line was present but did not verify.
    pub invalid: Vec<String>,
}

impl WitnessPolicy {
    /// Names of the witnesses that validly cosigned `note`, if at least `threshold` did.
    ///
    /// # Errors
    /// [`PolicyError`] when fewer than `threshold` witnesses validly cosigned.
    pub fn check(&self, note: &[u8]) -> Result<Vec<String>, PolicyError> {
        let mut valid = Vec::new();
        let mut invalid = Vec::new();
        for w in &self.witnesses {
            match w.cosigned_at(note) {
                Ok(Some(_)) if !valid.contains(&w.name) => valid.push(w.name.clone()),
                Ok(_) => {}
                Err(_) => invalid.push(w.name.clone()),
            }
        }
        if valid.len() >= self.threshold {
            Ok(valid)
        } else {
            Err(PolicyError {
                valid: valid.len(),
                threshold: self.threshold,
                total: self.witnesses.len(),
                invalid,
            })
        }
    }
}
