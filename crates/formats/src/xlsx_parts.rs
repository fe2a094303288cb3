//! The parts of an xlsx package (ECMA-376 Part 2, Open Packaging Conventions; Part 1,
//! §18.2 workbook, §18.4 shared strings) the fast ES&S path needs besides the worksheet:
//! which zip entry holds the first worksheet, and the shared string table.
//!
//! calamine opens the workbook first and stays the reference: these are located exactly
//! as calamine 0.38 locates them (`_rels/.rels` → `xl/workbook.xml`, its first `sheet`, the
//! relationship in `xl/_rels/workbook.xml.rels`, `xl/sharedStrings.xml`, zip names matched
//! case-insensitively), and decoded only where the result is plainly the same as
//! calamine's: strings of `<si><t>…</t></si>` (several `t`, `xml:space="preserve"`, the five
//! XML entities and character references), without rich-text runs, phonetic runs, CDATA,
//! carriage returns or `_xHHHH_` escapes. calamine keeps its table to itself (no public
//! accessor), so the table is read a second time here; it holds the few distinct texts of
//! an export (candidate names, precincts, labels). Anything else gives `None`, and the
//! caller reads the whole workbook with calamine alone.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::archive::Archive;

/// Where the fast path reads from.
pub(crate) struct FastParts {
    /// The zip entry index of the first worksheet.
    pub sheet: usize,
    /// The shared strings, as calamine decodes them.
    pub strings: Vec<String>,
}

/// Entry names as calamine's zip path cache maps them: lower case, `\` as `/`; the last
/// entry of a name wins, as calamine's map keeps it.
struct Names {
    cache: HashMap<String, String>,
    index: HashMap<String, Option<usize>>,
}

impl Names {
    fn new<R: Read + Seek>(zip: &Archive<R>) -> Self {
        let mut cache = HashMap::new();
        let mut index = HashMap::new();
        for i in 0..zip.len() {
            if let Some(n) = zip.name_for_index(i) {
                cache.insert(n.replace('\\', "/").to_ascii_lowercase(), n.to_string());
                // A name that occurs twice is left to calamine.
                index
                    .entry(n.to_string())
                    .and_modify(|e| *e = None)
                    .or_insert(Some(i));
            }
        }
        Names { cache, index }
    }

    /// The entry calamine opens for `path`: `Ok(None)` if it has none, `Err` if unclear.
    fn find(&self, path: &str) -> Result<Option<usize>, ()> {
        let name = self
            .cache
            .get(&path.to_ascii_lowercase())
            .map_or(path, String::as_str);
        match self.index.get(name) {
            None => Ok(None),
            Some(Some(i)) => Ok(Some(*i)),
            Some(None) => Err(()),
        }
    }
}

/// Locates the first worksheet (which must be the sheet calamine calls `first_sheet`) and
/// reads the shared strings; `None` if anything is outside what this module decodes.
pub(crate) fn locate<R: Read + Seek>(zip: &mut Archive<R>, first_sheet: &str) -> Option<FastParts> {
    let names = Names::new(zip);
    let document = package_document(part(zip, &names, "_rels/.rels")??)?;
    if document != "xl/workbook.xml" && document != "/xl/workbook.xml" {
        return None;
    }
    let rels = relationships(part(zip, &names, "xl/_rels/workbook.xml.rels")??)?;
    let (name, id) = first_sheet_of(part(zip, &names, "xl/workbook.xml")??)?;
    if name != first_sheet {
        return None;
    }
    let (target, kind) = rels.get(&id)?;
    if kind.rsplit('/').next() != Some("worksheet") {
        return None;
    }
    let path = match target.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None => format!("xl/{target}"),
    };
    let strings = match part(zip, &names, "xl/sharedStrings.xml")? {
        None => Vec::new(),
        Some(r) => shared_strings(r)?,
    };
    let sheet = names.find(&path).ok()??;
    Some(FastParts { sheet, strings })
}

/// The entry calamine reads for `path`: `Some(None)` if there is none, `None` if unclear
/// or unreadable.
fn part<'z, R: Read + Seek>(
    zip: &'z mut Archive<R>,
    names: &Names,
    path: &str,
) -> Option<Option<BufReader<crate::archive::Entry<'z, R>>>> {
    match names.find(path).ok()? {
        None => Some(None),
        Some(i) => Some(Some(BufReader::new(zip.by_index(i).ok()?))),
    }
}

/// The raw values of the attributes named in `keys`; `None` if an attribute is malformed,
/// a wanted one is repeated, or its value holds `&`.
fn attrs<const N: usize>(e: &BytesStart<'_>, keys: [&[u8]; N]) -> Option<[Option<String>; N]> {
    let mut out: [Option<String>; N] = std::array::from_fn(|_| None);
    for a in e.attributes().with_checks(false) {
        let a = a.ok()?;
        if let Some(k) = keys.iter().position(|k| a.key.as_ref() == *k) {
            // A repeated attribute, or one with an entity, is left to calamine.
            if out[k].is_some() || a.value.contains(&b'&') {
                return None;
            }
            out[k] = Some(String::from_utf8(a.value.into_owned()).ok()?);
        }
    }
    Some(out)
}

/// Rejects XML declarations naming an encoding other than UTF-8.
fn utf8_decl(e: &quick_xml::events::BytesDecl<'_>) -> Option<()> {
    match e.encoding() {
        None => Some(()),
        Some(Ok(enc)) if enc.eq_ignore_ascii_case(b"utf-8") => Some(()),
        Some(_) => None,
    }
}

/// Every start (or empty) element of `r` whose local name is `local`, with `f`.
fn each_element(
    r: impl BufRead,
    local: &[u8],
    mut f: impl FnMut(&BytesStart<'_>) -> Option<bool>,
) -> Option<()> {
    let mut xml = Reader::from_reader(r);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Decl(d) => utf8_decl(&d)?,
            Event::DocType(_) => return None,
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == local => match f(&e) {
                None => return None,
                Some(false) => return Some(()),
                Some(true) => {}
            },
            Event::Eof => return Some(()),
            _ => {}
        }
    }
}

/// The target of the package's (last) office document relationship.
fn package_document(r: impl BufRead) -> Option<String> {
    let mut doc = None;
    each_element(r, b"Relationship", |e| {
        let [kind, target] = attrs(e, [b"Type", b"Target"])?;
        if kind.is_some_and(|t| t.ends_with("/relationships/officeDocument")) {
            if let Some(t) = target {
                doc = Some(t);
            }
        }
        Some(true)
    })?;
    doc
}

/// The workbook's relationships: id → (target, type); the last of an id wins.
fn relationships(r: impl BufRead) -> Option<HashMap<String, (String, String)>> {
    let mut map = HashMap::new();
    each_element(r, b"Relationship", |e| {
        let [id, kind, target] = attrs(e, [b"Id", b"Type", b"Target"])?;
        if let Some(id) = id {
            map.insert(id, (target.unwrap_or_default(), kind.unwrap_or_default()));
        }
        Some(true)
    })?;
    Some(map)
}

/// The first sheet's name and relationship id (the last attribute named `id` or `*:id`).
fn first_sheet_of(r: impl BufRead) -> Option<(String, String)> {
    let mut found = None;
    each_element(r, b"sheet", |e| {
        let mut name = None;
        let mut id = None;
        for a in e.attributes().with_checks(false) {
            let a = a.ok()?;
            let key = a.key.as_ref();
            let is_id = key == b"id" || key.ends_with(b":id");
            if key == b"name" || is_id {
                if a.value.contains(&b'&') {
                    return None;
                }
                let v = String::from_utf8(a.value.into_owned()).ok()?;
                if is_id {
                    id = Some(v);
                } else {
                    name = Some(v);
                }
            }
        }
        found = Some((name.unwrap_or_default(), id.unwrap_or_default()));
        Some(false)
    })?;
    found
}

fn whitespace(t: &[u8]) -> bool {
    t.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// The shared string table, or `None` if any string is outside the plain subset.
fn shared_strings(r: impl BufRead) -> Option<Vec<String>> {
    let mut xml = Reader::from_reader(r);
    let mut buf = Vec::new();
    // Up to the `sst` element.
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Decl(d) => utf8_decl(&d)?,
            Event::Start(e) if e.name().as_ref() == b"sst" => break,
            Event::Empty(e) if e.name().as_ref() == b"sst" => return Some(Vec::new()),
            Event::Text(t) if whitespace(&t) => {}
            Event::Comment(_) | Event::PI(_) => {}
            _ => return None,
        }
    }
    let mut strings = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Start(e) if e.name().as_ref() == b"si" => strings.push(si(&mut xml)?),
            Event::Empty(e) if e.name().as_ref() == b"si" => strings.push(String::new()),
            Event::End(e) if e.name().as_ref() == b"sst" => return Some(strings),
            Event::Text(t) if whitespace(&t) => {}
            _ => return None,
        }
    }
}

/// One `<si>` after its start tag: its `t` texts, each trimmed of ASCII whitespace unless
/// `xml:space="preserve"`, joined.
fn si<R: BufRead>(xml: &mut Reader<R>) -> Option<String> {
    let mut out = String::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Start(e) if e.name().as_ref() == b"t" => {
                let [space] = attrs(&e, [b"xml:space"])?;
                let preserve = space.as_deref() == Some("preserve");
                let text = t_text(xml)?;
                let text = if preserve {
                    text.as_str()
                } else {
                    text.trim_matches([' ', '\t', '\r', '\n'])
                };
                if text.contains("_x") {
                    return None;
                }
                out.push_str(text);
            }
            Event::Empty(e) if e.name().as_ref() == b"t" => {}
            Event::End(e) if e.name().as_ref() == b"si" => return Some(out),
            Event::Text(t) if whitespace(&t) => {}
            _ => return None,
        }
    }
}

/// The text of a `<t>` up to its end tag.
fn t_text<R: BufRead>(xml: &mut Reader<R>) -> Option<String> {
    let mut out = String::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Text(t) => {
                if t.contains(&b'\r') {
                    return None;
                }
                out.push_str(std::str::from_utf8(&t).ok()?);
            }
            Event::GeneralRef(r) => out.push(entity(&r)?),
            Event::End(e) if e.name().as_ref() == b"t" => return Some(out),
            _ => return None,
        }
    }
}

/// A predefined entity or character reference, as quick-xml 0.42 resolves it for calamine.
fn entity(name: &[u8]) -> Option<char> {
    Some(match name {
        b"lt" => '<',
        b"gt" => '>',
        b"amp" => '&',
        b"apos" => '\'',
        b"quot" => '"',
        [b'#', b'x', hex @ ..] => char_ref(hex, 16)?,
        [b'#', dec @ ..] => char_ref(dec, 10)?,
        _ => return None,
    })
}

fn char_ref(digits: &[u8], radix: u32) -> Option<char> {
    if digits.is_empty() || !digits.iter().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let code = u32::from_str_radix(std::str::from_utf8(digits).ok()?, radix).ok()?;
    if code == 0 {
        return None;
    }
    char::from_u32(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sst(xml: &str) -> Option<Vec<String>> {
        shared_strings(xml.as_bytes())
    }

    #[test]
    fn plain_strings_as_calamine_reads_them() {
        // Hand-derived from calamine 0.38's read_string: unpreserved text is trimmed of
        // ASCII whitespace after entities are resolved; several <t> are joined.
        assert_eq!(
            sst(
                r#"<?xml version="1.0" encoding="UTF-8"?><sst count="3"><si><t> A &amp; B </t></si><si><t xml:space="preserve"> x</t><t>y&#32;</t></si><si/><si><t/></si></sst>"#
            ),
            Some(vec![
                "A & B".into(),
                " xy".into(),
                String::new(),
                String::new()
            ])
        );
    }

    #[test]
    fn anything_richer_is_left_to_calamine() {
        for xml in [
            "<sst><si><r><t>a</t></r></si></sst>",
            "<sst><si><t>a</t><rPh><t>b</t></rPh></si></sst>",
            "<sst><si><t>a_x000D_</t></si></sst>",
            "<sst><si><t><![CDATA[a]]></t></si></sst>",
            "<sst><si><t>a\r\nb</t></si></sst>",
            "<sst><si><t>&nbsp;</t></si></sst>",
            "<x:sst><x:si><x:t>a</x:t></x:si></x:sst>",
            r#"<?xml version="1.0" encoding="ISO-8859-1"?><sst><si><t>a</t></si></sst>"#,
        ] {
            assert_eq!(sst(xml), None, "{xml}");
        }
    }
}
