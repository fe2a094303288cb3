//! The figures an audit derives from its records: estimates, the sample of a round, the
//! risk measured after it. The fold ([`crate::workflow::AuditState::apply`]) recomputes each
//! and compares it with the record; the CLI calls the same functions to make the records.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::bravo;
use crate::comparison::{self, Discrepancies, Discrepancy, GAMMA};
use crate::contest::{ReportedContest, scale_to_universe};
use crate::macro_batch::{self, BatchContest};
use crate::manifest::Manifest;
use crate::workflow::record::{
    BatchDraw, ContestEstimate, ContestRisk, ContestSpec, Decision, DrawRound, Estimate,
    Measurement, Method,
};
use crate::workflow::state::{AuditState, Round};

/// Threads used to scan a manifest when drawing (the sample does not depend on it).
const DRAW_THREADS: usize = 2;

/// Checks a batch-comparison contest's reported batches against its tally.
pub(crate) fn check_batches(c: &ContestSpec, rc: &ReportedContest) -> Result<(), String> {
    match c.method {
        Method::Bravo | Method::Comparison | Method::Alpha if !c.batches.is_empty() => {
            Err("only batch comparison takes batch totals; use method macro".into())
        }
        Method::Bravo | Method::Comparison | Method::Alpha => Ok(()),
        Method::Macro => {
            if c.batches.is_empty() {
                return Err("batch comparison needs the reported batch totals".into());
            }
            let mut sums = vec![0u64; c.tally.len()];
            let mut ballots = 0u64;
            let mut names = std::collections::HashSet::new();
            for b in &c.batches {
                if !names.insert(&b.batch) {
                    return Err(format!("batch {} is listed twice", b.batch));
                }
                if b.votes.len() != c.tally.len() {
                    return Err(format!(
                        "batch {}: {} counts for {} selections",
                        b.batch,
                        b.votes.len(),
                        c.tally.len()
                    ));
                }
                for (s, v) in sums.iter_mut().zip(&b.votes) {
                    *s = s.saturating_add(*v);
                }
                ballots = ballots.saturating_add(b.ballots);
            }
            for ((name, votes), sum) in c.tally.iter().zip(&sums) {
                if votes != sum {
                    return Err(format!(
                        "the batches give {name:?} {sum} votes, the tally {votes}"
                    ));
                }
            }
            if ballots != c.ballots {
                return Err(format!(
                    "the batches hold {ballots} ballots, the contest {}",
                    rc.ballots()
                ));
            }
            Ok(())
        }
    }
}

/// All manifests merged, in jurisdiction order.
pub(crate) fn universe(st: &AuditState) -> Result<Manifest, String> {
    if let Some(u) = &st.universe {
        return Ok(u.clone());
    }
    let mut all = Manifest::default();
    for m in st.manifests.values() {
        all = all.merge(m.manifest.clone()).map_err(|e| e.to_string())?;
    }
    Ok(all)
}

/// A batch-comparison contest's batches with their reported votes in tally order.
fn batch_contests<'a>(spec: &ContestSpec, rc: &'a ReportedContest) -> Vec<(u64, BatchContest<'a>)> {
    let order: Vec<usize> = rc
        .tally()
        .iter()
        .map(|(n, _)| spec.tally.iter().position(|(m, _)| m == n).unwrap_or(0))
        .collect();
    spec.batches
        .iter()
        .map(|b| {
            let reported = order
                .iter()
                .map(|&i| b.votes.get(i).copied().unwrap_or(0))
                .collect();
            (
                b.ballots,
                BatchContest {
                    contest: rc,
                    reported,
                    audited: None,
                },
            )
        })
        .collect()
}

/// `U`, the sum of the batches' error bounds, and the integer PPEB weights.
fn error_bounds(spec: &ContestSpec, rc: &ReportedContest) -> (f64, Vec<u64>) {
    let bcs = batch_contests(spec, rc);
    let u = bcs
        .iter()
        .map(|(b, bc)| macro_batch::error_bound(*b, std::slice::from_ref(bc)))
        .sum();
    let w = bcs
        .iter()
        .map(|(b, bc)| macro_batch::error_bound_weight(*b, std::slice::from_ref(bc)))
        .collect();
    (u, w)
}

/// Sampled votes per selection name from the interpretations of these draws (overvotes and
/// ballots without the contest count for no one).
fn ballot_votes<'a>(st: &'a AuditState, k: usize) -> impl Iterator<Item = Option<Vec<usize>>> + 'a {
    let spec = &st.start.contests[k];
    let rc = &st.contests[k];
    st.all_ballot_draws().map(move |d| {
        let marks = st.interpretations.get(&d.draw.id)?.votes.get(&spec.id)?;
        if marks.len() > rc.num_winners() {
            return Some(Vec::new());
        }
        Some(marks.iter().filter_map(|m| rc.index_of(m)).collect())
    })
}

fn sample_counts(st: &AuditState, k: usize) -> Vec<(String, u64)> {
    let rc = &st.contests[k];
    let mut counts = vec![0u64; rc.tally().len()];
    for sel in ballot_votes(st, k).flatten() {
        for i in sel {
            counts[i] += 1;
        }
    }
    rc.tally()
        .iter()
        .zip(counts)
        .map(|((n, _), c)| (n.clone(), c))
        .collect()
}

/// Draws per contest so far (batch comparison).
fn batch_draw_count(st: &AuditState, id: &str) -> u64 {
    st.rounds
        .iter()
        .map(|r| r.batches.get(id).map_or(0, |v| v.len() as u64))
        .sum()
}

/// The estimate for the next round.
pub(crate) fn estimate(st: &AuditState) -> Result<Estimate, String> {
    let universe = universe(st)?.total_ballots();
    let round = st.rounds.len() as u64 + 1;
    let mut contests = Vec::new();
    let mut ballots = 0;
    for k in st.active(Method::Bravo) {
        let rc = &st.contests[k];
        if universe < rc.ballots() {
            return Err(format!(
                "the manifests hold {universe} ballots but contest {} reports {}: import every jurisdiction's manifest",
                st.start.contests[k].id,
                rc.ballots()
            ));
        }
        let s =
            bravo::sample_sizes(rc, st.alpha, &sample_counts(st, k)).map_err(|e| e.to_string())?;
        let scale = |n| scale_to_universe(n, rc.ballots(), universe);
        let e = ContestEstimate {
            contest: st.start.contests[k].id.clone(),
            asn: scale(s.asn),
            p70: scale(s.p70),
            p80: scale(s.p80),
            p90: scale(s.p90),
        };
        ballots = ballots.max(e.p90);
        contests.push(e);
    }
    let sampled = st.all_ballot_draws().count() as u64;
    for k in st.active_cvr() {
        let need = comparison_need(st, k, universe)?;
        let n = need.saturating_sub(sampled).max(1);
        ballots = ballots.max(n);
        contests.push(ContestEstimate {
            contest: st.start.contests[k].id.clone(),
            asn: n,
            p70: n,
            p80: n,
            p90: n,
        });
    }
    for k in st.active(Method::Macro) {
        let n = macro_draws(st, k)?;
        contests.push(ContestEstimate {
            contest: st.start.contests[k].id.clone(),
            asn: n,
            p70: n,
            p80: n,
            p90: n,
        });
    }
    contests.sort_by(|a, b| a.contest.cmp(&b.contest));
    Ok(Estimate {
        round,
        universe,
        contests,
        ballots,
    })
}

/// Batch draws for the next round of batch-comparison contest `k`: the no-error sample size
/// in round 1, then what the last measurement asked for.
fn macro_draws(st: &AuditState, k: usize) -> Result<u64, String> {
    let spec = &st.start.contests[k];
    let last = st.rounds.last().and_then(|r| r.measure.as_ref());
    if let Some(m) = last {
        return Ok(m
            .contests
            .iter()
            .find(|c| c.contest == spec.id)
            .map_or(0, |c| c.next_size));
    }
    let (u, _) = error_bounds(spec, &st.contests[k]);
    macro_batch::sample_size(st.alpha, u).map_err(|e| e.to_string())
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The next round's sample with `ballots` new ballot-polling draws.
pub(crate) fn draw(st: &AuditState, ballots: u64) -> Result<Round, String> {
    let number = st.rounds.len() as u64 + 1;
    let bravo = st.active_ballots();
    let macro_ = st.active(Method::Macro);
    if bravo.is_empty() && macro_.is_empty() {
        return Err("no contest is active".into());
    }
    if bravo.is_empty() && ballots > 0 {
        return Err("no ballot-level contest is active: draw 0 ballots".into());
    }
    if !bravo.is_empty() && ballots == 0 {
        return Err("draw at least one ballot (see the estimate)".into());
    }
    let prev: u64 = st.rounds.last().map_or(0, |r| r.draw.total);
    let total = prev + ballots;
    let mut sha = Sha256::new();
    let mut new_draws = Vec::new();
    if !bravo.is_empty() {
        let u = universe(st)?;
        for &k in &bravo {
            if u.total_ballots() < st.contests[k].ballots() {
                return Err(format!(
                    "the manifests hold {} ballots but contest {} reports {}: import every jurisdiction's manifest",
                    u.total_ballots(),
                    st.start.contests[k].id,
                    st.contests[k].ballots()
                ));
            }
            if st.start.contests[k].method.uses_cvrs() {
                crate::workflow::cvr::check_totals(
                    &st.contests[k],
                    &st.start.contests[k].id,
                    st.cvrs.values().flat_map(|c| c.ballots.values()),
                )?;
            }
        }
        let take = usize::try_from(total).map_err(|_| "sample too large".to_string())?;
        let draws = u.draw(&st.start.seed, true, take, DRAW_THREADS);
        for d in &draws {
            sha.update(format!("{} {}\n", d.draw.ticket, d.draw.id).as_bytes());
        }
        new_draws = draws.into_iter().skip(prev as usize).collect();
    }
    let mut batches = BTreeMap::new();
    let mut batch_draws = Vec::new();
    for &k in &macro_ {
        let spec = &st.start.contests[k];
        let n = macro_draws(st, k)?;
        let before = batch_draw_count(st, &spec.id);
        let (_, weights) = error_bounds(spec, &st.contests[k]);
        let all = macro_batch::ppeb_sample(&st.start.seed, &weights, (before + n) as usize)
            .map_err(|e| e.to_string())?;
        let mut h = Sha256::new();
        for (i, &p) in all.iter().enumerate() {
            h.update(format!("{} {}\n", i + 1, spec.batches[p].batch).as_bytes());
        }
        batch_draws.push(BatchDraw {
            contest: spec.id.clone(),
            draws: n,
            total: before + n,
            sha256: hex(&h.finalize()),
        });
        batches.insert(spec.id.clone(), all[before as usize..].to_vec());
    }
    let draw = DrawRound {
        round: number,
        ballots,
        total,
        sample_sha256: if bravo.is_empty() {
            st.rounds.last().map_or_else(
                || hex(&Sha256::digest(b"")),
                |r| r.draw.sample_sha256.clone(),
            )
        } else {
            hex(&sha.finalize())
        },
        batches: batch_draws,
    };
    Ok(Round {
        number,
        estimate: None,
        draw,
        ballots: new_draws,
        batches,
        measure: None,
    })
}

/// Formats a risk measure with six decimals.
pub fn format_p(p: f64) -> String {
    format!("{p:.6}")
}

/// The measurement of the open round.
pub(crate) fn measure(st: &AuditState) -> Result<Measurement, String> {
    let Some(round) = st.open_round() else {
        return Err("no round is open: draw and interpret a sample first".into());
    };
    let number = round.number;
    let last_round = number >= st.start.max_rounds;
    let universe = universe(st)?.total_ballots();
    let mut contests = Vec::new();
    let bravo = st.active(Method::Bravo);
    if !st.active_ballots().is_empty() {
        let missing: Vec<&str> = st
            .all_ballot_draws()
            .map(|d| d.draw.id.as_str())
            .filter(|id| !st.interpretations.contains_key(*id))
            .collect();
        if let Some(first) = missing.first() {
            return Err(format!(
                "{} drawn ballots are not interpreted yet, e.g. {first}",
                missing.len()
            ));
        }
    }
    let sampled = st.all_ballot_draws().count() as u64;
    for k in bravo {
        let rc = &st.contests[k];
        let mut seq = bravo::Sequential::new(rc, st.alpha).map_err(|e| e.to_string())?;
        for sel in ballot_votes(st, k).flatten() {
            seq.observe(&sel);
        }
        let p = seq.p_value();
        let (decision, next_size) = if p <= st.alpha {
            (Decision::Confirmed, 0)
        } else {
            let s = bravo::sample_sizes(rc, st.alpha, &sample_counts(st, k))
                .map_err(|e| e.to_string())?;
            let next = scale_to_universe(s.p90, rc.ballots(), universe);
            if last_round || next >= universe || s.p90 >= rc.ballots() {
                (Decision::FullHandCount, 0)
            } else {
                (Decision::NextRound, next.max(1))
            }
        };
        contests.push(ContestRisk {
            contest: st.start.contests[k].id.clone(),
            sampled,
            p_value: format_p(p),
            decision,
            next_size,
        });
    }
    for k in st.active_cvr() {
        let spec = &st.start.contests[k];
        let items = discrepancies(st, k);
        let mu = diluted_margin(st, k, universe)?;
        let p = match spec.method {
            Method::Alpha => crate::alpha::comparison_p_value(mu, &items, None),
            _ => comparison::p_value(mu, sampled, GAMMA, &Discrepancies::count(&items)),
        }
        .map_err(|e| e.to_string())?;
        let (decision, next_size) = if p <= st.alpha {
            (Decision::Confirmed, 0)
        } else {
            let need = comparison_need(st, k, universe)?;
            if last_round || need >= universe {
                (Decision::FullHandCount, 0)
            } else {
                (Decision::NextRound, need.saturating_sub(sampled).max(1))
            }
        };
        contests.push(ContestRisk {
            contest: spec.id.clone(),
            sampled,
            p_value: format_p(p),
            decision,
            next_size,
        });
    }
    for k in st.active(Method::Macro) {
        let spec = &st.start.contests[k];
        let rc = &st.contests[k];
        let bcs = batch_contests(spec, rc);
        let (u, _) = error_bounds(spec, rc);
        let mut taints = Vec::new();
        for p in st
            .rounds
            .iter()
            .flat_map(|r| r.batches.get(&spec.id).into_iter().flatten())
        {
            let name = &spec.batches[*p].batch;
            let Some((_, _, counts)) = st.batch_counts.get(&(spec.id.clone(), name.clone())) else {
                return Err(format!(
                    "batch {name} of contest {} is not counted yet",
                    spec.id
                ));
            };
            let (ballots, bc) = &bcs[*p];
            let audited: Vec<u64> = rc
                .tally()
                .iter()
                .map(|(n, _)| {
                    spec.tally
                        .iter()
                        .position(|(m, _)| m == n)
                        .map_or(0, |i| counts[i])
                })
                .collect();
            let with = BatchContest {
                contest: rc,
                reported: bc.reported.clone(),
                audited: Some(audited),
            };
            let e = macro_batch::macro_overstatement(std::slice::from_ref(&with)).unwrap_or(0.0);
            let up = macro_batch::error_bound(*ballots, std::slice::from_ref(bc));
            taints.push(if up > 0.0 { e / up } else { 0.0 });
        }
        let p = macro_batch::p_value(u, &taints).map_err(|e| e.to_string())?;
        let (decision, next_size) = if p <= st.alpha {
            (Decision::Confirmed, 0)
        } else if last_round || p >= 1.0 {
            (Decision::FullHandCount, 0)
        } else {
            let n = ((st.alpha / p).ln() / (1.0 - 1.0 / u).ln()).ceil().max(1.0) as u64;
            (Decision::NextRound, n)
        };
        contests.push(ContestRisk {
            contest: spec.id.clone(),
            sampled: taints.len() as u64,
            p_value: format_p(p),
            decision,
            next_size,
        });
    }
    contests.sort_by(|a, b| a.contest.cmp(&b.contest));
    let next_ballots = contests
        .iter()
        .filter(|c| c.decision == Decision::NextRound)
        .filter(|c| {
            st.start
                .contests
                .iter()
                .any(|s| s.id == c.contest && s.method.samples_ballots())
        })
        .map(|c| c.next_size)
        .max()
        .unwrap_or(0);
    Ok(Measurement {
        round: number,
        contests,
        next_ballots,
    })
}

/// The diluted margin of comparison contest `k` over the sampling universe: the smallest
/// reported winner-loser margin divided by the ballots in the manifests.
fn diluted_margin(st: &AuditState, k: usize, universe: u64) -> Result<f64, String> {
    let rc = &st.contests[k];
    if universe < rc.ballots() || universe == 0 {
        return Err(format!(
            "the manifests hold {universe} ballots but contest {} reports {}: import every jurisdiction's manifest",
            st.start.contests[k].id,
            rc.ballots()
        ));
    }
    Ok(rc.min_margin() as f64 / universe as f64)
}

/// Each ballot-polling draw's discrepancy for comparison contest `k`, in draw order (a ballot
/// not yet interpreted reads as blank).
fn discrepancies(st: &AuditState, k: usize) -> Vec<Discrepancy> {
    let (rc, id) = (&st.contests[k], &st.start.contests[k].id);
    st.all_ballot_draws()
        .map(|d| {
            let cvr = st.cvrs.values().find_map(|c| c.ballots.get(&d.draw.id));
            let hand = st.interpretations.get(&d.draw.id).map(|i| &i.votes);
            crate::workflow::cvr::discrepancy(rc, id, cvr, hand)
        })
        .collect()
}

/// The draws (in all) comparison contest `k` needs at its risk limit given the discrepancies
/// found so far and none after: super-simple's formula (Stark 2010), or for ALPHA the draw at
/// which its p-value would reach the limit (at most the universe).
fn comparison_need(st: &AuditState, k: usize, universe: u64) -> Result<u64, String> {
    let mu = diluted_margin(st, k, universe)?;
    let items = discrepancies(st, k);
    match st.start.contests[k].method {
        Method::Alpha => crate::alpha::comparison_sample_size(mu, &items, st.alpha, universe),
        _ => comparison::sample_size(st.alpha, mu, GAMMA, &Discrepancies::count(&items)),
    }
    .map_err(|e| e.to_string())
}
