//! The ERR JSON writer: a canonical results document as an `ElectionReport`.

use std::collections::BTreeSet;

use canvass_model::{Answer, Election, Office, Rule, SelectionChoice};
use canvass_tally::report::AreaResult;
use canvass_tally::{ContestResult, Results, Status};
use serde_json::{Value, json};

use super::CANVASS_ID_TYPE;

/// The report header fields ERR requires, which canvass cannot know by itself.
#[derive(Debug, Clone)]
pub struct ErrOptions {
    /// `Issuer`: who publishes the report, e.g. `Maine Secretary of State`.
    pub issuer: String,
    /// `IssuerAbbreviation`, e.g. `ME`.
    pub issuer_abbreviation: String,
    /// `GeneratedDate`, ISO 8601 with a zone, e.g. `2026-11-04T02:00:00Z`. Passed in so the
    /// output is a pure function of its inputs.
    pub generated_date: String,
    /// `VendorApplicationId`.
    pub vendor_application_id: String,
}

impl Default for ErrOptions {
    fn default() -> Self {
        ErrOptions {
            issuer: "canvass".into(),
            issuer_abbreviation: "canvass".into(),
            generated_date: "1970-01-01T00:00:00Z".into(),
            vendor_application_id: concat!("canvass ", env!("CARGO_PKG_VERSION")).into(),
        }
    }
}

fn text(s: &str) -> Value {
    json!({"@type": "ElectionResults.InternationalizedText",
           "Text": [{"@type": "ElectionResults.LanguageString", "Content": s, "Language": "en"}]})
}

fn ext_id(id: &str) -> Value {
    json!([{"@type": "ElectionResults.ExternalIdentifier", "Type": "other",
            "OtherType": CANVASS_ID_TYPE, "Value": id}])
}

/// GpUnit ids. Prefixes keep kinds apart: a county FIPS code never collides with a precinct.
pub(super) fn gpu_nation() -> String {
    "gpu-US".into()
}
pub(super) fn gpu_state(postal: &str) -> String {
    format!("gpu-{postal}")
}
pub(super) fn gpu_county(fips: &str) -> String {
    format!("gpu-c-{fips}")
}
pub(super) fn gpu_district(id: &str) -> String {
    format!("gpu-d-{id}")
}
pub(super) fn gpu_precinct(id: &str) -> String {
    format!("gpu-p-{id}")
}

fn unit(id: &str, kind: &str, name: &str, canvass_id: &str, composing: &[String]) -> Value {
    let mut u = json!({"@id": id, "@type": "ElectionResults.ReportingUnit", "Type": kind,
                       "Name": text(name), "ExternalIdentifier": ext_id(canvass_id)});
    if !composing.is_empty() {
        u["ComposingGpUnitIds"] = json!(composing);
    }
    u
}

/// Writes `r` (tabulated from `e`) as an ERR `ElectionReport`.
///
/// Vote counts are given at each contest's own area (nation, state or district), and per
/// county, district and precinct when `r` carries those levels (see
/// [`canvass_tally::ReportOptions`]). `Format` is `precinct-level` when precinct totals
/// are present, else `summary-contest`. `Status` is `unofficial-complete` when every
/// contest is complete, else `unofficial-partial`. Contests of `r` that `e` does not
/// define are left out, and a selection `r` has no count for is written as 0.
pub fn to_json(e: &Election, r: &Results, opts: &ErrOptions) -> Value {
    // Precinct-level units: a precinct of the definition, or a county reported whole.
    let precinct_ids: BTreeSet<&str> = e.precincts.iter().map(|p| p.id.as_str()).collect();
    let unit_gpu = |id: &str| {
        if precinct_ids.contains(id) {
            gpu_precinct(id)
        } else {
            gpu_county(id)
        }
    };
    let has_precincts = r.contests.iter().any(|c| c.precincts.is_some());

    let mut gpunits = Vec::new();
    let states: Vec<String> = e
        .states
        .iter()
        .map(|s| gpu_state(s.postal.as_str()))
        .collect();
    gpunits.push(unit(
        &gpu_nation(),
        "country",
        "United States",
        "US",
        &states,
    ));
    for s in &e.states {
        let counties: Vec<String> = e
            .counties
            .iter()
            .filter(|c| c.state == s.postal)
            .map(|c| gpu_county(c.fips.as_str()))
            .collect();
        gpunits.push(unit(
            &gpu_state(s.postal.as_str()),
            "state",
            &s.name,
            s.postal.as_str(),
            &counties,
        ));
    }
    for c in &e.counties {
        let precincts: Vec<String> = if has_precincts {
            e.precincts
                .iter()
                .filter(|p| p.county == c.fips)
                .map(|p| gpu_precinct(p.id.as_str()))
                .collect()
        } else {
            Vec::new()
        };
        gpunits.push(unit(
            &gpu_county(c.fips.as_str()),
            "county",
            &c.name,
            c.fips.as_str(),
            &precincts,
        ));
    }
    for d in &e.districts {
        let precincts: Vec<String> = if has_precincts {
            e.precincts
                .iter()
                .filter(|p| p.districts.contains(&d.id))
                .map(|p| gpu_precinct(p.id.as_str()))
                .collect()
        } else {
            Vec::new()
        };
        let mut u = unit(
            &gpu_district(d.id.as_str()),
            "congressional",
            d.id.as_str(),
            d.id.as_str(),
            &precincts,
        );
        u["Number"] = json!(d.number.to_string());
        gpunits.push(u);
    }
    if has_precincts {
        for p in &e.precincts {
            let kind = if p.districts.len() > 1 {
                "split-precinct"
            } else {
                "precinct"
            };
            let mut u = unit(
                &gpu_precinct(p.id.as_str()),
                kind,
                &p.name,
                p.id.as_str(),
                &[],
            );
            if let Some(n) = p.registered_voters {
                u["VotersRegistered"] = json!(n);
            }
            gpunits.push(u);
        }
    }

    let parties: Vec<Value> = e
        .parties
        .iter()
        .map(|p| {
            json!({"@id": format!("par-{}", p.id), "@type": "ElectionResults.Party",
                   "Name": text(&p.name), "Abbreviation": text(p.id.as_str()),
                   "ExternalIdentifier": ext_id(p.id.as_str())})
        })
        .collect();
    let persons: Vec<Value> = e
        .candidates
        .iter()
        .map(|c| {
            let mut p = json!({"@id": format!("per-{}", c.id), "@type": "ElectionResults.Person",
                               "FullName": text(&c.name), "ExternalIdentifier": ext_id(c.id.as_str())});
            if let Some(party) = &c.party {
                p["PartyId"] = json!(format!("par-{party}"));
            }
            p
        })
        .collect();
    let top_ticket: BTreeSet<&str> = e.tickets.iter().map(|t| t.president.as_str()).collect();
    let candidates: Vec<Value> = e
        .candidates
        .iter()
        .map(|c| {
            let mut v = json!({"@id": format!("can-{}", c.id), "@type": "ElectionResults.Candidate",
                               "BallotName": text(&c.name), "PersonId": format!("per-{}", c.id),
                               "ExternalIdentifier": ext_id(c.id.as_str())});
            if let Some(party) = &c.party {
                v["PartyId"] = json!(format!("par-{party}"));
            }
            if top_ticket.contains(c.id.as_str()) {
                v["IsTopTicket"] = json!(true);
            }
            v
        })
        .collect();

    let contests: Vec<Value> = r
        .contests
        .iter()
        .enumerate()
        .filter_map(|(i, cr)| {
            let c = e.contests.iter().find(|c| c.id.as_str() == cr.id)?;
            Some(contest(e, c, cr, i, &unit_gpu))
        })
        .collect();

    let all_complete = r.contests.iter().all(|c| c.status == Status::Complete);
    let scope = match e.states.as_slice() {
        [only] => gpu_state(only.postal.as_str()),
        _ => gpu_nation(),
    };
    let election = json!({
        "@type": "ElectionResults.Election",
        "Name": text(&e.election.name),
        "StartDate": e.election.date,
        "EndDate": e.election.date,
        "Type": "general",
        "ElectionScopeId": scope,
        "ExternalIdentifier": ext_id(e.election.id.as_str()),
        "Candidate": candidates,
        "Contest": contests,
        "CountStatus": [{"@type": "ElectionResults.CountStatus", "Type": "total",
                         "Status": if all_complete { "completed" } else { "in-process" }}],
    });
    json!({
        "@type": "ElectionResults.ElectionReport",
        "Format": if has_precincts { "precinct-level" } else { "summary-contest" },
        "GeneratedDate": opts.generated_date,
        "Issuer": opts.issuer,
        "IssuerAbbreviation": opts.issuer_abbreviation,
        "SequenceStart": 1,
        "SequenceEnd": 1,
        "Status": if all_complete { "unofficial-complete" } else { "unofficial-partial" },
        "VendorApplicationId": opts.vendor_application_id,
        "GpUnit": gpunits,
        "Party": parties,
        "Person": persons,
        "Election": [election],
    })
}

/// One contest's area as a GpUnit id.
fn contest_area(c: &canvass_model::Contest) -> String {
    match (&c.district, &c.state) {
        (Some(d), _) => gpu_district(d.as_str()),
        (None, Some(s)) => gpu_state(s.as_str()),
        (None, None) => gpu_nation(),
    }
}

/// One level of area totals, with how its ids become GpUnit ids.
type Level<'a> = (&'a Option<Vec<AreaResult>>, &'a dyn Fn(&str) -> String);

/// The areas a contest has totals for: its own, then counties, districts, precincts.
fn areas<'a>(
    c: &canvass_model::Contest,
    cr: &'a ContestResult,
    unit_gpu: &dyn Fn(&str) -> String,
) -> Vec<(String, Vec<u64>, u64, u64)> {
    let own: Vec<u64> = cr.selections.iter().map(|s| s.votes).collect();
    let mut out = vec![(contest_area(c), own, cr.overvotes, cr.undervotes)];
    let mut seen: BTreeSet<String> = out.iter().map(|a| a.0.clone()).collect();
    let levels: [Level<'_>; 3] = [
        (&cr.counties, &|id: &str| gpu_county(id)),
        (&cr.districts, &|id: &str| gpu_district(id)),
        (&cr.precincts, unit_gpu),
    ];
    for (level, gpu) in levels {
        for a in level.iter().flatten() {
            let id = gpu(&a.id);
            if !seen.insert(id.clone()) {
                continue;
            }
            // `totals` is in ballot order, one entry per selection (names are unique).
            let votes: Vec<u64> = cr
                .selections
                .iter()
                .map(|s| {
                    a.totals
                        .0
                        .iter()
                        .find(|(n, _)| *n == s.name)
                        .map_or(0, |x| x.1)
                })
                .collect();
            out.push((id, votes, a.overvotes, a.undervotes));
        }
    }
    out
}

fn contest(
    e: &Election,
    c: &canvass_model::Contest,
    cr: &ContestResult,
    order: usize,
    unit_gpu: &dyn Fn(&str) -> String,
) -> Value {
    let areas = areas(c, cr, unit_gpu);
    let cid = format!("con-{}", c.id);
    let selections: Vec<Value> = c
        .selections
        .iter()
        .enumerate()
        .map(|(si, s)| {
            let counts: Vec<Value> = areas
                .iter()
                .map(|(gpu, votes, _, _)| {
                    json!({"@type": "ElectionResults.VoteCounts", "GpUnitId": gpu,
                           "Type": "total", "Count": votes.get(si).copied().unwrap_or(0)})
                })
                .collect();
            let id = format!("sel-{}.{}", c.id, s.id);
            match &s.choice {
                SelectionChoice::Answer(a) => json!({
                    "@id": id, "@type": "ElectionResults.BallotMeasureSelection",
                    "Selection": text(if *a == Answer::Yes { "Yes" } else { "No" }),
                    "SequenceOrder": si + 1,
                    "ExternalIdentifier": ext_id(s.id.as_str()),
                    "VoteCounts": counts,
                }),
                choice => {
                    let mut v = json!({"@id": id, "@type": "ElectionResults.CandidateSelection",
                                       "SequenceOrder": si + 1, "VoteCounts": counts});
                    let ids: Vec<String> = match choice {
                        SelectionChoice::Candidate(cand) => vec![format!("can-{cand}")],
                        SelectionChoice::Ticket(t) => e
                            .tickets
                            .iter()
                            .find(|x| &x.id == t)
                            .map(|t| {
                                vec![
                                    format!("can-{}", t.president),
                                    format!("can-{}", t.vice_president),
                                ]
                            })
                            .unwrap_or_default(),
                        _ => Vec::new(),
                    };
                    if !ids.is_empty() {
                        v["CandidateIds"] = json!(ids);
                    }
                    if !s.lines.is_empty() {
                        v["EndorsementPartyIds"] = json!(
                            s.lines
                                .iter()
                                .map(|l| format!("par-{l}"))
                                .collect::<Vec<_>>()
                        );
                    }
                    if s.write_in || matches!(choice, SelectionChoice::GenericWriteIn(_)) {
                        v["IsWriteIn"] = json!(true);
                    }
                    v
                }
            }
        })
        .collect();
    let other: Vec<Value> = areas
        .iter()
        .map(|(gpu, _, over, under)| {
            json!({"@type": "ElectionResults.OtherCounts", "GpUnitId": gpu,
                   "Overvotes": over, "Undervotes": under})
        })
        .collect();
    let status = match cr.status {
        Status::Complete => "completed",
        Status::Partial => "in-process",
        Status::NotReporting => "not-processed",
    };
    let mut v = json!({
        "@id": cid,
        "Name": c.name,
        "ElectionDistrictId": contest_area(c),
        "SequenceOrder": order + 1,
        "ExternalIdentifier": ext_id(c.id.as_str()),
        "ContestSelection": selections,
        "OtherCounts": other,
        "CountStatus": [{"@type": "ElectionResults.CountStatus", "Type": "total", "Status": status}],
        "TotalSubUnits": cr.precincts_expected,
        "SubUnitsReported": cr.precincts_reported,
    });
    let variation = match &c.rule {
        Rule::Plurality if c.vote_for > 1 => "n-of-m",
        Rule::Plurality => "plurality",
        Rule::Majority { .. } => "majority",
        Rule::RankedChoice { .. } => "rcv",
        Rule::Supermajority { .. } => "super-majority",
    };
    v["VoteVariation"] = json!(variation);
    if c.office == Office::Measure {
        v["@type"] = json!("ElectionResults.BallotMeasureContest");
        if let Rule::Supermajority {
            numerator,
            denominator,
        } = &c.rule
        {
            v["PassageThreshold"] = text(&format!("{numerator}/{denominator} of the votes cast"));
        }
    } else {
        v["@type"] = json!("ElectionResults.CandidateContest");
        v["VotesAllowed"] = json!(c.vote_for);
        v["NumberElected"] = json!(c.vote_for);
        if matches!(c.rule, Rule::Majority { runoff: true }) {
            v["NumberRunoff"] = json!(2);
        }
    }
    v
}
