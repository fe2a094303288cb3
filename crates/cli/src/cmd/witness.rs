//! `canvass witness`: a C2SP tlog-witness serving `add-checkpoint` over HTTP, and witness key
//! generation. The decision logic is `canvass_log::witness`; this module only does I/O.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use canvass_log::witness::{AddCheckpoint, Witness};
use canvass_log::{Cosigner, LogVerifier};
use clap::{Args, Subcommand};

use super::fail;

/// Run a transparency log witness.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass witness keygen --name witness.example/w1 --out w1.key
  canvass witness serve --key w1.key --listen 127.0.0.1:7380 --log log.vkey --state /var/lib/canvass-witness")]
pub struct WitnessArgs {
    #[command(subcommand)]
    command: WitnessCommand,
}

#[derive(Subcommand, Debug)]
enum WitnessCommand {
    /// Generate a cosigning key; writes the private key to --out and prints the verifier key.
    Keygen {
        /// Witness name, e.g. witness.example/w1.
        #[arg(long)]
        name: String,
        /// File for the private key (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Serve POST /add-checkpoint (C2SP tlog-witness).
    Serve {
        /// Private key file written by `canvass witness keygen`.
        #[arg(long)]
        key: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7380")]
        listen: SocketAddr,
        /// Verifier key (text or file) of a log to witness; repeat for several logs.
        #[arg(long = "log", required = true)]
        logs: Vec<String>,
        /// Directory keeping the latest cosigned checkpoint per log and refusal evidence.
        #[arg(long)]
        state: PathBuf,
    },
}

/// Runs `canvass witness`.
pub fn run(args: WitnessArgs) -> ExitCode {
    match args.command {
        WitnessCommand::Keygen { name, out } => keygen(&name, &out),
        WitnessCommand::Serve {
            key,
            listen,
            logs,
            state,
        } => serve(&key, listen, &logs, &state),
    }
    .unwrap_or_else(|e| fail(&e))
}

fn keygen(name: &str, out: &Path) -> Result<ExitCode, String> {
    let mut seed = [0u8; 32];
    let mut f = std::fs::File::open("/dev/urandom")
        .map_err(|e| format!("cannot open /dev/urandom: {e}"))?;
    std::io::Read::read_exact(&mut f, &mut seed)
        .map_err(|e| format!("cannot read /dev/urandom: {e}"))?;
    let c = Cosigner::from_seed(name, seed).map_err(|e| e.to_string())?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts
        .open(out)
        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    std::io::Write::write_all(&mut file, format!("{}\n", c.to_skey()).as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    outln!("{}", c.verifier().to_vkey());
    Ok(ExitCode::SUCCESS)
}

struct Shared {
    witness: Mutex<Witness>,
    state: PathBuf,
}

fn now_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Writes a file durably (temporary file, fsync, rename, directory fsync).
fn write_durable(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    std::io::Write::write_all(&mut f, bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

fn serve(
    key: &Path,
    listen: SocketAddr,
    logs: &[String],
    state: &Path,
) -> Result<ExitCode, String> {
    let skey = std::fs::read_to_string(key)
        .map_err(|e| format!("cannot read key {}: {e}", key.display()))?;
    let cosigner = Cosigner::from_skey(&skey).map_err(|e| e.to_string())?;
    let mut verifiers = Vec::new();
    for l in logs {
        let text = if Path::new(l).is_file() {
            std::fs::read_to_string(l).map_err(|e| format!("cannot read {l}: {e}"))?
        } else {
            l.clone()
        };
        verifiers.push(LogVerifier::from_vkey(text.trim()).map_err(|e| format!("--log {l}: {e}"))?);
    }
    let vkey = cosigner.verifier().to_vkey();
    let app = router(cosigner, verifiers, state)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start runtime: {e}"))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        eprintln!("witness {vkey} listening on http://{listen}/add-checkpoint");
        axum::serve(listener, app)
            .await
            .map_err(|e| format!("server error: {e}"))
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The witness's `POST /add-checkpoint` route, with the latest checkpoints kept in `state`
/// restored.
fn router(cosigner: Cosigner, logs: Vec<LogVerifier>, state: &Path) -> Result<Router, String> {
    let mut witness = Witness::new(cosigner, logs);
    let latest_dir = state.join("latest");
    if let Ok(rd) = std::fs::read_dir(&latest_dir) {
        for e in rd.flatten() {
            if e.path().extension().is_some_and(|x| x == "note") {
                let note = std::fs::read(e.path())
                    .map_err(|err| format!("cannot read {}: {err}", e.path().display()))?;
                witness
                    .restore(&note)
                    .map_err(|r| format!("{}: {}", e.path().display(), r.reason))?;
            }
        }
    }
    let shared = Arc::new(Shared {
        witness: Mutex::new(witness),
        state: state.to_path_buf(),
    });
    Ok(Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .with_state(shared))
}

/// A witness running on a loopback port in its own runtime (for `canvass demo`); stops when
/// dropped.
pub struct LocalWitness {
    /// Its verifier key.
    pub vkey: String,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    _rt: tokio::runtime::Runtime,
}

/// Starts a witness for `log` on a free loopback port, keeping its state in `state`.
///
/// # Errors
/// A message if the state cannot be read or the port or runtime cannot be had.
pub fn start_local(
    cosigner: Cosigner,
    log: LogVerifier,
    state: &Path,
) -> Result<LocalWitness, String> {
    let vkey = cosigner.verifier().to_vkey();
    let app = router(cosigner, vec![log], state)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a witness runtime: {e}"))?;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| format!("cannot listen on a loopback port for a witness: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("witness address: {e}"))?;
    rt.spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("error: a demo witness stopped: {e}");
        }
    });
    Ok(LocalWitness {
        vkey,
        url: format!("http://{addr}"),
        _rt: rt,
    })
}

async fn add_checkpoint(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match tokio::task::spawn_blocking(move || decide(&shared, &body)).await {
        Ok(r) => r,
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal error: {e}\n"),
        )
            .into_response(),
    }
}

/// Checks, persists and cosigns under one lock, so concurrent requests cannot roll back.
fn decide(shared: &Shared, body: &[u8]) -> Response {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let req = match AddCheckpoint::parse(body) {
        Ok(r) => r,
        Err(r) => return (StatusCode::BAD_REQUEST, format!("{}\n", r.reason)).into_response(),
    };
    let mut w = shared
        .witness
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match w.evaluate(&req, now) {
        Ok(c) => {
            let path = shared
                .state
                .join("latest")
                .join(format!("{}.note", hex(c.checkpoint.origin.as_bytes())));
            if let Err(e) = write_durable(&path, &c.note) {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot persist checkpoint: {e}\n"),
                )
                    .into_response();
            }
            w.accept(&c);
            (
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                c.cosignature,
            )
                .into_response()
        }
        Err(r) => {
            let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
            if let Some(ev) = &r.evidence {
                let path = shared.state.join("evidence").join(format!(
                    "{}-{}.txt",
                    now_nanos(),
                    hex(ev.origin.as_bytes())
                ));
                let mut text = format!(
                    "refused: {}\n\n--- previous cosigned checkpoint ---\n",
                    ev.reason
                )
                .into_bytes();
                text.extend_from_slice(&ev.previous_note);
                text.extend_from_slice(b"\n--- refused request ---\n");
                text.extend_from_slice(&ev.request);
                let kept = write_durable(&path, &text).map(|()| path.display().to_string());
                eprintln!(
                    "WITNESS REFUSED INCONSISTENT CHECKPOINT from {}: {} (evidence: {:?})",
                    ev.origin, ev.reason, kept
                );
            }
            match r.latest_size {
                Some(size) if r.status == 409 => (
                    status,
                    [(header::CONTENT_TYPE, "text/x.tlog.size")],
                    format!("{size}\n"),
                )
                    .into_response(),
                _ => (status, format!("{}\n", r.reason)).into_response(),
            }
        }
    }
}
