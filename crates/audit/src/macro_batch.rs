//! Batch-level comparison audits with MACRO (Stark, "A Sharper Discrepancy Measure for
//! Post-Election Audits", Annals of Applied Statistics 2(3), 2008) and sampling with
//! probability proportional to an error bound (PPEB).
//!
//! For batch `p` with `b_p` ballots, reported votes `v_ip` and audited votes `a_ip`, and every
//! contest's assertions (w, l) with overall reported margin `V_wl = v_w - v_l`:
//!
//! ```text
//! u_p = max over contests and (w, l) of (v_wp - v_lp + b_p) / V_wl      error bound
//! e_p = max over contests and (w, l) of ((v_wp - v_lp) - (a_wp - a_lp)) / V_wl   MACRO
//! U   = sum of u_p;   taint t_p = e_p / u_p <= 1
//! ```
//!
//! Sampling `n` batches with replacement with probability `u_p / U`, the Kaplan-Markov p-value
//! is `prod_j (1 - 1/U) / (1 - t_j)` (capped at 1), and with no error the audit stops after
//! `n = ceil(ln(alpha) / ln(1 - 1/U))` draws.
//!
//! **PPEB sampling, reproducibly.** Weights must be integers so that anyone can redo the
//! draw without floating point: [`error_bound_weight`] gives
//! `w_p = ceil(10^9 * (v_wp - v_lp + b_p) / V_wl)` maximised over assertions, in exact integer
//! arithmetic. With batches in the order given and `W = sum w_p`, draw `k = 1, 2, ..., n`
//! takes
//!
//! ```text
//! r_k = int(SHA256(seed + "," + str(k)), 16) mod W      (digest as big-endian integer)
//! batch = the first p with w_1 + ... + w_p > r_k
//! ```
//!
//! This is the Colorado PRNG of [`crate::prng`] over `0..W`; a Python check is three lines.
//! (The modulo bias is below `W / 2^256`.)

use crate::contest::ReportedContest;
use crate::error::AuditError;
use crate::prng::sha256_mod;

/// One contest's reported (and optionally audited) votes in a batch, in the contest's tally
/// order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchContest<'a> {
    /// The contest's overall reported outcome.
    pub contest: &'a ReportedContest,
    /// Reported votes in this batch per selection (tally order).
    pub reported: Vec<u64>,
    /// Audited (hand-counted) votes per selection, once known.
    pub audited: Option<Vec<u64>>,
}

fn pairs_with_margin(contest: &ReportedContest) -> impl Iterator<Item = (usize, usize, u64)> + '_ {
    contest.pairs().into_iter().map(|p| {
        let margin = contest.votes(p.winner) - contest.votes(p.loser);
        (p.winner, p.loser, margin)
    })
}

/// The batch error bound `u_p` as an exact fraction `(numerator, denominator)`.
fn error_bound_fraction(ballots: u64, contests: &[BatchContest<'_>]) -> (i128, i128) {
    let mut best: (i128, i128) = (0, 1);
    for bc in contests {
        for (w, l, margin) in pairs_with_margin(bc.contest) {
            let num = i128::from(bc.reported[w]) - i128::from(bc.reported[l]) + i128::from(ballots);
            let den = i128::from(margin.max(1));
            // num/den > best.0/best.1, denominators positive.
            if num * best.1 > best.0 * den {
                best = (num, den);
            }
        }
    }
    best
}

/// The batch's error bound `u_p` (see the module doc).
pub fn error_bound(ballots: u64, contests: &[BatchContest<'_>]) -> f64 {
    let (n, d) = error_bound_fraction(ballots, contests);
    n as f64 / d as f64
}

/// The integer PPEB weight `ceil(10^9 * u_p)` computed exactly.
pub fn error_bound_weight(ballots: u64, contests: &[BatchContest<'_>]) -> u64 {
    let (n, d) = error_bound_fraction(ballots, contests);
    let w = (n.max(0) * 1_000_000_000 + d - 1) / d;
    u64::try_from(w).unwrap_or(u64::MAX)
}

/// The batch's MACRO overstatement `e_p` (see the module doc); `None` until every contest has
/// audited votes.
pub fn macro_overstatement(contests: &[BatchContest<'_>]) -> Option<f64> {
    let mut best = f64::NEG_INFINITY;
    for bc in contests {
        let audited = bc.audited.as_ref()?;
        for (w, l, margin) in pairs_with_margin(bc.contest) {
            let reported = bc.reported[w] as f64 - bc.reported[l] as f64;
            let actual = audited[w] as f64 - audited[l] as f64;
            best = best.max((reported - actual) / margin.max(1) as f64);
        }
    }
    Some(if best.is_finite() { best } else { 0.0 })
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

/// Batches to draw (PPEB, with replacement) at risk limit `alpha` when the total error bound
/// is `big_u`, assuming no errors are found: `ceil(ln alpha / ln(1 - 1/U))`.
///
/// # Errors
/// [`AuditError::OutOfRange`] if `alpha` is not in (0, 1) or `U <= 1` (a correct reported
/// outcome always has `U > 1`).
pub fn sample_size(alpha: f64, big_u: f64) -> Result<u64, AuditError> {
    check_alpha(alpha)?;
    if !(big_u > 1.0 && big_u.is_finite()) {
        return Err(AuditError::OutOfRange {
            name: "error bound",
            value: big_u.to_string(),
            expected: "greater than 1 (the sum of the batches' error bounds)",
        });
    }
    Ok((alpha.ln() / (1.0 - 1.0 / big_u).ln()).ceil() as u64)
}

/// The Kaplan-Markov MACRO p-value for PPEB draws with these taints `e_p / u_p`.
///
/// # Errors
/// [`AuditError::OutOfRange`] if `U <= 1`.
pub fn p_value(big_u: f64, taints: &[f64]) -> Result<f64, AuditError> {
    if !(big_u > 1.0 && big_u.is_finite()) {
        return Err(AuditError::OutOfRange {
            name: "error bound",
            value: big_u.to_string(),
            expected: "greater than 1 (the sum of the batches' error bounds)",
        });
    }
    let mut log_p = 0.0;
    for &t in taints {
        if t >= 1.0 {
            return Ok(1.0);
        }
        log_p += (1.0 - 1.0 / big_u).ln() - (1.0 - t).ln();
    }
    Ok(log_p.exp().min(1.0))
}

/// PPEB: `count` batch indices drawn with replacement, batch `p` with probability
/// `weights[p] / sum(weights)`, by the algorithm in the module doc.
///
/// # Errors
/// [`AuditError::OutOfRange`] if every weight is zero.
pub fn ppeb_sample(seed: &str, weights: &[u64], count: usize) -> Result<Vec<usize>, AuditError> {
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut total: u128 = 0;
    for &w in weights {
        total += u128::from(w);
        cumulative.push(total);
    }
    let total = u64::try_from(total).map_err(|_| AuditError::OutOfRange {
        name: "total weight",
        value: total.to_string(),
        expected: "below 2^64",
    })?;
    if total == 0 {
        return Err(AuditError::OutOfRange {
            name: "total weight",
            value: "0".into(),
            expected: "positive: at least one batch must have a positive error bound",
        });
    }
    Ok((1..=count as u64)
        .map(|k| {
            let r = u128::from(sha256_mod(format!("{seed},{k}").as_bytes(), total));
            cumulative.partition_point(|&c| c <= r)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_size_by_hand() {
        // U = 10, alpha = 0.1: ln 0.1 / ln 0.9 = 21.85... -> 22.
        assert_eq!(sample_size(0.1, 10.0).unwrap(), 22);
        // U = 2, alpha = 0.05: ln 0.05 / ln 0.5 = 4.32... -> 5.
        assert_eq!(sample_size(0.05, 2.0).unwrap(), 5);
        assert!(sample_size(0.1, 1.0).is_err());
    }

    #[test]
    fn bounds_and_overstatement_by_hand() {
        // Overall A 600, B 400: V = 200. Batch of 100 ballots reporting A 70, B 30.
        let c = ReportedContest::new(vec![("A".into(), 600), ("B".into(), 400)], 1000, 1).unwrap();
        let bc = BatchContest {
            contest: &c,
            reported: vec![70, 30],
            audited: Some(vec![60, 40]),
        };
        // u = (70 - 30 + 100)/200 = 0.7; e = ((70-30) - (60-40))/200 = 0.1.
        assert!((error_bound(100, std::slice::from_ref(&bc)) - 0.7).abs() < 1e-15);
        assert_eq!(
            error_bound_weight(100, std::slice::from_ref(&bc)),
            700_000_000
        );
        assert!((macro_overstatement(&[bc]).unwrap() - 0.1).abs() < 1e-15);
        // p = (1 - 1/U)/(1 - t) with U = 5, t = 0.1/0.7: 0.8 / (6/7) = 0.9333...
        assert!((p_value(5.0, &[0.1 / 0.7]).unwrap() - 0.8 * 7.0 / 6.0).abs() < 1e-12);
    }
}
