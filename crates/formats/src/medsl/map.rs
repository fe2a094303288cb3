//! Matching returns to an election definition: by ids, names and an aliases file; every
//! name that does not match is listed, never guessed.

use std::collections::BTreeMap;

use canvass_model::{
    Answer, ContestCount, ContestId, CountingGroup, Election, Office, PartyId, PrecinctId,
    PrecinctResult, SelectionChoice, SelectionCount, SelectionId,
};
use serde::Deserialize;

use super::read::normalize;
use super::{CountKind, ReturnContest, Returns};
use crate::error::{FormatError, Location, Result};

/// An aliases file: names in the returns → ids in the definition.
///
/// ```toml
/// [contests]            # contest label (`DC US PRESIDENT`), or office → contest id
/// "US PRESIDENT" = "president-DC"
/// [candidates]          # candidate name → candidate, ticket or selection id
/// "KAMALA D HARRIS" = "harris-walz"
/// [parties]             # party name → party id (for fusion lines)
/// "WORKING FAMILIES" = "WFP"
/// [precincts]           # `county_fips/precinct`, or precinct → precinct id or county FIPS
/// "11001/1" = "11001-0001"
/// ignore_contests = ["DC ADVISORY NEIGHBORHOOD COMMISSION (WARD 6 C02)"]
/// ```
///
/// Keys match ignoring case, dots and extra spaces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aliases {
    /// Contests knowingly left out (labels or offices): listed as ignored, not unmatched.
    #[serde(default)]
    pub ignore_contests: Vec<String>,
    /// Contest label or office → contest id.
    #[serde(default)]
    pub contests: BTreeMap<String, String>,
    /// Candidate name → candidate, ticket or selection id.
    #[serde(default)]
    pub candidates: BTreeMap<String, String>,
    /// Party name → party id.
    #[serde(default)]
    pub parties: BTreeMap<String, String>,
    /// `county_fips/precinct` or precinct → precinct id or county FIPS code.
    #[serde(default)]
    pub precincts: BTreeMap<String, String>,
}

impl Aliases {
    /// Parses an aliases file.
    ///
    /// # Errors
    /// [`FormatError::Invalid`] naming the line for bad TOML or an unknown table.
    pub fn from_toml(text: &str, file: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| text[..s.start.min(text.len())].lines().count() as u64);
            FormatError::invalid(file, Location::Line(line.max(1)), "aliases", format!("an aliases file with [contests], [candidates], [parties], [precincts] and ignore_contests ({})", e.message()))
        })
    }

    fn get<'a>(m: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
        let k = normalize(key);
        m.iter()
            .find(|(a, _)| normalize(a) == k)
            .map(|(_, v)| v.as_str())
    }
}

/// Every name that matched nothing in the definition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unmatched {
    /// Contest labels.
    pub contests: Vec<String>,
    /// `contest label: candidate (party)`.
    pub candidates: Vec<String>,
    /// `county_fips/precinct (county name)`.
    pub precincts: Vec<String>,
    /// Vote modes that are not a known counting group.
    pub modes: Vec<String>,
}

impl Unmatched {
    /// True when everything matched.
    pub fn is_empty(&self) -> bool {
        self.contests.is_empty()
            && self.candidates.is_empty()
            && self.precincts.is_empty()
            && self.modes.is_empty()
    }

    /// The report, one line per name.
    pub fn report(&self) -> String {
        let mut s = String::new();
        for (what, names) in [
            ("contest", &self.contests),
            ("candidate", &self.candidates),
            ("precinct", &self.precincts),
            ("mode", &self.modes),
        ] {
            for n in names {
                s.push_str(&format!("unmatched {what}: {n}\n"));
            }
        }
        s
    }
}

/// Returns mapped to a definition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapped {
    /// One result per reporting unit and counting group, sorted.
    pub results: Vec<PrecinctResult>,
    /// Names that matched nothing; their counts are not in `results`.
    pub unmatched: Unmatched,
    /// Contests left out on purpose (`ignore_contests`).
    pub ignored: Vec<String>,
}

impl Mapped {
    /// The results, if every name matched.
    ///
    /// # Errors
    /// [`FormatError::Invalid`] listing every unmatched name, with what to do.
    pub fn into_results(self, file: &str) -> Result<Vec<PrecinctResult>> {
        if self.unmatched.is_empty() {
            return Ok(self.results);
        }
        Err(FormatError::invalid(
            file,
            Location::File,
            "names",
            format!(
                "every contest, candidate, precinct and mode to match the definition; add them to an aliases file (or ignore_contests):\n{}",
                self.unmatched.report().trim_end()
            ),
        ))
    }
}

fn counting_group(mode: &str) -> Option<Option<CountingGroup>> {
    Some(match mode {
        "" | "TOTAL" => None,
        "ELECTION DAY" | "IN-PERSON" | "IN PERSON" | "ELECTION DAY IN-PERSON" | "POLLING PLACE" => {
            Some(CountingGroup::ElectionDay)
        }
        "EARLY" | "EARLY VOTING" | "EARLY IN-PERSON" | "ONE STOP" | "ADVANCE" => {
            Some(CountingGroup::Early)
        }
        "ABSENTEE" | "MAIL" | "MAIL-IN" | "ABSENTEE BY MAIL" | "VOTE BY MAIL" | "MAIL BALLOTS" => {
            Some(CountingGroup::Mail)
        }
        "PROVISIONAL" => Some(CountingGroup::Provisional),
        "UOCAVA" | "MILITARY" | "OVERSEAS" | "FEDERAL" => Some(CountingGroup::Uocava),
        _ => return None,
    })
}

/// The office a MEDSL office name denotes, from MEDSL's own vocabulary.
fn office_of(office: &str) -> Option<Office> {
    Some(match normalize(office).as_str() {
        "US PRESIDENT"
        | "PRESIDENT"
        | "PRESIDENT AND VICE PRESIDENT"
        | "PRESIDENT OF THE UNITED STATES" => Office::President,
        "US SENATE" | "U S SENATE" | "US SENATOR" | "UNITED STATES SENATOR" => Office::Senate,
        "US HOUSE"
        | "U S HOUSE"
        | "US REPRESENTATIVE"
        | "UNITED STATES REPRESENTATIVE"
        | "REPRESENTATIVE IN CONGRESS"
        | "DELEGATE TO THE HOUSE OF REPRESENTATIVES" => Office::House,
        "GOVERNOR" | "GOVERNOR AND LIEUTENANT GOVERNOR" => Office::Governor,
        _ => return None,
    })
}

fn district_number(d: &str) -> Option<u32> {
    let n = normalize(d);
    if n.is_empty() || n == "STATEWIDE" || n == "AT-LARGE" || n == "AT LARGE" {
        return Some(0);
    }
    n.parse().ok()
}

fn match_contest(rc: &ReturnContest, e: &Election, a: &Aliases) -> Option<usize> {
    let by_id = |id: &str| e.contests.iter().position(|c| c.id.as_str() == id);
    if let Some(id) =
        Aliases::get(&a.contests, &rc.label()).or_else(|| Aliases::get(&a.contests, &rc.office))
    {
        return by_id(id);
    }
    if let Some(i) = by_id(&rc.office).or_else(|| by_id(&super::infer::slug(&rc.label()))) {
        return Some(i);
    }
    let in_state = |c: &&canvass_model::Contest| {
        rc.state.is_empty() || c.state.as_ref().is_none_or(|s| s.as_str() == rc.state)
    };
    let unique = |mut it: Box<dyn Iterator<Item = usize> + '_>| match (it.next(), it.next()) {
        (Some(i), None) => Some(i),
        _ => None,
    };
    if let Some(office) = office_of(&rc.office) {
        let num = district_number(&rc.district);
        let found = unique(Box::new(
            e.contests
                .iter()
                .enumerate()
                .filter(move |(_, c)| {
                    c.office == office && in_state(c) && c.special == rc.special && {
                        office != Office::House
                            || c.district.as_ref().is_some_and(|d| {
                                e.districts
                                    .iter()
                                    .any(|x| &x.id == d && Some(x.number) == num)
                            })
                    }
                })
                .map(|(i, _)| i),
        ));
        if found.is_some() {
            return found;
        }
    }
    let name = normalize(&rc.office);
    unique(Box::new(
        e.contests
            .iter()
            .enumerate()
            .filter(move |(_, c)| in_state(c) && normalize(&c.name) == name)
            .map(|(i, _)| i),
    ))
}

fn match_selection(
    kind: CountKind,
    name: &str,
    dc: &canvass_model::Contest,
    e: &Election,
    a: &Aliases,
) -> Option<usize> {
    if kind == CountKind::WriteIn {
        return dc
            .selections
            .iter()
            .position(|s| matches!(s.choice, SelectionChoice::GenericWriteIn(_)));
    }
    let cand_name = |id: &canvass_model::CandidateId| {
        e.candidates
            .iter()
            .find(|c| &c.id == id)
            .map(|c| normalize(&c.name))
    };
    if let Some(id) = Aliases::get(&a.candidates, name) {
        return dc.selections.iter().position(|s| {
            s.id.as_str() == id
                || match &s.choice {
                    SelectionChoice::Candidate(c) => c.as_str() == id,
                    SelectionChoice::Ticket(t) => t.as_str() == id,
                    _ => false,
                }
        });
    }
    let n = normalize(name);
    let answer = if n == "YES" || n == "FOR" || n.starts_with("YES ") {
        Some(Answer::Yes)
    } else if n == "NO" || n == "AGAINST" || n.starts_with("NO ") {
        Some(Answer::No)
    } else {
        None
    };
    dc.selections.iter().position(|s| match &s.choice {
        SelectionChoice::Candidate(c) => cand_name(c).as_deref() == Some(n.as_str()),
        SelectionChoice::Ticket(t) => e
            .tickets
            .iter()
            .any(|x| &x.id == t && cand_name(&x.president).as_deref() == Some(n.as_str())),
        SelectionChoice::Answer(x) => answer == Some(*x),
        SelectionChoice::GenericWriteIn(_) => false,
    })
}

fn match_party(name: &str, e: &Election, a: &Aliases) -> Option<PartyId> {
    if let Some(id) = Aliases::get(&a.parties, name) {
        return Some(PartyId::new(id));
    }
    let n = normalize(name);
    let common = match n.as_str() {
        "DEMOCRAT" | "DEMOCRATIC" => Some("DEM"),
        "REPUBLICAN" => Some("REP"),
        "LIBERTARIAN" => Some("LIB"),
        "GREEN" => Some("GRN"),
        _ => None,
    };
    e.parties
        .iter()
        .find(|p| {
            normalize(p.id.as_str()) == n
                || normalize(&p.name) == n
                || normalize(p.name.trim_end_matches(" Party")) == n
        })
        .or_else(|| e.parties.iter().find(|p| Some(p.id.as_str()) == common))
        .map(|p| p.id.clone())
}

fn match_precinct(p: &super::ReturnPrecinct, e: &Election, a: &Aliases) -> Option<String> {
    let keyed = format!("{}/{}", p.county_fips, p.precinct);
    if let Some(id) =
        Aliases::get(&a.precincts, &keyed).or_else(|| Aliases::get(&a.precincts, &p.precinct))
    {
        return Some(id.to_string());
    }
    let dashed = format!("{}-{}", p.county_fips, p.precinct);
    if let Some(x) = e
        .precincts
        .iter()
        .find(|x| x.id.as_str() == p.precinct || x.id.as_str() == dashed)
    {
        return Some(x.id.to_string());
    }
    let n = normalize(&p.precinct);
    let mut named = e
        .precincts
        .iter()
        .filter(|x| x.county.as_str() == p.county_fips && normalize(&x.name) == n);
    if let (Some(x), None) = (named.next(), named.next()) {
        return Some(x.id.to_string());
    }
    // A county the definition has no precincts for reports whole.
    let county_known = e.counties.iter().any(|c| c.fips.as_str() == p.county_fips);
    (county_known
        && !e
            .precincts
            .iter()
            .any(|x| x.county.as_str() == p.county_fips))
    .then(|| p.county_fips.clone())
}

/// A definition selection and ballot line.
type Target = (usize, Option<PartyId>);

/// Per (unit, group) → contest → ((selection, line) → votes, overvotes, undervotes).
type Acc = BTreeMap<
    (String, Option<CountingGroup>),
    BTreeMap<usize, (BTreeMap<(usize, Option<PartyId>), u64>, u64, u64)>,
>;

/// Maps returns onto `e`. Counts of unmatched names are left out and the names listed
/// in [`Mapped::unmatched`]; use [`Mapped::into_results`] to refuse partial input.
///
/// Several returns precincts in a county the definition has no precincts for are summed
/// into that county. Pseudo-counts `BALLOTS CAST`, `REGISTERED VOTERS` and `TOTAL VOTES`
/// are not used: a contest's ballots are derived as
/// `ceil((votes + overvotes + undervotes) / vote_for)`, exact for balanced counts.
pub fn map(r: &Returns, e: &Election, a: &Aliases) -> Mapped {
    let mut m = Mapped::default();
    let ignored: Vec<String> = a.ignore_contests.iter().map(|s| normalize(s)).collect();
    let contests: Vec<Option<usize>> = r
        .contests
        .iter()
        .map(|rc| {
            if ignored.contains(&normalize(&rc.label())) || ignored.contains(&normalize(&rc.office))
            {
                m.ignored.push(rc.label());
                return None;
            }
            let found = match_contest(rc, e, a);
            if found.is_none() {
                m.unmatched.contests.push(rc.label());
            }
            found
        })
        .collect();
    // (contest, candidate) → (selection, line); None when unmatched.
    let mut sel: BTreeMap<(usize, CountKind, String), Option<Target>> = BTreeMap::new();
    let mut units: BTreeMap<usize, Option<String>> = BTreeMap::new();
    let mut acc: Acc = BTreeMap::new();
    for n in &r.counts {
        let Some(ci) = n.contest else { continue };
        let Some(dci) = contests[ci] else { continue };
        let dc = &e.contests[dci];
        let unit = units.entry(n.precinct).or_insert_with(|| {
            let p = &r.precincts[n.precinct];
            let u = match_precinct(p, e, a);
            if u.is_none() {
                m.unmatched.precincts.push(format!(
                    "{}/{} ({})",
                    p.county_fips, p.precinct, p.county_name
                ));
            }
            u
        });
        let Some(unit) = unit.clone() else { continue };
        let Some(group) = counting_group(&n.mode) else {
            if !m.unmatched.modes.contains(&n.mode) {
                m.unmatched.modes.push(n.mode.clone());
            }
            continue;
        };
        let slot = acc
            .entry((unit, group))
            .or_default()
            .entry(dci)
            .or_default();
        match n.kind {
            CountKind::Overvotes => slot.1 = slot.1.saturating_add(n.votes),
            CountKind::Undervotes => slot.2 = slot.2.saturating_add(n.votes),
            CountKind::Candidate(_) | CountKind::WriteIn => {
                let target = sel.entry((ci, n.kind, n.party.clone())).or_insert_with(|| {
                    let rc = &r.contests[ci];
                    let name = match n.kind {
                        CountKind::Candidate(i) => rc.candidates[i].name.as_str(),
                        _ => "WRITE-IN",
                    };
                    let found = match_selection(n.kind, name, dc, e, a).and_then(|si| {
                        let s = &dc.selections[si];
                        if s.lines.len() <= 1 {
                            return Some((si, None)); // fusion lines summed per candidate
                        }
                        match_party(&n.party, e, a)
                            .filter(|p| s.lines.contains(p))
                            .map(|p| (si, Some(p)))
                    });
                    if found.is_none() {
                        m.unmatched.candidates.push(format!(
                            "{}: {name} ({})",
                            rc.label(),
                            n.party
                        ));
                    }
                    found
                });
                if let Some(key) = target.clone() {
                    let v = slot.0.entry(key).or_insert(0);
                    *v = v.saturating_add(n.votes);
                }
            }
            CountKind::BallotsCast | CountKind::RegisteredVoters | CountKind::TotalVotes => {}
        }
    }
    for ((unit, group), contests) in acc {
        let counts: Vec<ContestCount> = contests
            .into_iter()
            .map(|(dci, (votes, over, under))| {
                let dc = &e.contests[dci];
                let total: u128 = votes.values().map(|&v| u128::from(v)).sum::<u128>()
                    + u128::from(over)
                    + u128::from(under);
                ContestCount {
                    rankings: Vec::new(),
                    contest: ContestId::new(dc.id.as_str()),
                    ballots: u64::try_from(total.div_ceil(u128::from(dc.vote_for.max(1))))
                        .unwrap_or(u64::MAX),
                    overvotes: over,
                    undervotes: under,
                    votes: votes
                        .into_iter()
                        .map(|((si, line), v)| SelectionCount {
                            selection: SelectionId::new(dc.selections[si].id.as_str()),
                            line,
                            votes: v,
                        })
                        .collect(),
                }
            })
            .collect();
        m.results.push(PrecinctResult {
            precinct: PrecinctId::new(unit),
            portion: None,
            counting_group: group,
            contests: counts,
        });
    }
    m
}
