//! `canvass submit`: sign a jurisdiction's results and send them to a canvass server, retrying
//! the same bytes until the server answers (so a retry can never count twice: the server
//! answers `already-accepted` for a document it has).

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use canvass_server::io;
use clap::Args;
use serde::{Deserialize, Serialize};

use super::inputs::{Definition, InputFormat, load_reported};
use super::{fail, print_json};

/// Sign results and submit them to a canvass server.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass submit --server http://127.0.0.1:8080 --key data/keys/jurisdictions/42001.key \\
      --sequence 1 --timestamp 1604448000 --save 42001-1.note results.csv
  canvass submit --server http://127.0.0.1:8080 --signed 42001-1.note      # resend, same bytes
  canvass submit --server https://canvass.example.gov --ca-cert ca.pem --key k.key \\
      --format nist-err-xml --sequence 2 --amends 1 --reason 'precinct 7 transposed' err.xml

RESULTS_FILE is read as by `canvass import` (--format, default canvass-csv). The election and
jurisdiction come from the key's name unless given. The document is signed once and the same
bytes are resent on connection errors, 5xx and 429 (after Retry-After); sending a document the
server already has answers already-accepted. Without --timestamp the document carries the time
of signing, so run it again with --signed (keep it with --save) rather than re-signing.
Exit status: 0 accepted or already accepted, 1 rejected or not delivered, 2 usage.")]
pub struct SubmitArgs {
    /// The server's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    server: String,
    /// The jurisdiction's signer key file.
    #[arg(long, required_unless_present = "signed")]
    key: Option<PathBuf>,
    /// Results file to sign and send.
    #[arg(required_unless_present = "signed", conflicts_with = "signed")]
    results: Option<PathBuf>,
    /// Send this already signed document instead.
    #[arg(long)]
    signed: Option<PathBuf>,
    /// Input format of RESULTS_FILE.
    #[arg(long, value_enum, default_value_t = InputFormat::CanvassCsv)]
    format: InputFormat,
    /// Election (built-in name or definition file); by default from the key name.
    #[arg(long)]
    election: Option<String>,
    /// The reporting jurisdiction; by default from the key name.
    #[arg(long)]
    jurisdiction: Option<String>,
    /// Sequence number (from 1, strictly increasing per jurisdiction).
    #[arg(long, required_unless_present = "signed")]
    sequence: Option<u64>,
    /// Timestamp in seconds since the Unix epoch; by default now.
    #[arg(long)]
    timestamp: Option<u64>,
    /// Make an amendment superseding this accepted sequence number.
    #[arg(long, requires = "reason")]
    amends: Option<u64>,
    /// Why the amendment is made.
    #[arg(long, requires = "amends")]
    reason: Option<String>,
    /// Keep the signed document in this file (to resend it with --signed).
    #[arg(long)]
    save: Option<PathBuf>,
    /// PEM certificate(s) to trust for an https server (e.g. a self-signed one).
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// Attempts before giving up on an unreachable or busy server.
    #[arg(long, default_value_t = 8)]
    attempts: u32,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// The outcome, as printed with --json.
#[derive(Serialize, Deserialize, Debug)]
struct Outcome {
    /// `accepted`, `already-accepted` or `rejected`.
    status: String,
    /// The HTTP status of the final answer.
    http_status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_index: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    flags: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// Runs `canvass submit`.
pub fn run(a: SubmitArgs) -> ExitCode {
    let doc = match &a.signed {
        Some(p) => match std::fs::read(p) {
            Ok(d) => d,
            Err(e) => return fail(&format!("reading {}: {e}", p.display())),
        },
        None => match sign(&a) {
            Ok(d) => d.into_bytes(),
            Err(code) => return code,
        },
    };
    if let Some(p) = &a.save {
        if let Err(e) = std::fs::write(p, &doc) {
            return fail(&format!("writing {}: {e}; nothing sent", p.display()));
        }
    }
    let agent = match agent(a.ca_cert.as_ref()) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let url = format!("{}/api/submissions", a.server.trim_end_matches('/'));
    let outcome = match send(&agent, &url, &doc, a.attempts.max(1)) {
        Ok(o) => o,
        Err(e) => return fail(&e),
    };
    let ok = outcome.status != "rejected";
    if a.json {
        let c = print_json(&outcome);
        return if ok { c } else { ExitCode::from(1) };
    }
    if ok {
        outln!(
            "{}: log index {}, digest {}",
            outcome.status,
            outcome.log_index.unwrap_or_default(),
            outcome.digest.as_deref().unwrap_or_default()
        );
        for f in &outcome.flags {
            outln!(
                "flag: {}: {}",
                f["field"].as_str().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default()
            );
        }
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "rejected (HTTP {}): {} at {}: {}",
            outcome.http_status,
            outcome.code.as_deref().unwrap_or("?"),
            outcome.field.as_deref().unwrap_or("?"),
            outcome.message.as_deref().unwrap_or_default()
        );
        ExitCode::from(1)
    }
}

/// Loads the results and signs the submission.
fn sign(a: &SubmitArgs) -> Result<String, ExitCode> {
    let (Some(key_path), Some(results), Some(sequence)) = (&a.key, &a.results, a.sequence) else {
        eprintln!("error: --key, --sequence and RESULTS_FILE are needed unless --signed is given");
        return Err(ExitCode::from(2));
    };
    let key = io::read_secret_key(key_path).map_err(|e| fail(&e.to_string()))?;
    let election = super::submission::election_of(&key, a.election.as_deref())
        .ok_or_else(|| fail("cannot tell the election from the key name: pass --election"))?;
    let jurisdiction = match a.jurisdiction.clone().or_else(|| {
        key.name()
            .rsplit_once("/jurisdiction/")
            .map(|(_, j)| j.to_owned())
    }) {
        Some(j) => j,
        None => {
            return Err(fail(
                "cannot tell the jurisdiction from the key name: pass --jurisdiction",
            ));
        }
    };
    let loaded = load_reported(
        a.format,
        std::slice::from_ref(results),
        Definition::Named(&election),
        None,
        true,
        false,
        "; nothing sent",
    )?;
    // The id inside the document is the definition's, even when --election names a file.
    let election_id = loaded.election.election.id.to_string();
    let s = super::submission::build(
        &election_id,
        &jurisdiction,
        sequence,
        a.timestamp,
        a.amends.zip(a.reason.clone()),
        loaded.reports,
    );
    Ok(s.sign(&key))
}

fn agent(ca: Option<&PathBuf>) -> Result<ureq::Agent, String> {
    let mut b = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)));
    if let Some(p) = ca {
        let pem = std::fs::read(p).map_err(|e| format!("reading {}: {e}", p.display()))?;
        let certs = ureq::tls::parse_pem(&pem)
            .filter_map(|i| match i {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect::<Vec<_>>();
        if certs.is_empty() {
            return Err(format!("{}: no PEM certificate in it", p.display()));
        }
        b = b.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)))
                .build(),
        );
    }
    Ok(b.build().into())
}

/// Posts `doc` until the server gives a final answer: retries connection errors, 5xx and 429
/// with exponential backoff (or the server's Retry-After), at most `attempts` times.
fn send(agent: &ureq::Agent, url: &str, doc: &[u8], attempts: u32) -> Result<Outcome, String> {
    let mut last = String::new();
    for attempt in 0..attempts {
        if attempt > 0 {
            eprintln!("retrying ({last})");
        }
        let backoff = Duration::from_millis(250u64 << attempt.min(6));
        let mut resp = match agent
            .post(url)
            .header("content-type", "text/plain; charset=utf-8")
            .send(doc)
        {
            Ok(r) => r,
            Err(e) => {
                last = format!("{url}: {e}");
                std::thread::sleep(backoff);
                continue;
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let mut body = String::new();
        let read = resp
            .body_mut()
            .as_reader()
            .take(1 << 20)
            .read_to_string(&mut body);
        if status == 429 || status >= 500 || read.is_err() {
            last = format!("HTTP {status}: {}", body.trim());
            let wait = retry_after.map_or(backoff, |s| Duration::from_secs(s.min(60)));
            std::thread::sleep(wait);
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| {
            format!(
                "{url}: HTTP {status}, not a JSON answer ({e}): {}",
                body.trim()
            )
        })?;
        let text = |k: &str| v[k].as_str().map(str::to_owned);
        return Ok(if status == 200 || status == 201 {
            Outcome {
                status: text("status").unwrap_or_else(|| "accepted".into()),
                http_status: status,
                log_index: v["log_index"].as_u64(),
                digest: text("digest"),
                flags: v["flags"].as_array().cloned().unwrap_or_default(),
                code: None,
                field: None,
                message: None,
            }
        } else {
            Outcome {
                status: "rejected".into(),
                http_status: status,
                log_index: None,
                digest: None,
                flags: Vec::new(),
                code: text("code"),
                field: text("field"),
                message: text("message"),
            }
        });
    }
    Err(format!(
        "not delivered after {attempts} attempts ({last}): send the same document again later with --signed"
    ))
}
