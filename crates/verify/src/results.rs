//! Results recomputed from the log: every `canvass-snapshot/v1` entry's `results_sha256`
//! (docs/submissions.md, "The log") checked by tabulating the submissions before it, and the
//! published results JSON (docs/results-json.md) compared byte for byte, then contest by
//! contest where it differs.
//!
//! Snapshots are shared out to worker threads: every worker applies every submission
//! (microseconds each) and computes the results only at its own share of the snapshots, with
//! `canvass_tally::LiveResults` rebuilding only the contests changed since its last one.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use canvass_model::{Election, PrecinctResult};
use canvass_tally::{LiveResults, ReportOptions, Tabulator};
use serde_json::Value;

use crate::report::{Check, Finding};

/// The canonical results JSON of a tabulator, exactly as the server publishes it.
pub fn results_json(tab: &Tabulator) -> String {
    let r = canvass_tally::results(tab, &ReportOptions::default());
    // Serializing the results document (strings, integers, maps with string keys) cannot fail.
    serde_json::to_string(&r).unwrap_or_default()
}

/// Lowercase hex of a SHA-256.
pub fn hex(d: &[u8; 32]) -> String {
    canvass_server::entry::hex(d)
}

enum Work {
    Apply(Arc<Vec<PrecinctResult>>),
    Snapshot {
        index: u64,
        sha: [u8; 32],
        keep: bool,
    },
    /// Send back what was found so far (and forget it).
    Drain(SyncSender<WorkerOut>),
}

/// What a worker found: findings, snapshots recomputed, and the results JSON at `keep`.
type WorkerOut = (Vec<Finding>, u64, Option<String>);

/// Checks snapshot entries on worker threads.
pub struct SnapshotWorkers {
    senders: Vec<SyncSender<Work>>,
    handles: Vec<JoinHandle<WorkerOut>>,
    next: usize,
    keep: Option<u64>,
}

impl SnapshotWorkers {
    /// `workers` threads (at least one) tabulating `election`; the results JSON at snapshot
    /// `keep` (a log index) is kept for comparison with the published results.
    pub fn new(election: &Election, workers: usize, keep: Option<u64>) -> Self {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..workers.max(1) {
            let (tx, rx) = mpsc::sync_channel(4096);
            let e = election.clone();
            handles.push(std::thread::spawn(move || worker(e, &rx)));
            senders.push(tx);
        }
        SnapshotWorkers {
            senders,
            handles,
            next: 0,
            keep,
        }
    }

    /// Keeps the results JSON at snapshot `keep` from now on (instead of the one given before).
    pub fn set_keep(&mut self, keep: Option<u64>) {
        self.keep = keep;
    }

    /// Waits until the workers have done everything sent so far and takes what they found
    /// since the last drain: findings (ordered by log index), snapshots recomputed, and the
    /// kept results JSON if it was computed since.
    pub fn drain(&mut self) -> WorkerOut {
        let mut replies = Vec::new();
        for tx in &self.senders {
            let (rtx, rrx) = mpsc::sync_channel(1);
            if tx.send(Work::Drain(rtx)).is_ok() {
                replies.push(rrx);
            }
        }
        let mut findings = Vec::new();
        let mut done = 0;
        let mut kept = None;
        for r in replies {
            if let Ok((f, n, k)) = r.recv() {
                findings.extend(f);
                done += n;
                kept = kept.or(k);
            }
        }
        findings.sort_by_key(|f| f.log_index);
        (findings, done, kept)
    }

    /// Every worker applies these reports.
    pub fn apply(&mut self, reports: &Arc<Vec<PrecinctResult>>) {
        for tx in &self.senders {
            let _ = tx.send(Work::Apply(Arc::clone(reports)));
        }
    }

    /// One worker checks that the results after the reports so far hash to `sha`.
    pub fn snapshot(&mut self, index: u64, sha: [u8; 32]) {
        let n = self.senders.len();
        let keep = self.keep == Some(index);
        let _ = self.senders[self.next % n].send(Work::Snapshot { index, sha, keep });
        self.next += 1;
    }

    /// Waits for the workers: their findings (ordered by log index), snapshots recomputed and
    /// the kept results JSON.
    pub fn finish(self) -> WorkerOut {
        drop(self.senders);
        let mut findings = Vec::new();
        let mut done = 0;
        let mut kept = None;
        for h in self.handles {
            if let Ok((f, n, k)) = h.join() {
                findings.extend(f);
                done += n;
                kept = kept.or(k);
            }
        }
        findings.sort_by_key(|f| f.log_index);
        (findings, done, kept)
    }
}

fn worker(election: Election, rx: &Receiver<Work>) -> WorkerOut {
    // Only the contests changed since this worker's last snapshot are rebuilt (the same bytes
    // as `results_json`, as `LiveResults` documents and its property test checks).
    let mut live = LiveResults::new(Tabulator::new(election), ReportOptions::default());
    let mut findings = Vec::new();
    let mut done = 0;
    let mut kept = None;
    while let Ok(w) = rx.recv() {
        match w {
            Work::Apply(reports) => {
                for r in reports.iter() {
                    // Reports the tabulator refuses were already reported by the engine.
                    let _ = live.apply(r);
                }
            }
            Work::Drain(reply) => {
                let _ = reply.send((std::mem::take(&mut findings), done, kept.take()));
                done = 0;
            }
            Work::Snapshot { index, sha, keep } => {
                let json = live.json();
                let got = canvass_server::entry::sha256(json.as_bytes());
                done += 1;
                if got != sha {
                    findings.push(
                        Finding::new(
                            Check::Snapshot,
                            "results_sha256 is not the SHA-256 of the results recomputed from the entries before it",
                        )
                        .at(index)
                        .values(hex(&sha), hex(&got))
                        .code("snapshot-differs"),
                    );
                }
                if keep {
                    kept = Some(json);
                }
            }
        }
    }
    (findings, done, kept)
}

/// Most findings reported for one results comparison.
const MAX_RESULT_FINDINGS: usize = 200;

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 300 {
        let mut cut = 300;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &s[..cut])
    } else {
        s
    }
}

pub(crate) fn level_of(contest: &Value) -> String {
    match (contest["district"].as_str(), contest["state"].as_str()) {
        (Some(d), _) => format!("district {d}"),
        (None, Some(s)) => format!("state {s}"),
        _ => "nation".to_owned(),
    }
}

/// Compares published results bytes with the recomputed canonical JSON. Equal bytes give no
/// finding; otherwise each differing value is one finding naming the contest, its level, the
/// field (with each selection of `totals` separately), published and recomputed values.
/// `log_index` is the snapshot entry the published results claim to be.
pub fn compare_published(
    published: &[u8],
    recomputed: &str,
    log_index: Option<u64>,
) -> Vec<Finding> {
    if published == recomputed.as_bytes() {
        return Vec::new();
    }
    let base = |msg: String| {
        let f = Finding::new(Check::Results, msg);
        match log_index {
            Some(i) => f.at(i),
            None => f,
        }
    };
    let (Ok(p), Ok(r)) = (
        serde_json::from_slice::<Value>(published),
        serde_json::from_str::<Value>(recomputed),
    ) else {
        return vec![base("the published results are not valid JSON".into())];
    };
    let mut out = Vec::new();
    let empty = Map::new();
    let (po, ro) = (
        p.as_object().unwrap_or(&empty),
        r.as_object().unwrap_or(&empty),
    );
    for (k, rv) in ro {
        if k == "contests" {
            continue;
        }
        let pv = po.get(k).unwrap_or(&Value::Null);
        if pv != rv {
            let mut f = base(format!("field {k} differs")).values(short(pv), short(rv));
            f.level = Some("nation".into());
            out.push(f);
        }
    }
    for k in po.keys().filter(|k| !ro.contains_key(*k)) {
        out.push(base(format!(
            "field {k} is published but not in the recomputed results"
        )));
    }
    let contests = |v: &Value| -> HashMap<String, Value> {
        v["contests"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|c| (c["id"].as_str().unwrap_or_default().to_owned(), c.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let pc = contests(&p);
    for rc in r["contests"].as_array().map_or(&[][..], Vec::as_slice) {
        let id = rc["id"].as_str().unwrap_or_default();
        let located = |f: Finding| Finding {
            contest: Some(id.to_owned()),
            level: Some(level_of(rc)),
            ..f
        };
        let Some(pcv) = pc.get(id) else {
            out.push(located(base(
                "the contest is missing from the published results".into(),
            )));
            continue;
        };
        diff_contest(pcv, rc, &mut |field, pv, rv| {
            out.push(located(
                base(format!("{field} differs")).values(short(pv), short(rv)),
            ));
        });
    }
    let rids: std::collections::HashSet<&str> = r["contests"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["id"].as_str()).collect())
        .unwrap_or_default();
    for id in pc.keys().filter(|id| !rids.contains(id.as_str())) {
        let mut f = base("the published results have a contest the election does not".into());
        f.contest = Some(id.clone());
        out.push(f);
    }
    if out.is_empty() {
        out.push(base(
            "the published bytes differ from the canonical results JSON, though every value is equal (field order, spacing or escapes)"
                .into(),
        ));
    }
    out.truncate(MAX_RESULT_FINDINGS);
    out
}

type Map = serde_json::Map<String, Value>;

pub(crate) fn diff_contest(p: &Value, r: &Value, report: &mut dyn FnMut(String, &Value, &Value)) {
    let empty = Map::new();
    let (po, ro) = (
        p.as_object().unwrap_or(&empty),
        r.as_object().unwrap_or(&empty),
    );
    for (k, rv) in ro {
        let pv = po.get(k).unwrap_or(&Value::Null);
        if pv == rv {
            continue;
        }
        if let (Some(pt), Some(rt), true) = (pv.as_object(), rv.as_object(), k == "totals") {
            for (name, rn) in rt {
                let pn = pt.get(name).unwrap_or(&Value::Null);
                if pn != rn {
                    report(format!("totals[{name:?}]"), pn, rn);
                }
            }
            for (name, pn) in pt.iter().filter(|(n, _)| !rt.contains_key(*n)) {
                report(format!("totals[{name:?}]"), pn, &Value::Null);
            }
        } else {
            report(k.clone(), pv, rv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_vote_count_is_located() {
        let r = r#"{"election":"e","contests":[{"id":"president-PA","state":"PA","district":null,"totals":{"A":60,"B":38},"ballots":100}]}"#;
        let p = r#"{"election":"e","contests":[{"id":"president-PA","state":"PA","district":null,"totals":{"A":61,"B":38},"ballots":100}]}"#;
        let f = compare_published(p.as_bytes(), r, Some(7));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].contest.as_deref(), Some("president-PA"));
        assert_eq!(f[0].level.as_deref(), Some("state PA"));
        assert_eq!(f[0].log_index, Some(7));
        assert_eq!(f[0].published.as_deref(), Some("61"));
        assert_eq!(f[0].recomputed.as_deref(), Some("60"));
        assert!(f[0].message.contains("totals[\"A\"]"), "{}", f[0].message);
        assert!(compare_published(r.as_bytes(), r, None).is_empty());
    }

    #[test]
    fn spacing_alone_is_still_a_finding() {
        let r = r#"{"a":1}"#;
        let f = compare_published(br#"{"a": 1}"#, r, None);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("field order, spacing"));
        let f = compare_published(b"not json", r, None);
        assert!(f[0].message.contains("not valid JSON"));
    }
}
