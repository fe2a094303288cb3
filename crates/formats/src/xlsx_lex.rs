//! Lexing for [`crate::xlsx_sheet`]: tags, attributes, cell references and numbers of
//! SpreadsheetML, strictly (anything unusual is refused, and left to calamine).

/// Excel's row and column limits.
pub(crate) const MAX_ROW: u32 = 1_048_576;
const MAX_COL: u32 = 16_384;

/// Parse outcome on a buffered slice.
pub(crate) enum Parse<T> {
    Done(T, usize),
    More,
    Bad,
}

pub(crate) use Parse::{Bad, Done, More};

/// Unwraps `Done`, passing `More` and `Bad` up.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Done(v, n) => (v, n),
            More => return More,
            Bad => return Bad,
        }
    };
}
pub(crate) use tri;

/// A start or end tag.
pub(crate) struct Tag<'s> {
    pub close: bool,
    pub empty: bool,
    pub name: &'s [u8],
    pub attrs: &'s [u8],
}

pub(crate) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':')
}

pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Parses the tag at `s[0] == b'<'`; quote-aware. Attribute values holding `<` or `&`,
/// and names with non-ASCII bytes, are refused.
pub(crate) fn parse_tag(s: &[u8]) -> Parse<Tag<'_>> {
    let close = s.get(1) == Some(&b'/');
    let start = if close { 2 } else { 1 };
    let mut i = start;
    while i < s.len() && is_name_byte(s[i]) {
        i += 1;
    }
    let Some(&next) = s.get(i) else { return More };
    if i == start || !(is_ws(next) || next == b'/' || next == b'>') {
        return Bad;
    }
    let name = &s[start..i];
    let attrs_start = i;
    let mut quote = 0u8;
    loop {
        let Some(&b) = s.get(i) else { return More };
        if quote != 0 {
            if b == quote {
                quote = 0;
            } else if b == b'<' || b == b'&' {
                return Bad;
            }
        } else {
            match b {
                b'"' | b'\'' => quote = b,
                b'>' => break,
                b'<' | b'&' => return Bad,
                _ => {}
            }
        }
        i += 1;
    }
    let empty = i > attrs_start && s[i - 1] == b'/';
    let attrs = &s[attrs_start..if empty { i - 1 } else { i }];
    if close && (empty || !attrs.iter().all(|&b| is_ws(b))) {
        return Bad;
    }
    Done(
        Tag {
            close,
            empty,
            name,
            attrs,
        },
        i + 1,
    )
}

/// The attributes of a tag, strictly `key="value"` (or `'value'`) separated by
/// whitespace; `None` for anything else.
pub(crate) fn attributes<'a>(
    mut a: &'a [u8],
    mut f: impl FnMut(&'a [u8], &'a [u8]) -> bool,
) -> bool {
    loop {
        while let [b, rest @ ..] = a {
            if !is_ws(*b) {
                break;
            }
            a = rest;
        }
        if a.is_empty() {
            return true;
        }
        let Some(eq) = a.iter().position(|&b| !is_name_byte(b)) else {
            return false;
        };
        if eq == 0 || a[eq] != b'=' {
            return false;
        }
        let q = match a.get(eq + 1) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return false,
        };
        let Some(len) = memchr::memchr(q, &a[eq + 2..]) else {
            return false;
        };
        if !f(&a[..eq], &a[eq + 2..eq + 2 + len]) {
            return false;
        }
        a = &a[eq + 3 + len..];
        if a.first().is_some_and(|&b| !is_ws(b)) {
            return false;
        }
    }
}

/// Sets `slot` to `v` unless it is already set (a repeated attribute is refused).
pub(crate) fn once<'s>(slot: &mut Option<&'s [u8]>, v: &'s [u8]) -> bool {
    slot.replace(v).is_none()
}

/// `digits` (1 to 7 of them) as a number from 1 to [`MAX_ROW`].
pub(crate) fn row_number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 7 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    (1..=MAX_ROW).contains(&n).then_some(n)
}

/// A cell reference like `AB12` as 0-based (row, column).
pub(crate) fn cell_ref(r: &[u8]) -> Option<(u32, u32)> {
    let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if !(1..=3).contains(&letters) {
        return None;
    }
    let col = r[..letters].iter().fold(0u32, |c, &b| {
        c * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1
    });
    let row = row_number(&r[letters..])?;
    (col <= MAX_COL).then_some((row - 1, col - 1))
}

/// Writes a `<v>` number as the ES&S reader shows a calamine `Float`: integral values
/// below 10^15 as integers, others as Rust prints an `f64`. `None` (left to calamine)
/// unless `raw` is `-?digits(.digits)?([eE][+-]?digits)?` of at most 64 bytes with a
/// finite value that is not negative zero (calamine shows a date-styled `-0` as `-0`).
pub(crate) fn number_text(raw: &[u8], out: &mut String) -> bool {
    number_into(raw, out).is_some()
}

pub(crate) fn number_into(raw: &[u8], scratch: &mut String) -> Option<()> {
    let s = std::str::from_utf8(raw).ok()?;
    let b = raw;
    if b.is_empty() || b.len() > 64 {
        return None;
    }
    scratch.clear();
    let mut i = usize::from(b[0] == b'-');
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    if int_digits == 0 {
        return None;
    }
    if i == b.len() && int_digits <= 15 && (b[int_start] != b'0' || int_digits == 1) {
        // A canonical integer: its own text, except `-0`.
        if s == "-0" {
            return None;
        }
        scratch.push_str(s);
        return Some(());
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let d = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == d {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let d = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == d || i - d > 4 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    if !f.is_finite() || (f == 0.0 && f.is_sign_negative()) {
        return None;
    }
    use std::fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = if f.fract() == 0.0 && f.abs() < 1e15 {
        write!(scratch, "{}", f as i64)
    } else {
        write!(scratch, "{f}")
    };
    Some(())
}

pub(crate) fn shared_index(digits: &[u8]) -> Option<usize> {
    let leading_zero = digits.len() > 1 && digits[0] == b'0';
    if leading_zero || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0usize, |n, &d| n * 10 + usize::from(d - b'0')),
    )
}

/// Skips `<?…?>` or `<!--…-->` at the start of `s`; `check` sees the whole construct.
pub(crate) fn skip_to(s: &[u8], end: &[u8], check: impl Fn(&[u8]) -> bool) -> Parse<bool> {
    match memchr::memmem::find(&s[2..], end) {
        Some(k) => {
            let n = 2 + k + end.len();
            if check(&s[..n]) { Done(false, n) } else { Bad }
        }
        None => More,
    }
}

/// An XML declaration (or other processing instruction) that names no encoding but UTF-8.
pub(crate) fn xml_decl_ok(pi: &[u8]) -> bool {
    let Some(at) = memchr::memmem::find(pi, b"encoding") else {
        return true;
    };
    let rest = &pi[at + b"encoding".len()..];
    let rest = rest.strip_prefix(b"=").unwrap_or(b"");
    match rest.first() {
        Some(&q @ (b'"' | b'\'')) => rest[1..]
            .split(|&b| b == q)
            .next()
            .is_some_and(|v| v.eq_ignore_ascii_case(b"utf-8")),
        _ => false,
    }
}

/// The end row of `ref="A1:H9"` (or `ref="A1"`), as calamine reads it; `None` if absent,
/// malformed or reversed.
pub(crate) fn dimension_end(attrs: &[u8]) -> Option<u32> {
    let mut r = None;
    if !attributes(attrs, |k, v| k != b"ref" || once(&mut r, v)) {
        return None;
    }
    let r = r?;
    let mut parts = r.split(|&b| b == b':');
    let start = cell_ref(parts.next()?)?;
    let end = match parts.next() {
        Some(p) => cell_ref(p)?,
        None => start,
    };
    if parts.next().is_some() || end.0 < start.0 || end.1 < start.1 {
        return None;
    }
    Some(end.0)
}
