//! A deterministic simulator of a US general election at national scale.
//!
//! Given a definition (e.g. the built-in `us-2020`), a seed and a scale, [`simulate`]
//! creates precincts for every county, with registration and turnout, and precinct
//! results for every contest. The presidential results add up exactly to the real 2020
//! state returns (see [`returns`]); other contests are synthetic but consistent
//! (`ballots × vote_for = votes + overvotes + undervotes` in every precinct).
//!
//! Determinism: all randomness comes from ChaCha8 seeded with the seed and the state's
//! position, and all arithmetic on counts is integer arithmetic (largest-remainder
//! apportionment), so the same seed gives the same bytes on every platform.
//!
//! Ballot level ([`cvr`]): [`ballots`] makes every precinct's ballots so that they count
//! back to its results exactly; [`nist`] and [`compact`] write them as NIST SP 1500-103
//! CVR JSON and as compact CVR CSV, one shard per reporting jurisdiction, and the ballot
//! manifest ([`Simulation::manifest`]) lists the same batches and positions.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod ballots;
pub mod compact;
pub mod cvr;
pub mod error;
pub mod nist;
pub mod returns;

pub use ballots::{BallotMaker, Mark, PrecinctBallots};
pub use cvr::CvrPlan;
pub use error::CvrError;

use canvass_model::*;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// How to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimOptions {
    /// The seed; the same seed gives the same election.
    pub seed: u64,
    /// Scale in thousandths: 1000 is the real size (about 158 million ballots).
    pub scale_permille: u32,
    /// Target ballots per precinct (about 900 gives about 175,000 precincts).
    pub ballots_per_precinct: u64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 2020,
            scale_permille: 1000,
            ballots_per_precinct: 900,
        }
    }
}

/// One reporting jurisdiction's precinct results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JurisdictionResults {
    /// The jurisdiction (a county's FIPS code in the built-in elections).
    pub jurisdiction: JurisdictionId,
    /// Its state.
    pub state: StateId,
    /// One result per precinct, every counting group together.
    pub results: Vec<PrecinctResult>,
}

/// One batch of a ballot manifest: where paper ballots are kept, for audits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestBatch {
    /// The jurisdiction.
    pub jurisdiction: JurisdictionId,
    /// The precinct whose ballots the batch holds.
    pub precinct: PrecinctId,
    /// The batch id, unique within the jurisdiction: `PRECINCT-N`, N from 1.
    pub batch: String,
    /// Ballots in the batch.
    pub ballots: u64,
}

/// Ballots per manifest batch: a precinct's ballots fill batches of this many in order,
/// the last one holding the rest.
pub const BATCH_SIZE: u64 = 300;

/// The place of a precinct's ballot `i` (0-based): its batch number (from 1; the batch id
/// is `PRECINCT-N`) and its 1-based position in the batch.
pub fn ballot_place(i: usize) -> (u64, u64) {
    (i as u64 / BATCH_SIZE + 1, i as u64 % BATCH_SIZE + 1)
}

/// The manifest batches of one precinct's `ballots`.
pub fn precinct_batches(
    jurisdiction: &JurisdictionId,
    precinct: &PrecinctId,
    ballots: u64,
) -> impl Iterator<Item = ManifestBatch> {
    (0..ballots.div_ceil(BATCH_SIZE)).map(move |b| ManifestBatch {
        jurisdiction: jurisdiction.clone(),
        precinct: precinct.clone(),
        batch: format!("{precinct}-{}", b + 1),
        ballots: (ballots - b * BATCH_SIZE).min(BATCH_SIZE),
    })
}

/// A simulated election.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulation {
    /// The definition, with the simulated precincts added.
    pub election: Election,
    /// Results, per reporting jurisdiction, in definition order.
    pub jurisdictions: Vec<JurisdictionResults>,
    /// Ballot manifests: each precinct's ballots in batches of at most [`BATCH_SIZE`], in
    /// the order of [`Simulation::jurisdictions`] and their results.
    pub manifest: Vec<ManifestBatch>,
}

/// Ballots cast in the territories, which have no presidential returns (approximate,
/// synthetic: used only to size their simulated contests).
const TERRITORY_BALLOTS: [(&str, u64); 5] = [
    ("PR", 1_300_000),
    ("GU", 40_000),
    ("VI", 20_000),
    ("AS", 12_000),
    ("MP", 16_000),
];

/// Splits `total` in proportion to `weights` by largest remainder; the parts add up to
/// `total` exactly. Zero weights everywhere split it evenly.
pub fn apportion(total: u64, weights: &[u64]) -> Vec<u64> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    let (weights, sum): (Vec<u128>, u128) = if sum == 0 {
        (vec![1; n], n as u128)
    } else {
        (weights.iter().map(|&w| u128::from(w)).collect(), sum)
    };
    let t = u128::from(total);
    let mut parts: Vec<u64> = weights.iter().map(|&w| (t * w / sum) as u64).collect();
    let given: u64 = parts.iter().sum();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        ((t * weights[b]) % sum)
            .cmp(&((t * weights[a]) % sum))
            .then(a.cmp(&b))
    });
    for &i in order.iter().take((total - given) as usize) {
        parts[i] += 1;
    }
    parts
}

fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    rng.next_u64() % n.max(1)
}

/// Simulates an election on `e`, which must carry presidential contests `president-XX`
/// for the states in the 2020 returns (as `us-2020` and `us-2024` do).
///
/// # Errors
/// A message if the embedded returns cannot be read or do not fit the definition.
pub fn simulate(e: &Election, opts: &SimOptions) -> Result<Simulation, String> {
    let returns = returns::president_2020(e)?;
    let mut election = e.clone();
    election.precincts.clear();
    let mut jurisdictions = Vec::new();
    let mut manifest = Vec::new();
    let scale = |v: u64| v * u64::from(opts.scale_permille) / 1000;
    for (si, state) in e.states.iter().enumerate() {
        let postal = state.postal.as_str();
        let mut rng = ChaCha8Rng::seed_from_u64(
            opts.seed ^ (si as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let president = e
            .contests
            .iter()
            .find(|c| c.id.as_str() == format!("president-{postal}"));
        let totals = returns.get(postal).map(|t| {
            let mut votes: Vec<u64> = t.votes.iter().map(|&v| scale(v)).collect();
            // Tickets that are not 2020's (us-2024) leave every vote to the write-in: share
            // the state's votes out by the selections' weights instead.
            if let Some(c) = president.filter(|c| {
                c.selections
                    .iter()
                    .zip(&votes)
                    .all(|(s, &v)| s.write_in || v == 0)
            }) {
                let w: Vec<u64> = c.selections.iter().map(|s| lean_factor(s, 0, 0)).collect();
                votes = apportion(votes.iter().sum(), &w);
            }
            StateTotals {
                votes,
                overvotes: scale(t.overvotes),
                undervotes: scale(t.undervotes),
            }
        });
        let ballots = match &totals {
            Some(t) => t.votes.iter().sum::<u64>() + t.overvotes + t.undervotes,
            None => scale(
                TERRITORY_BALLOTS
                    .iter()
                    .find(|(p, _)| *p == postal)
                    .map_or(10_000, |x| x.1),
            ),
        };
        let counties: Vec<&County> = e
            .counties
            .iter()
            .filter(|c| c.state == state.postal)
            .collect();
        if counties.is_empty() {
            continue;
        }
        // Counties: a skewed size and a partisan lean (percentage points, -25..=25).
        let county_w: Vec<u64> = counties
            .iter()
            .map(|_| (below(&mut rng, 60) + 1).pow(2))
            .collect();
        let county_lean: Vec<i64> = counties
            .iter()
            .map(|_| below(&mut rng, 51) as i64 - 25)
            .collect();
        let n_precincts = (ballots / opts.ballots_per_precinct.max(1)).max(counties.len() as u64);
        let per_county: Vec<u64> = apportion(n_precincts - counties.len() as u64, &county_w)
            .into_iter()
            .map(|n| n + 1)
            .collect();
        let county_ballots = apportion(ballots, &county_w);
        // Precincts, in county order.
        struct P {
            county: usize,
            ballots: u64,
            lean: i64,
        }
        let mut ps: Vec<P> = Vec::new();
        for (ci, &n) in per_county.iter().enumerate() {
            let w: Vec<u64> = (0..n).map(|_| below(&mut rng, 50) + 50).collect();
            for b in apportion(county_ballots[ci], &w) {
                let lean = (county_lean[ci] + below(&mut rng, 11) as i64 - 5).clamp(-40, 40);
                ps.push(P {
                    county: ci,
                    ballots: b,
                    lean,
                });
            }
        }
        // Districts: contiguous runs of precincts of equal count.
        let districts: Vec<&District> = e
            .districts
            .iter()
            .filter(|d| d.state == state.postal)
            .collect();
        let k = districts.len().max(1);
        let district_of = |i: usize| districts.get(i * k / ps.len().max(1)).map(|d| d.id.clone());
        let mut numbers = vec![0usize; counties.len()];
        let mut precinct_ids = Vec::with_capacity(ps.len());
        for (i, p) in ps.iter().enumerate() {
            let c = counties[p.county];
            numbers[p.county] += 1;
            let id = PrecinctId::new(format!("{}-{:04}", c.fips, numbers[p.county]));
            let turnout = 55 + below(&mut rng, 31);
            election.precincts.push(Precinct {
                id: id.clone(),
                county: c.fips.clone(),
                name: format!("{} precinct {}", c.name, numbers[p.county]),
                districts: district_of(i).into_iter().collect(),
                registered_voters: Some(p.ballots * 100 / turnout + below(&mut rng, 20)),
            });
            precinct_ids.push(id);
        }
        // Contest results per precinct.
        let mut results: Vec<PrecinctResult> = precinct_ids
            .iter()
            .map(|id| PrecinctResult {
                precinct: id.clone(),
                portion: None,
                counting_group: None,
                contests: Vec::new(),
            })
            .collect();
        let weights: Vec<u64> = ps.iter().map(|p| p.ballots).collect();
        let mut precinct_ballots = weights.clone();
        if let (Some(t), Some(contest)) = (
            &totals,
            e.contests
                .iter()
                .find(|c| c.id.as_str() == format!("president-{postal}")),
        ) {
            let per_sel: Vec<Vec<u64>> = contest
                .selections
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let w: Vec<u64> = ps
                        .iter()
                        .map(|p| p.ballots * lean_factor(s, p.lean, 0))
                        .collect();
                    apportion(t.votes[i], &w)
                })
                .collect();
            let over = apportion(t.overvotes, &weights);
            let under = apportion(t.undervotes, &weights);
            for (pi, r) in results.iter_mut().enumerate() {
                let votes: Vec<u64> = per_sel.iter().map(|v| v[pi]).collect();
                let b = votes.iter().sum::<u64>() + over[pi] + under[pi];
                precinct_ballots[pi] = b;
                r.contests
                    .push(count(contest, &votes, b, over[pi], under[pi]));
            }
        }
        for contest in e
            .contests
            .iter()
            .filter(|c| c.state.as_ref() == Some(&state.postal) && c.office != Office::President)
        {
            let bias = below(&mut rng, 21) as i64 - 10;
            let under_pct = 1 + below(&mut rng, 4);
            for (pi, r) in results.iter_mut().enumerate() {
                if contest.district.is_some()
                    && contest.district.as_ref()
                        != election.precincts[election.precincts.len() - ps.len() + pi]
                            .districts
                            .first()
                {
                    continue;
                }
                let b = precinct_ballots[pi];
                let under = b * under_pct / 100;
                let w: Vec<u64> = contest
                    .selections
                    .iter()
                    .map(|s| lean_factor(s, ps[pi].lean, bias))
                    .collect();
                let votes = apportion(b - under, &w);
                r.contests.push(count(contest, &votes, b, 0, under));
            }
        }
        // Registration drawn from a precinct's expected size may fall short of the ballots
        // the returns give it (small precincts at small scales): raise it to a turnout of 85%.
        let first = election.precincts.len() - ps.len();
        for (p, &b) in election.precincts[first..]
            .iter_mut()
            .zip(&precinct_ballots)
        {
            if p.registered_voters.is_some_and(|r| r < b) {
                p.registered_voters = Some(b * 100 / 85 + 1);
            }
        }
        // Group by reporting jurisdiction (a jurisdiction may hold several counties).
        let mut of_jurisdiction: std::collections::HashMap<JurisdictionId, usize> =
            std::collections::HashMap::new();
        for (ci, c) in counties.iter().enumerate() {
            let mine = results
                .iter()
                .zip(&ps)
                .filter(|(_, p)| p.county == ci)
                .map(|(r, _)| r.clone());
            let j = e
                .jurisdictions
                .iter()
                .find(|j| j.counties.contains(&c.fips))
                .map_or_else(|| JurisdictionId::new(c.fips.as_str()), |j| j.id.clone());
            let at = *of_jurisdiction.entry(j.clone()).or_insert_with(|| {
                jurisdictions.push(JurisdictionResults {
                    jurisdiction: j.clone(),
                    state: state.postal.clone(),
                    results: Vec::new(),
                });
                jurisdictions.len() - 1
            });
            jurisdictions[at].results.extend(mine);
        }
    }
    for j in &jurisdictions {
        for r in &j.results {
            let ballots = r.contests.iter().map(|c| c.ballots).max().unwrap_or(0);
            manifest.extend(precinct_batches(&j.jurisdiction, &r.precinct, ballots));
        }
    }
    Ok(Simulation {
        election,
        jurisdictions,
        manifest,
    })
}

use returns::StateTotals;

/// A selection's weight in a precinct: Democratic lines gain with the lean, Republican
/// lines lose, minor candidates and write-ins are small, measures lean by `bias`.
fn lean_factor(s: &Selection, lean: i64, bias: i64) -> u64 {
    let party = s.lines.first().map(|p| p.as_str());
    let w = match (&s.choice, party) {
        (SelectionChoice::Answer(Answer::Yes), _) => 100 + bias,
        (SelectionChoice::Answer(Answer::No), _) => 100 - bias,
        (SelectionChoice::GenericWriteIn(_), _) => 1,
        (_, Some("DEM")) => 100 + lean + bias,
        (_, Some("REP")) => 100 - lean - bias,
        _ => 6,
    };
    w.max(1) as u64
}

/// A contest's counts in one precinct; a fusion selection's votes go 90% to its first
/// line and the rest to the others.
fn count(
    c: &Contest,
    votes: &[u64],
    ballots: u64,
    overvotes: u64,
    undervotes: u64,
) -> ContestCount {
    let mut out = Vec::with_capacity(votes.len());
    for (s, &v) in c.selections.iter().zip(votes) {
        if s.lines.len() > 1 {
            let w: Vec<u64> = (0..s.lines.len())
                .map(|i| if i == 0 { 90 } else { 10 })
                .collect();
            for (line, n) in s.lines.iter().zip(apportion(v, &w)) {
                out.push(SelectionCount {
                    selection: s.id.clone(),
                    line: Some(line.clone()),
                    votes: n,
                });
            }
        } else {
            out.push(SelectionCount {
                selection: s.id.clone(),
                line: None,
                votes: v,
            });
        }
    }
    let rankings = if matches!(c.rule, Rule::RankedChoice { .. }) {
        rankings(c, votes, overvotes, undervotes)
    } else {
        Vec::new()
    };
    ContestCount {
        rankings,
        contest: c.id.clone(),
        ballots,
        overvotes,
        undervotes,
        votes: out,
    }
}

/// Ballot patterns behind a ranked-choice contest's first choices (`votes`, per selection):
/// a major party's voters mostly rank only their candidate, a tenth ranking the other major
/// one second; a minor candidate's voters rank a major candidate second (45% Democratic,
/// 35% Republican) or nobody else; write-ins stand alone; overvotes mark the first two
/// candidates at once; undervotes rank nobody. Deterministic, and the first ranks give
/// back exactly `votes`, `overvotes` and `undervotes`.
fn rankings(c: &Contest, votes: &[u64], overvotes: u64, undervotes: u64) -> Vec<RankingCount> {
    let party = |s: &Selection| s.lines.first().map(|p| p.as_str().to_owned());
    let find = |p: &str| {
        c.selections
            .iter()
            .position(|s| party(s).as_deref() == Some(p))
    };
    let (dem, rep) = (find("DEM"), find("REP"));
    let mut out: Vec<(Vec<Vec<usize>>, u64)> = Vec::new();
    let mut add = |ranks: Vec<Vec<usize>>, n: u64| {
        if n == 0 {
            return;
        }
        match out.iter_mut().find(|(r, _)| *r == ranks) {
            Some((_, m)) => *m += n,
            None => out.push((ranks, n)),
        }
    };
    for (i, (s, &v)) in c.selections.iter().zip(votes).enumerate() {
        let major = [dem, rep].contains(&Some(i));
        let (second, weights): (Vec<Option<usize>>, Vec<u64>) = if s.write_in {
            (vec![None], vec![1])
        } else if major {
            let other = if Some(i) == dem { rep } else { dem };
            (vec![None, other], vec![90, 10])
        } else {
            (vec![dem, rep, None], vec![45, 35, 20])
        };
        for (next, n) in second.into_iter().zip(apportion(v, &weights)) {
            let mut ranks = vec![vec![i]];
            ranks.extend(next.map(|j| vec![j]));
            add(ranks, n);
        }
    }
    // Candidates before write-ins; a contest with overvotes has at least two selections.
    let n = c.selections.len();
    let mut firsts: Vec<usize> = (0..n).filter(|&i| !c.selections[i].write_in).collect();
    firsts.extend((0..n).filter(|&i| c.selections[i].write_in));
    firsts.truncate(2);
    add(vec![firsts], overvotes);
    add(Vec::new(), undervotes);
    out.into_iter()
        .map(|(ranks, ballots)| RankingCount {
            ranks: ranks
                .into_iter()
                .map(|r| r.into_iter().map(|i| c.selections[i].id.clone()).collect())
                .collect(),
            ballots,
        })
        .collect()
}
