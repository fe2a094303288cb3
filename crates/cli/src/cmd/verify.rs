//! `canvass verify URL|DIR`: recompute everything a canvass server published from its public
//! log alone, and say whether it is true (docs/verify.md). The checking is `canvass-verify`;
//! this module reads the trust anchors and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use canvass_log::{LogVerifier, WitnessPolicy};
use canvass_server::PublicKey;
use canvass_verify::{Progress, Report, VerifyOptions};
use clap::Args;

use super::{fail, print_json};

/// Verify a canvass election from its public log.
#[derive(Args, Debug)]
#[command(
    after_help = "Checks the checkpoint (log key, witness policy), every tile and entry bundle up to the \
root, the roster (authority signature), the election definition (its SHA-256 against the one the \
roster binds), every submission (signed by a key valid on the roster \
when logged, authorized, valid), every results snapshot entry and the published results (recomputed \
byte for byte), every contest at every level (states, counties, districts, precincts: \
GET /api/contests/{id} or an export's api/contests/), and every certification (authority signature, a logged snapshot). Exit status 0 \
when everything checks, 1 on any discrepancy (each one is listed), 2 for usage errors.

Examples:
  canvass verify http://127.0.0.1:8080
  canvass verify https://results.example.org --authority authority.vkey --log-key log.vkey
  canvass verify site/                       # a static export (canvass export-site site/)
  canvass verify data/ --json                # a server's data directory (log and SQLite index)
  canvass verify http://127.0.0.1:8080 --known-checkpoint seen-yesterday.cp --policy witnesses.txt"
)]
pub struct VerifyArgs {
    /// The server's base URL (http:// or https://), a static export directory, or a server's
    /// data directory.
    #[arg(value_name = "URL|DIR")]
    source: String,
    /// The election authority's verifier key (text or a file holding it), pinned out of band;
    /// by default the roster's own, which proves only self-consistency.
    #[arg(long, value_name = "VKEY")]
    authority: Option<String>,
    /// The log's verifier key (text or file); by default the source's log/vkey.
    #[arg(long, value_name = "VKEY")]
    log_key: Option<String>,
    /// Witness policy file (`witness <vkey>` lines and `quorum <k>`, docs/verify.md).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// A signed checkpoint seen before (by you or anyone); the log must extend it. Repeatable.
    #[arg(long, value_name = "FILE")]
    known_checkpoint: Vec<PathBuf>,
    /// A built-in election or definition file, overriding the one the source publishes (its
    /// SHA-256 must still be the one the roster binds, or that is a finding); by default the
    /// published definition (GET /api/election, checked against the roster) or the built-in
    /// election the roster names.
    #[arg(long)]
    election: Option<String>,
    /// Threads recomputing results snapshots (default: one per core); 0 skips them.
    #[arg(long)]
    threads: Option<usize>,
    /// Do not compare every submission with the server's index (GET /api/submissions/{i} or
    /// the SQLite store).
    #[arg(long)]
    no_store: bool,
    /// Do not recompute every contest at every level (states, counties, districts,
    /// precincts) nor compare it with GET /api/contests/{id}.
    #[arg(long)]
    no_levels: bool,
    /// Machine-readable output: the whole report as JSON.
    #[arg(long)]
    json: bool,
}

/// A key given as text or as a file holding it.
pub fn key_text(arg: &str) -> Result<String, String> {
    if Path::new(arg).is_file() {
        std::fs::read_to_string(arg)
            .map(|s| s.trim().to_owned())
            .map_err(|e| format!("cannot read key file {arg}: {e}"))
    } else {
        Ok(arg.trim().to_owned())
    }
}

/// The trust anchors and policy shared by `verify` and `monitor`.
pub struct Anchors {
    /// Pinned authority key.
    pub authority: Option<PublicKey>,
    /// Pinned log key.
    pub log_key: Option<LogVerifier>,
    /// Witness policy.
    pub policy: Option<WitnessPolicy>,
    /// The election definition.
    pub election: Option<canvass_model::Election>,
}

/// Reads the trust anchors given on the command line.
pub fn anchors(
    authority: Option<&str>,
    log_key: Option<&str>,
    policy: Option<&Path>,
    election: Option<&str>,
) -> Result<Anchors, String> {
    let authority = authority
        .map(|a| {
            key_text(a)
                .and_then(|t| PublicKey::from_vkey(&t).map_err(|e| format!("--authority {a}: {e}")))
        })
        .transpose()?;
    let log_key = log_key
        .map(|a| {
            key_text(a)
                .and_then(|t| LogVerifier::from_vkey(&t).map_err(|e| format!("--log-key {a}: {e}")))
        })
        .transpose()?;
    let policy = policy
        .map(|p| {
            std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read policy file {}: {e}", p.display()))
                .and_then(|t| {
                    canvass_verify::policy::parse(&t).map_err(|e| format!("{}: {e}", p.display()))
                })
        })
        .transpose()?;
    let election = election
        .map(|e| canvass_server::io::load_election(e).map_err(|e| e.to_string()))
        .transpose()?;
    Ok(Anchors {
        authority,
        log_key,
        policy,
        election,
    })
}

/// Runs `canvass verify`.
pub fn run(args: VerifyArgs) -> ExitCode {
    let a = match anchors(
        args.authority.as_deref(),
        args.log_key.as_deref(),
        args.policy.as_deref(),
        args.election.as_deref(),
    ) {
        Ok(a) => a,
        Err(e) => return fail(&e),
    };
    let mut known = Vec::new();
    for p in &args.known_checkpoint {
        match std::fs::read(p) {
            Ok(b) => known.push(b),
            Err(e) => return fail(&format!("cannot read checkpoint {}: {e}", p.display())),
        }
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    let opts = VerifyOptions {
        election: a.election,
        authority: a.authority,
        log_key: a.log_key,
        policy: a.policy,
        known_checkpoints: known,
        workers: threads,
        check_store: !args.no_store,
        levels: !args.no_levels,
    };
    let src = canvass_verify::source::open(&args.source);
    let pb = if args.json {
        indicatif::ProgressBar::hidden()
    } else {
        // indicatif draws nothing when stderr is not a terminal.
        let pb = indicatif::ProgressBar::new(0);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:12} {bar:40} {pos}/{len} ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb
    };
    let result = canvass_verify::verify(src.as_ref(), &opts, &mut |p| match p {
        Progress::Entries(done, total) => {
            pb.set_message("log entries");
            pb.set_length(total);
            pb.set_position(done);
        }
        Progress::Store(done, total) => {
            pb.set_message("index");
            pb.set_length(total);
            pb.set_position(done);
        }
    });
    pb.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    if args.json {
        let code = print_json(&report);
        return if report.ok { code } else { ExitCode::from(1) };
    }
    print_report(&report);
    if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print_report(r: &Report) {
    if let Some(cp) = &r.checkpoint {
        outln!(
            "checkpoint  {} size {} root {}{}",
            cp.origin,
            cp.size,
            cp.root,
            if cp.witnesses.is_empty() {
                String::new()
            } else {
                format!(", cosigned by {}", cp.witnesses.join(", "))
            }
        );
    }
    let c = &r.counts;
    outln!(
        "checked     {} entries, {} tile files, {} submissions, {} snapshots recomputed, {} contests at every level ({} areas), {} key changes, {} certifications, {} audit records, {} submissions against the index",
        c.entries,
        c.tiles,
        c.submissions,
        c.snapshots,
        c.contests,
        c.areas,
        c.key_changes,
        c.certifications,
        c.audit_records,
        c.stored
    );
    if let Some(from) = &r.definition_source {
        outln!(
            "definition  {from}{}",
            r.definition_sha256.as_ref().map_or_else(
                || " (the roster binds no definition)".to_owned(),
                |sha| format!(", SHA-256 {sha} as the roster binds"),
            )
        );
    }
    if let Some(sha) = &r.results_sha256 {
        outln!(
            "results     SHA-256 {sha}{}",
            if r.published_results_compared {
                ", compared with the published results"
            } else {
                " (no published results at this source)"
            }
        );
    }
    for n in &r.notes {
        outln!("note        {n}");
    }
    for f in &r.findings {
        outln!("FAIL        {f}");
    }
    if r.ok {
        outln!("OK: everything published matches the log");
    } else {
        outln!("FAILED: {} discrepancies", r.findings.len());
    }
}
