//! Signed documents as C2SP signed notes (<https://c2sp.org/signed-note>), restricted to the
//! shape canvass writes: a two-line body (a type line, which separates the domains of the
//! signed messages, then canonical JSON), a blank line, and signature lines.
//!
//! ```text
//! canvass-submission/v1
//! {"election":"us-2020","jurisdiction":"42001",...}
//!
//! — canvass/us-2020/jurisdiction/42001 Hx86B3...
//! ```
//!
//! The signed message is the body including its final newline. Each signature line is
//! `— <key name> base64(key id (4 bytes, big-endian) || Ed25519 signature (64 bytes))`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::keys::SecretKey;

/// Largest signed document accepted, in bytes.
pub const MAX_NOTE_BYTES: usize = 16 << 20;

/// One signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key id.
    pub id: u32,
    /// The Ed25519 signature.
    pub signature: [u8; 64],
}

/// A parsed signed document: the type line, the JSON line and the signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note<'a> {
    /// The signed body: `<type>\n<json>\n`.
    pub body: &'a str,
    /// The type line, e.g. `canvass-submission/v1`.
    pub kind: &'a str,
    /// The JSON line.
    pub json: &'a str,
    /// The signatures, in order.
    pub signatures: Vec<NoteSignature>,
}

/// Builds the body of a document of type `kind` from its canonical JSON.
pub fn body(kind: &str, json: &str) -> String {
    format!("{kind}\n{json}\n")
}

/// Signs a body, returning the whole signed document.
pub fn sign(body: &str, key: &SecretKey) -> String {
    let mut sig = Vec::with_capacity(68);
    sig.extend_from_slice(&key.id().to_be_bytes());
    sig.extend_from_slice(&key.sign(body.as_bytes()));
    format!("{body}\n\u{2014} {} {}\n", key.name(), B64.encode(sig))
}

/// Adds a signature by `key` to a signed document (a countersignature): the body is signed
/// as it is and the new line goes after the existing ones.
///
/// # Errors
/// As [`parse`], if `doc` is not a signed document.
pub fn countersign(doc: &str, key: &SecretKey) -> Result<String, String> {
    let n = parse(doc.as_bytes())?;
    let signed = sign(n.body, key);
    // `sign` gives `<body>\n<line>\n`; keep only the new signature line.
    let line = &signed[n.body.len() + 1..];
    Ok(format!("{doc}{line}"))
}

/// Parses a signed document (signatures are not checked here).
///
/// # Errors
/// A message naming what is malformed: not UTF-8, too large, a body that is not exactly a
/// type line and a JSON line, a missing blank line, or a malformed signature line.
pub fn parse(bytes: &[u8]) -> Result<Note<'_>, String> {
    if bytes.len() > MAX_NOTE_BYTES {
        return Err(format!(
            "document is {} bytes, more than the {MAX_NOTE_BYTES} allowed",
            bytes.len()
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| format!("document is not UTF-8: {e}"))?;
    let split = text
        .find("\n\n")
        .ok_or("document has no blank line between the body and the signatures")?;
    let body = &text[..=split];
    let sigs = &text[split + 2..];
    let mut lines = body.split_terminator('\n');
    let (Some(kind), Some(json), None) = (lines.next(), lines.next(), lines.next()) else {
        return Err("document body must be exactly two lines: a type line and a JSON line".into());
    };
    if kind.is_empty() || json.is_empty() || body.contains('\r') {
        return Err("document body has an empty line or a carriage return".into());
    }
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err("document has no signature lines, or does not end with a newline".into());
    }
    let mut signatures = Vec::new();
    for (i, line) in sigs.split_terminator('\n').enumerate() {
        let bad = |what: &str| format!("signature line {}: {what}", i + 1);
        let rest = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| bad("does not start with an em dash and a space"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| bad("expected a key name and a signature"))?;
        if !crate::keys::is_valid_name(name) {
            return Err(bad("invalid key name"));
        }
        let raw = B64
            .decode(b64)
            .map_err(|_| bad("signature is not base64"))?;
        if raw.len() != 68 {
            return Err(bad("an Ed25519 signature is 4 + 64 bytes"));
        }
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&raw[4..]);
        signatures.push(NoteSignature {
            name: name.to_owned(),
            id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
            signature,
        });
    }
    Ok(Note {
        body,
        kind,
        json,
        signatures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_parse() {
        let k = SecretKey::from_seed("a/b", [9; 32]).unwrap();
        let doc = sign(&body("t/v1", "{}"), &k);
        assert!(doc.starts_with("t/v1\n{}\n\n\u{2014} a/b "));
        let n = parse(doc.as_bytes()).unwrap();
        assert_eq!((n.kind, n.json, n.body), ("t/v1", "{}", "t/v1\n{}\n"));
        assert_eq!(n.signatures.len(), 1);
        assert_eq!(n.signatures[0].id, k.id());
        assert!(
            k.public()
                .verify(n.body.as_bytes(), &n.signatures[0].signature)
        );
    }

    #[test]
    fn countersign_appends_a_second_line() {
        let a = SecretKey::from_seed("a/b", [9; 32]).unwrap();
        let c = SecretKey::from_seed("c/d", [7; 32]).unwrap();
        let doc = sign(&body("t/v1", "{}"), &a);
        let two = countersign(&doc, &c).unwrap();
        let n = parse(two.as_bytes()).unwrap();
        assert_eq!(n.signatures.len(), 2);
        assert_eq!(n.signatures[1].name, "c/d");
        assert!(
            c.public()
                .verify(n.body.as_bytes(), &n.signatures[1].signature)
        );
        assert!(two.starts_with(&doc));
    }

    #[test]
    fn rejects_malformed_notes() {
        for bad in [
            "t\n{}\n",
            "t\n{}\n\n",
            "t\n{}\nmore\n\n\u{2014} a AAAA\n",
            "t\n{}\n\n- a AAAA\n",
            "t\n{}\n\n\u{2014} a AAAA\n",
            "t\r\n{}\n\n\u{2014} a AAAA\n",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(parse(&[0xff, 0xfe]).is_err());
    }
}
