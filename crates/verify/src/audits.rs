//! Risk-limiting audits recomputed from the log (issue 9, `docs/audit.md`): every
//! `canvass-audit/v1` record signed by the authority is replayed with
//! [`canvass_audit::workflow::Checker`], which redraws each round's sample from the logged
//! seed and manifests, recomputes every estimate, risk measure and decision from the logged
//! interpretations and batch counts, and compares them with the logged figures.
//!
//! Each difference is one [`Finding`] (`audit-differs`) located by log entry, audit
//! (`level`: `audit NAME`), round (`unit`: `round R`) and contest, with the logged and the
//! recomputed value; the audit goes on from the recomputed figures, so one tampered
//! measurement is reported once. A record that cannot follow the records before it
//! (`audit-refused`) stops the checking of that audit. A start record must name a results
//! snapshot logged before it (`audit-results`).
//!
//! ```text
//! [audit] audit-differs: log entry 9: contest president-PA (audit 2026-rla round 1):
//!   measure record seq 5: p_value differs from its recomputation: published 0.001000,
//!   recomputed 0.093464
//! ```

use std::collections::BTreeMap;

use canvass_audit::workflow::{AuditRecord, Checked, Checker, Difference, Step};

use crate::report::{Check, Finding};

/// The audits of a log, checked record by record in log order.
#[derive(Debug, Default)]
pub struct Audits {
    checker: Checker,
}

impl Audits {
    /// Checks the audit record logged at `index`; `snapshots` are the results snapshots
    /// logged before it (log index → `results_sha256`).
    pub fn record(
        &mut self,
        index: u64,
        r: &AuditRecord,
        snapshots: &BTreeMap<u64, String>,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Step::Start(s) = &r.step {
            if snapshots.get(&s.results.after) != Some(&s.results.results_sha256) {
                out.push(
                    located(
                        Finding::new(
                            Check::Audit,
                            format!(
                                "the audit's start names no results snapshot logged before it: there is none at log index {} with SHA-256 {}",
                                s.results.after, s.results.results_sha256
                            ),
                        ),
                        index,
                        &r.audit,
                    )
                    .code("audit-results"),
                );
            }
        }
        match self.checker.check(r) {
            Checked::Follows | Checked::Unchecked => {}
            Checked::Differs(list) => out.extend(list.into_iter().map(|d| differs(index, d))),
            Checked::Refused(e) => out.push(
                located(
                    Finding::new(
                        Check::Audit,
                        format!(
                            "the record cannot follow the audit's records before it, so the audit's later records are not checked: {e}"
                        ),
                    ),
                    index,
                    &r.audit,
                )
                .code("audit-refused"),
            ),
        }
        out
    }
}

fn located(mut f: Finding, index: u64, audit: &str) -> Finding {
    f.level = Some(format!("audit {audit}"));
    f.at(index)
}

fn differs(index: u64, d: Difference) -> Finding {
    let mut f = located(
        Finding::new(
            Check::Audit,
            format!(
                "{} record seq {}: {} differs from its recomputation",
                d.step, d.seq, d.field
            ),
        ),
        index,
        &d.audit,
    )
    .code("audit-differs")
    .values(d.logged, d.recomputed);
    f.unit = Some(format!("round {}", d.round));
    f.contest = d.contest;
    f
}
