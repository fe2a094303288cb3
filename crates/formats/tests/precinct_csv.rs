//! canvass's precinct-results CSV: reading, writing, and rejecting bad input by line.

use canvass_formats::precinct_csv::{read, write};
use canvass_model::CountingGroup;

const GOOD: &str = "precinct,portion,counting_group,contest,selection,line,votes
p1,,,president-NY,@ballots,,130
p1,,,president-NY,biden-harris,DEM,100
p1,,mail,president-NY,@ballots,,5
p1,,,president-NY,biden-harris,WFP,20
p1,,,president-NY,@undervotes,,10
p1,,mail,president-NY,trump-pence,,5
p2,NY-01,,house-NY-01,@ballots,,3
p2,NY-01,,house-NY-01,a,,3
";

#[test]
fn rows_in_any_order_group_by_precinct_portion_and_group() {
    let r = read(GOOD.as_bytes(), "good.csv").unwrap();
    assert_eq!(r.len(), 3);
    let total = &r[0];
    assert_eq!(
        (total.precinct.as_str(), total.counting_group),
        ("p1", None)
    );
    let c = &total.contests[0];
    assert_eq!((c.ballots, c.overvotes, c.undervotes), (130, 0, 10));
    let v: Vec<(&str, Option<&str>, u64)> = c
        .votes
        .iter()
        .map(|s| {
            (
                s.selection.as_str(),
                s.line.as_ref().map(|l| l.as_str()),
                s.votes,
            )
        })
        .collect();
    assert_eq!(
        v,
        [
            ("biden-harris", Some("DEM"), 100),
            ("biden-harris", Some("WFP"), 20)
        ]
    );
    assert_eq!(r[1].counting_group, Some(CountingGroup::Mail));
    assert_eq!(r[2].portion.as_ref().map(|d| d.as_str()), Some("NY-01"));
}

#[test]
fn write_then_read_is_the_identity() {
    let r = read(GOOD.as_bytes(), "good.csv").unwrap();
    let mut buf = Vec::new();
    write(&r, &mut buf, "out.csv").unwrap();
    assert_eq!(read(&buf[..], "out.csv").unwrap(), r);
}

fn err(text: &str) -> String {
    read(text.as_bytes(), "bad.csv").unwrap_err().to_string()
}

#[test]
fn bad_input_names_file_line_and_field() {
    let h = "precinct,portion,counting_group,contest,selection,line,votes\n";
    assert!(err("precinct,contest,votes\n").contains("bad.csv, line 1, field `header`"));
    assert!(err("").contains("found an empty file"));
    let e = err(&format!("{h}p1,,,c,@ballots,,1\np1,,,c,a,,-4\n"));
    assert!(e.contains("bad.csv, line 3, field `votes`: expected a whole number of votes, 0 or more, found `-4`"), "{e}");
    let e = err(&format!(
        "{h}p1,,,c,@ballots,,1\np1,,,c,a,,1\np1,,,c,a,,2\n"
    ));
    assert!(
        e.contains("line 4, field `selection`") && e.contains("repeated"),
        "{e}"
    );
    let e = err(&format!("{h}p1,,,c,a,,1\n"));
    assert!(
        e.contains("line 2") && e.contains("an @ballots row for contest c"),
        "{e}"
    );
    let e = err(&format!("{h}p1,,someday,c,@ballots,,1\n"));
    assert!(e.contains("field `counting_group`"), "{e}");
    let e = err(&format!("{h},,,c,@ballots,,1\n"));
    assert!(e.contains("field `precinct`"), "{e}");
    let e = err(&format!("{h}p1,,,c,@ballots,,1,extra\n"));
    assert!(e.contains("7 fields, found 8"), "{e}");
    let e = err(&format!("{h}p1,,,c,@ballots,,99999999999999999999\n"));
    assert!(e.contains("field `votes`"), "{e}");
    let e = err(&format!("{h}p1,,,c,@total,,1\n"));
    assert!(
        e.contains("@ballots, @overvotes, @undervotes, found `@total`"),
        "{e}"
    );
}

#[test]
fn reports_are_sorted_by_precinct_portion_and_group_name() {
    // Written in an order unlike the sorted one; sorted by hand: precinct p1 before p2; no
    // group first, then the group names in alphabetical order (early, election-day, mail,
    // provisional, uocava).
    let mut text = String::from("precinct,portion,counting_group,contest,selection,line,votes\n");
    for (p, g) in [
        ("p2", ""),
        ("p1", "uocava"),
        ("p1", "election-day"),
        ("p1", "mail"),
        ("p1", ""),
        ("p1", "provisional"),
        ("p1", "early"),
    ] {
        text.push_str(&format!("{p},,{g},c,@ballots,,1\n"));
    }
    let r = read(text.as_bytes(), "order.csv").unwrap();
    let got: Vec<(&str, Option<&str>)> = r
        .iter()
        .map(|x| (x.precinct.as_str(), x.counting_group.map(|g| g.as_str())))
        .collect();
    assert_eq!(
        got,
        [
            ("p1", None),
            ("p1", Some("early")),
            ("p1", Some("election-day")),
            ("p1", Some("mail")),
            ("p1", Some("provisional")),
            ("p1", Some("uocava")),
            ("p2", None),
        ]
    );
}

#[test]
fn a_report_split_over_the_file_is_one_report_and_repeats_are_still_found() {
    let h = "precinct,portion,counting_group,contest,selection,line,votes\n";
    let text =
        format!("{h}p1,,,c,@ballots,,3\np2,,,c,@ballots,,1\np1,,,c,a,,3\np1,,,d,@ballots,,2\n");
    let r = read(text.as_bytes(), "split.csv").unwrap();
    assert_eq!(r.len(), 2);
    let contests: Vec<(&str, u64, usize)> = r[0]
        .contests
        .iter()
        .map(|c| (c.contest.as_str(), c.ballots, c.votes.len()))
        .collect();
    assert_eq!(contests, [("c", 3, 1), ("d", 2, 0)]);
    let text = format!("{h}p1,,,c,a,,3\np2,,,c,@ballots,,1\np1,,,c,a,,4\n");
    let e = read(text.as_bytes(), "split.csv").unwrap_err().to_string();
    assert!(
        e.contains("line 4, field `selection`") && e.contains("repeated"),
        "{e}"
    );
}
