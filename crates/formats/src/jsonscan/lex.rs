//! A minimal zero-copy JSON pull lexer for the readers' fast paths.
//!
//! The NIST CVR and Dominion readers first try to read each record with this lexer and
//! hand-written field matching; whenever it meets anything unusual it gives up (returns
//! `None`) and the reader parses the record again with `serde_json`, which then either
//! succeeds the same way or reports the error with its JSON path. So this lexer never
//! decides what an error says, and it must never accept a record `serde_json` would reject
//! (RFC 8259 grammar: strings without control characters, valid escapes, numbers without
//! leading zeros), nor read one differently. Strings with escapes are only skipped, never
//! returned; object keys and returned strings are checked to be UTF-8, as `serde_json`
//! checks the strings it parses (it does not check the ones it skips).

/// Deepest nesting [`Lex::skip`] follows before giving up (`serde_json` allows 128 in all).
const MAX_SKIP_DEPTH: u32 = 64;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = ONES << 7;

/// High bit set in each byte of `w` that is `"`, `\` or a control character (exact for the
/// lowest such byte; bytes above it may be flagged spuriously).
#[inline]
fn string_specials(w: u64) -> u64 {
    let ctrl = w.wrapping_sub(ONES * 0x20) & !w;
    let q = w ^ (ONES * u64::from(b'"'));
    let q = q.wrapping_sub(ONES) & !q;
    let bs = w ^ (ONES * u64::from(b'\\'));
    let bs = bs.wrapping_sub(ONES) & !bs;
    (ctrl | q | bs) & HIGHS
}

/// Index of the first `"`, `\` or control character in `b` at or after `i`, or `b.len()`.
#[inline]
pub(crate) fn find_string_special(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let m = string_specials(u64::from_le_bytes(w));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    b.len()
}

/// Index of the first `"` or `\\` in `b` at or after `i`, or `b.len()`.
#[inline]
pub(crate) fn find_quote_or_backslash(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        let q = w ^ (ONES * u64::from(b'"'));
        let q = q.wrapping_sub(ONES) & !q;
        let bs = w ^ (ONES * u64::from(b'\\'));
        let bs = bs.wrapping_sub(ONES) & !bs;
        let m = (q | bs) & HIGHS;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' {
            return i;
        }
        i += 1;
    }
    b.len()
}

/// A cursor over one complete JSON value.
pub(crate) struct Lex<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Lex<'a> {
    /// A cursor at the start of `b`.
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Lex { b, i: 0 }
    }

    /// Bytes consumed so far.
    pub(crate) fn pos(&self) -> usize {
        self.i
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// The next non-whitespace byte, not consumed.
    #[inline]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    /// Consumes `c` (after whitespace).
    #[inline]
    pub(crate) fn eat(&mut self, c: u8) -> Option<()> {
        if self.peek()? == c {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    /// Whether only whitespace is left.
    #[cfg(test)]
    pub(crate) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// Consumes a string without escapes; returns its content's byte range.
    #[inline]
    fn raw_string(&mut self) -> Option<(usize, usize)> {
        self.eat(b'"')?;
        let start = self.i;
        let end = find_string_special(self.b, start);
        if self.b.get(end) != Some(&b'"') {
            return None;
        }
        self.i = end + 1;
        Some((start, end))
    }

    /// Consumes a string without escapes and returns it (checked to be UTF-8).
    #[inline]
    pub(crate) fn str(&mut self) -> Option<&'a str> {
        let (s, e) = self.raw_string()?;
        std::str::from_utf8(self.b.get(s..e)?).ok()
    }

    /// Consumes `null` if it is next; returns whether it was.
    #[inline]
    pub(crate) fn null(&mut self) -> bool {
        if self.peek() == Some(b'n') && self.b.get(self.i..self.i + 4) == Some(b"null") {
            self.i += 4;
            true
        } else {
            false
        }
    }

    /// Consumes `true` or `false`.
    #[inline]
    pub(crate) fn bool(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' if self.b.get(self.i..self.i + 4) == Some(b"true") => {
                self.i += 4;
                Some(true)
            }
            b'f' if self.b.get(self.i..self.i + 5) == Some(b"false") => {
                self.i += 5;
                Some(false)
            }
            _ => None,
        }
    }

    /// Consumes a non-negative integer that fits `u64` (no sign, fraction or exponent).
    #[inline]
    pub(crate) fn u64(&mut self) -> Option<u64> {
        let first = self.peek()?;
        if !first.is_ascii_digit() {
            return None;
        }
        let mut n = u64::from(first - b'0');
        self.i += 1;
        while let Some(&c) = self.b.get(self.i) {
            if !c.is_ascii_digit() {
                break;
            }
            if first == b'0' {
                return None;
            }
            n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            self.i += 1;
        }
        if matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        Some(n)
    }

    /// Consumes `{`; returns false (consuming it) if the object is empty.
    #[inline]
    pub(crate) fn begin_object(&mut self) -> Option<bool> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(false);
        }
        Some(true)
    }

    /// Consumes a key and its `:`; the key is checked to be UTF-8.
    #[inline]
    pub(crate) fn key(&mut self) -> Option<&'a [u8]> {
        let (s, e) = self.raw_string()?;
        let k = self.b.get(s..e)?;
        if !k.is_ascii() {
            std::str::from_utf8(k).ok()?;
        }
        self.eat(b':')?;
        Some(k)
    }

    /// After an object member: consumes `,` (true: another member follows) or `}` (false).
    #[inline]
    pub(crate) fn next_member(&mut self) -> Option<bool> {
        match self.peek()? {
            b',' => {
                self.i += 1;
                Some(true)
            }
            b'}' => {
                self.i += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// Consumes `[`; returns false (consuming it) if the array is empty.
    #[inline]
    pub(crate) fn begin_array(&mut self) -> Option<bool> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            return Some(false);
        }
        Some(true)
    }

    /// After an array element: consumes `,` (true: another element follows) or `]` (false).
    #[inline]
    pub(crate) fn next_element(&mut self) -> Option<bool> {
        match self.peek()? {
            b',' => {
                self.i += 1;
                Some(true)
            }
            b']' => {
                self.i += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// Consumes any one value, checking its syntax as `serde_json` does when ignoring it.
    pub(crate) fn skip(&mut self) -> Option<()> {
        self.skip_at(0)
    }

    fn skip_at(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' => {
                if depth >= MAX_SKIP_DEPTH {
                    return None;
                }
                if self.begin_object()? {
                    loop {
                        self.skip_string()?;
                        self.eat(b':')?;
                        self.skip_at(depth + 1)?;
                        if !self.next_member()? {
                            break;
                        }
                    }
                }
                Some(())
            }
            b'[' => {
                if depth >= MAX_SKIP_DEPTH {
                    return None;
                }
                if self.begin_array()? {
                    loop {
                        self.skip_at(depth + 1)?;
                        if !self.next_element()? {
                            break;
                        }
                    }
                }
                Some(())
            }
            b't' | b'f' => self.bool().map(|_| ()),
            b'n' => self.null().then_some(()),
            _ => self.skip_number(),
        }
    }

    /// Consumes a string, allowing escapes (checked, not decoded).
    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        let mut i = self.i;
        loop {
            i = find_string_special(self.b, i);
            match *self.b.get(i)? {
                b'"' => {
                    self.i = i + 1;
                    return Some(());
                }
                b'\\' => match *self.b.get(i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        let hex = self.b.get(i + 2..i + 6)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        i += 6;
                    }
                    _ => return None,
                },
                _ => return None,
            }
        }
    }

    /// Consumes a number (RFC 8259 grammar).
    fn skip_number(&mut self) -> Option<()> {
        let b = self.b;
        let mut i = self.i;
        let digits = |mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => i = digits(i + 1),
            _ => return None,
        }
        if b.get(i) == Some(&b'.') {
            let j = digits(i + 1);
            if j == i + 1 {
                return None;
            }
            i = j;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let j = digits(i);
            if j == i {
                return None;
            }
            i = j;
        }
        self.i = i;
        Some(())
    }
}

/// An `Option<u64>` field: `null` or a whole number.
#[inline]
pub(crate) fn opt_u64(l: &mut Lex<'_>) -> Option<Option<u64>> {
    if l.null() {
        Some(None)
    } else {
        l.u64().map(Some)
    }
}

/// Calls `each` for every element of an array (not `null`).
#[inline]
pub(crate) fn array<'a>(
    l: &mut Lex<'a>,
    mut each: impl FnMut(&mut Lex<'a>) -> Option<()>,
) -> Option<()> {
    if l.begin_array()? {
        loop {
            each(l)?;
            if !l.next_element()? {
                break;
            }
        }
    }
    Some(())
}

/// Calls `field` for every member of an object; `field` consumes the value.
#[inline]
pub(crate) fn object<'a>(
    l: &mut Lex<'a>,
    mut field: impl FnMut(&mut Lex<'a>, &'a [u8]) -> Option<()>,
) -> Option<()> {
    if l.begin_object()? {
        loop {
            let k = l.key()?;
            field(l, k)?;
            if !l.next_member()? {
                break;
            }
        }
    }
    Some(())
}

/// One edit that may break a record: delete, insert or replace a byte (for the fast paths'
/// property tests).
#[cfg(test)]
pub(crate) fn mutate(doc: &str, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    const BYTES: &[u8] = b"\"{}[],:0123456789-.eE\\ anulltrue\t\x01\xc3";
    let mut b = doc.as_bytes().to_vec();
    for &(at, kind, byte) in edits {
        let at = at % (b.len() + 1);
        let byte = BYTES[usize::from(byte) % BYTES.len()];
        match kind % 3 {
            0 if at < b.len() => {
                b.remove(at);
            }
            1 => b.insert(at, byte),
            _ if at < b.len() => b[at] = byte,
            _ => {}
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skips(doc: &str) -> bool {
        let mut l = Lex::new(doc.as_bytes());
        l.skip().is_some() && l.at_end()
    }

    #[test]
    fn skip_accepts_exactly_what_serde_json_accepts() {
        for doc in [
            r#"{"a": [1, -2.5e+3, 0, true, false, null, "x\"\\\/\b\f\n\r\t\u00e9"], "b": {}}"#,
            "[]",
            " 0 ",
            "-0.0E-0",
            r#""D:\\NAS\\x""#,
            "01",
            "1.",
            "1e",
            "-",
            "[1,]",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            "\"a\tb\"",
            r#""\x""#,
            r#""\u12G4""#,
            "tru",
            "nul",
            "[1 2]",
            "{1:2}",
            "\"unterminated",
        ] {
            let serde_ok = serde_json::from_str::<serde::de::IgnoredAny>(doc).is_ok();
            assert_eq!(skips(doc), serde_ok, "{doc}");
        }
    }

    #[test]
    fn u64_rejects_what_serde_json_rejects_as_u64() {
        for (doc, want) in [
            ("0", Some(0)),
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("01", None),
            ("1.0", None),
            ("1e3", None),
            ("-1", None),
        ] {
            let mut l = Lex::new(doc.as_bytes());
            let got = l.u64().filter(|_| l.at_end());
            assert_eq!(got, want, "{doc}");
            if got.is_some() {
                assert_eq!(serde_json::from_str::<u64>(doc).ok(), want, "{doc}");
            }
        }
    }

    #[test]
    fn finds_specials_across_word_boundaries() {
        let s = b"abcdefghijklmnop\"q";
        assert_eq!(find_string_special(s, 0), 16);
        assert_eq!(find_string_special(b"ab\x01", 0), 2);
        assert_eq!(find_string_special(b"abc\\", 1), 3);
        assert_eq!(find_string_special("é\u{80}x".as_bytes(), 0), 5);
        assert_eq!(find_string_special(b"abc", 0), 3);
    }
}
