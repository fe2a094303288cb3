//! `canvass submission`: sign a submission document and verify one against a roster.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use canvass_model::PrecinctResult;
use canvass_server::{
    Amendment, Checker, MemoryHistory, Payload, RosterState, Submission, Verdict, io,
};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::{fail, print_json};

/// Sign and verify submission documents (format: docs/submissions.md).
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass submission sign --key data/keys/jurisdictions/42001.key --jurisdiction 42001 \\
      --sequence 1 results.csv --output 42001-1.note
  canvass submission sign --key k.key --jurisdiction 42001 --sequence 2 fixed.json \\
      --amends 1 --reason 'transposed digits in precinct 7'
  canvass submission verify --roster data/roster.note 42001-1.note --json

verify exits 1 and prints the rejection (code, field, message) if the document would be refused.")]
pub struct SubmissionArgs {
    #[command(subcommand)]
    command: SubmissionCommand,
}

#[derive(Subcommand, Debug)]
enum SubmissionCommand {
    /// Sign precinct results as a submission document.
    Sign(SignArgs),
    /// Authenticate, authorize and validate a submission document against a roster.
    Verify(VerifyArgs),
}

/// Input formats for results.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    /// The canvass precinct-results CSV.
    CanvassCsv,
    /// A JSON array of precinct results (canvass_model::PrecinctResult).
    Json,
}

#[derive(Args, Debug)]
struct SignArgs {
    /// The jurisdiction's signer key file.
    #[arg(long)]
    key: PathBuf,
    /// The reporting jurisdiction.
    #[arg(long)]
    jurisdiction: String,
    /// Sequence number (from 1, strictly increasing per jurisdiction).
    #[arg(long)]
    sequence: u64,
    /// Results file.
    results: PathBuf,
    /// Input format; by default from the extension (.csv, .json).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Election id; by default taken from the key name (canvass/<election>/jurisdiction/<id>).
    #[arg(long)]
    election: Option<String>,
    /// Timestamp in seconds since the Unix epoch; by default now.
    #[arg(long)]
    timestamp: Option<u64>,
    /// Make an amendment superseding this accepted sequence number.
    #[arg(long, requires = "reason")]
    amends: Option<u64>,
    /// Why the amendment is made.
    #[arg(long, requires = "amends")]
    reason: Option<String>,
    /// Write the document here instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct VerifyArgs {
    /// The signed roster.
    #[arg(long)]
    roster: PathBuf,
    /// The authority's verifier key file; by default the key the roster names (self-signed).
    #[arg(long)]
    authority: Option<PathBuf>,
    /// Key-change documents to apply to the roster, in order.
    #[arg(long = "key-change")]
    key_changes: Vec<PathBuf>,
    /// Election definition; by default the built-in election the roster names.
    #[arg(long)]
    election: Option<String>,
    /// The submission document.
    doc: PathBuf,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// Runs `canvass submission`.
pub fn run(args: SubmissionArgs) -> ExitCode {
    match args.command {
        SubmissionCommand::Sign(a) => sign(a),
        SubmissionCommand::Verify(a) => verify(a),
    }
}

fn read_results(path: &Path, format: Option<Format>) -> Result<Vec<PrecinctResult>, String> {
    let name = path.display().to_string();
    let format = match format {
        Some(f) => f,
        None => match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => Format::CanvassCsv,
            Some("json") => Format::Json,
            _ => {
                return Err(format!(
                    "{name}: unknown extension; pass --format canvass-csv or json"
                ));
            }
        },
    };
    let file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
    let r = std::io::BufReader::new(file);
    match format {
        Format::CanvassCsv => {
            canvass_formats::precinct_csv::read(r, &name).map_err(|e| e.to_string())
        }
        Format::Json => serde_json::from_reader(r).map_err(|e| format!("{name}: {e}")),
    }
}

/// The election a key belongs to: `explicit`, or the `<election>` of its name
/// `canvass/<election>/...`.
pub(crate) fn election_of(
    key: &canvass_server::SecretKey,
    explicit: Option<&str>,
) -> Option<String> {
    explicit.map(str::to_owned).or_else(|| {
        key.name()
            .strip_prefix("canvass/")
            .and_then(|r| r.split('/').next())
            .map(str::to_owned)
    })
}

/// A precinct-results submission; `timestamp` defaults to now, `amends` is
/// `(superseded sequence, reason)`.
pub(crate) fn build(
    election: &str,
    jurisdiction: &str,
    sequence: u64,
    timestamp: Option<u64>,
    amends: Option<(u64, String)>,
    results: Vec<PrecinctResult>,
) -> Submission {
    let timestamp = timestamp.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    Submission {
        election: election.into(),
        jurisdiction: jurisdiction.into(),
        sequence,
        timestamp,
        amendment: amends.map(|(supersedes, reason)| Amendment { supersedes, reason }),
        payload: Payload::PrecinctResults { results },
    }
}

fn sign(a: SignArgs) -> ExitCode {
    let key = match io::read_secret_key(&a.key) {
        Ok(k) => k,
        Err(e) => return fail(&e.to_string()),
    };
    let election = match election_of(&key, a.election.as_deref()) {
        Some(e) => e,
        None => return fail("cannot tell the election from the key name: pass --election"),
    };
    let results = match read_results(&a.results, a.format) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let s = build(
        &election,
        &a.jurisdiction,
        a.sequence,
        a.timestamp,
        a.amends.zip(a.reason),
        results,
    );
    let doc = s.sign(&key);
    match &a.output {
        Some(p) => match std::fs::write(p, doc) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!("writing {}: {e}", p.display())),
        },
        None => {
            out!("{doc}");
            ExitCode::SUCCESS
        }
    }
}

#[derive(Serialize)]
struct VerifyReport {
    accepted: bool,
    jurisdiction: Option<String>,
    sequence: Option<u64>,
    digest: Option<String>,
    flags: Vec<canvass_server::Flag>,
    rejection: Option<canvass_server::Rejection>,
}

fn verify(a: VerifyArgs) -> ExitCode {
    let authority = match &a.authority {
        Some(p) => match std::fs::read_to_string(p)
            .map_err(|e| format!("reading {}: {e}", p.display()))
            .and_then(|t| {
                canvass_server::PublicKey::from_vkey(t.trim())
                    .map_err(|e| format!("{}: {e}", p.display()))
            }) {
            Ok(k) => Some(k),
            Err(e) => return fail(&e),
        },
        None => None,
    };
    let roster = match io::read_roster(&a.roster, authority.as_ref()) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    let election_name = a
        .election
        .clone()
        .unwrap_or_else(|| roster.election.to_string());
    let mut state = match RosterState::new(roster) {
        Ok(s) => s,
        Err(e) => return fail(&format!("{}: {e}", a.roster.display())),
    };
    for p in &a.key_changes {
        let r = std::fs::read(p)
            .map_err(|e| e.to_string())
            .and_then(|b| state.apply_signed(&b).map_err(|e| e.to_string()));
        if let Err(e) = r {
            return fail(&format!("{}: {e}", p.display()));
        }
    }
    let election = match io::load_election(&election_name) {
        Ok(e) => e,
        Err(e) => return fail(&e.to_string()),
    };
    let doc = match std::fs::read(&a.doc) {
        Ok(d) => d,
        Err(e) => return fail(&format!("reading {}: {e}", a.doc.display())),
    };
    let checker = Checker::new(election);
    let report = match checker.check(&doc, &state, &MemoryHistory::default()) {
        Ok((auth, verdict)) => VerifyReport {
            accepted: true,
            jurisdiction: Some(auth.submission.jurisdiction.to_string()),
            sequence: Some(auth.submission.sequence),
            digest: Some(auth.digest.iter().map(|b| format!("{b:02x}")).collect()),
            flags: match verdict {
                Verdict::Accept { flags } => flags,
                Verdict::AlreadyAccepted => Vec::new(),
            },
            rejection: None,
        },
        Err(r) => VerifyReport {
            accepted: false,
            jurisdiction: None,
            sequence: None,
            digest: None,
            flags: Vec::new(),
            rejection: Some(r),
        },
    };
    let code = if report.accepted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    if a.json {
        let c = print_json(&report);
        return if report.accepted { c } else { code };
    }
    match (&report.rejection, &report.jurisdiction) {
        (Some(r), _) => eprintln!("rejected: {r}"),
        (None, Some(j)) => {
            outln!(
                "valid: submission {} of jurisdiction {j}, digest {}",
                report.sequence.unwrap_or_default(),
                report.digest.as_deref().unwrap_or_default()
            );
            for f in &report.flags {
                outln!("flag: {}: {}", f.field, f.message);
            }
        }
        (None, None) => {}
    }
    code
}
