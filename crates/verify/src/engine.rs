//! Replaying the log's entries (docs/submissions.md, "The log") the way the server does, but
//! trusting nothing: the roster's authority signature (and a pinned authority key), every
//! submission through the server's own pipeline ([`canvass_server::authenticate_countersigned`],
//! [`Checker::authorize`], [`Checker::validate`]) against the roster *as it stood when the
//! submission was logged*, key changes and certifications signed by the authority, snapshot
//! entries at their own index, and certified states changed only with a countersignature.
//!
//! Results are tabulated the way the server replays the log (every logged submission that
//! tabulates counts), so a bad entry is reported once, where it is, and not again in every
//! later snapshot.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use canvass_model::Election;
use canvass_server::entry::{self, EntryKind, SnapshotEntry};
use canvass_server::pipeline::History as _;
use canvass_server::{
    Checker, FlagCode, MemoryHistory, Payload, PublicKey, Rejection, Roster, RosterState,
    Submission, Verdict, authenticate_countersigned, note,
};
use canvass_tally::Tabulator;

use crate::definition::{self, Served};
pub use crate::events::{Event, MarginShift};
use crate::events::{diff_of, margins};
use crate::levels::{self, ContestDoc, Reported};
use crate::report::{Check, Counts, Finding};
use crate::results::SnapshotWorkers;

/// How to replay.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// The election definition given by hand (`--election`): it overrides the published one,
    /// and must match the SHA-256 the roster binds or that is a finding.
    pub election: Option<Election>,
    /// The definition the source publishes (`api/election`), used when the roster binds its
    /// SHA-256 ([`crate::definition::resolve`]).
    pub served: Option<Arc<Served>>,
    /// The authority key the roster must be signed with (pinned out of band).
    pub authority: Option<PublicKey>,
    /// Worker threads recomputing snapshot entries; 0 skips snapshot checks.
    pub workers: usize,
    /// Keep the results JSON at this snapshot's log index.
    pub keep: Option<u64>,
    /// Recompute only the snapshot entries from this log index on (the monitor's new ones).
    pub snapshots_from: u64,
    /// Published contest documents, each compared at every level with the contest recomputed
    /// at the snapshot it claims (at the end of the log when it claims none).
    pub contests: Vec<ContestDoc>,
    /// With no contest documents: recompute every contest at every level at the end anyway
    /// (each level's sums are checked).
    pub levels: bool,
}

/// What a replay found.
#[derive(Debug, Default)]
pub struct EngineOutput {
    /// Discrepancies, in log order.
    pub findings: Vec<Finding>,
    /// Things worth a look.
    pub notes: Vec<String>,
    /// Noteworthy events, in log order.
    pub events: Vec<Event>,
    /// What was checked.
    pub counts: Counts,
    /// The roster with every key change applied.
    pub roster: Option<RosterState>,
    /// Where the definition counted with came from (`--election`, the published one's
    /// location, `built-in <name>`).
    pub definition_source: Option<String>,
    /// The results JSON of the whole log.
    pub final_json: Option<String>,
    /// The results JSON at [`EngineOptions::keep`].
    pub kept_json: Option<String>,
    /// Log index and SHA-256 of every submission entry.
    pub submissions: Vec<(u64, [u8; 32])>,
    /// The last snapshot entry's log index.
    pub last_snapshot: Option<u64>,
}

/// The log replayed one entry at a time.
pub struct Engine {
    opts: EngineOptions,
    roster_bytes: Vec<u8>,
    roster: Option<RosterState>,
    /// Stop: the roster could not be read, so nothing after it can be checked.
    dead: bool,
    checker: Option<Checker>,
    tab: Option<Tabulator>,
    workers: Option<SnapshotWorkers>,
    history: MemoryHistory,
    first_seen: HashMap<[u8; 32], u64>,
    certified: HashMap<String, u64>,
    changed: HashMap<String, u64>,
    snapshots: BTreeMap<u64, String>,
    audits: crate::audits::Audits,
    docs_at: BTreeMap<u64, Vec<ContestDoc>>,
    docs_final: Vec<ContestDoc>,
    reported: Reported,
    out: EngineOutput,
}

fn code_of(r: &Rejection) -> String {
    serde_json::to_value(r.code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl Engine {
    /// A replay from entry 0.
    pub fn new(mut opts: EngineOptions) -> Self {
        let mut docs_at: BTreeMap<u64, Vec<ContestDoc>> = BTreeMap::new();
        let mut docs_final = Vec::new();
        for d in std::mem::take(&mut opts.contests) {
            match d.log_index {
                Some(i) => docs_at.entry(i).or_default().push(d),
                None => docs_final.push(d),
            }
        }
        Engine {
            opts,
            docs_at,
            docs_final,
            reported: Reported::default(),
            roster_bytes: Vec::new(),
            roster: None,
            dead: false,
            checker: None,
            tab: None,
            workers: None,
            history: MemoryHistory::default(),
            first_seen: HashMap::new(),
            certified: HashMap::new(),
            changed: HashMap::new(),
            snapshots: BTreeMap::new(),
            audits: crate::audits::Audits::default(),
            out: EngineOutput::default(),
        }
    }

    fn find(&mut self, f: Finding) {
        self.out.findings.push(f);
    }

    /// Replays the entry at `index` (entries must come in order from 0).
    pub fn entry(&mut self, index: u64, e: &[u8]) {
        if self.dead {
            return;
        }
        if self.roster.is_some() && canvass_server::audit::is_audit_entry(e) {
            return self.audit_record(index, e);
        }
        let Some(k) = entry::kind(e) else {
            self.find(
                Finding::new(Check::Entry, "not a canvass log entry (unknown type line)")
                    .at(index)
                    .code("unknown-entry"),
            );
            return;
        };
        if self.roster.is_none() {
            self.roster_entry(index, k, e);
            return;
        }
        match k {
            EntryKind::Submission => self.submission(index, e),
            EntryKind::Snapshot => self.snapshot(index, e),
            EntryKind::KeyChange => self.key_change(index, e),
            EntryKind::Certification => self.certification(index, e),
            EntryKind::Roster | EntryKind::RosterPart => self.find(
                Finding::new(
                    Check::Roster,
                    "a second roster: the roster is only logged first, keys change by signed key changes",
                )
                .at(index)
                .code("second-roster"),
            ),
        }
    }

    fn roster_entry(&mut self, index: u64, k: EntryKind, e: &[u8]) {
        let whole = match k {
            EntryKind::Roster if index == 0 => e.to_vec(),
            EntryKind::RosterPart => match entry::parse_roster_part(e) {
                Ok((h, part)) if h.part == index + 1 && h.part <= h.parts => {
                    self.roster_bytes.extend_from_slice(part);
                    if h.part < h.parts {
                        return;
                    }
                    if entry::sha256_hex(&self.roster_bytes) != h.roster_sha256 {
                        return self
                            .roster_failed(index, "the roster parts do not hash to roster_sha256");
                    }
                    std::mem::take(&mut self.roster_bytes)
                }
                Ok((h, _)) => {
                    return self
                        .roster_failed(index, &format!("roster part {} out of order", h.part));
                }
                Err(m) => return self.roster_failed(index, &m),
            },
            _ => return self.roster_failed(index, "the log does not start with the roster"),
        };
        let roster = match Roster::open(&whole, self.opts.authority.as_ref()) {
            Ok(r) => r,
            Err(err) => return self.roster_failed(index, &err.to_string()),
        };
        if self.opts.authority.is_none() {
            self.out.notes.push(format!(
                "the authority key {} was taken from the roster itself: pin it with --authority to check the roster against the authority's published key",
                roster.authority
            ));
        }
        let resolved = definition::resolve(
            &roster,
            index,
            self.opts.election.as_ref(),
            self.opts.served.as_ref(),
        );
        self.out.findings.extend(resolved.findings);
        self.out.notes.extend(resolved.notes);
        self.out.definition_source = resolved.from;
        let Some(election) = resolved.election else {
            // Without the definition the roster binds nothing after it can be checked; the
            // findings say why.
            self.dead = true;
            return;
        };
        if election.election.id != roster.election {
            return self.roster_failed(
                index,
                &format!(
                    "the roster is for election {}, the definition is {}",
                    roster.election, election.election.id
                ),
            );
        }
        match RosterState::new(roster) {
            Ok(r) => self.roster = Some(r),
            Err(err) => return self.roster_failed(index, &err.to_string()),
        }
        if self.opts.workers > 0 {
            self.workers = Some(SnapshotWorkers::new(
                &election,
                self.opts.workers,
                self.opts.keep,
            ));
        }
        self.tab = Some(Tabulator::new(election.clone()));
        self.checker = Some(Checker::new(election));
    }

    fn roster_failed(&mut self, index: u64, why: &str) {
        self.dead = true;
        self.find(
            Finding::new(
                Check::Roster,
                format!("the roster cannot be opened, so nothing after it can be checked: {why}"),
            )
            .at(index)
            .code("bad-roster"),
        );
    }

    fn submission(&mut self, index: u64, e: &[u8]) {
        self.out.counts.submissions += 1;
        let sha = entry::sha256(e);
        self.out.submissions.push((index, sha));
        let (Some(roster), Some(checker)) = (self.roster.as_ref(), self.checker.as_ref()) else {
            return;
        };
        let mut problems = Vec::new();
        let mut countersigned = false;
        match authenticate_countersigned(e, roster) {
            Err(r) => problems.push(r),
            Ok((a, c)) => {
                countersigned = c;
                if let Err(r) = checker.authorize(&a, roster) {
                    problems.push(r);
                }
                match checker.validate(&a, &self.history) {
                    Err(r) => problems.push(r),
                    Ok(Verdict::AlreadyAccepted) => {}
                    Ok(Verdict::Accept { flags }) => {
                        for f in flags
                            .iter()
                            .filter(|f| f.code == FlagCode::BallotsAboveRegistered)
                        {
                            self.out.events.push(Event::BallotsAboveRegistered {
                                log_index: index,
                                message: f.message.clone(),
                            });
                            self.out
                                .notes
                                .push(format!("log entry {index}: {}", f.message));
                        }
                        self.history.record(
                            a.submission.jurisdiction.as_str(),
                            a.submission.sequence,
                            a.digest,
                        );
                    }
                }
            }
        }
        for r in problems {
            let code = code_of(&r);
            let msg = if code == "revoked-key" {
                format!(
                    "signed by a key that was no longer valid when it was logged: {}",
                    r.message
                )
            } else {
                format!(
                    "the server should have refused it ({}): {}",
                    r.field, r.message
                )
            };
            self.out
                .findings
                .push(Finding::new(Check::Submission, msg).at(index).code(code));
        }
        if let Some(&first) = self.first_seen.get(&sha) {
            self.out.findings.push(
                Finding::new(
                    Check::Submission,
                    format!("a replay: the very same document was logged at index {first}"),
                )
                .at(index)
                .code("replay"),
            );
        } else {
            self.first_seen.insert(sha, index);
        }
        self.tabulate(index, e, countersigned);
    }

    /// Counts a logged submission as the server's replay does (whatever its checks said).
    fn tabulate(&mut self, index: u64, e: &[u8], countersigned: bool) {
        let Some(roster) = self.roster.as_ref() else {
            return;
        };
        let Ok(n) = note::parse(e) else { return };
        let Ok(s) = serde_json::from_str::<Submission>(n.json) else {
            return;
        };
        let Some((_, j)) = roster.jurisdiction(s.jurisdiction.as_str()) else {
            return;
        };
        let state = j.state.to_string();
        let certified_at = self.certified.get(&state).copied();
        if certified_at.is_some() && !countersigned {
            self.out.findings.push(
                Finding::new(
                    Check::Certification,
                    format!(
                        "state {state} was certified at log index {} and this change has no countersignature by the authority",
                        certified_at.unwrap_or_default()
                    ),
                )
                .at(index)
                .code("certified"),
            );
        }
        let Payload::PrecinctResults { results } = s.payload else {
            self.changed.insert(state, index);
            return;
        };
        let Some(tab) = self.tab.as_mut() else { return };
        if self.opts.levels || !self.docs_at.is_empty() || !self.docs_final.is_empty() {
            for r in &results {
                self.reported.unit.insert(r.precinct.to_string(), index);
            }
            self.reported
                .jurisdiction
                .insert(s.jurisdiction.to_string(), index);
        }
        let before = s.amendment.as_ref().map(|_| margins(tab, &results));
        for r in &results {
            if let Err(err) = tab.apply(r) {
                self.out.findings.push(
                    Finding::new(
                        Check::Submission,
                        format!("precinct {} does not tabulate: {err}", r.precinct),
                    )
                    .at(index)
                    .code("does-not-tabulate"),
                );
            }
        }
        if let Some(before) = before {
            let shifts = before
                .into_iter()
                .map(|(contest, (a, b, m))| MarginShift {
                    after: diff_of(tab, &contest, a, b),
                    contest,
                    before: m,
                })
                .collect();
            self.out.events.push(Event::Amendment {
                log_index: index,
                jurisdiction: s.jurisdiction.to_string(),
                state: state.clone(),
                countersigned,
                certified_at,
                shifts,
            });
        }
        self.changed.insert(state, index);
        if let Some(w) = self.workers.as_mut() {
            w.apply(&Arc::new(results));
        }
    }

    fn snapshot(&mut self, index: u64, e: &[u8]) {
        let s = match SnapshotEntry::parse(e) {
            Ok(s) => s,
            Err(m) => {
                return self.find(
                    Finding::new(Check::Snapshot, format!("malformed snapshot entry: {m}"))
                        .at(index)
                        .code("malformed-snapshot"),
                );
            }
        };
        if s.after != index {
            self.find(
                Finding::new(
                    Check::Snapshot,
                    "the snapshot's `after` is not its own log index: entries were removed, inserted or reordered",
                )
                .at(index)
                .values(s.after.to_string(), index.to_string())
                .code("snapshot-position"),
            );
        }
        let election = self.roster.as_ref().map(|r| r.roster().election.clone());
        if election.as_ref() != Some(&s.election) {
            self.find(
                Finding::new(Check::Snapshot, "snapshot of another election")
                    .at(index)
                    .values(
                        s.election.to_string(),
                        election.map(|e| e.to_string()).unwrap_or_default(),
                    ),
            );
        }
        let sha = parse_hex(&s.results_sha256);
        match (sha, self.workers.as_mut()) {
            (None, _) => self.find(
                Finding::new(Check::Snapshot, "results_sha256 is not 64 hex digits").at(index),
            ),
            (Some(sha), Some(w))
                if index >= self.opts.snapshots_from || self.opts.keep == Some(index) =>
            {
                w.snapshot(index, sha);
            }
            (Some(_), _) => {}
        }
        self.snapshots.insert(index, s.results_sha256);
        self.out.last_snapshot = Some(index);
        if let Some(docs) = self.docs_at.remove(&index) {
            self.check_levels(&docs, Some(index));
        }
    }

    /// Compares contest documents with the contests recomputed from the entries so far.
    fn check_levels(&mut self, docs: &[ContestDoc], at: Option<u64>) {
        let Some(tab) = self.tab.as_ref() else { return };
        let (f, c) = levels::check(tab, docs, at, &self.reported, threads());
        self.out.findings.extend(f);
        self.out.counts.contests += c.contests;
        self.out.counts.areas += c.areas;
    }

    fn key_change(&mut self, index: u64, e: &[u8]) {
        self.out.counts.key_changes += 1;
        let Some(roster) = self.roster.as_mut() else {
            return;
        };
        if let Err(err) = roster.apply_signed(e) {
            self.out.findings.push(
                Finding::new(
                    Check::KeyChange,
                    format!(
                        "a roster change the authority did not sign, or that cannot apply: {err}"
                    ),
                )
                .at(index)
                .code("bad-key-change"),
            );
        }
    }

    /// A risk-limiting audit's record (`canvass-audit/v1`): it must be signed by the
    /// authority, and its figures are recomputed ([`crate::audits`]).
    fn audit_record(&mut self, index: u64, e: &[u8]) {
        self.out.counts.audit_records += 1;
        let Some(roster) = self.roster.as_ref() else {
            return;
        };
        match canvass_server::audit::open(e, roster.authority()) {
            Ok(r) => {
                let found = self.audits.record(index, &r, &self.snapshots);
                self.out.findings.extend(found);
            }
            Err(err) => self.find(
                Finding::new(
                    Check::Audit,
                    format!("an audit record the authority did not sign, or malformed: {err}"),
                )
                .at(index)
                .code("bad-audit-record"),
            ),
        }
    }

    fn certification(&mut self, index: u64, e: &[u8]) {
        self.out.counts.certifications += 1;
        let Some(roster) = self.roster.as_ref() else {
            return;
        };
        let c = match open_authority_doc::<entry::Certification>(
            e,
            entry::CERTIFICATION_TYPE,
            roster.authority(),
        ) {
            Ok(c) => c,
            Err(m) => {
                return self.find(
                    Finding::new(Check::Certification, m)
                        .at(index)
                        .code("bad-certification"),
                );
            }
        };
        let mut problems = Vec::new();
        if c.election != roster.roster().election {
            problems.push(format!("it is for election {}", c.election));
        }
        if !roster
            .roster()
            .jurisdictions
            .iter()
            .any(|j| j.state == c.state)
        {
            problems.push(format!(
                "state {} has no jurisdiction in the roster",
                c.state
            ));
        }
        if self.snapshots.get(&c.after) != Some(&c.results_sha256) {
            problems.push(format!(
                "it names no logged snapshot: there is no snapshot at log index {} with SHA-256 {}",
                c.after, c.results_sha256
            ));
        }
        if let Some(&last) = self
            .changed
            .get(c.state.as_str())
            .filter(|&&l| l >= c.after)
        {
            problems.push(format!(
                "state {} changed at log index {last}, after the snapshot certified",
                c.state
            ));
        }
        for p in problems {
            self.out.findings.push(
                Finding::new(Check::Certification, p)
                    .at(index)
                    .code("bad-certification"),
            );
        }
        self.certified.insert(c.state.to_string(), index);
        self.out.events.push(Event::Certified {
            log_index: index,
            state: c.state.to_string(),
        });
    }

    /// Keeps the results JSON at snapshot `keep` (a log index not replayed yet) from now on.
    pub fn set_keep(&mut self, keep: Option<u64>) {
        self.opts.keep = keep;
        if let Some(w) = self.workers.as_mut() {
            w.set_keep(keep);
        }
    }

    /// What the replay found since the last `take` (findings, notes, events, submissions; the
    /// counts so far), waiting for the snapshot workers to catch up; the replay can go on.
    /// With `final_json`, the results JSON of the entries so far is computed too.
    pub fn take(&mut self, final_json: bool) -> EngineOutput {
        let mut out = std::mem::take(&mut self.out);
        if let Some(w) = self.workers.as_mut() {
            let (f, n, kept) = w.drain();
            out.findings.extend(f);
            out.findings.sort_by_key(|f| f.log_index);
            out.counts.snapshots += n;
            out.kept_json = kept;
        }
        self.out.counts = out.counts.clone();
        self.out.last_snapshot = out.last_snapshot;
        self.out
            .definition_source
            .clone_from(&out.definition_source);
        if final_json {
            out.final_json = self.tab.as_ref().map(crate::results::results_json);
        }
        out.roster = self.roster.clone();
        out
    }

    /// Ends the replay: waits for the snapshot workers and computes the whole log's results.
    pub fn finish(mut self) -> EngineOutput {
        // A replay stopped at the roster checked nothing it could compare them with.
        let docs_at = std::mem::take(&mut self.docs_at);
        for (index, docs) in docs_at.into_iter().filter(|_| !self.dead) {
            for d in docs {
                let mut f = Finding::new(
                    Check::Levels,
                    "the published contest claims to be the snapshot at this log index, which is not a snapshot entry of the checkpointed log",
                )
                .at(index)
                .code("no-such-snapshot");
                f.contest = Some(d.id);
                self.out.findings.push(f);
            }
        }
        let docs = std::mem::take(&mut self.docs_final);
        if !docs.is_empty() {
            let at = self.out.last_snapshot;
            self.check_levels(&docs, at);
        } else if self.opts.levels && self.out.counts.contests == 0 {
            if let Some(tab) = self.tab.as_ref() {
                let (f, c) = levels::recompute_all(tab, threads());
                self.out.findings.extend(f);
                self.out.counts.contests += c.contests;
                self.out.counts.areas += c.areas;
            }
        }
        if let Some(w) = self.workers.take() {
            let (f, n, kept) = w.finish();
            self.out.findings.extend(f);
            self.out.findings.sort_by_key(|f| f.log_index);
            self.out.counts.snapshots += n;
            self.out.kept_json = kept;
        }
        self.out.final_json = self.tab.as_ref().map(crate::results::results_json);
        self.out.roster = self.roster;
        self.out
    }

    /// The SHA-256 (hex) of the definition the roster binds, once the roster is read.
    pub fn definition_sha256(&self) -> Option<&str> {
        self.roster
            .as_ref()
            .and_then(|r| r.roster().definition_sha256.as_deref())
    }

    /// Whether the roster has been read (or could not be, and the replay stopped).
    pub fn past_roster(&self) -> bool {
        self.roster.is_some() || self.dead
    }

    /// Sets the definition the source publishes, for a replay that has not read the roster.
    pub fn set_served(&mut self, served: Option<Arc<Served>>) {
        self.opts.served = served;
    }

    /// Whether a submission of this state logged now would need a countersignature.
    pub fn certified(&self, state: &str) -> Option<u64> {
        self.certified.get(state).copied()
    }

    /// The highest accepted sequence of a jurisdiction so far.
    pub fn last_sequence(&self, jurisdiction: &str) -> Option<u64> {
        self.history.last_sequence(jurisdiction)
    }
}

/// Threads for recomputing contests at every level.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
}

/// Opens a canonical document of type `kind` signed by `key`, with the server's own rules.
fn open_authority_doc<T>(doc: &[u8], kind: &str, key: &PublicKey) -> Result<T, String>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    canvass_server::roster::open_signed(doc, "authority document", kind, key)
        .map_err(|e| e.to_string())
}

/// A 64-hex-digit SHA-256.
pub fn parse_hex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}
