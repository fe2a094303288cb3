//! NIST SP 1500-100 v2 (ERR) XML: a hand-written vendor report reads to the hand-counted
//! results and to the same results as its JSON twin; reports canvass writes read back the
//! same in both bindings; errors name the line, the element path and what was expected.

use canvass_formats::err::{ErrOptions, read_json, read_json_value, read_xml, to_json, to_xml};
use canvass_model::{
    ContestCount, ContestId, CountingGroup, DefinitionFormat, Election, PartyId, PrecinctId,
    PrecinctResult, SelectionCount, SelectionId, parse_definition,
};
use canvass_tally::{ReportOptions, Results, Tabulator, results};
use serde_json::Value;

const SCHEMA: &str = include_str!("data/nist-err/err-1500-100-v2.schema.json");
const SMALL: &str = include_str!("data/nist-err/small.toml");
const VENDOR_XML: &str = include_str!("data/nist-err/vendor-report.xml");
const VENDOR_JSON: &str = include_str!("data/nist-err/vendor-report.json");

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

fn cc(contest: &str, ballots: u64, under: u64, votes: Vec<SelectionCount>) -> ContestCount {
    ContestCount {
        rankings: Vec::new(),
        contest: ContestId::new(contest),
        ballots,
        overvotes: 0,
        undervotes: under,
        votes,
    }
}

fn report(
    precinct: &str,
    group: Option<CountingGroup>,
    contests: Vec<ContestCount>,
) -> PrecinctResult {
    PrecinctResult {
        precinct: PrecinctId::new(precinct),
        portion: None,
        counting_group: group,
        contests,
    }
}

fn sorted(mut v: Vec<PrecinctResult>) -> Vec<PrecinctResult> {
    v.sort_by_key(|r| (r.precinct.to_string(), format!("{:?}", r.counting_group)));
    v
}

#[test]
fn vendor_report_reads_to_the_hand_counted_results_in_both_bindings() {
    let e = small();
    let schema: Value = serde_json::from_str(SCHEMA).expect("schema");
    let json: Value = serde_json::from_str(VENDOR_JSON).expect("fixture is JSON");
    let v = jsonschema::draft4::new(&schema).expect("schema compiles");
    assert!(v.is_valid(&json), "the JSON twin follows the NIST schema");

    let from_xml = read_xml(VENDOR_XML.as_bytes(), "vendor-report.xml", &e).expect("XML reads");
    let from_json =
        read_json(VENDOR_JSON.as_bytes(), "vendor-report.json", &e).expect("JSON reads");
    assert_eq!(from_xml, from_json);

    // By hand from the fixture: the state-level count (1000) is a total and is not read;
    // ballots = votes + undervotes (vote for 1, no overvotes).
    let expected = vec![
        // Washington (matched by its FIPS identifier) reports DC whole.
        report(
            "11001",
            None,
            vec![cc(
                "president-DC",
                300 + 20 + 5,
                5,
                vec![sel("alice-carol", None, 300), sel("bob-dan", None, 20)],
            )],
        ),
        // `BANGOR WARD 1` matches `Bangor Ward 1` ignoring case.
        report(
            "bangor-1",
            None,
            vec![cc(
                "question-1",
                50 + 28 + 2,
                2,
                vec![sel("yes", None, 50), sel("no", None, 28)],
            )],
        ),
        report(
            "portland-1",
            None,
            vec![cc(
                "house-ME-01",
                55 + 40 + 5,
                5,
                vec![sel("alice", None, 55), sel("bob", None, 40)],
            )],
        ),
        report(
            "portland-1",
            Some(CountingGroup::ElectionDay),
            vec![cc(
                "question-1",
                40 + 15,
                0,
                vec![sel("yes", None, 40), sel("no", None, 15)],
            )],
        ),
        report(
            "portland-1",
            Some(CountingGroup::Mail),
            vec![cc(
                "question-1",
                30 + 10,
                0,
                vec![sel("yes", None, 30), sel("no", None, 10)],
            )],
        ),
    ];
    assert_eq!(sorted(from_xml), sorted(expected));
}

/// Hand-made counts for small.toml; each contest balances (ballots = votes + over + under).
fn small_reports() -> Vec<PrecinctResult> {
    vec![
        report(
            "portland-1",
            None,
            vec![
                ContestCount {
                    rankings: Vec::new(),
                    contest: ContestId::new("president-ME"),
                    ballots: 100,
                    overvotes: 1,
                    undervotes: 2,
                    votes: vec![
                        sel("alice-carol", Some("DEM"), 50),
                        sel("alice-carol", Some("WFP"), 10),
                        sel("bob-dan", None, 35),
                        sel("write-in", None, 2),
                    ],
                },
                cc(
                    "question-1",
                    100,
                    5,
                    vec![sel("yes", None, 70), sel("no", None, 25)],
                ),
            ],
        ),
        report(
            "bangor-1",
            None,
            vec![cc(
                "question-1",
                80,
                2,
                vec![sel("yes", None, 50), sel("no", None, 28)],
            )],
        ),
        report(
            "11001",
            None,
            vec![cc(
                "president-DC",
                325,
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

#[test]
fn written_reports_read_back_the_same_from_json_and_xml() {
    let e = small();
    for opts in [
        ReportOptions {
            precincts: true,
            ..ReportOptions::default()
        },
        ReportOptions {
            complete: false,
            counties: true,
            districts: true,
            precincts: true,
        },
    ] {
        let r = tabulate(&e, &small_reports(), &opts);
        let doc = to_json(&e, &r, &ErrOptions::default());
        let xml = to_xml(&e, &r, &ErrOptions::default());
        let from_json = read_json_value(&doc, "r.json", &e).expect("JSON reads");
        let from_xml = read_xml(xml.as_bytes(), "r.xml", &e).expect("XML reads");
        assert_eq!(from_json, from_xml);
        // And the counts are those written: portland-1's fusion ticket 50 + 10 = 60 on its
        // first line, as ERR has no per-line counts.
        let p = from_xml
            .iter()
            .find(|r| r.precinct.as_str() == "portland-1")
            .expect("portland-1");
        let pres = p
            .contests
            .iter()
            .find(|c| c.contest.as_str() == "president-ME")
            .expect("president");
        assert_eq!(pres.votes[0], sel("alice-carol", Some("DEM"), 60));
        assert_eq!((pres.overvotes, pres.undervotes), (1, 2));
    }
}

#[test]
fn escaped_names_and_ids_survive_the_xml_binding() {
    let text = SMALL.replace("Portland Ward 1", "Portland <Ward> \\\"1\\\" & Co");
    let e = parse_definition(&text, DefinitionFormat::Toml, "small.toml").expect("valid");
    let r = tabulate(
        &e,
        &small_reports(),
        &ReportOptions {
            precincts: true,
            ..ReportOptions::default()
        },
    );
    let xml = to_xml(&e, &r, &ErrOptions::default());
    assert!(
        xml.contains("Portland &lt;Ward&gt; &quot;1&quot; &amp; Co"),
        "{xml}"
    );
    let from_xml = read_xml(xml.as_bytes(), "r.xml", &e).expect("XML reads");
    let from_json = read_json_value(&to_json(&e, &r, &ErrOptions::default()), "r.json", &e)
        .expect("JSON reads");
    assert_eq!(from_xml, from_json);
}

fn err_of(xml: &str) -> String {
    read_xml(xml.as_bytes(), "bad.xml", &small())
        .expect_err("invalid")
        .to_string()
}

#[test]
fn a_fractional_count_names_the_line_and_element() {
    let bad = VENDOR_XML.replace("<Count>55</Count>", "<Count>55.5</Count>");
    let line = 1 + VENDOR_XML[..VENDOR_XML.find("<Count>55</Count>").expect("in fixture")]
        .matches('\n')
        .count();
    let err = err_of(&bad);
    assert!(
        err.contains("bad.xml")
            && err.contains(&format!("line {line}"))
            && err.contains(
                "/ElectionReport/Election[1]/Contest[1]/ContestSelection[1]/VoteCounts[2]/Count"
            )
            && err.contains("a whole number, 0 or more, found `55.5`"),
        "{err}"
    );
}

#[test]
fn unmatched_names_are_all_listed_with_element_paths_and_lines() {
    let bad = VENDOR_XML
        .replace(
            "<Name>United States Representative</Name>",
            "<Name>Mayor of Nowhere</Name>",
        )
        .replace("Portland Ward 1", "Portland Ward 9");
    let err = err_of(&bad);
    assert!(
        err.contains("contest `Mayor of Nowhere` (/ElectionReport/Election[1]/Contest[1])"),
        "{err}"
    );
    assert!(
        err.contains("precinct `Portland Ward 9` (/ElectionReport/GpUnit[2])"),
        "{err}"
    );
    // The error points at the Election element (line 6 of the fixture).
    assert!(err.contains("line 6"), "{err}");
}

#[test]
fn malformed_and_hostile_documents_are_rejected_whole() {
    // A mismatched end tag: the line of the error is reported.
    let bad = VENDOR_XML.replace("<Type>precinct</Type>", "<Type>precinct</Typo>");
    let err = err_of(&bad);
    let line = 1 + VENDOR_XML[..VENDOR_XML
        .find("<Type>precinct</Type>")
        .expect("in fixture")]
        .matches('\n')
        .count();
    assert!(
        err.contains(&format!("line {line}")) && err.contains("well-formed XML"),
        "{err}"
    );

    // Wrong root, wrong namespace, empty file, truncation.
    assert!(err_of("<Report/>").contains("an ElectionReport root element"));
    let v1 = VENDOR_XML.replace(
        "http://itl.nist.gov/ns/voting/1500-100/v2",
        "NIST_V0_election_results_reporting.xsd",
    );
    assert!(err_of(&v1).contains("namespace"), "{}", err_of(&v1));
    assert!(err_of("").contains("empty"));
    assert!(err_of(&VENDOR_XML[..VENDOR_XML.len() / 2]).contains("bad.xml"));

    // A nesting bomb stops at the depth limit.
    let deep = format!(
        "<ElectionReport xmlns=\"http://itl.nist.gov/ns/voting/1500-100/v2\">{}",
        "<Notes>".repeat(10_000)
    );
    assert!(
        err_of(&deep).contains("nesting at most 32 deep"),
        "{}",
        err_of(&deep)
    );

    // Entity definitions are refused, not expanded.
    let dtd = format!(
        "<!DOCTYPE r [<!ENTITY a \"aaaa\">]>{}",
        VENDOR_XML.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
    );
    assert!(err_of(&dtd).contains("DOCTYPE"), "{}", err_of(&dtd));

    // A single element given twice.
    let twice = VENDOR_XML.replace(
        "<VotesAllowed>1</VotesAllowed>",
        "<VotesAllowed>1</VotesAllowed><VotesAllowed>2</VotesAllowed>",
    );
    assert!(
        err_of(&twice).contains("at most one <VotesAllowed>"),
        "{}",
        err_of(&twice)
    );

    // A boolean that is not one.
    let b = VENDOR_XML.replace(
        "<CandidateIds>c1</CandidateIds>",
        "<CandidateIds>c1</CandidateIds><IsWriteIn>yes</IsWriteIn>",
    );
    assert!(
        err_of(&b).contains("true or false, found `yes`"),
        "{}",
        err_of(&b)
    );
}
