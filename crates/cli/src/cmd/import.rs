//! `canvass import`: a jurisdiction's vendor export, validated against the election
//! definition, written as the canonical body it will sign (`canvass submission sign`).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use canvass_formats::precinct_csv;
use canvass_model::{Election, JurisdictionId, PrecinctResult};
use canvass_server::{Authenticated, Checker, MemoryHistory, Payload, Submission, Verdict};
use clap::Args;
use serde::Serialize;

use crate::cmd::inputs::{Definition, InputFormat, Unmatched, load_reported};
use crate::cmd::{fail, print_json};

/// Turn a vendor export into the canonical precinct results a jurisdiction signs.
#[derive(Args)]
#[command(
    after_help = "Reads INPUT... in --format (any format `canvass tally` reads: canvass-csv,
nist-cvr-json, nist-cvr-xml, dominion, ess, ess-csv, hart, clear-ballot, generic-csv,
nist-err, nist-err-xml, medsl), maps it onto the election definition and validates it by the
same rules the server applies to a submission (known precincts and contests, contests on the
precinct's ballots, known selections, no duplicates, votes at most ballots x vote-for).
Cast vote records are counted per precinct.

Every unmatched name, unknown precinct and unknown vote mode is listed (stderr, and with
--json under `unmatched`), and nothing is written unless --allow-unmatched is given, which
leaves their counts out. Ballot styles are not part of canvass definitions: cast vote
records are matched by precinct.

--out is the canonical canvass precinct-results CSV, exactly what
`canvass submission sign RESULTS` accepts. It is written to a temporary file and renamed
into place only when everything checked: never a partial file.

--json prints {format, files, records, ballots, reports, contests, unmatched, flags, output}:
records are the cast vote records read, or for precinct-level inputs the counts read
(contest ballot counts and selection votes; MEDSL: counts after the mode rule), ballots the
cast vote records (0 for precinct-level inputs), reports the precinct reports written,
unmatched a list of {kind, name, count}, flags the server's warnings (e.g. ballots above
registered voters). A progress bar (rows or ballots per second) shows on stderr when it is a
terminal, unless --quiet.

Exit status: 0 ok, 1 invalid input (unmatched names, failed validation), 2 usage.

Examples:
  canvass import --election us-2024 --format dominion CvrExport.zip --out results.csv
  canvass import --election us-2024 --format medsl --aliases aliases.toml dc24.csv --out dc.csv
  canvass import --election my.toml --format nist-err-xml results.xml --out results.csv --json
  canvass submission sign --key 11001.key --jurisdiction 11001 --sequence 1 results.csv"
)]
pub struct ImportArgs {
    /// A built-in election name or a definition file.
    #[arg(long)]
    election: String,
    /// The input format.
    #[arg(long, value_enum)]
    format: InputFormat,
    /// Input files (folder or .zip for dominion and hart).
    #[arg(required = true, num_args = 1..)]
    input: Vec<PathBuf>,
    /// MEDSL: an aliases file (TOML) mapping names in the returns to definition ids.
    #[arg(long)]
    aliases: Option<PathBuf>,
    /// Write even where names or precincts match nothing (listed; their counts left out).
    #[arg(long)]
    allow_unmatched: bool,
    /// Where to write the canonical precinct-results CSV.
    #[arg(long)]
    out: PathBuf,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
    /// No progress bar and no summary line.
    #[arg(long, short)]
    quiet: bool,
}

/// The `--json` summary.
#[derive(Serialize)]
struct Summary<'a> {
    format: InputFormat,
    files: Vec<String>,
    records: u64,
    ballots: u64,
    reports: usize,
    contests: usize,
    unmatched: &'a [Unmatched],
    flags: Vec<String>,
    output: String,
}

/// Runs `canvass import`.
pub fn run(args: ImportArgs) -> ExitCode {
    let loaded = match load_reported(
        args.format,
        &args.input,
        Definition::Named(&args.election),
        args.aliases.as_deref(),
        args.quiet,
        args.allow_unmatched,
        "; nothing written",
    ) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let flags = match validate(&loaded.election, &loaded.reports) {
        Ok(f) => f,
        Err(m) => return fail(&format!("nothing written: {m}")),
    };
    for f in &flags {
        eprintln!("warning: {f}");
    }
    let output = args.out.display().to_string();
    let written = write_atomically(&args.out, |w| {
        precinct_csv::write(&loaded.reports, w, &output).map_err(|e| e.to_string())
    });
    if let Err(m) = written {
        return fail(&m);
    }
    let contests: std::collections::BTreeSet<&str> = loaded
        .reports
        .iter()
        .flat_map(|r| r.contests.iter().map(|c| c.contest.as_str()))
        .collect();
    let summary = Summary {
        format: args.format,
        files: args.input.iter().map(|p| p.display().to_string()).collect(),
        records: loaded.records,
        ballots: loaded.ballots,
        reports: loaded.reports.len(),
        contests: contests.len(),
        unmatched: &loaded.unmatched,
        flags,
        output,
    };
    if args.json {
        return print_json(&summary);
    }
    if !args.quiet {
        outln!(
            "imported {} precinct reports ({} contests, {} records{}) from {} file(s) to {}",
            summary.reports,
            summary.contests,
            summary.records,
            if summary.ballots > 0 {
                format!(", {} ballots", summary.ballots)
            } else {
                String::new()
            },
            summary.files.len(),
            summary.output
        );
    }
    ExitCode::SUCCESS
}

/// The server's submission checks (step 3 of the pipeline) on the reports, as if they
/// were the first submission of a jurisdiction: the flags, or the first rejection.
fn validate(e: &Election, reports: &[PrecinctResult]) -> Result<Vec<String>, String> {
    let submission = Submission {
        election: e.election.id.clone(),
        jurisdiction: JurisdictionId::new("import"),
        sequence: 1,
        timestamp: 0,
        amendment: None,
        payload: Payload::PrecinctResults {
            results: reports.to_vec(),
        },
    };
    let a = Authenticated {
        submission,
        body: String::new(),
        digest: [0; 32],
        jurisdiction: 0,
        key_id: 0,
    };
    match Checker::new(e.clone()).validate(&a, &MemoryHistory::default()) {
        Ok(Verdict::Accept { flags }) => Ok(flags
            .into_iter()
            .map(|f| {
                format!(
                    "{}: {}",
                    f.field.replacen("payload.results", "reports", 1),
                    f.message
                )
            })
            .collect()),
        Ok(Verdict::AlreadyAccepted) => Ok(Vec::new()),
        Err(r) => Err(format!(
            "{}: {}",
            r.field.replacen("payload.results", "reports", 1),
            r.message
        )),
    }
}

/// Writes `out` through a temporary file in the same folder, renamed into place on success.
fn write_atomically(
    out: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> Result<(), String>,
) -> Result<(), String> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = out.with_file_name(format!(".{name}.canvass-tmp-{}", std::process::id()));
    let file = File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let mut w = BufWriter::new(file);
    let result = body(&mut w).and_then(|()| {
        let f = w
            .into_inner()
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        f.sync_all()
            .map_err(|e| format!("cannot write {}: {e}", out.display()))
    });
    match result {
        Ok(()) => std::fs::rename(&tmp, out)
            .map_err(|e| format!("cannot rename into {}: {e}", out.display())),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn write_atomically_leaves_no_file_on_failure() {
        let d = std::env::temp_dir().join(format!("canvass-import-unit-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("dir");
        let out = d.join("x.csv");
        let r = super::write_atomically(&out, |w| {
            std::io::Write::write_all(w, b"partial").map_err(|e| e.to_string())?;
            Err("stopped".into())
        });
        assert_eq!(r, Err("stopped".to_string()));
        assert!(!out.exists());
        assert_eq!(
            std::fs::read_dir(&d).expect("dir").count(),
            0,
            "no temp file left"
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
