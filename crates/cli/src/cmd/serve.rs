//! `canvass serve`: the canvass server (the HTTP API of `docs/http-api.md`) over a data
//! directory made by `canvass keys init`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use canvass_server::http::{self, ServerConfig};
use canvass_server::io;
use canvass_server::witnessing::{WitnessConfig, WitnessEndpoint};
use canvass_server::{App, Options};
use clap::{Args, ValueEnum};

use super::fail;

/// Serve the canvass HTTP API.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass keys init --data data --election us-2020
  canvass serve --data data
  canvass serve --data data --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem \\
      --cors-origin https://results.example.gov
  RUST_LOG=warn canvass serve --data data --log-format json   # no access logs (info)
  canvass serve --data data --witness $(cat w1.vkey)=http://w1.example:7380 \\
      --witness $(cat w2.vkey)=http://w2.example:7380 --quorum 2

The election is DATA/election.json (written by `canvass keys init`, bound to the roster by
its SHA-256), else the built-in election the roster names; --election overrides but must be
the definition the roster binds. Ctrl-C stops the server after the requests in flight.
Rate limits: --per-ip-rps per client address, --per-key-rps per signing key; 0 turns a
limit off; loopback clients are exempt from both unless --limit-loopback.
Witnesses (C2SP tlog-witness, e.g. `canvass witness serve`): each checkpoint is sent to every
--witness and published only once --quorum of them cosigned it (default: all); until then the
previous checkpoint stays public and the server retries every second. The policy is served
at /log/witnesses for `canvass verify --policy`.
Several instances (high availability): give each a copy of the data directory (same keys)
and the same --database postgres://... with --shared-log; the log's entries then live in
PostgreSQL, any instance accepts submissions, one appends at a time (the others wait on the
log's lock), and each serves /log from its own DATA/log, refilled from PostgreSQL on start.
  canvass serve --data data1 --listen :8081 --database postgres://canvass@db/canvass --shared-log
  canvass serve --data data2 --listen :8082 --database postgres://canvass@db/canvass --shared-log
Routes: docs/http-api.md, or GET /api/openapi.json.")]
pub struct ServeArgs {
    /// Data directory made by `canvass keys init`.
    #[arg(long)]
    data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A built-in election or a definition file; by default the election the roster names.
    #[arg(long)]
    election: Option<String>,
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = http::DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// Requests per second from one IP address (0: unlimited).
    #[arg(long, default_value_t = ServerConfig::default().per_ip_rps)]
    per_ip_rps: u32,
    /// Signed documents per second per signing key (0: unlimited).
    #[arg(long, default_value_t = ServerConfig::default().per_key_rps)]
    per_key_rps: u32,
    /// Requests a client may make at once before the rates apply.
    #[arg(long, default_value_t = ServerConfig::default().burst)]
    burst: u32,
    /// Apply the rate limits to loopback clients too.
    #[arg(long)]
    limit_loopback: bool,
    /// An origin allowed to read the API from a browser (repeat; default: any origin).
    #[arg(long = "cors-origin")]
    cors_origins: Vec<String>,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// The store: postgres://... (or postgresql://...) for PostgreSQL; default: the embedded
    /// SQLite file DATA/canvass.db.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Keep the log itself in the PostgreSQL --database, shared by every instance started
    /// with --shared-log on it (any of them accepts submissions); DATA/log is then a cache.
    #[arg(long, requires = "database")]
    shared_log: bool,
    /// A witness that cosigns checkpoints, as VKEY=URL (repeat for several).
    #[arg(long = "witness", value_name = "VKEY=URL")]
    witnesses: Vec<String>,
    /// How many witnesses must cosign before a checkpoint is published (default: all).
    #[arg(long, requires = "witnesses")]
    quorum: Option<usize>,
    /// Seconds allowed for one round of witness requests.
    #[arg(long, default_value_t = 5, requires = "witnesses")]
    witness_timeout: u64,
}

/// The store and witness options, checked.
fn options(args: &ServeArgs) -> Result<Options, String> {
    let database = args
        .database
        .as_deref()
        .map(|d| canvass_store::Database::parse(d).map_err(|e| format!("--database: {e}")))
        .transpose()?;
    if args.witnesses.is_empty() {
        return Ok(Options {
            database,
            shared_log: args.shared_log,
            ..Options::default()
        });
    }
    let endpoints = args
        .witnesses
        .iter()
        .map(|w| WitnessEndpoint::parse(w).map_err(|e| format!("--witness: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let n = endpoints.len();
    let mut config = WitnessConfig::new(endpoints, args.quorum.unwrap_or(n))?;
    config.timeout = std::time::Duration::from_secs(args.witness_timeout.max(1));
    Ok(Options {
        witnesses: Some(config),
        database,
        shared_log: args.shared_log,
    })
}

/// How logs are written.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => b.try_init(),
        LogFormat::Json => b.json().try_init(),
    };
}

/// Runs `canvass serve`.
pub fn run(args: ServeArgs) -> ExitCode {
    init_tracing(args.log_format);
    let election = match io::load_data_election(&args.data, args.election.as_deref()) {
        Ok(e) => e,
        Err(e) => {
            return fail(&format!(
                "{e}: is {} a data directory made by `canvass keys init`? (--election names a built-in election or a definition file)",
                args.data.display()
            ));
        }
    };
    let election_name = election.election.id.to_string();
    let options = match options(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let app = match App::open_with(&args.data, election, options) {
        Ok(a) => Arc::new(a),
        Err(e) => return fail(&e.to_string()),
    };
    let config = ServerConfig {
        body_limit: args.body_limit,
        per_ip_rps: args.per_ip_rps,
        per_key_rps: args.per_key_rps,
        burst: args.burst,
        exempt_loopback: !args.limit_loopback,
        cors_origins: args.cors_origins,
        tls: args.tls_cert.zip(args.tls_key),
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(l) => l,
            Err(e) => return fail(&format!("cannot listen on {}: {e}", args.listen)),
        };
        let addr = listener.local_addr().unwrap_or(args.listen);
        let scheme = if config.tls.is_some() { "https" } else { "http" };
        outln!(
            "canvass serving {election_name} at {scheme}://{addr}/ (results: /api/results, API: /api/openapi.json, log: /log/checkpoint); Ctrl-C stops"
        );
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down: finishing the requests in flight");
        };
        match http::serve_with(listener, app, &config, shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!("server on {addr}: {e}")),
        }
    })
}
