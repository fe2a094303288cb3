//! The outcome of one contest from its totals: leader, winners, runoff, recount, tie.
//!
//! Pure integer arithmetic. Percentages are rounded half up to hundredths and returned as
//! strings, so no floating point enters a result.

use canvass_model::{Answer, Contest, RecountBasis, RecountRule, Rule, SelectionChoice};
use serde::Serialize;

/// How far a contest's count has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// No reporting unit has reported.
    NotReporting,
    /// Some units have reported.
    Partial,
    /// Every expected unit has reported (or the count was declared complete).
    Complete,
}

/// A triggered recount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RecountFlag {
    /// True when the recount is automatic; false when a candidate may request it.
    pub automatic: bool,
    /// The margin, in votes, between the last winner and the first loser.
    pub margin_votes: u64,
    /// The state's threshold, in basis points of the rule's basis.
    pub threshold_basis_points: u32,
}

/// The decision of one contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Selection indexes in order of votes, most first (definition order breaks ties).
    #[serde(skip)]
    pub ranking: Vec<usize>,
    /// The leading selection, once any votes are counted.
    #[serde(skip)]
    pub leader: Option<usize>,
    /// Winners, once the count is complete and decided.
    #[serde(skip)]
    pub winners: Vec<usize>,
    /// The two selections in a runoff, when a majority was required and not reached.
    #[serde(skip)]
    pub runoff: Vec<usize>,
    /// Votes between the last winning place and the first losing one.
    pub margin_votes: u64,
    /// The same margin as a percentage of the votes, e.g. `"0.25"`.
    pub margin_percent: String,
    /// True when the last winning place is tied with the first losing one.
    pub tie: bool,
    /// A triggered recount, if any.
    pub recount: Option<RecountFlag>,
    /// For ballot measures: whether it passed.
    pub passed: Option<bool>,
    /// True for a ranked-choice contest that first choices alone do not decide: the
    /// round-by-round count of the cast vote records decides it.
    pub needs_ranked_choice_rounds: bool,
}

/// `part` as a percentage of `whole`, rounded half up to hundredths: `"50.12"`.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0.00".into();
    }
    let bp = (u128::from(part) * 10_000 * 2 + u128::from(whole)) / (2 * u128::from(whole));
    format!("{}.{:02}", bp / 100, bp % 100)
}

/// Decides a contest from its per-selection votes.
///
/// `votes[i]` is the votes of selection `i`; `complete` says whether every expected unit
/// has reported; `recount` is the state's rule, if any.
pub fn decide(
    contest: &Contest,
    votes: &[u64],
    complete: bool,
    recount: Option<&RecountRule>,
) -> Outcome {
    let total: u64 = votes.iter().sum();
    let mut ranking: Vec<usize> = (0..votes.len()).collect();
    ranking.sort_by(|&a, &b| votes[b].cmp(&votes[a]).then(a.cmp(&b)));
    // A generic write-in total is not a candidate and cannot win.
    let eligible: Vec<usize> = ranking
        .iter()
        .copied()
        .filter(|&i| {
            !matches!(
                contest.selections[i].choice,
                SelectionChoice::GenericWriteIn(_)
            )
        })
        .collect();
    let mut out = Outcome {
        leader: eligible.first().copied().filter(|_| total > 0),
        ranking,
        winners: Vec::new(),
        runoff: Vec::new(),
        margin_votes: 0,
        margin_percent: "0.00".into(),
        tie: false,
        recount: None,
        passed: None,
        needs_ranked_choice_rounds: false,
    };
    if total == 0 {
        return out;
    }
    if contest
        .selections
        .iter()
        .any(|s| matches!(s.choice, SelectionChoice::Answer(_)))
    {
        decide_measure(contest, votes, complete, &mut out);
        return out;
    }
    let seats = contest.vote_for as usize;
    let last_in = eligible
        .get(seats.saturating_sub(1))
        .map_or(0, |&i| votes[i]);
    let first_out = eligible.get(seats).map_or(0, |&i| votes[i]);
    out.margin_votes = last_in - first_out;
    out.margin_percent = percent(out.margin_votes, total);
    out.tie = eligible.len() > seats && last_in == first_out;
    let majority = |v: u64| u128::from(v) * 2 > u128::from(total);
    let top = eligible.first().map_or(0, |&i| votes[i]);
    match contest.rule {
        Rule::Majority { runoff } if !majority(top) && complete && runoff => {
            out.runoff = eligible.iter().copied().take(2).collect();
        }
        Rule::Majority { .. } if !majority(top) => {}
        Rule::RankedChoice { .. } if !majority(top) => out.needs_ranked_choice_rounds = true,
        _ if complete && !out.tie => out.winners = eligible.iter().copied().take(seats).collect(),
        _ => {}
    }
    if let Some(rule) = recount {
        let base = match rule.basis {
            RecountBasis::TotalVotes => total,
            RecountBasis::WinnerVotes => last_in,
        };
        let by_share = u128::from(out.margin_votes) * 10_000
            <= u128::from(rule.margin_basis_points) * u128::from(base);
        let by_votes = rule.margin_votes.is_some_and(|m| out.margin_votes <= m);
        if complete && eligible.len() > seats && (by_share || by_votes) {
            out.recount = Some(RecountFlag {
                automatic: rule.automatic,
                margin_votes: out.margin_votes,
                threshold_basis_points: rule.margin_basis_points,
            });
        }
    }
    out
}

fn decide_measure(contest: &Contest, votes: &[u64], complete: bool, out: &mut Outcome) {
    let find = |a: Answer| {
        contest
            .selections
            .iter()
            .position(|s| s.choice == SelectionChoice::Answer(a))
    };
    let (Some(yi), Some(ni)) = (find(Answer::Yes), find(Answer::No)) else {
        return;
    };
    let (yes, no) = (u128::from(votes[yi]), u128::from(votes[ni]));
    let passed = match contest.rule {
        Rule::Supermajority {
            numerator,
            denominator,
        } => yes * u128::from(denominator) >= u128::from(numerator) * (yes + no),
        _ => yes > no,
    };
    out.leader = Some(if passed { yi } else { ni });
    out.margin_votes = votes[yi].abs_diff(votes[ni]);
    out.margin_percent = percent(out.margin_votes, votes[yi] + votes[ni]);
    out.tie = matches!(contest.rule, Rule::Plurality | Rule::Majority { .. }) && yes == no;
    if complete {
        out.passed = Some(passed);
        out.winners = vec![if passed { yi } else { ni }];
    }
}
