//! The built-in elections, `us-2020` and `us-2024`, compiled into the binary.
//!
//! Each is assembled from compact source data in `data/` (see `data/SOURCE.md`): the Census
//! geography, the apportionment table, and a per-year TOML file of parties, candidates,
//! tickets, statewide races, measures and chamber holdovers. The builder adds states,
//! counties, districts, one reporting jurisdiction per county, the presidential contest of
//! each state and the House contests, then validates the result like any definition file.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::definition::*;
use crate::ids::*;
use crate::validate::validate;

const STATES_CSV: &str = include_str!("../data/states.csv");
const COUNTIES_CSV: &str = include_str!("../data/counties_2020.csv");
const APPORTIONMENT_CSV: &str = include_str!("../data/apportionment.csv");
const US_2020: &str = include_str!("../data/us-2020.toml");
const US_2024: &str = include_str!("../data/us-2024.toml");

/// The names of the built-in elections.
pub const BUILTIN_NAMES: [&str; 2] = ["us-2020", "us-2024"];

/// The built-in election with this name, if there is one.
///
/// # Errors
/// Returns a message if the compiled-in source data is inconsistent, which the test suite
/// rules out for the shipped data.
pub fn builtin(name: &str) -> Option<Result<Election, String>> {
    let source = match name {
        "us-2020" => US_2020,
        "us-2024" => US_2024,
        _ => return None,
    };
    Some(build(source))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    apportionment: String,
    rcv_states: Vec<String>,
    /// Ranked-choice states that eliminate every candidate who cannot win at once.
    #[serde(default)]
    rcv_batch_elimination_states: Vec<String>,
    /// Ranked-choice states whose rounds go on until two candidates remain.
    #[serde(default)]
    rcv_continue_until_two_states: Vec<String>,
    house_runoff_states: Vec<String>,
    rcv_max_rankings: u32,
    election: ElectionInfo,
    parties: Vec<Party>,
    candidates: Vec<Candidate>,
    tickets: Vec<Ticket>,
    president: PresidentSource,
    #[serde(default)]
    recount: Vec<RecountSource>,
    races: Vec<RaceSource>,
    #[serde(default)]
    measures: Vec<MeasureSource>,
    chambers: Chambers,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresidentSource {
    always: Vec<String>,
    #[serde(default)]
    fusion: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    ballots: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecountSource {
    state: String,
    #[serde(flatten)]
    rule: RecountRule,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RaceSource {
    office: Office,
    state: String,
    #[serde(default)]
    special: bool,
    #[serde(default)]
    rule: Option<String>,
    candidates: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeasureSource {
    id: String,
    state: String,
    name: String,
    #[serde(default)]
    numerator: Option<u32>,
    #[serde(default)]
    denominator: Option<u32>,
}

fn build(source: &str) -> Result<Election, String> {
    let src: Source = toml::from_str(source).map_err(|e| format!("built-in source: {e}"))?;
    let mut e = Election {
        election: src.election,
        parties: src.parties,
        candidates: src.candidates,
        tickets: src.tickets,
        states: Vec::new(),
        counties: Vec::new(),
        districts: Vec::new(),
        precincts: Vec::new(),
        jurisdictions: Vec::new(),
        contests: Vec::new(),
        chambers: src.chambers,
    };
    let seats = apportionment(&src.apportionment)?;
    let recounts: HashMap<String, RecountRule> =
        src.recount.into_iter().map(|r| (r.state, r.rule)).collect();
    add_geography(&mut e, &seats, &recounts)?;
    let rcv = |state: &str| src.rcv_states.iter().any(|s| s == state);
    let (batch, until_two) = (
        src.rcv_batch_elimination_states,
        src.rcv_continue_until_two_states,
    );
    let ranked = |state: &str| Rule::RankedChoice {
        max_rankings: src.rcv_max_rankings,
        batch_elimination: batch.iter().any(|s| s == state),
        continue_until_two: until_two.iter().any(|s| s == state),
    };
    add_president(&mut e, &src.president, &rcv, &ranked);
    for race in &src.races {
        let rule = match race.rule.as_deref() {
            Some("majority-runoff") => Rule::Majority { runoff: true },
            Some(other) => return Err(format!("built-in source: unknown rule {other:?}")),
            None if rcv(&race.state) => ranked(&race.state),
            None => Rule::Plurality,
        };
        add_race(&mut e, race, rule);
    }
    add_house(&mut e, &rcv, &ranked, &src.house_runoff_states);
    for m in src.measures {
        let rule = match (m.numerator, m.denominator) {
            (Some(numerator), Some(denominator)) => Rule::Supermajority {
                numerator,
                denominator,
            },
            _ => Rule::Majority { runoff: false },
        };
        let answer = |a: Answer, id: &str| Selection {
            id: SelectionId::new(id),
            choice: SelectionChoice::Answer(a),
            lines: Vec::new(),
            write_in: false,
        };
        e.contests.push(Contest {
            id: ContestId::new(m.id),
            name: m.name,
            office: Office::Measure,
            state: Some(StateId::new(m.state)),
            district: None,
            special: false,
            vote_for: 1,
            rule,
            selections: vec![answer(Answer::Yes, "yes"), answer(Answer::No, "no")],
        });
    }
    let problems = validate(&e);
    if let Some(p) = problems.first() {
        return Err(format!(
            "built-in {}: {} problem(s); first: {} at {}",
            e.election.id,
            problems.len(),
            p.message,
            p.path
        ));
    }
    Ok(e)
}

fn apportionment(census: &str) -> Result<HashMap<String, u32>, String> {
    let col = match census {
        "2010" => 1,
        "2020" => 2,
        other => {
            return Err(format!(
                "built-in source: no apportionment for census {other}"
            ));
        }
    };
    let mut out = HashMap::new();
    for line in APPORTIONMENT_CSV.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let n = f
            .get(col)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("apportionment.csv: bad line {line:?}"))?;
        out.insert(f[0].to_owned(), n);
    }
    Ok(out)
}

/// County-equivalents abolished before 2020 that the Census file still lists.
const OBSOLETE_COUNTIES: [&str; 1] = ["51515"]; // Bedford city, VA: joined Bedford County in 2013

/// The 2020 name of counties that the Census file lists under several names.
const CANONICAL_NAMES: [(&str, &str); 9] = [
    ("02158", "Kusilvak Census Area"),
    ("02195", "Petersburg Borough"),
    ("11001", "District of Columbia"),
    ("36005", "Bronx County"),
    ("36047", "Kings County"),
    ("36061", "New York County"),
    ("36085", "Richmond County"),
    ("46102", "Oglala Lakota County"),
    ("60030", "Rose Atoll District"),
];

const TERRITORIES: [&str; 5] = ["AS", "GU", "MP", "PR", "VI"];

fn add_geography(
    e: &mut Election,
    seats: &HashMap<String, u32>,
    recounts: &HashMap<String, RecountRule>,
) -> Result<(), String> {
    let mut fips_to_postal = HashMap::new();
    for line in STATES_CSV.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let [name, postal, fips] = f[..] else {
            return Err(format!("states.csv: bad line {line:?}"));
        };
        if fips_to_postal.contains_key(fips) {
            continue; // alias row, e.g. `D.C.`
        }
        let (kind, ev, allocation, house) = if postal == "DC" {
            (StateKind::FederalDistrict, 3, Allocation::WinnerTakeAll, 0)
        } else if TERRITORIES.contains(&postal) {
            (StateKind::Territory, 0, Allocation::None, 0)
        } else {
            let n = *seats
                .get(postal)
                .ok_or_else(|| format!("apportionment.csv: no seats for {postal}"))?;
            let alloc = if matches!(postal, "ME" | "NE") {
                Allocation::District
            } else {
                Allocation::WinnerTakeAll
            };
            (StateKind::State, n + 2, alloc, n)
        };
        fips_to_postal.insert(fips.to_owned(), postal.to_owned());
        e.states.push(State {
            postal: StateId::new(postal),
            name: name.to_owned(),
            fips: fips.to_owned(),
            kind,
            electoral_votes: ev,
            allocation,
            house_seats: house,
            recount: recounts.get(postal).cloned(),
        });
    }
    for s in e.states.clone() {
        let p = s.postal.as_str();
        if s.kind == StateKind::State {
            for n in 1..=s.house_seats {
                let (id, number) = if s.house_seats == 1 {
                    (format!("{p}-AL"), 0)
                } else {
                    (format!("{p}-{n:02}"), n)
                };
                e.districts.push(District {
                    id: DistrictId::new(id),
                    state: s.postal.clone(),
                    number,
                    voting: true,
                });
            }
        } else {
            let suffix = if p == "PR" { "RC" } else { "DEL" };
            e.districts.push(District {
                id: DistrictId::new(format!("{p}-{suffix}")),
                state: s.postal.clone(),
                number: 0,
                voting: false,
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    for line in COUNTIES_CSV.lines().skip(1) {
        let mut f = line.splitn(3, ',');
        let (Some(st), Some(co), Some(name)) = (f.next(), f.next(), f.next()) else {
            return Err(format!("counties_2020.csv: bad line {line:?}"));
        };
        let Some(postal) = fips_to_postal.get(st) else {
            continue; // FIPS 74, U.S. Minor Outlying Islands: no state entry.
        };
        let code = format!("{st}{co}");
        if OBSOLETE_COUNTIES.contains(&code.as_str()) || !seen.insert(code.clone()) {
            continue; // an alias row of a county already added
        }
        let name = CANONICAL_NAMES
            .iter()
            .find(|(f, _)| *f == code)
            .map_or(name, |(_, n)| n);
        let fips = CountyId::new(code);
        e.jurisdictions.push(Jurisdiction {
            id: JurisdictionId::new(fips.as_str()),
            name: format!("{name}, {postal}"),
            state: StateId::new(postal.as_str()),
            counties: vec![fips.clone()],
            precincts: Vec::new(),
        });
        e.counties.push(County {
            fips,
            state: StateId::new(postal.as_str()),
            name: name.to_owned(),
            kind: county_kind(postal, name),
        });
    }
    Ok(())
}

/// The kind of county-equivalent, from its Census name.
fn county_kind(postal: &str, name: &str) -> CountyKind {
    if name.ends_with("Parish") {
        CountyKind::Parish
    } else if name.ends_with("Municipio") {
        CountyKind::Municipio
    } else if name.ends_with("Census Area") {
        CountyKind::CensusArea
    } else if postal == "AK" && (name.ends_with("Borough") || name.ends_with("Municipality")) {
        CountyKind::Borough
    } else if name.ends_with(" city") || name == "Carson City" {
        CountyKind::IndependentCity
    } else if name.ends_with("County") {
        CountyKind::County
    } else {
        CountyKind::Other
    }
}

/// Splits `id:DEM+WFP` into the id and its ballot lines.
fn split_lines(entry: &str) -> (&str, Option<Vec<PartyId>>) {
    match entry.split_once(':') {
        Some((id, lines)) => (id, Some(lines.split('+').map(PartyId::new).collect())),
        None => (entry, None),
    }
}

fn write_in() -> Selection {
    Selection {
        id: SelectionId::new("write-in"),
        choice: SelectionChoice::GenericWriteIn(true),
        lines: Vec::new(),
        write_in: true,
    }
}

fn add_president(
    e: &mut Election,
    p: &PresidentSource,
    rcv: &dyn Fn(&str) -> bool,
    ranked: &dyn Fn(&str) -> Rule,
) {
    let states: Vec<State> = e
        .states
        .iter()
        .filter(|s| s.electoral_votes > 0)
        .cloned()
        .collect();
    for s in states {
        let postal = s.postal.as_str();
        let mut entries: Vec<&str> = p.always.iter().map(String::as_str).collect();
        if let Some(extra) = p.ballots.get(postal) {
            entries.extend(extra.iter().map(String::as_str));
        }
        let fusion = p.fusion.get(postal);
        let mut selections: Vec<Selection> = Vec::new();
        for entry in entries {
            let (id, _) = split_lines(entry);
            if selections.iter().any(|x| x.id.as_str() == id) {
                continue;
            }
            let fused = fusion
                .and_then(|f| f.iter().find(|x| split_lines(x).0 == id))
                .and_then(|x| split_lines(x).1);
            let party = e
                .tickets
                .iter()
                .find(|t| t.id.as_str() == id)
                .and_then(|t| t.party.clone());
            selections.push(Selection {
                id: SelectionId::new(id),
                choice: SelectionChoice::Ticket(TicketId::new(id)),
                lines: fused.unwrap_or_else(|| party.into_iter().collect()),
                write_in: false,
            });
        }
        selections.push(write_in());
        e.contests.push(Contest {
            id: ContestId::new(format!("president-{postal}")),
            name: format!("President and Vice President ({})", s.name),
            office: Office::President,
            state: Some(s.postal.clone()),
            district: None,
            special: false,
            vote_for: 1,
            rule: if rcv(postal) {
                ranked(postal)
            } else {
                Rule::Plurality
            },
            selections,
        });
    }
}

fn add_race(e: &mut Election, race: &RaceSource, rule: Rule) {
    let office = match race.office {
        Office::Senate => "senate",
        Office::Governor => "governor",
        _ => "other",
    };
    let special = if race.special { "-special" } else { "" };
    let title = match race.office {
        Office::Senate => "United States Senator",
        Office::Governor => "Governor",
        _ => "Office",
    };
    let mut selections: Vec<Selection> = race
        .candidates
        .iter()
        .map(|entry| {
            let (id, lines) = split_lines(entry);
            let party = e
                .candidates
                .iter()
                .find(|c| c.id.as_str() == id)
                .and_then(|c| c.party.clone());
            Selection {
                id: SelectionId::new(id),
                choice: SelectionChoice::Candidate(CandidateId::new(id)),
                lines: lines.unwrap_or_else(|| party.into_iter().collect()),
                write_in: false,
            }
        })
        .collect();
    selections.push(write_in());
    e.contests.push(Contest {
        id: ContestId::new(format!("{office}-{}{special}", race.state)),
        name: format!("{title}{}", if race.special { " (special)" } else { "" }),
        office: race.office,
        state: Some(StateId::new(race.state.as_str())),
        district: None,
        special: race.special,
        vote_for: 1,
        rule,
        selections,
    });
}

fn add_house(
    e: &mut Election,
    rcv: &dyn Fn(&str) -> bool,
    ranked: &dyn Fn(&str) -> Rule,
    runoff: &[String],
) {
    for d in e.districts.clone() {
        let state = d.state.as_str();
        let mut selections = Vec::new();
        for (party, word) in [("DEM", "Democratic"), ("REP", "Republican")] {
            let id = format!("house-{}-{}", d.id, party.to_ascii_lowercase());
            e.candidates.push(Candidate {
                id: CandidateId::new(id.as_str()),
                name: format!("{word} nominee for {} (placeholder)", d.id),
                party: Some(PartyId::new(party)),
                placeholder: true,
            });
            selections.push(Selection {
                id: SelectionId::new(party.to_ascii_lowercase()),
                choice: SelectionChoice::Candidate(CandidateId::new(id)),
                lines: vec![PartyId::new(party)],
                write_in: false,
            });
        }
        selections.push(write_in());
        let rule = if rcv(state) {
            ranked(state)
        } else if runoff.iter().any(|s| s == state) {
            Rule::Majority { runoff: true }
        } else {
            Rule::Plurality
        };
        let name = if d.voting {
            "United States Representative".to_owned()
        } else if state == "PR" {
            "Resident Commissioner (non-voting)".to_owned()
        } else {
            "Delegate to the House of Representatives (non-voting)".to_owned()
        };
        e.contests.push(Contest {
            id: ContestId::new(format!("house-{}", d.id)),
            name,
            office: Office::House,
            state: Some(d.state.clone()),
            district: Some(d.id.clone()),
            special: false,
            vote_for: 1,
            rule,
            selections,
        });
    }
}
