//! Reported contest outcomes as audits see them: winners, losers and the pairwise
//! winner-loser assertions, for vote-for-N contests; and one sample for several contests.
//!
//! A vote-for-N plurality contest with reported winners W and losers L is correctly decided
//! exactly when every reported winner really got more votes than every reported loser, so the
//! audit tests one assertion per pair (w, l) in W x L and confirms the contest only when every
//! assertion is confirmed (BRAVO section 5; SHANGRLA's "assertions"). The risk measure of the
//! contest is the largest p-value over its assertions.

use std::collections::HashSet;

use crate::error::AuditError;

/// A contest's reported tally, for audit purposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedContest {
    /// Selection names and reported votes, sorted by votes (most first), then name.
    tally: Vec<(String, u64)>,
    /// Ballots cast in the contest's universe (ballots that could contain the contest).
    ballots: u64,
    /// Number of winners (vote for N).
    winners: usize,
}

/// One winner-loser assertion: indices into [`ReportedContest::tally`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    /// Index of the reported winner.
    pub winner: usize,
    /// Index of the reported loser.
    pub loser: usize,
}

impl ReportedContest {
    /// A contest from its reported tally, ballots cast and number of winners.
    ///
    /// # Errors
    /// [`AuditError::Unauditable`] if there are no losers, if a selection is named twice, if
    /// the last winner ties the first loser (a tie needs a full hand count), or if more votes
    /// are reported than `ballots * winners`.
    pub fn new(
        tally: Vec<(String, u64)>,
        ballots: u64,
        winners: usize,
    ) -> Result<Self, AuditError> {
        let fail = |reason: String| Err(AuditError::Unauditable { reason });
        let mut names = HashSet::new();
        for (name, _) in &tally {
            if !names.insert(name.as_str()) {
                return fail(format!("selection {name:?} appears twice in the tally"));
            }
        }
        if winners == 0 || winners >= tally.len() {
            return fail(format!(
                "{} selections and {winners} winners: an audit needs at least one winner and one loser",
                tally.len()
            ));
        }
        let total: u128 = tally.iter().map(|(_, v)| u128::from(*v)).sum();
        if total > u128::from(ballots) * winners as u128 {
            return fail(format!(
                "{total} votes reported but only {ballots} ballots voting for at most {winners}; check the ballot count"
            ));
        }
        let mut tally = tally;
        tally.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if tally[winners - 1].1 == tally[winners].1 {
            return fail(format!(
                "{:?} and {:?} are tied at {} votes for the last winning place; resolve the tie with a full hand count",
                tally[winners - 1].0,
                tally[winners].0,
                tally[winners].1
            ));
        }
        Ok(ReportedContest {
            tally,
            ballots,
            winners,
        })
    }

    /// The tally, most votes first.
    pub fn tally(&self) -> &[(String, u64)] {
        &self.tally
    }

    /// Ballots cast in the contest's universe.
    pub fn ballots(&self) -> u64 {
        self.ballots
    }

    /// Number of winners.
    pub fn num_winners(&self) -> usize {
        self.winners
    }

    /// Index of a selection by name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.tally.iter().position(|(n, _)| n == name)
    }

    /// Every winner-loser assertion.
    pub fn pairs(&self) -> Vec<Pair> {
        let mut out = Vec::new();
        for winner in 0..self.winners {
            for loser in self.winners..self.tally.len() {
                out.push(Pair { winner, loser });
            }
        }
        out
    }

    /// Reported votes of selection `i`.
    pub fn votes(&self, i: usize) -> u64 {
        self.tally[i].1
    }

    /// The smallest reported margin over all assertions, in votes (last winner minus first
    /// loser).
    pub fn min_margin(&self) -> u64 {
        self.tally[self.winners - 1].1 - self.tally[self.winners].1
    }

    /// The diluted margin: smallest margin divided by ballots cast.
    pub fn diluted_margin(&self) -> f64 {
        if self.ballots == 0 {
            return 0.0;
        }
        self.min_margin() as f64 / self.ballots as f64
    }

    /// Sampled counts per selection index from `(name, count)` pairs (names not in the tally
    /// are rejected; selections not named count 0).
    ///
    /// # Errors
    /// [`AuditError::UnknownSelection`] for a name not in the tally.
    pub fn sample_counts(&self, sample: &[(String, u64)]) -> Result<Vec<u64>, AuditError> {
        let mut counts = vec![0u64; self.tally.len()];
        for (name, count) in sample {
            let i = self
                .index_of(name)
                .ok_or_else(|| AuditError::UnknownSelection { name: name.clone() })?;
            counts[i] += count;
        }
        Ok(counts)
    }
}

/// How many ballots to draw from a universe of `universe_ballots` so that a contest on
/// `contest_ballots` of them gets about `contest_sample` sampled ballots: a uniform sample of
/// the universe includes each contest ballot with the same probability, so the size scales by
/// `universe / contest` (rounded up). Use the maximum over contests to audit several contests
/// from one sample.
pub fn scale_to_universe(contest_sample: u64, contest_ballots: u64, universe_ballots: u64) -> u64 {
    if contest_ballots == 0 {
        return 0;
    }
    if contest_ballots >= universe_ballots {
        return contest_sample;
    }
    let num = u128::from(contest_sample) * u128::from(universe_ballots);
    let den = u128::from(contest_ballots);
    let n = num.div_ceil(den);
    u64::try_from(n).unwrap_or(u64::MAX).min(universe_ballots)
}

/// The size of one sample that serves every contest: the maximum of each contest's need
/// scaled to the universe (see [`scale_to_universe`]); `needs` are `(sample size, contest
/// ballots)`.
pub fn combined_sample_size(needs: &[(u64, u64)], universe_ballots: u64) -> u64 {
    needs
        .iter()
        .map(|&(n, b)| scale_to_universe(n, b, universe_ballots))
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[(&str, u64)]) -> Vec<(String, u64)> {
        v.iter().map(|(n, c)| (n.to_string(), *c)).collect()
    }

    #[test]
    fn winners_losers_and_pairs() {
        let c = ReportedContest::new(t(&[("B", 300), ("A", 500), ("C", 250), ("D", 100)]), 600, 2)
            .unwrap();
        assert_eq!(c.tally()[0].0, "A");
        assert_eq!(c.pairs().len(), 4);
        // Last winner B (300) minus first loser C (250).
        assert_eq!(c.min_margin(), 50);
        assert!((c.diluted_margin() - 50.0 / 600.0).abs() < 1e-15);
    }

    #[test]
    fn ties_and_degenerate_contests_are_rejected() {
        assert!(ReportedContest::new(t(&[("A", 5), ("B", 5)]), 10, 1).is_err());
        assert!(ReportedContest::new(t(&[("A", 5)]), 10, 1).is_err());
        assert!(ReportedContest::new(t(&[("A", 50), ("B", 5)]), 10, 1).is_err());
        assert!(ReportedContest::new(t(&[("A", 5), ("A", 3)]), 10, 1).is_err());
    }

    #[test]
    fn universe_scaling() {
        // A contest on half of the ballots needs twice the draws: 2 * 101 = 202.
        assert_eq!(scale_to_universe(101, 500, 1000), 202);
        assert_eq!(scale_to_universe(101, 1000, 1000), 101);
        assert_eq!(combined_sample_size(&[(101, 500), (150, 1000)], 1000), 202);
        // Never more than the whole universe.
        assert_eq!(scale_to_universe(900, 100, 1000), 1000);
    }
}
