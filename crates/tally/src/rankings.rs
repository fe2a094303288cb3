//! The rankings a precinct report gives for a ranked-choice contest
//! ([`canvass_model::RankingCount`]), checked against the definition and against the report's
//! own first-choice counts, and resolved to selection indexes.
//!
//! The rules (`docs/submissions.md`, "Rankings"): only ranked-choice contests carry
//! rankings; a pattern has at most `max_rankings` ranks, names only the contest's
//! selections, each at most once per rank, and ends with a marked rank; no pattern appears
//! twice and each covers at least one ballot; the patterns cover exactly the contest's
//! `ballots`; and their first ranks give exactly the report's `votes` (ballots marking one
//! selection alone), `overvotes` (several) and `undervotes` (none).

use canvass_model::{Contest, ContestCount, Rule};

/// One ballot pattern: per rank, first choice first, the indexes (in the contest's
/// selection order) of the selections marked there.
pub type Pattern = Vec<Vec<u32>>;

/// Why a report's rankings are refused: where (relative to the contest count, e.g.
/// `rankings[2].ranks[0]`) and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankingProblem {
    /// The field, relative to the contest count.
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> RankingProblem {
    RankingProblem {
        field: field.into(),
        message: message.into(),
    }
}

/// The patterns of `cc` (a count of `contest`) with their ballots, in the order given; empty
/// when `cc` has no rankings. Votes are summed over a selection's ballot lines.
///
/// # Errors
/// The first rule of the module documentation that `cc` breaks.
pub fn resolve(
    contest: &Contest,
    cc: &ContestCount,
) -> Result<Vec<(Pattern, u64)>, RankingProblem> {
    if cc.rankings.is_empty() {
        return Ok(Vec::new());
    }
    let id = &contest.id;
    let Rule::RankedChoice { max_rankings, .. } = contest.rule else {
        return Err(problem(
            "rankings",
            format!(
                "contest {id} is not a ranked-choice contest: send rankings only for ranked-choice contests"
            ),
        ));
    };
    let index = |s: &str| contest.selections.iter().position(|x| x.id.as_str() == s);
    let n = contest.selections.len();
    let mut first = vec![0u64; n];
    let (mut over, mut under, mut covered) = (0u64, 0u64, 0u64);
    let mut out: Vec<(Pattern, u64)> = Vec::with_capacity(cc.rankings.len());
    let mut seen = std::collections::HashSet::with_capacity(cc.rankings.len());
    for (p, rc) in cc.rankings.iter().enumerate() {
        let at = format!("rankings[{p}]");
        if rc.ballots == 0 {
            return Err(problem(
                format!("{at}.ballots"),
                "a pattern covers at least one ballot: leave out patterns with 0 ballots",
            ));
        }
        if rc.ranks.len() > max_rankings as usize {
            return Err(problem(
                format!("{at}.ranks"),
                format!(
                    "{} ranks, but contest {id} offers {max_rankings}",
                    rc.ranks.len()
                ),
            ));
        }
        if rc.ranks.last().is_some_and(Vec::is_empty) {
            return Err(problem(
                format!("{at}.ranks"),
                "the last rank is empty: leave out unmarked ranks after the last marked one",
            ));
        }
        let mut pattern: Pattern = Vec::with_capacity(rc.ranks.len());
        for (r, marks) in rc.ranks.iter().enumerate() {
            let mut rank: Vec<u32> = Vec::with_capacity(marks.len());
            for (m, s) in marks.iter().enumerate() {
                let si = index(s.as_str()).ok_or_else(|| {
                    problem(
                        format!("{at}.ranks[{r}][{m}]"),
                        format!("selection {s} is not on the ballot of contest {id}: check the selection id"),
                    )
                })?;
                // `si < n`, and a contest's selections are far fewer than 2^32.
                let si = si as u32;
                if rank.contains(&si) {
                    return Err(problem(
                        format!("{at}.ranks[{r}][{m}]"),
                        format!(
                            "selection {s} is marked twice at rank {}: list it once",
                            r + 1
                        ),
                    ));
                }
                rank.push(si);
            }
            pattern.push(rank);
        }
        match pattern.first().map(Vec::as_slice) {
            None | Some([]) => under = under.saturating_add(rc.ballots),
            Some([s]) => first[*s as usize] = first[*s as usize].saturating_add(rc.ballots),
            Some(_) => over = over.saturating_add(rc.ballots),
        }
        covered = covered.saturating_add(rc.ballots);
        if !seen.insert(pattern.clone()) {
            return Err(problem(
                &at,
                "this pattern appears twice: give each pattern once with all its ballots",
            ));
        }
        out.push((pattern, rc.ballots));
    }
    if covered != cc.ballots {
        return Err(problem(
            "rankings",
            format!(
                "the patterns cover {covered} ballots, but contest {id} has {} ballots: every ballot has exactly one pattern (a ballot that ranks nobody has no ranks)",
                cc.ballots
            ),
        ));
    }
    let mut votes = vec![0u64; n];
    for v in &cc.votes {
        if let Some(si) = index(v.selection.as_str()) {
            votes[si] = votes[si].saturating_add(v.votes);
        }
    }
    for (si, s) in contest.selections.iter().enumerate() {
        if votes[si] != first[si] {
            return Err(problem(
                "rankings",
                format!(
                    "the patterns rank {} first on {} ballots, but the report gives {} votes for {}: votes count the first choices, so they must agree",
                    s.id, first[si], votes[si], s.id
                ),
            ));
        }
    }
    for (what, given, ranked) in [
        ("overvotes", cc.overvotes, over),
        ("undervotes", cc.undervotes, under),
    ] {
        if given != ranked {
            return Err(problem(
                "rankings",
                format!(
                    "the patterns give {ranked} {what} at the first rank, but the report gives {given}: they must agree"
                ),
            ));
        }
    }
    Ok(out)
}
