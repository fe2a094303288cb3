//! The entries of the transparency log (`docs/submissions.md`, "The log"): the whole record of
//! an election, in order.
//!
//! ```text
//! 0..k   the authority-signed roster: the `canvass-roster/v1` note itself, or, when it is
//!        larger than one entry may be, `canvass-roster-part/v1` parts
//! then   canvass-submission/v1     signed by a jurisdiction (and maybe countersigned)
//!        canvass-snapshot/v1       unsigned: the results after the entries before it
//!        canvass-key-change/v1     signed by the authority
//!        canvass-certification/v1  signed by the authority
//!        canvass-audit/v1          signed by the authority (see `crate::audit`; not an
//!                                  [`EntryKind`]: readers that know audits check it first)
//! ```
//!
//! Every entry starts with its type line, so [`kind`] tells them apart without parsing JSON.

use canvass_model::{ElectionId, StateId};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::canonical;
use crate::keys::SecretKey;
use crate::note;

/// Type line of a results snapshot entry.
pub const SNAPSHOT_TYPE: &str = "canvass-snapshot/v1";
/// Type line of a certification document.
pub const CERTIFICATION_TYPE: &str = "canvass-certification/v1";
/// Type line of one part of a roster too large for one log entry.
pub const ROSTER_PART_TYPE: &str = "canvass-roster-part/v1";
/// Bytes of roster text per part (a log entry holds at most 65,535 bytes).
pub const ROSTER_PART_BYTES: usize = 60_000;

/// What a log entry is, by its type line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// `canvass-roster/v1`.
    Roster,
    /// `canvass-roster-part/v1`.
    RosterPart,
    /// `canvass-submission/v1`.
    Submission,
    /// `canvass-snapshot/v1`.
    Snapshot,
    /// `canvass-key-change/v1`.
    KeyChange,
    /// `canvass-certification/v1`.
    Certification,
}

/// The kind of a log entry, from its first line; `None` for anything else.
pub fn kind(entry: &[u8]) -> Option<EntryKind> {
    let end = entry.iter().position(|&b| b == b'\n')?;
    Some(match &entry[..end] {
        b"canvass-roster/v1" => EntryKind::Roster,
        b"canvass-roster-part/v1" => EntryKind::RosterPart,
        b"canvass-submission/v1" => EntryKind::Submission,
        b"canvass-snapshot/v1" => EntryKind::Snapshot,
        b"canvass-key-change/v1" => EntryKind::KeyChange,
        b"canvass-certification/v1" => EntryKind::Certification,
        _ => return None,
    })
}

/// A results snapshot: the SHA-256 of the canonical results JSON (`docs/results-json.md`)
/// after the first `after` log entries. Unsigned: the log's checkpoints sign it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotEntry {
    /// The election.
    pub election: ElectionId,
    /// The log size the results cover; the snapshot entry's own index.
    pub after: u64,
    /// SHA-256 of the results JSON, 64 lowercase hex digits.
    pub results_sha256: String,
}

impl SnapshotEntry {
    /// The log entry: `canvass-snapshot/v1\n<canonical JSON>\n`.
    pub fn to_entry(&self) -> String {
        note::body(SNAPSHOT_TYPE, &canonical::encode(self))
    }

    /// Reads a snapshot entry.
    ///
    /// # Errors
    /// A message if it is not exactly a snapshot type line and canonical JSON.
    pub fn parse(entry: &[u8]) -> Result<SnapshotEntry, String> {
        let text = std::str::from_utf8(entry).map_err(|e| format!("not UTF-8: {e}"))?;
        let json = text
            .strip_prefix(SNAPSHOT_TYPE)
            .and_then(|t| t.strip_prefix('\n'))
            .and_then(|t| t.strip_suffix('\n'))
            .filter(|t| !t.contains('\n'))
            .ok_or("not a snapshot entry (type line, one JSON line)")?;
        canonical::decode(json).map_err(|e| format!("snapshot JSON: {e:?}"))
    }
}

/// The authority's certification of a state's results: the results of a logged snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certification {
    /// The election.
    pub election: ElectionId,
    /// The certified state (postal code).
    pub state: StateId,
    /// `results_sha256` of the snapshot entry certified, 64 lowercase hex digits.
    pub results_sha256: String,
    /// `after` of that snapshot entry (its log index).
    pub after: u64,
}

impl Certification {
    /// The signed certification document.
    pub fn sign(&self, authority: &SecretKey) -> String {
        note::sign(
            &note::body(CERTIFICATION_TYPE, &canonical::encode(self)),
            authority,
        )
    }
}

/// Header of a roster part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterPart {
    /// 1-based part number.
    pub part: u64,
    /// How many parts.
    pub parts: u64,
    /// SHA-256 of the whole roster document, 64 lowercase hex digits.
    pub roster_sha256: String,
}

/// SHA-256.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// SHA-256, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha256(bytes))
}

/// Lowercase hex of a 32-byte digest.
pub fn hex(d: &[u8; 32]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(64);
    for b in d {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The log entries that record a signed roster: the document itself if it fits in one entry,
/// else `canvass-roster-part/v1` entries, each `<type>\n<header JSON>\n<bytes of the roster>`,
/// whose bytes concatenate to the document (split at character boundaries).
pub fn roster_entries(doc: &str) -> Vec<Vec<u8>> {
    if doc.len() <= canvass_log::tile::MAX_ENTRY_SIZE {
        return vec![doc.as_bytes().to_vec()];
    }
    let mut chunks = Vec::new();
    let mut rest = doc;
    while !rest.is_empty() {
        let mut cut = rest.len().min(ROSTER_PART_BYTES);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        chunks.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    let sha = sha256_hex(doc.as_bytes());
    let parts = chunks.len() as u64;
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let header = RosterPart {
                part: i as u64 + 1,
                parts,
                roster_sha256: sha.clone(),
            };
            format!("{ROSTER_PART_TYPE}\n{}\n{c}", canonical::encode(&header)).into_bytes()
        })
        .collect()
}

/// Reads one roster part: its header and its bytes of the roster.
///
/// # Errors
/// A message if it is not a roster part.
pub fn parse_roster_part(entry: &[u8]) -> Result<(RosterPart, &[u8]), String> {
    let rest = entry
        .strip_prefix(ROSTER_PART_TYPE.as_bytes())
        .and_then(|r| r.strip_prefix(b"\n"))
        .ok_or("not a roster part")?;
    let nl = rest
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("roster part has no header line")?;
    let header = std::str::from_utf8(&rest[..nl]).map_err(|e| e.to_string())?;
    let h: RosterPart =
        canonical::decode(header).map_err(|e| format!("roster part header: {e:?}"))?;
    Ok((h, &rest[nl + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_type_line() {
        assert_eq!(
            kind(b"canvass-snapshot/v1\n{}\n"),
            Some(EntryKind::Snapshot)
        );
        assert_eq!(kind(b"canvass-roster/v1\n"), Some(EntryKind::Roster));
        assert_eq!(kind(b"canvass-snapshot/v2\n{}\n"), None);
        assert_eq!(kind(b"no newline"), None);
    }

    #[test]
    fn snapshot_round_trip() {
        let s = SnapshotEntry {
            election: ElectionId::new("us-2020"),
            after: 12,
            results_sha256: "ab".repeat(32),
        };
        let e = s.to_entry();
        assert_eq!(
            e,
            format!(
                "canvass-snapshot/v1\n{{\"election\":\"us-2020\",\"after\":12,\"results_sha256\":\"{}\"}}\n",
                "ab".repeat(32)
            )
        );
        assert_eq!(SnapshotEntry::parse(e.as_bytes()).unwrap(), s);
        assert!(SnapshotEntry::parse(b"canvass-snapshot/v1\n{\"after\":1}\n").is_err());
    }

    #[test]
    fn large_rosters_split_into_parts_that_concatenate() {
        // 'é' is two bytes: cuts must fall between characters.
        let doc = format!("canvass-roster/v1\n{}\n\n— sig\n", "é".repeat(70_000));
        let parts = roster_entries(&doc);
        assert_eq!(parts.len(), 3); // 140,027 bytes in parts of at most 60,000
        let mut whole = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            assert!(p.len() <= canvass_log::tile::MAX_ENTRY_SIZE);
            assert_eq!(kind(p), Some(EntryKind::RosterPart));
            let (h, bytes) = parse_roster_part(p).unwrap();
            assert_eq!((h.part, h.parts), (i as u64 + 1, 3));
            assert_eq!(h.roster_sha256, sha256_hex(doc.as_bytes()));
            whole.extend_from_slice(bytes);
        }
        assert_eq!(whole, doc.as_bytes());
        assert_eq!(roster_entries("small"), vec![b"small".to_vec()]);
    }
}
