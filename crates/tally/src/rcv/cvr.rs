//! From cast vote records to ranked ballots: names to candidate indices.
//!
//! A choice matches a candidate by its name or any alias (RCTab `aliases`, or the older
//! `code`), exactly as written. Undeclared write-ins go to the "Undeclared Write-ins"
//! pseudo-candidate, appended after the declared candidates as RCTab does; explicit
//! overvote markers stay overvotes; undervote markers are no mark.

use std::collections::HashMap;

use canvass_model::{CastVoteRecord, Choice};

use super::{Candidate, CandidateId, Contest, Mark, RankedBallot, Ranking, RcvError};

/// RCTab's name for the undeclared write-in pseudo-candidate.
pub const UNDECLARED_WRITE_INS: &str = "Undeclared Write-ins";

/// A declared candidate and the other texts that may name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateSpec {
    /// The name reports use.
    pub name: String,
    /// Other texts CVRs may use (codes, ids, spellings).
    pub aliases: Vec<String>,
    /// Excluded from tabulation.
    pub excluded: bool,
}

/// Builds the contest to count from `candidates` and the records' marks.
///
/// With `undeclared_write_ins`, the pseudo-candidate [`UNDECLARED_WRITE_INS`] is added last.
/// Every contest in each record contributes its marks (readers have already kept only the
/// configured contest); a record with no marks is a ballot without rankings.
///
/// # Errors
/// [`RcvError::UnknownChoice`] for a choice matching no candidate or alias, or an
/// undeclared write-in when none are counted.
pub fn contest_from_cvrs(
    candidates: &[CandidateSpec],
    undeclared_write_ins: bool,
    cvrs: &[CastVoteRecord],
) -> Result<Contest, RcvError> {
    let mut list: Vec<Candidate> = candidates
        .iter()
        .map(|c| Candidate {
            name: c.name.clone(),
            excluded: c.excluded,
            undeclared_write_in: false,
        })
        .collect();
    let mut by_text: HashMap<&str, CandidateId> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        let id = CandidateId(
            u32::try_from(i).map_err(|_| RcvError::Unsupported("too many candidates".into()))?,
        );
        by_text.entry(c.name.as_str()).or_insert(id);
        for alias in &c.aliases {
            by_text.entry(alias.as_str()).or_insert(id);
        }
    }
    let uwi = if undeclared_write_ins {
        list.push(Candidate {
            name: UNDECLARED_WRITE_INS.into(),
            excluded: false,
            undeclared_write_in: true,
        });
        Some(CandidateId(
            u32::try_from(list.len() - 1).unwrap_or(u32::MAX),
        ))
    } else {
        None
    };
    let mut ballots = Vec::with_capacity(cvrs.len());
    for cvr in cvrs {
        let mut rankings: Vec<Ranking> = Vec::new();
        for contest in &cvr.contests {
            for mark in &contest.marks {
                let m = match &mark.choice {
                    Choice::Undervote => continue,
                    Choice::Overvote => Mark::Overvote,
                    Choice::UndeclaredWriteIn => match uwi {
                        Some(id) => Mark::Candidate(id),
                        None => {
                            return Err(RcvError::UnknownChoice {
                                ballot: cvr.id.clone(),
                                choice: "an undeclared write-in".into(),
                            });
                        }
                    },
                    Choice::Candidate(text) => match by_text.get(text.as_str()) {
                        Some(&id) => Mark::Candidate(id),
                        None => {
                            return Err(RcvError::UnknownChoice {
                                ballot: cvr.id.clone(),
                                choice: text.clone(),
                            });
                        }
                    },
                };
                match rankings.iter_mut().find(|r| r.rank == mark.rank) {
                    Some(r) => r.marks.push(m),
                    None => rankings.push(Ranking {
                        rank: mark.rank,
                        marks: vec![m],
                    }),
                }
            }
        }
        rankings.sort_by_key(|r| r.rank);
        ballots.push(RankedBallot {
            id: cvr.id.clone(),
            rankings,
            count: 1,
        });
    }
    Ok(Contest {
        candidates: list,
        ballots,
    })
}
