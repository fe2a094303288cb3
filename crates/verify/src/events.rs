//! What a replay notices that is not in itself a discrepancy (amendments and how far they move
//! margins, certifications, turnout above 100%): the monitor alerts on some of them
//! (docs/verify.md, "Alerts").

use std::collections::BTreeMap;

use canvass_tally::Tabulator;

/// How one amendment moved a contest's margin.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MarginShift {
    /// The contest.
    pub contest: String,
    /// Leader minus runner-up before the amendment (the two leading selections before it).
    pub before: i128,
    /// The same two selections' difference after it.
    pub after: i128,
}

impl MarginShift {
    /// How far the margin moved, in votes.
    pub fn moved(&self) -> u128 {
        self.after.abs_diff(self.before)
    }
}

/// Something noteworthy that is not in itself a discrepancy (the monitor alerts on some).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Event {
    /// A logged amendment.
    Amendment {
        /// Its log index.
        log_index: u64,
        /// The jurisdiction.
        jurisdiction: String,
        /// Its state.
        state: String,
        /// Whether the authority countersigned it.
        countersigned: bool,
        /// The log index of the state's certification, if it was certified before.
        certified_at: Option<u64>,
        /// Margin moves in the contests it reports.
        shifts: Vec<MarginShift>,
    },
    /// An accepted submission with more ballots than registered voters.
    BallotsAboveRegistered {
        /// Its log index.
        log_index: u64,
        /// What was seen.
        message: String,
    },
    /// A state was certified.
    Certified {
        /// Its log index.
        log_index: u64,
        /// The state.
        state: String,
    },
}

/// Per contest the reports touch: the two leading selections and their difference.
pub(crate) fn margins(
    tab: &Tabulator,
    reports: &[canvass_model::PrecinctResult],
) -> BTreeMap<String, (usize, usize, i128)> {
    let mut out = BTreeMap::new();
    for r in reports {
        for c in &r.contests {
            let id = c.contest.to_string();
            if out.contains_key(&id) {
                continue;
            }
            let Some(v) = selection_votes(tab, &id) else {
                continue;
            };
            let mut order: Vec<usize> = (0..v.len()).collect();
            order.sort_by(|&a, &b| v[b].cmp(&v[a]).then(a.cmp(&b)));
            let (a, b) = (
                order.first().copied().unwrap_or(0),
                order.get(1).copied().unwrap_or(0),
            );
            let m = i128::from(v.get(a).copied().unwrap_or(0))
                - i128::from(v.get(b).copied().unwrap_or(0));
            out.insert(id, (a, b, m));
        }
    }
    out
}

pub(crate) fn diff_of(tab: &Tabulator, contest: &str, a: usize, b: usize) -> i128 {
    let v = selection_votes(tab, contest).unwrap_or_default();
    i128::from(v.get(a).copied().unwrap_or(0)) - i128::from(v.get(b).copied().unwrap_or(0))
}

/// Votes per selection of a contest (fusion lines summed).
fn selection_votes(tab: &Tabulator, contest: &str) -> Option<Vec<u64>> {
    let &ci = tab.index().contest_of.get(contest)?;
    let cix = &tab.index().contests[ci];
    let n = tab.election().contests.get(ci)?.selections.len();
    let mut v = vec![0u64; n];
    for (col, votes) in cix.columns.iter().zip(&tab.counts()[ci].total.columns) {
        if let Some(s) = v.get_mut(col.selection) {
            *s += votes;
        }
    }
    Some(v)
}
