//! Inferring an election definition from a returns file, so `canvass tally` can run
//! without one.

use std::collections::BTreeMap;

use canvass_model::{
    Allocation, Candidate, CandidateId, Contest, ContestId, County, CountyId, CountyKind, Election,
    ElectionId, ElectionInfo, Office, Party, PartyId, Precinct, PrecinctId, Rule, Selection,
    SelectionChoice, SelectionId, State, StateId, StateKind,
};

use super::{CountKind, Returns};

/// A lower-case id: letters and digits, other runs as one `-`.
pub(super) fn slug(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() { "x".into() } else { out }
}

/// The states of the built-in 2024 definition, built once: building the whole definition
/// (every county and contest) per call made inference, and the medsl fuzz target, slow.
fn builtin_states() -> &'static [State] {
    static STATES: std::sync::OnceLock<Vec<State>> = std::sync::OnceLock::new();
    STATES.get_or_init(|| {
        canvass_model::builtin("us-2024")
            .and_then(Result::ok)
            .map(|e| e.states)
            .unwrap_or_default()
    })
}

/// The state as the built-in 2024 definition has it (real electoral votes and seats), or
/// else an area with no electors.
fn known_state(postal: &str, fips: String) -> State {
    let known = builtin_states()
        .iter()
        .find(|s| s.postal.as_str() == postal)
        .cloned();
    known.unwrap_or_else(|| State {
        postal: StateId::new(postal),
        name: postal.to_string(),
        fips,
        kind: StateKind::Territory,
        electoral_votes: 0,
        allocation: Allocation::None,
        house_seats: 0,
        recount: None,
    })
}

/// An election inferred from returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inferred {
    /// The definition.
    pub election: Election,
    /// Labels of contests left out because no candidate was on the ballot (write-ins
    /// only: a definition needs a choosable selection). Pass them as `ignore_contests`.
    pub left_out: Vec<String>,
}

/// Builds an election from returns alone: one state per `state_po`, one county per
/// `county_fips`, one precinct per (county, precinct) with id `<county_fips>-<precinct>`,
/// one contest per office and district (id from its label, plurality, vote for
/// `magnitude`), one candidate per name (id `<contest id>.<name>`), and a generic
/// write-in where the returns have write-in rows. A contest with no candidate is left
/// out and listed in [`Inferred::left_out`]. Every office is `other`: the returns do
/// not say which contests elect electors or seats, and canvass does not guess. Names
/// are as in the file; a state's facts (electoral votes, seats) come from the built-in
/// 2024 definition.
///
/// Map the same returns onto the result with [`super::map`] and empty aliases.
pub fn infer(r: &Returns, id: &str, name: &str, date: &str) -> Inferred {
    let mut states: BTreeMap<String, String> = BTreeMap::new();
    let mut counties: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut precincts = Vec::new();
    for p in &r.precincts {
        let st = if p.state.is_empty() {
            "XX".to_string()
        } else {
            p.state.clone()
        };
        let fips = if p.county_fips.is_empty() {
            format!("{st}-county")
        } else {
            p.county_fips.clone()
        };
        states
            .entry(st.clone())
            .or_insert_with(|| fips.chars().take(2).collect());
        counties.entry(fips.clone()).or_insert_with(|| {
            (
                st.clone(),
                if p.county_name.is_empty() {
                    fips.clone()
                } else {
                    p.county_name.clone()
                },
            )
        });
        precincts.push(Precinct {
            id: PrecinctId::new(format!("{}-{}", fips, p.precinct)),
            county: CountyId::new(fips),
            name: p.precinct.clone(),
            districts: Vec::new(),
            registered_voters: None,
        });
    }
    let mut parties: BTreeMap<String, Party> = BTreeMap::new();
    let mut candidates = Vec::new();
    let mut contests = Vec::new();
    let mut seen_ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut left_out = Vec::new();
    for (ci, rc) in r.contests.iter().enumerate() {
        if rc.candidates.is_empty() {
            left_out.push(rc.label());
            continue;
        }
        let mut cid = slug(&rc.label());
        let n = seen_ids.entry(cid.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            cid = format!("{cid}-{n}");
        }
        let mut selections = Vec::new();
        for c in &rc.candidates {
            let cand = CandidateId::new(format!("{cid}.{}", slug(&c.name)));
            let lines: Vec<PartyId> = c
                .parties
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let pid = PartyId::new(slug(p).to_uppercase());
                    parties.entry(pid.to_string()).or_insert_with(|| Party {
                        id: pid.clone(),
                        name: p.clone(),
                    });
                    pid
                })
                .collect();
            candidates.push(Candidate {
                id: cand.clone(),
                name: c.name.clone(),
                party: lines.first().cloned(),
                placeholder: false,
            });
            selections.push(Selection {
                id: SelectionId::new(slug(&c.name)),
                choice: SelectionChoice::Candidate(cand),
                lines,
                write_in: c.write_in,
            });
        }
        if r.counts
            .iter()
            .any(|n| n.contest == Some(ci) && n.kind == CountKind::WriteIn)
        {
            selections.push(Selection {
                id: SelectionId::new("write-in"),
                choice: SelectionChoice::GenericWriteIn(true),
                lines: Vec::new(),
                write_in: true,
            });
        }
        // Selection ids must be unique within the contest: two names with one slug differ
        // in punctuation only, so number the later ones.
        let mut sids: BTreeMap<String, usize> = BTreeMap::new();
        for s in &mut selections {
            let k = sids.entry(s.id.to_string()).or_insert(0);
            *k += 1;
            if *k > 1 {
                s.id = SelectionId::new(format!("{}-{k}", s.id));
            }
        }
        contests.push(Contest {
            id: ContestId::new(cid),
            name: rc.office.clone(),
            office: Office::Other,
            state: (!rc.state.is_empty()).then(|| StateId::new(rc.state.as_str())),
            district: None,
            special: rc.special,
            vote_for: rc
                .magnitude
                .min(u32::try_from(rc.candidates.len()).unwrap_or(u32::MAX))
                .max(1),
            rule: Rule::Plurality,
            selections,
        });
    }
    let mut notes = vec![format!(
        "inferred from a returns file by canvass: {} contests, {} precincts; every office is `other`",
        contests.len(),
        precincts.len()
    )];
    if !left_out.is_empty() {
        notes.push(format!(
            "left out, with no candidate on the ballot (write-ins only): {}",
            left_out.join("; ")
        ));
    }
    let election = Election {
        election: ElectionInfo {
            id: ElectionId::new(id),
            name: name.into(),
            date: date.into(),
            electoral_votes_total: None,
            notes,
        },
        parties: parties.into_values().collect(),
        candidates,
        tickets: Vec::new(),
        states: states
            .into_iter()
            .map(|(postal, fips)| known_state(&postal, fips))
            .collect(),
        counties: counties
            .into_iter()
            .map(|(fips, (state, name))| County {
                fips: CountyId::new(fips),
                state: StateId::new(state),
                name,
                kind: CountyKind::Other,
            })
            .collect(),
        districts: Vec::new(),
        precincts,
        jurisdictions: Vec::new(),
        contests,
        chambers: Default::default(),
    };
    Inferred { election, left_out }
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn slugs() {
        assert_eq!(slug("DC US PRESIDENT"), "dc-us-president");
        assert_eq!(slug("MICHAEL \"DR MIKE\" KATZ"), "michael-dr-mike-katz");
        assert_eq!(slug("--"), "x");
    }
}
