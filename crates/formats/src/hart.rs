//! Hart InterCivic Verity CVRs: one XML file per ballot (sheet), in a folder, in
//! `CVRArchive_*.zip` archives, or both.
//!
//! Spec: "Verity Cast Vote Record (CVR) Structure" (`../shared/reference/formats/hart-verity-cvr-structure.pdf`).
//!
//! ```text
//! <Cvr xmlns="http://tempuri.org/CVRDesign.xsd"><Contests><Contest><Name>MAYOR</Name><Id>b651...</Id>
//!   <Options><Option><Name>Jane Doe</Name><Id>621f...</Id><Value>0100</Value></Option></Options>
//! </Contest></Contests><BatchNumber>1</BatchNumber>
//! <PrecinctSplit><Name>PRC1-PRC1</Name><Id>1e92...</Id></PrecinctSplit><CvrGuid>0e4c...</CvrGuid></Cvr>
//! ```
//!
//! `Value` is read left to right, one digit per rank: `0100` is a mark at rank 2, `0101`
//! marks ranks 2 and 4, and a plurality mark is `1`. Contests and choices are reported by
//! `Id` (as RCTab does) or by `Name` ([`Key`]); with [`Key::Name`] a write-in without a name
//! uses its resolved `WriteInData/Text`, or is an undeclared write-in. Signature files
//! (`*.sig.xml`) are not read or checked. Files are read in name order.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use canvass_model::{CastVoteRecord, Choice, CvrContest, CvrMark};

use crate::error::{FormatError, Location, Result};
use crate::limits::{MAX_BALLOT_FILE_BYTES, MAX_FILES, MAX_RANK};
use crate::source::{Key, ReadStats, Sink, SourceOptions};
use crate::xmltree::parse_document;

fn is_cvr_xml(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l.ends_with(".xml") && !l.ends_with(".sig.xml")
}

fn read_capped(r: impl Read, file: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(MAX_BALLOT_FILE_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| FormatError::io(file, e))?;
    if buf.len() as u64 > MAX_BALLOT_FILE_BYTES {
        return Err(FormatError::invalid(
            file,
            Location::File,
            "Cvr",
            format!("one ballot's CVR of at most {MAX_BALLOT_FILE_BYTES} bytes"),
        ));
    }
    Ok(buf)
}

/// Reads every Hart CVR in a folder (XML files and zip archives) or in one zip archive.
///
/// # Errors
/// [`FormatError`] for unreadable files or archives, malformed XML (naming the file and
/// element), a `Value` that is not a string of `0`/`1` digits, or an error from `sink`.
pub fn read_path(path: &Path, options: &SourceOptions, sink: &mut Sink<'_>) -> Result<ReadStats> {
    let display = path.display().to_string();
    let mut stats = ReadStats::default();
    if !path.is_dir() {
        read_zip(path, options, sink, &mut stats)?;
        return Ok(stats);
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| FormatError::io(&display, e))? {
        let entry = entry.map_err(|e| FormatError::io(&display, e))?;
        names.push(entry.path());
        if names.len() > MAX_FILES {
            return Err(FormatError::Options {
                file: display,
                message: format!("more than {MAX_FILES} files"),
            });
        }
    }
    names.sort();
    for p in names {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let shown = p.display().to_string();
        if is_cvr_xml(&name) {
            let f = File::open(&p).map_err(|e| FormatError::io(&shown, e))?;
            let bytes = read_capped(f, &shown)?;
            read_ballot(&bytes, &shown, options, sink, &mut stats)?;
        } else if name.to_ascii_lowercase().ends_with(".zip") {
            read_zip(&p, options, sink, &mut stats)?;
        }
    }
    if stats.files == 0 {
        return Err(FormatError::invalid(
            &display,
            Location::File,
            "(folder)",
            "Hart CVR XML files or CVR archives (.zip) in the folder; found none",
        ));
    }
    Ok(stats)
}

fn read_zip(
    path: &Path,
    options: &SourceOptions,
    sink: &mut Sink<'_>,
    stats: &mut ReadStats,
) -> Result<()> {
    let display = path.display().to_string();
    let mut zip = crate::archive::open(path)?;
    let mut entries: Vec<(String, usize)> = (0..zip.len())
        .filter_map(|i| zip.name_for_index(i).map(|n| (n.to_string(), i)))
        .filter(|(n, _)| is_cvr_xml(n))
        .collect();
    entries.sort();
    for (name, i) in entries {
        let shown = format!("{display}!{name}");
        let entry = zip.by_index(i)?;
        let bytes = read_capped(entry, &shown)?;
        read_ballot(&bytes, &shown, options, sink, stats)?;
    }
    Ok(())
}

/// Reads one Hart CVR XML document (one ballot sheet).
///
/// # Errors
/// As [`read_path`].
pub fn read_ballot(
    bytes: &[u8],
    file: &str,
    options: &SourceOptions,
    sink: &mut Sink<'_>,
    stats: &mut ReadStats,
) -> Result<()> {
    stats.files += 1;
    let bad =
        |field: &str, expected: String| FormatError::invalid(file, Location::File, field, expected);
    let root = parse_document(bytes, file)?;
    if root.name != "Cvr" {
        return Err(bad(
            "(root)",
            format!("a Cvr element; found `{}`", root.name),
        ));
    }
    let Some(guid) = root.child_text("CvrGuid").filter(|g| !g.is_empty()) else {
        return Err(bad("CvrGuid", "the CVR's GUID; it is missing".into()));
    };
    let mut contests = Vec::new();
    for c in root
        .child("Contests")
        .into_iter()
        .flat_map(|cs| cs.children("Contest"))
    {
        let key = match options.key {
            Key::Id => c.child_text("Id"),
            Key::Name => c.child_text("Name"),
        };
        let Some(key) = key else {
            return Err(bad(
                "Contest/Id",
                "an Id and a Name in every Contest".into(),
            ));
        };
        if !options.wants_contest(key) {
            continue;
        }
        let mut marks = Vec::new();
        for o in c
            .child("Options")
            .into_iter()
            .flat_map(|os| os.children("Option"))
        {
            let id = o.child_text("Id").unwrap_or("");
            let name = o.child_text("Name").unwrap_or("");
            let choice = if options
                .undeclared_write_in_label
                .as_deref()
                .is_some_and(|l| !l.is_empty() && l == id)
            {
                Choice::UndeclaredWriteIn
            } else {
                match options.key {
                    Key::Id if id.is_empty() => {
                        return Err(bad("Option/Id", "an Id in every Option".into()));
                    }
                    Key::Id => options.classify(id),
                    Key::Name if !name.is_empty() => options.classify(name),
                    Key::Name => match o
                        .child("WriteInData")
                        .and_then(|w| w.child_text("Text"))
                        .filter(|t| !t.is_empty())
                    {
                        Some(text) => options.classify(text),
                        None => Choice::UndeclaredWriteIn,
                    },
                }
            };
            let value = o.child_text("Value").unwrap_or("");
            if value.is_empty()
                || value.len() > MAX_RANK as usize
                || !value.bytes().all(|b| b == b'0' || b == b'1')
            {
                return Err(bad(
                    "Option/Value",
                    format!(
                        "one `0` or `1` per rank (at most {MAX_RANK}); found `{value}` in contest {key}"
                    ),
                ));
            }
            for (i, b) in value.bytes().enumerate() {
                if b == b'1' {
                    // i < value.len() <= MAX_RANK, so it fits in u32.
                    marks.push(CvrMark {
                        rank: i as u32 + 1,
                        choice: choice.clone(),
                    });
                }
            }
        }
        marks.sort_by_key(|m| m.rank);
        contests.push(CvrContest {
            contest: key.to_string(),
            marks,
        });
    }
    if contests.is_empty() && options.contest_id.as_deref().is_some_and(|c| !c.is_empty()) {
        stats.skipped += 1;
        return Ok(());
    }
    stats.records += 1;
    sink(CastVoteRecord {
        id: guid.to_string(),
        precinct: root
            .child("PrecinctSplit")
            .and_then(|p| p.child_text("Name"))
            .map(str::to_string),
        ballot_style: None,
        batch: root.child_text("BatchNumber").map(str::to_string),
        tabulator: root.child_text("DeviceSerialNumber").map(str::to_string),
        counting_group: None,
        contests,
    })
}
