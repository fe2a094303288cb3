//! Reading results and cast vote records in every input format `canvass tally`,
//! `canvass import` and `canvass convert` accept: one loader, which lists every name in the
//! input that matches nothing in the election definition (never guessing one).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use canvass_formats::medsl::{self, Aliases, Returns};
use canvass_formats::{Provider, SourceOptions, SourceSpec, err, precinct_csv, read_source};
use canvass_model::{Election, PrecinctResult};
use canvass_tally::cvr::CvrCounter;
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// An input format.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// canvass's precinct-results CSV.
    CanvassCsv,
    /// NIST SP 1500-103 cast vote records, JSON.
    NistCvrJson,
    /// NIST SP 1500-103 cast vote records, XML.
    NistCvrXml,
    /// Dominion CvrExport*.json with manifests (folder or .zip).
    Dominion,
    /// ES&S CVR spreadsheet (.xlsx).
    Ess,
    /// ES&S CVR exported as CSV.
    EssCsv,
    /// Hart Verity CVR XML (folder or .zip).
    Hart,
    /// Clear Ballot CSV.
    ClearBallot,
    /// RCTab's generic CSV.
    GenericCsv,
    /// NIST SP 1500-100 v2 election results, JSON.
    NistErr,
    /// NIST SP 1500-100 v2 election results, XML.
    NistErrXml,
    /// MEDSL/OpenElections precinct returns CSV.
    Medsl,
}

impl InputFormat {
    /// The cast vote record reader, for CVR formats.
    pub fn provider(self) -> Option<Provider> {
        Some(match self {
            InputFormat::NistCvrJson => Provider::NistJson,
            InputFormat::NistCvrXml => Provider::NistXml,
            InputFormat::Dominion => Provider::Dominion,
            InputFormat::Ess => Provider::EssXlsx,
            InputFormat::EssCsv => Provider::EssCsv,
            InputFormat::Hart => Provider::Hart,
            InputFormat::ClearBallot => Provider::ClearBallot,
            InputFormat::GenericCsv => Provider::GenericCsv,
            _ => return None,
        })
    }
}

/// One name in the input that matches nothing in the definition.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Unmatched {
    /// `contest`, `selection`, `choice`, `candidate`, `precinct` or `mode`.
    pub kind: &'static str,
    /// The name as the input gives it, with its contest or county where that helps.
    pub name: String,
    /// Ballots (contests, precincts) or marks (choices) that carried it, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

impl std::fmt::Display for Unmatched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unmatched {}: {}", self.kind, self.name)?;
        let unit = match self.kind {
            "choice" => "marks",
            "selection" => "votes",
            _ => "ballots",
        };
        match self.count {
            Some(n) => write!(f, " ({n} {unit})"),
            None => Ok(()),
        }
    }
}

/// Why loading stopped.
pub enum LoadError {
    /// The command line does not make sense (exit 2).
    Usage(String),
    /// The input is invalid (exit 1).
    Invalid(String),
}

impl From<canvass_formats::FormatError> for LoadError {
    fn from(e: canvass_formats::FormatError) -> Self {
        LoadError::Invalid(e.to_string())
    }
}

/// The definition: a built-in name or file, or none (MEDSL only: inferred).
pub enum Definition<'a> {
    /// Load this built-in election or definition file.
    Named(&'a str),
    /// Infer one from MEDSL returns.
    Infer,
}

/// Everything read from the inputs.
pub struct Loaded {
    /// The definition the counts are mapped to (inferred for MEDSL without one).
    pub election: Election,
    /// Contests left out of an inferred definition (write-ins only).
    pub left_out: Vec<String>,
    /// Counts per precinct (or county reported whole) and counting group. Counts of
    /// unmatched names and unknown precincts are not in them.
    pub reports: Vec<PrecinctResult>,
    /// Every unmatched name, unknown precinct and unknown vote mode.
    pub unmatched: Vec<Unmatched>,
    /// Records read: cast vote records, or counts (contest ballots and selection votes
    /// per report; MEDSL: counts after the mode rule).
    pub records: u64,
    /// Cast vote records read (0 for precinct-level inputs).
    pub ballots: u64,
    /// Warnings and notes to show on stderr.
    pub notes: Vec<String>,
}

/// A spinner on stderr counting `what` per second; hidden when `quiet` (indicatif also
/// hides it when stderr is not a terminal).
pub fn progress(quiet: bool, what: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {pos} {msg} ({per_sec}) {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(what.to_owned());
    pb
}

/// A reader that advances a progress bar by the lines it reads.
struct LineProgress<R> {
    inner: R,
    pb: ProgressBar,
}

impl<R: Read> Read for LineProgress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let lines = buf[..n].iter().filter(|&&b| b == b'\n').count();
        self.pb.inc(lines as u64);
        Ok(n)
    }
}

fn open(path: &Path, pb: &ProgressBar) -> Result<LineProgress<BufReader<File>>, LoadError> {
    let f = File::open(path).map_err(|e| {
        LoadError::Invalid(format!(
            "cannot read {}: {e}; check the path",
            path.display()
        ))
    })?;
    Ok(LineProgress {
        inner: BufReader::new(f),
        pb: pb.clone(),
    })
}

/// Reads an aliases file (TOML, see `canvass_formats::medsl::Aliases`).
///
/// # Errors
/// [`LoadError::Invalid`] if it cannot be read or parsed.
pub fn read_aliases(path: Option<&Path>) -> Result<Aliases, LoadError> {
    let Some(p) = path else {
        return Ok(Aliases::default());
    };
    let text = std::fs::read_to_string(p)
        .map_err(|e| LoadError::Invalid(format!("cannot read {}: {e}", p.display())))?;
    Ok(Aliases::from_toml(&text, &p.display().to_string())?)
}

fn definition(d: Definition<'_>) -> Result<Option<Election>, LoadError> {
    match d {
        Definition::Named(name) => crate::cmd::election::load(name)
            .map(Some)
            .map_err(|_| LoadError::Invalid(format!("cannot load election {name}"))),
        Definition::Infer => Ok(None),
    }
}

/// MEDSL returns mapped to a definition (or to one inferred from them, with the contests
/// left out of it): the one code path of `canvass convert`, `canvass tally` and
/// `canvass import` for MEDSL.
pub fn medsl_mapped(
    returns: &Returns,
    input: &Path,
    e: Option<Election>,
    aliases: &Aliases,
) -> (Election, Vec<String>, medsl::Mapped) {
    let mut aliases = aliases.clone();
    let (e, left_out) = match e {
        Some(e) => (e, Vec::new()),
        None => {
            let stem = input
                .file_stem()
                .map_or("returns".into(), |s| s.to_string_lossy().into_owned());
            let inferred = medsl::infer(
                returns,
                &stem,
                &format!("inferred from {}", input.display()),
                "1970-01-01",
            );
            aliases.ignore_contests.extend(inferred.left_out.clone());
            (inferred.election, inferred.left_out)
        }
    };
    let mapped = medsl::map(returns, &e, &aliases);
    (e, left_out, mapped)
}

/// [`load`], then the shared reporting of `tally` and `import`: notes and every unmatched name
/// go to stderr, and unmatched names fail the command unless `allow_unmatched`; `consequence`
/// (e.g. `"; nothing written"`) is added to that failure's message.
///
/// # Errors
/// The exit code to return: 2 for a usage error, 1 for invalid input or unmatched names.
pub fn load_reported(
    format: InputFormat,
    inputs: &[PathBuf],
    def: Definition<'_>,
    aliases: Option<&Path>,
    quiet: bool,
    allow_unmatched: bool,
    consequence: &str,
) -> Result<Loaded, std::process::ExitCode> {
    let loaded = match load(format, inputs, def, aliases, quiet) {
        Ok(l) => l,
        Err(LoadError::Usage(m)) => {
            eprintln!("error: {m}");
            return Err(std::process::ExitCode::from(2));
        }
        Err(LoadError::Invalid(m)) => return Err(crate::cmd::fail(&m)),
    };
    for n in &loaded.notes {
        eprintln!("{n}");
    }
    for u in &loaded.unmatched {
        eprintln!("{u}");
    }
    if !loaded.unmatched.is_empty() && !allow_unmatched {
        return Err(crate::cmd::fail(&format!(
            "{} name(s) or precinct(s) match nothing in the definition (listed above){consequence}: add them to the definition (ids or names) or an --aliases file, or pass --allow-unmatched to leave their counts out",
            loaded.unmatched.len()
        )));
    }
    Ok(loaded)
}

/// Reads `inputs` in `format` and maps them onto the definition, listing every unmatched
/// name and unknown precinct in [`Loaded::unmatched`] (their counts are left out).
///
/// # Errors
/// [`LoadError::Usage`] for a definition the format cannot do without; [`LoadError::Invalid`]
/// for unreadable or invalid input (the first error; readers reject a file whole).
pub fn load(
    format: InputFormat,
    inputs: &[PathBuf],
    def: Definition<'_>,
    aliases: Option<&Path>,
    quiet: bool,
) -> Result<Loaded, LoadError> {
    let e = definition(def)?;
    let Some(e) = e else {
        if format != InputFormat::Medsl {
            return Err(LoadError::Usage(
                "--election NAME|FILE is needed (only --format medsl can infer a definition)"
                    .into(),
            ));
        }
        if inputs.len() != 1 {
            return Err(LoadError::Usage(
                "without --election, give exactly one MEDSL returns file to infer the definition from".into(),
            ));
        }
        return load_medsl(inputs, None, aliases, quiet);
    };
    let mut out = Loaded {
        election: e,
        left_out: Vec::new(),
        reports: Vec::new(),
        unmatched: Vec::new(),
        records: 0,
        ballots: 0,
        notes: Vec::new(),
    };
    if let Some(provider) = format.provider() {
        load_cvrs(&mut out, provider, inputs, quiet)?;
    } else if format == InputFormat::Medsl {
        return load_medsl(inputs, Some(out.election), aliases, quiet);
    } else {
        let pb = progress(quiet, "lines");
        for path in inputs {
            let name = path.display().to_string();
            let r = open(path, &pb)?;
            let mut reports = match format {
                InputFormat::NistErr => err::read_json(r, &name, &out.election)?,
                InputFormat::NistErrXml => err::read_xml(r, &name, &out.election)?,
                _ => precinct_csv::read(r, &name)?,
            };
            out.records += reports
                .iter()
                .flat_map(|r| &r.contests)
                .map(|c| 1 + c.votes.len() as u64)
                .sum::<u64>();
            out.reports.append(&mut reports);
        }
        pb.finish_and_clear();
    }
    check_ids(&mut out);
    Ok(out)
}

fn load_cvrs(
    out: &mut Loaded,
    provider: Provider,
    inputs: &[PathBuf],
    quiet: bool,
) -> Result<(), LoadError> {
    const NO_PRECINCT: &str = "(no precinct)";
    let mut counter = CvrCounter::new(&out.election, NO_PRECINCT);
    let pb = progress(quiet, "ballots");
    let mut ballots = 0u64;
    for path in inputs {
        let spec = SourceSpec {
            provider,
            path: path.clone(),
            options: SourceOptions::default(),
        };
        read_source(&spec, &mut |r| {
            counter.add(&r);
            ballots += 1;
            pb.inc(1);
            Ok(())
        })?;
    }
    pb.finish_and_clear();
    let (reports, unmatched) = counter.finish();
    for (c, n) in unmatched.contests {
        out.unmatched.push(Unmatched {
            kind: "contest",
            name: c,
            count: Some(n),
        });
    }
    for ((c, s), n) in unmatched.choices {
        out.unmatched.push(Unmatched {
            kind: "choice",
            name: format!("{s} (contest {c})"),
            count: Some(n),
        });
    }
    out.ballots = ballots;
    out.records = ballots;
    out.reports = reports;
    Ok(())
}

fn load_medsl(
    inputs: &[PathBuf],
    e: Option<Election>,
    aliases: Option<&Path>,
    quiet: bool,
) -> Result<Loaded, LoadError> {
    let aliases = read_aliases(aliases)?;
    let pb = progress(quiet, "rows");
    let mut out: Option<Loaded> = None;
    for path in inputs {
        let name = path.display().to_string();
        let returns = medsl::read(open(path, &pb)?, &name)?;
        let known = out
            .as_ref()
            .map(|o| o.election.clone())
            .or_else(|| e.clone());
        let (election, left_out, mapped) = medsl_mapped(&returns, path, known, &aliases);
        let o = out.get_or_insert_with(|| Loaded {
            election,
            left_out: Vec::new(),
            reports: Vec::new(),
            unmatched: Vec::new(),
            records: 0,
            ballots: 0,
            notes: Vec::new(),
        });
        o.left_out.extend(left_out);
        o.records += returns.counts.len() as u64;
        o.notes.extend(
            returns
                .flags
                .iter()
                .map(|f| format!("warning: {name}: {f}")),
        );
        o.notes.extend(
            mapped
                .ignored
                .iter()
                .map(|c| format!("note: ignored contest {c} (ignore_contests)")),
        );
        for (kind, names) in [
            ("contest", &mapped.unmatched.contests),
            ("candidate", &mapped.unmatched.candidates),
            ("precinct", &mapped.unmatched.precincts),
            ("mode", &mapped.unmatched.modes),
        ] {
            o.unmatched.extend(names.iter().map(|n| Unmatched {
                kind,
                name: n.clone(),
                count: None,
            }));
        }
        o.reports.extend(mapped.results);
    }
    pb.finish_and_clear();
    let mut out = out.ok_or_else(|| LoadError::Usage("no input files".into()))?;
    for c in &out.left_out {
        out.notes.push(format!(
            "note: contest {c} left out of the inferred definition: no candidate on the ballot"
        ));
    }
    check_ids(&mut out);
    Ok(out)
}

/// Lists (and drops) reports of precincts the definition does not have, and counts of
/// contests and selections it does not have. A reporting unit is a precinct id or, for a
/// county that reports whole, a county FIPS code.
fn check_ids(out: &mut Loaded) {
    let e = &out.election;
    // Lookups by id: a linear search per report would make a large file quadratic.
    let units: std::collections::HashSet<&str> = (e.precincts.iter().map(|x| x.id.as_str()))
        .chain(e.counties.iter().map(|c| c.fips.as_str()))
        .collect();
    let contest_of: std::collections::HashMap<&str, &canvass_model::Contest> =
        e.contests.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut unknown: std::collections::BTreeMap<String, u64> = Default::default();
    let mut bad: Vec<Unmatched> = Vec::new();
    out.reports.retain_mut(|r| {
        let p = r.precinct.as_str();
        let known = units.contains(p);
        if !known {
            let ballots = r.contests.iter().map(|c| c.ballots).max().unwrap_or(0);
            *unknown.entry(p.to_string()).or_default() += ballots;
            return false;
        }
        r.contests.retain_mut(|c| {
            let Some(&dc) = contest_of.get(c.contest.as_str()) else {
                bad.push(Unmatched {
                    kind: "contest",
                    name: format!("{} (precinct {p})", c.contest),
                    count: Some(c.ballots),
                });
                return false;
            };
            c.votes.retain(|v| {
                let ok = dc.selections.iter().any(|s| s.id == v.selection);
                if !ok {
                    bad.push(Unmatched {
                        kind: "selection",
                        name: format!("{} (contest {}, precinct {p})", v.selection, c.contest),
                        count: Some(v.votes),
                    });
                }
                ok
            });
            true
        });
        true
    });
    out.unmatched
        .extend(unknown.into_iter().map(|(name, n)| Unmatched {
            kind: "precinct",
            name,
            count: Some(n),
        }));
    out.unmatched.extend(bad);
}
