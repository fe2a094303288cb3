//! ES&S xlsx rows that hold no cells (`<row r="18"></row>`) are ballots with no rankings, as
//! RCTab counts them. External check: RCTab's expected reports for two of its test cases say
//! `totalNumBallots` 19 with `undervotes` (ballots with no rankings) 3 and 2; the sheets hold
//! 16 and 17 rows with cells after the header, and 3 and 2 `<row>` elements without cells
//! (rows 18, 1048575, 1048576; rows 19, 1048576).

mod common;

fn check(name: &str) {
    let c = common::case(name);
    let records = c.read_all();
    c.check_round1(&records);
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(c.dir.join(format!("{name}_expected_detailed_report.json")))
            .unwrap(),
    )
    .unwrap();
    let summary = &v["summary"];
    assert_eq!(
        records.len().to_string(),
        summary["totalNumBallots"].as_str().unwrap(),
        "{name}: ballots"
    );
    let no_rankings = records
        .iter()
        .filter(|r| r.contests.iter().all(|c| c.marks.is_empty()))
        .count();
    assert_eq!(
        no_rankings as u64,
        summary["undervotes"].as_u64().unwrap(),
        "{name}: ballots with no rankings"
    );
}

#[test]
fn rows_without_cells_inside_and_after_the_ballots_are_counted() {
    check("first_round_determines_threshold_test");
}

#[test]
fn rows_without_cells_after_the_ballots_are_counted() {
    check("first_round_determines_threshold_tiebreaker_test");
}
