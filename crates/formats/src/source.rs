//! One entry point for every reader: a [`SourceSpec`] names the provider, the path and the
//! per-source options (the same settings as an RCTab `cvrFileSources[]` entry).
//!
//! Readers stream: each record is handed to the caller's callback as soon as it is parsed.
//! If the reader then returns an error, the input was invalid and the caller must discard
//! every record it received (invalid input is rejected whole).
//!
//! ```no_run
//! use canvass_formats::{read_source, Provider, SourceOptions, SourceSpec};
//! let spec = SourceSpec {
//!     provider: Provider::EssXlsx,
//!     path: "2015_portland_mayor_cvr.xlsx".into(),
//!     options: SourceOptions { first_vote_column: Some(4), first_vote_row: Some(2), ..Default::default() },
//! };
//! let mut ballots = Vec::new();
//! let stats = read_source(&spec, &mut |cvr| { ballots.push(cvr); Ok(()) })?;
//! # Ok::<(), canvass_formats::FormatError>(())
//! ```

use std::io::Read;
use std::path::PathBuf;

use canvass_model::{CastVoteRecord, Choice};

use crate::error::{FormatError, Result};

/// The callback each reader hands records to. Return an error to stop reading.
pub type Sink<'a> = dyn FnMut(CastVoteRecord) -> Result<()> + 'a;

/// Which export format a source is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// NIST SP 1500-103 CVR JSON (RCTab `cdf` with a `.json` file).
    NistJson,
    /// NIST SP 1500-103 CVR XML (RCTab `cdf` with a `.xml` file).
    NistXml,
    /// Dominion `CvrExport*.json` with manifests, in a folder or a zip archive.
    Dominion,
    /// ES&S CVR spreadsheet (xlsx), one ranking per column.
    EssXlsx,
    /// ES&S CVR exported as CSV, laid out like the xlsx.
    EssCsv,
    /// Hart Verity: one XML file per ballot, in a folder or zip archives.
    Hart,
    /// Clear Ballot CSV with `Choice_<id>_<n>:<contest>:<rank>:Vote For N:<choice>:<party>` columns.
    ClearBallot,
    /// RCTab's generic CSV: one column per candidate, cells hold ranks.
    GenericCsv,
}

impl Provider {
    /// Maps an RCTab `provider` value (and the file path, for `cdf` and `ess`) to a provider.
    ///
    /// # Errors
    /// [`FormatError::Options`] for an unknown provider name.
    pub fn from_rctab(provider: &str, path: &str) -> Result<Self> {
        let lower = path.to_ascii_lowercase();
        Ok(match provider {
            "cdf" if lower.ends_with(".xml") => Provider::NistXml,
            "cdf" => Provider::NistJson,
            "dominion" => Provider::Dominion,
            "ess" if lower.ends_with(".csv") => Provider::EssCsv,
            "ess" => Provider::EssXlsx,
            "hart" => Provider::Hart,
            "clearBallot" => Provider::ClearBallot,
            "genericCsv" => Provider::GenericCsv,
            other => {
                return Err(FormatError::Options {
                    file: path.to_string(),
                    message: format!(
                        "unknown provider `{other}`; expected cdf, dominion, ess, hart, clearBallot or genericCsv"
                    ),
                });
            }
        })
    }
}

/// Whether a vendor's contests and choices are reported by machine id or by display name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Key {
    /// The vendor's id (Dominion `Id`, Hart GUID), as RCTab does.
    #[default]
    Id,
    /// The display name (Dominion `Description`, Hart `Name`).
    Name,
}

/// Per-source settings; the same as an RCTab `cvrFileSources[]` entry. Fields a provider does
/// not use are ignored. Column and row indexes are 1-based, as in RCTab.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceOptions {
    /// Keep only this contest (RCTab `contestId`): a Dominion or Hart contest id (or name with
    /// [`Key::Name`]), a NIST contest `Name`, a Clear Ballot contest name. Records without it
    /// are skipped. For ES&S and generic CSV it is used as the contest's name.
    pub contest_id: Option<String>,
    /// ES&S / generic CSV: column of the first ranking (RCTab `firstVoteColumnIndex`).
    pub first_vote_column: Option<u32>,
    /// ES&S / generic CSV: row of the first ballot (RCTab `firstVoteRowIndex`); the row
    /// before it, if any, is the header.
    pub first_vote_row: Option<u32>,
    /// ES&S / generic CSV: column of the ballot id (RCTab `idColumnIndex`).
    pub id_column: Option<u32>,
    /// ES&S / generic CSV: column of the batch (RCTab `batchColumnIndex`).
    pub batch_column: Option<u32>,
    /// ES&S / generic CSV: column of the precinct (RCTab `precinctColumnIndex`).
    pub precinct_column: Option<u32>,
    /// ES&S: splits one cell into several choices at the same rank (RCTab `overvoteDelimiter`).
    pub overvote_delimiter: Option<String>,
    /// A choice text that means an overvote (RCTab `overvoteLabel`).
    pub overvote_label: Option<String>,
    /// A choice text that means an undervote or skipped rank (RCTab `undervoteLabel` /
    /// `skippedRankLabel`).
    pub undervote_label: Option<String>,
    /// A choice text (or Dominion/Hart candidate id) that means an undeclared write-in
    /// (RCTab `undeclaredWriteInLabel`).
    pub undeclared_write_in_label: Option<String>,
    /// ES&S: a blank ranking cell is an undeclared write-in (RCTab `treatBlankAsUndeclaredWriteIn`).
    pub treat_blank_as_undeclared_write_in: bool,
    /// ES&S: how many ranking columns to read; default: every header column from the first.
    pub rank_columns: Option<u32>,
    /// Dominion and Hart: report contests and choices by id (default) or by name.
    pub key: Key,
}

impl SourceOptions {
    /// Classifies an exported choice text by the configured labels.
    pub fn classify(&self, text: &str) -> Choice {
        let is =
            |label: &Option<String>| label.as_deref().is_some_and(|l| !l.is_empty() && l == text);
        if is(&self.overvote_label) {
            Choice::Overvote
        } else if is(&self.undervote_label) {
            Choice::Undervote
        } else if is(&self.undeclared_write_in_label) {
            Choice::UndeclaredWriteIn
        } else {
            Choice::Candidate(text.to_string())
        }
    }

    /// Whether `contest` passes the `contest_id` filter.
    pub fn wants_contest(&self, contest: &str) -> bool {
        match self.contest_id.as_deref() {
            None | Some("") => true,
            Some(c) => c == contest,
        }
    }
}

/// A source to read: provider, file or folder, and options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    /// The export format.
    pub provider: Provider,
    /// The file (NIST, ES&S, Clear Ballot, generic CSV), or folder or `.zip` (Dominion, Hart).
    pub path: PathBuf,
    /// Per-source settings.
    pub options: SourceOptions,
}

/// What a reader did besides handing out records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Records handed to the callback.
    pub records: u64,
    /// Records read but not handed out: without the filtered contest, or (Dominion) with no
    /// current adjudicated state.
    pub skipped: u64,
    /// Files read (for folder and archive sources).
    pub files: u64,
}

/// Named input bytes: a file on disk or a buffer in memory (tests, fuzzing, archive entries).
#[derive(Debug, Clone)]
pub enum Input {
    /// A file on disk.
    Path(PathBuf),
    /// Bytes in memory, with the name errors should use.
    Bytes {
        /// The name used in errors.
        name: String,
        /// The content.
        bytes: Vec<u8>,
    },
}

impl Input {
    /// The name used in errors.
    pub fn name(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Bytes { name, .. } => name.clone(),
        }
    }

    /// Opens the input for reading from the start.
    ///
    /// # Errors
    /// [`FormatError::Io`] if the file cannot be opened.
    pub fn open(&self) -> Result<Box<dyn Read + '_>> {
        match self {
            Input::Path(p) => {
                let f = std::fs::File::open(p).map_err(|e| FormatError::io(self.name(), e))?;
                Ok(Box::new(std::io::BufReader::with_capacity(256 * 1024, f)))
            }
            Input::Bytes { bytes, .. } => Ok(Box::new(&bytes[..])),
        }
    }
}

/// Reads every record of `spec`, handing each to `sink` in file order.
///
/// # Errors
/// Any [`FormatError`]: unreadable files, invalid content (naming file, line or record, and
/// field), bad options, or an error returned by `sink`. On error, discard every record
/// received so far.
pub fn read_source(spec: &SourceSpec, sink: &mut Sink<'_>) -> Result<ReadStats> {
    let o = &spec.options;
    let input = Input::Path(spec.path.clone());
    match spec.provider {
        Provider::NistJson => crate::nist::json::read(&input, o, sink),
        Provider::NistXml => crate::nist::xml::read(&input, o, sink),
        Provider::Dominion => crate::dominion::read_path(&spec.path, o, sink),
        Provider::EssXlsx => crate::ess::read_xlsx(&spec.path, o, sink),
        Provider::EssCsv => crate::ess::read_csv(&input, o, sink),
        Provider::Hart => crate::hart::read_path(&spec.path, o, sink),
        Provider::ClearBallot => crate::clear_ballot::read(&input, o, sink),
        Provider::GenericCsv => crate::generic_csv::read(&input, o, sink),
    }
}

/// Reads every record of `spec` into memory. Convenient for small sources and tests.
///
/// # Errors
/// As [`read_source`].
pub fn read_source_to_vec(spec: &SourceSpec) -> Result<Vec<CastVoteRecord>> {
    let mut out = Vec::new();
    read_source(spec, &mut |r| {
        out.push(r);
        Ok(())
    })?;
    Ok(out)
}

impl SourceSpec {
    /// Builds a spec from one RCTab `cvrFileSources[]` entry (as parsed JSON). Relative
    /// `filePath`s are resolved against `config_dir`, the folder of the config file.
    /// Numbers may be JSON numbers or strings; empty strings mean "not set".
    ///
    /// # Errors
    /// [`FormatError::Options`] for an unknown provider, a missing `filePath`, or an index
    /// that is not a positive whole number.
    pub fn from_rctab(
        entry: &serde_json::Value,
        config_dir: &std::path::Path,
    ) -> Result<SourceSpec> {
        let text = |k: &str| -> Option<String> {
            match entry.get(k) {
                Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            }
        };
        let path_text = text("filePath").ok_or_else(|| FormatError::Options {
            file: config_dir.display().to_string(),
            message: "cvrFileSources entry without a filePath".into(),
        })?;
        let number = |k: &str| -> Result<Option<u32>> {
            match text(k) {
                None => Ok(None),
                Some(t) => t
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|&n| n >= 1)
                    .map(Some)
                    .ok_or_else(|| FormatError::Options {
                        file: path_text.clone(),
                        message: format!("{k} must be a whole number from 1; found `{t}`"),
                    }),
            }
        };
        let provider = Provider::from_rctab(&text("provider").unwrap_or_default(), &path_text)?;
        let options = SourceOptions {
            contest_id: text("contestId"),
            first_vote_column: number("firstVoteColumnIndex")?,
            first_vote_row: number("firstVoteRowIndex")?,
            id_column: number("idColumnIndex")?,
            batch_column: number("batchColumnIndex")?,
            precinct_column: number("precinctColumnIndex")?,
            overvote_delimiter: text("overvoteDelimiter"),
            overvote_label: text("overvoteLabel"),
            undervote_label: text("undervoteLabel").or_else(|| text("skippedRankLabel")),
            undeclared_write_in_label: text("undeclaredWriteInLabel"),
            treat_blank_as_undeclared_write_in: entry
                .get("treatBlankAsUndeclaredWriteIn")
                .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true")),
            rank_columns: None,
            key: Key::Id,
        };
        Ok(SourceSpec {
            provider,
            path: config_dir.join(path_text),
            options,
        })
    }
}
