//! NIST SP 1500-103 CVR JSON reader, streaming one `CVR` element at a time.
//!
//! `Election` and `GpUnit` are needed to resolve a CVR's references. When they come before
//! `CVR` in the file the read is one pass; otherwise (RCTab writes `CVR` first) the file is
//! read twice: once for the definitions, skipping CVRs without keeping them, once for CVRs.

use serde::Deserialize;

use super::fast::Scratch;
use super::{Definitions, RawCvr, RawElection, RawNamed};
use crate::error::{FormatError, Location, Result};
use crate::jsonscan::{Element, JsonScanner};
use crate::source::{Input, ReadStats, Sink, SourceOptions};

/// Parses one JSON value, naming the JSON path of the first bad field on error.
pub(crate) fn parse_value<'a, T: Deserialize<'a>>(
    file: &str,
    location: Location,
    top_field: &str,
    bytes: &'a [u8],
) -> Result<T> {
    match serde_json::from_slice::<T>(bytes) {
        Ok(v) => Ok(v),
        Err(first) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let (path, msg) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => (e.path().to_string(), e.into_inner().to_string()),
                Ok(_) => (String::from("."), first.to_string()),
            };
            let field = if path == "." {
                top_field.to_string()
            } else {
                format!("{top_field}.{path}")
            };
            Err(FormatError::invalid(
                file,
                location,
                field,
                format!("valid JSON of the right type ({msg})"),
            ))
        }
    }
}

/// Reads a NIST SP 1500-103 CVR JSON file, handing each CVR to `sink`.
///
/// # Errors
/// [`FormatError`] for unreadable or invalid input (naming the file, the record number and
/// the JSON path of the field), or an error from `sink`.
pub fn read(input: &Input, options: &SourceOptions, sink: &mut Sink<'_>) -> Result<ReadStats> {
    let file = input.name();
    let mut elections: Option<Vec<RawElection>> = None;
    let mut gp_units: Vec<RawNamed> = Vec::new();
    let mut defs: Option<Definitions> = None;
    let mut stats = ReadStats {
        files: 1,
        ..ReadStats::default()
    };
    let mut cvr_seen = false;
    let mut deferred = false;

    let mut scanner = JsonScanner::new(input.open()?, file.clone());
    scanner.begin_object()?;
    while let Some(key) = scanner.next_key()? {
        match key.as_str() {
            "Election" => {
                let (off, bytes) = scanner.value("Election")?;
                elections = Some(parse_value(
                    &file,
                    Location::Offset(off),
                    "Election",
                    bytes,
                )?);
            }
            "GpUnit" => {
                let (off, bytes) = scanner.value("GpUnit")?;
                gp_units = parse_value(&file, Location::Offset(off), "GpUnit", bytes)?;
            }
            "CVR" if cvr_seen => {
                return Err(FormatError::invalid(
                    &file,
                    Location::Offset(scanner.offset()),
                    "CVR",
                    "one CVR array; found a second",
                ));
            }
            "CVR" => {
                cvr_seen = true;
                if elections.is_some() {
                    let d = Definitions::build(
                        &file,
                        elections.as_deref().unwrap_or(&[]),
                        &gp_units,
                        options,
                    )?;
                    stream_cvrs(&mut scanner, &d, options, sink, &mut stats)?;
                    defs = Some(d);
                } else {
                    deferred = true;
                    scanner.skip_value("CVR")?;
                }
            }
            other => scanner.skip_value(other)?,
        }
    }
    if defs.is_some() && !deferred {
        return Ok(stats);
    }
    let Some(elections) = elections else {
        return Err(FormatError::invalid(
            &file,
            Location::File,
            "Election",
            "an Election array defining contests and candidates; it is missing",
        ));
    };
    if !deferred {
        // A report with no CVR array holds no ballots.
        return Ok(stats);
    }
    let d = Definitions::build(&file, &elections, &gp_units, options)?;
    let mut scanner = JsonScanner::new(input.open()?, file.clone());
    scanner.begin_object()?;
    while let Some(key) = scanner.next_key()? {
        if key == "CVR" {
            stream_cvrs(&mut scanner, &d, options, sink, &mut stats)?;
        } else {
            scanner.skip_value(&key)?;
        }
    }
    Ok(stats)
}

fn stream_cvrs<R: std::io::Read>(
    scanner: &mut JsonScanner<R>,
    defs: &Definitions,
    options: &SourceOptions,
    sink: &mut Sink<'_>,
    stats: &mut ReadStats,
) -> Result<()> {
    if !scanner.begin_array("CVR")? {
        return Ok(());
    }
    let file = scanner.file().to_string();
    let mut index = 0u64;
    let mut scratch = Scratch::default();
    while let Some(element) = scanner.next_element_with("CVR", |b| {
        defs.resolve_fast(&file, index + 1, b, options, &mut scratch)
    })? {
        index += 1;
        let record = match element {
            Element::Read(record) => record,
            Element::Bytes(offset, bytes) => {
                match defs.resolve_fast(&file, index, bytes, options, &mut scratch) {
                    Some((len, record)) if len == bytes.len() => record,
                    _ => {
                        // Not plainly valid: serde_json and `resolve` give the result or
                        // the error.
                        let location = Location::Record {
                            index,
                            offset: Some(offset),
                        };
                        let raw: RawCvr = parse_value(&file, location.clone(), "CVR", bytes)?;
                        defs.resolve(&file, location, index, raw, options)?
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
    Ok(())
}
