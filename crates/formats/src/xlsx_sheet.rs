//! A fast scanner for the cells of an xlsx worksheet part (ECMA-376 Part 1, §18.3.1
//! `sheetData`: `<row r="2"><c r="B2" t="s"><v>9</v></c>…</row>`), for the ES&S reader.
//!
//! Why not calamine here: calamine 0.38's `XlsxCellReader::next_cell` (quick-xml events,
//! copied into buffers, five or more events per cell) alone reads about 182,000–215,000
//! rows per CPU-second of an 8-column ES&S sheet on the project's machine, so no reader
//! built on it can reach the 200,000 rows/s target once it also builds the records (a
//! `perf` profile put about 40% of the time in quick-xml's event reading and 22% in
//! calamine's attribute and value handling, 6% in inflating). This scanner works on the
//! inflated bytes (through [`crate::archive`]) in 64 KiB chunks (bounded memory: at most
//! [`MAX_TOKEN`] plus one chunk are buffered), in one pass per cell with no event copies.
//!
//! It accepts only a strict subset of the XML, the shape spreadsheet writers produce:
//! unprefixed `row`, `c`, `v` and `f` elements; cell types absent, `n`, `s` or `b`; cell
//! values of plain digits (shared string indices) or plain decimal numbers; no entities,
//! comments or CDATA inside `sheetData`. On anything else, including malformed XML, it
//! answers [`Step::Unsupported`] *before* yielding that cell, and the caller continues
//! with calamine from the same cell (calamine re-reads and skips the cells already seen),
//! so results and error messages stay calamine's wherever the two could differ. Inside
//! the subset it yields the cells, positions and values calamine yields:
//! row and column numbers from the `r` attributes, else counted as calamine counts them.

use std::io::Read;

use crate::xlsx_lex::{
    Bad, Done, MAX_ROW, More, Parse, attributes, cell_ref, dimension_end, is_ws, number_text, once,
    parse_tag, row_number, shared_index, skip_to, tri, xml_decl_ok,
};

/// The most bytes one tag, or one cell from `<c` to `</c>`, may span; longer ones are
/// left to calamine.
pub(crate) const MAX_TOKEN: usize = 256 * 1024;
const CHUNK: usize = 64 * 1024;

/// A cell's value, as calamine would give it, but with numbers already as text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'b> {
    /// No value (`<c/>`, `<v/>`, a formula without a cached value).
    Empty,
    /// A shared string index (`t="s"`), checked against the table's length.
    Shared(usize),
    /// A number, as [`number_text`] writes it.
    Number(&'b str),
    /// A boolean (`t="b"`).
    Bool(bool),
}

/// What the scanner found next.
#[derive(Debug, PartialEq)]
pub(crate) enum Step<'b> {
    /// A cell at 0-based (row, column).
    Cell(u32, u32, Value<'b>),
    /// `</sheetData>`.
    End,
    /// Something outside the subset (or malformed, or unreadable) at this point.
    Unsupported,
}

/// The cells of one worksheet part, read from its inflated bytes.
pub(crate) struct SheetScanner<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    /// The row and column calamine would give a cell without an `r` attribute.
    row_index: u32,
    col_index: u32,
    /// The last row (0-based) of the `dimension` element, 0 without one.
    dimension_end: u32,
    /// The shared string table's length.
    strings: usize,
    /// `<sheetData/>`: no cells at all.
    empty_sheet: bool,
    scratch: String,
}

impl<R: Read> SheetScanner<R> {
    /// Reads up to `<sheetData>`; `None` if the part is outside the subset there.
    pub(crate) fn new(src: R, strings: usize) -> Option<Self> {
        let mut s = SheetScanner {
            src,
            buf: vec![0; CHUNK],
            pos: 0,
            end: 0,
            eof: false,
            row_index: 0,
            col_index: 0,
            dimension_end: 0,
            strings,
            empty_sheet: false,
            scratch: String::new(),
        };
        s.prelude().then_some(s)
    }

    /// The last row (0-based) the `dimension` element names, as calamine reports it.
    pub(crate) fn dimension_end(&self) -> u32 {
        self.dimension_end
    }

    /// Reads more bytes; false at the end of the part, on a read error, or if the buffer
    /// would grow beyond [`MAX_TOKEN`].
    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= MAX_TOKEN + CHUNK {
                return false;
            }
            self.buf.resize(self.buf.len() + CHUNK, 0);
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Ok(0) | Err(_) => {
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    self.end += n;
                    return true;
                }
            }
        }
    }

    /// Skips to just after `<sheetData>`, noting the `dimension`.
    fn prelude(&mut self) -> bool {
        loop {
            let s = &self.buf[self.pos..self.end];
            let Some(lt) = memchr::memchr(b'<', s) else {
                if memchr::memchr(b'&', s).is_some() {
                    return false;
                }
                self.pos = self.end;
                if !self.fill() {
                    return false;
                }
                continue;
            };
            if memchr::memchr(b'&', &s[..lt]).is_some() {
                return false;
            }
            let s = &s[lt..];
            let step = if s.starts_with(b"<?") {
                skip_to(s, b"?>", xml_decl_ok)
            } else if s.starts_with(b"<!--") {
                skip_to(s, b"-->", |_| true)
            } else if s.len() < 4 && b"<!--".starts_with(s) {
                More
            } else if s.starts_with(b"<!") {
                Bad
            } else {
                match parse_tag(s) {
                    Done(tag, n) => {
                        let local = tag.name.rsplit(|&b| b == b':').next().unwrap_or(b"");
                        let prefixed = local.len() != tag.name.len();
                        match local {
                            b"sheetData" | b"dimension" if prefixed || tag.close => {
                                if prefixed {
                                    return false;
                                }
                                Done(false, n)
                            }
                            b"sheetData" => {
                                self.empty_sheet = tag.empty;
                                Done(true, n)
                            }
                            b"dimension" => match dimension_end(tag.attrs) {
                                Some(end) => {
                                    self.dimension_end = end;
                                    Done(false, n)
                                }
                                None => Bad,
                            },
                            _ => Done(false, n),
                        }
                    }
                    More => More,
                    Bad => Bad,
                }
            };
            match step {
                Done(found, n) => {
                    self.pos += lt + n;
                    if found {
                        return true;
                    }
                }
                More => {
                    self.pos += lt;
                    if !self.fill() {
                        return false;
                    }
                }
                Bad => return false,
            }
        }
    }

    /// The next cell, `</sheetData>`, or [`Step::Unsupported`].
    pub(crate) fn next_cell(&mut self) -> Step<'_> {
        match self.advance() {
            Step::Cell(r, c, Value::Number(_)) => Step::Cell(r, c, Value::Number(&self.scratch)),
            Step::Cell(r, c, Value::Empty) => Step::Cell(r, c, Value::Empty),
            Step::Cell(r, c, Value::Shared(i)) => Step::Cell(r, c, Value::Shared(i)),
            Step::Cell(r, c, Value::Bool(b)) => Step::Cell(r, c, Value::Bool(b)),
            Step::End => Step::End,
            Step::Unsupported => Step::Unsupported,
        }
    }

    /// [`Self::next_cell`], with a number's text left in `scratch`.
    fn advance(&mut self) -> Step<'static> {
        if self.empty_sheet {
            return Step::End;
        }
        loop {
            while self.pos < self.end && is_ws(self.buf[self.pos]) {
                self.pos += 1;
            }
            if self.end - self.pos < 3 && self.fill() {
                continue;
            }
            let s = &self.buf[self.pos..self.end];
            if s.first() != Some(&b'<') {
                return Step::Unsupported;
            }
            if s.len() >= 3 && s[1] == b'c' && (is_ws(s[2]) || s[2] == b'>' || s[2] == b'/') {
                match parse_cell(s, self.row_index, self.col_index, self.strings) {
                    Done((row, col, raw), n) => {
                        let value = match raw {
                            Raw::Empty => Value::Empty,
                            Raw::Shared(i) => Value::Shared(i),
                            Raw::Bool(b) => Value::Bool(b),
                            Raw::Number(a, b) => {
                                if !number_text(&s[a..b], &mut self.scratch) {
                                    // Left to calamine, from this cell on.
                                    return Step::Unsupported;
                                }
                                Value::Number("")
                            }
                        };
                        self.pos += n;
                        self.col_index = col.saturating_add(1);
                        return Step::Cell(row, col, value);
                    }
                    More if self.fill() => continue,
                    More | Bad => return Step::Unsupported,
                }
            }
            // A row tag or the end of the sheet data; anything else is left to calamine.
            let parsed = match parse_tag(s) {
                Done(tag, n) => Some(match (tag.close, tag.name) {
                    (false, b"row") => {
                        let mut r = None;
                        if !attributes(tag.attrs, |k, v| k != b"r" || once(&mut r, v)) {
                            return Step::Unsupported;
                        }
                        let number = match r {
                            Some(r) => match row_number(r) {
                                Some(n) => Some(n - 1),
                                None => return Step::Unsupported,
                            },
                            None => None,
                        };
                        (n, RowTag::Start(number, tag.empty))
                    }
                    (true, b"row") => (n, RowTag::End),
                    (true, b"sheetData") => (n, RowTag::SheetEnd),
                    _ => return Step::Unsupported,
                }),
                More => None,
                Bad => return Step::Unsupported,
            };
            let Some((n, what)) = parsed else {
                if self.fill() {
                    continue;
                }
                return Step::Unsupported;
            };
            self.pos += n;
            match what {
                RowTag::Start(number, empty) => {
                    if let Some(r) = number {
                        self.row_index = r;
                    }
                    if empty {
                        self.end_row();
                    }
                }
                RowTag::End => self.end_row(),
                RowTag::SheetEnd => return Step::End,
            }
            if self.row_index > MAX_ROW {
                return Step::Unsupported;
            }
        }
    }

    fn end_row(&mut self) {
        self.row_index += 1;
        self.col_index = 0;
    }
}

/// What a row-level tag does.
enum RowTag {
    /// `<row>` with its 0-based number, if it has one, and whether it is `<row/>`.
    Start(Option<u32>, bool),
    End,
    SheetEnd,
}

/// A cell value before numbers are formatted: a number is a byte range of the cell.
enum Raw {
    Empty,
    Shared(usize),
    Bool(bool),
    Number(usize, usize),
}

/// Parses `<c …>…</c>` or `<c …/>` at the start of `s`.
fn parse_cell(s: &[u8], row_index: u32, col_index: u32, strings: usize) -> Parse<(u32, u32, Raw)> {
    let (tag, mut i) = tri!(parse_tag(s));
    let (mut r, mut t) = (None, None);
    let mut style = None;
    let ok = attributes(tag.attrs, |k, v| match k {
        b"r" => once(&mut r, v),
        b"t" => once(&mut t, v),
        b"s" => once(&mut style, v),
        _ => true,
    });
    if !ok || tag.close {
        return Bad;
    }
    let (row, col) = match r {
        Some(r) => match cell_ref(r) {
            Some(p) => p,
            None => return Bad,
        },
        None => (row_index, col_index),
    };
    #[derive(Clone, Copy)]
    enum Kind {
        Number,
        Shared,
        Bool,
    }
    let kind = match t {
        None | Some(b"n") => Kind::Number,
        Some(b"s") => Kind::Shared,
        Some(b"b") => Kind::Bool,
        Some(_) => return Bad,
    };
    let mut value = Raw::Empty;
    if tag.empty {
        return Done((row, col, value), i);
    }
    loop {
        while i < s.len() && is_ws(s[i]) {
            i += 1;
        }
        if i >= s.len() {
            return More;
        }
        if s[i] != b'<' {
            return Bad;
        }
        let (sub, n) = tri!(parse_tag(&s[i..]));
        i += n;
        match (sub.close, sub.name) {
            (true, b"c") => return Done((row, col, value), i),
            (false, b"v") if sub.empty => value = Raw::Empty,
            (false, b"v") => {
                let Some(len) = memchr::memchr(b'<', &s[i..]) else {
                    return More;
                };
                let text = &s[i..i + len];
                if memchr::memchr(b'&', text).is_some() {
                    return Bad;
                }
                let close = &s[i + len..];
                if close.len() < 4 {
                    return More;
                }
                if !close.starts_with(b"</v>") {
                    return Bad;
                }
                value = if text.is_empty() {
                    Raw::Empty
                } else {
                    match kind {
                        Kind::Number => Raw::Number(i, i + len),
                        Kind::Shared => match shared_index(text) {
                            Some(k) if k < strings => Raw::Shared(k),
                            _ => return Bad,
                        },
                        Kind::Bool => match text {
                            b"0" => Raw::Bool(false),
                            b"1" => Raw::Bool(true),
                            _ => return Bad,
                        },
                    }
                };
                i += len + 4;
            }
            // calamine skips a formula and takes no value from it.
            (false, b"f") if sub.empty => value = Raw::Empty,
            (false, b"f") => {
                let Some(len) = memchr::memchr(b'<', &s[i..]) else {
                    return More;
                };
                let close = &s[i + len..];
                if close.len() < 4 {
                    return More;
                }
                // Formula text is skipped, but an entity in it is calamine's to judge.
                if !close.starts_with(b"</f>") || memchr::memchr(b'&', &s[i..i + len]).is_some() {
                    return Bad;
                }
                value = Raw::Empty;
                i += len + 4;
            }
            _ => return Bad,
        }
    }
}

#[cfg(test)]
#[path = "xlsx_sheet_tests.rs"]
mod tests;
