//! Witness cosigning before publication: the log's side of C2SP tlog-witness.
//!
//! With witnesses configured (`canvass serve --witness VKEY=URL --quorum K`), the checkpointer
//! signs a checkpoint, sends it to every witness as an `add-checkpoint` request (the size the
//! witness last cosigned, a consistency proof from there, and the note), checks each returned
//! cosignature (C2SP tlog-cosignature) against that witness's key, and publishes the note with
//! the cosignatures only when at least K are valid. Otherwise nothing is published and the
//! checkpointer tries again: the previous checkpoint stays the public one.
//!
//! A witness answering 409 names the size it last cosigned; the request is then repeated once
//! from that size. A witness that has cosigned a larger tree than the log has is reported as a
//! possible rollback or fork. A witness whose previous request is still running is skipped, so
//! a slow witness never holds more than one request.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use canvass_log::witness::AddCheckpoint;
use canvass_log::{CosignatureVerifier, Hash, WitnessPolicy};
use canvass_store::tlog::Log;

/// Longest witness response body read.
const MAX_RESPONSE: u64 = 64 * 1024;
/// Default time allowed for one round of witness requests.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to keep waiting for further cosignatures once the quorum is met.
const GRACE: Duration = Duration::from_millis(200);

/// One witness: its cosignature key and where to send `add-checkpoint`.
#[derive(Debug, Clone)]
pub struct WitnessEndpoint {
    /// The witness's cosignature/v1 verifier key.
    pub verifier: CosignatureVerifier,
    /// Its submission URL (`.../add-checkpoint`).
    pub url: String,
}

impl WitnessEndpoint {
    /// Parses `VKEY=URL` (the URL is the witness's prefix or its full `add-checkpoint` URL).
    ///
    /// # Errors
    /// A message naming what is wrong with the argument.
    pub fn parse(arg: &str) -> Result<Self, String> {
        let (vkey, url) = arg.split_once('=').ok_or_else(|| {
            format!("witness {arg:?} must be VKEY=URL, e.g. witness.example/w1+1a2b3c4d+AbC...=http://127.0.0.1:7380")
        })?;
        let verifier = CosignatureVerifier::from_vkey(vkey.trim())
            .map_err(|e| format!("witness key {vkey:?}: {e}"))?;
        let url = url.trim().trim_end_matches('/');
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "witness URL {url:?} must start with http:// or https://"
            ));
        }
        let url = if url.ends_with("/add-checkpoint") {
            url.to_owned()
        } else {
            format!("{url}/add-checkpoint")
        };
        Ok(Self { verifier, url })
    }
}

/// The witnesses to ask and how many must cosign.
#[derive(Debug, Clone)]
pub struct WitnessConfig {
    /// The witnesses.
    pub witnesses: Vec<WitnessEndpoint>,
    /// How many distinct witnesses must cosign a checkpoint before it is published.
    pub quorum: usize,
    /// Time allowed for one round of requests.
    pub timeout: Duration,
}

impl WitnessConfig {
    /// A configuration, checked: at least one witness, distinct names, 1 ≤ quorum ≤ n.
    ///
    /// # Errors
    /// A message saying which rule was broken.
    pub fn new(witnesses: Vec<WitnessEndpoint>, quorum: usize) -> Result<Self, String> {
        if witnesses.is_empty() {
            return Err("--quorum needs at least one --witness".into());
        }
        for (i, w) in witnesses.iter().enumerate() {
            if witnesses[..i]
                .iter()
                .any(|x| x.verifier.name() == w.verifier.name())
            {
                return Err(format!("witness {} is configured twice", w.verifier.name()));
            }
        }
        if quorum == 0 || quorum > witnesses.len() {
            return Err(format!(
                "--quorum {quorum} must be between 1 and the number of witnesses ({})",
                witnesses.len()
            ));
        }
        Ok(Self {
            witnesses,
            quorum,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The publication policy: `quorum` of these witnesses.
    pub fn policy(&self) -> WitnessPolicy {
        WitnessPolicy {
            witnesses: self.witnesses.iter().map(|w| w.verifier.clone()).collect(),
            threshold: self.quorum,
        }
    }

    /// The policy in the `canvass verify --policy` file format.
    pub fn policy_text(&self) -> String {
        let mut s = String::new();
        for w in &self.witnesses {
            s.push_str("witness ");
            s.push_str(&w.verifier.to_vkey());
            s.push('\n');
        }
        s.push_str(&format!("quorum {}\n", self.quorum));
        s
    }
}

/// What the log knows about one witness.
#[derive(Debug, Default)]
struct Known {
    /// The size the witness last cosigned, as far as the log knows.
    size: u64,
    /// A request to it is still running.
    in_flight: bool,
}

/// The witnesses and what the log knows about each; used by the checkpointer only.
#[derive(Debug)]
pub(crate) struct Witnessing {
    config: WitnessConfig,
    policy: WitnessPolicy,
    known: Vec<Arc<Mutex<Known>>>,
    agent: ureq::Agent,
    /// The log is shared with other instances (`--shared-log`): a witness ahead of this
    /// instance's tree has cosigned another instance's checkpoint, not a rolled-back log.
    shared_log: bool,
}

/// The answer of one witness to one request.
enum Outcome {
    /// Its cosignature lines.
    Cosigned(String),
    /// 409: it last cosigned this size.
    Conflict(u64),
    /// Anything else.
    Failed(String),
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Witnessing {
    /// Starts from the published checkpoint: witnesses that cosigned it have seen its size.
    pub(crate) fn new(
        config: WitnessConfig,
        published: Option<(u64, &str)>,
        shared_log: bool,
    ) -> Self {
        let known = config
            .witnesses
            .iter()
            .map(|w| {
                let size = published
                    .filter(|(_, note)| {
                        matches!(w.verifier.cosigned_at(note.as_bytes()), Ok(Some(_)))
                    })
                    .map_or(0, |(size, _)| size);
                Arc::new(Mutex::new(Known {
                    size,
                    in_flight: false,
                }))
            })
            .collect();
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .build()
            .new_agent();
        Self {
            policy: config.policy(),
            config,
            known,
            agent,
            shared_log,
        }
    }

    /// The publication policy.
    pub(crate) fn policy(&self) -> &WitnessPolicy {
        &self.policy
    }

    /// The publication policy in `canvass verify --policy` format.
    pub(crate) fn policy_text(&self) -> String {
        self.config.policy_text()
    }

    /// Asks every witness to cosign `note` (a checkpoint of `size` signed by `log`) and returns
    /// the note with every valid cosignature appended.
    ///
    /// # Errors
    /// A message naming each witness that did not cosign and why, when fewer than the quorum
    /// did.
    pub(crate) fn cosign(&self, log: &Log, size: u64, note: &str) -> Result<String, String> {
        let (tx, rx) = mpsc::channel::<(usize, Outcome)>();
        let mut pending = 0;
        let mut problems: Vec<String> = Vec::new();
        let mut retried = vec![false; self.config.witnesses.len()];
        for i in 0..self.config.witnesses.len() {
            let old = {
                let mut k = lock(&self.known[i]);
                if k.in_flight {
                    problems.push(format!(
                        "{}: its previous request is still running",
                        self.config.witnesses[i].verifier.name()
                    ));
                    continue;
                }
                k.in_flight = true;
                k.size
            };
            match self.request(log, i, old, size, note, tx.clone()) {
                Ok(()) => pending += 1,
                Err(e) => {
                    lock(&self.known[i]).in_flight = false;
                    problems.push(e);
                }
            }
        }
        let deadline = Instant::now() + self.config.timeout;
        let mut lines = String::new();
        let mut valid = 0;
        let mut quorum_at: Option<Instant> = None;
        while pending > 0 {
            let until = match quorum_at {
                Some(t) => (t + GRACE).min(deadline),
                None => deadline,
            };
            let Some(left) = until.checked_duration_since(Instant::now()) else {
                break;
            };
            let Ok((i, outcome)) = rx.recv_timeout(left) else {
                break;
            };
            pending -= 1;
            let w = &self.config.witnesses[i];
            let name = w.verifier.name();
            match outcome {
                Outcome::Cosigned(body) => {
                    let mut any = false;
                    for line in body.lines().filter(|l| !l.trim().is_empty()) {
                        let candidate = format!("{note}{line}\n");
                        if matches!(w.verifier.cosigned_at(candidate.as_bytes()), Ok(Some(_))) {
                            lines.push_str(line);
                            lines.push('\n');
                            any = true;
                        }
                    }
                    if any {
                        valid += 1;
                        if valid >= self.config.quorum && quorum_at.is_none() {
                            quorum_at = Some(Instant::now());
                        }
                    } else {
                        problems.push(format!(
                            "{name}: answered without a valid cosignature for its key"
                        ));
                    }
                }
                Outcome::Conflict(seen) if seen > size && self.shared_log => {
                    problems.push(format!(
                        "{name}: has cosigned a tree of {seen} entries, another instance's on \
                         the shared log; this one has {size} and asks again once it has caught up"
                    ));
                }
                Outcome::Conflict(seen) if seen > size => {
                    problems.push(format!(
                        "{name}: has cosigned a tree of {seen} entries but the log has {size}: \
                         the log was rolled back or forked; restore it from the latest \
                         published state"
                    ));
                }
                Outcome::Conflict(seen) if !retried[i] && seen != lock(&self.known[i]).size => {
                    retried[i] = true;
                    {
                        let mut k = lock(&self.known[i]);
                        k.size = seen;
                        k.in_flight = true;
                    }
                    match self.request(log, i, seen, size, note, tx.clone()) {
                        Ok(()) => pending += 1,
                        Err(e) => {
                            lock(&self.known[i]).in_flight = false;
                            problems.push(e);
                        }
                    }
                }
                Outcome::Conflict(seen) => {
                    problems.push(format!(
                        "{name}: refused again with its last cosigned size {seen}"
                    ));
                }
                Outcome::Failed(e) => problems.push(format!("{name}: {e}")),
            }
        }
        if valid >= self.config.quorum {
            if !problems.is_empty() {
                tracing::warn!(size, problems = %problems.join("; "), "some witnesses did not cosign");
            }
            return Ok(format!("{note}{lines}"));
        }
        if pending > 0 {
            problems.push(format!(
                "{pending} witness(es) did not answer within {:?}",
                self.config.timeout
            ));
        }
        Err(format!(
            "only {valid} of {} witnesses cosigned the checkpoint of size {size}; {} needed: {}",
            self.config.witnesses.len(),
            self.config.quorum,
            problems.join("; ")
        ))
    }

    /// Starts one `add-checkpoint` request to witness `i` in its own thread.
    fn request(
        &self,
        log: &Log,
        i: usize,
        old: u64,
        size: u64,
        note: &str,
        tx: mpsc::Sender<(usize, Outcome)>,
    ) -> Result<(), String> {
        let w = &self.config.witnesses[i];
        let proof: Vec<Hash> = if old == 0 || old >= size {
            Vec::new()
        } else {
            log.consistency_proof(old, size).map_err(|e| {
                format!(
                    "{}: cannot prove consistency from size {old}: {e}",
                    w.verifier.name()
                )
            })?
        };
        let body = AddCheckpoint {
            old_size: old,
            proof,
            note: note.as_bytes().to_vec(),
        }
        .to_body();
        let agent = self.agent.clone();
        let url = w.url.clone();
        let known = Arc::clone(&self.known[i]);
        std::thread::Builder::new()
            .name("canvass-witness".into())
            .spawn(move || {
                let outcome = post(&agent, &url, &body);
                {
                    let mut k = lock(&known);
                    if matches!(outcome, Outcome::Cosigned(_)) {
                        k.size = k.size.max(size);
                    }
                    k.in_flight = false;
                }
                let _ = tx.send((i, outcome));
            })
            .map(|_| ())
            .map_err(|e| format!("{}: cannot start a thread: {e}", w.verifier.name()))
    }
}

/// Sends one request and classifies the answer.
fn post(agent: &ureq::Agent, url: &str, body: &[u8]) -> Outcome {
    let mut resp = match agent
        .post(url)
        .header("Content-Type", "text/plain; charset=utf-8")
        .send(body)
    {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(format!("request to {url} failed: {e}")),
    };
    let status = resp.status().as_u16();
    let text = match resp
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE)
        .read_to_string()
    {
        Ok(t) => t,
        Err(e) => return Outcome::Failed(format!("reading the answer from {url}: {e}")),
    };
    match status {
        200 => Outcome::Cosigned(text),
        409 => match text.trim().parse::<u64>() {
            Ok(n) => Outcome::Conflict(n),
            Err(_) => Outcome::Failed(format!(
                "409 from {url} without a tree size: {:?}",
                text.trim()
            )),
        },
        s => Outcome::Failed(format!("HTTP {s} from {url}: {}", text.trim())),
    }
}
