//! The demo's election night as a pure, seeded schedule: who reports what, and when.
//!
//! Every reporting jurisdiction reports its precinct results after its state's polls close
//! (the latest closing time in the state, [`POLLS_CLOSE_ET`]), in one to three waves of
//! precincts (a first partial report, then the rest), each wave split into submissions of
//! at most [`MAX_PRECINCTS_PER_SUBMISSION`] precincts and [`MAX_RESULTS_BYTES`] bytes. A few jurisdictions ([`AMENDMENTS`])
//! report one count with two digits transposed on election night and correct it days
//! later with an amendment stating the reason. Each state is certified weeks later.
//!
//! Times are seconds since the Unix epoch on the simulated clock, starting from election
//! day 2020-11-03 at midnight Eastern Standard Time; the same seed always gives the same
//! schedule. Randomness is SplitMix64 seeded from the seed and the jurisdiction's position.

use std::collections::BTreeMap;

use canvass_model::{JurisdictionId, PrecinctResult, StateId};
use canvass_sim::JurisdictionResults;

/// 2020-11-03T00:00:00-05:00 (midnight Eastern Standard Time on election day), in seconds
/// since the Unix epoch.
pub const ELECTION_DAY_ET: u64 = 1_604_379_600;

/// Poll-closing times, in minutes after midnight Eastern Time (the latest in each state).
pub const POLLS_CLOSE_ET: [(u32, &[&str]); 10] = [
    (15 * 60, &["PR", "GU", "MP", "AS"]),
    (19 * 60, &["GA", "IN", "KY", "SC", "VT", "VA", "VI"]),
    (19 * 60 + 30, &["NC", "OH", "WV"]),
    (
        20 * 60,
        &[
            "AL", "CT", "DE", "DC", "FL", "IL", "ME", "MD", "MA", "MS", "MO", "NH", "NJ", "OK",
            "PA", "RI", "TN",
        ],
    ),
    (20 * 60 + 30, &["AR"]),
    (
        21 * 60,
        &[
            "AZ", "CO", "KS", "LA", "MI", "MN", "NE", "NM", "NY", "ND", "SD", "TX", "WI", "WY",
        ],
    ),
    (22 * 60, &["IA", "MT", "NV", "UT"]),
    (23 * 60, &["CA", "ID", "OR", "WA"]),
    (24 * 60, &["HI"]),
    (25 * 60, &["AK"]),
];

/// At most this many precincts go into one submission.
pub const MAX_PRECINCTS_PER_SUBMISSION: usize = 400;

/// At most this many bytes of precinct results (as JSON) go into one submission: a log
/// entry holds at most 65,535 bytes, and the document adds its header, an amendment's
/// reason and the signature.
pub const MAX_RESULTS_BYTES: usize = 56_000;

/// How many jurisdictions make (and later correct) a transposition error.
pub const AMENDMENTS: usize = 6;

/// One reporting jurisdiction and everything it will report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reporter {
    /// The jurisdiction (its roster id).
    pub id: JurisdictionId,
    /// Its state.
    pub state: StateId,
    /// Its precincts' true results.
    pub results: Vec<PrecinctResult>,
}

/// A count reported with two digits transposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typo {
    /// Index of the precinct in the reporter's results.
    pub precinct: usize,
    /// Index of the contest count in that precinct's result.
    pub contest: usize,
    /// Index of the selection count in that contest count.
    pub vote: usize,
    /// The wrong count sent (the true count with two digits swapped).
    pub wrong: u64,
}

/// What happens at one moment of the night.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// Polls close in these states.
    PollsClose {
        /// Postal codes.
        states: Vec<String>,
    },
    /// A jurisdiction submits precinct results.
    Report {
        /// Index into [`Night::reporters`].
        reporter: usize,
        /// The submission's sequence number.
        sequence: u64,
        /// Indices into the reporter's results, ascending.
        precincts: Vec<usize>,
        /// Whether this is the jurisdiction's last report of the night.
        last: bool,
        /// A count sent wrong (corrected later by an amendment).
        typo: Option<Typo>,
    },
    /// A jurisdiction corrects an earlier submission.
    Amend {
        /// Index into [`Night::reporters`].
        reporter: usize,
        /// The amendment's sequence number.
        sequence: u64,
        /// The sequence number it supersedes.
        supersedes: u64,
        /// The superseded submission's precincts, now all with their true counts.
        precincts: Vec<usize>,
        /// The count that was wrong.
        typo: Typo,
    },
    /// The authority certifies a state's results.
    Certify {
        /// Postal code.
        state: String,
    },
}

/// One scheduled event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Simulated time, seconds since the Unix epoch.
    pub at: u64,
    /// What happens.
    pub what: What,
}

/// The whole night.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Night {
    /// The reporting jurisdictions, in the simulation's order.
    pub reporters: Vec<Reporter>,
    /// Every event, in the order it happens.
    pub events: Vec<Event>,
}

/// SplitMix64 (Steele, Lea and Flood 2014): small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xD134_2543_DE82_EF95));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// The minute after midnight ET at which the polls close in `state` (20:00 if not listed).
pub fn polls_close(state: &str) -> u32 {
    POLLS_CLOSE_ET
        .iter()
        .find(|(_, s)| s.contains(&state))
        .map_or(20 * 60, |(m, _)| *m)
}

/// `v` with one pair of adjacent decimal digits swapped so that it gets smaller (the
/// rightmost such pair; never a leading zero), or `None` if no swap makes it smaller.
pub fn transpose_down(v: u64) -> Option<u64> {
    let mut d: Vec<u8> = v.to_string().into_bytes();
    let i = (0..d.len().saturating_sub(1))
        .rev()
        .find(|&i| d[i] > d[i + 1] && !(i == 0 && d[1] == b'0'))?;
    d.swap(i, i + 1);
    String::from_utf8(d).ok()?.parse().ok()
}

/// Merges the simulation's per-county results into one reporter per jurisdiction id.
fn reporters(sim: &[JurisdictionResults]) -> Vec<Reporter> {
    let mut out: Vec<Reporter> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for j in sim {
        match index.get(j.jurisdiction.as_str()) {
            Some(&i) => out[i].results.extend(j.results.iter().cloned()),
            None => {
                index.insert(j.jurisdiction.as_str(), out.len());
                out.push(Reporter {
                    id: j.jurisdiction.clone(),
                    state: j.state.clone(),
                    results: j.results.clone(),
                });
            }
        }
    }
    out
}

/// Event order at equal times: polls close first, then reports, amendments, certifications.
fn rank(w: &What) -> u8 {
    match w {
        What::PollsClose { .. } => 0,
        What::Report { .. } => 1,
        What::Amend { .. } => 2,
        What::Certify { .. } => 3,
    }
}

/// Finds a count in the first report that a transposition makes smaller.
fn find_typo(r: &Reporter, precincts: &[usize], rng: &mut Rng) -> Option<Typo> {
    let start = rng.range(0, precincts.len() as u64 - 1) as usize;
    for k in 0..precincts.len() {
        let p = precincts[(start + k) % precincts.len()];
        for (ci, c) in r.results[p].contests.iter().enumerate() {
            for (vi, v) in c.votes.iter().enumerate() {
                if let Some(wrong) = transpose_down(v.votes).filter(|_| v.votes >= 100) {
                    return Some(Typo {
                        precinct: p,
                        contest: ci,
                        vote: vi,
                        wrong,
                    });
                }
            }
        }
    }
    None
}

/// Splits a wave (precinct indices) into submissions of at most
/// [`MAX_PRECINCTS_PER_SUBMISSION`] precincts and [`MAX_RESULTS_BYTES`] bytes (a single
/// larger precinct goes alone).
fn chunk(wave: &[usize], sizes: &[usize]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut bytes = 0;
    for &p in wave {
        match out.last_mut() {
            Some(c)
                if c.len() < MAX_PRECINCTS_PER_SUBMISSION
                    && bytes + sizes[p] <= MAX_RESULTS_BYTES =>
            {
                c.push(p);
                bytes += sizes[p];
            }
            _ => {
                out.push(vec![p]);
                bytes = sizes[p];
            }
        }
    }
    out
}

/// Plans the night for the simulated results `sim` with `seed`.
pub fn plan(sim: &[JurisdictionResults], seed: u64) -> Night {
    let reporters = reporters(sim);
    let mut events: Vec<(Event, u64)> = Vec::new();
    let push = |events: &mut Vec<(Event, u64)>, at: u64, what: What, key: u64| {
        events.push((Event { at, what }, key));
    };
    // Polls closing, for the states that have jurisdictions.
    for &(minute, states) in &POLLS_CLOSE_ET {
        let present: Vec<String> = states
            .iter()
            .filter(|s| reporters.iter().any(|r| r.state.as_str() == **s))
            .map(|s| (*s).to_owned())
            .collect();
        if !present.is_empty() {
            let at = ELECTION_DAY_ET + u64::from(minute) * 60;
            push(&mut events, at, What::PollsClose { states: present }, 0);
        }
    }
    // Reports: waves of precincts, each split into submissions.
    let mut last_sequence = vec![0u64; reporters.len()];
    let mut first_report: Vec<Option<usize>> = vec![None; reporters.len()];
    let mut last_at = vec![0u64; reporters.len()];
    for (ri, r) in reporters.iter().enumerate() {
        let mut rng = Rng::new(seed, ri as u64 + 1);
        let n = r.results.len();
        if n == 0 {
            continue;
        }
        let sizes: Vec<usize> = r
            .results
            .iter()
            .map(|p| serde_json::to_string(p).map_or(MAX_RESULTS_BYTES, |j| j.len() + 1))
            .collect();
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            order.swap(i, rng.range(0, i as u64) as usize);
        }
        let waves = match n {
            1 => 1,
            2..=3 => 2,
            _ => 2 + rng.range(0, 1) as usize,
        };
        let mut cuts = vec![0usize];
        let first = (n * rng.range(25, 60) as usize / 100).clamp(1, n - (waves - 1));
        cuts.push(first);
        if waves == 3 {
            let rest = n - first;
            cuts.push((first + rest * rng.range(30, 80) as usize / 100).clamp(first + 1, n - 1));
        }
        cuts.push(n);
        let close = ELECTION_DAY_ET + u64::from(polls_close(r.state.as_str())) * 60;
        let mut at = close + rng.range(5 * 60, 90 * 60);
        for w in 0..waves {
            if w > 0 {
                at += rng.range(30 * 60, 180 * 60);
            }
            let mut wave: Vec<usize> = order[cuts[w]..cuts[w + 1]].to_vec();
            wave.sort_unstable();
            let chunks = chunk(&wave, &sizes);
            for (k, chunk) in chunks.iter().enumerate() {
                last_sequence[ri] += 1;
                let t = at + k as u64;
                last_at[ri] = t;
                if first_report[ri].is_none() {
                    first_report[ri] = Some(events.len());
                }
                let key = rng.next();
                push(
                    &mut events,
                    t,
                    What::Report {
                        reporter: ri,
                        sequence: last_sequence[ri],
                        precincts: chunk.clone(),
                        last: w + 1 == waves && k + 1 == chunks.len(),
                        typo: None,
                    },
                    key,
                );
            }
        }
    }
    // Amendments: a few jurisdictions, chosen by the seed, sent one count wrong.
    let mut rng = Rng::new(seed, 0);
    let mut candidates: Vec<usize> = (0..reporters.len()).collect();
    for i in (1..candidates.len()).rev() {
        candidates.swap(i, rng.range(0, i as u64) as usize);
    }
    let mut amended = 0;
    for ri in candidates {
        if amended == AMENDMENTS {
            break;
        }
        let Some(ei) = first_report[ri] else { continue };
        let What::Report {
            sequence,
            precincts,
            ..
        } = &events[ei].0.what
        else {
            continue;
        };
        let (sequence, precincts) = (*sequence, precincts.clone());
        let Some(typo) = find_typo(&reporters[ri], &precincts, &mut rng) else {
            continue;
        };
        if let What::Report { typo: t, .. } = &mut events[ei].0.what {
            *t = Some(typo.clone());
        }
        last_sequence[ri] += 1;
        // During the canvass: two to nine days later, in office hours.
        let day = last_at[ri].saturating_sub(ELECTION_DAY_ET) / 86_400 + rng.range(2, 9);
        let at = ELECTION_DAY_ET + day * 86_400 + rng.range(9 * 3600, 17 * 3600);
        let key = rng.next();
        push(
            &mut events,
            at,
            What::Amend {
                reporter: ri,
                sequence: last_sequence[ri],
                supersedes: sequence,
                precincts,
                typo,
            },
            key,
        );
        amended += 1;
    }
    // Certification: each state three to four weeks after election day, at noon.
    let mut states: Vec<&str> = Vec::new();
    for r in &reporters {
        if !states.contains(&r.state.as_str()) {
            states.push(r.state.as_str());
        }
    }
    for s in states {
        let at = ELECTION_DAY_ET + rng.range(21, 28) * 86_400 + 12 * 3600;
        let key = rng.next();
        push(
            &mut events,
            at,
            What::Certify {
                state: s.to_owned(),
            },
            key,
        );
    }
    events.sort_by_key(|(e, key)| (e.at, rank(&e.what), *key));
    Night {
        reporters,
        events: events.into_iter().map(|(e, _)| e).collect(),
    }
}

#[cfg(test)]
mod tests;
