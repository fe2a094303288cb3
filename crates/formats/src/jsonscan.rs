//! A streaming splitter for large JSON documents of the shape `{"key": value, "Big": [ ... ]}`.
//!
//! NIST SP 1500-103 CVR JSON (`{"CVR": [...], "Election": [...]}`) and Dominion
//! `CvrExport.json` (`{"Version": ..., "Sessions": [...]}`) are single objects holding one huge
//! array. This module walks the top-level object key by key and hands out each array element
//! as its own byte slice, so that `serde_json::from_slice` can parse one record at a time.
//! Memory use is bounded by the largest single value ([`crate::limits::MAX_RECORD_BYTES`]),
//! never by the file size.
//!
//! The splitter only finds value boundaries (strings, escapes and bracket depth); the bytes of
//! each value are validated by `serde_json` when parsed.

pub(crate) mod lex;

use std::io::Read;

use crate::error::{FormatError, Location, Result};
use crate::limits::MAX_RECORD_BYTES;

const CHUNK: usize = 256 * 1024;

/// An array element from [`JsonScanner::next_element_with`].
#[derive(Debug)]
pub(crate) enum Element<'s, T> {
    /// The fast reader's result.
    Read(T),
    /// The element's absolute offset and exact bytes, for the caller to read otherwise.
    Bytes(u64, &'s [u8]),
}

/// Incremental state of a value-extent scan.
#[derive(Debug, Default, Clone, Copy)]
struct Scan {
    /// Bytes of the value scanned so far.
    len: usize,
    depth: u32,
    in_string: bool,
    escape: bool,
}

/// Reads a top-level JSON object incrementally.
pub(crate) struct JsonScanner<R> {
    reader: R,
    file: String,
    buf: Vec<u8>,
    /// Start of unconsumed bytes in `buf`.
    pos: usize,
    /// Absolute file offset of `buf[0]`.
    base: u64,
    eof: bool,
    /// Whether the next array element needs a leading comma.
    need_comma: bool,
    /// Whether the next object key needs a leading comma.
    need_key_comma: bool,
}

impl<R: Read> JsonScanner<R> {
    /// Wraps `reader`; `file` names it in errors.
    pub(crate) fn new(reader: R, file: impl Into<String>) -> Self {
        JsonScanner {
            reader,
            file: file.into(),
            buf: Vec::with_capacity(CHUNK),
            pos: 0,
            base: 0,
            eof: false,
            need_comma: false,
            need_key_comma: false,
        }
    }

    /// The file name used in errors.
    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    /// Absolute offset of the next unconsumed byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn err(&self, field: &str, expected: impl Into<String>) -> FormatError {
        FormatError::invalid(&self.file, Location::Offset(self.offset()), field, expected)
    }

    /// Reads more bytes; returns false at end of input.
    fn fill(&mut self) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 && self.pos >= self.buf.len() / 2 {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + CHUNK, 0);
        let n = loop {
            match self.reader.read(&mut self.buf[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(FormatError::io(&self.file, e));
                }
            }
        };
        self.buf.truncate(old + n);
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    /// Skips whitespace (and a UTF-8 byte order mark at the very start); returns the next byte.
    fn peek(&mut self) -> Result<Option<u8>> {
        loop {
            while self.pos < self.buf.len() {
                let b = self.buf[self.pos];
                if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                    self.pos += 1;
                } else if self.base == 0
                    && self.pos == 0
                    && self.buf.starts_with(&[0xEF, 0xBB, 0xBF])
                {
                    self.pos += 3;
                } else {
                    return Ok(Some(b));
                }
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    fn expect(&mut self, byte: u8, field: &str, what: &str) -> Result<()> {
        match self.peek()? {
            Some(b) if b == byte => {
                self.pos += 1;
                Ok(())
            }
            Some(b) => Err(self.err(field, format!("{what}, found `{}`", b as char))),
            None => Err(self.err(field, format!("{what}, found end of file (truncated?)"))),
        }
    }

    /// Consumes the opening `{` of the top-level object.
    pub(crate) fn begin_object(&mut self) -> Result<()> {
        self.need_key_comma = false;
        self.expect(b'{', "(document)", "a JSON object `{`")
    }

    /// Returns the next top-level key (consuming the `:`), or `None` at the closing `}`.
    pub(crate) fn next_key(&mut self) -> Result<Option<String>> {
        match self.peek()? {
            Some(b'}') => {
                self.pos += 1;
                // Nothing but whitespace may follow.
                if let Some(b) = self.peek()? {
                    return Err(self.err(
                        "(document)",
                        format!(
                            "end of file after the top-level object, found `{}`",
                            b as char
                        ),
                    ));
                }
                return Ok(None);
            }
            Some(b',') if self.need_key_comma => {
                self.pos += 1;
            }
            Some(_) if self.need_key_comma => {
                return Err(self.err("(document)", "`,` or `}` after a top-level value"));
            }
            _ => {}
        }
        if self.peek()? != Some(b'"') {
            return Err(self.err("(document)", "a quoted object key"));
        }
        let (start, len) = self.scan_value(false)?;
        let key: String = serde_json::from_slice(&self.buf[start..start + len])
            .map_err(|e| self.err("(document)", format!("a valid key string ({e})")))?;
        self.expect(b':', &key, "`:` after the key")?;
        self.need_key_comma = true;
        Ok(Some(key))
    }

    /// Returns the whole next value as a slice, with its absolute offset.
    pub(crate) fn value(&mut self, field: &str) -> Result<(u64, &[u8])> {
        if self.peek()?.is_none() {
            return Err(self.err(field, "a value, found end of file (truncated?)"));
        }
        let (start, len) = self.scan_value(false).map_err(|e| rename(e, field))?;
        Ok((self.base + start as u64, &self.buf[start..start + len]))
    }

    /// Skips the next value without keeping it in memory.
    pub(crate) fn skip_value(&mut self, field: &str) -> Result<()> {
        if self.peek()?.is_none() {
            return Err(self.err(field, "a value, found end of file (truncated?)"));
        }
        self.scan_value(true)
            .map_err(|e| rename(e, field))
            .map(|_| ())
    }

    /// Consumes the `[` of an array value; returns false (consuming it) if the value is `null`.
    pub(crate) fn begin_array(&mut self, field: &str) -> Result<bool> {
        if self.peek()? == Some(b'n') {
            self.skip_value(field)?;
            return Ok(false);
        }
        self.expect(b'[', field, "an array `[`")?;
        self.need_comma = false;
        Ok(true)
    }

    /// Returns the next array element, or `None` at the closing `]`. First offers the
    /// buffered bytes from the element's start on to `fast`, which returns the element's
    /// length and its reading if it read a complete element, and `None` if it wants the
    /// element's exact bytes and absolute offset (it ran out of buffered bytes, or the
    /// element is not plainly valid). This saves scanning each element twice.
    pub(crate) fn next_element_with<T>(
        &mut self,
        field: &str,
        fast: impl FnOnce(&[u8]) -> Option<(usize, T)>,
    ) -> Result<Option<Element<'_, T>>> {
        if !self.element_start(field)? {
            return Ok(None);
        }
        if let Some((len, value)) = fast(&self.buf[self.pos..]) {
            if len > 0 && self.pos + len <= self.buf.len() {
                self.pos += len;
                return Ok(Some(Element::Read(value)));
            }
        }
        let (start, len) = self.scan_value(false).map_err(|e| rename(e, field))?;
        Ok(Some(Element::Bytes(
            self.base + start as u64,
            &self.buf[start..start + len],
        )))
    }

    /// Consumes the `,` before an array element; returns false (consuming it) at the `]`.
    fn element_start(&mut self, field: &str) -> Result<bool> {
        match self.peek()? {
            Some(b']') => {
                self.pos += 1;
                return Ok(false);
            }
            Some(b',') if self.need_comma => self.pos += 1,
            Some(b) if self.need_comma => {
                return Err(self.err(
                    field,
                    format!("`,` or `]` between elements, found `{}`", b as char),
                ));
            }
            None => {
                return Err(self.err(
                    field,
                    "`]` closing the array, found end of file (truncated?)",
                ));
            }
            _ => {}
        }
        self.need_comma = true;
        if matches!(self.peek()?, Some(b']') | None) {
            return Err(self.err(field, "an element after `,`"));
        }
        Ok(true)
    }

    /// Finds the extent of the value starting at `self.pos` (which is not whitespace), consumes
    /// it, and returns its `(start, len)` within `buf`. With `discard`, bytes are dropped as
    /// they are scanned and the returned range is meaningless.
    fn scan_value(&mut self, discard: bool) -> Result<(usize, usize)> {
        let mut scan = Scan::default();
        let first = self.buf[self.pos];
        loop {
            let start = self.pos;
            let avail = &self.buf[start..];
            if let Some(len) = scan_step(first, avail, &mut scan) {
                self.pos = start + len;
                return Ok((start, len));
            }
            if discard {
                // Everything scanned so far can go.
                self.base += (start + scan.len) as u64;
                self.buf.drain(..start + scan.len);
                self.pos = 0;
                scan.len = 0;
            } else if scan.len > MAX_RECORD_BYTES {
                return Err(self.err(
                    "",
                    format!("a value of at most {MAX_RECORD_BYTES} bytes; this one is larger"),
                ));
            }
            if !self.fill()? {
                // At end of input a bare number or literal ends the value.
                if !matches!(first, b'{' | b'[' | b'"') && scan.len > 0 {
                    let start = self.pos;
                    self.pos = start + scan.len;
                    return Ok((start, scan.len));
                }
                return Err(self.err("", "the rest of the value, found end of file (truncated?)"));
            }
        }
    }
}

fn rename(e: FormatError, field: &str) -> FormatError {
    match e {
        FormatError::Invalid {
            file,
            location,
            expected,
            ..
        } => FormatError::Invalid {
            file,
            location,
            field: field.to_string(),
            expected,
        },
        other => other,
    }
}

/// Continues scanning a value whose first byte is `first` over `avail` (which starts at the
/// value's first byte; `scan.len` bytes of it were already scanned). Returns the value's total
/// length once its end is inside `avail`.
fn scan_step(first: u8, avail: &[u8], scan: &mut Scan) -> Option<usize> {
    let mut i = scan.len;
    let n = avail.len();
    match first {
        b'{' | b'[' | b'"' => {
            while i < n {
                if scan.in_string {
                    if scan.escape {
                        scan.escape = false;
                        i += 1;
                        continue;
                    }
                    i = lex::find_quote_or_backslash(avail, i);
                    match avail.get(i) {
                        Some(b'\\') => scan.escape = true,
                        Some(_) => {
                            scan.in_string = false;
                            if scan.depth == 0 {
                                return Some(i + 1);
                            }
                        }
                        None => break,
                    }
                    i += 1;
                    continue;
                }
                // Outside strings: structure is dense, so a plain byte loop is fastest.
                while let Some(&b) = avail.get(i) {
                    i += 1;
                    match b {
                        b'"' => {
                            scan.in_string = true;
                            break;
                        }
                        b'{' | b'[' => scan.depth += 1,
                        b'}' | b']' => {
                            scan.depth = scan.depth.saturating_sub(1);
                            if scan.depth == 0 {
                                return Some(i);
                            }
                        }
                        _ => {}
                    }
                }
            }
            scan.len = i.min(n);
            None
        }
        _ => {
            while i < n {
                if matches!(avail[i], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    return Some(i);
                }
                i += 1;
            }
            scan.len = i;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_elements_across_tiny_reads() {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(out.len()).min(3);
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let doc = br#" {"a": "x\"}", "CVR": [ {"k": [1, "]"]}, 2 , "s" ], "z": null } "#;
        let mut s = JsonScanner::new(Trickle(doc), "t.json");
        s.begin_object().unwrap();
        assert_eq!(s.next_key().unwrap().as_deref(), Some("a"));
        assert_eq!(s.value("a").unwrap().1, br#""x\"}""#);
        assert_eq!(s.next_key().unwrap().as_deref(), Some("CVR"));
        assert!(s.begin_array("CVR").unwrap());
        let mut got = Vec::new();
        while let Some(e) = s.next_element_with("CVR", |_| None::<(usize, ())>).unwrap() {
            match e {
                Element::Bytes(_, e) => got.push(String::from_utf8(e.to_vec()).unwrap()),
                Element::Read(()) => unreachable!(),
            }
        }
        assert_eq!(got, vec![r#"{"k": [1, "]"]}"#, "2", r#""s""#]);
        assert_eq!(s.next_key().unwrap().as_deref(), Some("z"));
        s.skip_value("z").unwrap();
        assert_eq!(s.next_key().unwrap(), None);
    }

    #[test]
    fn truncated_array_is_an_error() {
        let doc = br#"{"CVR": [ {"a": 1}, {"b": "#;
        let mut s = JsonScanner::new(&doc[..], "t.json");
        s.begin_object().unwrap();
        s.next_key().unwrap();
        s.begin_array("CVR").unwrap();
        let none = |_: &[u8]| None::<(usize, ())>;
        assert!(s.next_element_with("CVR", none).unwrap().is_some());
        let e = s.next_element_with("CVR", none).unwrap_err().to_string();
        assert!(
            e.contains("t.json") && e.contains("CVR") && e.contains("truncated"),
            "{e}"
        );
    }
}
