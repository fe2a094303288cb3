//! Ballot-level comparison audits: Stark's "super-simple" audit (EVT/WOTE 2010) with the
//! Kaplan-Markov p-value.
//!
//! Each sampled ballot's hand interpretation is compared with its cast vote record. With
//! diluted margin `mu` (smallest winner-loser margin over ballots cast) and error inflation
//! `gamma` (1.03905 by default), every ballot's error bound is `2 gamma / V`; a one-vote
//! overstatement has taint `1/(2 gamma)`, a two-vote overstatement `1/gamma`, understatements
//! the negatives. The Kaplan-Markov p-value after `n` ballots is
//!
//! ```text
//! p = (1 - mu/(2 gamma))^n / ((1 - 1/(2 gamma))^o1 (1 - 1/gamma)^o2 (1 + 1/(2 gamma))^u1 (1 + 1/gamma)^u2)
//! ```
//!
//! capped at 1, and the sample size needed (using `ln(1 - mu/(2 gamma)) ~ -mu/(2 gamma)`) is
//!
//! ```text
//! n = ceil(-2 gamma (ln alpha + o1 ln(1 - 1/(2 gamma)) + o2 ln(1 - 1/gamma)
//!                   + u1 ln(1 + 1/(2 gamma)) + u2 ln(1 + 1/gamma)) / mu)
//! ```

use crate::error::AuditError;

/// Stark's error inflation factor for super-simple audits.
pub const GAMMA: f64 = 1.03905;

/// Counts of one- and two-vote over- and understatements found in the sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Discrepancies {
    /// One-vote overstatements.
    pub o1: u64,
    /// Two-vote overstatements.
    pub o2: u64,
    /// One-vote understatements.
    pub u1: u64,
    /// Two-vote understatements.
    pub u2: u64,
}

/// The discrepancy found on one sampled ballot, in votes of the reported margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discrepancy {
    /// Two-vote understatement.
    U2,
    /// One-vote understatement.
    U1,
    /// The record matches the ballot.
    None,
    /// One-vote overstatement.
    O1,
    /// Two-vote overstatement.
    O2,
}

impl Discrepancy {
    /// The overstatement in votes: -2, -1, 0, 1 or 2.
    pub fn votes(self) -> i8 {
        match self {
            Discrepancy::U2 => -2,
            Discrepancy::U1 => -1,
            Discrepancy::None => 0,
            Discrepancy::O1 => 1,
            Discrepancy::O2 => 2,
        }
    }
}

impl Discrepancies {
    /// Tallies per-ballot discrepancies.
    pub fn count(items: &[Discrepancy]) -> Self {
        let mut d = Discrepancies::default();
        for item in items {
            match item {
                Discrepancy::O1 => d.o1 += 1,
                Discrepancy::O2 => d.o2 += 1,
                Discrepancy::U1 => d.u1 += 1,
                Discrepancy::U2 => d.u2 += 1,
                Discrepancy::None => {}
            }
        }
        d
    }

    /// `o1 ln(1 - 1/2g) + o2 ln(1 - 1/g) + u1 ln(1 + 1/2g) + u2 ln(1 + 1/g)`.
    fn log_weight(&self, gamma: f64) -> f64 {
        self.o1 as f64 * (1.0 - 1.0 / (2.0 * gamma)).ln()
            + self.o2 as f64 * (1.0 - 1.0 / gamma).ln()
            + self.u1 as f64 * (1.0 + 1.0 / (2.0 * gamma)).ln()
            + self.u2 as f64 * (1.0 + 1.0 / gamma).ln()
    }
}

fn check(alpha: Option<f64>, mu: f64, gamma: f64) -> Result<(), AuditError> {
    if let Some(alpha) = alpha.filter(|a| !(*a > 0.0 && *a < 1.0)) {
        return Err(AuditError::OutOfRange {
            name: "risk limit",
            value: alpha.to_string(),
            expected: "strictly between 0 and 1, e.g. 0.10",
        });
    }
    if !(mu > 0.0 && mu <= 1.0) {
        return Err(AuditError::OutOfRange {
            name: "diluted margin",
            value: mu.to_string(),
            expected: "greater than 0 and at most 1 (a fraction: 0.01 for 1%)",
        });
    }
    if !(gamma > 1.0 && gamma.is_finite()) {
        return Err(AuditError::OutOfRange {
            name: "gamma",
            value: gamma.to_string(),
            expected: "greater than 1 (Stark uses 1.03905)",
        });
    }
    Ok(())
}

/// The super-simple sample size at risk limit `alpha` for diluted margin `mu`, given the
/// discrepancies expected or already found (0 if understatements alone suffice).
///
/// # Errors
/// [`AuditError::OutOfRange`] if `alpha` is not in (0, 1), `mu` not in (0, 1] or `gamma <= 1`.
pub fn sample_size(alpha: f64, mu: f64, gamma: f64, d: &Discrepancies) -> Result<u64, AuditError> {
    check(Some(alpha), mu, gamma)?;
    let n = -2.0 * gamma * (alpha.ln() + d.log_weight(gamma)) / mu;
    Ok(if n <= 0.0 { 0 } else { n.ceil() as u64 })
}

/// The Kaplan-Markov p-value after `n` sampled ballots with these discrepancies.
///
/// # Errors
/// [`AuditError::OutOfRange`] if `mu` is not in (0, 1] or `gamma <= 1`.
pub fn p_value(mu: f64, n: u64, gamma: f64, d: &Discrepancies) -> Result<f64, AuditError> {
    check(None, mu, gamma)?;
    let log_p = n as f64 * (1.0 - mu / (2.0 * gamma)).ln() - d.log_weight(gamma);
    Ok(log_p.exp().min(1.0))
}

/// The p-value after each ballot of an ordered sample (the sequential Kaplan-Markov test may
/// stop at the first ballot where this is at most the risk limit).
///
/// # Errors
/// As [`p_value`].
pub fn p_value_path(mu: f64, gamma: f64, items: &[Discrepancy]) -> Result<Vec<f64>, AuditError> {
    check(None, mu, gamma)?;
    let mut d = Discrepancies::default();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        d = Discrepancies {
            o1: d.o1 + u64::from(*item == Discrepancy::O1),
            o2: d.o2 + u64::from(*item == Discrepancy::O2),
            u1: d.u1 + u64::from(*item == Discrepancy::U1),
            u2: d.u2 + u64::from(*item == Discrepancy::U2),
        };
        out.push(p_value(mu, i as u64 + 1, gamma, &d)?);
    }
    Ok(out)
}
