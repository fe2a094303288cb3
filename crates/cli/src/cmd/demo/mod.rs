//! `canvass demo`: the main job. One command runs the working system on a simulated
//! election night.
//!
//! 1. Simulates the built-in `us-2020` election (`canvass_sim`: every county's precinct
//!    results, adding up to the real 2020 presidential returns of each state).
//! 2. Creates the keys and the authority-signed roster exactly as
//!    `canvass keys init --seed <seed>` does, in `--data` or a fresh temporary directory,
//!    for the simulated definition (with its precincts): the roster binds its SHA-256 and
//!    `<data>/election.json` holds its canonical bytes, served at `GET /api/election`, so
//!    `canvass verify URL` needs no `--election`.
//! 3. Opens the server core ([`canvass_server::App`]) and serves the HTTP API on `--listen`.
//! 4. Plays the night ([`night`]): each county signs its precinct results with its own key
//!    and posts them over HTTP, as polls close time zone by time zone, in partial waves;
//!    a few counties correct a transposed count days later with an amendment; finally the
//!    authority certifies each state (`POST /api/certifications`). The reports of each
//!    simulated minute ([`WAVE_SECONDS`]) go as one batch (`POST /api/submissions/batch`),
//!    logged in schedule order with one results snapshot; amendments and certifications go
//!    one at a time. Timestamps come from the simulated clock, and each request waits for the
//!    answer to the one before, so the same seed gives the same log, byte for byte.

mod client;
mod night;
mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canvass_model::PrecinctResult;
use canvass_server::io::{self, KeySource};
use canvass_server::{Amendment, App, Certification, Payload, SecretKey, Submission};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cmd::fail;
use crate::cmd::simulate::{parse_scale, run_simulation};
use client::Client;
use night::{Night, Typo, What};
use report::{Say, Summary, called, clock, print_summary, scale_text};

/// Run the demonstration election night: a real server, signed submissions, a public log.
#[derive(Args)]
#[command(after_help = "Examples:
  canvass demo                                   # about three minutes; Ctrl-C to stop serving
  canvass demo --speed 0 --exit-when-done        # as fast as it goes, then exit
  canvass demo --seed 7 --scale 0.01 --listen 127.0.0.1:0 --data night7

While it runs: results at <url>/api/results, the log's checkpoint at <url>/log/checkpoint.
The same --seed (and --scale) gives the same log, byte for byte.")]
pub struct DemoArgs {
    /// The built-in election to simulate.
    #[arg(long, default_value = "us-2020")]
    election: String,
    /// Data directory (created; must not hold keys yet); default: a fresh temporary
    /// directory, removed when the demo ends.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Address to serve the HTTP API on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// The seed of the simulation, the keys and the night's schedule.
    #[arg(long, default_value_t = 2020)]
    seed: u64,
    /// The scale: 1 is the real size (about 175,000 precincts).
    #[arg(long, default_value = "1", value_parser = parse_scale)]
    scale: u32,
    /// Simulated seconds per real second (0: no waiting). The night lasts about 16
    /// simulated hours.
    #[arg(long, default_value_t = 300)]
    speed: u64,
    /// Exit when the night is over instead of serving until Ctrl-C.
    #[arg(long)]
    exit_when_done: bool,
    /// Print a JSON summary at the end (instead of the commentary on stdout).
    #[arg(long)]
    json: bool,
    /// Witnesses (C2SP tlog-witness, run in this process on loopback ports) that must all
    /// cosign every checkpoint before it is published; 0 publishes without witnesses.
    #[arg(long, default_value_t = 2)]
    witnesses: usize,
}

/// Starts `n` witnesses for the data directory's log (keys derived from the seed, state in
/// `<data>/witnesses/w<i>`) and the server options that require all of them.
fn start_witnesses(
    data: &Path,
    seed: u64,
    n: usize,
) -> Result<(Vec<super::witness::LocalWitness>, canvass_server::Options), String> {
    if n == 0 {
        return Ok((Vec::new(), canvass_server::Options::default()));
    }
    let path = data.join("log.vkey");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let log = canvass_log::LogVerifier::from_vkey(text.trim()).map_err(|e| e.to_string())?;
    let mut running = Vec::new();
    let mut endpoints = Vec::new();
    for i in 1..=n {
        let key: [u8; 32] =
            <sha2::Sha256 as sha2::Digest>::digest(format!("canvass demo witness {seed} {i}"))
                .into();
        let cosigner = canvass_log::Cosigner::from_seed(&format!("witness.demo.example/w{i}"), key)
            .map_err(|e| e.to_string())?;
        let w = super::witness::start_local(
            cosigner,
            log.clone(),
            &data.join(format!("witnesses/w{i}")),
        )?;
        endpoints.push(canvass_server::witnessing::WitnessEndpoint::parse(
            &format!("{}={}", w.vkey, w.url),
        )?);
        running.push(w);
    }
    let config = canvass_server::witnessing::WitnessConfig::new(endpoints, n)?;
    Ok((
        running,
        canvass_server::Options {
            witnesses: Some(config),
            ..Default::default()
        },
    ))
}

/// A data directory, removed at the end when it was made up for this run.
struct DataDir {
    path: PathBuf,
    temporary: bool,
}

impl Drop for DataDir {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn data_dir(arg: Option<&Path>) -> Result<DataDir, String> {
    if let Some(p) = arg {
        if p.join("keys").exists() {
            return Err(format!(
                "{} already holds keys (an earlier demo?): give a new --data directory",
                p.display()
            ));
        }
        return Ok(DataDir {
            path: p.to_path_buf(),
            temporary: false,
        });
    }
    let base = std::env::temp_dir();
    for n in 0..1000u32 {
        let path = base.join(format!("canvass-demo-{}-{n}", std::process::id()));
        match std::fs::create_dir(&path) {
            Ok(()) => {
                return Ok(DataDir {
                    path,
                    temporary: true,
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
        }
    }
    Err(format!(
        "cannot create a temporary directory in {}: pass --data",
        base.display()
    ))
}

/// Paces the night: waits until `at` on the simulated clock comes round at `speed`
/// simulated seconds per real second; skips ahead over quiet stretches longer than six
/// simulated hours (between election night and the canvass).
struct Pacer {
    speed: u64,
    origin: Option<(u64, Instant)>,
}

impl Pacer {
    fn wait_until(&mut self, at: u64) -> bool {
        if self.speed == 0 {
            return false;
        }
        let (sim0, real0) = *self.origin.get_or_insert((at, Instant::now()));
        let due = real0 + Duration::from_millis(at.saturating_sub(sim0) * 1000 / self.speed);
        let now = Instant::now();
        if due > now + Duration::from_millis(6 * 3600 * 1000 / self.speed) {
            self.origin = Some((at, now));
            return true;
        }
        if due > now {
            std::thread::sleep(due - now);
        }
        false
    }
}

/// The results a submission carries: the reporter's true results for `precincts`, with the
/// count of `typo` (if any) sent wrong.
fn payload(results: &[PrecinctResult], precincts: &[usize], typo: Option<&Typo>) -> Payload {
    let results = precincts
        .iter()
        .map(|&p| {
            let mut r = results[p].clone();
            if let Some(t) = typo.filter(|t| t.precinct == p) {
                r.contests[t.contest].votes[t.vote].votes = t.wrong;
            }
            r
        })
        .collect();
    Payload::PrecinctResults { results }
}

/// Runs `canvass demo`.
pub fn run(args: DemoArgs) -> ExitCode {
    match demo(&args) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn demo(args: &DemoArgs) -> Result<ExitCode, String> {
    let started = Instant::now();
    // A name that is not an election fails here, before the port is bound.
    io::load_election(&args.election).map_err(|e| e.to_string())?;
    let listener = client::bind(&args.listen)?;
    let data = data_dir(args.data.as_deref())?;
    let sim = match run_simulation(&args.election, args.seed, args.scale, args.json) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    // Exactly what `canvass keys init --seed <seed>` does with the simulated definition: the
    // roster binds its SHA-256 and `<data>/election.json` holds its canonical bytes, which the
    // server publishes at /api/election.
    io::init_keys(&data.path, &sim.election, KeySource::Seeded(args.seed))
        .map_err(|e| e.to_string())?;
    let (witnesses, options) = start_witnesses(&data.path, args.seed, args.witnesses)?;
    let app =
        App::open_with(&data.path, sim.election.clone(), options).map_err(|e| e.to_string())?;
    let app = Arc::new(app);
    let server = client::start(Arc::clone(&app), listener)?;
    let night = night::plan(&sim.jurisdictions, args.seed);
    let precincts = sim.election.precincts.len();
    let client = Client::new(&server.url);

    let pb = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(night.reporters.len() as u64)
    };
    pb.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} counties reported {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let say = Say {
        json: args.json,
        pb: pb.clone(),
    };
    say.line(&format!(
        "canvass demo: {} (seed {}, scale {}): {precincts} precincts in {} reporting jurisdictions",
        sim.election.election.name,
        args.seed,
        scale_text(args.scale),
        night.reporters.len()
    ));
    say.line(&format!(
        "data directory: {}{}",
        data.path.display(),
        if data.temporary {
            " (temporary: removed when the demo ends)"
        } else {
            ""
        }
    ));
    say.line(&format!("serving {}", server.url));
    say.line(&format!("  results:     {}/api/results", server.url));
    say.line(&format!("  log:         {}/log/checkpoint", server.url));
    if !witnesses.is_empty() {
        say.line(&format!(
            "  witnesses:   {} of {} cosign every checkpoint ({}/log/witnesses)",
            witnesses.len(),
            witnesses.len(),
            server.url
        ));
    }

    let tally = play(&night, &data.path, &client, &say, args.speed)?;
    pb.finish_and_clear();

    let (results, _) = client.get_json("/api/results")?;
    let checkpoint = final_checkpoint(&app, &client)?;
    let mut lines = checkpoint.lines().skip(1);
    let log_size: u64 = lines.next().and_then(|l| l.parse().ok()).unwrap_or(0);
    let root = lines.next().unwrap_or_default().to_owned();
    let summary = Summary {
        election: sim.election.election.id.to_string(),
        seed: args.seed,
        scale: scale_text(args.scale),
        data: data.path.clone(),
        url: server.url.clone(),
        states: night
            .reporters
            .iter()
            .map(|r| r.state.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        jurisdictions: night.reporters.len(),
        jurisdictions_reported: tally.reported,
        precincts,
        submissions: tally.submissions,
        amendments: tally.amendments,
        certified: tally.certified.clone(),
        log_size,
        checkpoint_root: root,
        electoral_votes: results["electoral_votes"].clone(),
        electoral_college_winner: results["electoral_college_winner"]
            .as_str()
            .map(str::to_owned),
        elapsed_seconds: started.elapsed().as_secs_f64(),
    };
    if args.json {
        crate::cmd::print_json(&summary);
    } else {
        print_summary(&summary, &results);
    }
    if !args.exit_when_done {
        say.line(&format!(
            "still serving {} (results and log stay up): Ctrl-C to stop",
            server.url
        ));
        server.wait_for_ctrl_c();
    }
    drop(server);
    drop(data);
    Ok(ExitCode::SUCCESS)
}

/// The reports of one simulated period this long (seconds) are posted as one batch: a
/// wave of counties reporting at one moment of the night.
pub const WAVE_SECONDS: u64 = 60;

/// What the night did.
#[derive(Debug, Default)]
struct Tally {
    submissions: u64,
    amendments: u64,
    reported: usize,
    certified: Vec<String>,
}

/// Loads each jurisdiction's key on first use.
struct Keys<'a> {
    data: &'a Path,
    loaded: Vec<Option<SecretKey>>,
    authority: Option<SecretKey>,
}

impl Keys<'_> {
    fn authority(&mut self) -> Result<&SecretKey, String> {
        if self.authority.is_none() {
            let path = io::authority_key_path(self.data);
            self.authority = Some(io::read_secret_key(&path).map_err(|e| e.to_string())?);
        }
        self.authority
            .as_ref()
            .ok_or_else(|| "authority key not loaded".to_owned())
    }

    fn get(&mut self, night: &Night, reporter: usize) -> Result<&SecretKey, String> {
        let slot = &mut self.loaded[reporter];
        if slot.is_none() {
            let id = night.reporters[reporter].id.as_str();
            let path = io::jurisdiction_key_path(self.data, id);
            *slot = Some(io::read_secret_key(&path).map_err(|e| e.to_string())?);
        }
        slot.as_ref()
            .ok_or_else(|| "jurisdiction key not loaded".to_owned())
    }
}

fn play(
    night: &Night,
    data: &Path,
    client: &Client,
    say: &Say,
    speed: u64,
) -> Result<Tally, String> {
    let election = night_election_id(data)?;
    let mut keys = Keys {
        data,
        loaded: vec![None; night.reporters.len()],
        authority: None,
    };
    let mut remaining: std::collections::BTreeMap<&str, usize> = Default::default();
    for r in &night.reporters {
        *remaining.entry(r.state.as_str()).or_default() += 1;
    }
    let mut pacer = Pacer {
        speed,
        origin: None,
    };
    let mut t = Tally::default();
    let mut next = 0;
    while let Some(e) = night.events.get(next) {
        next += 1;
        if matches!(e.what, What::Report { .. }) {
            // The wave: this report and the ones after it in the same simulated period.
            let period = e.at / WAVE_SECONDS;
            let end = night.events[next..]
                .iter()
                .position(|x| {
                    !matches!(x.what, What::Report { .. }) || x.at / WAVE_SECONDS != period
                })
                .map_or(night.events.len(), |k| next + k);
            let wave = &night.events[next - 1..end];
            next = end;
            let at = wave.last().map_or(e.at, |x| x.at);
            if pacer.wait_until(at) {
                say.line(&format!("... skipping ahead to {}", clock(at)));
            }
            let docs = wave
                .iter()
                .map(|x| report(night, &election, &mut keys, x))
                .collect::<Result<Vec<_>, _>>()?;
            client.submit_batch(&docs)?;
            for x in wave {
                let What::Report { reporter, last, .. } = &x.what else {
                    continue;
                };
                t.submissions += 1;
                if *last {
                    let state = night.reporters[*reporter].state.as_str();
                    t.reported += 1;
                    say.pb.inc(1);
                    let left = remaining.entry(state).or_default();
                    *left -= 1;
                    if *left == 0 {
                        say.line(&called(client, state)?);
                    }
                }
            }
            continue;
        }
        if pacer.wait_until(e.at) {
            say.line(&format!("... skipping ahead to {}", clock(e.at)));
        }
        match &e.what {
            What::PollsClose { states } => {
                say.line(&format!(
                    "{}  polls close in {}",
                    clock(e.at),
                    states.join(", ")
                ));
            }
            What::Report { .. } => {}
            What::Amend {
                reporter,
                sequence,
                supersedes,
                precincts,
                typo,
            } => {
                let r = &night.reporters[*reporter];
                let truth = r.results[typo.precinct].contests[typo.contest].votes[typo.vote].votes;
                let contest = &r.results[typo.precinct].contests[typo.contest];
                let reason = format!(
                    "transposed digits in precinct {}: {} {} reported as {}, corrected to {truth} after canvass",
                    r.results[typo.precinct].precinct,
                    contest.contest,
                    contest.votes[typo.vote].selection,
                    typo.wrong
                );
                let s = Submission {
                    election: election.clone(),
                    jurisdiction: r.id.clone(),
                    sequence: *sequence,
                    timestamp: e.at,
                    amendment: Some(Amendment {
                        supersedes: *supersedes,
                        reason: reason.clone(),
                    }),
                    payload: payload(&r.results, precincts, None),
                };
                client.submit(&s.sign(keys.get(night, *reporter)?))?;
                t.submissions += 1;
                t.amendments += 1;
                say.line(&format!(
                    "{}  amendment from {} (supersedes its submission {supersedes}): {reason}",
                    clock(e.at),
                    r.id
                ));
            }
            What::Certify { state } => {
                let index = certify(client, &election, state, keys.authority()?)?;
                t.certified.push(state.clone());
                say.line(&format!(
                    "{}  {state} certified by the authority (log entry {index})",
                    clock(e.at)
                ));
            }
        }
    }
    Ok(t)
}

/// The signed submission document of a `What::Report` event (empty for other events).
fn report(
    night: &Night,
    election: &canvass_model::ElectionId,
    keys: &mut Keys<'_>,
    e: &night::Event,
) -> Result<String, String> {
    let What::Report {
        reporter,
        sequence,
        precincts,
        typo,
        ..
    } = &e.what
    else {
        return Ok(String::new());
    };
    let r = &night.reporters[*reporter];
    let s = Submission {
        election: election.clone(),
        jurisdiction: r.id.clone(),
        sequence: *sequence,
        timestamp: e.at,
        amendment: None,
        payload: payload(&r.results, precincts, typo.as_ref()),
    };
    Ok(s.sign(keys.get(night, *reporter)?))
}

/// The published checkpoint once it covers every logged entry (the server checkpoints in
/// the background, coalescing under load).
fn final_checkpoint(app: &App, client: &Client) -> Result<String, String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let note = client.get_text("/log/checkpoint")?;
        let size: u64 = note
            .lines()
            .nth(1)
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        if size >= app.log().size() {
            return Ok(note);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the published checkpoint covers {size} entries of {} after two minutes",
                app.log().size()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Certifies `state` over HTTP: the authority signs the latest published results snapshot
/// (the log index and SHA-256 of `GET /api/results`) and posts it to `/api/certifications`.
/// Returns the certification's log index.
fn certify(
    client: &Client,
    election: &canvass_model::ElectionId,
    state: &str,
    authority: &SecretKey,
) -> Result<u64, String> {
    let (body, headers) = client.get("/api/results")?;
    let after: u64 = headers
        .get("x-canvass-log-index")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or("cannot certify: the server has published no results snapshot")?;
    let doc = Certification {
        election: election.clone(),
        state: state.into(),
        results_sha256: canvass_server::entry::sha256_hex(body.as_bytes()),
        after,
    }
    .sign(authority);
    let answer = client.post("/api/certifications", &doc)?;
    answer["log_index"]
        .as_u64()
        .ok_or_else(|| format!("certifying {state}: the answer has no log_index: {answer}"))
}

/// The election id the keys were made for (from the roster).
fn night_election_id(data: &Path) -> Result<canvass_model::ElectionId, String> {
    let roster = io::read_roster(&io::roster_path(data), None).map_err(|e| e.to_string())?;
    Ok(roster.election)
}
