//! NIST SP 1500-100 v2 (ERR) JSON: the writer's output validates against NIST's schema,
//! carries the hand-computed counts, and reads back to the same totals.

use canvass_formats::err::{ErrOptions, read_json, read_json_value, to_json};
use canvass_model::{
    ContestCount, ContestId, DefinitionFormat, Election, PartyId, PrecinctId, PrecinctResult,
    SelectionCount, SelectionId, parse_definition,
};
use canvass_tally::{ReportOptions, Results, Tabulator, results};
use serde_json::{Value, json};

const SCHEMA: &str = include_str!("data/nist-err/err-1500-100-v2.schema.json");
const SMALL: &str = include_str!("data/nist-err/small.toml");

fn small() -> Election {
    parse_definition(SMALL, DefinitionFormat::Toml, "small.toml").expect("small.toml is valid")
}

fn sel(id: &str, line: Option<&str>, votes: u64) -> SelectionCount {
    SelectionCount {
        selection: SelectionId::new(id),
        line: line.map(PartyId::new),
        votes,
    }
}

fn cc(
    contest: &str,
    ballots: u64,
    over: u64,
    under: u64,
    votes: Vec<SelectionCount>,
) -> ContestCount {
    ContestCount {
        rankings: Vec::new(),
        contest: ContestId::new(contest),
        ballots,
        overvotes: over,
        undervotes: under,
        votes,
    }
}

fn report(precinct: &str, contests: Vec<ContestCount>) -> PrecinctResult {
    PrecinctResult {
        precinct: PrecinctId::new(precinct),
        portion: None,
        counting_group: None,
        contests,
    }
}

/// Hand-made counts; each contest balances (ballots = votes + over + under, vote for 1).
fn small_reports() -> Vec<PrecinctResult> {
    vec![
        report(
            "portland-1",
            vec![
                // 50 + 10 + 35 + 2 + 1 + 2 = 100
                cc(
                    "president-ME",
                    100,
                    1,
                    2,
                    vec![
                        sel("alice-carol", Some("DEM"), 50),
                        sel("alice-carol", Some("WFP"), 10),
                        sel("bob-dan", None, 35),
                        sel("write-in", None, 2),
                    ],
                ),
                // 55 + 40 + 5 = 100
                cc(
                    "house-ME-01",
                    100,
                    0,
                    5,
                    vec![sel("alice", None, 55), sel("bob", None, 40)],
                ),
                // 70 + 25 + 5 = 100
                cc(
                    "question-1",
                    100,
                    0,
                    5,
                    vec![sel("yes", None, 70), sel("no", None, 25)],
                ),
            ],
        ),
        report(
            "bangor-1",
            vec![
                // 30 + 45 + 1 + 4 = 80
                cc(
                    "president-ME",
                    80,
                    0,
                    4,
                    vec![
                        sel("alice-carol", Some("DEM"), 30),
                        sel("bob-dan", None, 45),
                        sel("write-in", None, 1),
                    ],
                ),
                // 50 + 28 + 2 = 80
                cc(
                    "question-1",
                    80,
                    0,
                    2,
                    vec![sel("yes", None, 50), sel("no", None, 28)],
                ),
            ],
        ),
        // DC has no precincts in the definition: its county reports whole.
        report(
            "11001",
            vec![cc(
                "president-DC",
                325,
                0,
                5,
                vec![sel("alice-carol", None, 300), sel("bob-dan", None, 20)],
            )],
        ),
    ]
}

fn tabulate(e: &Election, reports: &[PrecinctResult], opts: &ReportOptions) -> Results {
    let mut t = Tabulator::new(e.clone());
    for r in reports {
        t.apply(r).expect("the reports fit the definition");
    }
    results(&t, opts)
}

fn validate(doc: &Value) {
    let schema: Value = serde_json::from_str(SCHEMA).expect("the NIST schema is JSON");
    let v = jsonschema::draft4::new(&schema).expect("the NIST schema compiles as draft-04");
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(20)
        .collect();
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );
}

fn contest<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["Election"][0]["Contest"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["@id"] == format!("con-{id}")))
        .unwrap_or_else(|| panic!("contest {id} in the report"))
}

fn count_at(c: &Value, sel_id: &str, gpu: &str) -> u64 {
    let s = c["ContestSelection"]
        .as_array()
        .and_then(|ss| ss.iter().find(|s| s["@id"] == sel_id))
        .unwrap_or_else(|| panic!("selection {sel_id}"));
    s["VoteCounts"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["GpUnitId"] == gpu))
        .unwrap_or_else(|| panic!("a count of {sel_id} at {gpu}"))["Count"]
        .as_u64()
        .expect("a whole count")
}

fn other_at(c: &Value, gpu: &str) -> (u64, u64) {
    let o = c["OtherCounts"]
        .as_array()
        .and_then(|os| os.iter().find(|o| o["GpUnitId"] == gpu))
        .expect("other counts");
    (
        o["Overvotes"].as_u64().expect("int"),
        o["Undervotes"].as_u64().expect("int"),
    )
}

#[test]
fn small_election_validates_and_carries_the_counts() {
    let e = small();
    let all = ReportOptions {
        complete: false,
        counties: true,
        districts: true,
        precincts: true,
    };
    let doc = to_json(
        &e,
        &tabulate(&e, &small_reports(), &all),
        &ErrOptions::default(),
    );
    validate(&doc);
    assert_eq!(doc["Format"], "precinct-level");

    let p = contest(&doc, "president-ME");
    assert_eq!(p["@type"], "ElectionResults.CandidateContest");
    assert_eq!(p["ElectionDistrictId"], "gpu-ME");
    // State: alice-carol 50 + 10 + 30 = 90, bob-dan 35 + 45 = 80, write-in 2 + 1 = 3.
    assert_eq!(count_at(p, "sel-president-ME.alice-carol", "gpu-ME"), 90);
    assert_eq!(count_at(p, "sel-president-ME.bob-dan", "gpu-ME"), 80);
    assert_eq!(count_at(p, "sel-president-ME.write-in", "gpu-ME"), 3);
    assert_eq!(other_at(p, "gpu-ME"), (1, 6));
    // Penobscot County (23019) is bangor-1 alone; ME-02 likewise.
    assert_eq!(count_at(p, "sel-president-ME.bob-dan", "gpu-c-23019"), 45);
    assert_eq!(
        count_at(p, "sel-president-ME.alice-carol", "gpu-d-ME-01"),
        60
    );
    assert_eq!(
        count_at(p, "sel-president-ME.alice-carol", "gpu-p-portland-1"),
        60
    );
    let ticket = &p["ContestSelection"][0];
    assert_eq!(ticket["CandidateIds"], json!(["can-alice", "can-carol"]));
    assert_eq!(ticket["EndorsementPartyIds"], json!(["par-DEM", "par-WFP"]));
    assert_eq!(p["ContestSelection"][2]["IsWriteIn"], true);
    assert_eq!(p["VoteVariation"], "rcv");

    let q = contest(&doc, "question-1");
    assert_eq!(q["@type"], "ElectionResults.BallotMeasureContest");
    assert_eq!(q["VoteVariation"], "super-majority");
    assert_eq!(
        q["PassageThreshold"]["Text"][0]["Content"],
        "2/3 of the votes cast"
    );
    assert_eq!(count_at(q, "sel-question-1.yes", "gpu-ME"), 120);
    assert_eq!(count_at(q, "sel-question-1.no", "gpu-ME"), 53);
    // Two of three Maine units reported.
    assert_eq!(q["CountStatus"][0]["Status"], "in-process");
    assert_eq!(q["SubUnitsReported"], 2);

    let dc = contest(&doc, "president-DC");
    assert_eq!(count_at(dc, "sel-president-DC.alice-carol", "gpu-DC"), 300);
    assert_eq!(
        count_at(dc, "sel-president-DC.alice-carol", "gpu-c-11001"),
        300
    );

    let me = doc["GpUnit"]
        .as_array()
        .and_then(|g| g.iter().find(|u| u["@id"] == "gpu-ME"))
        .expect("Maine");
    assert_eq!(
        me["ComposingGpUnitIds"],
        json!(["gpu-c-23005", "gpu-c-23019"])
    );
    let us = doc["GpUnit"]
        .as_array()
        .and_then(|g| g.iter().find(|u| u["@id"] == "gpu-US"))
        .expect("nation");
    assert_eq!(us["Type"], "country");
}

#[test]
fn summary_report_validates() {
    let e = small();
    let doc = to_json(
        &e,
        &tabulate(&e, &small_reports(), &ReportOptions::default()),
        &ErrOptions::default(),
    );
    validate(&doc);
    assert_eq!(doc["Format"], "summary-contest");
    assert_eq!(doc["Status"], "unofficial-partial");
}

#[test]
fn precinct_report_reads_back_to_the_same_totals() {
    let e = small();
    let opts = ReportOptions {
        precincts: true,
        ..ReportOptions::default()
    };
    let before = tabulate(&e, &small_reports(), &opts);
    let doc = to_json(&e, &before, &ErrOptions::default());
    let bytes = serde_json::to_vec(&doc).expect("serializes");
    let back = read_json(bytes.as_slice(), "report.json", &e).expect("reads back");
    assert_eq!(back.len(), 3);
    let after = tabulate(&e, &back, &opts);
    for (a, b) in before.contests.iter().zip(&after.contests) {
        assert_eq!(a.totals, b.totals, "{}", a.id);
        assert_eq!(
            (a.ballots, a.overvotes, a.undervotes),
            (b.ballots, b.overvotes, b.undervotes),
            "{}",
            a.id
        );
    }
    // ERR has no per-line counts: fusion votes come back on the first line (DEM).
    let pres = back
        .iter()
        .find(|r| r.precinct.as_str() == "portland-1")
        .expect("portland-1");
    let alice = pres
        .contests
        .iter()
        .find(|c| c.contest.as_str() == "president-ME")
        .expect("president");
    assert_eq!(
        alice
            .votes
            .iter()
            .find(|v| v.selection.as_str() == "alice-carol")
            .map(|v| (v.line.clone(), v.votes)),
        Some((Some(PartyId::new("DEM")), 60))
    );
}

#[test]
fn reader_lists_every_unmatched_name_and_never_guesses() {
    let e = small();
    let opts = ReportOptions {
        precincts: true,
        ..ReportOptions::default()
    };
    let mut doc = to_json(
        &e,
        &tabulate(&e, &small_reports(), &opts),
        &ErrOptions::default(),
    );
    for c in doc["Election"][0]["Contest"]
        .as_array_mut()
        .expect("contests")
    {
        if c["@id"] == "con-house-ME-01" {
            c["@id"] = json!("x1");
            c["ExternalIdentifier"] = json!([]);
            c["Name"] = json!("Mayor of Nowhere");
        }
    }
    let err = read_json_value(&doc, "r.json", &e)
        .expect_err("an unknown contest")
        .to_string();
    assert!(
        err.contains("contest `Mayor of Nowhere` (Election[0].Contest[2])"),
        "{err}"
    );

    // A fractional count names its JSON path.
    let mut doc = to_json(
        &e,
        &tabulate(&e, &small_reports(), &opts),
        &ErrOptions::default(),
    );
    doc["Election"][0]["Contest"][0]["ContestSelection"][1]["VoteCounts"][0]["Count"] = json!(1.5);
    let err = read_json_value(&doc, "r.json", &e)
        .expect_err("a fractional count")
        .to_string();
    assert!(
        err.contains("r.json")
            && err.contains("Election[0].Contest[0].ContestSelection[1].VoteCounts[0].Count"),
        "{err}"
    );

    let err = read_json(&b"{\"@type\": 3}"[..], "bad.json", &e)
        .expect_err("not a report")
        .to_string();
    assert!(
        err.contains("bad.json") && err.contains("ElectionReport"),
        "{err}"
    );
}

#[test]
fn group_counts_are_never_added_to_a_total() {
    let e = small();
    let opts = ReportOptions {
        precincts: true,
        ..ReportOptions::default()
    };
    let mut doc = to_json(
        &e,
        &tabulate(&e, &small_reports(), &opts),
        &ErrOptions::default(),
    );
    // Add an election-day breakdown next to portland-1's total for bob-dan (35).
    let c = &mut doc["Election"][0]["Contest"][0]["ContestSelection"][1]["VoteCounts"];
    c.as_array_mut().expect("counts").push(json!({"@type": "ElectionResults.VoteCounts", "GpUnitId": "gpu-p-portland-1", "Type": "election-day", "Count": 20}));
    let back = read_json_value(&doc, "r.json", &e).expect("reads");
    assert!(
        back.iter().all(|r| r.counting_group.is_none()),
        "the total is used, the breakdown ignored"
    );
    let after = tabulate(&e, &back, &opts);
    assert_eq!(after.contests[0].selections[1].votes, 80);
}

/// us-2020, a handful of county reports: Delaware's three counties and one New York
/// county (fusion lines), against hand sums.
#[test]
fn us_2020_with_a_few_counties_validates() {
    let e = canvass_model::builtin("us-2020")
        .expect("built in")
        .expect("consistent");
    let pick = |id: &str| {
        e.contests
            .iter()
            .find(|c| c.id.as_str() == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let de = pick("president-DE");
    let (biden, trump) = (
        de.selections[0].id.to_string(),
        de.selections[1].id.to_string(),
    );
    let mut reports = Vec::new();
    // (county, biden, trump, undervotes): state sums 195 + 110 + 16 hand-checked below.
    for (fips, b, t, u) in [
        ("10001", 40, 30, 5),
        ("10003", 120, 50, 8),
        ("10005", 35, 30, 3),
    ] {
        reports.push(report(
            fips,
            vec![cc(
                "president-DE",
                b + t + u,
                0,
                u,
                vec![sel(&biden, None, b), sel(&trump, None, t)],
            )],
        ));
    }
    let ny = pick("president-NY");
    let fused = ny
        .selections
        .iter()
        .find(|s| s.lines.len() == 2)
        .expect("a fusion ticket in NY");
    let (l1, l2) = (fused.lines[0].to_string(), fused.lines[1].to_string());
    reports.push(report(
        "36001",
        vec![cc(
            "president-NY",
            100,
            0,
            0,
            vec![
                sel(fused.id.as_str(), Some(&l1), 70),
                sel(fused.id.as_str(), Some(&l2), 30),
            ],
        )],
    ));
    let opts = ReportOptions {
        counties: true,
        districts: true,
        ..ReportOptions::default()
    };
    let doc = to_json(&e, &tabulate(&e, &reports, &opts), &ErrOptions::default());
    validate(&doc);
    let c = contest(&doc, "president-DE");
    assert_eq!(
        count_at(c, &format!("sel-president-DE.{biden}"), "gpu-DE"),
        40 + 120 + 35
    );
    assert_eq!(
        count_at(c, &format!("sel-president-DE.{trump}"), "gpu-DE"),
        30 + 50 + 30
    );
    assert_eq!(other_at(c, "gpu-DE"), (0, 5 + 8 + 3));
    let n = contest(&doc, "president-NY");
    assert_eq!(
        count_at(n, &format!("sel-president-NY.{}", fused.id), "gpu-NY"),
        100
    );
    assert_eq!(
        doc["GpUnit"].as_array().map(Vec::len),
        Some(1 + e.states.len() + e.counties.len() + e.districts.len())
    );
}
