//! The ERR XML reader: the XML binding (`err-1500-100-v2.xsd`) of an `ElectionReport`.
//!
//! The XML is read into the JSON binding's shape and then mapped by exactly the rules of
//! [`read_json_value`], so a report gives the same counts in either binding:
//!
//! ```text
//! <ElectionReport xmlns="http://itl.nist.gov/ns/voting/1500-100/v2"
//!                 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
//!   <GpUnit xsi:type="ReportingUnit" ObjectId="gpu-p-1"> ... <Type>precinct</Type></GpUnit>
//!   <Election> ... <Contest xsi:type="CandidateContest" ObjectId="con-gov">
//!     <ContestSelection xsi:type="CandidateSelection" ObjectId="sel-gov.alice">
//!       <VoteCounts><GpUnitId>gpu-p-1</GpUnitId><Type>total</Type><Count>612</Count></VoteCounts>
//!       <CandidateIds>can-alice</CandidateIds>
//! ```
//!
//! How the bindings correspond: the `ObjectId` attribute is `@id`; `xsi:type="X"` is
//! `"@type": "ElectionResults.X"`; elements the schema allows more than once become arrays;
//! `IDREFS` elements (`CandidateIds`, `ComposingGpUnitIds`, ...) are space-separated lists;
//! a `<Text Language="en">` is `{"Language": "en", "Content": ...}`; `xsd:boolean`,
//! `xsd:integer` and count elements are typed. Counts (`Count`, `Overvotes`, `Undervotes`,
//! ...) are `xsd:double`/`xsd:float` in the schema; canvass accepts only whole numbers
//! (`612` or `612.0`).
//!
//! Errors name the file, the line, the element path (XPath, 1-based indices on repeated
//! elements, e.g. `/ElectionReport/Election[1]/Contest[3]/ContestSelection[2]`) and what
//! was expected. Input is at most 512 MiB and [`MAX_XML_DEPTH`] elements deep.

use std::io::Read;

use canvass_model::{Election, PrecinctResult};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Value};

use super::reader::read_json_value;
use crate::error::{FormatError, Location, Result};
use crate::limits::MAX_MANIFEST_BYTES;

/// The XML namespace of NIST SP 1500-100 version 2.
pub const ERR_NAMESPACE: &str = "http://itl.nist.gov/ns/voting/1500-100/v2";

/// The deepest element nesting accepted (the schema needs fewer than 12 levels).
pub const MAX_XML_DEPTH: usize = 32;

/// Elements with `maxOccurs="unbounded"` in the schema: arrays in the JSON binding.
const REPEATED: &[&str] = &[
    "AddressLine",
    "BallotCounts",
    "BallotStyle",
    "Candidate",
    "ContactInformation",
    "Contest",
    "ContestSelection",
    "CountStatus",
    "Election",
    "Email",
    "ExternalIdentifier",
    "Fax",
    "GpUnit",
    "Header",
    "Hours",
    "ImageUri",
    "InfoUri",
    "LogoUri",
    "MapUri",
    "MiddleName",
    "Office",
    "OfficeGroup",
    "OrderedContent",
    "OtherCounts",
    "Party",
    "PartyRegistration",
    "Person",
    "Phone",
    "Schedule",
    "SubOfficeGroup",
    "Text",
    "Uri",
    "VoteCounts",
];

/// Elements of type `xsd:IDREFS`: space-separated lists of ids.
pub(super) const IDREFS: &[&str] = &[
    "AuthorityIds",
    "CandidateIds",
    "ComposingGpUnitIds",
    "ContestIds",
    "ElectionOfficialPersonIds",
    "EndorsementPartyIds",
    "GpUnitIds",
    "LeaderPersonIds",
    "OfficeHolderPersonIds",
    "OfficeIds",
    "OrderedContestSelectionIds",
    "PartyIds",
    "PartyScopeGpUnitIds",
    "PrimaryPartyIds",
];

/// Elements of type `xsd:boolean`.
const BOOLEANS: &[&str] = &[
    "HasRotation",
    "IsDistricted",
    "IsIncumbent",
    "IsMailOnly",
    "IsOnlyByAppointment",
    "IsOrByAppointment",
    "IsPartisan",
    "IsRecognizedParty",
    "IsSubjectToChange",
    "IsSuppressedForPrivacy",
    "IsTest",
    "IsTopTicket",
    "IsWriteIn",
];

/// Counts: whole numbers, 0 or more.
const COUNTS: &[&str] = &[
    "BallotsCast",
    "BallotsOutstanding",
    "BallotsRejected",
    "Count",
    "Overvotes",
    "Undervotes",
    "VotersParticipated",
    "VotersRegistered",
    "WriteIns",
];

/// Other numbers (`xsd:integer`, or `xsd:double` coordinates).
const NUMBERS: &[&str] = &[
    "Latitude",
    "Longitude",
    "NumberElected",
    "NumberRunoff",
    "Round",
    "SequenceEnd",
    "SequenceOrder",
    "SequenceStart",
    "SubUnitsReported",
    "TotalSubUnits",
    "VotesAllowed",
];

/// Reads an ERR XML report (at most 512 MiB) and maps its counts onto `e` by the rules of
/// [`read_json_value`].
///
/// # Errors
/// [`FormatError::Io`] if reading fails; [`FormatError::Invalid`] naming the line and
/// element path for malformed XML, a report over the size or depth limit, a mistyped
/// element, or any mapping error of [`read_json_value`] (unmatched names are all listed).
pub fn read_xml(input: impl Read, file: &str, e: &Election) -> Result<Vec<PrecinctResult>> {
    let mut buf = Vec::new();
    input
        .take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|err| FormatError::io(file, err))?;
    if buf.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(FormatError::invalid(
            file,
            Location::File,
            "/ElectionReport",
            format!("a report of at most {MAX_MANIFEST_BYTES} bytes"),
        ));
    }
    let v = xml_to_json(&buf, file)?;
    read_json_value(&v, file, e).map_err(|err| relocate(err, &buf))
}

/// Reads an ERR XML report into the JSON binding's shape (see the module docs).
///
/// # Errors
/// [`FormatError::Invalid`] naming the line and element path for malformed XML, a root
/// other than `ElectionReport` in the v2 namespace, nesting deeper than
/// [`MAX_XML_DEPTH`], a repeated single element, or a mistyped boolean, count or number.
pub fn xml_to_json(bytes: &[u8], file: &str) -> Result<Value> {
    Converter::new(bytes, file).run()
}

/// 1-based line numbers of byte offsets, counted forward incrementally.
struct Lines<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
}

impl Lines<'_> {
    fn at(&mut self, offset: u64) -> u64 {
        let offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        if offset < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        self.line += memchr::memchr_iter(b'\n', &self.bytes[self.pos..offset]).count() as u64;
        self.pos = offset;
        self.line
    }
}

/// The element path being read, e.g. `/ElectionReport/Election[1]/Contest[3]`.
#[derive(Default)]
struct Path {
    text: String,
    /// Per open element: the path length before it, and its children's name counts.
    frames: Vec<(usize, Vec<(String, usize)>)>,
}

impl Path {
    fn push(&mut self, name: &str) {
        let index = self.frames.last_mut().map(|(_, seen)| {
            match seen.iter_mut().find(|(n, _)| n == name) {
                Some((_, k)) => {
                    *k += 1;
                    *k
                }
                None => {
                    seen.push((name.to_string(), 1));
                    1
                }
            }
        });
        self.frames.push((self.text.len(), Vec::new()));
        self.text.push('/');
        self.text.push_str(name);
        if let Some(k) = index.filter(|_| REPEATED.contains(&name)) {
            self.text.push_str(&format!("[{k}]"));
        }
    }

    fn pop(&mut self) {
        if let Some((len, _)) = self.frames.pop() {
            self.text.truncate(len);
        }
    }
}

/// One open element being converted.
struct Frame {
    name: String,
    line: u64,
    obj: Map<String, Value>,
    /// Attributes other than namespace declarations were present.
    has_attrs: bool,
    has_children: bool,
    text: String,
}

struct Converter<'a> {
    reader: Reader<&'a [u8]>,
    file: &'a str,
    lines: Lines<'a>,
    path: Path,
    stack: Vec<Frame>,
}

impl<'a> Converter<'a> {
    fn new(bytes: &'a [u8], file: &'a str) -> Self {
        let mut reader = Reader::from_reader(bytes);
        let cfg = reader.config_mut();
        cfg.check_end_names = true;
        cfg.expand_empty_elements = true;
        Converter {
            reader,
            file,
            lines: Lines {
                bytes,
                pos: 0,
                line: 1,
            },
            path: Path::default(),
            stack: Vec::new(),
        }
    }

    fn err(&mut self, line: u64, expected: impl Into<String>) -> FormatError {
        let field = if self.path.text.is_empty() {
            "(xml)".to_string()
        } else {
            self.path.text.clone()
        };
        FormatError::invalid(self.file, Location::Line(line), field, expected)
    }

    fn here(&mut self) -> u64 {
        let pos = self.reader.buffer_position();
        self.lines.at(pos)
    }

    fn run(mut self) -> Result<Value> {
        loop {
            let offset = self.reader.buffer_position();
            let ev = match self.reader.read_event() {
                Ok(ev) => ev,
                Err(e) => {
                    let line = self.lines.at(self.reader.error_position());
                    return Err(self.err(line, format!("well-formed XML ({e})")));
                }
            };
            match ev {
                Event::Start(s) => {
                    let line = self.lines.at(offset);
                    self.start(&s, line)?;
                }
                Event::End(_) => {
                    if let Some(done) = self.end()? {
                        return Ok(done);
                    }
                }
                Event::Text(t) => {
                    let text = t.decode().map_err(|e| {
                        let line = self.here();
                        self.err(line, format!("UTF-8 text ({e})"))
                    })?;
                    self.text(&text)?;
                }
                Event::CData(t) => {
                    let text = t.decode().map_err(|e| {
                        let line = self.here();
                        self.err(line, format!("UTF-8 text ({e})"))
                    })?;
                    self.text(&text)?;
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => {
                            let name = String::from_utf8_lossy(&r).into_owned();
                            match quick_xml::escape::resolve_predefined_entity(&name) {
                                Some(s) => s.to_string(),
                                None => {
                                    let line = self.here();
                                    return Err(self.err(
                                        line,
                                        format!("a predefined entity, found `&{name};`"),
                                    ));
                                }
                            }
                        }
                        Err(e) => {
                            let line = self.here();
                            return Err(
                                self.err(line, format!("a valid character reference ({e})"))
                            );
                        }
                    };
                    self.text(&resolved)?;
                }
                Event::Eof => {
                    let line = self.here();
                    return Err(if self.stack.is_empty() {
                        self.err(line, "an ElectionReport root element; the file is empty")
                    } else {
                        self.err(line, "closing tags, found end of file (truncated?)")
                    });
                }
                Event::DocType(_) => {
                    let line = self.here();
                    return Err(self.err(line, "no DOCTYPE (entities are not expanded)"));
                }
                _ => {}
            }
        }
    }

    fn start(&mut self, s: &BytesStart<'_>, line: u64) -> Result<()> {
        let name = String::from_utf8_lossy(s.local_name().as_ref()).into_owned();
        if let Some(parent) = self.stack.last_mut() {
            parent.has_children = true;
        }
        self.path.push(&name);
        if self.stack.len() >= MAX_XML_DEPTH {
            return Err(self.err(line, format!("nesting at most {MAX_XML_DEPTH} deep")));
        }
        let mut frame = Frame {
            name,
            line,
            obj: Map::new(),
            has_attrs: false,
            has_children: false,
            text: String::new(),
        };
        let root = self.stack.is_empty();
        let prefix = s.name().prefix().map(|p| p.as_ref().to_vec());
        let mut namespace: Option<String> = None;
        for a in s.attributes() {
            let a = a.map_err(|e| self.err(line, format!("well-formed attributes ({e})")))?;
            let key = a.key;
            let local = String::from_utf8_lossy(key.local_name().as_ref()).into_owned();
            let value = a
                .decode_and_unescape_value(self.reader.decoder())
                .map_err(|e| self.err(line, format!("a valid attribute value ({e})")))?
                .into_owned();
            let key_prefix = key.prefix().map(|p| p.as_ref().to_vec());
            if key.as_ref() == b"xmlns" {
                if prefix.is_none() {
                    namespace = Some(value);
                }
                continue;
            }
            if key_prefix.as_deref() == Some(b"xmlns") {
                if prefix.as_deref() == Some(key.local_name().as_ref()) {
                    namespace = Some(value);
                }
                continue;
            }
            if key_prefix.is_some() && local == "type" {
                let t = value.rsplit(':').next().unwrap_or_default();
                frame.obj.insert(
                    "@type".into(),
                    Value::String(format!("ElectionResults.{t}")),
                );
            } else if key_prefix.is_some() {
                continue; // xml:lang, xsi:schemaLocation and the like
            } else if local == "ObjectId" {
                frame.obj.insert("@id".into(), Value::String(value));
            } else {
                frame.obj.insert(local, Value::String(value));
            }
            frame.has_attrs = true;
        }
        if root {
            if frame.name != "ElectionReport" {
                return Err(self.err(
                    line,
                    format!(
                        "an ElectionReport root element (NIST SP 1500-100 v2), found <{}>",
                        frame.name
                    ),
                ));
            }
            if namespace.as_deref() != Some(ERR_NAMESPACE) {
                return Err(self.err(
                    line,
                    format!(
                        "the NIST SP 1500-100 v2 namespace `{ERR_NAMESPACE}`, found `{}`",
                        namespace.as_deref().unwrap_or("(none)")
                    ),
                ));
            }
            frame.obj.insert(
                "@type".into(),
                Value::String("ElectionResults.ElectionReport".into()),
            );
        }
        self.stack.push(frame);
        Ok(())
    }

    fn text(&mut self, text: &str) -> Result<()> {
        let Some(top) = self.stack.last_mut() else {
            if text.trim().is_empty() {
                return Ok(());
            }
            let line = self.here();
            return Err(self.err(line, "only whitespace outside the root element"));
        };
        if !(top.text.is_empty() && text.trim().is_empty()) {
            top.text.push_str(text);
        }
        Ok(())
    }

    /// Closes the top element; returns the document when the root closed.
    fn end(&mut self) -> Result<Option<Value>> {
        let Some(frame) = self.stack.pop() else {
            let line = self.here();
            return Err(self.err(line, "balanced tags"));
        };
        let value = self.value(
            frame.name.as_str(),
            frame.line,
            frame.obj,
            frame.has_attrs,
            frame.has_children,
            &frame.text,
        )?;
        self.path.pop();
        let Some(parent) = self.stack.last_mut() else {
            return Ok(Some(value));
        };
        if REPEATED.contains(&frame.name.as_str()) {
            match parent
                .obj
                .entry(frame.name)
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(items) => items.push(value),
                _ => {
                    // An attribute of the same name was stored first.
                    return Err(self.err(frame.line, "no attribute named like a child element"));
                }
            }
        } else if parent.obj.contains_key(&frame.name) {
            let line = frame.line;
            let message = format!("at most one <{}> here", frame.name);
            self.path.push(&frame.name);
            let err = self.err(line, message);
            return Err(err);
        } else {
            parent.obj.insert(frame.name, value);
        }
        Ok(None)
    }

    /// The JSON value of a closed element (its path is still on `self.path`).
    fn value(
        &mut self,
        name: &str,
        line: u64,
        mut obj: Map<String, Value>,
        has_attrs: bool,
        has_children: bool,
        text: &str,
    ) -> Result<Value> {
        let text = text.trim();
        if has_children {
            if !text.is_empty() {
                return Err(self.err(line, "child elements or text, not both"));
            }
            return Ok(Value::Object(obj));
        }
        if IDREFS.contains(&name) {
            return Ok(Value::Array(
                text.split_whitespace()
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            ));
        }
        if has_attrs || !obj.is_empty() {
            if !text.is_empty() {
                obj.insert("Content".into(), Value::String(text.to_string()));
            }
            return Ok(Value::Object(obj));
        }
        if BOOLEANS.contains(&name) {
            return match text {
                "true" | "1" => Ok(Value::Bool(true)),
                "false" | "0" => Ok(Value::Bool(false)),
                other => Err(self.err(line, format!("true or false, found `{other}`"))),
            };
        }
        if COUNTS.contains(&name) {
            return whole(text).map(Value::from).ok_or_else(|| {
                self.err(line, format!("a whole number, 0 or more, found `{text}`"))
            });
        }
        if NUMBERS.contains(&name) {
            if let Ok(n) = text.parse::<i64>() {
                return Ok(Value::from(n));
            }
            return text
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && matches!(name, "Latitude" | "Longitude"))
                .map(Value::from)
                .ok_or_else(|| self.err(line, format!("an integer, found `{text}`")));
        }
        Ok(Value::String(text.to_string()))
    }
}

/// A whole, non-negative number written as `612`, `+612` or `612.000`.
fn whole(text: &str) -> Option<u64> {
    let text = text.strip_prefix('+').unwrap_or(text);
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b == b'0') {
        return None;
    }
    int.parse().ok()
}

/// A JSON binding path (`Election[0].Contest[2].ContestSelection[1]`) as the XPath of the
/// same element (`/ElectionReport/Election[1]/Contest[3]/ContestSelection[2]`).
fn xpath(json_path: &str) -> String {
    let mut out = String::from("/ElectionReport");
    for seg in json_path.split('.').filter(|s| !s.is_empty()) {
        out.push('/');
        match seg.split_once('[') {
            Some((name, rest)) => {
                let k = rest
                    .trim_end_matches(']')
                    .parse::<u64>()
                    .map_or_else(|_| rest.to_string(), |k| format!("{}]", k + 1));
                out.push_str(name);
                out.push('[');
                out.push_str(&k);
            }
            None if seg == "@id" => out.push_str("@ObjectId"),
            None if seg == "@type" => out.push_str("@xsi:type"),
            None => out.push_str(seg),
        }
    }
    out
}

/// Rewrites JSON paths in a mapping message (`(GpUnit[3])`, `Election[0].Contest[1]...`)
/// as XPaths.
fn rewrite_paths(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = ["Election[", "GpUnit["]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        // Only at a token start.
        let at_start = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric();
        let end = rest[i..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || "[].@_".contains(c)))
            .map_or(rest.len(), |n| i + n);
        out.push_str(&rest[..i]);
        if at_start {
            out.push_str(&xpath(&rest[i..end]));
        } else {
            out.push_str(&rest[i..end]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Gives a mapping error of the JSON reader the line and XPath of its element.
fn relocate(err: FormatError, bytes: &[u8]) -> FormatError {
    let FormatError::Invalid {
        file,
        field,
        expected,
        ..
    } = err
    else {
        return err;
    };
    let field = xpath(&field);
    let line = line_of(bytes, &field).unwrap_or(1);
    FormatError::Invalid {
        file,
        location: Location::Line(line),
        field,
        expected: rewrite_paths(&expected),
    }
}

/// The line of the deepest element whose XPath is `target` or a prefix of it.
fn line_of(bytes: &[u8], target: &str) -> Option<u64> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().expand_empty_elements = true;
    let mut lines = Lines {
        bytes,
        pos: 0,
        line: 1,
    };
    let mut path = Path::default();
    let mut best = None;
    loop {
        let offset = reader.buffer_position();
        match reader.read_event().ok()? {
            Event::Start(s) => {
                path.push(&String::from_utf8_lossy(s.local_name().as_ref()));
                let p = path.text.as_str();
                if target == p {
                    return Some(lines.at(offset));
                }
                if target.starts_with(p) && target[p.len()..].starts_with('/') {
                    best = Some(lines.at(offset));
                }
            }
            Event::End(_) => path.pop(),
            Event::Eof => return best,
            _ => {}
        }
    }
}
