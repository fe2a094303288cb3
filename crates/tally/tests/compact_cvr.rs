//! Compact CVR CSV counting: hand-counted ballots, and malformed rows rejected with the
//! line and field.

use canvass_tally::compact_cvr::{CompactCounter, CompactLayout};

const CONTESTS: &str = "contest,code,selection,line
mayor,1,alice,
mayor,2,bob,
q1,1,yes,
q1,2,no,
gov,1,carol,DEM
gov,2,carol,WFP
gov,3,dan,
";

// Style 0 has mayor and q1; style 1 is skipped; style 2 has gov only.
const STYLES: &str = "style,precinct,slot,contest
0,p-1,1,mayor
0,p-1,2,q1
2,p-3,1,gov
";

fn layout() -> CompactLayout {
    CompactLayout::parse(CONTESTS, STYLES).unwrap()
}

#[test]
fn counts_by_hand() {
    let l = layout();
    let mut c = CompactCounter::new(&l);
    let csv = b"style,batch,position,c1,c2
0,1,1,1,2
0,1,2,2,0
0,1,3,-1,1
0,2,1,1,1
2,1,1,2,
2,1,2,3,
2,1,3,0,
";
    assert_eq!(c.count("a.csv", csv).unwrap(), 7);
    // Style 0: mayor alice 2, bob 1, 0 under, 1 over; q1 yes 2, no 1, 1 under.
    let s0: Vec<_> = c
        .style(0)
        .map(|(ci, n)| (l.contests[ci].id.clone(), n.to_vec()))
        .collect();
    assert_eq!(
        s0,
        [
            ("mayor".to_string(), vec![0, 2, 1, 1]),
            ("q1".to_string(), vec![1, 2, 1, 0])
        ]
    );
    // Style 2: gov carol(DEM) 0, carol(WFP) 1, dan 1, 1 under.
    let s2: Vec<_> = c.style(2).map(|(_, n)| n.to_vec()).collect();
    assert_eq!(s2, [vec![1, 0, 1, 1, 0]]);
    assert_eq!(c.style(1).count(), 0);
    let t = c.totals();
    assert_eq!(t[0], [0, 2, 1, 1]);
    // Two counters merged count the same as one.
    let mut a = CompactCounter::new(&l);
    a.count("a.csv", b"style,batch,position,c1,c2\n0,1,1,1,2\n")
        .unwrap();
    let mut b = CompactCounter::new(&l);
    b.count("b.csv", b"style,batch,position,c1,c2\n0,1,2,1,2\n")
        .unwrap();
    a.merge(&b);
    assert_eq!(a.ballots, 2);
    assert_eq!(a.totals()[0], [0, 2, 0, 0]);
}

#[test]
fn malformed_rows_name_the_line_and_field() {
    let l = layout();
    let cases: [(&[u8], u64, &str); 7] = [
        (b"style,batch,c1\n", 1, "header"),
        (b"style,batch,position,c1,c2\n1,1,1,1,1\n", 2, "style"),
        (
            b"style,batch,position,c1,c2\n0,1,1,1,2\n0,x,1,1,1\n",
            3,
            "batch",
        ),
        (b"style,batch,position,c1,c2\n0,1,1,3,1\n", 2, "c1"),
        (b"style,batch,position,c1,c2\n0,1,1,1,-2\n", 2, "c2"),
        (b"style,batch,position,c1,c2\n0,1,1,1\n", 2, "c2"),
        (b"style,batch,position,c1,c2\n2,1,1,1,1\n", 2, "c2"),
    ];
    for (csv, line, field) in cases {
        let mut c = CompactCounter::new(&l);
        let e = c.count("bad.csv", csv).unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (line, field), "{e}");
    }
}

#[test]
fn bad_layouts_are_refused() {
    assert!(
        CompactLayout::parse(
            "contest,code,selection,line\nm,2,a,\n",
            "style,precinct,slot,contest\n"
        )
        .is_err()
    );
    assert!(CompactLayout::parse(CONTESTS, "style,precinct,slot,contest\n0,p,1,nope\n").is_err());
    assert!(CompactLayout::parse(CONTESTS, "style,precinct,slot,contest\n0,p,2,mayor\n").is_err());
    assert!(
        CompactLayout::parse(
            CONTESTS,
            "style,precinct,slot,contest\n2,p,1,mayor\n0,q,1,mayor\n"
        )
        .is_err()
    );
}
