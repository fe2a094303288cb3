//! ES&S cast vote record exports as xlsx (see [`crate::ess`] for the layout): the first
//! worksheet's cells, streamed, one row per ballot.
//!
//! calamine 0.38 opens every workbook and is the reference for what a cell holds. The
//! worksheet's cells are read by [`crate::xlsx_sheet`]'s scanner, which is about twice as
//! fast as calamine's cell reader, wherever the workbook's parts are located and decoded
//! exactly as calamine does it ([`crate::xlsx_parts`]) and the sheet XML stays inside the
//! scanner's plain subset. At the first cell outside it, calamine takes over from that very
//! cell (it re-reads and skips the cells already seen), so records and error messages are
//! calamine's wherever the two could differ. [`read_xlsx_from_calamine`] reads with calamine
//! alone. Rows without cells (`<row r="18"/>`) are ballots with no rankings, as RCTab
//! counts them; see [`crate::xlsx_rows`].

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use calamine::{DataRef, Reader, Xlsx};

use crate::archive::{Archive, ZipLimits};
use crate::error::{FormatError, Location, Result};
use crate::ess::{EssRows, MAX_CELL_BYTES, MAX_COLUMNS, new_rows};
use crate::source::{ReadStats, Sink, SourceOptions};
use crate::xlsx_sheet::{SheetScanner, Step, Value};

/// Reads an ES&S xlsx export (the first worksheet), streaming its cells.
///
/// # Errors
/// [`FormatError`] for a missing or unreadable workbook, cells with spreadsheet errors,
/// over-long cells, bad options, or an error from `sink`.
pub fn read_xlsx(path: &Path, options: &SourceOptions, sink: &mut Sink<'_>) -> Result<ReadStats> {
    let file = path.display().to_string();
    let open = || {
        File::open(path)
            .map(BufReader::new)
            .map_err(|e| FormatError::io(&file, e))
    };
    read_book(open()?, open, &file, options, sink, true).map(|(s, _)| s)
}

/// Reads an ES&S xlsx export from any seekable reader; `file` names it in errors. The
/// reader is cloned for the fast worksheet scan and, if the sheet has rows without cells,
/// once more (see [`read_xlsx`]).
///
/// # Errors
/// As [`read_xlsx`].
pub fn read_xlsx_from<RS: Read + Seek + Clone>(
    reader: RS,
    file: &str,
    options: &SourceOptions,
    sink: &mut Sink<'_>,
) -> Result<ReadStats> {
    let again = reader.clone();
    read_book(reader, move || Ok(again.clone()), file, options, sink, true).map(|(s, _)| s)
}

/// [`read_xlsx_from`] with calamine's cell reader alone: the reference the fast scanner is
/// tested against, and the baseline of the throughput example.
///
/// # Errors
/// As [`read_xlsx`].
pub fn read_xlsx_from_calamine<RS: Read + Seek + Clone>(
    reader: RS,
    file: &str,
    options: &SourceOptions,
    sink: &mut Sink<'_>,
) -> Result<ReadStats> {
    let again = reader.clone();
    read_book(
        reader,
        move || Ok(again.clone()),
        file,
        options,
        sink,
        false,
    )
    .map(|(s, _)| s)
}

/// One cell's text, kept across rows so that filling it rarely allocates: a shared string
/// (or a constant) is borrowed, any other text is copied into `own`.
#[derive(Default)]
struct Slot<'a> {
    shared: Option<&'a str>,
    own: String,
}

impl<'a> Slot<'a> {
    fn borrow(&mut self, s: &'a str) {
        self.shared = Some(s);
    }

    fn copy(&mut self, s: &str) {
        self.shared = None;
        self.own.clear();
        self.own.push_str(s);
    }

    /// A calamine value, shown as the ES&S reader always showed it.
    fn calamine(&mut self, v: DataRef<'a>) -> std::result::Result<(), String> {
        match v {
            DataRef::Empty => self.borrow(""),
            DataRef::SharedString(s) => self.borrow(s),
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => self.copy(&s),
            DataRef::Int(i) => self.format(format_args!("{i}")),
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
                self.format(format_args!("{}", f as i64));
            }
            DataRef::Float(f) => self.format(format_args!("{f}")),
            DataRef::Bool(b) => self.borrow(if b { "true" } else { "false" }),
            DataRef::DateTime(d) => self.format(format_args!("{}", d.as_f64())),
            DataRef::Error(e) => return Err(format!("a value; found the spreadsheet error {e}")),
        }
        Ok(())
    }

    fn format(&mut self, args: std::fmt::Arguments<'_>) {
        self.shared = None;
        self.own.clear();
        // Writing to a String cannot fail.
        let _ = std::fmt::Write::write_fmt(&mut self.own, args);
    }
}

impl AsRef<str> for Slot<'_> {
    fn as_ref(&self) -> &str {
        self.shared.unwrap_or(&self.own)
    }
}

/// Empty rows not yet handed out, read on first need with another reader of the workbook.
struct EmptyRows<F> {
    reopen: F,
    loaded: bool,
    rows: std::iter::Peekable<std::vec::IntoIter<u32>>,
}

impl<R2: Read + Seek, F: FnMut() -> Result<R2>> EmptyRows<F> {
    /// Hands every empty row numbered below `before` (1-based) to `rows`.
    fn emit_below(
        &mut self,
        before: u64,
        file: &str,
        rows: &mut EssRows<'_, '_, '_>,
    ) -> Result<()> {
        if !self.loaded {
            self.loaded = true;
            self.rows = crate::xlsx_rows::empty_rows((self.reopen)()?, file)?
                .into_iter()
                .peekable();
        }
        while let Some(n) = self.rows.next_if(|&n| u64::from(n) < before) {
            // (An empty header row is not a header: the header stays unknown.)
            if u64::from(n) >= rows.layout.first_vote_row {
                rows.row::<&str>(u64::from(n), &[])?;
            }
        }
        Ok(())
    }
}

/// Gathers cells into rows and rows into records, whichever reader gives the cells.
struct Sheet<'a, 'f, 'o, 's, 'k, F> {
    file: &'f str,
    rows: EssRows<'o, 's, 'k>,
    empty: EmptyRows<F>,
    current_row: Option<u32>,
    slots: Vec<Slot<'a>>,
    len: usize,
    /// Cells handed in so far (calamine skips this many when it takes over).
    seen: u64,
}

impl<'a, R2: Read + Seek, F: FnMut() -> Result<R2>> Sheet<'a, '_, '_, '_, '_, F> {
    /// Takes the cell at 0-based (`r`, `c`), whose text `put` writes into its slot.
    fn cell(
        &mut self,
        r: u32,
        c: u32,
        put: impl FnOnce(&mut Slot<'a>) -> std::result::Result<(), String>,
    ) -> Result<()> {
        let file = self.file;
        self.seen += 1;
        if self.current_row.is_some_and(|cr| r < cr) {
            return Err(FormatError::invalid(
                file,
                Location::Line(u64::from(r) + 1),
                "(worksheet)",
                "rows in ascending order",
            ));
        }
        if self.current_row != Some(r) {
            if let Some(cr) = self.current_row {
                self.rows.row(u64::from(cr) + 1, &self.slots[..self.len])?;
                self.len = 0;
            }
            // Rows skipped over may be `<row>`s without cells: ballots with no rankings.
            if r > self.current_row.map_or(0, |cr| cr + 1) {
                self.empty
                    .emit_below(u64::from(r) + 1, file, &mut self.rows)?;
            }
            self.current_row = Some(r);
        }
        if c >= MAX_COLUMNS {
            return Err(FormatError::invalid(
                file,
                Location::Line(u64::from(r) + 1),
                format!("column {}", c + 1),
                format!("at most {MAX_COLUMNS} columns"),
            ));
        }
        let c = c as usize;
        while self.len <= c {
            match self.slots.get_mut(self.len) {
                Some(s) => s.borrow(""),
                None => self.slots.push(Slot::default()),
            }
            self.len += 1;
        }
        let bad = |rows: &EssRows<'_, '_, '_>, e: String| {
            FormatError::invalid(
                file,
                Location::Line(u64::from(r) + 1),
                rows.layout.column_name(&rows.header, c),
                e,
            )
        };
        put(&mut self.slots[c]).map_err(|e| bad(&self.rows, e))?;
        if self.slots[c].as_ref().len() > MAX_CELL_BYTES {
            return Err(bad(
                &self.rows,
                format!("a cell of at most {MAX_CELL_BYTES} bytes"),
            ));
        }
        Ok(())
    }

    /// The last row, and rows without cells after it (or all of them if the cells end
    /// before the sheet's dimension or it has none).
    fn finish(mut self, dimension_end: Option<u32>) -> Result<ReadStats> {
        if let Some(cr) = self.current_row {
            self.rows.row(u64::from(cr) + 1, &self.slots[..self.len])?;
        }
        if dimension_end.is_none_or(|end| self.current_row.is_none_or(|cr| end > cr)) {
            self.empty.emit_below(u64::MAX, self.file, &mut self.rows)?;
        }
        Ok(self.rows.stats)
    }
}

/// Reads the workbook; `reopen` gives further readers of it (for the fast scan, and for
/// rows without cells); `fast` allows the fast scanner. Also returns how many cells the
/// fast scanner read.
fn read_book<RS, R2, F>(
    reader: RS,
    mut reopen: F,
    file: &str,
    options: &SourceOptions,
    sink: &mut Sink<'_>,
    fast: bool,
) -> Result<(ReadStats, u64)>
where
    RS: Read + Seek,
    R2: Read + Seek,
    F: FnMut() -> Result<R2>,
{
    let bad_book = |e: calamine::XlsxError| {
        FormatError::invalid(
            file,
            Location::File,
            "(workbook)",
            format!("a readable xlsx workbook ({e})"),
        )
    };
    let rows = new_rows(file, options, sink)?;
    let mut book: Xlsx<RS> = Xlsx::new(reader).map_err(bad_book)?;
    let Some(sheet_name) = book.sheet_names().first().cloned() else {
        return Err(FormatError::invalid(
            file,
            Location::File,
            "(workbook)",
            "at least one worksheet",
        ));
    };
    // The fast path's own view of the package; any failure here leaves it to calamine.
    let mut archive = if fast {
        reopen()
            .ok()
            .and_then(|r| Archive::new(r, file, ZipLimits::default()).ok())
    } else {
        None
    };
    let parts = archive
        .as_mut()
        .and_then(|z| crate::xlsx_parts::locate(z, &sheet_name));
    let (sheet_entry, strings) = match parts {
        Some(p) => (Some(p.sheet), p.strings),
        None => (None, Vec::new()),
    };
    let mut scanner = match (archive.as_mut(), sheet_entry) {
        (Some(z), Some(i)) => z
            .by_index(i)
            .ok()
            .and_then(|e| SheetScanner::new(e, strings.len())),
        _ => None,
    };
    let mut sheet = Sheet {
        file,
        rows,
        empty: EmptyRows {
            reopen,
            loaded: false,
            rows: Vec::new().into_iter().peekable(),
        },
        current_row: None,
        slots: Vec::new(),
        len: 0,
        seen: 0,
    };
    if let Some(scan) = scanner.as_mut() {
        let dimension_end = Some(scan.dimension_end()).filter(|&r| r > 0);
        loop {
            match scan.next_cell() {
                Step::Cell(r, c, v) => sheet.cell(r, c, |slot| {
                    match v {
                        Value::Empty => slot.borrow(""),
                        // The scanner checked the index against the table.
                        Value::Shared(i) => slot.borrow(strings.get(i).map_or("", String::as_str)),
                        Value::Number(t) => slot.copy(t),
                        Value::Bool(b) => slot.borrow(if b { "true" } else { "false" }),
                    }
                    Ok(())
                })?,
                Step::End => {
                    let fast_cells = sheet.seen;
                    return Ok((sheet.finish(dimension_end)?, fast_cells));
                }
                Step::Unsupported => break,
            }
        }
    }
    // calamine alone, or from the cell the scanner could not read.
    let mut cells = book.worksheet_cells_reader(&sheet_name).map_err(bad_book)?;
    // The last row (0-based) by the sheet's dimension; unknown without one.
    let dimension_end = Some(cells.dimensions().end.0).filter(|&r| r > 0);
    let skip = sheet.seen;
    let mut n = 0u64;
    loop {
        let next = cells.next_cell().map_err(|e| {
            FormatError::invalid(
                file,
                Location::Line(sheet.current_row.map_or(1, |r| u64::from(r) + 1)),
                "(worksheet)",
                format!("a readable worksheet ({e})"),
            )
        })?;
        let Some(cell) = next else { break };
        n += 1;
        if n <= skip {
            continue;
        }
        let (r, c) = cell.get_position();
        sheet.cell(r, c, |slot| slot.calamine(cell.get_value().clone()))?;
    }
    Ok((sheet.finish(dimension_end)?, skip))
}

#[cfg(test)]
#[path = "ess_xlsx_tests.rs"]
mod tests;
