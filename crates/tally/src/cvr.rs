//! Counting cast vote records for plurality (vote-for-N) contests.
//!
//! Ballots are first matched to the definition and packed into [`CompactBallots`]: a flat
//! array of integers, so that counting is a single pass of array increments. A contest
//! with more marks than `vote_for` is an overvote (adding `vote_for` overvotes); fewer
//! marks add the shortfall as undervotes. Ranked contests count first choices here; their
//! rounds are counted by [`crate::rcv`].

use std::collections::{BTreeMap, HashMap};

use canvass_model::{
    CastVoteRecord, Choice, ContestCount, ContestId, Election, PrecinctId, PrecinctResult,
    SelectionCount, SelectionId,
};

use crate::index::Index;
use crate::report::selection_name;

/// Ballots packed as integers: per ballot `[contests, (contest, marks, selection…)…]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactBallots {
    data: Vec<u32>,
    ballots: usize,
}

impl CompactBallots {
    /// An empty set of ballots.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one ballot: each contest on it with the selections marked (rank 1).
    pub fn push(&mut self, contests: &[(u32, &[u32])]) {
        self.data.push(contests.len() as u32);
        for (c, marks) in contests {
            self.data.push(*c);
            self.data.push(marks.len() as u32);
            self.data.extend_from_slice(marks);
        }
        self.ballots += 1;
    }

    /// How many ballots.
    pub fn len(&self) -> usize {
        self.ballots
    }

    /// Whether there are no ballots.
    pub fn is_empty(&self) -> bool {
        self.ballots == 0
    }
}

/// One contest's counts from ballots, per column (selection and ballot line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BallotCounts {
    /// Ballots containing the contest.
    pub ballots: u64,
    /// Overvotes, in votes.
    pub overvotes: u64,
    /// Undervotes, in votes.
    pub undervotes: u64,
    /// Votes per column of [`Index`], in the contest's column order.
    pub votes: Vec<u64>,
}

/// Counts packed ballots: one [`BallotCounts`] per contest of the definition.
///
/// Contest and column indexes must come from the same definition (as
/// [`CvrMatcher::pack`] guarantees); out-of-range indexes are skipped, never a panic.
pub fn count(e: &Election, ix: &Index, ballots: &CompactBallots) -> Vec<BallotCounts> {
    let vote_for: Vec<u64> = e.contests.iter().map(|c| u64::from(c.vote_for)).collect();
    let mut out: Vec<BallotCounts> = ix
        .contests
        .iter()
        .map(|c| BallotCounts {
            votes: vec![0; c.columns.len()],
            ..Default::default()
        })
        .collect();
    let d = &ballots.data;
    let mut i = 0;
    while i < d.len() {
        let contests = d[i] as usize;
        i += 1;
        for _ in 0..contests {
            let (Some(&c), Some(&n)) = (d.get(i), d.get(i + 1)) else {
                return out;
            };
            let (c, n) = (c as usize, n as usize);
            let marks = d.get(i + 2..i + 2 + n).unwrap_or(&[]);
            i += 2 + n;
            let (Some(bc), Some(&vf)) = (out.get_mut(c), vote_for.get(c)) else {
                continue;
            };
            bc.ballots += 1;
            if n as u64 > vf {
                bc.overvotes += vf;
            } else {
                bc.undervotes += vf - n as u64;
                for &s in marks {
                    if let Some(v) = bc.votes.get_mut(s as usize) {
                        *v += 1;
                    }
                }
            }
        }
    }
    out
}

/// Names in cast vote records that match nothing in the definition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unmatched {
    /// Contest names not found, with how many ballots carried them.
    pub contests: BTreeMap<String, u64>,
    /// (contest, choice) names not found, with how many marks.
    pub choices: BTreeMap<(String, String), u64>,
}

impl Unmatched {
    /// True when every name matched.
    pub fn is_empty(&self) -> bool {
        self.contests.is_empty() && self.choices.is_empty()
    }
}

/// Matches exported contest and choice names to a definition, by id or by name
/// (case-insensitively), and packs ballots. A fusion selection must be named with its
/// line, as `NAME (LINE)` or `ID:LINE`: a bare name does not say which line was marked.
pub struct CvrMatcher<'e> {
    e: &'e Election,
    /// The definition's column indexes.
    pub index: Index,
    contests: HashMap<String, usize>,
    selections: Vec<HashMap<String, usize>>,
    write_in: Vec<Option<usize>>,
}

impl<'e> CvrMatcher<'e> {
    /// Builds the name tables of a definition.
    pub fn new(e: &'e Election) -> Self {
        let index = Index::new(e);
        let mut contests = HashMap::new();
        let mut selections = Vec::new();
        let mut write_in = Vec::new();
        for (ci, c) in e.contests.iter().enumerate() {
            contests.insert(c.id.as_str().to_lowercase(), ci);
            contests.entry(c.name.to_lowercase()).or_insert(ci);
            let mut m = HashMap::new();
            for (col, column) in index.contests[ci].columns.iter().enumerate() {
                let s = &c.selections[column.selection];
                let mut names = vec![s.id.to_string(), selection_name(e, c, column.selection)];
                if let canvass_model::SelectionChoice::Candidate(id) = &s.choice {
                    names.push(id.to_string());
                }
                for n in names {
                    let key = match &column.line {
                        Some(l) => vec![format!("{n} ({l})"), format!("{n}:{l}")],
                        None => vec![n],
                    };
                    for k in key {
                        m.entry(k.to_lowercase()).or_insert(col);
                    }
                }
            }
            selections.push(m);
            write_in.push(index.contests[ci].columns.iter().position(|col| {
                matches!(
                    c.selections[col.selection].choice,
                    canvass_model::SelectionChoice::GenericWriteIn(_)
                )
            }));
        }
        CvrMatcher {
            e,
            index,
            contests,
            selections,
            write_in,
        }
    }

    /// Packs one record's rank-1 marks, noting unmatched names.
    pub fn pack(&self, r: &CastVoteRecord, into: &mut CompactBallots, unmatched: &mut Unmatched) {
        let mut contests: Vec<(u32, Vec<u32>)> = Vec::with_capacity(r.contests.len());
        for c in &r.contests {
            let Some(&ci) = self.contests.get(&c.contest.to_lowercase()) else {
                *unmatched.contests.entry(c.contest.clone()).or_default() += 1;
                continue;
            };
            let mut marks = Vec::new();
            let mut overvoted = false;
            for m in c.marks.iter().filter(|m| m.rank == 1) {
                match &m.choice {
                    Choice::Candidate(name) => {
                        match self.selections[ci].get(&name.to_lowercase()) {
                            Some(&si) => marks.push(si as u32),
                            None => {
                                *unmatched
                                    .choices
                                    .entry((c.contest.clone(), name.clone()))
                                    .or_default() += 1
                            }
                        }
                    }
                    Choice::UndeclaredWriteIn => match self.write_in[ci] {
                        Some(si) => marks.push(si as u32),
                        None => {
                            *unmatched
                                .choices
                                .entry((c.contest.clone(), "(write-in)".into()))
                                .or_default() += 1
                        }
                    },
                    Choice::Overvote => overvoted = true,
                    Choice::Undervote => {}
                }
            }
            if overvoted {
                // An explicit overvote marker: more marks than allowed.
                marks = vec![0; self.e.contests[ci].vote_for as usize + 1];
            }
            contests.push((ci as u32, marks));
        }
        let refs: Vec<(u32, &[u32])> = contests.iter().map(|(c, m)| (*c, m.as_slice())).collect();
        into.push(&refs);
    }
}

/// Counts records as they stream in, per precinct, for the [`crate::Tabulator`].
pub struct CvrCounter<'e> {
    matcher: CvrMatcher<'e>,
    by_unit: BTreeMap<String, CompactBallots>,
    unmatched: Unmatched,
    default_unit: String,
}

impl<'e> CvrCounter<'e> {
    /// A counter for a definition; records without a precinct count under `default_unit`.
    pub fn new(e: &'e Election, default_unit: &str) -> Self {
        CvrCounter {
            matcher: CvrMatcher::new(e),
            by_unit: BTreeMap::new(),
            unmatched: Unmatched::default(),
            default_unit: default_unit.to_owned(),
        }
    }

    /// Adds one record.
    pub fn add(&mut self, r: &CastVoteRecord) {
        let unit = r.precinct.as_deref().unwrap_or(&self.default_unit);
        if !self.by_unit.contains_key(unit) {
            self.by_unit.insert(unit.to_owned(), CompactBallots::new());
        }
        if let Some(b) = self.by_unit.get_mut(unit) {
            self.matcher.pack(r, b, &mut self.unmatched);
        }
    }

    /// One [`PrecinctResult`] per precinct, sorted by precinct, and the unmatched names.
    pub fn finish(self) -> (Vec<PrecinctResult>, Unmatched) {
        let e = self.matcher.e;
        let ix = &self.matcher.index;
        let results = self
            .by_unit
            .into_iter()
            .map(|(unit, ballots)| {
                let counts = count(e, ix, &ballots);
                PrecinctResult {
                    precinct: PrecinctId::new(unit),
                    portion: None,
                    counting_group: None,
                    contests: e
                        .contests
                        .iter()
                        .zip(counts)
                        .zip(&ix.contests)
                        .filter(|((_, bc), _)| bc.ballots > 0)
                        .map(|((c, bc), cix)| ContestCount {
                            rankings: Vec::new(),
                            contest: ContestId::new(c.id.as_str()),
                            ballots: bc.ballots,
                            overvotes: bc.overvotes,
                            undervotes: bc.undervotes,
                            votes: cix
                                .columns
                                .iter()
                                .zip(&bc.votes)
                                .map(|(col, &v)| SelectionCount {
                                    selection: SelectionId::new(
                                        c.selections[col.selection].id.as_str(),
                                    ),
                                    line: col.line.clone(),
                                    votes: v,
                                })
                                .collect(),
                        })
                        .collect(),
                }
            })
            .collect();
        (results, self.unmatched)
    }
}

/// Counts records per precinct and returns one [`PrecinctResult`] per precinct, ready for
/// the [`crate::Tabulator`]. Records without a precinct are grouped under `default_unit`.
pub fn precinct_results(
    e: &Election,
    records: &[CastVoteRecord],
    default_unit: &str,
) -> (Vec<PrecinctResult>, Unmatched) {
    let mut counter = CvrCounter::new(e, default_unit);
    for r in records {
        counter.add(r);
    }
    counter.finish()
}
