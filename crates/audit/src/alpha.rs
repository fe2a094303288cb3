//! ALPHA: a supermartingale test for a bounded population mean with the truncated-shrinkage
//! ("shrink-trunc") estimator (Stark, "ALPHA: Audit that Learns from Previously Hand-Audited
//! Ballots", Annals of Applied Statistics 17(1), 2023).
//!
//! Values `X_j` lie in `[0, u]`. The null hypothesis is that the population mean is at most
//! `mu` (1/2 for an assorter, as in SHANGRLA). With `S_{j-1}` the sum of the first `j - 1`
//! values:
//!
//! ```text
//! mu_j  = mu                                  (sampling with replacement)
//!       = (N mu - S_{j-1}) / (N - j + 1)      (without replacement from N)
//! eta_j = min(u (1 - t), max((d eta_0 + S_{j-1}) / (d + j - 1), mu_j + c / sqrt(d + j - 1)))
//! T_j   = T_{j-1} * (X_j eta_j / mu_j + (u - X_j)(u - eta_j) / (u - mu_j)) / u
//! ```
//!
//! (`eta_j` is never below `mu_j`). The p-value after `j` draws is `min(1, 1 / max_{k<=j} T_k)`
//! (Ville's inequality). If `mu_j < 0` the null is impossible and the p-value is 0; if
//! `mu_j >= u` the null is certainly true and the statistic stops growing.
//!
//! [`comparison_values`] turns ballot-comparison discrepancies into the overstatement
//! assorter `B = (1 - omega) / (2 - v)` with `v` the diluted margin and `omega` the
//! overstatement (0, 1/2 or 1 per one or two votes, negative for understatements), upper
//! bound `2 / (2 - v)`.
//!
//! **Comparison audits.** With few errors nearly every `B` equals `1 / (2 - v)`, barely above
//! 1/2; shrinking toward that mean bets timidly (about 3,700 clean ballots at a 5% margin).
//! Writing ALPHA's factor as `1 + lambda (X - mu)`, the Kaplan-Markov test with `gamma` is
//! the fixed bet `eta = 1/2 + (2 + v) / (2 (2 gamma - v))` (derivation: equate
//! `1 + lambda (X - 1/2)` with `(1 - omega/(2 gamma)) / (1 - v/(2 gamma))` for every `omega`).
//! [`comparison_p_value`] starts from that `eta0` with `d = 10,000`, so the estimate leaves
//! it only after many observed errors; with few errors it behaves like Kaplan-Markov.

use crate::comparison::Discrepancy;
use crate::error::AuditError;

/// The truncated-shrinkage estimator's tuning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShrinkTrunc {
    /// The prior guess of the mean (e.g. the reported assorter mean).
    pub eta0: f64,
    /// Weight of `eta0` in pseudo-observations (the paper uses 10 to 1000; default 100).
    pub d: f64,
    /// `eta_j` stays at least `c / sqrt(d + j - 1)` above `mu_j`.
    pub c: f64,
    /// Relative truncation below the upper bound: `eta_j <= u (1 - t)`.
    pub t: f64,
}

impl ShrinkTrunc {
    /// The defaults used here: `d = 100`, `c = (eta0 - mu)/2`, `t = 1e-5`.
    pub fn with_defaults(eta0: f64, mu: f64) -> Self {
        ShrinkTrunc {
            eta0,
            d: 100.0,
            c: ((eta0 - mu) / 2.0).max(0.0),
            t: 1e-5,
        }
    }
}

/// A running ALPHA test.
#[derive(Debug, Clone)]
pub struct AlphaTest {
    mu: f64,
    upper: f64,
    population: Option<u64>,
    est: ShrinkTrunc,
    sum: f64,
    drawn: u64,
    log_t: f64,
    max_log_t: f64,
    frozen: bool,
}

impl AlphaTest {
    /// A test of "mean <= `mu`" for values in `[0, upper]`, drawn without replacement from
    /// `population` values (or with replacement if `None`).
    ///
    /// # Errors
    /// [`AuditError::OutOfRange`] unless `0 < mu < upper` and `eta0` lies in `(mu, upper]`.
    pub fn new(
        mu: f64,
        upper: f64,
        population: Option<u64>,
        est: ShrinkTrunc,
    ) -> Result<Self, AuditError> {
        if !(mu > 0.0 && mu < upper && upper.is_finite()) {
            return Err(AuditError::OutOfRange {
                name: "null mean",
                value: format!("{mu} (upper bound {upper})"),
                expected: "0 < mu < upper bound",
            });
        }
        if !(est.eta0 > mu && est.eta0 <= upper) {
            return Err(AuditError::OutOfRange {
                name: "eta0",
                value: est.eta0.to_string(),
                expected: "above the null mean and at most the upper bound (the reported outcome must be a win)",
            });
        }
        Ok(AlphaTest {
            mu,
            upper,
            population,
            est,
            sum: 0.0,
            drawn: 0,
            log_t: 0.0,
            max_log_t: 0.0,
            frozen: false,
        })
    }

    /// Observes the next value (clamped to `[0, upper]`) and returns the p-value.
    pub fn observe(&mut self, x: f64) -> f64 {
        let x = x.clamp(0.0, self.upper);
        let j = self.drawn + 1;
        let u = self.upper;
        if !self.frozen {
            let mu_j = match self.population {
                None => self.mu,
                Some(n) if j <= n => (n as f64 * self.mu - self.sum) / (n as f64 - (j - 1) as f64),
                Some(_) => f64::INFINITY,
            };
            if mu_j < 0.0 || (mu_j == 0.0 && x > 0.0) {
                self.max_log_t = f64::INFINITY;
                self.frozen = true;
            } else if mu_j >= u || mu_j == 0.0 {
                self.frozen = true;
            } else {
                let dj = self.est.d + (j - 1) as f64;
                let shrunk = (self.est.d * self.est.eta0 + self.sum) / dj;
                let eta = shrunk
                    .max(mu_j + self.est.c / dj.sqrt())
                    .min(u * (1.0 - self.est.t))
                    .max(mu_j);
                let factor = (x * eta / mu_j + (u - x) * (u - eta) / (u - mu_j)) / u;
                self.log_t += factor.ln();
                self.max_log_t = self.max_log_t.max(self.log_t);
            }
        }
        self.sum += x;
        self.drawn = j;
        self.p_value()
    }

    /// The current p-value `min(1, 1 / max T)`.
    pub fn p_value(&self) -> f64 {
        (-self.max_log_t).exp().min(1.0)
    }

    /// Values observed so far.
    pub fn drawn(&self) -> u64 {
        self.drawn
    }
}

/// The ALPHA p-value after all of `values`.
///
/// # Errors
/// As [`AlphaTest::new`].
pub fn p_value(
    values: &[f64],
    mu: f64,
    upper: f64,
    population: Option<u64>,
    est: ShrinkTrunc,
) -> Result<f64, AuditError> {
    let mut test = AlphaTest::new(mu, upper, population, est)?;
    let mut p = 1.0;
    for &x in values {
        p = test.observe(x);
    }
    Ok(p)
}

/// Overstatement-assorter values for ordered comparison discrepancies at diluted margin `v`,
/// and their upper bound `2 / (2 - v)`.
pub fn comparison_values(v: f64, items: &[Discrepancy]) -> (Vec<f64>, f64) {
    let values = items
        .iter()
        .map(|d| (1.0 - f64::from(d.votes()) / 2.0) / (2.0 - v))
        .collect();
    (values, 2.0 / (2.0 - v))
}

/// The Kaplan-Markov-equivalent bet `1/2 + (2 + v) / (2 (2 gamma - v))` (see the module doc).
pub fn comparison_eta0(v: f64, gamma: f64) -> f64 {
    0.5 + (2.0 + v) / (2.0 * (2.0 * gamma - v))
}

/// The ALPHA p-value of a ballot-comparison audit at diluted margin `v` after the ordered
/// discrepancies `items`, drawn without replacement from `population` ballots (or with
/// replacement if `None`), with `eta0 = comparison_eta0(v, 1.03905)`, `d = 10,000`,
/// `c = (eta0 - 1/2)/2`.
///
/// # Errors
/// [`AuditError::OutOfRange`] unless `0 < v <= 1`.
pub fn comparison_p_value(
    v: f64,
    items: &[Discrepancy],
    population: Option<u64>,
) -> Result<f64, AuditError> {
    let mut test = comparison_test(v, population)?;
    let (values, _) = comparison_values(v, items);
    let mut p = 1.0;
    for x in values {
        p = test.observe(x);
    }
    Ok(p)
}

/// The running test [`comparison_p_value`] uses.
fn comparison_test(v: f64, population: Option<u64>) -> Result<AlphaTest, AuditError> {
    if !(v > 0.0 && v <= 1.0) {
        return Err(AuditError::OutOfRange {
            name: "diluted margin",
            value: v.to_string(),
            expected: "greater than 0 and at most 1",
        });
    }
    let upper = 2.0 / (2.0 - v);
    let eta0 = comparison_eta0(v, crate::comparison::GAMMA);
    let est = ShrinkTrunc {
        d: 10_000.0,
        ..ShrinkTrunc::with_defaults(eta0, 0.5)
    };
    AlphaTest::new(0.5, upper, population, est)
}

/// The draws in all (with replacement) after which [`comparison_p_value`] reaches `alpha`
/// if the ballots after `items` show no discrepancy, at most `cap`.
///
/// # Errors
/// [`AuditError::OutOfRange`] unless `0 < v <= 1`.
pub fn comparison_sample_size(
    v: f64,
    items: &[Discrepancy],
    alpha: f64,
    cap: u64,
) -> Result<u64, AuditError> {
    let mut test = comparison_test(v, None)?;
    let (values, _) = comparison_values(v, items);
    let mut p = 1.0;
    for x in values {
        p = test.observe(x);
    }
    let (clean, _) = comparison_values(v, &[Discrepancy::None]);
    while p > alpha && test.drawn() < cap {
        p = test.observe(clean[0]);
    }
    Ok(test.drawn())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_steps() {
        // u = 1, mu = 1/2, eta0 = 0.6, d = 10, c = 0, t = 0. Draws 1, 1.
        // Step 1: eta = 0.6, factor = 0.6/0.5 = 1.2.
        // Step 2: eta = (10*0.6 + 1)/11 = 7/11, factor = (7/11)/0.5 = 14/11.
        let est = ShrinkTrunc {
            eta0: 0.6,
            d: 10.0,
            c: 0.0,
            t: 0.0,
        };
        let p = p_value(&[1.0, 1.0], 0.5, 1.0, None, est).unwrap();
        assert!((p - 1.0 / (1.2 * 14.0 / 11.0)).abs() < 1e-12);
        // Without replacement from N = 4: mu_2 = (4*0.5 - 1)/3 = 1/3, factor = (7/11)/(1/3).
        let p = p_value(&[1.0, 1.0], 0.5, 1.0, Some(4), est).unwrap();
        assert!((p - 1.0 / (1.2 * 21.0 / 11.0)).abs() < 1e-12);
        // A third 1 out of 4: mu_3 = (2 - 2)/2 = 0 and x > 0: the null is impossible.
        let p = p_value(&[1.0, 1.0, 1.0], 0.5, 1.0, Some(4), est).unwrap();
        assert_eq!(p, 0.0);
    }

    #[test]
    fn kaplan_markov_equivalent_bet() {
        // With a fixed eta (d huge, c = 0, t = 0, with replacement) ALPHA's factor for a clean
        // ballot must equal Kaplan-Markov's 1 / (1 - v/(2 gamma)), and for a two-vote
        // overstatement (1 - 1/gamma) / (1 - v/(2 gamma)).
        let (v, g) = (0.05, 1.03905);
        let est = ShrinkTrunc {
            eta0: comparison_eta0(v, g),
            d: 1e300,
            c: 0.0,
            t: 0.0,
        };
        let (vals, u) = comparison_values(v, &[Discrepancy::None, Discrepancy::O2]);
        let mut test = AlphaTest::new(0.5, u, None, est).unwrap();
        let p1 = test.observe(vals[0]);
        assert!((p1 - (1.0 - v / (2.0 * g))).abs() < 1e-12);
        // One two-vote overstatement then 200 clean ballots: T rises after the dip, so its
        // final value is its maximum and p is Kaplan-Markov's p for n = 201, o2 = 1.
        let mut test = AlphaTest::new(0.5, u, None, est).unwrap();
        let mut p = test.observe(vals[1]);
        for _ in 0..200 {
            p = test.observe(vals[0]);
        }
        let km = (1.0 - v / (2.0 * g)).powi(201) / (1.0 - 1.0 / g);
        assert!((p - km).abs() < 1e-9 * km, "{p} vs {km}");
    }

    #[test]
    fn zero_value_lowers_statistic() {
        // X = 0 with eta = 0.6: factor = (1 - 0.6)/(1 - 0.5) = 0.8 < 1, so p stays 1.
        let est = ShrinkTrunc {
            eta0: 0.6,
            d: 10.0,
            c: 0.0,
            t: 0.0,
        };
        assert_eq!(p_value(&[0.0], 0.5, 1.0, None, est).unwrap(), 1.0);
    }
}
