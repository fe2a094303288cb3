//! BRAVO ballot-polling audits (Lindeman, Stark and Yates, EVT/WOTE 2012).
//!
//! For each winner-loser assertion (w, l) with reported two-way share
//! `s = v_w / (v_w + v_l)`, Wald's sequential probability ratio test multiplies the statistic
//! `T` by `s / (1/2)` for each sampled ballot showing w and by `(1 - s) / (1/2)` for each
//! showing l (other ballots leave it alone). The assertion is confirmed at risk limit `alpha`
//! once `T >= 1/alpha`; the risk measure (p-value) is `min(1, 1/T)`. The contest's p-value is
//! the largest over its assertions.
//!
//! **Average sample number** (paper, section 5): with `p_w`, `p_l` the fractions of all ballots
//! showing the closest winner and loser,
//!
//! ```text
//! ASN = (ln(1/alpha) + ln(2 s)/2) / (p_w ln(2 s) + p_l ln(2 - 2 s))
//! ```
//!
//! less `ln T` of any sample already drawn in the numerator, rounded up.
//!
//! **Round sizes with a chance q to finish in one round** (Mark Lindeman's method, as Arlo
//! reports them): among `n` two-way ballots the winner count is `X ~ Binomial(n, s)`; the round
//! confirms when `X * plus + (n - X) * minus > R`, with `plus = ln 2s`, `minus = ln(2 - 2s)`,
//! `R = ln(1/alpha) - ln T_sofar`. Requiring the `(1 - q)` quantile of X to reach the rejection
//! count `(R - n minus) / (plus - minus)`, and approximating that quantile by
//! `n s + z sqrt(n s (1 - s))` with `z = Phi^-1(1 - q)`, gives the quadratic
//! `g^2 n^2 - (z^2 s (1 - s) + 2 f g) n + f^2 = 0` with `f = R / (plus - minus)`,
//! `g = minus / (plus - minus) + s`. We take `floor` of its larger root (smaller for
//! `q < 1/2`), then step `n` up until the exact binomial `(1 - q)` quantile (smallest x with
//! `P(X <= x) >= 1 - q`) satisfies the confirmation inequality, and finally divide by the
//! two-way fraction `p_w + p_l` of ballots, rounding up. For vote-for-N contests we take the
//! largest size over assertions. This is an analytic approximation that treats the round as
//! drawn with replacement; it reproduces Arlo's published figures (184/244/351 for 600-400).

use crate::contest::{Pair, ReportedContest};
use crate::error::AuditError;
use crate::stats::{binom_ppf, normal_ppf};

/// `ln T` for one assertion given sampled counts per selection index.
fn log_t(contest: &ReportedContest, pair: Pair, counts: &[u64]) -> f64 {
    let vw = contest.votes(pair.winner) as f64;
    let vl = contest.votes(pair.loser) as f64;
    let s = vw / (vw + vl);
    let nw = counts[pair.winner] as f64;
    let nl = counts[pair.loser] as f64;
    let mut lt = 0.0;
    if nw > 0.0 {
        lt += nw * (2.0 * s).ln();
    }
    if nl > 0.0 {
        // s = 1 (loser reported no votes) makes ln 0 = -inf: T = 0, p = 1.
        lt += nl * (2.0 - 2.0 * s).ln();
    }
    lt
}

fn check_alpha(alpha: f64) -> Result<(), AuditError> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(AuditError::OutOfRange {
            name: "risk limit",
            value: alpha.to_string(),
            expected: "strictly between 0 and 1, e.g. 0.10",
        })
    }
}

/// BRAVO p-value (risk measure) of the contest after the cumulative `sample` of
/// `(selection, ballots)` counts: the largest `min(1, 1/T)` over all assertions.
///
/// # Errors
/// [`AuditError::UnknownSelection`] if the sample names a selection not in the tally.
pub fn p_value(contest: &ReportedContest, sample: &[(String, u64)]) -> Result<f64, AuditError> {
    let counts = contest.sample_counts(sample)?;
    Ok(p_value_counts(contest, &counts))
}

/// [`p_value`] with sampled counts given per selection index (tally order). In a vote-for-N
/// contest a ballot showing both w and l is counted for both, multiplying `T` by
/// `4 s (1 - s) <= 1`: conservative. [`Sequential`] skips such ballots exactly.
pub fn p_value_counts(contest: &ReportedContest, counts: &[u64]) -> f64 {
    contest
        .pairs()
        .into_iter()
        .map(|pair| (-log_t(contest, pair, counts)).exp().min(1.0))
        .fold(0.0, f64::max)
}

/// The p-value after each round, for per-round (not cumulative) samples: round `r` is
/// measured on the union of rounds `1..=r`.
///
/// # Errors
/// [`AuditError::UnknownSelection`] if a sample names a selection not in the tally.
pub fn p_values_by_round(
    contest: &ReportedContest,
    rounds: &[Vec<(String, u64)>],
) -> Result<Vec<f64>, AuditError> {
    let mut cumulative = vec![0u64; contest.tally().len()];
    let mut out = Vec::with_capacity(rounds.len());
    for round in rounds {
        for (c, n) in cumulative.iter_mut().zip(contest.sample_counts(round)?) {
            *c += n;
        }
        out.push(p_value_counts(contest, &cumulative));
    }
    Ok(out)
}

/// Sample-size estimates for the next round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleSizes {
    /// Average sample number.
    pub asn: u64,
    /// Size with a 70% chance to finish in one round (if the reported outcome is right).
    pub p70: u64,
    /// Size with an 80% chance.
    pub p80: u64,
    /// Size with a 90% chance.
    pub p90: u64,
}

/// The closest assertion's inputs: (p_w, p_l, sampled w, sampled l) as fractions of ballots.
fn closest(contest: &ReportedContest, counts: &[u64]) -> (f64, f64, u64, u64) {
    let w = contest.num_winners() - 1;
    let l = contest.num_winners();
    let n = contest.ballots().max(1) as f64;
    (
        contest.votes(w) as f64 / n,
        contest.votes(l) as f64 / n,
        counts[w],
        counts[l],
    )
}

/// Average sample number for the closest assertion, given the sample so far (`counts` per
/// selection index); 0 if the sample already confirms it.
pub fn asn(contest: &ReportedContest, alpha: f64, counts: &[u64]) -> u64 {
    let (p_w, p_l, sw, sl) = closest(contest, counts);
    let s = p_w / (p_w + p_l);
    let zw = (2.0 * s).ln();
    let zl = (2.0 - 2.0 * s).ln();
    let log_t = sw as f64 * zw + if sl > 0 { sl as f64 * zl } else { 0.0 };
    let num = (1.0 / alpha).ln() - log_t + zw / 2.0;
    let den = p_w * zw + p_l * zl;
    if num <= 0.0 {
        return 0;
    }
    if den <= 0.0 || !den.is_finite() {
        return contest.ballots();
    }
    (num / den).ceil() as u64
}

/// Lindeman's round size (see the module doc) for one assertion: `p_w`, `p_r` are the
/// winner's and loser's fractions of ballots, `sample_w`, `sample_r` their sampled counts so
/// far, `q` the chance of finishing in this round.
pub fn round_size(alpha: f64, p_w: f64, p_r: f64, sample_w: u64, sample_r: u64, q: f64) -> u64 {
    let p_wr = p_w + p_r;
    let s = p_w / p_wr;
    let plus = (2.0 * s).ln();
    let minus = (2.0 - 2.0 * s).ln();
    if p_r == 0.0 {
        // s = 1 (a loser reported with no votes): every two-way ballot shows the winner and
        // doubles T, and one ballot for the loser refutes the assertion for good.
        if sample_r > 0 || p_w == 0.0 {
            return u64::MAX;
        }
        let threshold = (1.0 / alpha).ln() - sample_w as f64 * plus;
        if threshold <= 0.0 {
            return 0;
        }
        return (((threshold / plus).floor() + 1.0) / p_wr).ceil() as u64;
    }
    let threshold = (1.0 / alpha).ln() - (sample_w as f64 * plus + sample_r as f64 * minus);
    if threshold <= 0.0 {
        return 0;
    }
    if !threshold.is_finite() {
        return u64::MAX;
    }
    let z = -normal_ppf(q);
    let d = s * (1.0 - s);
    let f = threshold / (plus - minus);
    let g = minus / (plus - minus) + s;
    let qa = g * g;
    let qb = -(z * z * d + 2.0 * f * g);
    let qc = f * f;
    let radical = (qb * qb - 4.0 * qa * qc).max(0.0).sqrt();
    let root = if q > 0.5 {
        (-qb + radical) / (2.0 * qa)
    } else {
        (-qb - radical) / (2.0 * qa)
    };
    let mut n = root.floor().max(1.0) as u64;
    loop {
        let x = binom_ppf(1.0 - q, n, s) as f64;
        if x * plus + (n as f64 - x) * minus > threshold {
            break;
        }
        n += 1;
    }
    (n as f64 / p_wr).ceil() as u64
}

/// ASN and the 70/80/90% round sizes for the contest at risk limit `alpha`, given the
/// cumulative sample so far (empty for the first round). Sizes are capped at the ballots cast.
///
/// # Errors
/// [`AuditError::OutOfRange`] for a risk limit outside (0, 1);
/// [`AuditError::UnknownSelection`] for a sample naming a selection not in the tally.
pub fn sample_sizes(
    contest: &ReportedContest,
    alpha: f64,
    sample: &[(String, u64)],
) -> Result<SampleSizes, AuditError> {
    check_alpha(alpha)?;
    let counts = contest.sample_counts(sample)?;
    let n = contest.ballots().max(1) as f64;
    let size_for = |q: f64| {
        contest
            .pairs()
            .into_iter()
            .map(|pair| {
                round_size(
                    alpha,
                    contest.votes(pair.winner) as f64 / n,
                    contest.votes(pair.loser) as f64 / n,
                    counts[pair.winner],
                    counts[pair.loser],
                    q,
                )
            })
            .max()
            .unwrap_or(0)
            .min(contest.ballots())
    };
    Ok(SampleSizes {
        asn: asn(contest, alpha, &counts).min(contest.ballots()),
        p70: size_for(0.7),
        p80: size_for(0.8),
        p90: size_for(0.9),
    })
}

/// A ballot-by-ballot BRAVO test that stops as soon as every assertion is confirmed.
#[derive(Debug, Clone)]
pub struct Sequential {
    log_threshold: f64,
    log_t: Vec<f64>,
    pairs: Vec<Pair>,
    steps: Vec<(f64, f64)>,
    drawn: u64,
}

impl Sequential {
    /// Starts a test of `contest` at risk limit `alpha`.
    ///
    /// # Errors
    /// [`AuditError::OutOfRange`] for a risk limit outside (0, 1).
    pub fn new(contest: &ReportedContest, alpha: f64) -> Result<Self, AuditError> {
        check_alpha(alpha)?;
        let pairs = contest.pairs();
        let steps = pairs
            .iter()
            .map(|p| {
                let vw = contest.votes(p.winner) as f64;
                let s = vw / (vw + contest.votes(p.loser) as f64);
                ((2.0 * s).ln(), (2.0 - 2.0 * s).ln())
            })
            .collect();
        Ok(Sequential {
            log_threshold: (1.0 / alpha).ln(),
            log_t: vec![0.0; pairs.len()],
            pairs,
            steps,
            drawn: 0,
        })
    }

    /// Records one sampled ballot showing the selections at these tally indices (none for an
    /// undervote or a ballot without the contest); returns whether the contest is confirmed.
    pub fn observe(&mut self, selections: &[usize]) -> bool {
        self.drawn += 1;
        for (k, pair) in self.pairs.iter().enumerate() {
            let has_w = selections.contains(&pair.winner);
            let has_l = selections.contains(&pair.loser);
            if has_w && !has_l {
                self.log_t[k] += self.steps[k].0;
            } else if has_l && !has_w {
                self.log_t[k] += self.steps[k].1;
            }
        }
        self.confirmed()
    }

    /// Whether every assertion has reached `T >= 1/alpha`.
    pub fn confirmed(&self) -> bool {
        self.log_t.iter().all(|&t| t >= self.log_threshold)
    }

    /// Ballots observed so far.
    pub fn drawn(&self) -> u64 {
        self.drawn
    }

    /// The current p-value: the largest `min(1, 1/T)` over assertions.
    pub fn p_value(&self) -> f64 {
        self.log_t
            .iter()
            .map(|t| (-t).exp().min(1.0))
            .fold(0.0, f64::max)
    }
}
