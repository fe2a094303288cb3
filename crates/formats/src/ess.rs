//! ES&S cast vote record exports, as xlsx (opened with calamine, cells read as in
//! [`read_xlsx`]) or CSV: one row per ballot, one column per ranking.
//!
//! ```text
//! Cast Vote Record | Precinct        | Ballot Style | For Mayor Choice 1 (45) | For Mayor Choice 2 (50) | ...
//! 1                | D Cliff and GDI | D Cliff ...  | Haadoow, Hamza A.       | undervote               | ...
//! 2                | ...             | ...          | overvote                | DEM Golden, Jared F. (5471) | ...
//! ```
//!
//! The layout comes from [`SourceOptions`] exactly as in an RCTab `cvrFileSources[]` entry:
//! `first_vote_column`, `first_vote_row` (the row before it, if any, is the header),
//! `id_column`, `precinct_column`, `batch_column`. Cell text is trimmed and kept as exported
//! (`DEM Golden, Jared F. (5471)` stays whole; see [`split_candidate_cell`]); cells equal to
//! `overvote_label`, `undervote_label` or `undeclared_write_in_label` become those markers; a
//! blank cell is no mark, or an undeclared write-in with `treat_blank_as_undeclared_write_in`;
//! with `overvote_delimiter`, `A//B` is two marks at one rank. Without `id_column`, record
//! ids are `<file name>-<n>` for the n-th ballot, as RCTab numbers them.

use canvass_model::{CastVoteRecord, Choice, CvrContest, CvrMark};

use crate::error::{FormatError, Location, Result};
use crate::limits::MAX_RECORD_BYTES;
use crate::nist::short_name;
use crate::source::{Input, ReadStats, Sink, SourceOptions};

pub use crate::ess_xlsx::{read_xlsx, read_xlsx_from, read_xlsx_from_calamine};

/// The longest cell accepted, in bytes.
pub const MAX_CELL_BYTES: usize = 64 * 1024;
/// The most columns accepted in one row.
pub const MAX_COLUMNS: u32 = 16_384;

/// Where things are in a row-per-ballot sheet (0-based internally).
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub file: String,
    pub first_vote_col: usize,
    pub first_vote_row: u64,
    pub id_col: Option<usize>,
    pub precinct_col: Option<usize>,
    pub batch_col: Option<usize>,
}

impl Layout {
    pub(crate) fn from_options(file: &str, o: &SourceOptions) -> Result<Self> {
        let need = |v: Option<u32>, name: &str| {
            v.filter(|&n| (1..=MAX_COLUMNS).contains(&n))
                .ok_or_else(|| FormatError::Options {
                    file: file.to_string(),
                    message: format!("{name} is required: a number from 1 to {MAX_COLUMNS}"),
                })
        };
        let col = |v: Option<u32>| v.filter(|&n| n >= 1).map(|n| n as usize - 1);
        Ok(Layout {
            file: file.to_string(),
            first_vote_col: need(o.first_vote_column, "firstVoteColumnIndex")? as usize - 1,
            first_vote_row: u64::from(o.first_vote_row.filter(|&n| n >= 1).ok_or_else(|| {
                FormatError::Options {
                    file: file.to_string(),
                    message: "firstVoteRowIndex is required: a number from 1".into(),
                }
            })?),
            id_col: col(o.id_column),
            precinct_col: col(o.precinct_column),
            batch_col: col(o.batch_column),
        })
    }

    /// Column name for errors: the header text, or `column N`.
    pub(crate) fn column_name(&self, header: &[String], col: usize) -> String {
        match header.get(col).filter(|h| !h.is_empty()) {
            Some(h) => format!("{h} (column {})", col + 1),
            None => format!("column {}", col + 1),
        }
    }

    /// Fills id, precinct and batch of a record from a row.
    pub(crate) fn ids<S: AsRef<str>>(
        &self,
        row: &[S],
        ballot_index: u64,
    ) -> (String, Option<String>, Option<String>) {
        let get = |c: Option<usize>| {
            c.and_then(|c| row.get(c))
                .map(|s| s.as_ref().trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let id = get(self.id_col)
            .unwrap_or_else(|| format!("{}-{ballot_index}", short_name(&self.file)));
        (id, get(self.precinct_col), get(self.batch_col))
    }
}

/// Splits an ES&S candidate cell like `DEM Golden, Jared F. (5471)` into the text before the
/// trailing parenthesised candidate number, and the number. Cells without one are returned
/// whole with `None`.
pub fn split_candidate_cell(cell: &str) -> (&str, Option<&str>) {
    let t = cell.trim();
    if let Some(body) = t.strip_suffix(')') {
        if let Some(open) = body.rfind(" (") {
            let id = &body[open + 2..];
            if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
                return (body[..open].trim_end(), Some(id));
            }
        }
    }
    (t, None)
}

/// Turns rows into records.
pub(crate) struct EssRows<'o, 's, 'k> {
    pub(crate) layout: Layout,
    options: &'o SourceOptions,
    pub(crate) header: Vec<String>,
    contest: String,
    rank_columns: Option<usize>,
    ballots: u64,
    pub(crate) stats: ReadStats,
    sink: &'s mut Sink<'k>,
}

impl EssRows<'_, '_, '_> {
    /// Handles one row (1-based row number), cells as text.
    pub(crate) fn row<S: AsRef<str>>(&mut self, row_number: u64, row: &[S]) -> Result<()> {
        if row_number + 1 == self.layout.first_vote_row {
            self.header = row.iter().map(|c| c.as_ref().to_string()).collect();
            if self.options.contest_id.as_deref().is_none_or(str::is_empty) {
                if let Some(h) = self.header.get(self.layout.first_vote_col) {
                    self.contest = contest_from_header(h);
                }
            }
            if self.rank_columns.is_none() {
                let last = self
                    .header
                    .iter()
                    .rposition(|h| !h.trim().is_empty())
                    .map_or(0, |p| p + 1);
                self.rank_columns = Some(last.saturating_sub(self.layout.first_vote_col));
            }
            return Ok(());
        }
        if row_number < self.layout.first_vote_row {
            return Ok(());
        }
        self.ballots += 1;
        let (id, precinct, batch) = self.layout.ids(row, self.ballots);
        let ranks = match self.rank_columns {
            Some(n) => n,
            None => {
                if self.options.treat_blank_as_undeclared_write_in {
                    return Err(FormatError::Options {
                        file: self.layout.file.clone(),
                        message: "treatBlankAsUndeclaredWriteIn needs a header row (firstVoteRowIndex of 2 or more) or rank_columns".into(),
                    });
                }
                row.len().saturating_sub(self.layout.first_vote_col)
            }
        };
        let mut marks = Vec::new();
        for r in 0..ranks {
            let col = self.layout.first_vote_col + r;
            // r < ranks <= MAX_COLUMNS, so the rank fits in u32.
            let rank = r as u32 + 1;
            let text = row.get(col).map_or("", |s| s.as_ref().trim());
            if text.is_empty() {
                if self.options.treat_blank_as_undeclared_write_in {
                    marks.push(CvrMark {
                        rank,
                        choice: Choice::UndeclaredWriteIn,
                    });
                }
                continue;
            }
            match self
                .options
                .overvote_delimiter
                .as_deref()
                .filter(|d| !d.is_empty() && text.contains(*d))
            {
                Some(d) => {
                    for part in text.split(d) {
                        let part = part.trim();
                        if part.is_empty() {
                            return Err(FormatError::invalid(
                                &self.layout.file,
                                Location::Line(row_number),
                                self.layout.column_name(&self.header, col),
                                format!(
                                    "candidate names separated by `{d}`; found an empty name in `{text}`"
                                ),
                            ));
                        }
                        marks.push(CvrMark {
                            rank,
                            choice: self.options.classify(part),
                        });
                    }
                }
                None => marks.push(CvrMark {
                    rank,
                    choice: self.options.classify(text),
                }),
            }
        }
        let cvr = CastVoteRecord {
            id,
            precinct,
            ballot_style: None,
            batch,
            tabulator: None,
            counting_group: None,
            contests: vec![CvrContest {
                contest: self.contest.clone(),
                marks,
            }],
        };
        self.stats.records += 1;
        (self.sink)(cvr)
    }
}

/// A contest name from a ranking column header: `For Mayor Choice 1 (45)` gives `For Mayor`.
fn contest_from_header(h: &str) -> String {
    let h = h.trim();
    match h.find(" Choice ") {
        Some(i) if i > 0 => h[..i].trim().to_string(),
        _ => h.to_string(),
    }
}

pub(crate) fn new_rows<'o, 's, 'k>(
    file: &str,
    options: &'o SourceOptions,
    sink: &'s mut Sink<'k>,
) -> Result<EssRows<'o, 's, 'k>> {
    let layout = Layout::from_options(file, options)?;
    let stem = short_name(file);
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s).to_string();
    Ok(EssRows {
        layout,
        options,
        header: Vec::new(),
        contest: options
            .contest_id
            .clone()
            .filter(|c| !c.is_empty())
            .unwrap_or(stem),
        rank_columns: options.rank_columns.map(|n| n.min(MAX_COLUMNS) as usize),
        ballots: 0,
        stats: ReadStats {
            files: 1,
            ..ReadStats::default()
        },
        sink,
    })
}

/// A reader that fails once more than [`MAX_RECORD_BYTES`] were read since the counter was
/// last reset, so one endless CSV field cannot exhaust memory.
struct CappedRead<R> {
    inner: R,
    used: std::rc::Rc<std::cell::Cell<usize>>,
}

impl<R: std::io::Read> std::io::Read for CappedRead<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.used.get() > MAX_RECORD_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("one CSV record is longer than {MAX_RECORD_BYTES} bytes"),
            ));
        }
        let n = self.inner.read(out)?;
        self.used.set(self.used.get() + n);
        Ok(n)
    }
}

/// Reads CSV rows, handing each (1-based line number, cells) to `f`.
pub(crate) fn csv_rows(
    input: &Input,
    mut f: impl FnMut(u64, Vec<String>) -> Result<()>,
) -> Result<()> {
    let file = input.name();
    let used = std::rc::Rc::new(std::cell::Cell::new(0usize));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(CappedRead {
            inner: input.open()?,
            used: used.clone(),
        });
    let mut record = csv::ByteRecord::new();
    loop {
        used.set(0);
        let more = reader.read_byte_record(&mut record).map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            match e.into_kind() {
                csv::ErrorKind::Io(io) => FormatError::io(&file, io),
                other => FormatError::invalid(
                    &file,
                    Location::Line(line),
                    "(csv)",
                    format!("well-formed CSV ({other:?})"),
                ),
            }
        })?;
        if !more {
            return Ok(());
        }
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() > MAX_COLUMNS as usize {
            return Err(FormatError::invalid(
                &file,
                Location::Line(line),
                "(csv)",
                format!("at most {MAX_COLUMNS} columns"),
            ));
        }
        let mut row = Vec::with_capacity(record.len());
        for (i, field) in record.iter().enumerate() {
            if field.len() > MAX_CELL_BYTES {
                return Err(FormatError::invalid(
                    &file,
                    Location::Line(line),
                    format!("column {}", i + 1),
                    format!("a cell of at most {MAX_CELL_BYTES} bytes"),
                ));
            }
            let text = std::str::from_utf8(field).map_err(|_| {
                FormatError::invalid(
                    &file,
                    Location::Line(line),
                    format!("column {}", i + 1),
                    "UTF-8 text",
                )
            })?;
            let text = if line == 1 && i == 0 {
                text.trim_start_matches('\u{feff}')
            } else {
                text
            };
            row.push(text.to_string());
        }
        f(line, row)?;
    }
}

/// Reads an ES&S export saved as CSV (same layout as the xlsx).
///
/// # Errors
/// As [`read_xlsx`], plus malformed CSV (naming the line).
pub fn read_csv(input: &Input, options: &SourceOptions, sink: &mut Sink<'_>) -> Result<ReadStats> {
    let file = input.name();
    let mut rows = new_rows(&file, options, sink)?;
    let mut index = 0u64;
    csv_rows(input, |_line, row| {
        index += 1;
        rows.row(index, &row)
    })?;
    Ok(rows.stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_ess_candidate_cells() {
        assert_eq!(
            split_candidate_cell("DEM Golden, Jared F. (5471)"),
            ("DEM Golden, Jared F.", Some("5471"))
        );
        assert_eq!(
            split_candidate_cell("Rathband, Jed "),
            ("Rathband, Jed", None)
        );
        assert_eq!(
            split_candidate_cell("Smith (write-in)"),
            ("Smith (write-in)", None)
        );
    }

    #[test]
    fn contest_names_from_headers() {
        assert_eq!(contest_from_header("For Mayor Choice 1 (45)"), "For Mayor");
        assert_eq!(contest_from_header("1st Choice"), "1st Choice");
    }
}
