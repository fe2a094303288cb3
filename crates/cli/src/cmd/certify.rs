//! `canvass certify`: the election authority signs a state's results
//! (`canvass-certification/v1`, docs/submissions.md) and logs the certification. After it, a
//! change to that state's results needs the authority's countersignature.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use canvass_server::entry::{hex, sha256_hex};
use canvass_server::io;
use canvass_server::{App, Certification, SubmitError};
use clap::Args;
use serde::Serialize;

use super::{fail, print_json};

/// Certify a state's results with the election authority's key.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass certify --data /srv/canvass --state PA          # server stopped: logged directly
  canvass certify --data /srv/canvass --state PA --server http://127.0.0.1:8080

The certification names the latest published results snapshot (its log index and the SHA-256
of the results JSON). It is refused if the state's results changed after that snapshot.
The authority's key is read from <data>/keys/authority.key and is never printed.")]
pub struct CertifyArgs {
    /// Data directory made by `canvass keys init` (holds keys/authority.key).
    #[arg(long)]
    data: PathBuf,
    /// The state to certify (postal code, e.g. PA).
    #[arg(long)]
    state: String,
    /// Post the certification to this running server instead of opening the data directory.
    #[arg(long)]
    server: Option<String>,
    /// The election (built-in name or definition file); defaults to the roster's election.
    #[arg(long)]
    election: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    state: String,
    results_sha256: String,
    snapshot_log_index: u64,
    log_index: u64,
}

/// Runs `canvass certify`.
pub fn run(args: CertifyArgs) -> ExitCode {
    let key = match io::read_secret_key(&io::authority_key_path(&args.data)) {
        Ok(k) => k,
        Err(e) => return fail(&e.to_string()),
    };
    let roster = match io::read_roster(&io::roster_path(&args.data), None) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    let state = args.state.to_uppercase();
    let outcome = match &args.server {
        Some(url) => over_http(url, &roster.election, &state, &key),
        None => direct(&args, &roster.election, &state, &key),
    };
    let report = match outcome {
        Ok(r) => r,
        Err(m) => return fail(&m),
    };
    if args.json {
        return print_json(&report);
    }
    outln!(
        "certified {}: results {} (snapshot at log index {}), logged at index {}",
        report.state,
        report.results_sha256,
        report.snapshot_log_index,
        report.log_index
    );
    ExitCode::SUCCESS
}

fn certification(
    election: &canvass_model::ElectionId,
    state: &str,
    sha: String,
    after: u64,
) -> Certification {
    Certification {
        election: election.clone(),
        state: state.into(),
        results_sha256: sha,
        after,
    }
}

fn direct(
    args: &CertifyArgs,
    election: &canvass_model::ElectionId,
    state: &str,
    key: &canvass_server::SecretKey,
) -> Result<Report, String> {
    let name = args
        .election
        .clone()
        .unwrap_or_else(|| election.to_string());
    let e = io::load_election(&name).map_err(|e| e.to_string())?;
    let app = App::open(&args.data, e).map_err(|e| {
        format!("{e} (if the server is running, certify with --server URL instead)")
    })?;
    let snap = app.snapshot();
    let after = snap
        .log_index
        .ok_or("nothing to certify: no results have been published yet")?;
    let sha = hex(&snap.sha256);
    let doc = certification(election, state, sha.clone(), after).sign(key);
    match app.certify(doc.as_bytes()) {
        Ok(log_index) => Ok(Report {
            state: state.into(),
            results_sha256: sha,
            snapshot_log_index: after,
            log_index,
        }),
        Err(SubmitError::Rejected(r)) => Err(format!("certification refused: {}", r.message)),
        Err(SubmitError::Internal(m)) => Err(m),
    }
}

fn over_http(
    url: &str,
    election: &canvass_model::ElectionId,
    state: &str,
    key: &canvass_server::SecretKey,
) -> Result<Report, String> {
    let base = url.trim_end_matches('/');
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut resp = agent
        .get(format!("{base}/api/results"))
        .call()
        .map_err(|e| format!("GET {base}/api/results: {e}"))?;
    if resp.status() != 200 {
        return Err(format!("GET {base}/api/results: HTTP {}", resp.status()));
    }
    let after: u64 = resp
        .headers()
        .get("x-canvass-log-index")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or("the server gave no X-Canvass-Log-Index: no results have been published yet")?;
    let body = resp
        .body_mut()
        .with_config()
        .limit(256 << 20)
        .read_to_vec()
        .map_err(|e| format!("reading the results: {e}"))?;
    let sha = sha256_hex(&body);
    let doc = certification(election, state, sha.clone(), after).sign(key);
    let mut resp = agent
        .post(format!("{base}/api/certifications"))
        .header("content-type", "text/plain; charset=utf-8")
        .send(doc.as_bytes())
        .map_err(|e| format!("POST {base}/api/certifications: {e}"))?;
    let status = resp.status();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    if !status.is_success() {
        return Err(format!("certification refused (HTTP {status}): {text}"));
    }
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    Ok(Report {
        state: state.into(),
        results_sha256: sha,
        snapshot_log_index: after,
        log_index: v["log_index"].as_u64().unwrap_or_default(),
    })
}
