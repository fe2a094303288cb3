//! Small numeric helpers: the normal quantile and binomial distribution functions.

use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, Normal};

/// The standard normal quantile function (inverse CDF) at `p` in (0, 1).
pub(crate) fn normal_ppf(p: f64) -> f64 {
    match Normal::new(0.0, 1.0) {
        Ok(n) => n.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// P(X <= x) for X ~ Binomial(n, p).
pub(crate) fn binom_cdf(x: u64, n: u64, p: f64) -> f64 {
    match Binomial::new(p, n) {
        Ok(b) => b.cdf(x),
        Err(_) => f64::NAN,
    }
}

/// The smallest `x` with P(X <= x) >= q for X ~ Binomial(n, p) (as `scipy.stats.binom.ppf`).
pub(crate) fn binom_ppf(q: f64, n: u64, p: f64) -> u64 {
    let (mut lo, mut hi) = (0u64, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if binom_cdf(mid, n, p) >= q {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values() {
        // Standard normal table: Phi^-1(0.975) = 1.959964, Phi^-1(0.9) = 1.281552.
        assert!((normal_ppf(0.975) - 1.959_964).abs() < 1e-6);
        assert!((normal_ppf(0.1) + 1.281_552).abs() < 1e-6);
        // Binomial(10, 0.5): P(X <= 5) = 638/1024.
        assert!((binom_cdf(5, 10, 0.5) - 638.0 / 1024.0).abs() < 1e-12);
        // Median of Binomial(10, 0.5) is 5: P(X <= 4) = 386/1024 < 0.5 <= 638/1024.
        assert_eq!(binom_ppf(0.5, 10, 0.5), 5);
    }
}
