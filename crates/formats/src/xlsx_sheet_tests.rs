//! Unit tests of the fast worksheet scanner (hand-derived expectations).

use super::*;
use crate::xlsx_lex::number_text;

fn cells(xml: &str) -> Vec<String> {
    let mut s = SheetScanner::new(xml.as_bytes(), 3).expect("prelude");
    let mut out = Vec::new();
    loop {
        match s.next_cell() {
            Step::Cell(r, c, v) => out.push(format!("{r},{c}={v:?}")),
            Step::End => return out,
            Step::Unsupported => {
                out.push("unsupported".into());
                return out;
            }
        }
    }
}

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="x"><dimension ref="A1:C3"/><sheetData>"#;

#[test]
fn positions_values_and_counting_without_r() {
    let xml = format!(
        r#"{HEAD}<row r="2"><c r="B2" t="s"><v>2</v></c><c><v>1.50</v></c><c t="b"><v>1</v></c></row><row><c/><c><f>A1</f><v>7</v></c></row></sheetData></worksheet>"#
    );
    // Hand-derived: row 2 is index 1; the cell after B2 is column index 2; the next
    // row has no r, so it is index 2 (one after the last), columns from 0.
    assert_eq!(
        cells(&xml),
        [
            "1,1=Shared(2)",
            "1,2=Number(\"1.5\")",
            "1,3=Bool(true)",
            "2,0=Empty",
            "2,1=Number(\"7\")"
        ]
    );
}

#[test]
fn outside_the_subset_is_unsupported() {
    for body in [
        r#"<row><c t="inlineStr"><is><t>x</t></is></c></row>"#,
        r#"<row><c t="s"><v>3</v></c></row>"#,
        r#"<row><c><v>1&amp;</v></c></row>"#,
        r#"<row><c><v>-0</v></c></row>"#,
        r#"<row><!-- c --></row>"#,
        r#"<x:row></x:row>"#,
        r#"<row><c r="A1" r="B1"/></row>"#,
        r#"<row>text</row>"#,
    ] {
        let xml = format!("{HEAD}{body}</sheetData>");
        assert_eq!(
            cells(&xml).last().map(String::as_str),
            Some("unsupported"),
            "{body}"
        );
    }
    assert!(
        SheetScanner::new(
            &b"<?xml version='1.0' encoding='UTF-16'?><worksheet><sheetData/>"[..],
            0
        )
        .is_none()
    );
}

#[test]
fn numbers_as_calamine_floats_are_shown() {
    let mut s = String::new();
    for (raw, shown) in [
        ("12", Some("12")),
        ("0", Some("0")),
        ("-3", Some("-3")),
        ("007", Some("7")),
        ("2.50", Some("2.5")),
        ("1e3", Some("1000")),
        ("1e15", Some("1000000000000000")),
        ("0.1", Some("0.1")),
        ("-0.0", None),
        ("1.", None),
        (" 1", None),
        ("1e99999", None),
    ] {
        let ok = number_text(raw.as_bytes(), &mut s);
        assert_eq!(ok.then_some(s.as_str()), shown, "{raw}");
    }
}
