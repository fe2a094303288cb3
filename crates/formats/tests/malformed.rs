//! Malformed input: every reader rejects it with an error naming the file, the line or
//! record, and the field, and never panics.

use canvass_formats::dominion::{Manifests, read_export};
use canvass_formats::{FormatError, Input, ReadStats, SourceOptions};

fn bytes(name: &str, b: &[u8]) -> Input {
    Input::Bytes {
        name: name.into(),
        bytes: b.to_vec(),
    }
}

fn expect_err(r: Result<ReadStats, FormatError>, needles: &[&str]) -> String {
    let msg = match r {
        Ok(s) => panic!("expected an error, read {s:?}"),
        Err(e) => e.to_string(),
    };
    for n in needles {
        assert!(msg.contains(n), "error `{msg}` should mention `{n}`");
    }
    msg
}

fn nist_json(input: &Input) -> Result<ReadStats, FormatError> {
    canvass_formats::nist::json::read(input, &SourceOptions::default(), &mut |_| Ok(()))
}

const NIST_OK: &str = r#"{"Election":[{"Candidate":[{"@id":"a","Name":"Alice"}],
 "Contest":[{"@id":"c1","Name":"Mayor","ContestSelection":[{"@id":"cs-a","CandidateIds":["a"]}]}]}],
 "CVR":[{"UniqueId":"1","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s","CVRContest":[{"ContestId":"c1",
   "CVRContestSelection":[{"ContestSelectionId":"cs-a","SelectionPosition":[{"HasIndication":"yes","NumberVotes":1,"Rank":RANK}]}]}]}]}]}"#;

#[test]
fn nist_json_valid_baseline_reads() {
    let doc = NIST_OK.replace("RANK", "1");
    let s = nist_json(&bytes("ok.json", doc.as_bytes())).unwrap();
    assert_eq!(s.records, 1);
}

#[test]
fn nist_json_truncated() {
    let doc = NIST_OK.replace("RANK", "1");
    let cut = &doc.as_bytes()[..doc.find("\"CVRSnapshot\"").unwrap()];
    expect_err(
        nist_json(&bytes("cut.json", cut)),
        &["cut.json", "CVR", "truncated"],
    );
}

#[test]
fn nist_json_wrong_type_names_json_path() {
    let doc = NIST_OK.replace("RANK", "\"first\"");
    expect_err(
        nist_json(&bytes("t.json", doc.as_bytes())),
        &["t.json", "record 1", "Rank"],
    );
}

#[test]
fn nist_json_huge_rank() {
    let doc = NIST_OK.replace("RANK", "99999999999");
    expect_err(
        nist_json(&bytes("h.json", doc.as_bytes())),
        &[
            "h.json",
            "record 1",
            "SelectionPosition.Rank",
            "99999999999",
        ],
    );
    let doc = NIST_OK.replace("RANK", "184467440737095516160");
    expect_err(
        nist_json(&bytes("h2.json", doc.as_bytes())),
        &["h2.json", "record 1", "Rank"],
    );
}

#[test]
fn nist_json_unknown_selection() {
    let doc = NIST_OK.replace("RANK", "1").replace(
        "\"ContestSelectionId\":\"cs-a\"",
        "\"ContestSelectionId\":\"cs-zzz\"",
    );
    expect_err(
        nist_json(&bytes("u.json", doc.as_bytes())),
        &["u.json", "record 1", "ContestSelectionId", "cs-zzz"],
    );
}

#[test]
fn nist_json_missing_election() {
    let doc = r#"{"CVR":[{"CurrentSnapshotId":"s","CVRSnapshot":[]}]}"#;
    expect_err(
        nist_json(&bytes("e.json", doc.as_bytes())),
        &["e.json", "Election"],
    );
}

#[test]
fn nist_json_garbage_between_elements() {
    let doc = NIST_OK
        .replace("RANK", "1")
        .replace("}]}]}]}]}", "}]}]}]} x {}]}");
    expect_err(
        nist_json(&bytes("g.json", doc.as_bytes())),
        &["g.json", "CVR", "`,` or `]`"],
    );
}

const XML_OK: &str = r#"<?xml version="1.0"?><cdf:CastVoteRecordReport xmlns:cdf="x">
<cdf:Election ObjectId="e"><cdf:Candidate ObjectId="a"><cdf:Name>Alice &amp; Co</cdf:Name></cdf:Candidate>
<cdf:Contest ObjectId="c1"><cdf:Name>Mayor</cdf:Name><cdf:ContestSelection ObjectId="cs-a"><cdf:CandidateIds>a</cdf:CandidateIds></cdf:ContestSelection></cdf:Contest></cdf:Election>
<cdf:CVR><cdf:CurrentSnapshotId>s</cdf:CurrentSnapshotId><cdf:CVRSnapshot ObjectId="s"><cdf:CVRContest><cdf:ContestId>c1</cdf:ContestId>
<cdf:CVRContestSelection><cdf:ContestSelectionId>cs-a</cdf:ContestSelectionId><cdf:SelectionPosition><cdf:HasIndication>yes</cdf:HasIndication><cdf:Rank>RANK</cdf:Rank></cdf:SelectionPosition></cdf:CVRContestSelection>
</cdf:CVRContest></cdf:CVRSnapshot></cdf:CVR></cdf:CastVoteRecordReport>"#;

fn nist_xml(input: &Input) -> Result<ReadStats, FormatError> {
    canvass_formats::nist::xml::read(input, &SourceOptions::default(), &mut |_| Ok(()))
}

#[test]
fn nist_xml_baseline_and_entities() {
    let doc = XML_OK.replace("RANK", "2");
    let mut got = Vec::new();
    canvass_formats::nist::xml::read(
        &bytes("ok.xml", doc.as_bytes()),
        &SourceOptions::default(),
        &mut |r| {
            got.push(r);
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].contests[0].marks[0].rank, 2);
    assert_eq!(
        got[0].contests[0].marks[0].choice,
        canvass_model::Choice::Candidate("Alice & Co".into())
    );
}

#[test]
fn nist_xml_truncated() {
    let doc = XML_OK.replace("RANK", "1");
    let cut = &doc.as_bytes()[..doc.find("</cdf:CVRContest>").unwrap()];
    expect_err(
        nist_xml(&bytes("cut.xml", cut)),
        &["cut.xml", "byte", "truncated"],
    );
}

#[test]
fn nist_xml_bad_rank() {
    let doc = XML_OK.replace("RANK", "-3");
    expect_err(
        nist_xml(&bytes("r.xml", doc.as_bytes())),
        &["r.xml", "record 1", "Rank", "-3"],
    );
    let doc = XML_OK.replace("RANK", "4294967297");
    expect_err(
        nist_xml(&bytes("r2.xml", doc.as_bytes())),
        &["r2.xml", "record 1", "Rank", "1000"],
    );
}

#[test]
fn nist_xml_mismatched_tags_and_wrong_root() {
    let doc = XML_OK
        .replace("RANK", "1")
        .replace("</cdf:CVRSnapshot>", "</cdf:Oops>");
    expect_err(
        nist_xml(&bytes("m.xml", doc.as_bytes())),
        &["m.xml", "byte", "well-formed XML"],
    );
    expect_err(
        nist_xml(&bytes("root.xml", b"<Other/>")),
        &["root.xml", "CastVoteRecordReport"],
    );
}

fn dominion_manifests() -> Manifests {
    let mut m = Manifests::default();
    m.add(
        "CandidateManifest.json",
        "CandidateManifest.json",
        br#"{"List":[{"Description":"A","Id":5,"ContestId":1}]}"#,
    )
    .unwrap();
    m.add(
        "ContestManifest.json",
        "ContestManifest.json",
        br#"{"List":[{"Description":"Mayor","Id":1}]}"#,
    )
    .unwrap();
    m.add(
        "PrecinctPortionManifest.json",
        "PrecinctPortionManifest.json",
        br#"{"List":[{"Description":"P1","Id":9}]}"#,
    )
    .unwrap();
    m
}

const DOMINION_OK: &str = r#"{"Version":"5","Sessions":[{"TabulatorId":1,"BatchId":2,"RecordId":3,"CountingGroupId":1,
 "Original":{"PrecinctPortionId":9,"BallotTypeId":1,"IsCurrent":true,"Cards":[{"Contests":[{"Id":1,"Marks":[
 {"CandidateId":CAND,"Rank":RANK,"IsAmbiguous":false,"IsVote":true}]}]}]}}]}"#;

fn dominion(doc: &str) -> Result<ReadStats, FormatError> {
    let mut stats = ReadStats::default();
    read_export(
        doc.as_bytes(),
        "CvrExport_1.json",
        &dominion_manifests(),
        &SourceOptions::default(),
        &mut |_| Ok(()),
        &mut stats,
    )
    .map(|()| stats)
}

#[test]
fn dominion_baseline() {
    assert_eq!(
        dominion(&DOMINION_OK.replace("CAND", "5").replace("RANK", "1"))
            .unwrap()
            .records,
        1
    );
}

#[test]
fn dominion_unknown_candidate_rank_zero_wrong_type() {
    expect_err(
        dominion(&DOMINION_OK.replace("CAND", "77").replace("RANK", "1")),
        &["CvrExport_1.json", "record 1", "CandidateId", "77"],
    );
    expect_err(
        dominion(&DOMINION_OK.replace("CAND", "5").replace("RANK", "0")),
        &["CvrExport_1.json", "record 1", "Rank"],
    );
    expect_err(
        dominion(&DOMINION_OK.replace("CAND", "5").replace("RANK", "\"x\"")),
        &["CvrExport_1.json", "record 1", "Rank"],
    );
    expect_err(
        dominion(&DOMINION_OK.replace("CAND", "5").replace("RANK", "1e400")),
        &["CvrExport_1.json", "record 1"],
    );
}

#[test]
fn dominion_truncated_and_missing_sessions() {
    let doc = DOMINION_OK.replace("CAND", "5").replace("RANK", "1");
    expect_err(
        dominion(&doc[..doc.len() - 5]),
        &["CvrExport_1.json", "Sessions", "truncated"],
    );
    expect_err(
        dominion(r#"{"Version":"5"}"#),
        &["CvrExport_1.json", "Sessions", "missing"],
    );
}

#[test]
fn dominion_folder_without_candidate_manifest() {
    let dir = std::env::temp_dir().join(format!("canvass-formats-dom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ContestManifest.json"), br#"{"List":[]}"#).unwrap();
    std::fs::write(dir.join("PrecinctPortionManifest.json"), br#"{"List":[]}"#).unwrap();
    std::fs::write(dir.join("CvrExport.json"), br#"{"Sessions":[]}"#).unwrap();
    let r = canvass_formats::dominion::read_path(&dir, &SourceOptions::default(), &mut |_| Ok(()));
    std::fs::remove_dir_all(&dir).unwrap();
    expect_err(
        r,
        &["canvass-formats-dom", "CandidateManifest.json", "missing"],
    );
}

fn ess_options() -> SourceOptions {
    SourceOptions {
        first_vote_column: Some(2),
        first_vote_row: Some(2),
        id_column: Some(1),
        overvote_delimiter: Some("//".into()),
        ..SourceOptions::default()
    }
}

#[test]
fn ess_csv_empty_overvote_part_and_missing_options() {
    let csv = "id,Choice 1,Choice 2\n1,A,B\n2,A//,B\n";
    let r = canvass_formats::ess::read_csv(
        &bytes("e.csv", csv.as_bytes()),
        &ess_options(),
        &mut |_| Ok(()),
    );
    expect_err(r, &["e.csv", "line 3", "Choice 1 (column 2)", "empty name"]);
    let r = canvass_formats::ess::read_csv(
        &bytes("e.csv", csv.as_bytes()),
        &SourceOptions::default(),
        &mut |_| Ok(()),
    );
    expect_err(r, &["e.csv", "firstVoteColumnIndex"]);
}

#[test]
fn ess_csv_huge_cell_and_bad_utf8() {
    let csv = format!("id,Choice 1\n1,{}\n", "x".repeat(70_000));
    let r = canvass_formats::ess::read_csv(
        &bytes("big.csv", csv.as_bytes()),
        &ess_options(),
        &mut |_| Ok(()),
    );
    expect_err(r, &["big.csv", "line 2", "column 2", "at most"]);
    let r = canvass_formats::ess::read_csv(
        &bytes("u.csv", b"id,Choice 1\n1,\xff\xfe\n"),
        &ess_options(),
        &mut |_| Ok(()),
    );
    expect_err(r, &["u.csv", "line 2", "column 2", "UTF-8"]);
}

#[test]
fn ess_xlsx_not_a_workbook_and_huge_cell() {
    let r = canvass_formats::ess::read_xlsx_from(
        std::io::Cursor::new(b"not a zip".to_vec()),
        "x.xlsx",
        &ess_options(),
        &mut |_| Ok(()),
    );
    expect_err(r, &["x.xlsx", "workbook"]);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "id").unwrap();
    ws.write_string(0, 1, "Choice 1").unwrap();
    ws.write_number(1, 0, 1).unwrap();
    ws.write_string(1, 1, "y".repeat(30_000)).unwrap();
    ws.write_number(2, 0, 2).unwrap();
    ws.write_string(2, 1, "A//").unwrap();
    let buf = wb.save_to_buffer().unwrap();
    let r = canvass_formats::ess::read_xlsx_from(
        std::io::Cursor::new(buf),
        "w.xlsx",
        &ess_options(),
        &mut |_| Ok(()),
    );
    expect_err(r, &["w.xlsx", "line 3", "Choice 1 (column 2)"]);
}

fn generic(csv: &str) -> Result<ReadStats, FormatError> {
    let o = SourceOptions {
        first_vote_column: Some(2),
        first_vote_row: Some(2),
        id_column: Some(1),
        ..SourceOptions::default()
    };
    canvass_formats::generic_csv::read(&bytes("g.csv", csv.as_bytes()), &o, &mut |_| Ok(()))
}

#[test]
fn generic_csv_bad_ranks() {
    assert_eq!(generic("id,A,B\nr1,1,2\n").unwrap().records, 1);
    expect_err(
        generic("id,A,B\nr1,1,abc\n"),
        &["g.csv", "line 2", "B (column 3)", "abc"],
    );
    expect_err(
        generic("id,A,B\nr1,0,\n"),
        &["g.csv", "line 2", "A (column 2)", "rank from 1"],
    );
    expect_err(
        generic("id,A,B\nr1,99999999999,\n"),
        &["g.csv", "line 2", "A (column 2)", "99999999999"],
    );
    expect_err(
        generic("id,A\nr1,1,2\n"),
        &["g.csv", "line 2", "column 3", "candidate name"],
    );
}

fn clear(csv: &str) -> Result<ReadStats, FormatError> {
    canvass_formats::clear_ballot::read(
        &bytes("cb.csv", csv.as_bytes()),
        &SourceOptions::default(),
        &mut |_| Ok(()),
    )
}

#[test]
fn clear_ballot_bad_cells_and_headers() {
    let h = "RowNumber,BallotID,Choice_1_1:Mayor:1:Vote For 1:Ann:NP";
    assert_eq!(clear(&format!("{h}\n1,b1,1\n")).unwrap().records, 1);
    expect_err(
        clear(&format!("{h}\n1,b1,2\n")),
        &["cb.csv", "line 2", "Mayor: Ann rank 1", "`2`"],
    );
    expect_err(
        clear("BallotID,Choice_1_1:Mayor\n"),
        &["cb.csv", "line 1", "column 2", "Choice_"],
    );
    expect_err(
        clear("BallotID,Choice_1_1:Mayor:x:Vote For 1:Ann:NP\n"),
        &["cb.csv", "line 1", "column 2", "rank"],
    );
    expect_err(
        clear("BallotID,Choice_1_1:Mayor:5000:Vote For 1:Ann:NP\n"),
        &["cb.csv", "line 1", "5000"],
    );
    expect_err(
        clear("RowNumber,Choice_1_1:Mayor:1:Vote For 1:Ann:NP\n"),
        &["cb.csv", "line 1", "BallotID"],
    );
    expect_err(
        clear(&format!("{h}\n1,,1\n")),
        &["cb.csv", "line 2", "BallotID", "blank"],
    );
}

fn hart(xml: &str) -> Result<ReadStats, FormatError> {
    let mut stats = ReadStats::default();
    canvass_formats::hart::read_ballot(
        xml.as_bytes(),
        "1_abc.xml",
        &SourceOptions::default(),
        &mut |_| Ok(()),
        &mut stats,
    )
    .map(|()| stats)
}

const HART: &str = "\u{feff}<?xml version=\"1.0\"?><Cvr xmlns=\"http://tempuri.org/CVRDesign.xsd\"><Contests><Contest><Name>M</Name><Id>c1</Id><Options><Option><Name>Ann</Name><Id>o1</Id><Value>VALUE</Value></Option></Options></Contest></Contests><CvrGuid>abc</CvrGuid></Cvr>";

#[test]
fn hart_bad_values() {
    assert_eq!(hart(&HART.replace("VALUE", "0100")).unwrap().records, 1);
    expect_err(
        hart(&HART.replace("VALUE", "0120")),
        &["1_abc.xml", "Option/Value", "0120"],
    );
    expect_err(
        hart(&HART.replace("VALUE", &"0".repeat(5000))),
        &["1_abc.xml", "Option/Value", "at most 1000"],
    );
    expect_err(
        hart(
            &HART
                .replace("VALUE", "1")
                .replace("<CvrGuid>abc</CvrGuid>", ""),
        ),
        &["1_abc.xml", "CvrGuid"],
    );
    expect_err(
        hart(&HART.replace("VALUE", "1")[..80]),
        &["1_abc.xml", "truncated"],
    );
}
