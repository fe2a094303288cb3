//! The canonical JSON encoding of canvass documents: `serde_json`'s compact output of the
//! document's Rust type, so fields come in declaration order, with no insignificant whitespace,
//! optional fields left out when absent, and strings escaped minimally (non-ASCII as UTF-8).
//! A document is canonical when re-encoding what it parses to gives the same bytes.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a JSON line is not an acceptable document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not valid JSON for the document type; the message names line/column or the field.
    Malformed(String),
    /// Valid, but not the canonical encoding.
    NotCanonical,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Malformed(m) => write!(f, "{m}"),
            DecodeError::NotCanonical => f.write_str(
                "not in canonical form (fixed field order, no whitespace, minimal escapes)",
            ),
        }
    }
}

/// Encodes a document canonically.
pub fn encode<T: Serialize>(doc: &T) -> String {
    // Serializing these plain data types (string keys, integers, strings) cannot fail.
    serde_json::to_string(doc).unwrap_or_default()
}

/// Decodes a document and checks that `json` is its canonical encoding.
///
/// # Errors
/// [`DecodeError::Malformed`] with serde's message (which names the field or column), or
/// [`DecodeError::NotCanonical`].
pub fn decode<T: Serialize + DeserializeOwned>(json: &str) -> Result<T, DecodeError> {
    let doc: T = serde_json::from_str(json).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if encode(&doc) != json {
        return Err(DecodeError::NotCanonical);
    }
    Ok(doc)
}
