//! Ballot identifiers printed exactly as Python's `str()` prints them.
//!
//! Rivest's consistent sampler hashes `str(id)` of each ballot id. Existing audit tools
//! (the `consistent_sampler` package, Arlo) use plain strings or nested tuples such as
//! `(('J1', None, 'B1'), 3)`: a batch key `(jurisdiction, tabulator, batch)` and a 1-based
//! position. To stay sample-compatible we render ids with Python 3's rules:
//!
//! ```text
//! str('AB-130')               -> AB-130
//! str((('J1', None, 'B1'), 3)) -> (('J1', None, 'B1'), 3)
//! str(('x',))                 -> ('x',)
//! str(("it's",))              -> ("it's",)
//! ```
//!
//! Inside a tuple, elements are printed with `repr()`: strings are quoted with `'` unless they
//! contain `'` and no `"`, backslashes and the quote are escaped, and `\t`, `\n`, `\r` and other
//! non-printable characters are escaped as Python does (`\xNN`, `\uNNNN`, `\UNNNNNNNN`). The
//! printable test for non-ASCII characters follows Rust's `char::is_control` plus the Unicode
//! separators, which matches Python's `str.isprintable` for letters, digits, punctuation and
//! symbols (the characters election ids use); exotic unassigned code points may differ.

use std::fmt::{self, Write as _};

/// A Python value that can appear in a ballot id: `None`, an integer, a string or a tuple.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PyValue {
    /// Python `None`.
    None,
    /// A Python `int`.
    Int(i64),
    /// A Python `str`.
    Str(String),
    /// A Python `tuple`.
    Tuple(Vec<PyValue>),
}

impl PyValue {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Self {
        PyValue::Str(s.into())
    }

    /// Python `repr()` of this value, appended to `out`.
    pub fn write_repr(&self, out: &mut String) {
        match self {
            PyValue::None => out.push_str("None"),
            PyValue::Int(i) => {
                // Writing to a String cannot fail.
                let _ = write!(out, "{i}");
            }
            PyValue::Str(s) => write_str_repr(s, out),
            PyValue::Tuple(items) => {
                out.push('(');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_repr(out);
                }
                if items.len() == 1 {
                    out.push(',');
                }
                out.push(')');
            }
        }
    }

    /// Python `repr()` of this value.
    pub fn repr(&self) -> String {
        let mut out = String::new();
        self.write_repr(&mut out);
        out
    }

    /// Python `str()` of this value (a string prints bare; everything else as its `repr()`).
    pub fn py_str(&self) -> String {
        match self {
            PyValue::Str(s) => s.clone(),
            other => other.repr(),
        }
    }
}

impl fmt::Display for PyValue {
    /// Displays the value as Python's `str()` would.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.py_str())
    }
}

/// Whether Python's `str.isprintable` holds for `c` (see the module doc for the approximation).
fn is_printable(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    !(c.is_control()
        || matches!(c, '\u{00a0}' | '\u{1680}' | '\u{2000}'..='\u{200f}' | '\u{2028}'..='\u{202f}'
            | '\u{205f}'..='\u{206f}' | '\u{3000}' | '\u{feff}'
            | '\u{e000}'..='\u{f8ff}' | '\u{fff9}'..='\u{fffb}'))
}

/// Python `repr()` of a string, appended to `out`.
pub fn write_str_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c => {
                let code = u32::from(c);
                // Writing to a String cannot fail.
                let _ = if code < 0x100 {
                    write!(out, "\\x{code:02x}")
                } else if code < 0x1_0000 {
                    write!(out, "\\u{code:04x}")
                } else {
                    write!(out, "\\U{code:08x}")
                };
            }
        }
    }
    out.push(quote);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuple_ids_print_like_python() {
        // Expected strings are what CPython 3.11 prints for these values.
        let id = PyValue::Tuple(vec![
            PyValue::Tuple(vec![PyValue::str("J1"), PyValue::None, PyValue::str("B1")]),
            PyValue::Int(3),
        ]);
        assert_eq!(id.py_str(), "(('J1', None, 'B1'), 3)");
        assert_eq!(PyValue::Tuple(vec![PyValue::str("x")]).py_str(), "('x',)");
        assert_eq!(PyValue::Tuple(vec![]).py_str(), "()");
        assert_eq!(PyValue::str("AB-130").py_str(), "AB-130");
        assert_eq!(PyValue::str("it's").repr(), "\"it's\"");
        assert_eq!(PyValue::str("a'b\"c").repr(), "'a\\'b\"c'");
        assert_eq!(PyValue::str("a\\b\n\u{7}é").repr(), "'a\\\\b\\n\\x07é'");
        assert_eq!(PyValue::Int(-4).py_str(), "-4");
    }
}
