//! Ballots consistent with a precinct's results: the marks of every simulated ballot, such
//! that counting them gives back the precinct's counts exactly.
//!
//! For each contest on the precinct's ballots the outcomes (one per ballot: a column, an
//! undervote or an overvote) are laid out as a multiset with exactly the reported counts,
//! ordered by party (Democratic lines and "yes" first, minor candidates, write-ins,
//! undervotes and overvotes in the middle, Republican lines and "no" last). About one
//! position in eight is swapped with a random other position, and then every contest is
//! read through one random permutation of the ballots shared by the precinct. Each step is a
//! permutation, so the counts are exact; the shared permutation makes ballots lean one way
//! across contests (straight tickets), the swaps make split tickets.
//!
//! Only vote-for-1 contests are supported (as in the built-in elections), and ranked-choice
//! contests get their first choices only.

use std::collections::HashMap;

use canvass_model::{
    Answer, Contest, Election, PartyId, PrecinctResult, SelectionChoice, SelectionId,
};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

use crate::error::CvrError;

/// One ballot's mark in one contest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Nothing marked.
    Undervote,
    /// One column marked (0-based index into [`columns`]).
    Column(u16),
    /// Two columns of different selections marked: an overvote.
    Overvote(u16, u16),
}

/// A contest's columns in the order precinct results list them: one per selection, or one
/// per line of a fusion selection (several lines).
pub fn columns(c: &Contest) -> Vec<(SelectionId, Option<PartyId>)> {
    let mut out = Vec::new();
    for s in &c.selections {
        if s.lines.len() > 1 {
            out.extend(s.lines.iter().map(|l| (s.id.clone(), Some(l.clone()))));
        } else {
            out.push((s.id.clone(), None));
        }
    }
    out
}

/// The ballots of one precinct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecinctBallots {
    /// The contests on the ballots (indexes into `Election::contests`), in the order of the
    /// precinct's results.
    pub contests: Vec<usize>,
    /// The number of ballots.
    pub ballots: usize,
    /// The marks, ballot by ballot: ballot `i`'s mark in contest `k` is at
    /// `i * contests.len() + k`.
    pub marks: Vec<Mark>,
}

impl PrecinctBallots {
    /// Ballot `i`'s marks, one per contest.
    pub fn ballot(&self, i: usize) -> &[Mark] {
        let k = self.contests.len();
        &self.marks[i * k..(i + 1) * k]
    }
}

/// Where an outcome goes in the party order: 0 first, 2 last.
fn lean_group(c: &Contest, column: &(SelectionId, Option<PartyId>)) -> u8 {
    let Some(s) = c.selections.iter().find(|s| s.id == column.0) else {
        return 1;
    };
    let party = column
        .1
        .as_ref()
        .or_else(|| s.lines.first())
        .map(|p| p.as_str());
    match (&s.choice, party) {
        (SelectionChoice::Answer(Answer::Yes), _) | (_, Some("DEM")) => 0,
        (SelectionChoice::Answer(Answer::No), _) | (_, Some("REP")) => 2,
        _ => 1,
    }
}

/// A uniform integer below `n` (Lemire's multiply-shift; `n` < 2^32).
fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    ((u64::from(rng.next_u32()) * n as u64) >> 32) as usize
}

/// The seed of one precinct's ballots: the simulation seed mixed with the precinct's index
/// in the definition (SplitMix64 finalizer), so shards can be made in any order.
pub fn precinct_seed(seed: u64, precinct_index: usize) -> u64 {
    let mut z = seed
        ^ 0xC0FF_EE00_CB5E_ED00
        ^ (precinct_index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Lookups over a definition for making ballots.
#[derive(Debug, Clone)]
pub struct BallotMaker<'e> {
    election: &'e Election,
    contest_of: HashMap<&'e str, usize>,
    /// Columns of each contest of the definition.
    pub columns: Vec<Vec<(SelectionId, Option<PartyId>)>>,
    groups: Vec<Vec<u8>>,
}

impl<'e> BallotMaker<'e> {
    /// Builds the lookups.
    pub fn new(election: &'e Election) -> Self {
        let columns: Vec<_> = election.contests.iter().map(columns).collect();
        let groups = election
            .contests
            .iter()
            .zip(&columns)
            .map(|(c, cols)| cols.iter().map(|col| lean_group(c, col)).collect())
            .collect();
        BallotMaker {
            election,
            contest_of: election
                .contests
                .iter()
                .enumerate()
                .map(|(i, c)| (c.id.as_str(), i))
                .collect(),
            columns,
            groups,
        }
    }

    /// The definition.
    pub fn election(&self) -> &'e Election {
        self.election
    }

    /// The index of a contest in the definition.
    pub fn contest_index(&self, id: &str) -> Option<usize> {
        self.contest_of.get(id).copied()
    }

    /// Makes the ballots of one precinct from its results, with the RNG seeded by `seed`
    /// (see [`precinct_seed`]).
    ///
    /// # Errors
    /// [`CvrError::Unsupported`] for a contest that is not vote-for-1 or has no two
    /// selections to overvote, [`CvrError::Inconsistent`] for counts that do not balance
    /// (`ballots = votes + overvotes + undervotes`), contests with different ballot counts in
    /// one precinct, or a contest or column the definition does not have.
    pub fn precinct(
        &self,
        result: &PrecinctResult,
        seed: u64,
    ) -> Result<PrecinctBallots, CvrError> {
        let p = result.precinct.as_str();
        let bad = |m: String| CvrError::Inconsistent {
            precinct: p.to_owned(),
            message: m,
        };
        let ballots = result.contests.first().map_or(0, |c| c.ballots);
        let n = usize::try_from(ballots).map_err(|_| bad("too many ballots".into()))?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // The precinct's shared permutation.
        let mut perm: Vec<u32> = (0..n as u32).collect();
        for i in (1..n).rev() {
            perm.swap(i, below(&mut rng, i + 1));
        }
        let k = result.contests.len();
        let mut contests = Vec::with_capacity(k);
        let mut marks = vec![Mark::Undervote; n * k];
        let mut layout: Vec<Mark> = Vec::with_capacity(n);
        for (ci, cc) in result.contests.iter().enumerate() {
            let Some(idx) = self.contest_index(cc.contest.as_str()) else {
                return Err(bad(format!(
                    "contest {} is not in the definition",
                    cc.contest
                )));
            };
            let contest = &self.election.contests[idx];
            if contest.vote_for != 1 {
                return Err(CvrError::Unsupported(format!(
                    "contest {} is vote-for-{}: simulated ballots support vote-for-1 contests only",
                    contest.id, contest.vote_for
                )));
            }
            if cc.ballots != ballots {
                return Err(bad(format!(
                    "contest {} has {} ballots, {} has {ballots}: every contest of a precinct must be on every ballot",
                    cc.contest, cc.ballots, result.contests[0].contest
                )));
            }
            let cols = &self.columns[idx];
            if cc.votes.len() != cols.len()
                || cc
                    .votes
                    .iter()
                    .zip(cols)
                    .any(|(v, (s, l))| v.selection != *s || v.line != *l)
            {
                return Err(bad(format!(
                    "contest {}: the votes must list every column of the definition in order",
                    cc.contest
                )));
            }
            let votes: u64 = cc.votes.iter().map(|v| v.votes).sum();
            if votes + cc.overvotes + cc.undervotes != ballots {
                return Err(bad(format!(
                    "contest {}: {votes} votes + {} overvotes + {} undervotes is not {ballots} ballots",
                    cc.contest, cc.overvotes, cc.undervotes
                )));
            }
            // Lay out the outcomes in party order.
            layout.clear();
            let groups = &self.groups[idx];
            for g in 0..3u8 {
                for (col, v) in cc.votes.iter().enumerate() {
                    if groups[col] == g {
                        layout.extend((0..v.votes).map(|_| Mark::Column(col as u16)));
                    }
                }
                if g == 1 {
                    layout.extend((0..cc.undervotes).map(|_| Mark::Undervote));
                    for _ in 0..cc.overvotes {
                        layout.push(self.overvote(idx, &mut rng)?);
                    }
                }
            }
            // Split tickets: swap about one position in eight with a random one.
            for j in 0..n {
                if rng.next_u32() & 7 == 0 {
                    let other = below(&mut rng, n);
                    layout.swap(j, other);
                }
            }
            for (i, &pi) in perm.iter().enumerate() {
                marks[i * k + ci] = layout[pi as usize];
            }
            contests.push(idx);
        }
        Ok(PrecinctBallots {
            contests,
            ballots: n,
            marks,
        })
    }

    /// Two columns of different selections, chosen at random.
    fn overvote(&self, contest: usize, rng: &mut ChaCha8Rng) -> Result<Mark, CvrError> {
        let cols = &self.columns[contest];
        let distinct = cols
            .first()
            .is_some_and(|f| cols.iter().any(|c| c.0 != f.0));
        if !distinct {
            return Err(CvrError::Unsupported(format!(
                "contest {} has overvotes but fewer than two selections to mark",
                self.election.contests[contest].id
            )));
        }
        let a = below(rng, cols.len());
        loop {
            let b = below(rng, cols.len());
            if cols[b].0 != cols[a].0 {
                return Ok(Mark::Overvote(a as u16, b as u16));
            }
        }
    }
}
