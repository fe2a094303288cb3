//! What several server tests share: the built-in us-2020 definition and signed
//! Pennsylvania presidential reports.
#![allow(dead_code)]

use canvass_model::{ContestCount, PrecinctResult, SelectionCount};
use canvass_server::{Payload, SecretKey, Submission};

/// The built-in us-2020 definition.
pub fn us2020() -> canvass_model::Election {
    canvass_model::builtin("us-2020").unwrap().unwrap()
}

/// A president-PA count for `precinct`: `ballots` ballots, Biden–Harris `biden` votes and
/// `other` votes for `selection` (no over- or undervotes recorded).
pub fn pa_vs(
    precinct: &str,
    ballots: u64,
    biden: u64,
    other: u64,
    selection: &str,
) -> PrecinctResult {
    let sel = |s: &str, votes| SelectionCount {
        selection: s.into(),
        line: None,
        votes,
    };
    PrecinctResult {
        precinct: precinct.into(),
        portion: None,
        counting_group: None,
        contests: vec![ContestCount {
            rankings: Vec::new(),
            contest: "president-PA".into(),
            ballots,
            overvotes: 0,
            undervotes: 0,
            votes: vec![sel("biden-harris", biden), sel(selection, other)],
        }],
    }
}

/// [`pa_vs`] against Trump–Pence.
pub fn pa(precinct: &str, ballots: u64, biden: u64, trump: u64) -> PrecinctResult {
    pa_vs(precinct, ballots, biden, trump, "trump-pence")
}

/// Report `seq` of jurisdiction `j` with the result `r`, signed with `key`.
pub fn doc(key: &SecretKey, j: &str, seq: u64, r: PrecinctResult) -> String {
    Submission {
        election: "us-2020".into(),
        jurisdiction: j.into(),
        sequence: seq,
        timestamp: 1_604_448_000,
        amendment: None,
        payload: Payload::PrecinctResults { results: vec![r] },
    }
    .sign(key)
}
