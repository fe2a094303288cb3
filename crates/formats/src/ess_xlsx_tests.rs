//! The fast worksheet scanner against calamine's cell reader: on every workbook, both
//! paths give the same records, or the same error. The expected values are calamine's
//! (the reference this reader always used), never the fast path's own.

use std::io::{Cursor, Read, Write};

use canvass_model::CastVoteRecord;
use proptest::prelude::*;

use super::*;

type Outcome = std::result::Result<Vec<CastVoteRecord>, String>;

fn read(bytes: &[u8], options: &SourceOptions, fast: bool) -> (Outcome, u64) {
    let mut out = Vec::new();
    let r = read_book(
        Cursor::new(bytes),
        || Ok(Cursor::new(bytes)),
        "t.xlsx",
        options,
        &mut |cvr| {
            out.push(cvr);
            Ok(())
        },
        fast,
    );
    match r {
        Ok((_, cells)) => (Ok(out), cells),
        Err(e) => (Err(e.to_string()), 0),
    }
}

/// Asserts both paths agree; returns the cells the fast scanner read.
fn same(bytes: &[u8], options: &SourceOptions) -> u64 {
    let (fast, cells) = read(bytes, options, true);
    let (calamine, none) = read(bytes, options, false);
    assert_eq!(none, 0);
    assert_eq!(fast, calamine);
    cells
}

fn options(treat_blank: bool) -> SourceOptions {
    SourceOptions {
        first_vote_column: Some(2),
        first_vote_row: Some(2),
        id_column: Some(1),
        overvote_delimiter: Some("//".into()),
        treat_blank_as_undeclared_write_in: treat_blank,
        ..SourceOptions::default()
    }
}

#[test]
fn rctab_ess_exports_are_read_by_the_fast_scanner_alike() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rctab");
    let mut files = 0;
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(dir).unwrap() {
            let path = f.unwrap().path();
            if path.extension().is_some_and(|e| e == "xlsx") {
                let bytes = std::fs::read(&path).unwrap();
                let wide = SourceOptions {
                    first_vote_column: Some(4),
                    precinct_column: Some(2),
                    ..options(false)
                };
                for o in [options(false), options(true), wide] {
                    assert!(
                        same(&bytes, &o) > 0,
                        "{}: fast scanner unused",
                        path.display()
                    );
                }
                files += 1;
            }
        }
    }
    assert!(files >= 7, "found {files} xlsx files");
}

/// `bytes` (an xlsx) with `part` replaced by `xml`.
fn with_part(bytes: &[u8], part: &str, xml: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        out.start_file(name.as_str(), opts).unwrap();
        if name == part {
            out.write_all(xml.as_bytes()).unwrap();
        } else {
            out.write_all(&data).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}

/// A workbook whose shared strings are `id`, `Choice 1`, `Choice 2`, `Alice`, `Bob`.
fn template() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, s) in ["id", "Choice 1", "Choice 2", "Alice", "Bob"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *s).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

const SHEET: &str = "xl/worksheets/sheet1.xml";

fn sheet(rows: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:C9"/><sheetData>{rows}</sheetData></worksheet>"#
    )
}

const HEADER: &str = r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>"#;

#[test]
fn hand_written_sheets_agree_and_hand_over_mid_sheet() {
    let t = template();
    // (name, rows after the header, cells the scanner reads before calamine takes over,
    // or None where both give the same error).
    let cases: [(&str, &str, Option<u64>); 9] = [
        // All inside the subset: no r attributes, empty rows and cells, formulas.
        (
            "plain",
            r#"<row><c><v>7</v></c><c t="s"><v>3</v></c><c/></row><row/><row r="5"><c><f>A1</f><v>8</v></c><c t="s"><v>4</v></c><c t="b"><v>1</v></c></row>"#,
            Some(9),
        ),
        // An inline string on the second ballot: calamine takes over there.
        (
            "inline",
            r#"<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>3</v></c></row><row r="3"><c r="A3"><v>2</v></c><c r="B3" t="inlineStr"><is><t>Carol</t></is></c></row><row r="4"><c r="A4"><v>3</v></c><c r="B4" t="s"><v>4</v></c></row>"#,
            Some(6),
        ),
        // A comment between cells.
        (
            "comment",
            r#"<row r="2"><c r="A2"><v>1</v></c><!-- x --><c r="B2" t="s"><v>4</v></c></row>"#,
            Some(4),
        ),
        // A spreadsheet error cell.
        (
            "error",
            r#"<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="e"><v>#N/A</v></c></row>"#,
            None,
        ),
        // Rows out of order.
        (
            "order",
            r#"<row r="3"><c r="A3"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>"#,
            None,
        ),
        // A shared string index beyond the table.
        (
            "index",
            r#"<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>99</v></c></row>"#,
            None,
        ),
        // Numbers: `0012` shows as 12, `2.50` as 2.5; `-0` is left to calamine.
        (
            "numbers",
            r#"<row r="2"><c r="A2"><v>0012</v></c><c r="B2"><v>2.50</v></c><c r="C2"><v>-0</v></c></row>"#,
            Some(5),
        ),
        // An entity in a formula's text, whole or broken, is left to calamine (CI, 2026-11-26).
        (
            "formula entity",
            r#"<row r="2"><c r="A2"><v>1</v></c><c r="B2"><f>"a"&amp;"b"</f><v>2</v></c></row>"#,
            Some(4),
        ),
        (
            "broken formula entity",
            r#"<row r="2"><c r="A2"><v>1</v></c><c r="B2"><f>&A1</f><v>2</v></c></row>"#,
            None,
        ),
    ];
    for (name, rows, expected) in cases {
        let book = with_part(&t, SHEET, &sheet(&format!("{HEADER}{rows}")));
        let cells = same(&book, &options(true));
        match expected {
            Some(n) => assert_eq!(cells, n, "{name}"),
            None => assert!(read(&book, &options(true), true).0.is_err(), "{name}"),
        }
    }
    // Malformed XML at the end, and a truncated part.
    for rows in [
        r#"<row r="2"><c r="A2"><v>1</v></c></row"#,
        r#"<row r="2"><c r="A2"><v>1"#,
    ] {
        let xml = sheet(&format!("{HEADER}{rows}"));
        let xml = &xml[..xml.find("</sheetData>").unwrap()];
        same(&with_part(&t, SHEET, xml), &options(false));
    }
}

#[test]
fn rich_shared_strings_leave_the_whole_sheet_to_calamine() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    ws.write_string(0, 0, "id").unwrap();
    ws.write_string(0, 1, "Choice 1").unwrap();
    ws.write_number(1, 0, 1).unwrap();
    ws.write_rich_string(
        1,
        1,
        &[(&bold, "Al"), (&rust_xlsxwriter::Format::new(), "ice")],
    )
    .unwrap();
    let book = wb.save_to_buffer().unwrap();
    assert_eq!(same(&book, &options(false)), 0);
}

#[test]
fn long_sheets_cross_buffer_boundaries_alike() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "id").unwrap();
    ws.write_string(0, 1, "Choice 1").unwrap();
    ws.write_string(0, 2, "Choice 2").unwrap();
    for r in 1..4000u32 {
        ws.write_number(r, 0, f64::from(r)).unwrap();
        ws.write_string(r, 1, ["Alice", "Bob", "overvote", "A//B"][r as usize % 4])
            .unwrap();
        if r % 7 != 0 {
            ws.write_number(r, 2, f64::from(r) / 8.0).unwrap();
        }
    }
    let book = wb.save_to_buffer().unwrap();
    assert_eq!(same(&book, &options(true)), 3 + 3999 * 2 + (3999 - 571));
}

#[derive(Debug, Clone)]
enum Cell {
    Text(String),
    Number(f64),
    Date(f64),
    Bool(bool),
    Blank,
    Formula(String),
}

fn cell() -> impl Strategy<Value = Option<Cell>> {
    let piece = prop::sample::select(vec![
        "Alice", "b", " ", "&", "<", ">", "\"", "'", "\n", "\r\n", "\t", "_x000D_", "é", "Ω", "//",
        " (5471)", "overvote", "", "1",
    ]);
    let text = prop::collection::vec(piece, 0..4).prop_map(|p| p.concat());
    let number = prop_oneof![
        prop::sample::select(vec![
            0.0, -0.0, 1.0, -3.0, 2.5, 1e15, 1e16, 0.1, -1e-7, 1e300
        ]),
        any::<i32>().prop_map(f64::from),
    ];
    prop::option::of(prop_oneof![
        text.prop_map(Cell::Text),
        number.clone().prop_map(Cell::Number),
        number.prop_map(Cell::Date),
        any::<bool>().prop_map(Cell::Bool),
        Just(Cell::Blank),
        prop::sample::select(vec!["=1+1", "=\"a\"&\"b\""]).prop_map(|f| Cell::Formula(f.into())),
    ])
}

fn workbook(rows: &[Vec<Option<Cell>>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match v {
                None => continue,
                Some(Cell::Text(s)) => ws.write_string(r, c, s),
                Some(Cell::Number(f)) => ws.write_number(r, c, *f),
                Some(Cell::Date(f)) => ws.write_number_with_format(r, c, *f, &date),
                Some(Cell::Bool(b)) => ws.write_boolean(r, c, *b),
                Some(Cell::Blank) => ws.write_blank(r, c, &date),
                Some(Cell::Formula(f)) => ws.write_formula(r, c, f.as_str()),
            }
            .unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn generated_workbooks_read_alike(
        rows in prop::collection::vec(prop::collection::vec(cell(), 0..5), 0..6),
        treat_blank in any::<bool>(),
    ) {
        let book = workbook(&rows);
        let (fast, _) = read(&book, &options(treat_blank), true);
        let (calamine, _) = read(&book, &options(treat_blank), false);
        prop_assert_eq!(fast, calamine);
    }
}

/// A worksheet (uncompressed, so that mutations reach the XML) to mutate.
const MUTABLE_ROWS: &str = r#"<row r="2" spans="1:3"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>3</v></c><c r="C2" t="s"><v>4</v></c></row><row r="3"><c r="A3" s="1"><v>2.5</v></c><c t="s"><v>4</v></c><c/></row><row><c><f>A1</f><v>3</v></c><c r="B4" t="b"><v>0</v></c></row><row r="6"/>"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_sheets_read_alike(
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), 0..3u8, prop::sample::select(vec![
                "<", ">", "/", "\"", "'", "&", "&amp;", " ", "\r", "c", "v", "r", "t", "s", "0", "9",
                "-", ".", "e", "=", "<c>", "</c>", "<v>", "</v>", "<row>", "</row>", "<!--", "-->",
                "é", "A", "Z",
            ])),
            1..4,
        ),
        treat_blank in any::<bool>(),
    ) {
        let mut xml = format!("{HEADER}{MUTABLE_ROWS}").into_bytes();
        for (at, op, text) in edits {
            let i = at.index(xml.len() + 1);
            match op {
                0 => { xml.splice(i..i, text.bytes()); }
                1 if i < xml.len() => { xml.remove(i); }
                _ if i < xml.len() => { xml.splice(i..i + 1, text.bytes()); }
                _ => {}
            }
        }
        let rows = String::from_utf8_lossy(&xml).into_owned();
        let book = with_part(&template(), SHEET, &sheet(&rows));
        let (fast, _) = read(&book, &options(treat_blank), true);
        let (calamine, _) = read(&book, &options(treat_blank), false);
        prop_assert_eq!(fast, calamine);
    }
}
