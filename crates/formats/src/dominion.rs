//! Dominion Democracy Suite CVR export: `CvrExport*.json` plus manifests, in a folder or a
//! zip archive.
//!
//! Spec: "CVR export file format" (`../shared/reference/formats/dominion-cvr-export-format.pdf`).
//!
//! ```text
//! CvrExport.json: {"Version": "5.10.50.85", "ElectionId": "...",
//!   "Sessions": [{"TabulatorId": 27, "BatchId": 892, "RecordId": 117, "CountingGroupId": 2,
//!     "Original": {"PrecinctPortionId": 228, "BallotTypeId": 36, "IsCurrent": true,
//!       "Cards": [{"Contests": [{"Id": 1, "Marks": [{"CandidateId": 59, "Rank": 1,
//!                                                   "IsAmbiguous": false, "IsVote": true}]}]}]},
//!     "Modified": {...}}]}
//! CandidateManifest.json: {"Version": "...", "List": [{"Description": "...", "Id": 59, "ContestId": 1}]}
//! ```
//!
//! As in RCTab: the current state is `Original` if its `IsCurrent` is true, else `Modified`;
//! a session with neither is skipped (counted in [`ReadStats::skipped`]); ambiguous marks
//! are not marks; `Contests` may sit in `Cards` or directly in the state; a contest the
//! tabulator flagged with the `InvalidContest` outstack condition (per
//! OutstackConditionManifest.json) is left out, as RCTab 2.0's expected output for the
//! 2024 Alaska case shows. Unlike RCTab 1.x,
//! every `CvrExport*.json` file is read (in numeric order), not only an unbroken
//! `_1, _2, ...` sequence, and every id must be in its manifest.
//! Record ids are `TabulatorId-BatchId-RecordId`.

mod fast;

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use canvass_model::{CastVoteRecord, CvrContest, CvrMark};
use serde::Deserialize;

use crate::error::{FormatError, Location, Result};
use crate::jsonscan::{Element, JsonScanner};
use crate::limits::{MAX_FILES, MAX_MANIFEST_BYTES};
use crate::nist::check_rank;
use crate::nist::json::parse_value;
use crate::source::{Key, ReadStats, Sink, SourceOptions};

/// A number that some exports write as a string.
#[derive(Debug, Clone)]
enum NumOrText {
    Num(u64),
    Text(String),
}

impl<'de> Deserialize<'de> for NumOrText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = NumOrText;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a whole number or a string")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<NumOrText, E> {
                Ok(NumOrText::Num(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<NumOrText, E> {
                u64::try_from(v)
                    .map(NumOrText::Num)
                    .map_err(|_| E::custom(format!("a non-negative id, found {v}")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<NumOrText, E> {
                Ok(NumOrText::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl NumOrText {
    fn text(&self) -> String {
        match self {
            NumOrText::Num(n) => n.to_string(),
            NumOrText::Text(t) => t.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct ManifestFile {
    #[serde(rename = "List")]
    list: Vec<ManifestItem>,
}

#[derive(Debug, Deserialize)]
struct ManifestItem {
    #[serde(rename = "Description")]
    description: String,
    #[serde(rename = "Id")]
    id: u64,
    #[serde(rename = "ContestId", default)]
    contest_id: Option<u64>,
}

/// The manifests a CVR export refers to, as id-to-description tables.
#[derive(Debug, Default, Clone)]
pub struct Manifests {
    /// Candidate id to (description, contest id).
    pub candidates: HashMap<u64, (String, Option<u64>)>,
    /// Contest id to description.
    pub contests: HashMap<u64, String>,
    /// Precinct portion id to description.
    pub precinct_portions: HashMap<u64, String>,
    /// Ballot type id to description (empty if the manifest is absent).
    pub ballot_types: HashMap<u64, String>,
    /// Counting group id to description (empty if the manifest is absent).
    pub counting_groups: HashMap<u64, String>,
    /// Tabulator id to description (empty if the manifest is absent).
    pub tabulators: HashMap<u64, String>,
    /// Outstack condition ids that mark a contest invalid (`InvalidContest` in
    /// OutstackConditionManifest.json).
    pub invalid_contest_conditions: Vec<u64>,
}

const REQUIRED: [&str; 3] = [
    "CandidateManifest.json",
    "ContestManifest.json",
    "PrecinctPortionManifest.json",
];
const OPTIONAL: [&str; 4] = [
    "BallotTypeManifest.json",
    "CountingGroupManifest.json",
    "TabulatorManifest.json",
    "OutstackConditionManifest.json",
];

impl Manifests {
    /// Adds one manifest file (by its file name) from its bytes. Unknown names are ignored.
    ///
    /// # Errors
    /// [`FormatError::Invalid`] naming the manifest and field if it is not valid.
    pub fn add(&mut self, file_name: &str, display: &str, bytes: &[u8]) -> Result<()> {
        let m: ManifestFile = parse_value(display, Location::File, "(manifest)", bytes)?;
        let mut table = HashMap::new();
        for item in &m.list {
            if table.insert(item.id, item.description.clone()).is_some() {
                return Err(FormatError::invalid(
                    display,
                    Location::File,
                    "List.Id",
                    format!("unique ids; {} repeats", item.id),
                ));
            }
        }
        match file_name {
            "CandidateManifest.json" => {
                self.candidates = m
                    .list
                    .into_iter()
                    .map(|i| (i.id, (i.description, i.contest_id)))
                    .collect();
            }
            "ContestManifest.json" => self.contests = table,
            "PrecinctPortionManifest.json" => self.precinct_portions = table,
            "BallotTypeManifest.json" => self.ballot_types = table,
            "CountingGroupManifest.json" => self.counting_groups = table,
            "TabulatorManifest.json" => self.tabulators = table,
            "OutstackConditionManifest.json" => {
                self.invalid_contest_conditions = table
                    .iter()
                    .filter(|(_, d)| d.as_str() == "InvalidContest")
                    .map(|(id, _)| *id)
                    .collect();
            }
            _ => {}
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
struct Session {
    #[serde(rename = "TabulatorId")]
    tabulator_id: NumOrText,
    #[serde(rename = "BatchId")]
    batch_id: NumOrText,
    #[serde(rename = "RecordId")]
    record_id: NumOrText,
    #[serde(rename = "CountingGroupId", default)]
    counting_group_id: Option<u64>,
    #[serde(rename = "Original")]
    original: State,
    #[serde(rename = "Modified", default)]
    modified: Option<State>,
}

#[derive(Debug, Deserialize)]
struct State {
    #[serde(rename = "PrecinctPortionId", default)]
    precinct_portion_id: Option<u64>,
    #[serde(rename = "BallotTypeId", default)]
    ballot_type_id: Option<u64>,
    #[serde(rename = "IsCurrent")]
    is_current: bool,
    #[serde(rename = "Cards", default)]
    cards: Option<Vec<Card>>,
    #[serde(rename = "Contests", default)]
    contests: Option<Vec<Contest>>,
}

#[derive(Debug, Deserialize)]
struct Card {
    #[serde(rename = "Contests", default)]
    contests: Vec<Contest>,
}

#[derive(Debug, Deserialize)]
struct Contest {
    #[serde(rename = "Id")]
    id: u64,
    #[serde(rename = "Marks", default)]
    marks: Vec<Mark>,
    #[serde(rename = "OutstackConditionIds", default)]
    outstack_condition_ids: Vec<u64>,
}

#[derive(Debug, Deserialize)]
struct Mark {
    #[serde(rename = "CandidateId")]
    candidate_id: u64,
    #[serde(rename = "Rank")]
    rank: u64,
    #[serde(rename = "IsAmbiguous", default)]
    is_ambiguous: bool,
}

/// Numeric order of `CvrExport.json`, `CvrExport_1.json`, `CvrExport_2.json`, ...
fn export_order(name: &str) -> Option<u64> {
    let stem = name.strip_prefix("CvrExport")?.strip_suffix(".json")?;
    if stem.is_empty() {
        return Some(0);
    }
    stem.strip_prefix('_')?
        .parse::<u64>()
        .ok()
        .map(|n| n.saturating_add(1))
}

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn read_capped(r: impl Read, display: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| FormatError::io(display, e))?;
    if buf.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(FormatError::invalid(
            display,
            Location::File,
            "(manifest)",
            format!("a manifest of at most {MAX_MANIFEST_BYTES} bytes"),
        ));
    }
    Ok(buf)
}

fn check_required(m: &Manifests, seen: &[String], display: &str) -> Result<()> {
    for r in REQUIRED {
        if !seen.iter().any(|s| s == r) {
            return Err(FormatError::invalid(
                display,
                Location::File,
                r,
                format!("the manifest {r} next to the CvrExport files; it is missing"),
            ));
        }
    }
    let _ = m;
    Ok(())
}

/// Reads a Dominion export from a folder or a `.zip` archive.
///
/// # Errors
/// [`FormatError`] for a missing manifest or export, unreadable files, invalid JSON (naming
/// the file, the session number and the JSON path), ids missing from manifests, or an error
/// from `sink`.
pub fn read_path(path: &Path, options: &SourceOptions, sink: &mut Sink<'_>) -> Result<ReadStats> {
    let display = path.display().to_string();
    let mut stats = ReadStats::default();
    let mut manifests = Manifests::default();
    let mut seen = Vec::new();
    if path.is_dir() {
        let mut exports = Vec::new();
        let entries = std::fs::read_dir(path).map_err(|e| FormatError::io(&display, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| FormatError::io(&display, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(order) = export_order(&name) {
                exports.push((order, entry.path()));
                if exports.len() > MAX_FILES {
                    return Err(FormatError::Options {
                        file: display,
                        message: format!("more than {MAX_FILES} export files"),
                    });
                }
            } else if REQUIRED.contains(&name.as_str()) || OPTIONAL.contains(&name.as_str()) {
                let p = entry.path();
                let shown = p.display().to_string();
                let f = File::open(&p).map_err(|e| FormatError::io(&shown, e))?;
                manifests.add(&name, &shown, &read_capped(f, &shown)?)?;
                seen.push(name);
            }
        }
        check_required(&manifests, &seen, &display)?;
        if exports.is_empty() {
            return Err(FormatError::invalid(
                &display,
                Location::File,
                "CvrExport.json",
                "at least one CvrExport*.json file in the folder",
            ));
        }
        exports.sort();
        for (_, p) in exports {
            let shown = p.display().to_string();
            let f = File::open(&p).map_err(|e| FormatError::io(&shown, e))?;
            read_export(
                std::io::BufReader::with_capacity(256 * 1024, f),
                &shown,
                &manifests,
                options,
                sink,
                &mut stats,
            )?;
        }
        return Ok(stats);
    }
    let mut zip = crate::archive::open(path)?;
    let mut exports = Vec::new();
    for i in 0..zip.len() {
        let entry = zip.by_index(i)?;
        let full = entry.name().to_string();
        let name = base_name(&full).to_string();
        let shown = format!("{display}!{full}");
        if let Some(order) = export_order(&name) {
            exports.push((order, i));
        } else if REQUIRED.contains(&name.as_str()) || OPTIONAL.contains(&name.as_str()) {
            let bytes = read_capped(entry, &shown)?;
            manifests.add(&name, &shown, &bytes)?;
            seen.push(name);
        }
    }
    check_required(&manifests, &seen, &display)?;
    if exports.is_empty() {
        return Err(FormatError::invalid(
            &display,
            Location::File,
            "CvrExport.json",
            "at least one CvrExport*.json entry in the archive",
        ));
    }
    exports.sort();
    for (_, i) in exports {
        let entry = zip.by_index(i)?;
        let shown = format!("{display}!{}", entry.name());
        read_export(
            std::io::BufReader::with_capacity(256 * 1024, entry),
            &shown,
            &manifests,
            options,
            sink,
            &mut stats,
        )?;
    }
    Ok(stats)
}

/// Reads one `CvrExport*.json` stream against already-read manifests.
///
/// # Errors
/// As [`read_path`].
pub fn read_export(
    reader: impl Read,
    file: &str,
    manifests: &Manifests,
    options: &SourceOptions,
    sink: &mut Sink<'_>,
    stats: &mut ReadStats,
) -> Result<()> {
    stats.files += 1;
    let mut scanner = JsonScanner::new(reader, file);
    scanner.begin_object()?;
    let mut sessions_seen = false;
    while let Some(key) = scanner.next_key()? {
        if key != "Sessions" {
            scanner.skip_value(&key)?;
            continue;
        }
        if sessions_seen {
            return Err(FormatError::invalid(
                file,
                Location::Offset(scanner.offset()),
                "Sessions",
                "one Sessions array; found a second",
            ));
        }
        sessions_seen = true;
        if !scanner.begin_array("Sessions")? {
            continue;
        }
        let mut index = 0u64;
        let candidates = fast::Candidates::new(manifests, options);
        let mut scratch = fast::Scratch::default();
        while let Some(element) = scanner.next_element_with("Sessions", |b| {
            fast::convert(b, manifests, &candidates, options, &mut scratch)
        })? {
            index += 1;
            let record = match element {
                Element::Read(record) => record,
                Element::Bytes(offset, bytes) => {
                    match fast::convert(bytes, manifests, &candidates, options, &mut scratch) {
                        Some((len, record)) if len == bytes.len() => record,
                        _ => {
                            // Not plainly valid: serde_json and `convert` give the result or
                            // the error.
                            let loc = Location::Record {
                                index,
                                offset: Some(offset),
                            };
                            let session: Session =
                                parse_value(file, loc.clone(), "Sessions[]", bytes)?;
                            convert(file, &loc, session, manifests, options)?
                        }
                    }
                }
            };
            match record {
                Some(cvr) => {
                    stats.records += 1;
                    sink(cvr)?;
                }
                None => stats.skipped += 1,
            }
        }
    }
    if !sessions_seen {
        return Err(FormatError::invalid(
            file,
            Location::File,
            "Sessions",
            "a Sessions array; it is missing",
        ));
    }
    Ok(())
}

fn lookup(
    table: &HashMap<u64, String>,
    id: u64,
    file: &str,
    loc: &Location,
    field: &str,
    manifest: &str,
) -> Result<String> {
    if table.is_empty() {
        return Ok(id.to_string());
    }
    table.get(&id).cloned().ok_or_else(|| {
        FormatError::invalid(
            file,
            loc.clone(),
            field,
            format!("an id listed in {manifest}; {id} is not"),
        )
    })
}

fn convert(
    file: &str,
    loc: &Location,
    s: Session,
    m: &Manifests,
    options: &SourceOptions,
) -> Result<Option<CastVoteRecord>> {
    let bad =
        |field: &str, expected: String| FormatError::invalid(file, loc.clone(), field, expected);
    let state = if s.original.is_current {
        s.original
    } else {
        match s.modified {
            Some(st) => st,
            None => return Ok(None),
        }
    };
    let precinct = match state.precinct_portion_id {
        None => None,
        Some(id) => Some(m.precinct_portions.get(&id).cloned().ok_or_else(|| {
            bad(
                "PrecinctPortionId",
                format!("an id listed in PrecinctPortionManifest.json; {id} is not"),
            )
        })?),
    };
    let ballot_style = match state.ballot_type_id {
        None => None,
        Some(id) => Some(lookup(
            &m.ballot_types,
            id,
            file,
            loc,
            "BallotTypeId",
            "BallotTypeManifest.json",
        )?),
    };
    let counting_group = match s.counting_group_id {
        None => None,
        Some(id) => Some(lookup(
            &m.counting_groups,
            id,
            file,
            loc,
            "CountingGroupId",
            "CountingGroupManifest.json",
        )?),
    };
    let tabulator = s.tabulator_id.text();
    if let NumOrText::Num(t) = s.tabulator_id {
        if !m.tabulators.is_empty() && !m.tabulators.contains_key(&t) {
            return Err(bad(
                "TabulatorId",
                format!("an id listed in TabulatorManifest.json; {t} is not"),
            ));
        }
    }
    let all_contests: Vec<Contest> = match (state.cards, state.contests) {
        (Some(cards), _) => cards.into_iter().flat_map(|c| c.contests).collect(),
        (None, Some(c)) => c,
        (None, None) => Vec::new(),
    };
    let mut contests = Vec::new();
    for c in all_contests {
        if c.outstack_condition_ids
            .iter()
            .any(|o| m.invalid_contest_conditions.contains(o))
        {
            continue;
        }
        let Some(contest_name) = m.contests.get(&c.id) else {
            return Err(bad(
                "Contests[].Id",
                format!(
                    "a contest id listed in ContestManifest.json; {} is not",
                    c.id
                ),
            ));
        };
        let contest_key = match options.key {
            Key::Id => c.id.to_string(),
            Key::Name => contest_name.clone(),
        };
        if !options.wants_contest(&contest_key) {
            continue;
        }
        let mut marks = Vec::new();
        for mark in c.marks {
            if mark.is_ambiguous {
                continue;
            }
            let Some((cand_name, cand_contest)) = m.candidates.get(&mark.candidate_id) else {
                return Err(bad(
                    "Marks[].CandidateId",
                    format!(
                        "a candidate id listed in CandidateManifest.json; {} is not",
                        mark.candidate_id
                    ),
                ));
            };
            if cand_contest.is_some_and(|cc| cc != c.id) {
                return Err(bad(
                    "Marks[].CandidateId",
                    format!(
                        "a candidate of contest {}; {} belongs to another contest",
                        c.id, mark.candidate_id
                    ),
                ));
            }
            let rank = check_rank(mark.rank).map_err(|e| bad("Marks[].Rank", e))?;
            let id_text = mark.candidate_id.to_string();
            let choice = match options.key {
                Key::Id => options.classify(&id_text),
                Key::Name => {
                    // A write-in label given as an id still applies.
                    if options.undeclared_write_in_label.as_deref() == Some(id_text.as_str()) {
                        canvass_model::Choice::UndeclaredWriteIn
                    } else {
                        options.classify(cand_name)
                    }
                }
            };
            marks.push(CvrMark { rank, choice });
        }
        contests.push(CvrContest {
            contest: contest_key,
            marks,
        });
    }
    if contests.is_empty() && options.contest_id.as_deref().is_some_and(|c| !c.is_empty()) {
        return Ok(None);
    }
    Ok(Some(CastVoteRecord {
        id: format!("{}-{}-{}", tabulator, s.batch_id.text(), s.record_id.text()),
        precinct,
        ballot_style,
        batch: Some(s.batch_id.text()),
        tabulator: Some(tabulator),
        counting_group,
        contests,
    }))
}
