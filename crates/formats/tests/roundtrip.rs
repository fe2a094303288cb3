//! Round trips: vendor format -> NIST SP 1500-103 CVR JSON -> re-read gives the same records;
//! our ES&S reading matches RCTab's own CDF conversion of the same file.

mod common;

use canvass_formats::nist::writer::{NistJsonWriter, WriterOptions};
use canvass_formats::{Input, Provider, SourceOptions, SourceSpec, read_source_to_vec};
use canvass_model::{CastVoteRecord, Choice, CvrContest, CvrMark};
use proptest::prelude::*;

fn to_nist(records: &[CastVoteRecord]) -> Vec<u8> {
    let mut w = NistJsonWriter::new(Vec::new(), WriterOptions::default()).unwrap();
    for r in records {
        w.write(r).unwrap();
    }
    w.finish().unwrap()
}

fn read_nist(bytes: Vec<u8>) -> Vec<CastVoteRecord> {
    let o = SourceOptions {
        overvote_label: Some("overvote".into()),
        undervote_label: Some("undervote".into()),
        ..SourceOptions::default()
    };
    let mut out = Vec::new();
    canvass_formats::nist::json::read(
        &Input::Bytes {
            name: "rt.json".into(),
            bytes,
        },
        &o,
        &mut |r| {
            out.push(r);
            Ok(())
        },
    )
    .unwrap();
    out
}

fn round_trip(case: &str) {
    let c = common::case(case);
    let vendor = c.read_all();
    assert!(!vendor.is_empty());
    let again = read_nist(to_nist(&vendor));
    // SP 1500-103 has no counting group: everything else must survive.
    let expected: Vec<CastVoteRecord> = vendor
        .iter()
        .cloned()
        .map(|r| CastVoteRecord {
            counting_group: None,
            ..r
        })
        .collect();
    assert_eq!(again, expected, "{case}");
    // And the tally from the NIST copy is RCTab's round 1 too.
    c.check_round1(&again);
}

#[test]
fn ess_xlsx_to_nist_and_back() {
    round_trip("2015_portland_mayor");
    round_trip("test_set_treat_blank_as_undeclared_write_in");
}

#[test]
fn dominion_to_nist_and_back() {
    round_trip("2024_alaska_dominion");
}

#[test]
fn hart_to_nist_and_back() {
    round_trip("hart_travis_county_officers");
}

#[test]
fn clear_ballot_to_nist_and_back() {
    round_trip("clear_ballot_kansas_primary");
}

#[test]
fn generic_csv_to_nist_and_back() {
    round_trip("generic_csv_test");
}

#[test]
fn nist_xml_to_nist_json_and_back() {
    round_trip("nist_xml_cdf_2");
}

/// RCTab converted `simple_ess_cvr.xlsx` to CDF JSON (`conversions_from_ess`); reading its
/// output with our NIST reader gives the marks our ES&S reader gives, except that RCTab
/// drops explicit undervote markers.
#[test]
fn ess_matches_rctab_cdf_conversion() {
    let c = common::case("conversions_from_ess");
    let ours = c.read_all();
    let spec = SourceSpec {
        provider: Provider::NistJson,
        path: c.dir.join("conversions_from_ess_expected_cdf_cvr.json"),
        options: SourceOptions {
            overvote_label: Some("overvote".into()),
            ..SourceOptions::default()
        },
    };
    let theirs = read_source_to_vec(&spec).unwrap();
    assert_eq!(ours.len(), theirs.len());
    assert_eq!(ours.len(), 10, "simple_ess_cvr.xlsx has 10 ballot rows");
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a.id, b.id);
        let strip = |r: &CastVoteRecord| -> Vec<CvrMark> {
            r.contests[0]
                .marks
                .iter()
                .filter(|m| m.choice != Choice::Undervote)
                .cloned()
                .collect()
        };
        assert_eq!(strip(a), strip(b), "ballot {}", a.id);
    }
}

#[test]
fn dominion_folder_equals_zip() {
    let c = common::case("2024_alaska_dominion");
    let from_zip = c.read_all();
    let dir = std::env::temp_dir().join(format!("canvass-formats-alaska-{}", std::process::id()));
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(c.dir.join("partial_cvr.zip")).unwrap()).unwrap();
    zip.extract(&dir).unwrap();
    let mut spec = c.specs().remove(0);
    spec.path = dir.join("partial_cvr");
    let from_dir = read_source_to_vec(&spec).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(from_dir, from_zip);
    assert_eq!(
        from_dir.len(),
        124,
        "RCTab's expected CVR list for this case has 124 rows"
    );
}

fn arb_choice() -> impl Strategy<Value = Choice> {
    prop_oneof![
        4 => "[A-Za-z ,.'()0-9\u{e9}\"\\\\]{1,12}".prop_map(Choice::Candidate),
        1 => Just(Choice::Overvote),
        1 => Just(Choice::Undervote),
        1 => Just(Choice::UndeclaredWriteIn),
    ]
    .prop_filter(
        "labels are reserved",
        |c| !matches!(c, Choice::Candidate(n) if n == "overvote" || n == "undervote"),
    )
}

fn arb_record() -> impl Strategy<Value = CastVoteRecord> {
    let contest = (
        "[A-Za-z ]{1,8}",
        prop::collection::vec((1u32..=10, arb_choice()), 0..6),
    )
        .prop_map(|(contest, marks)| CvrContest {
            contest,
            marks: marks
                .into_iter()
                .map(|(rank, choice)| CvrMark { rank, choice })
                .collect(),
        });
    (
        "[a-z0-9-]{1,10}",
        proptest::option::of("[A-Za-z0-9 ]{1,8}"),
        proptest::option::of("[A-Za-z0-9]{1,8}"),
        proptest::option::of("[0-9]{1,4}"),
        proptest::option::of("[0-9]{1,4}"),
        prop::collection::vec(contest, 0..4),
    )
        .prop_map(
            |(id, precinct, ballot_style, batch, tabulator, mut contests)| {
                // Contest names are unique within one ballot.
                contests.sort_by(|a, b| a.contest.cmp(&b.contest));
                contests.dedup_by(|a, b| a.contest == b.contest);
                CastVoteRecord {
                    id,
                    precinct,
                    ballot_style,
                    batch,
                    tabulator,
                    counting_group: None,
                    contests,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn nist_writer_reader_round_trip(records in prop::collection::vec(arb_record(), 0..20)) {
        let again = read_nist(to_nist(&records));
        prop_assert_eq!(again, records);
    }
}
