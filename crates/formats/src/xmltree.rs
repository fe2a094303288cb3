//! A small streaming XML element reader over quick-xml, with bounded memory.
//!
//! Large documents (a NIST CVR XML report) are walked at a fixed depth; each element there
//! is read into a small [`Element`] tree, at most [`MAX_RECORD_BYTES`] of input per tree,
//! at most [`MAX_DEPTH`] levels deep. Names are local names: namespace prefixes are dropped.

use std::io::{BufRead, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::{FormatError, Location, Result};
use crate::limits::MAX_RECORD_BYTES;

/// The deepest element nesting accepted inside one record.
pub(crate) const MAX_DEPTH: usize = 64;

/// One XML element: local name, attributes, text content and child elements.
#[derive(Debug, Default, Clone)]
pub(crate) struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child with local name `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children with local name `name`.
    pub(crate) fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child named `name`, if present.
    pub(crate) fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }

    /// An attribute's value by local name.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A `BufRead` that fails once more than `cap` bytes were consumed since the last reset.
pub(crate) struct Capped<R> {
    inner: R,
    used: usize,
    cap: usize,
}

impl<R: BufRead> Read for Capped<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Capped<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.used > self.cap {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("one element is larger than {} bytes", self.cap),
            ));
        }
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.used = self.used.saturating_add(n);
        self.inner.consume(n);
    }
}

/// Streams elements out of an XML document.
pub(crate) struct XmlStream<R: BufRead> {
    reader: Reader<Capped<R>>,
    file: String,
    buf: Vec<u8>,
    /// Current depth: 0 outside the root element.
    depth: usize,
}

impl<R: BufRead> XmlStream<R> {
    /// Wraps `inner`; `file` names it in errors.
    pub(crate) fn new(inner: R, file: impl Into<String>) -> Self {
        let mut reader = Reader::from_reader(Capped {
            inner,
            used: 0,
            cap: MAX_RECORD_BYTES,
        });
        let cfg = reader.config_mut();
        cfg.check_end_names = true;
        cfg.expand_empty_elements = true;
        XmlStream {
            reader,
            file: file.into(),
            buf: Vec::new(),
            depth: 0,
        }
    }

    fn err(&self, field: &str, expected: impl Into<String>) -> FormatError {
        FormatError::invalid(
            &self.file,
            Location::Offset(self.reader.buffer_position()),
            field,
            expected,
        )
    }

    fn xml_err(&self, e: &quick_xml::Error) -> FormatError {
        let pos = self.reader.error_position();
        FormatError::invalid(
            &self.file,
            Location::Offset(pos),
            "(xml)",
            format!("well-formed XML ({e})"),
        )
    }

    /// Returns the next element that starts at `depth` (1 = the root, 2 = its children),
    /// consumed whole as a tree, or `None` at end of document. Elements at other depths
    /// are passed over without being kept.
    pub(crate) fn next_at(&mut self, depth: usize) -> Result<Option<(u64, Element)>> {
        loop {
            self.reader.get_mut().used = 0;
            self.buf.clear();
            let offset = self.reader.buffer_position();
            let ev = self.reader.read_event_into(&mut self.buf);
            match ev {
                Err(e) => return Err(self.xml_err(&e)),
                Ok(Event::Eof) => {
                    if self.depth != 0 {
                        return Err(
                            self.err("(xml)", "closing tags, found end of file (truncated?)")
                        );
                    }
                    return Ok(None);
                }
                Ok(Event::Start(start)) => {
                    self.depth += 1;
                    if self.depth == depth {
                        let start = start.into_owned();
                        let el = self.read_tree(&start)?;
                        self.depth -= 1;
                        return Ok(Some((offset, el)));
                    }
                    if self.depth > MAX_DEPTH {
                        return Err(self.err("(xml)", format!("nesting at most {MAX_DEPTH} deep")));
                    }
                }
                Ok(Event::End(_)) => self.depth = self.depth.saturating_sub(1),
                Ok(_) => {}
            }
        }
    }

    /// The local name of the root element, reading up to it.
    pub(crate) fn root(&mut self) -> Result<String> {
        loop {
            self.buf.clear();
            match self.reader.read_event_into(&mut self.buf) {
                Err(e) => return Err(self.xml_err(&e)),
                Ok(Event::Eof) => {
                    return Err(self.err("(xml)", "a root element, found end of file"));
                }
                Ok(Event::Start(s)) => {
                    self.depth = 1;
                    return Ok(String::from_utf8_lossy(s.local_name().as_ref()).into_owned());
                }
                Ok(_) => {}
            }
        }
    }

    /// Reads the rest of the element opened by `start` into a tree.
    fn read_tree(&mut self, start: &BytesStart<'_>) -> Result<Element> {
        let mut stack: Vec<Element> = vec![self.element(start)?];
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let ev = self.reader.read_event_into(&mut buf);
            match ev {
                Err(e) => return Err(self.xml_err(&e)),
                Ok(Event::Eof) => {
                    return Err(self.err("(xml)", "closing tags, found end of file (truncated?)"));
                }
                Ok(Event::Start(s)) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(self.err("(xml)", format!("nesting at most {MAX_DEPTH} deep")));
                    }
                    let s = s.into_owned();
                    let el = self.element(&s)?;
                    stack.push(el);
                }
                Ok(Event::End(_)) => {
                    let Some(done) = stack.pop() else {
                        return Err(self.err("(xml)", "balanced tags"));
                    };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return Ok(done),
                    }
                }
                Ok(Event::Text(t)) => {
                    let text = t
                        .decode()
                        .map_err(|e| self.err("(xml)", format!("UTF-8 text ({e})")))?;
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&text);
                    }
                }
                Ok(Event::CData(t)) => {
                    let text = t
                        .decode()
                        .map_err(|e| self.err("(xml)", format!("UTF-8 text ({e})")))?;
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&text);
                    }
                }
                Ok(Event::GeneralRef(r)) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => {
                            let name = r
                                .decode()
                                .map_err(|e| self.err("(xml)", format!("UTF-8 ({e})")))?;
                            match quick_xml::escape::resolve_predefined_entity(&name) {
                                Some(s) => s.to_string(),
                                None => {
                                    return Err(self.err(
                                        "(xml)",
                                        format!("a predefined entity, found `&{name};`"),
                                    ));
                                }
                            }
                        }
                        Err(e) => {
                            return Err(
                                self.err("(xml)", format!("a valid character reference ({e})"))
                            );
                        }
                    };
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&resolved);
                    }
                }
                Ok(_) => {}
            }
        }
    }

    fn element(&self, start: &BytesStart<'_>) -> Result<Element> {
        let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
        let mut attrs = Vec::new();
        for a in start.attributes() {
            let a = a.map_err(|e| self.err(&name, format!("well-formed attributes ({e})")))?;
            let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
            let value = a
                .decode_and_unescape_value(self.reader.decoder())
                .map_err(|e| self.err(&name, format!("a valid attribute value ({e})")))?
                .into_owned();
            attrs.push((key, value));
        }
        Ok(Element {
            name,
            attrs,
            ..Element::default()
        })
    }
}

/// Reads a whole (small) XML document into one tree.
///
/// # Errors
/// [`FormatError::Invalid`] for malformed XML.
pub(crate) fn parse_document(bytes: &[u8], file: &str) -> Result<Element> {
    let mut s = XmlStream::new(bytes, file);
    match s.next_at(1)? {
        Some((_, el)) => Ok(el),
        None => Err(FormatError::invalid(
            file,
            Location::File,
            "(xml)",
            "a root element; the file is empty",
        )),
    }
}
