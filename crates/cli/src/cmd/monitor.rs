//! `canvass monitor URL`: poll a canvass server, keep what was seen in a state file, and write
//! one JSON line per alert (docs/verify.md, "Alerts"); optionally POST each to a webhook. The
//! checking is `canvass_verify::monitor`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use canvass_verify::monitor::{Alert, Monitor, MonitorConfig, MonitorState};
use clap::Args;

use super::fail;
use super::verify::anchors;

/// Watch a canvass server and alert on interference.
#[derive(Args, Debug)]
#[command(
    after_help = "Alerts are JSON lines on stdout: {\"alert\",\"severity\",\"at\",\"source\",\"log_index\",\"message\",\"details\"}. \
Alert names: fork, rollback, results-changed-without-log-growth, revoked-key-signature, \
unsigned-roster-change, amendment-after-certification, votes-above-ballots, turnout-over-100, \
margin-shift, rejection-burst, results-differ, store-differs, and every verify finding code.

With --once: one poll, exit 1 if any alert fired (0 otherwise); without: poll every --interval \
seconds until interrupted. Keep --state between runs: a checkpoint is only ever compared with \
the ones seen before.

Examples:
  canvass monitor http://127.0.0.1:8080 --state monitor.json --once
  canvass monitor https://results.example.org --state monitor.json --interval 30 \\
      --webhook https://alerts.example.org/hook --authority authority.vkey"
)]
pub struct MonitorArgs {
    /// The server's base URL (or a static export or data directory).
    #[arg(value_name = "URL")]
    source: String,
    /// State file (JSON), read at start and written after every poll.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Poll once; exit 1 if any alert fired.
    #[arg(long)]
    once: bool,
    /// POST every alert (JSON) to this URL too.
    #[arg(long, value_name = "URL")]
    webhook: Option<String>,
    /// Seconds between polls.
    #[arg(long, default_value_t = 30)]
    interval: u64,
    /// Alert when one amendment moves a contest's margin by more than this many votes.
    #[arg(long, default_value_t = 1000)]
    margin_shift: u64,
    /// Alert when this many documents are refused within --burst-window seconds (0: never).
    #[arg(long, default_value_t = 50)]
    burst: usize,
    /// The window of a burst of refusals, in seconds.
    #[arg(long, default_value_t = 60)]
    burst_window: u64,
    /// The election authority's verifier key (text or file), pinned.
    #[arg(long, value_name = "VKEY")]
    authority: Option<String>,
    /// The log's verifier key (text or file), pinned; by default the one seen first.
    #[arg(long, value_name = "VKEY")]
    log_key: Option<String>,
    /// Witness policy file (`witness <vkey>` lines and `quorum <k>`).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// A built-in election or definition file, overriding the one the server publishes (its
    /// SHA-256 must still be the one the roster binds); by default GET /api/election, checked
    /// against the roster at every poll, or the built-in election the roster names.
    #[arg(long)]
    election: Option<String>,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn load_state(path: Option<&PathBuf>) -> Result<MonitorState, String> {
    let Some(p) = path else {
        return Ok(MonitorState::default());
    };
    match std::fs::read(p) {
        Ok(b) => serde_json::from_slice(&b)
            .map_err(|e| format!("state file {} is not a monitor state: {e}", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(MonitorState::default()),
        Err(e) => Err(format!("cannot read state file {}: {e}", p.display())),
    }
}

fn save_state(path: Option<&PathBuf>, s: &MonitorState) -> Result<(), String> {
    let Some(p) = path else { return Ok(()) };
    let tmp = p.with_extension("tmp");
    let text = serde_json::to_vec_pretty(s).map_err(|e| e.to_string())?;
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, p))
        .map_err(|e| format!("cannot write state file {}: {e}", p.display()))
}

fn emit(alert: &Alert, webhook: Option<&str>, agent: &ureq::Agent) {
    let line = serde_json::to_string(alert).unwrap_or_default();
    outln!("{line}");
    if let Some(url) = webhook {
        if let Err(e) = agent
            .post(url)
            .header("content-type", "application/json")
            .send(line.as_bytes())
        {
            eprintln!("warning: webhook {url}: {e}");
        }
    }
}

/// Runs `canvass monitor`.
pub fn run(args: MonitorArgs) -> ExitCode {
    let a = match anchors(
        args.authority.as_deref(),
        args.log_key.as_deref(),
        args.policy.as_deref(),
        args.election.as_deref(),
    ) {
        Ok(a) => a,
        Err(e) => return fail(&e),
    };
    let cfg = MonitorConfig {
        election: a.election,
        authority: a.authority,
        log_key: a.log_key,
        policy: a.policy,
        margin_shift_votes: args.margin_shift,
        burst_count: args.burst,
        burst_window_secs: args.burst_window,
        workers: 1,
    };
    let state = match load_state(args.state.as_ref()) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    // The replay of the log stays in memory between polls: each poll reads only new entries.
    let mut monitor = Monitor::new(state, cfg);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent();
    let src = canvass_verify::source::open(&args.source);
    let mut fired = 0usize;
    loop {
        match monitor.poll(src.as_ref(), now()) {
            Ok(alerts) => {
                fired += alerts.len();
                for al in &alerts {
                    emit(al, args.webhook.as_deref(), &agent);
                }
                if let Err(e) = save_state(args.state.as_ref(), &monitor.state) {
                    return fail(&e);
                }
            }
            Err(e) if args.once => return fail(&e.to_string()),
            Err(e) => eprintln!("warning: poll failed (trying again): {e}"),
        }
        if args.once {
            return if fired == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            };
        }
        std::thread::sleep(Duration::from_secs(args.interval.max(1)));
    }
}
