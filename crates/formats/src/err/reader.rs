//! The ERR JSON reader: an `ElectionReport`'s counts, mapped to an election definition.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;

use canvass_model::{
    Answer, ContestCount, ContestId, CountingGroup, Election, PrecinctId, PrecinctResult,
    SelectionChoice, SelectionCount, SelectionId,
};
use serde_json::Value;

use super::CANVASS_ID_TYPE;
use crate::error::{FormatError, Location, Result};
use crate::limits::MAX_MANIFEST_BYTES;

fn invalid(file: &str, field: impl Into<String>, expected: impl Into<String>) -> FormatError {
    FormatError::invalid(file, Location::File, field, expected)
}

/// A reporting unit canvass counts in: a precinct, or a county reported whole.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    Precinct(String),
    County(String),
}

/// The canvass id in an object's `ExternalIdentifier` list, if any.
fn canvass_id(v: &Value) -> Option<&str> {
    v.get("ExternalIdentifier")?
        .as_array()?
        .iter()
        .find_map(|x| {
            (x.get("OtherType")?.as_str()? == CANVASS_ID_TYPE).then_some(())?;
            x.get("Value")?.as_str()
        })
}

/// The first `Text[].Content` of an `InternationalizedText`.
fn text(v: Option<&Value>) -> Option<&str> {
    v?.get("Text")?
        .as_array()?
        .first()?
        .get("Content")?
        .as_str()
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Reads an ERR JSON report (at most 512 MiB) and maps its counts onto `e`.
///
/// See [`read_json_value`] for the mapping rules.
///
/// # Errors
/// [`FormatError::Io`] if reading fails; [`FormatError::Invalid`] for malformed JSON, a
/// report over the size limit, or any mapping error of [`read_json_value`].
pub fn read_json(input: impl Read, file: &str, e: &Election) -> Result<Vec<PrecinctResult>> {
    let mut buf = Vec::new();
    input
        .take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|err| FormatError::io(file, err))?;
    if buf.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(invalid(
            file,
            "ElectionReport",
            format!("a report of at most {MAX_MANIFEST_BYTES} bytes"),
        ));
    }
    let v: Value = serde_json::from_slice(&buf).map_err(|err| {
        FormatError::invalid(
            file,
            Location::Line(err.line() as u64),
            "ElectionReport",
            format!("well-formed JSON ({err})"),
        )
    })?;
    read_json_value(&v, file, e)
}

/// Maps a parsed ERR report's counts onto `e`: one [`PrecinctResult`] per reporting unit
/// and counting group, sorted.
///
/// - Reporting units: `GpUnit`s of `Type` `precinct`/`split-precinct` are matched to the
///   definition's precincts, and of `Type` `county` to its counties, by the canvass
///   `ExternalIdentifier`, else a `fips` one (counties), else the name. Counts at other
///   units (state, district, nation) are totals and are not read. A contest's counts are
///   read per precinct; a county's own counts are read only where none of its precincts
///   has counts for that contest, so nothing is counted twice.
/// - Contests and selections are matched by the canvass `ExternalIdentifier` or the `@id`
///   canvass writes (`con-<id>`, `sel-<contest>.<selection>`), else by name: the contest's
///   `Name` when exactly one definition contest has it, a selection's candidates' ballot
///   names, `Yes`/`No`, or `IsWriteIn` without candidates for the generic write-in.
///   Nothing is guessed: every unmatched name is listed in one error.
/// - `VoteCounts` of `Type` `total` are read with no counting group; `election-day`,
///   `early`, `absentee`/`absentee-mail`, `provisional` and `uocava` as that group. Where a
///   unit has a `total` for a contest, its group counts are ignored, never added to it.
/// - ERR has no per-contest ballot count: ballots are derived as
///   `ceil((votes + overvotes + undervotes) / VotesAllowed)`, exact for balanced counts.
/// - ERR has no per-line counts: a fusion selection's count is put on its first line.
///
/// # Errors
/// [`FormatError::Invalid`] naming the JSON path for a missing or mistyped field, a
/// reference to an unknown `GpUnit`, a negative or fractional count, or unmatched names.
pub fn read_json_value(v: &Value, file: &str, e: &Election) -> Result<Vec<PrecinctResult>> {
    if v.get("@type").and_then(Value::as_str) != Some("ElectionResults.ElectionReport") {
        return Err(invalid(
            file,
            "@type",
            "an object with \"@type\": \"ElectionResults.ElectionReport\"",
        ));
    }
    let mut unmatched: Vec<String> = Vec::new();
    let units = map_units(v, file, e, &mut unmatched)?;
    let candidates = map_candidates(v, e);
    let elections = arr(v, "Election");
    if elections.len() != 1 {
        return Err(invalid(
            file,
            "Election",
            format!("exactly one Election, found {}", elections.len()),
        ));
    }
    let el = &elections[0];
    // Lookups by id: a search of every precinct per count made large reports quadratic.
    let county_of: HashMap<&str, &str> = e
        .precincts
        .iter()
        .map(|p| (p.id.as_str(), p.county.as_str()))
        .collect();
    // (unit, group) → contest index → (selection → votes, over, under)
    type Acc = BTreeMap<usize, (BTreeMap<usize, u64>, u64, u64)>;
    let mut acc: BTreeMap<(Unit, Option<CountingGroup>), Acc> = BTreeMap::new();
    let mut has_total: BTreeSet<(Unit, usize)> = BTreeSet::new();
    let mut precinct_counties: BTreeSet<(String, usize)> = BTreeSet::new();
    for (ci, c) in arr(el, "Contest").iter().enumerate() {
        let path = format!("Election[0].Contest[{ci}]");
        let name = c.get("Name").and_then(Value::as_str).unwrap_or("");
        let Some(dci) = match_contest(c, e) else {
            unmatched.push(format!("contest `{name}` ({path})"));
            continue;
        };
        let dc = &e.contests[dci];
        for (si, s) in arr(c, "ContestSelection").iter().enumerate() {
            let spath = format!("{path}.ContestSelection[{si}]");
            let Some(dsi) = match_selection(s, dc, e, &candidates) else {
                unmatched.push(format!("selection {spath} of contest `{name}`"));
                continue;
            };
            for (k, vc) in arr(s, "VoteCounts").iter().enumerate() {
                let vpath = format!("{spath}.VoteCounts[{k}]");
                let n = count(vc, "Count", file, &vpath)?;
                let Some((unit, group)) = locate(vc, &units, file, &vpath)? else {
                    continue;
                };
                if group.is_none() {
                    has_total.insert((unit.clone(), dci));
                }
                if let Unit::Precinct(p) = &unit {
                    if let Some(county) = county_of.get(p.as_str()) {
                        precinct_counties.insert((county.to_string(), dci));
                    }
                }
                let slot = acc
                    .entry((unit, group))
                    .or_default()
                    .entry(dci)
                    .or_default();
                if slot.0.insert(dsi, n).is_some() {
                    return Err(invalid(
                        file,
                        &vpath,
                        "each selection counted once per unit and count type, but this count repeats an earlier one (e.g. `absentee` and `absentee-mail` both given)",
                    ));
                }
            }
        }
        for (k, oc) in arr(c, "OtherCounts").iter().enumerate() {
            let opath = format!("{path}.OtherCounts[{k}]");
            let over = count(oc, "Overvotes", file, &opath)?;
            let under = count(oc, "Undervotes", file, &opath)?;
            let Some((unit, group)) = locate(oc, &units, file, &opath)? else {
                continue;
            };
            let slot = acc
                .entry((unit, group))
                .or_default()
                .entry(dci)
                .or_default();
            slot.1 = over;
            slot.2 = under;
        }
    }
    if !unmatched.is_empty() {
        return Err(invalid(
            file,
            "Election[0].Contest",
            format!(
                "every unit, contest and selection to match the definition (add it, or an ExternalIdentifier with OtherType \"canvass\"); unmatched: {}",
                unmatched.join("; ")
            ),
        ));
    }
    let mut out = Vec::new();
    for ((unit, group), contests) in acc {
        let mut counts = Vec::new();
        for (dci, (sels, over, under)) in contests {
            if group.is_some() && has_total.contains(&(unit.clone(), dci)) {
                continue; // the unit's total for this contest is used instead
            }
            if let Unit::County(fips) = &unit {
                if precinct_counties.contains(&(fips.clone(), dci)) {
                    continue; // its precincts carry this contest's counts
                }
            }
            let dc = &e.contests[dci];
            let votes: u64 = sels.values().sum();
            let all = u128::from(votes) + u128::from(over) + u128::from(under);
            let vf = u128::from(dc.vote_for.max(1));
            let ballots = u64::try_from(all.div_ceil(vf)).unwrap_or(u64::MAX);
            counts.push(ContestCount {
                rankings: Vec::new(),
                contest: ContestId::new(dc.id.as_str()),
                ballots,
                overvotes: over,
                undervotes: under,
                votes: sels
                    .into_iter()
                    .map(|(si, n)| {
                        let s = &dc.selections[si];
                        SelectionCount {
                            selection: SelectionId::new(s.id.as_str()),
                            line: (s.lines.len() > 1).then(|| s.lines[0].clone()),
                            votes: n,
                        }
                    })
                    .collect(),
            });
        }
        if counts.is_empty() {
            continue;
        }
        let id = match unit {
            Unit::Precinct(p) | Unit::County(p) => p,
        };
        out.push(PrecinctResult {
            precinct: PrecinctId::new(id),
            portion: None,
            counting_group: group,
            contests: counts,
        });
    }
    Ok(out)
}

/// `GpUnit` `@id` → the canvass unit it is (precinct or county), or `None` for totals.
fn map_units(
    v: &Value,
    file: &str,
    e: &Election,
    unmatched: &mut Vec<String>,
) -> Result<HashMap<String, Option<Unit>>> {
    let mut out = HashMap::new();
    // Precincts by id and by name (the first of a name, as a search would find).
    let by_id: HashMap<&str, &canvass_model::Precinct> =
        e.precincts.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut by_name: HashMap<String, &canvass_model::Precinct> = HashMap::new();
    for p in &e.precincts {
        by_name
            .entry(p.name.trim().to_ascii_lowercase())
            .or_insert(p);
    }
    for (i, g) in arr(v, "GpUnit").iter().enumerate() {
        let path = format!("GpUnit[{i}]");
        let id = g
            .get("@id")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(file, format!("{path}.@id"), "a string id"))?;
        let name = text(g.get("Name"));
        let ext = canvass_id(g);
        let unit = match g.get("Type").and_then(Value::as_str) {
            Some("precinct" | "split-precinct" | "combined-precinct") => ext
                .and_then(|x| by_id.get(x).copied())
                .or_else(|| name.and_then(|n| by_name.get(&n.trim().to_ascii_lowercase()).copied()))
                .map(|p| Unit::Precinct(p.id.to_string()))
                .or_else(|| {
                    unmatched.push(format!("precinct `{}` ({path})", name.unwrap_or(id)));
                    None
                }),
            Some("county") => {
                let fips = g
                    .get("ExternalIdentifier")
                    .and_then(Value::as_array)
                    .and_then(|xs| {
                        xs.iter().find_map(|x| {
                            (x.get("Type")?.as_str()? == "fips").then_some(())?;
                            x.get("Value")?.as_str()
                        })
                    });
                e.counties
                    .iter()
                    .find(|c| ext == Some(c.fips.as_str()) || fips == Some(c.fips.as_str()))
                    .or_else(|| {
                        e.counties
                            .iter()
                            .find(|c| name.is_some_and(|n| same_name(n, &c.name)))
                    })
                    .map(|c| Unit::County(c.fips.to_string()))
            }
            _ => None,
        };
        out.insert(id.to_string(), unit);
    }
    Ok(out)
}

/// ERR `Candidate` `@id` → definition candidate id.
fn map_candidates(v: &Value, e: &Election) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for el in arr(v, "Election") {
        for c in arr(el, "Candidate") {
            let Some(id) = c.get("@id").and_then(Value::as_str) else {
                continue;
            };
            let ext = canvass_id(c);
            let name = text(c.get("BallotName"));
            let found = e
                .candidates
                .iter()
                .find(|d| ext == Some(d.id.as_str()))
                .or_else(|| {
                    let mut m = e
                        .candidates
                        .iter()
                        .filter(|d| name.is_some_and(|n| same_name(n, &d.name)));
                    match (m.next(), m.next()) {
                        (Some(one), None) => Some(one),
                        _ => None,
                    }
                });
            if let Some(d) = found {
                out.insert(id.to_string(), d.id.to_string());
            }
        }
    }
    out
}

fn match_contest(c: &Value, e: &Election) -> Option<usize> {
    let id = canvass_id(c).or_else(|| c.get("@id")?.as_str()?.strip_prefix("con-"));
    if let Some(i) = id.and_then(|id| e.contests.iter().position(|d| d.id.as_str() == id)) {
        return Some(i);
    }
    let name = c.get("Name")?.as_str()?;
    let mut m = e
        .contests
        .iter()
        .enumerate()
        .filter(|(_, d)| same_name(&d.name, name));
    match (m.next(), m.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
}

fn match_selection(
    s: &Value,
    dc: &canvass_model::Contest,
    e: &Election,
    candidates: &HashMap<String, String>,
) -> Option<usize> {
    let prefix = format!("sel-{}.", dc.id);
    let id = canvass_id(s).or_else(|| s.get("@id")?.as_str()?.strip_prefix(prefix.as_str()));
    if let Some(i) = id.and_then(|id| dc.selections.iter().position(|d| d.id.as_str() == id)) {
        return Some(i);
    }
    if let Some(answer) = text(s.get("Selection")) {
        let want = if same_name(answer, "yes") {
            Answer::Yes
        } else if same_name(answer, "no") {
            Answer::No
        } else {
            return None;
        };
        return dc
            .selections
            .iter()
            .position(|d| d.choice == SelectionChoice::Answer(want));
    }
    let ids: Option<Vec<&String>> = arr(s, "CandidateIds")
        .iter()
        .map(|c| c.as_str().and_then(|c| candidates.get(c)))
        .collect();
    let ids = ids?;
    if ids.is_empty() {
        let write_in = s.get("IsWriteIn").and_then(Value::as_bool) == Some(true);
        return write_in
            .then(|| {
                dc.selections
                    .iter()
                    .position(|d| matches!(d.choice, SelectionChoice::GenericWriteIn(_)))
            })
            .flatten();
    }
    dc.selections.iter().position(|d| match &d.choice {
        SelectionChoice::Candidate(c) => ids.len() == 1 && ids[0] == c.as_str(),
        SelectionChoice::Ticket(t) => e.tickets.iter().any(|x| {
            &x.id == t
                && ids.len() == 2
                && ids[0] == x.president.as_str()
                && ids[1] == x.vice_president.as_str()
        }),
        _ => false,
    })
}

/// The unit and counting group a `VoteCounts`/`OtherCounts` entry is for; `None` for a
/// total at a level canvass does not read (state, district, nation) or a device.
fn locate(
    vc: &Value,
    units: &HashMap<String, Option<Unit>>,
    file: &str,
    path: &str,
) -> Result<Option<(Unit, Option<CountingGroup>)>> {
    let gpu = vc
        .get("GpUnitId")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(file, format!("{path}.GpUnitId"), "the @id of a GpUnit"))?;
    let unit = units.get(gpu).ok_or_else(|| {
        invalid(
            file,
            format!("{path}.GpUnitId"),
            format!("the @id of a GpUnit in the report, found `{gpu}`"),
        )
    })?;
    let Some(unit) = unit else { return Ok(None) };
    let group = match vc.get("Type").and_then(Value::as_str) {
        None | Some("total") => None,
        Some("election-day") => Some(CountingGroup::ElectionDay),
        Some("early" | "absentee-in-person") => Some(CountingGroup::Early),
        Some("absentee" | "absentee-mail") => Some(CountingGroup::Mail),
        Some("provisional") => Some(CountingGroup::Provisional),
        Some("uocava" | "absentee-fwab") => Some(CountingGroup::Uocava),
        Some(other) => {
            return Err(invalid(
                file,
                format!("{path}.Type"),
                format!(
                    "total, election-day, early, absentee, absentee-mail, provisional or uocava, found `{other}`"
                ),
            ));
        }
    };
    Ok(Some((unit.clone(), group)))
}

/// A whole, non-negative count (absent means 0).
fn count(v: &Value, key: &str, file: &str, path: &str) -> Result<u64> {
    match v.get(key) {
        None => Ok(0),
        Some(n) => n.as_u64().ok_or_else(|| {
            invalid(
                file,
                format!("{path}.{key}"),
                format!("a whole number, 0 or more, found `{n}`"),
            )
        }),
    }
}
