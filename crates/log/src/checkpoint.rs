//! C2SP tlog-checkpoint (<https://c2sp.org/tlog-checkpoint>) signed as a C2SP signed-note
//! (<https://c2sp.org/signed-note>) with an Ed25519 log key; copies of both specs are in
//! `shared/reference/tlog/c2sp/`.
//!
//! ```text
//! example.com/behind-the-sofa
//! 20852163
//! CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
//!
//! — example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe...
//! ```
//!
//! Keys use the signed-note encodings: the verifier key (`vkey`) is
//! `<name>+<key id hex>+base64(0x01 || public key)` and the signer key is
//! `PRIVATE+KEY+<name>+<key id hex>+base64(0x01 || seed)`. Note parsing and signature checking
//! are done by the `signed_note` crate.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use signed_note::{Note, VerifierList};

use crate::hash::Hash;

/// Signature algorithm byte for Ed25519 note signatures.
pub const ALG_ED25519: u8 = 0x01;

/// Errors about keys, notes and checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// A key string is malformed.
    #[error("invalid {what} key: {reason}")]
    BadKey {
        /// "signer", "verifier" or "cosigner".
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A key name is empty or contains whitespace or `+`.
    #[error("invalid key name {0:?}: names must be non-empty without spaces or '+'")]
    BadName(String),
    /// The note is not a well-formed signed note.
    #[error("malformed signed note: {0}")]
    Malformed(String),
    /// The note carries no valid signature by the expected key.
    #[error("note is not signed by {name} (key id {id:08x}): {reason}")]
    NotSigned {
        /// Expected key name.
        name: String,
        /// Expected key id.
        id: u32,
        /// What the signature check reported.
        reason: String,
    },
    /// The checkpoint body does not follow tlog-checkpoint.
    #[error("malformed checkpoint, line {line}: {reason}")]
    BadCheckpoint {
        /// 1-based line number in the note text.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The checkpoint's origin is not the one expected.
    #[error("checkpoint origin is {found:?} but {expected:?} was expected: is this the right log?")]
    WrongOrigin {
        /// Origin expected.
        expected: String,
        /// Origin found.
        found: String,
    },
}

/// Key id per signed-note: the first 4 bytes (big-endian) of `SHA-256(name || "\n" || key)`.
pub fn key_id(name: &str, key_material: &[u8]) -> u32 {
    signed_note::key_id(name, key_material)
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if signed_note::is_key_name_valid(name) {
        Ok(())
    } else {
        Err(NoteError::BadName(name.to_owned()))
    }
}

/// A log's Ed25519 signing key with its name (normally the log origin).
#[derive(Clone)]
pub struct LogSigner {
    name: String,
    key: SigningKey,
    id: u32,
}

impl std::fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LogSigner({}, {:08x})", self.name, self.id)
    }
}

impl LogSigner {
    /// A signer from a 32-byte Ed25519 seed (the caller supplies the randomness).
    ///
    /// # Errors
    /// [`NoteError::BadName`] for an invalid name.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(
            name,
            &[&[ALG_ED25519], key.verifying_key().as_bytes().as_slice()].concat(),
        );
        Ok(Self {
            name: name.to_owned(),
            key,
            id,
        })
    }

    /// Parses a `PRIVATE+KEY+<name>+<id>+<base64>` signer key.
    ///
    /// # Errors
    /// [`NoteError::BadKey`] if the text is malformed or the key id does not match.
    pub fn from_skey(skey: &str) -> Result<Self, NoteError> {
        let (name, id_hex, seed) = parse_skey(
            skey,
            "signer",
            ALG_ED25519,
            "ed25519 seed",
            "an ed25519 (type 0x01)",
        )?;
        let signer = Self::from_seed(name, seed)?;
        check_key_id("signer", id_hex, signer.id)?;
        Ok(signer)
    }

    /// The signer key text, `PRIVATE+KEY+<name>+<id>+<base64>`; keep it secret.
    pub fn to_skey(&self) -> String {
        format_skey(&self.name, self.id, ALG_ED25519, &self.key)
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier.
    pub fn verifier(&self) -> LogVerifier {
        LogVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            id: self.id,
        }
    }

    /// Signs a checkpoint and returns the signed note text.
    ///
    /// # Errors
    /// [`NoteError::Malformed`] if the checkpoint text is not a valid note (for example an
    /// origin containing control characters).
    pub fn sign_checkpoint(&self, checkpoint: &Checkpoint) -> Result<String, NoteError> {
        let mut note = Note::new(checkpoint.to_text().as_bytes(), &[])
            .map_err(|e| NoteError::Malformed(e.to_string()))?;
        note.add_sigs(&[self])
            .map_err(|e| NoteError::Malformed(e.to_string()))?;
        String::from_utf8(note.to_bytes()).map_err(|e| NoteError::Malformed(e.to_string()))
    }
}

impl signed_note::Signer for LogSigner {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        Ok(self.key.sign(msg).to_bytes().to_vec())
    }
}

/// A log's Ed25519 verifier key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogVerifier {
    name: String,
    key: VerifyingKey,
    id: u32,
}

impl LogVerifier {
    /// Parses a `<name>+<id>+<base64(0x01 || key)>` verifier key.
    ///
    /// # Errors
    /// [`NoteError::BadKey`] if malformed, not Ed25519, or the id does not match.
    pub fn from_vkey(vkey: &str) -> Result<Self, NoteError> {
        let (name, key) = parse_vkey(vkey, ALG_ED25519, "verifier")?;
        let id = key_id(name, &[&[ALG_ED25519], key.as_bytes().as_slice()].concat());
        Ok(Self {
            name: name.to_owned(),
            key,
            id,
        })
    }

    /// The verifier key text.
    pub fn to_vkey(&self) -> String {
        let data = [&[ALG_ED25519], self.key.as_bytes().as_slice()].concat();
        format!("{}+{:08x}+{}", self.name, self.id, STANDARD.encode(data))
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Key id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Verifies that a signed note carries a valid signature by this key and returns its text
    /// (with the final newline). Unknown signatures are ignored.
    ///
    /// # Errors
    /// [`NoteError::Malformed`] or [`NoteError::NotSigned`].
    pub fn verify_note(&self, note: &[u8]) -> Result<String, NoteError> {
        let parsed = Note::from_bytes(note).map_err(|e| NoteError::Malformed(e.to_string()))?;
        let list = VerifierList::new(vec![Box::new(self.clone())]);
        parsed.verify(&list).map_err(|e| NoteError::NotSigned {
            name: self.name.clone(),
            id: self.id,
            reason: e.to_string(),
        })?;
        String::from_utf8(parsed.text().to_vec())
            .map_err(|_| NoteError::Malformed("note text is not UTF-8".into()))
    }

    /// Verifies a signed checkpoint note from this log and parses its body. The checkpoint
    /// origin must equal the key name. Unknown signatures (e.g. witness cosignatures) are
    /// ignored.
    ///
    /// # Errors
    /// [`NoteError`] if the note is malformed, unsigned by this key, or not a checkpoint.
    pub fn open_checkpoint(&self, note: &[u8]) -> Result<Checkpoint, NoteError> {
        let text = self.verify_note(note)?;
        let cp = Checkpoint::parse(&text)?;
        if cp.origin != self.name {
            return Err(NoteError::WrongOrigin {
                expected: self.name.clone(),
                found: cp.origin,
            });
        }
        Ok(cp)
    }
}

impl signed_note::Verifier for LogVerifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = <[u8; 64]>::try_from(sig) else {
            return false;
        };
        self.key
            .verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_ok()
    }
}

/// Parses `<name>+<id>+base64(alg || 32-byte key)` and checks the id.
pub(crate) fn parse_vkey<'a>(
    vkey: &'a str,
    alg: u8,
    what: &'static str,
) -> Result<(&'a str, VerifyingKey), NoteError> {
    let bad = |reason: &str| NoteError::BadKey {
        what,
        reason: reason.to_owned(),
    };
    let mut parts = vkey.trim().splitn(3, '+');
    let (name, id_hex, data) = match (parts.next(), parts.next(), parts.next()) {
        (Some(n), Some(i), Some(d)) => (n, i, d),
        _ => return Err(bad("expected <name>+<id>+<base64 key>")),
    };
    check_name(name)?;
    let bytes = STANDARD
        .decode(data)
        .map_err(|_| bad("key is not base64"))?;
    if bytes.first() != Some(&alg) {
        return Err(bad(&format!("key type is not 0x{alg:02x}")));
    }
    let raw: [u8; 32] = bytes[1..]
        .try_into()
        .map_err(|_| bad("public key is not 32 bytes"))?;
    let key = VerifyingKey::from_bytes(&raw).map_err(|_| bad("not a valid ed25519 point"))?;
    if id_hex.len() != 8 || u32::from_str_radix(id_hex, 16).ok() != Some(key_id(name, &bytes)) {
        return Err(bad("key id does not match the key"));
    }
    Ok((name, key))
}

/// A tlog-checkpoint body: origin, tree size, root hash and optional extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Log identity, e.g. `canvass.example/2026-general`.
    pub origin: String,
    /// Number of entries in the tree.
    pub size: u64,
    /// RFC 6962 root hash of the tree.
    pub root: Hash,
    /// Optional extension lines (not recommended by the spec).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text: the lines each terminated by a newline.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parses a checkpoint body (the note text, without signatures).
    ///
    /// # Errors
    /// [`NoteError::BadCheckpoint`] naming the offending line.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let bad = |line: usize, reason: &str| NoteError::BadCheckpoint {
            line,
            reason: reason.to_owned(),
        };
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad(0, "text does not end in a newline"))?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(bad(
                lines.len() + 1,
                "need origin, size and root hash lines",
            ));
        }
        if lines[0].is_empty() {
            return Err(bad(1, "origin is empty"));
        }
        let s = lines[1];
        if s.is_empty()
            || !s.bytes().all(|b| b.is_ascii_digit())
            || (s.len() > 1 && s.starts_with('0'))
        {
            return Err(bad(2, "tree size is not a decimal without leading zeros"));
        }
        let size = s
            .parse()
            .map_err(|_| bad(2, "tree size does not fit 64 bits"))?;
        let root = Hash::from_base64(lines[2]).map_err(|e| bad(3, &e.to_string()))?;
        let mut extensions = Vec::new();
        for (i, l) in lines[3..].iter().enumerate() {
            if l.is_empty() {
                return Err(bad(i + 4, "extension lines must be non-empty"));
            }
            extensions.push((*l).to_owned());
        }
        Ok(Self {
            origin: lines[0].to_owned(),
            size,
            root,
            extensions,
        })
    }
}

/// Splits a `PRIVATE+KEY+<name>+<id>+base64(alg || seed)` key into its name, id text and
/// seed. `what` names the key in errors; `seed_word` and `kind` describe the expected type.
pub(crate) fn parse_skey<'a>(
    skey: &'a str,
    what: &'static str,
    alg: u8,
    seed_word: &str,
    kind: &str,
) -> Result<(&'a str, &'a str, [u8; 32]), NoteError> {
    let bad = |reason: String| NoteError::BadKey { what, reason };
    let rest = skey
        .trim()
        .strip_prefix("PRIVATE+KEY+")
        .ok_or_else(|| bad("does not start with PRIVATE+KEY+".into()))?;
    let mut parts = rest.splitn(3, '+');
    let (name, id_hex, data) = match (parts.next(), parts.next(), parts.next()) {
        (Some(n), Some(i), Some(d)) => (n, i, d),
        _ => return Err(bad("expected PRIVATE+KEY+<name>+<id>+<key>".into())),
    };
    let bytes = STANDARD
        .decode(data)
        .map_err(|_| bad("key is not base64".into()))?;
    let seed: [u8; 32] = match bytes.split_first() {
        Some((&a, seed)) if a == alg => seed
            .try_into()
            .map_err(|_| bad(format!("{seed_word} is not 32 bytes")))?,
        _ => return Err(bad(format!("not {kind} key"))),
    };
    Ok((name, id_hex, seed))
}

/// Checks a key's id text against the id computed from the key.
pub(crate) fn check_key_id(what: &'static str, id_hex: &str, id: u32) -> Result<(), NoteError> {
    if id_hex.len() != 8 || u32::from_str_radix(id_hex, 16).ok() != Some(id) {
        return Err(NoteError::BadKey {
            what,
            reason: "key id does not match the key".into(),
        });
    }
    Ok(())
}

/// The `PRIVATE+KEY+<name>+<id>+base64(alg || seed)` text of a key.
pub(crate) fn format_skey(name: &str, id: u32, alg: u8, key: &SigningKey) -> String {
    let data = [&[alg], key.to_bytes().as_slice()].concat();
    format!("PRIVATE+KEY+{name}+{id:08x}+{}", STANDARD.encode(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_checkpoint_parses() {
        // Body of the example in tlog-checkpoint.md.
        let text =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let cp = Checkpoint::parse(text);
        assert!(
            matches!(&cp, Ok(c) if c.size == 20_852_163 && c.origin == "example.com/behind-the-sofa")
        );
        assert_eq!(cp.map(|c| c.to_text()).as_deref(), Ok(text));
    }

    #[test]
    fn rejects_bad_checkpoints() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        for bad in [
            format!("o\n01\n{root}\n"),
            format!("o\n1\n{root}"),
            format!("\n1\n{root}\n"),
            "o\n1\nAAAA\n".to_owned(),
            format!("o\n1\n{root}\n\n"),
            "o\n1\n".to_owned(),
        ] {
            assert!(Checkpoint::parse(&bad).is_err(), "{bad:?}");
        }
    }
}
