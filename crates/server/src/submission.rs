//! The submission document: what a jurisdiction signs and sends (encoding in
//! `docs/submissions.md`).
//!
//! ```text
//! canvass-submission/v1
//! {"election":"us-2020","jurisdiction":"42001","sequence":1,"timestamp":1604448000,"payload":{"type":"precinct-results","results":[{"precinct":"42001","contests":[{"contest":"president-PA","ballots":10,"overvotes":0,"undervotes":0,"votes":[{"selection":"biden","votes":6}]}]}]}}
//!
//! — canvass/us-2020/jurisdiction/42001 ...
//! ```

use canvass_model::{ElectionId, JurisdictionId, PrecinctResult};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::canonical;
use crate::keys::SecretKey;
use crate::note;

/// Type line of a submission document; it is part of the signed message.
pub const SUBMISSION_TYPE: &str = "canvass-submission/v1";

/// A submission, as signed by its jurisdiction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// The election.
    pub election: ElectionId,
    /// The reporting jurisdiction that signs it.
    pub jurisdiction: JurisdictionId,
    /// Per jurisdiction: strictly increasing, starting at 1.
    pub sequence: u64,
    /// When the jurisdiction made it, in seconds since the Unix epoch (UTC).
    pub timestamp: u64,
    /// For an amendment: what it amends and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amendment: Option<Amendment>,
    /// The counts.
    pub payload: Payload,
}

/// What an amendment supersedes, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amendment {
    /// The sequence number of the (accepted) submission it supersedes.
    pub supersedes: u64,
    /// Why, in words; must not be empty.
    pub reason: String,
}

/// The counts a submission carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Payload {
    /// Precinct results: each replaces any earlier report of the same precinct, portion and
    /// counting group.
    PrecinctResults {
        /// The precinct reports.
        results: Vec<PrecinctResult>,
    },
    /// A batch of cast vote records, committed to by its Merkle root (the records themselves
    /// travel separately).
    CvrBatch {
        /// The batch id, unique within the jurisdiction.
        batch: String,
        /// How many records the batch holds.
        records: u64,
        /// RFC 6962 Merkle tree root of the records, 64 lowercase hex digits.
        merkle_root: String,
    },
}

impl Submission {
    /// The canonical JSON line.
    pub fn to_json(&self) -> String {
        canonical::encode(self)
    }

    /// The signed message: `canvass-submission/v1\n<canonical JSON>\n`.
    pub fn body(&self) -> String {
        note::body(SUBMISSION_TYPE, &self.to_json())
    }

    /// The signed document.
    pub fn sign(&self, key: &SecretKey) -> String {
        note::sign(&self.body(), key)
    }
}

/// A submission's digest: SHA-256 of its signed body. Two documents with the same digest are
/// the same submission (re-sending one is idempotent).
pub fn digest(body: &str) -> [u8; 32] {
    Sha256::digest(body.as_bytes()).into()
}
