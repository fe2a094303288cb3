//! `canvass convert`: from one file format to another, all or nothing.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use canvass_formats::err::{self, ErrOptions};
use canvass_formats::medsl;
use canvass_formats::nist::writer::{NistJsonWriter, WriterOptions};
use canvass_formats::{
    FormatError, Provider, SourceOptions, SourceSpec, precinct_csv, read_source,
};
use canvass_model::{Election, PrecinctResult};
use canvass_tally::{ReportOptions, Tabulator, results};
use clap::{Args, ValueEnum};

use crate::cmd::election::load;
use crate::cmd::fail;
use crate::cmd::inputs::{LoadError, medsl_mapped, read_aliases};

/// Convert results or cast vote records between formats.
#[derive(Args)]
#[command(after_help = "Conversions:
  cast vote records   nist-cvr-json, nist-cvr-xml, dominion, ess, ess-csv, hart, clear-ballot,
                      generic-csv  ->  nist-cvr-json (NIST SP 1500-103)
  precinct results    canvass-csv, nist-err (NIST SP 1500-100 v2 JSON), nist-err-xml (its XML)
                      -> any other of the three (needs --election)
                      medsl -> canvass-csv, nist-err or nist-err-xml (MEDSL/OpenElections returns)
MEDSL returns are matched to --election by names, ids and --aliases; every unmatched name is
listed and nothing is written. Without --election a definition is inferred from the returns
and written to --write-definition.

OUT is written to a temporary file and renamed into place only when the whole input
converted: an invalid input never leaves OUT half-written.

Exit status: 0 ok, 1 invalid input, 2 usage.

Examples:
  canvass convert --from dominion --to nist-cvr-json CvrExport.zip cvr.json
  canvass convert --from canvass-csv --to nist-err --election us-2020 returns.csv results.json
  canvass convert --from nist-err --to canvass-csv --election us-2020 results.json returns.csv
  canvass convert --from nist-err-xml --to canvass-csv --election us-2020 results.xml returns.csv
  canvass convert --from medsl --to canvass-csv --write-definition dc.json dc24.csv returns.csv
  canvass convert --from medsl --to canvass-csv --election us-2024 --aliases aliases.toml dc24.csv returns.csv")]
pub struct ConvertArgs {
    /// The input format.
    #[arg(long, value_enum)]
    from: Format,
    /// The output format.
    #[arg(long, value_enum)]
    to: Format,
    /// The input file (or folder/zip for dominion and hart).
    input: PathBuf,
    /// The output file.
    output: PathBuf,
    /// A built-in election name or a definition file (results conversions).
    #[arg(long)]
    election: Option<String>,
    /// MEDSL: an aliases file (TOML) mapping names in the returns to definition ids.
    #[arg(long)]
    aliases: Option<PathBuf>,
    /// MEDSL without --election: where to write the inferred definition (JSON).
    #[arg(long)]
    write_definition: Option<PathBuf>,
    /// Cast vote records: keep only this contest (RCTab `contestId`).
    #[arg(long)]
    contest: Option<String>,
    /// ES&S / generic CSV: 1-based column of the first ranking.
    #[arg(long)]
    first_vote_column: Option<u32>,
    /// ES&S / generic CSV: 1-based row of the first ballot.
    #[arg(long)]
    first_vote_row: Option<u32>,
    /// ES&S / generic CSV: 1-based column of the ballot id.
    #[arg(long)]
    id_column: Option<u32>,
    /// ES&S / generic CSV: 1-based column of the precinct.
    #[arg(long)]
    precinct_column: Option<u32>,
    /// The choice text that marks an overvote in the input.
    #[arg(long)]
    overvote_label: Option<String>,
    /// The choice text that marks an undervote or skipped rank in the input.
    #[arg(long)]
    undervote_label: Option<String>,
    /// `GeneratedDate` written into NIST reports (ISO 8601 with zone).
    #[arg(long, default_value = "1970-01-01T00:00:00Z")]
    generated_date: String,
    /// `Issuer` of a NIST SP 1500-100 report.
    #[arg(long, default_value = "canvass")]
    issuer: String,
}

/// A file format.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
enum Format {
    CanvassCsv,
    NistErr,
    NistErrXml,
    Medsl,
    NistCvrJson,
    NistCvrXml,
    Dominion,
    Ess,
    EssCsv,
    Hart,
    ClearBallot,
    GenericCsv,
}

impl Format {
    fn describe(self) -> &'static str {
        match self {
            Format::CanvassCsv => "canvass CSV",
            Format::NistErr => "NIST SP 1500-100 JSON",
            Format::NistErrXml => "NIST SP 1500-100 XML",
            _ => "NIST SP 1500-103 JSON",
        }
    }

    fn provider(self) -> Option<Provider> {
        Some(match self {
            Format::NistCvrJson => Provider::NistJson,
            Format::NistCvrXml => Provider::NistXml,
            Format::Dominion => Provider::Dominion,
            Format::Ess => Provider::EssXlsx,
            Format::EssCsv => Provider::EssCsv,
            Format::Hart => Provider::Hart,
            Format::ClearBallot => Provider::ClearBallot,
            Format::GenericCsv => Provider::GenericCsv,
            _ => return None,
        })
    }
}

/// Why a conversion stopped.
enum Failure {
    Usage(String),
    Invalid(String),
}

impl From<FormatError> for Failure {
    fn from(e: FormatError) -> Self {
        Failure::Invalid(e.to_string())
    }
}

impl From<LoadError> for Failure {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Usage(m) => Failure::Usage(m),
            LoadError::Invalid(m) => Failure::Invalid(m),
        }
    }
}

/// Runs `canvass convert`.
pub fn run(args: ConvertArgs) -> ExitCode {
    match convert(&args) {
        Ok(summary) => {
            outln!("{summary}");
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Invalid(m)) => fail(&m),
    }
}

fn election(args: &ConvertArgs) -> Result<Election, Failure> {
    let Some(name) = &args.election else {
        return Err(Failure::Usage(format!(
            "--from {:?} --to {:?} needs --election NAME|FILE",
            args.from, args.to
        )));
    };
    load(name).map_err(|_| Failure::Invalid(format!("cannot load election {name}")))
}

/// Writes `OUT` through a temporary file in the same folder, renamed into place on success.
fn write_atomically(
    out: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = out.with_file_name(format!(".{name}.canvass-tmp-{}", std::process::id()));
    let file = File::create(&tmp)
        .map_err(|e| Failure::Invalid(format!("cannot create {}: {e}", tmp.display())))?;
    let mut w = BufWriter::new(file);
    let result = body(&mut w).and_then(|()| {
        let f = w
            .into_inner()
            .map_err(|e| Failure::Invalid(format!("cannot write {}: {e}", out.display())))?;
        f.sync_all()
            .map_err(|e| Failure::Invalid(format!("cannot write {}: {e}", out.display())))
    });
    match result {
        Ok(()) => std::fs::rename(&tmp, out)
            .map_err(|e| Failure::Invalid(format!("cannot rename into {}: {e}", out.display()))),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn open(path: &Path) -> Result<BufReader<File>, Failure> {
    File::open(path).map(BufReader::new).map_err(|e| {
        Failure::Invalid(format!(
            "cannot read {}: {e}; check the path",
            path.display()
        ))
    })
}

fn convert(args: &ConvertArgs) -> Result<String, Failure> {
    let input = args.input.display().to_string();
    let output = args.output.display().to_string();
    if let (Some(provider), Format::NistCvrJson) = (args.from.provider(), args.to) {
        return cvr_to_nist(args, provider);
    }
    match (args.from, args.to) {
        (
            from @ (Format::CanvassCsv | Format::NistErr | Format::NistErrXml),
            to @ (Format::CanvassCsv | Format::NistErr | Format::NistErrXml),
        ) if from != to => {
            let e = election(args)?;
            let reports = match from {
                Format::CanvassCsv => precinct_csv::read(open(&args.input)?, &input)?,
                Format::NistErr => err::read_json(open(&args.input)?, &input, &e)?,
                _ => err::read_xml(open(&args.input)?, &input, &e)?,
            };
            write_results(args, &e, &reports)?;
            Ok(format!(
                "converted {} precinct reports from {input} to {} {output}",
                reports.len(),
                to.describe()
            ))
        }
        (Format::Medsl, Format::CanvassCsv | Format::NistErr | Format::NistErrXml) => {
            let returns = medsl::read(open(&args.input)?, &input)?;
            for f in &returns.flags {
                eprintln!("warning: {input}: {f}");
            }
            let known = match &args.election {
                Some(_) => Some(election(args)?),
                None if args.write_definition.is_none() => {
                    return Err(Failure::Usage(
                        "--from medsl without --election needs --write-definition FILE for the inferred definition".into(),
                    ));
                }
                None => None,
            };
            let inferring = known.is_none();
            let aliases = read_aliases(args.aliases.as_deref()).map_err(Failure::from)?;
            let (e, left_out, mapped) = medsl_mapped(&returns, &args.input, known, &aliases);
            for c in &left_out {
                eprintln!(
                    "note: contest {c} left out of the inferred definition: no candidate on the ballot"
                );
            }
            if let (true, Some(def)) = (inferring, &args.write_definition) {
                write_atomically(def, |w| {
                    w.write_all(canvass_model::to_json_pretty(&e).as_bytes())
                        .map_err(|err| {
                            Failure::Invalid(format!("cannot write {}: {err}", def.display()))
                        })
                })?;
            }
            for c in &mapped.ignored {
                eprintln!("note: ignored contest {c} (ignore_contests)");
            }
            let reports = mapped.into_results(&input)?;
            write_results(args, &e, &reports)?;
            Ok(format!(
                "converted {} reports of {} contests from {input} to {output}",
                reports.len(),
                returns.contests.len()
            ))
        }
        (from, to) => Err(Failure::Usage(format!(
            "cannot convert {from:?} to {to:?}: see `canvass convert --help` for the conversions"
        ))),
    }
}

fn write_results(
    args: &ConvertArgs,
    e: &Election,
    reports: &[PrecinctResult],
) -> Result<(), Failure> {
    match args.to {
        Format::CanvassCsv => write_csv(args, reports),
        _ => write_err(args, e, reports),
    }
}

fn write_csv(args: &ConvertArgs, reports: &[PrecinctResult]) -> Result<(), Failure> {
    let output = args.output.display().to_string();
    write_atomically(&args.output, |w| {
        Ok(precinct_csv::write(reports, w, &output)?)
    })
}

fn write_err(args: &ConvertArgs, e: &Election, reports: &[PrecinctResult]) -> Result<(), Failure> {
    let input = args.input.display().to_string();
    let mut t = Tabulator::new(e.clone());
    for r in reports {
        t.apply(r)
            .map_err(|err| Failure::Invalid(format!("{input}: {err}")))?;
    }
    let opts = ReportOptions {
        complete: false,
        counties: true,
        districts: true,
        precincts: true,
    };
    let res = results(&t, &opts);
    let err_opts = ErrOptions {
        issuer: args.issuer.clone(),
        generated_date: args.generated_date.clone(),
        ..ErrOptions::default()
    };
    let output = args.output.display().to_string();
    if args.to == Format::NistErrXml {
        let xml = err::to_xml(e, &res, &err_opts);
        return write_atomically(&args.output, |w| {
            w.write_all(xml.as_bytes())
                .map_err(|err| Failure::Invalid(format!("cannot write {output}: {err}")))
        });
    }
    let doc = err::to_json(e, &res, &err_opts);
    write_atomically(&args.output, |w| {
        serde_json::to_writer_pretty(&mut *w, &doc)
            .map_err(|err| Failure::Invalid(format!("cannot write {output}: {err}")))?;
        w.write_all(b"\n")
            .map_err(|err| Failure::Invalid(format!("cannot write {output}: {err}")))
    })
}

fn cvr_to_nist(args: &ConvertArgs, provider: Provider) -> Result<String, Failure> {
    let spec = SourceSpec {
        provider,
        path: args.input.clone(),
        options: SourceOptions {
            contest_id: args.contest.clone(),
            first_vote_column: args.first_vote_column,
            first_vote_row: args.first_vote_row,
            id_column: args.id_column,
            precinct_column: args.precinct_column,
            overvote_label: args.overvote_label.clone(),
            undervote_label: args.undervote_label.clone(),
            ..SourceOptions::default()
        },
    };
    let mut records = 0u64;
    write_atomically(&args.output, |w| {
        let options = WriterOptions {
            generated_date: args.generated_date.clone(),
            ..WriterOptions::default()
        };
        let mut writer = NistJsonWriter::new(&mut *w, options)?;
        let stats = read_source(&spec, &mut |cvr| writer.write(&cvr))?;
        writer.finish()?;
        records = stats.records;
        Ok(())
    })?;
    Ok(format!(
        "converted {records} cast vote records from {} to NIST SP 1500-103 JSON {}",
        args.input.display(),
        args.output.display()
    ))
}
