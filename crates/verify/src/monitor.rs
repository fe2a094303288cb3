//! `canvass monitor`: poll a canvass server, keep what was seen in a state file, and raise a
//! structured [`Alert`] at the first sign of interference (docs/verify.md, "Alerts").
//!
//! Each poll reads the results, then the checkpoint; proves the checkpoint consistent with
//! the last one seen (from the tiles); recomputes the tree and replays the log (alerting only
//! on entries not seen before); compares the published results; and reads the security
//! events (refused documents).
//!
//! ```text
//! {"alert":"fork","severity":"critical","at":1604448000,"source":"http://…","log_index":null,"message":"…","details":{…}}
//! ```

use serde::{Deserialize, Serialize};

use canvass_log::{LogVerifier, WitnessPolicy};
use canvass_model::Election;
use canvass_server::PublicKey;

use crate::engine::{Engine, EngineOptions, Event};
use crate::error::SourceError;
use crate::report::Finding;
use crate::source::{Definition, Source};
use crate::tree::{Walker, read_checkpoint};
use crate::verify::{check_store, compare_results, consistency, source_vkey};

/// What the monitor remembers between polls (the `--state` file, JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorState {
    /// The last checkpoint note accepted (consistent with every earlier one).
    pub checkpoint: Option<String>,
    /// Entries already examined (alerts are raised for later entries only).
    pub size: u64,
    /// SHA-256 (hex) of the results published at the last poll.
    pub results_sha256: Option<String>,
    /// The highest security event id read.
    pub security_after: u64,
    /// The log key seen at the first poll.
    pub log_vkey: Option<String>,
    /// Polls made.
    pub polls: u64,
    /// Where the next look at older rows of the server's index starts (a count of logged
    /// submissions, wrapping).
    #[serde(default)]
    pub store_cursor: u64,
}

/// Older submissions compared with the server's index at each poll (besides the new ones),
/// so a row changed after it was checked is caught within a few polls.
pub const STORE_AUDIT_PER_POLL: usize = 1000;

/// Thresholds and trust anchors.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// The election definition given by hand; by default the one the source publishes
    /// (checked against the SHA-256 the roster binds, at every poll) or the built-in one the
    /// roster names.
    pub election: Option<Election>,
    /// The authority key, pinned.
    pub authority: Option<PublicKey>,
    /// The log key, pinned (else the one seen at the first poll).
    pub log_key: Option<LogVerifier>,
    /// Witness cosignatures every checkpoint needs.
    pub policy: Option<WitnessPolicy>,
    /// Alert when one amendment moves a contest's margin by more than this many votes.
    pub margin_shift_votes: u64,
    /// Alert when at least this many documents are refused within `burst_window_secs`.
    pub burst_count: usize,
    /// The window of a burst, in seconds.
    pub burst_window_secs: u64,
    /// Threads recomputing new snapshot entries (0: do not recompute snapshots).
    pub workers: usize,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            election: None,
            authority: None,
            log_key: None,
            policy: None,
            margin_shift_votes: 1000,
            burst_count: 50,
            burst_window_secs: 60,
            workers: 1,
        }
    }
}

/// How bad an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Tampering or a broken rule: act now.
    Critical,
    /// Allowed, but someone should look (a countersigned change after certification).
    Warning,
}

/// One alert, written as one JSON line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// What happened (stable names, docs/verify.md): `fork`, `rollback`,
    /// `results-changed-without-log-growth`, `revoked-key-signature`, `unsigned-roster-change`,
    /// `amendment-after-certification`, `votes-above-ballots`, `turnout-over-100`,
    /// `margin-shift`, `rejection-burst`, `results-differ`, `store-differs`, ...
    pub alert: String,
    /// How bad.
    pub severity: Severity,
    /// When it was raised (seconds since the Unix epoch).
    pub at: u64,
    /// The server or directory polled.
    pub source: String,
    /// The log entry concerned.
    pub log_index: Option<u64>,
    /// What happened, in words.
    pub message: String,
    /// Evidence (the finding, the event, the counts).
    pub details: serde_json::Value,
}

/// The alert name of a verification finding's code.
fn alert_name(code: &str) -> &str {
    match code {
        "revoked-key" => "revoked-key-signature",
        "bad-key-change" | "second-roster" | "bad-roster" => "unsigned-roster-change",
        "certified" => "amendment-after-certification",
        "votes-above-ballots" => "votes-above-ballots",
        other => other,
    }
}

struct Raise<'a> {
    src: &'a str,
    now: u64,
    alerts: Vec<Alert>,
}

impl Raise<'_> {
    fn raise(
        &mut self,
        alert: &str,
        severity: Severity,
        log_index: Option<u64>,
        message: String,
        details: serde_json::Value,
    ) {
        self.alerts.push(Alert {
            alert: alert.to_owned(),
            severity,
            at: self.now,
            source: self.src.to_owned(),
            log_index,
            message,
            details,
        });
    }

    fn finding(&mut self, f: &Finding) {
        let name = alert_name(f.code.as_deref().unwrap_or("verification-failed")).to_owned();
        self.raise(
            &name,
            Severity::Critical,
            f.log_index,
            f.to_string(),
            serde_json::to_value(f).unwrap_or_default(),
        );
    }
}

/// Polls `src` once with a monitor made for this poll (the whole log is replayed): returns
/// the alerts and updates `state`. `now` is the current time (seconds since the Unix epoch),
/// used for alert times and burst windows. A long-running monitor keeps a [`Monitor`].
///
/// # Errors
/// [`SourceError`] when the source cannot be read (unreachable: no alert, try again).
pub fn poll(
    src: &dyn Source,
    state: &mut MonitorState,
    cfg: &MonitorConfig,
    now: u64,
) -> Result<Vec<Alert>, SourceError> {
    let mut m = Monitor::new(std::mem::take(state), cfg.clone());
    let r = m.poll(src, now);
    *state = m.state;
    r
}

/// A replay recomputing snapshots from log index `from` on.
fn engine(cfg: &MonitorConfig, from: u64) -> Engine {
    Engine::new(EngineOptions {
        election: cfg.election.clone(),
        authority: cfg.authority.clone(),
        workers: cfg.workers,
        snapshots_from: from,
        ..EngineOptions::default()
    })
}

/// The log as replayed so far, kept between polls so a poll reads only the new entries.
struct Run {
    engine: Engine,
    walker: Walker,
    /// The results JSON at a snapshot, once computed (the published results may claim it
    /// again at later polls).
    kept: Option<(u64, String)>,
    /// Log index and SHA-256 of every submission replayed.
    submissions: Vec<(u64, [u8; 32])>,
}

/// A monitor that keeps its replay of the log in memory between polls: each poll reads the
/// new entry bundles only (and the few tiles that prove the checkpoint consistent), replays
/// the new entries and recomputes the new snapshots. Started from a state file, its first
/// poll replays the log once (alerting only on entries after `state.size`). Each poll also
/// compares [`STORE_AUDIT_PER_POLL`] older submissions with the server's index, in turn.
pub struct Monitor {
    /// What is kept in the state file.
    pub state: MonitorState,
    cfg: MonitorConfig,
    run: Option<Run>,
    replayed: u64,
}

impl Monitor {
    /// A monitor resuming from `state`.
    pub fn new(state: MonitorState, cfg: MonitorConfig) -> Self {
        Monitor {
            state,
            cfg,
            run: None,
            replayed: 0,
        }
    }

    /// Log entries replayed by the last poll.
    pub fn replayed(&self) -> u64 {
        self.replayed
    }

    /// Polls `src` once: returns the alerts and updates the state. `now` is the current time
    /// (seconds since the Unix epoch), used for alert times and burst windows.
    ///
    /// # Errors
    /// [`SourceError`] when the source cannot be read (unreachable: no alert, try again).
    pub fn poll(&mut self, src: &dyn Source, now: u64) -> Result<Vec<Alert>, SourceError> {
        let location = src.locate("");
        let mut r = Raise {
            src: &location,
            now,
            alerts: Vec::new(),
        };
        let cfg = self.cfg.clone();
        let published = src.fetch("api/results")?;
        let results_index = src.results_log_index();
        let verifier = match &cfg.log_key {
            Some(v) => v.clone(),
            None => {
                let v = source_vkey(src)?;
                if let Some(seen) = self.state.log_vkey.as_ref().filter(|s| **s != v.to_vkey()) {
                    r.raise(
                        "log-key-changed",
                        Severity::Critical,
                        None,
                        format!("the log key changed from {seen} to {}", v.to_vkey()),
                        serde_json::json!({"before": seen, "now": v.to_vkey()}),
                    );
                    // Keep checking against the key first seen.
                    LogVerifier::from_vkey(seen).unwrap_or(v)
                } else {
                    v
                }
            }
        };
        let mut findings = Vec::new();
        let mut cp = read_checkpoint(src, &verifier, cfg.policy.as_ref(), &mut findings)?;
        for _ in 0..50 {
            if results_index.is_none_or(|i| i < cp.checkpoint.size) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            findings.clear();
            cp = read_checkpoint(src, &verifier, cfg.policy.as_ref(), &mut findings)?;
        }
        for f in &findings {
            r.finding(f);
        }
        let new = cp.checkpoint.clone();
        let old = self
            .state
            .checkpoint
            .as_ref()
            .and_then(|n| verifier.open_checkpoint(n.as_bytes()).ok());
        let mut consistent = true;
        if let Some(old) = &old {
            if let Some(f) = consistency(src, old, &new) {
                consistent = false;
                r.finding(&f);
            }
        }
        let results_sha = published
            .as_ref()
            .map(|p| crate::results::hex(&canvass_server::entry::sha256(p)));
        if let (Some(before), Some(now_sha)) = (&self.state.results_sha256, &results_sha) {
            if before != now_sha && new.size <= self.state.size {
                r.raise(
                    "results-changed-without-log-growth",
                    Severity::Critical,
                    results_index,
                    format!(
                        "the published results changed (SHA-256 {before} → {now_sha}) while the log stayed at {} entries",
                        new.size
                    ),
                    serde_json::json!({"before": before, "now": now_sha, "log_size": new.size}),
                );
            }
        }

        // Replay what is new (a log inconsistent with the last one seen: all of it, apart,
        // keeping the replay of the good log); alert on what is new.
        let from = if consistent {
            self.state.size.min(new.size)
        } else {
            0
        };
        let fresh = |from| Run {
            engine: engine(&cfg, from),
            walker: Walker::default(),
            kept: None,
            submissions: Vec::new(),
        };
        let mut apart = None;
        let run = if consistent {
            match self.run.take() {
                Some(run) if run.walker.leaves() == from => self.run.insert(run),
                _ => self.run.insert(fresh(from)),
            }
        } else {
            apart.insert(fresh(0))
        };
        let start = run.walker.leaves();
        if start == 0 {
            run.engine
                .set_served(crate::source::served_definition(src)?);
        }
        run.engine.set_keep(results_index.filter(|&i| i >= start));
        let mut walk_findings = Vec::new();
        let engine = &mut run.engine;
        let (root, _) = run.walker.extend(
            src,
            new.size,
            &mut walk_findings,
            &mut |i, e| engine.entry(i, e),
            &mut |_| {},
        )?;
        self.replayed = run.walker.leaves() - start;
        let walked = root.is_some();
        if root.is_some_and(|root| root != new.root) {
            walk_findings.push(
                Finding::new(
                    crate::Check::Tiles,
                    "the checkpoint's root is not the root of the entries",
                )
                .code("root-mismatch"),
            );
        }
        let mut out = run.engine.take(results_index.is_none());
        if let (Some(i), Some(json)) = (results_index, out.kept_json.take()) {
            run.kept = Some((i, json));
        }
        if let Some(i) = results_index.filter(|&i| i < start) {
            if run.kept.as_ref().is_none_or(|(k, _)| *k != i) {
                // Results of a snapshot replayed before but not kept (published late): replay
                // the log again for them alone.
                run.kept = kept_at(src, &cfg, i, new.size)?.map(|j| (i, j));
            }
        }
        match (results_index, &run.kept) {
            (Some(i), Some((k, json))) if i == *k => out.kept_json = Some(json.clone()),
            _ => {}
        }
        if out.roster.is_some() {
            compare_results(
                published.as_deref(),
                results_index,
                &out,
                &mut walk_findings,
            );
        }
        check_store(src, new.size, from, &out, &mut walk_findings, &mut |_| {})?;
        run.submissions.extend(out.submissions.iter().copied());
        if consistent {
            audit_store(
                src,
                new.size,
                from,
                run,
                &mut self.state,
                &mut walk_findings,
            )?;
        }
        if start > 0 {
            // The definition was checked when the roster was replayed: is it still served?
            if let Some(bound) = run.engine.definition_sha256() {
                if let Definition::Bytes(b) = src.definition(Some(bound))? {
                    let sha = canvass_server::entry::sha256_hex(&b);
                    if sha != bound {
                        let what = format!(
                            "the definition served at {}",
                            src.locate(crate::definition::PATH)
                        );
                        let mut f = crate::definition::mismatch(&what, &sha, bound, 0);
                        f.log_index = None;
                        walk_findings.push(f);
                    }
                }
            }
        }
        // Tiles, published results, the definition and the index are alerted on whatever
        // entry they concern (the files or the results changed now); the replay's findings
        // only for new entries (and the definition's, found when the roster was replayed).
        for f in walk_findings.iter().chain(out.findings.iter().filter(|f| {
            f.log_index.is_none_or(|i| i >= from) || f.check == crate::Check::Definition
        })) {
            r.finding(f);
        }
        for e in &out.events {
            event_alerts(&mut r, e, from, &cfg);
        }
        if !walked && consistent {
            // Replay again from the start next time.
            self.run = None;
        }
        security(&mut r, src, &mut self.state, &cfg)?;

        if consistent {
            self.state.checkpoint = Some(cp.note.clone());
            self.state.size = new.size;
        }
        self.state.results_sha256 = results_sha;
        self.state
            .log_vkey
            .get_or_insert_with(|| verifier.to_vkey());
        self.state.polls += 1;
        Ok(r.alerts)
    }
}

/// Compares up to [`STORE_AUDIT_PER_POLL`] submissions logged before `from` with the
/// server's index, from the state's cursor on.
fn audit_store(
    src: &dyn Source,
    size: u64,
    from: u64,
    run: &Run,
    state: &mut MonitorState,
    findings: &mut Vec<Finding>,
) -> Result<(), SourceError> {
    let old = run.submissions.partition_point(|(i, _)| *i < from);
    if old == 0 {
        return Ok(());
    }
    let start = (state.store_cursor % old as u64) as usize;
    let n = STORE_AUDIT_PER_POLL.min(old);
    let picked: Vec<(u64, [u8; 32])> = (0..n).map(|k| run.submissions[(start + k) % old]).collect();
    let out = crate::engine::EngineOutput {
        submissions: picked,
        ..Default::default()
    };
    check_store(src, size, 0, &out, findings, &mut |_| {})?;
    state.store_cursor = ((start + n) % old) as u64;
    Ok(())
}

/// The results JSON at snapshot `index` of a log of `size` entries, replayed again.
fn kept_at(
    src: &dyn Source,
    cfg: &MonitorConfig,
    index: u64,
    size: u64,
) -> Result<Option<String>, SourceError> {
    let mut e = Engine::new(EngineOptions {
        election: cfg.election.clone(),
        served: crate::source::served_definition(src)?,
        authority: cfg.authority.clone(),
        workers: 1,
        keep: Some(index),
        snapshots_from: u64::MAX,
        ..EngineOptions::default()
    });
    crate::tree::walk(
        src,
        size,
        &mut Vec::new(),
        &mut |i, x| e.entry(i, x),
        &mut |_| {},
    )?;
    Ok(e.finish().kept_json)
}

fn event_alerts(r: &mut Raise<'_>, e: &Event, from: u64, cfg: &MonitorConfig) {
    let details = serde_json::to_value(e).unwrap_or_default();
    match e {
        Event::Amendment {
            log_index,
            jurisdiction,
            state,
            countersigned,
            certified_at,
            shifts,
        } if *log_index >= from => {
            if let (Some(c), true) = (certified_at, *countersigned) {
                // Without a countersignature the engine's finding already alerted.
                r.raise(
                    "amendment-after-certification",
                    Severity::Warning,
                    Some(*log_index),
                    format!(
                        "jurisdiction {jurisdiction} amended its results after {state} was certified at log index {c} (countersigned by the authority)"
                    ),
                    details.clone(),
                );
            }
            for s in shifts
                .iter()
                .filter(|s| s.moved() > u128::from(cfg.margin_shift_votes))
            {
                r.raise(
                    "margin-shift",
                    Severity::Critical,
                    Some(*log_index),
                    format!(
                        "an amendment by {jurisdiction} moved the margin in {} by {} votes ({} → {}), more than the {} allowed",
                        s.contest,
                        s.moved(),
                        s.before,
                        s.after,
                        cfg.margin_shift_votes
                    ),
                    details.clone(),
                );
            }
        }
        Event::BallotsAboveRegistered { log_index, message } if *log_index >= from => {
            r.raise(
                "turnout-over-100",
                Severity::Critical,
                Some(*log_index),
                message.clone(),
                details,
            );
        }
        _ => {}
    }
}

/// Reads new security events: a refused document signed with a revoked key is an alert on
/// its own; so is a burst of refusals.
fn security(
    r: &mut Raise<'_>,
    src: &dyn Source,
    state: &mut MonitorState,
    cfg: &MonitorConfig,
) -> Result<(), SourceError> {
    let mut times = Vec::new();
    loop {
        let Some(events) = src.security_events(state.security_after)? else {
            return Ok(());
        };
        let list = events.as_array().cloned().unwrap_or_default();
        if list.is_empty() {
            break;
        }
        for ev in &list {
            let id = ev["id"].as_u64().unwrap_or(0);
            state.security_after = state.security_after.max(id);
            times.push(ev["at"].as_u64().unwrap_or(0));
            if ev["code"] == "revoked-key" {
                r.raise(
                    "revoked-key-signature",
                    Severity::Critical,
                    None,
                    format!(
                        "a document signed with a revoked key was sent (and refused): the key may be stolen: {}",
                        ev["message"].as_str().unwrap_or_default()
                    ),
                    ev.clone(),
                );
            }
        }
        if list.len() < 1000 {
            break;
        }
    }
    times.sort_unstable();
    let window = cfg.burst_window_secs;
    let mut lo = 0;
    let mut worst = (0usize, 0u64);
    for hi in 0..times.len() {
        while times[hi] - times[lo] > window {
            lo += 1;
        }
        if hi + 1 - lo > worst.0 {
            worst = (hi + 1 - lo, times[lo]);
        }
    }
    if cfg.burst_count > 0 && worst.0 >= cfg.burst_count {
        r.raise(
            "rejection-burst",
            Severity::Critical,
            None,
            format!(
                "{} documents were refused within {window} s (from {}): a possible attack",
                worst.0, worst.1
            ),
            serde_json::json!({"refused": worst.0, "window_secs": window, "since": worst.1, "total_new": times.len()}),
        );
    }
    Ok(())
}
