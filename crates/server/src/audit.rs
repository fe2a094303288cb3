//! Risk-limiting audits in the transparency log (issue 9, `docs/audit.md`): every step of an
//! audit is a `canvass-audit/v1` entry, signed by the election authority, whose JSON line is
//! a [`canvass_audit::workflow::AuditRecord`].
//!
//! ```text
//! canvass-audit/v1
//! {"audit":"2026-rla","seq":1,"step":{"start":{"election":"...","results":{...},...}}}
//!
//! — authority <base64 signature>
//! ```
//!
//! The roster has no audit-board keys, so the authority signs every record, including the
//! boards' interpretations (each names its board). [`App::submit_audit`] opens the record,
//! applies it to the audit's state (the fold of `canvass_audit::workflow`, which recomputes
//! every derived figure), checks a start record against the logged results snapshot it
//! names, and only then logs it: a record that does not follow is refused and changes
//! nothing. The state is rebuilt from the log on first use.

use std::collections::BTreeMap;
use std::sync::Mutex;

use canvass_audit::workflow::{AuditRecord, AuditState, Ledger, Method, Start, Step};

use crate::app::{App, SubmitError, lock};
use crate::entry::{self, SnapshotEntry};
use crate::keys::{PublicKey, SecretKey};
use crate::{canonical, note};

/// Type line of an audit record.
pub const AUDIT_TYPE: &str = "canvass-audit/v1";

/// The signed log entry of an audit record.
pub fn sign(record: &AuditRecord, authority: &SecretKey) -> String {
    note::sign(
        &note::body(AUDIT_TYPE, &canonical::encode(record)),
        authority,
    )
}

/// Whether a log entry is an audit record (by its type line).
pub fn is_audit_entry(entry: &[u8]) -> bool {
    entry
        .strip_prefix(AUDIT_TYPE.as_bytes())
        .is_some_and(|r| r.first() == Some(&b'\n'))
}

/// Opens a signed audit record: type line, canonical JSON, the authority's signature.
///
/// # Errors
/// [`crate::RosterError`] saying what is wrong with the document.
pub fn open(doc: &[u8], authority: &PublicKey) -> Result<AuditRecord, crate::RosterError> {
    crate::roster::open_signed(doc, "audit record", AUDIT_TYPE, authority)
}

/// Why an audit record was not logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditSubmitError {
    /// The record is malformed, not the authority's, or does not follow the audit's records.
    Refused(String),
    /// Storage failed; nothing was logged.
    Internal(String),
}

impl std::fmt::Display for AuditSubmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditSubmitError::Refused(m) => write!(f, "audit record refused: {m}"),
            AuditSubmitError::Internal(m) => write!(f, "{m}"),
        }
    }
}

/// Every audit of the log with the log index of each record.
#[derive(Debug, Clone, Default)]
pub struct Audits {
    /// The states.
    pub ledger: Ledger,
    /// Audit name → log index of each record, in seq order.
    pub indices: BTreeMap<String, Vec<u64>>,
    /// The log size these were read up to.
    pub size: u64,
    /// How many audit records the log holds below `size`.
    pub records: u64,
}

/// The server's audits, loaded from the log on first use.
#[derive(Debug, Default)]
pub(crate) struct AuditCell(Mutex<Option<Audits>>);

/// Entries read per chunk when loading.
const CHUNK: u64 = 4096;

/// Reads every audit record of `log` (signed by `authority`) into [`Audits`].
///
/// # Errors
/// A message naming the log index of an unreadable or out-of-order record.
pub fn load(log: &canvass_store::tlog::Log, authority: &PublicKey) -> Result<Audits, String> {
    let mut a = Audits::default();
    refresh(&mut a, log, authority)?;
    Ok(a)
}

/// Applies the audit records `log` gained since `a` was read (on a shared log, other
/// instances log records too).
///
/// # Errors
/// As [`load`]; `a` then stays as it was up to the failing record.
pub fn refresh(
    a: &mut Audits,
    log: &canvass_store::tlog::Log,
    authority: &PublicKey,
) -> Result<(), String> {
    let size = log.size();
    while a.size < size {
        let (from, to) = (a.size, (a.size + CHUNK).min(size));
        let entries = log.entries(from..to).map_err(|e| e.to_string())?;
        for (index, e) in (from..to).zip(entries) {
            if is_audit_entry(&e) {
                let r = open(&e, authority).map_err(|err| format!("log entry {index}: {err}"))?;
                a.ledger
                    .apply(&r)
                    .map_err(|err| format!("log entry {index}: {err}"))?;
                a.indices.entry(r.audit.clone()).or_default().push(index);
                a.records += 1;
            }
            a.size = index + 1;
        }
    }
    Ok(())
}

/// Checks a start record against the log: `results` names a logged snapshot entry, and when
/// it is the latest published snapshot, every contest's reported tally, ballots, number of
/// winners and (batch comparison) precinct totals equal the published results.
fn check_start(app: &App, s: &Start) -> Result<(), String> {
    let election = app.roster_state().roster().election.to_string();
    if s.election != election {
        return Err(format!(
            "start is for election {}, this server counts {election}",
            s.election
        ));
    }
    let e = app
        .log()
        .entry(s.results.after)
        .map_err(|_| format!("log index {} does not exist", s.results.after))?;
    let snap = SnapshotEntry::parse(&e).map_err(|m| {
        format!(
            "log entry {} is not a results snapshot: {m}",
            s.results.after
        )
    })?;
    if snap.results_sha256 != s.results.results_sha256 {
        return Err(format!(
            "the snapshot at log index {} has results SHA-256 {}, not {}",
            s.results.after, snap.results_sha256, s.results.results_sha256
        ));
    }
    let current = app.snapshot();
    if current.log_index != Some(s.results.after) {
        return Ok(());
    }
    for c in &s.contests {
        let Some(r) = current.results.contests.iter().find(|r| r.id == c.id) else {
            return Err(format!("contest {} is not in the results", c.id));
        };
        let mut want = r.totals.0.clone();
        let mut got = c.tally.clone();
        want.sort();
        got.sort();
        let vote_for = app
            .election()
            .contests
            .iter()
            .find(|d| d.id.as_str() == c.id)
            .map(|d| u64::from(d.vote_for));
        if want != got || r.ballots != c.ballots || vote_for != Some(c.winners) {
            return Err(format!(
                "contest {}: the tally, ballots or number of winners (vote for) differ from the published results and the election definition",
                c.id
            ));
        }
        if c.method == Method::Macro {
            let detail = app
                .contest(&c.id)
                .map_err(|e| format!("contest {}: {e:?}", c.id))?
                .ok_or_else(|| format!("contest {} has no detail", c.id))?;
            let precincts = detail.contest.precincts.clone().unwrap_or_default();
            for b in &c.batches {
                let Some(p) = precincts.iter().find(|p| p.id == b.batch) else {
                    return Err(format!(
                        "contest {}: batch {} is not a precinct",
                        c.id, b.batch
                    ));
                };
                let votes: Vec<u64> = c
                    .tally
                    .iter()
                    .map(|(n, _)| p.totals.0.iter().find(|(m, _)| m == n).map_or(0, |x| x.1))
                    .collect();
                if votes != b.votes || p.ballots != b.ballots {
                    return Err(format!(
                        "contest {}: batch {} differs from the precinct's published totals",
                        c.id, b.batch
                    ));
                }
            }
        }
    }
    Ok(())
}

impl App {
    /// Appends a checked document as one log entry, in order with the sequencer's batches,
    /// if the log still holds `records` audit records (else nothing is logged).
    fn append_entry(&self, doc: &[u8], records: u64) -> Result<u64, SubmitError> {
        self.send(|reply| crate::sequencer::Job::Audit {
            doc: doc.to_vec(),
            records,
            reply,
        })
    }

    fn with_audits<T>(
        &self,
        f: impl FnOnce(&mut Audits) -> Result<T, AuditSubmitError>,
    ) -> Result<T, AuditSubmitError> {
        let mut cell = lock(&self.audits.0);
        let a = cell.get_or_insert_with(Audits::default);
        refresh(a, self.log(), self.roster_state().authority())
            .map_err(AuditSubmitError::Internal)?;
        f(a)
    }

    /// Logs an authority-signed audit record (`canvass-audit/v1`) once it follows from the
    /// audit's records before it (see the module doc). Returns its log index.
    ///
    /// # Errors
    /// [`AuditSubmitError::Refused`] saying why; [`AuditSubmitError::Internal`] if storage
    /// failed.
    pub fn submit_audit(&self, doc: &[u8]) -> Result<u64, AuditSubmitError> {
        if doc.len() > canvass_log::tile::MAX_ENTRY_SIZE {
            return Err(AuditSubmitError::Refused(format!(
                "the record is {} bytes, over the log's {} per entry: split it",
                doc.len(),
                canvass_log::tile::MAX_ENTRY_SIZE
            )));
        }
        let authority = self.roster_state().authority().clone();
        let r = open(doc, &authority).map_err(|e| AuditSubmitError::Refused(e.to_string()))?;
        if let Step::Start(s) = &r.step {
            check_start(self, s).map_err(AuditSubmitError::Refused)?;
        }
        self.with_audits(|a| {
            let mut next = a.ledger.audits.get(&r.audit).cloned();
            match next.as_mut() {
                Some(st) => st.apply(&r),
                None if matches!(r.step, Step::Start(_)) => {
                    AuditState::start(&r).map(|st| next = Some(st))
                }
                None => a.ledger.apply(&r),
            }
            .map_err(|e| AuditSubmitError::Refused(e.to_string()))?;
            let index = self.append_entry(doc, a.records).map_err(|e| match e {
                SubmitError::Rejected(r) => AuditSubmitError::Refused(r.message),
                SubmitError::Internal(m) => AuditSubmitError::Internal(m),
            })?;
            if let Some(st) = next {
                a.ledger.audits.insert(r.audit.clone(), st);
            }
            a.indices.entry(r.audit.clone()).or_default().push(index);
            // The sequencer logged it only if no other audit record came first.
            a.records += 1;
            a.size = index + 1;
            Ok(index)
        })
    }

    /// An audit's state and the log index of each of its records; `None` for an unknown
    /// audit.
    ///
    /// # Errors
    /// [`AuditSubmitError::Internal`] if the log's audit records do not load.
    pub fn audit(&self, name: &str) -> Result<Option<(AuditState, Vec<u64>)>, AuditSubmitError> {
        self.with_audits(|a| {
            Ok(a.ledger
                .audits
                .get(name)
                .map(|st| (st.clone(), a.indices.get(name).cloned().unwrap_or_default())))
        })
    }

    /// The names of the log's audits.
    ///
    /// # Errors
    /// As [`App::audit`].
    pub fn audit_names(&self) -> Result<Vec<String>, AuditSubmitError> {
        self.with_audits(|a| Ok(a.ledger.audits.keys().cloned().collect()))
    }
}

/// Whether replay passes over this entry: an audit record (audits are loaded on first use).
pub(crate) fn skip_on_replay(e: &[u8]) -> bool {
    is_audit_entry(e) && entry::kind(e).is_none()
}
