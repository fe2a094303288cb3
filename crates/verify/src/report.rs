//! What verification found: [`Finding`]s (each a discrepancy, located as precisely as the
//! evidence allows) and the [`Report`] of one run (`--json` prints it; docs/verify.md).

use serde::{Deserialize, Serialize};

/// Which check a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// The checkpoint's signature by the log key, or its size against a known checkpoint.
    Checkpoint,
    /// Witness cosignatures against the policy.
    Witness,
    /// A hash tile, an entry bundle or the root recomputed from the entries.
    Tiles,
    /// The roster at the head of the log (authority signature, pinned keys).
    Roster,
    /// The election definition against the SHA-256 the roster binds.
    Definition,
    /// A logged submission (signature, key validity when logged, authorization, validation).
    Submission,
    /// The server's index of submissions disagrees with the log.
    Store,
    /// A key change (signed by the authority, in sequence).
    KeyChange,
    /// A results snapshot entry (its position, its `results_sha256`).
    Snapshot,
    /// The published results against the results recomputed from the log.
    Results,
    /// A contest's published results at every level (states, counties, districts,
    /// reporting units) against the recomputed ones.
    Levels,
    /// A certification (signed by the authority, naming a logged snapshot).
    Certification,
    /// A risk-limiting audit's record (signed by the authority).
    Audit,
    /// An entry the verifier cannot classify.
    Entry,
}

/// One discrepancy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The check that failed.
    pub check: Check,
    /// A stable code for what is wrong (e.g. `revoked-key`, `replay`, `fork`), when there is
    /// one: a rejection code of docs/submissions.md, or one of docs/verify.md.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The log entry concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// The contest concerned (results findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contest: Option<String>,
    /// The level: `nation`, a state (`state PA`), a district (`district PA-07`); for a
    /// contest's areas `state`, `county`, `district` or `precinct` (with [`Finding::unit`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// The area at that level (a state's postal code, a county's FIPS code, a district, a
    /// reporting unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// What was published (or logged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// What the verifier recomputed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recomputed: Option<String>,
    /// What is wrong, in words.
    pub message: String,
}

impl Finding {
    /// A finding with a message and nothing else located.
    pub fn new(check: Check, message: impl Into<String>) -> Self {
        Finding {
            check,
            code: None,
            log_index: None,
            contest: None,
            level: None,
            unit: None,
            published: None,
            recomputed: None,
            message: message.into(),
        }
    }

    /// The same finding at a log entry.
    pub fn at(mut self, log_index: u64) -> Self {
        self.log_index = Some(log_index);
        self
    }

    /// The same finding with a code.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// The same finding with published and recomputed values.
    pub fn values(mut self, published: impl Into<String>, recomputed: impl Into<String>) -> Self {
        self.published = Some(published.into());
        self.recomputed = Some(recomputed.into());
        self
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let check = serde_json::to_value(self.check)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        write!(f, "[{check}]")?;
        if let Some(c) = &self.code {
            write!(f, " {c}:")?;
        }
        if let Some(i) = self.log_index {
            write!(f, " log entry {i}:")?;
        }
        if let Some(c) = &self.contest {
            write!(f, " contest {c}")?;
        }
        match (&self.level, &self.unit) {
            (Some(l), Some(u)) => write!(f, " ({l} {u})")?,
            (Some(l), None) => write!(f, " ({l})")?,
            _ => {}
        }
        if self.contest.is_some() || self.level.is_some() {
            f.write_str(":")?;
        }
        write!(f, " {}", self.message)?;
        if let (Some(p), Some(r)) = (&self.published, &self.recomputed) {
            write!(f, ": published {p}, recomputed {r}")?;
        }
        Ok(())
    }
}

/// Counts of what was checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Log entries re-hashed.
    pub entries: u64,
    /// Hash tiles and entry bundles read.
    pub tiles: u64,
    /// Submissions checked.
    pub submissions: u64,
    /// Results snapshot entries recomputed (0 when snapshots are not checked).
    pub snapshots: u64,
    /// Contests recomputed at every level (and compared where published).
    #[serde(default)]
    pub contests: u64,
    /// Area results (states, counties, districts, reporting units) recomputed.
    #[serde(default)]
    pub areas: u64,
    /// Key changes checked.
    pub key_changes: u64,
    /// Certifications checked.
    pub certifications: u64,
    /// Risk-limiting audit records checked (the authority's signature).
    #[serde(default)]
    pub audit_records: u64,
    /// Submissions compared with the server's index.
    pub stored: u64,
}

/// The checkpoint verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointSummary {
    /// The log's origin line.
    pub origin: String,
    /// Entries in the tree.
    pub size: u64,
    /// The root hash, base64.
    pub root: String,
    /// Witnesses that validly cosigned it.
    pub witnesses: Vec<String>,
}

/// The outcome of one verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// `true` when nothing was found.
    pub ok: bool,
    /// The source verified (URL or directory).
    pub source: String,
    /// The election.
    pub election: Option<String>,
    /// The SHA-256 (hex) of the election definition the roster binds, when it binds one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition_sha256: Option<String>,
    /// Where the definition counted with came from: the URL or file of the published one,
    /// `--election`, or `built-in <name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition_source: Option<String>,
    /// The checkpoint, when it verified.
    pub checkpoint: Option<CheckpointSummary>,
    /// The SHA-256 of the results recomputed from the whole log, hex.
    pub results_sha256: Option<String>,
    /// Whether published results were compared (absent in a data directory).
    pub published_results_compared: bool,
    /// What was checked.
    pub counts: Counts,
    /// Things worth a look that are not discrepancies (e.g. keys taken from the log itself,
    /// ballots above registered voters).
    pub notes: Vec<String>,
    /// Every discrepancy.
    pub findings: Vec<Finding>,
}
