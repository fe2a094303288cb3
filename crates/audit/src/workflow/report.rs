//! Retrieval lists and the audit report (HTML with an inline SVG risk plot per contest, and
//! CSV), rendered from an [`AuditState`] alone.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use crate::retrieval::{RetrievalEntry, render_csv, retrieval_lists};
use crate::workflow::record::{Decision, Method};
use crate::workflow::state::{AuditState, ContestStatus};

/// Ticket digits printed on retrieval lists.
const TICKET_DIGITS: usize = 9;

/// The retrieval lists of `round` per jurisdiction, sorted by tabulator, batch and position:
/// the round's draws, without ballots already pulled in an earlier round (their earlier
/// interpretation counts again).
pub fn retrieval(st: &AuditState, round: u64) -> BTreeMap<String, Vec<RetrievalEntry>> {
    let Some(u) = &st.universe else {
        return BTreeMap::new();
    };
    let earlier: HashSet<&str> = st
        .rounds
        .iter()
        .filter(|r| r.number < round)
        .flat_map(|r| r.ballots.iter().map(|d| d.draw.id.as_str()))
        .collect();
    let draws: Vec<_> = st
        .rounds
        .iter()
        .filter(|r| r.number == round)
        .flat_map(|r| r.ballots.iter())
        .filter(|d| !earlier.contains(d.draw.id.as_str()))
        .cloned()
        .collect();
    retrieval_lists(u, &draws)
}

/// A retrieval list as CSV (`jurisdiction,tabulator,batch,position,times_drawn,tickets`).
pub fn retrieval_csv(entries: &[RetrievalEntry]) -> String {
    render_csv(entries, TICKET_DIGITS)
}

/// HTML-escapes text.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em}table{border-collapse:collapse}\
td,th{border:1px solid #999;padding:2px 8px;text-align:left}th{background:#eee}\
@media print{.noprint{display:none}tr{break-inside:avoid}}";

/// A printable retrieval list for one jurisdiction (no scripts).
pub fn retrieval_html(
    st: &AuditState,
    round: u64,
    jurisdiction: &str,
    entries: &[RetrievalEntry],
) -> String {
    let mut h = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Retrieval list: {j}, round {round}</title><style>{STYLE}</style></head><body>\
<h1>Retrieval list: {j}</h1><p>Audit {a}, round {round}, seed {seed}. {n} ballots, sorted by batch and position. \
Pull each ballot, keep it in order, and record the audit board's reading.</p>\
<table><thead><tr><th>#</th><th>Tabulator</th><th>Batch</th><th>Position</th><th>Times drawn</th><th>Tickets</th><th>Retrieved</th></tr></thead><tbody>",
        j = esc(jurisdiction),
        a = esc(&st.audit),
        seed = esc(&st.start.seed),
        n = entries.len(),
    );
    for (i, e) in entries.iter().enumerate() {
        let tickets: Vec<String> = e
            .tickets
            .iter()
            .map(|t| crate::consistent::trim_ticket(t, TICKET_DIGITS))
            .collect();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>&#9744;</td></tr>",
            i + 1,
            esc(e.tabulator.as_deref().unwrap_or("")),
            esc(&e.batch),
            e.position,
            e.tickets.len(),
            esc(&tickets.join(" "))
        );
    }
    h.push_str("</tbody></table></body></html>\n");
    h
}

/// `(ballots or batch draws sampled, p-value)` after each measured round, from `(0, 1)`.
fn risk_points(st: &AuditState, contest: &str) -> Vec<(u64, f64)> {
    let mut pts = vec![(0, 1.0)];
    for r in &st.rounds {
        if let Some(c) = r
            .measure
            .as_ref()
            .and_then(|m| m.contests.iter().find(|c| c.contest == contest))
        {
            pts.push((c.sampled, c.p_value.parse().unwrap_or(1.0)));
        }
    }
    pts
}

/// An inline SVG plot of the measured risk (log scale, 1 down to 0.001 or below the limit)
/// against the number sampled, with the risk limit as a dashed line.
pub fn risk_plot_svg(points: &[(u64, f64)], alpha: f64, x_label: &str) -> String {
    let (w, h, left, bottom, top, right) = (480.0, 240.0, 56.0, 36.0, 12.0, 16.0);
    let max_x = points.iter().map(|p| p.0).max().unwrap_or(1).max(1) as f64;
    let floor = points
        .iter()
        .map(|p| p.1)
        .chain([alpha / 10.0, 0.001])
        .fold(1.0f64, f64::min)
        .max(1e-12);
    let decades = (-floor.log10()).ceil().max(1.0);
    let x = |v: f64| left + v / max_x * (w - left - right);
    let y = |p: f64| top + (-(p.max(1e-12)).log10() / decades).min(1.0) * (h - top - bottom);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"measured risk against {x_label}\">\
<rect x=\"{left}\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>",
        w - left - right,
        h - top - bottom
    );
    for d in 0..=(decades as i32) {
        let p = 10f64.powi(-d);
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
            left - 4.0,
            y(p) + 3.0,
            if d <= 3 {
                format!("{p}")
            } else {
                format!("1e-{d}")
            }
        );
    }
    let _ = write!(
        s,
        "<line x1=\"{left}\" x2=\"{}\" y1=\"{ya:.1}\" y2=\"{ya:.1}\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"10\" fill=\"#c00\" text-anchor=\"end\">risk limit {alpha}</text>",
        w - right,
        w - right - 2.0,
        y(alpha) - 3.0,
        ya = y(alpha)
    );
    let path: Vec<String> = points
        .iter()
        .map(|&(n, p)| format!("{:.1},{:.1}", x(n as f64), y(p)))
        .collect();
    let _ = write!(
        s,
        "<polyline fill=\"none\" stroke=\"#036\" stroke-width=\"2\" points=\"{}\"/>",
        path.join(" ")
    );
    for &(n, p) in points {
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#036\"><title>{n}: {p}</title></circle>",
            x(n as f64),
            y(p)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{left}\" y=\"{}\" font-size=\"10\">0</text><text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text></svg>",
        h - bottom + 14.0,
        w - right,
        h - bottom + 14.0,
        max_x,
        (left + w - right) / 2.0,
        h - 4.0,
        esc(x_label)
    );
    s
}

fn status_text(s: ContestStatus) -> String {
    match s {
        ContestStatus::Active => "in progress".into(),
        ContestStatus::Confirmed(r) => format!("confirmed in round {r}"),
        ContestStatus::FullHandCount(r) => format!("full hand count after round {r}"),
    }
}

/// The audit report as HTML: parameters, manifests, rounds, and per contest the outcome, the
/// measurements and an inline SVG plot of the risk against the sample size. No scripts.
pub fn report_html(st: &AuditState) -> String {
    let mut h = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Risk-limiting audit {a}</title><style>{STYLE}</style></head><body>\
<h1>Risk-limiting audit {a}</h1><p>Election {e}; reported results of the snapshot at log index {after} (SHA-256 {sha}). \
Risk limit {rl}; seed {seed}; at most {mr} rounds. {n} records.</p>",
        a = esc(&st.audit),
        e = esc(&st.start.election),
        after = st.start.results.after,
        sha = esc(&st.start.results.results_sha256),
        rl = esc(&st.start.risk_limit),
        seed = esc(&st.start.seed),
        mr = st.start.max_rounds,
        n = st.records.len(),
    );
    h.push_str("<h2>Ballot manifests</h2><table><thead><tr><th>Jurisdiction</th><th>Batches</th><th>Ballots</th><th>SHA-256</th></tr></thead><tbody>");
    for (j, m) in &st.manifests {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(j),
            m.manifest.batches().len(),
            m.manifest.total_ballots(),
            m.sha256
        );
    }
    if !st.cvrs.is_empty() {
        h.push_str("</tbody></table><h2>Cast vote records</h2><table><thead><tr><th>Jurisdiction</th><th>Ballots</th><th>SHA-256</th></tr></thead><tbody>");
        for (j, c) in &st.cvrs {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(j),
                c.ballots.len(),
                c.sha256
            );
        }
    }
    h.push_str("</tbody></table><h2>Rounds</h2><table><thead><tr><th>Round</th><th>Ballots drawn</th><th>Total</th><th>Batch draws</th><th>Sample SHA-256</th></tr></thead><tbody>");
    for r in &st.rounds {
        let b: u64 = r.draw.batches.iter().map(|b| b.draws).sum();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{b}</td><td><code>{}</code></td></tr>",
            r.number, r.draw.ballots, r.draw.total, r.draw.sample_sha256
        );
    }
    h.push_str("</tbody></table><h2>Contests</h2>");
    for c in &st.start.contests {
        let status = st
            .status
            .get(&c.id)
            .copied()
            .unwrap_or(ContestStatus::Active);
        let tally: Vec<String> = c
            .tally
            .iter()
            .map(|(n, v)| format!("{} {v}", esc(n)))
            .collect();
        let _ = write!(
            h,
            "<h3>{} ({})</h3><p>Method {}; {} winner(s); {} ballots; reported {}. <strong>{}</strong>.</p>\
<table><thead><tr><th>Round</th><th>Sampled</th><th>Risk (p-value)</th><th>Decision</th><th>Next size</th></tr></thead><tbody>",
            esc(&c.name),
            esc(&c.id),
            c.method.name(),
            c.winners,
            c.ballots,
            tally.join(", "),
            status_text(status)
        );
        for r in &st.rounds {
            if let Some(m) = r
                .measure
                .as_ref()
                .and_then(|m| m.contests.iter().find(|x| x.contest == c.id))
            {
                let next = if m.decision == Decision::NextRound {
                    m.next_size.to_string()
                } else {
                    String::new()
                };
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{next}</td></tr>",
                    r.number,
                    m.sampled,
                    m.p_value,
                    m.decision.name()
                );
            }
        }
        h.push_str("</tbody></table>");
        let label = if c.method == Method::Macro {
            "batches drawn"
        } else {
            "ballots sampled"
        };
        h.push_str(&risk_plot_svg(&risk_points(st, &c.id), st.alpha, label));
    }
    h.push_str("</body></html>\n");
    h
}

/// The audit report as CSV: one row per contest and measured round.
pub fn report_csv(st: &AuditState) -> String {
    let mut out =
        String::from("audit,contest,method,round,sampled,p_value,risk_limit,decision,next_size\n");
    let q = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    for c in &st.start.contests {
        for r in &st.rounds {
            if let Some(m) = r
                .measure
                .as_ref()
                .and_then(|m| m.contests.iter().find(|x| x.contest == c.id))
            {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{}",
                    q(&st.audit),
                    q(&c.id),
                    c.method.name(),
                    r.number,
                    m.sampled,
                    m.p_value,
                    st.start.risk_limit,
                    m.decision.name(),
                    m.next_size
                );
            }
        }
    }
    out
}
