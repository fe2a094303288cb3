//! Reading and writing definition files, with errors located by file, line and column.
//!
//! TOML is the human-written form; JSON is the canonical machine form. Both are the serde
//! form of [`Election`]. Locations come from re-reading the text with a span-keeping
//! parser (`toml_edit`, `jsonc-parser`) and following the problem's [`FieldPath`].

use std::fmt;

use jsonc_parser::common::Ranged;

use crate::definition::Election;
use crate::validate::{FieldPath, Problem, RuleCode, Segment, validate};

/// The text format of a definition file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefinitionFormat {
    /// TOML, the human-written form.
    Toml,
    /// JSON, the canonical machine form.
    Json,
}

impl DefinitionFormat {
    /// Guesses the format from a file name: `.json` is JSON, anything else TOML.
    pub fn from_path(path: &str) -> Self {
        if path.to_ascii_lowercase().ends_with(".json") {
            DefinitionFormat::Json
        } else {
            DefinitionFormat::Toml
        }
    }
}

/// A problem in a definition file, located in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file name as given by the caller.
    pub file: String,
    /// 1-based line, when the location is known.
    pub line: Option<usize>,
    /// 1-based column (in characters), when the location is known.
    pub column: Option<usize>,
    /// The rule broken.
    pub rule: RuleCode,
    /// The field, e.g. `contests[3].vote_for`; empty for syntax errors.
    pub path: String,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        write!(f, ": error[{}]: {}", self.rule, self.message)?;
        if !self.path.is_empty() {
            write!(f, " (at {})", self.path)?;
        }
        Ok(())
    }
}

/// A definition file that could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {} problem(s) in the election definition; first: {}", .diagnostics.len(), .diagnostics.first().map(|d| d.to_string()).unwrap_or_default())]
pub struct DefinitionError {
    /// The file name as given by the caller.
    pub file: String,
    /// Every problem found, in file order where known.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses and validates a definition.
///
/// # Errors
/// Returns every syntax problem, or else every rule the definition breaks, each located
/// by line and column in `text`.
pub fn parse_definition(
    text: &str,
    format: DefinitionFormat,
    file: &str,
) -> Result<Election, DefinitionError> {
    let parsed: Result<Election, Diagnostic> = match format {
        DefinitionFormat::Toml => toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| line_col(text, s.start))
                .map_or((None, None), |(l, c)| (Some(l), Some(c)));
            Diagnostic {
                file: file.to_owned(),
                line,
                column,
                rule: RuleCode::Syntax,
                path: String::new(),
                message: format!("{}: fix the TOML", e.message().trim_end()),
            }
        }),
        DefinitionFormat::Json => serde_json::from_str(text).map_err(|e| Diagnostic {
            file: file.to_owned(),
            line: Some(e.line()),
            column: Some(e.column()),
            rule: RuleCode::Syntax,
            path: String::new(),
            message: format!("{e}: fix the JSON"),
        }),
    };
    let election = parsed.map_err(|d| DefinitionError {
        file: file.to_owned(),
        diagnostics: vec![d],
    })?;
    let problems = validate(&election);
    if problems.is_empty() {
        return Ok(election);
    }
    Err(DefinitionError {
        file: file.to_owned(),
        diagnostics: locate(text, format, file, problems),
    })
}

/// Places each problem at a line and column of `text`, sorted by position.
pub fn locate(
    text: &str,
    format: DefinitionFormat,
    file: &str,
    problems: Vec<Problem>,
) -> Vec<Diagnostic> {
    let offsets: Vec<Option<usize>> = match format {
        DefinitionFormat::Toml => match toml_edit::Document::parse(text) {
            Ok(doc) => problems
                .iter()
                .map(|p| toml_offset(&doc, &p.path))
                .collect(),
            Err(_) => vec![None; problems.len()],
        },
        DefinitionFormat::Json => {
            let ast = jsonc_parser::parse_to_ast(text, &Default::default(), &Default::default());
            match ast.ok().and_then(|r| r.value) {
                Some(v) => problems.iter().map(|p| json_offset(&v, &p.path)).collect(),
                None => vec![None; problems.len()],
            }
        }
    };
    let mut out: Vec<Diagnostic> = problems
        .into_iter()
        .zip(offsets)
        .map(|(p, off)| {
            let (line, column) = off
                .map(|o| line_col(text, o))
                .map_or((None, None), |(l, c)| (Some(l), Some(c)));
            Diagnostic {
                file: file.to_owned(),
                line,
                column,
                rule: p.rule,
                path: p.path.to_string(),
                message: p.message,
            }
        })
        .collect();
    out.sort_by_key(|d| (d.line.unwrap_or(usize::MAX), d.column.unwrap_or(0)));
    out
}

/// 1-based line and character column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// The byte offset of the deepest part of `path` found in a TOML document.
fn toml_offset(doc: &toml_edit::Document<&str>, path: &FieldPath) -> Option<usize> {
    use toml_edit::{Item, Value};
    enum Node<'a> {
        Item(&'a Item),
        Table(&'a toml_edit::Table),
        Value(&'a Value),
    }
    let mut node = Node::Table(doc.as_table());
    let mut best = None;
    for seg in &path.0 {
        let next = match (&node, seg) {
            (Node::Table(t), Segment::Key(k)) => t.get(k).map(Node::Item),
            (Node::Item(Item::Table(t)), Segment::Key(k)) => t.get(k).map(Node::Item),
            (
                Node::Item(Item::Value(Value::InlineTable(t))) | Node::Value(Value::InlineTable(t)),
                Segment::Key(k),
            ) => t.get(k).map(Node::Value),
            (Node::Item(Item::ArrayOfTables(a)), Segment::Index(i)) => a.get(*i).map(Node::Table),
            (
                Node::Item(Item::Value(Value::Array(a))) | Node::Value(Value::Array(a)),
                Segment::Index(i),
            ) => a.get(*i).map(Node::Value),
            _ => None,
        };
        let Some(next) = next else { break };
        let span = match &next {
            Node::Item(i) => i.span(),
            Node::Table(t) => t.span(),
            Node::Value(v) => v.span(),
        };
        if let Some(s) = span {
            best = Some(s.start);
        }
        node = next;
    }
    best
}

/// The byte offset of the deepest part of `path` found in a JSON value.
fn json_offset(root: &jsonc_parser::ast::Value<'_>, path: &FieldPath) -> Option<usize> {
    use jsonc_parser::ast::Value;
    let mut node = root;
    let mut best = None;
    for seg in &path.0 {
        let next = match (node, seg) {
            (Value::Object(o), Segment::Key(k)) => o.get(k).map(|p| &p.value),
            (Value::Array(a), Segment::Index(i)) => a.elements.get(*i),
            _ => None,
        };
        let Some(next) = next else { break };
        best = Some(next.range().start);
        node = next;
    }
    best
}

/// Writes a definition as TOML, the human-written form.
///
/// # Errors
/// Fails only if the definition cannot be represented in TOML, which the types prevent.
pub fn to_toml(e: &Election) -> Result<String, toml::ser::Error> {
    toml::to_string(e)
}

/// Writes a definition as pretty JSON, one field per line, in a fixed field order.
pub fn to_json_pretty(e: &Election) -> String {
    // Serializing plain structs of strings and integers to a String cannot fail.
    let mut s = serde_json::to_string_pretty(e).unwrap_or_default();
    s.push('\n');
    s
}

/// The canonical bytes of a definition: compact JSON in a fixed field order. Hash these
/// to identify a definition.
pub fn to_canonical_json(e: &Election) -> Vec<u8> {
    serde_json::to_vec(e).unwrap_or_default()
}
