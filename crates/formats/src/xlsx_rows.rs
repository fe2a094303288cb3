//! The rows of an xlsx worksheet (ECMA-376 Part 1, SpreadsheetML `sheetData`) that hold no
//! cells at all: `<row r="18"></row>` or `<row r="18"/>`.
//!
//! The cell readers (calamine's, and [`crate::xlsx_sheet`]'s, which mirrors it) yield
//! cells, and so never report such rows; RCTab (through Apache POI's row
//! events) counts every `<row>` at or after the first ballot row as a ballot, an empty one as
//! a ballot with no rankings. The ES&S reader asks for these rows only when the cells it was
//! given leave a gap, so a dense export is never scanned twice. Cells are not parsed here:
//! only the workbook's first sheet is located (`xl/workbook.xml` and its relationships, as
//! calamine does) and its `row` and `c` element names are scanned.

use std::io::{BufRead, BufReader, Read, Seek};

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::archive::{Archive, ZipLimits};
use crate::error::{FormatError, Location, Result};

/// The most rows an xlsx worksheet has (Excel's limit, 2^20).
pub const MAX_SHEET_ROWS: u32 = 1_048_576;

fn bad(file: &str, expected: String) -> FormatError {
    FormatError::invalid(file, Location::File, "(workbook)", expected)
}

/// The 1-based numbers, ascending, of the first worksheet's rows that have no cell.
///
/// # Errors
/// [`FormatError::Invalid`] if the workbook's first sheet cannot be found or its XML is
/// malformed, or the archive is beyond the zip limits.
pub(crate) fn empty_rows<R: Read + Seek>(reader: R, file: &str) -> Result<Vec<u32>> {
    let mut zip = Archive::new(reader, file, ZipLimits::default())?;
    let find = |zip: &Archive<R>, name: &str| {
        (0..zip.len()).find(|&i| zip.name_for_index(i).is_some_and(|n| n == name))
    };
    let workbook =
        find(&zip, "xl/workbook.xml").ok_or_else(|| bad(file, "an xl/workbook.xml part".into()))?;
    let rid = first_sheet_id(BufReader::new(zip.by_index(workbook)?), file)?;
    let rels = find(&zip, "xl/_rels/workbook.xml.rels")
        .ok_or_else(|| bad(file, "an xl/_rels/workbook.xml.rels part".into()))?;
    let target = relationship_target(BufReader::new(zip.by_index(rels)?), &rid, file)?;
    let path = match target.strip_prefix('/') {
        Some(t) => t.to_string(),
        None if target.starts_with("xl/") => target,
        None => format!("xl/{target}"),
    };
    let sheet = find(&zip, &path)
        .ok_or_else(|| bad(file, format!("the worksheet part {path}, which is missing")))?;
    let entry = zip.by_index(sheet)?;
    let shown = entry.shown().to_string();
    scan_rows(BufReader::new(entry), &shown)
}

fn xml_error(file: &str, e: impl std::fmt::Display) -> FormatError {
    bad(file, format!("well-formed workbook XML ({e})"))
}

/// The relationship id (`r:id`) of the workbook's first `sheet`.
fn first_sheet_id(r: impl BufRead, file: &str) -> Result<Vec<u8>> {
    let mut xml = Reader::from_reader(r);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(file, e))?
        {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"sheet" => {
                for a in e.attributes() {
                    let a = a.map_err(|e| xml_error(file, e))?;
                    if a.key.local_name().as_ref() == b"id" && a.key.prefix().is_some() {
                        return Ok(a.value.into_owned());
                    }
                }
                return Err(bad(file, "an r:id on the first sheet".into()));
            }
            Event::Eof => return Err(bad(file, "a sheet in xl/workbook.xml".into())),
            _ => {}
        }
    }
}

/// The `Target` of relationship `id`.
fn relationship_target(r: impl BufRead, id: &[u8], file: &str) -> Result<String> {
    let mut xml = Reader::from_reader(r);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(file, e))?
        {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => {
                let attr = |k: &[u8]| e.try_get_attribute(k).ok().flatten().map(|a| a.value);
                if attr(b"Id").as_deref() == Some(id) {
                    let target = attr(b"Target")
                        .ok_or_else(|| bad(file, "a Target on the sheet's relationship".into()))?;
                    return Ok(String::from_utf8_lossy(&target).into_owned());
                }
            }
            Event::Eof => {
                return Err(bad(
                    file,
                    "the first sheet's relationship in xl/_rels/workbook.xml.rels".into(),
                ));
            }
            _ => {}
        }
    }
}

/// Row numbers as calamine assigns them: the `r` attribute, else one after the last row.
fn row_number(e: &quick_xml::events::BytesStart<'_>, last: u32, file: &str) -> Result<u32> {
    let n = match e.try_get_attribute(b"r").map_err(|e| xml_error(file, e))? {
        Some(a) => std::str::from_utf8(&a.value)
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
            .ok_or_else(|| bad(file, "a row number in each row's r attribute".into()))?,
        None => last + 1,
    };
    if n == 0 || n > MAX_SHEET_ROWS {
        return Err(bad(
            file,
            format!("row numbers from 1 to {MAX_SHEET_ROWS}, found {n}"),
        ));
    }
    Ok(n)
}

/// Adds an empty row; a sheet cannot have more rows than [`MAX_SHEET_ROWS`], so neither can
/// this list (a hostile sheet repeating one row number is refused, not collected).
fn push(empty: &mut Vec<u32>, n: u32, file: &str) -> Result<()> {
    if empty.len() >= MAX_SHEET_ROWS as usize {
        return Err(bad(file, format!("at most {MAX_SHEET_ROWS} rows")));
    }
    empty.push(n);
    Ok(())
}

fn scan_rows(r: impl BufRead, file: &str) -> Result<Vec<u32>> {
    let mut xml = Reader::from_reader(r);
    let mut buf = Vec::new();
    let mut empty = Vec::new();
    let mut last = 0u32;
    // The open row: its number, and whether it has a cell yet.
    let mut open: Option<(u32, bool)> = None;
    loop {
        buf.clear();
        match xml
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(file, e))?
        {
            Event::Start(e) if e.local_name().as_ref() == b"row" => {
                last = row_number(&e, last, file)?;
                open = Some((last, false));
            }
            Event::Empty(e) if e.local_name().as_ref() == b"row" => {
                last = row_number(&e, last, file)?;
                push(&mut empty, last, file)?;
            }
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"c" => {
                if let Some(o) = open.as_mut() {
                    o.1 = true;
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"row" => {
                if let Some((n, false)) = open.take() {
                    push(&mut empty, n, file)?;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    empty.sort_unstable();
    empty.dedup();
    Ok(empty)
}
