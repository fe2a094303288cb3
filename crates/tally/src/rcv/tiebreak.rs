//! Tie-breaks, as RCTab's `tiebreakMode` documentation describes them.
//!
//! One `java.util.Random(randomSeed)` is created when the count starts and consumed by every
//! random tie-break in order, so a seeded count is reproducible: `random` sorts the tied
//! names (Rust `str` order, which equals Java's `String.compareTo` for names without
//! characters outside the Basic Multilingual Plane) and picks index
//! `floor(nextDouble() × n)`; `generatePermutation` shuffles the alphabetical list of all
//! candidates once with `Collections.shuffle` and then elects the earliest or eliminates the
//! latest tied candidate in that permutation.

use super::java_random::JavaRandom;
use super::{Candidate, CandidateId, Decimal, RcvError, TiebreakMode};

/// Tie-break state for one count.
pub(crate) struct Tiebreaker {
    mode: TiebreakMode,
    random: Option<JavaRandom>,
    /// Position of each candidate in the generated permutation (generatePermutation only).
    permutation_position: Vec<usize>,
}

impl Tiebreaker {
    /// Set up the tie-break for `candidates`.
    pub(crate) fn new(
        mode: TiebreakMode,
        seed: Option<i64>,
        candidates: &[Candidate],
    ) -> Result<Tiebreaker, RcvError> {
        let needs_seed = match mode {
            TiebreakMode::Random => Some("random"),
            TiebreakMode::PreviousRoundCountsThenRandom => Some("previousRoundCountsThenRandom"),
            TiebreakMode::GeneratePermutation => Some("generatePermutation"),
            _ => None,
        };
        let mut random = match (needs_seed, seed) {
            (Some(mode), None) => return Err(RcvError::MissingRandomSeed { mode }),
            (Some(_), Some(seed)) => Some(JavaRandom::new(seed)),
            (None, _) => None,
        };
        let mut permutation_position = Vec::new();
        if mode == TiebreakMode::GeneratePermutation {
            let mut order: Vec<usize> = (0..candidates.len())
                .filter(|&i| !candidates[i].undeclared_write_in)
                .collect();
            order.sort_by(|&a, &b| candidates[a].name.cmp(&candidates[b].name));
            if let Some(random) = random.as_mut() {
                random.shuffle(&mut order);
            }
            permutation_position = vec![usize::MAX; candidates.len()];
            for (position, &candidate) in order.iter().enumerate() {
                permutation_position[candidate] = position;
            }
        }
        Ok(Tiebreaker {
            mode,
            random,
            permutation_position,
        })
    }

    /// Choose one of `tied` (at least two): the winner if `selecting_winner`, else the loser.
    ///
    /// `history[r][c]` is candidate `c`'s tally in round `r + 1`, for rounds before `round`.
    pub(crate) fn select(
        &mut self,
        tied: &[CandidateId],
        selecting_winner: bool,
        round: u32,
        history: &[Vec<Option<Decimal>>],
        candidates: &[Candidate],
    ) -> Result<CandidateId, RcvError> {
        match self.mode {
            TiebreakMode::UseCandidateOrder => {
                Ok(pick_by_order(tied, selecting_winner, |c| c.index()))
            }
            TiebreakMode::GeneratePermutation => {
                let positions = &self.permutation_position;
                Ok(pick_by_order(tied, selecting_winner, |c| {
                    positions.get(c.index()).copied().unwrap_or(usize::MAX)
                }))
            }
            TiebreakMode::Random => self.random_pick(tied, candidates),
            TiebreakMode::StopCountingAndAsk => Err(ask(tied, round, candidates)),
            TiebreakMode::PreviousRoundCountsThenRandom
            | TiebreakMode::PreviousRoundCountsThenAsk => {
                let mut contention = sorted_by_name(tied, candidates);
                for tallies in history.iter().rev() {
                    // RCTab regroups the contenders through a java.util.HashSet, so the
                    // survivors come out in that set's iteration order.
                    let ordered = java_hash_set_order(&contention, candidates);
                    let value = |c: &CandidateId| tallies.get(c.index()).copied().flatten();
                    let pick = if selecting_winner {
                        ordered.iter().filter_map(value).max()
                    } else {
                        ordered.iter().filter_map(value).min()
                    };
                    let Some(pick) = pick else { continue };
                    contention = ordered
                        .into_iter()
                        .filter(|c| value(c) == Some(pick))
                        .collect();
                    if contention.len() == 1 {
                        return Ok(contention[0]);
                    }
                }
                if self.mode == TiebreakMode::PreviousRoundCountsThenAsk {
                    Err(ask(&contention, round, candidates))
                } else {
                    self.pick_in_order(&contention)
                }
            }
        }
    }

    fn random_pick(
        &mut self,
        tied: &[CandidateId],
        candidates: &[Candidate],
    ) -> Result<CandidateId, RcvError> {
        self.pick_in_order(&sorted_by_name(tied, candidates))
    }

    /// `list[floor(nextDouble() × n)]`.
    fn pick_in_order(&mut self, list: &[CandidateId]) -> Result<CandidateId, RcvError> {
        let Some(random) = self.random.as_mut() else {
            return Err(RcvError::MissingRandomSeed { mode: "random" });
        };
        Ok(list[random.pick_index(list.len())])
    }
}

fn sorted_by_name(tied: &[CandidateId], candidates: &[Candidate]) -> Vec<CandidateId> {
    let mut sorted = tied.to_vec();
    sorted.sort_by(|a, b| candidates[a.index()].name.cmp(&candidates[b.index()].name));
    sorted
}

/// Java's `String.hashCode`: `s[0]·31^(n-1) + … + s[n-1]` over UTF-16 code units, wrapping.
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// The iteration order of `new HashSet<>(list)` in OpenJDK: buckets in ascending index
/// (`(h ^ (h >>> 16)) & (capacity - 1)`), insertion order within a bucket.
fn java_hash_set_order(list: &[CandidateId], candidates: &[Candidate]) -> Vec<CandidateId> {
    // HashSet(Collection c): initial capacity max((int) (c.size() / .75f) + 1, 16), rounded
    // up to a power of two.
    let wanted = ((list.len() as f32 / 0.75f32) as usize + 1).max(16);
    let capacity = wanted.next_power_of_two();
    let bucket = |c: &CandidateId| {
        let h = java_string_hash(&candidates[c.index()].name);
        let spread = h ^ ((h as u32) >> 16) as i32;
        (spread as u32 as usize) & (capacity - 1)
    };
    let mut ordered = list.to_vec();
    ordered.sort_by_key(bucket);
    ordered
}

fn pick_by_order(
    tied: &[CandidateId],
    selecting_winner: bool,
    key: impl Fn(CandidateId) -> usize,
) -> CandidateId {
    let mut best = tied[0];
    for &c in &tied[1..] {
        let better = if selecting_winner {
            key(c) < key(best)
        } else {
            key(c) > key(best)
        };
        if better {
            best = c;
        }
    }
    best
}

fn ask(tied: &[CandidateId], round: u32, candidates: &[Candidate]) -> RcvError {
    let mut names: Vec<String> = tied
        .iter()
        .map(|c| candidates[c.index()].name.clone())
        .collect();
    names.sort();
    RcvError::TieNeedsDecision {
        round,
        candidates: names,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(names: &[&str]) -> Vec<Candidate> {
        names
            .iter()
            .map(|n| Candidate {
                name: (*n).to_string(),
                excluded: false,
                undeclared_write_in: false,
            })
            .collect()
    }

    #[test]
    fn hash_set_order_matches_openjdk() {
        // Printed by OpenJDK 17: `new HashSet<>(List.of(...))` iterates in these orders.
        let cases: [(&[&str], &[&str]); 3] = [
            (
                &[
                    "George Gervin",
                    "Mookie Blaylock",
                    "Yinka Dare",
                    "Sedale Threatt",
                ],
                &[
                    "Sedale Threatt",
                    "Yinka Dare",
                    "George Gervin",
                    "Mookie Blaylock",
                ],
            ),
            (
                &[
                    "Candidate A Name",
                    "Candidate B Name",
                    "Candidate C Name",
                    "Candidate D Name",
                ],
                &[
                    "Candidate A Name",
                    "Candidate D Name",
                    "Candidate C Name",
                    "Candidate B Name",
                ],
            ),
            (&["A", "B", "C", "Q", "a"], &["A", "Q", "a", "B", "C"]),
        ];
        for (input, expected) in cases {
            let candidates = named(input);
            let ids: Vec<CandidateId> = (0..input.len() as u32).map(CandidateId).collect();
            let order: Vec<&str> = java_hash_set_order(&ids, &candidates)
                .iter()
                .map(|c| candidates[c.index()].name.as_str())
                .collect();
            assert_eq!(order, expected);
        }
    }

    #[test]
    fn random_tiebreak_reproduces_rctab_seed_1() {
        // RCTab's tiebreak_seed_test (randomSeed 1): three tied at round 1, sorted
        // alphabetically; nextDouble() = 0.7308... picks index 2, Yinka Dare, to lose.
        let candidates = named(&["Mookie Blaylock", "Yinka Dare", "George Gervin"]);
        let mut t = Tiebreaker::new(TiebreakMode::Random, Some(1), &candidates).unwrap();
        let tied = [CandidateId(0), CandidateId(1), CandidateId(2)];
        assert_eq!(
            t.select(&tied, false, 1, &[], &candidates).unwrap(),
            CandidateId(1)
        );
    }

    #[test]
    fn asking_a_person_is_an_error_naming_the_tied() {
        let candidates = named(&["A", "B"]);
        let mut t = Tiebreaker::new(TiebreakMode::StopCountingAndAsk, None, &candidates).unwrap();
        let e = t
            .select(
                &[CandidateId(1), CandidateId(0)],
                false,
                3,
                &[],
                &candidates,
            )
            .unwrap_err();
        assert_eq!(
            e,
            RcvError::TieNeedsDecision {
                round: 3,
                candidates: vec!["A".into(), "B".into()]
            }
        );
    }
}
