//! Machine-readable reasons a submission is rejected or flagged.
//!
//! A rejection serializes as `{"code":"votes-above-ballots","field":"payload.results[0].contests[1]","message":"..."}`;
//! the codes are stable kebab-case names (see `docs/submissions.md`).

use serde::{Deserialize, Serialize};

/// Why a submission is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RejectCode {
    /// Not a signed document (not UTF-8, no blank line, bad signature line, too large).
    MalformedDocument,
    /// The type line is not `canvass-submission/v1`.
    WrongType,
    /// Not exactly one signature line.
    SignatureCount,
    /// The signing key is not in the roster.
    UnknownKey,
    /// The signing key was retired or revoked by a key change.
    RevokedKey,
    /// The signature does not verify.
    BadSignature,
    /// The JSON line does not parse as a submission.
    MalformedJson,
    /// Valid JSON, but not the canonical encoding.
    NotCanonical,
    /// The submission is for another election.
    WrongElection,
    /// The jurisdiction field is not the signing key's jurisdiction.
    WrongJurisdiction,
    /// The precinct is not in the election definition.
    UnknownPrecinct,
    /// The precinct belongs to another jurisdiction.
    PrecinctNotAuthorized,
    /// The contest is not in the election definition.
    UnknownContest,
    /// The contest is held in another state than the jurisdiction's.
    ContestNotAuthorized,
    /// The contest is not on this precinct's ballots (or this portion's).
    ContestNotOnBallot,
    /// The portion is not one of the precinct's districts.
    BadPortion,
    /// The selection (candidate, ticket, answer) and line are not in the contest.
    UnknownCandidate,
    /// A precinct report, contest or selection appears twice in one submission.
    Duplicate,
    /// More votes than ballots × votes allowed in a contest.
    VotesAboveBallots,
    /// A count larger than any precinct can have.
    ImplausibleCount,
    /// Ranked-choice rankings that break a rule (unknown selection, too many ranks, not
    /// covering the ballots, disagreeing with the first-choice votes, ...).
    InvalidRankings,
    /// The sequence number is not above the last accepted one (and this is not a replay).
    OldSequence,
    /// Sequence number 0.
    BadSequence,
    /// An amendment with no reason or superseding a submission that was not accepted.
    BadAmendment,
    /// An empty or malformed payload.
    InvalidPayload,
    /// The jurisdiction's state was certified: a change now needs the authority's
    /// countersignature.
    Certified,
    /// A key change that cannot be applied (malformed, not the authority's, out of order).
    BadKeyChange,
    /// A certification that cannot be accepted (malformed, not the authority's, or not
    /// matching a logged results snapshot).
    BadCertification,
}

impl RejectCode {
    /// The HTTP status for this rejection: 400 malformed, 401 not authenticated, 403 not
    /// authorized, 409 sequence conflicts, 422 invalid counts.
    pub fn http_status(self) -> u16 {
        use RejectCode::*;
        match self {
            MalformedDocument | WrongType | SignatureCount | MalformedJson | NotCanonical => 400,
            UnknownKey | RevokedKey | BadSignature => 401,
            WrongElection | WrongJurisdiction | PrecinctNotAuthorized | ContestNotAuthorized => 403,
            OldSequence | BadSequence | Certified => 409,
            UnknownPrecinct | UnknownContest | ContestNotOnBallot | BadPortion
            | UnknownCandidate | Duplicate | VotesAboveBallots | ImplausibleCount
            | InvalidRankings | BadAmendment | InvalidPayload | BadKeyChange | BadCertification => {
                422
            }
        }
    }
}

/// A rejected submission: a stable code, the field (a JSON path into the submission, or
/// `document`/`signature`), and a message saying what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message} ({})", serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())]
pub struct Rejection {
    /// The reason.
    pub code: RejectCode,
    /// Where: `document`, `signature`, or a path such as `payload.results[2].contests[0].ballots`.
    pub field: String,
    /// What is wrong and what to do, in words.
    pub message: String,
}

impl Rejection {
    /// A rejection.
    pub fn new(code: RejectCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        Rejection {
            code,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Something accepted but worth a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagCode {
    /// More ballots than registered voters in a precinct.
    BallotsAboveRegistered,
    /// Accepted after its state was certified, because the authority countersigned it.
    Countersigned,
}

/// A flag on an accepted submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// The reason.
    pub code: FlagCode,
    /// Where, as a JSON path into the submission.
    pub field: String,
    /// What was seen.
    pub message: String,
}
