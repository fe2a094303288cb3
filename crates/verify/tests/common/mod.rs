//! A real canvass server on 127.0.0.1 (random port) over a real data directory (keys, log
//! files, SQLite), signed us-2020 submissions, and static exports and forged logs built from
//! its files, for the verification tests and tamper drills.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use canvass_model::{ContestCount, PrecinctResult, SelectionCount};
use canvass_server::io::{self, KeySource};
use canvass_server::{App, Payload, SecretKey, Submission};

pub fn us2020() -> canvass_model::Election {
    canvass_model::builtin("us-2020").unwrap().unwrap()
}

/// A president-PA report: `biden` votes for Biden–Harris and `trump` for Trump–Pence.
pub fn pa(precinct: &str, ballots: u64, biden: u64, trump: u64) -> PrecinctResult {
    let sel = |s: &str, votes| SelectionCount {
        selection: s.into(),
        line: None,
        votes,
    };
    PrecinctResult {
        precinct: precinct.into(),
        portion: None,
        counting_group: None,
        contests: vec![ContestCount {
            rankings: Vec::new(),
            contest: "president-PA".into(),
            ballots,
            overvotes: 0,
            undervotes: ballots - biden - trump,
            votes: vec![sel("biden-harris", biden), sel("trump-pence", trump)],
        }],
    }
}

/// A signed submission of jurisdiction `j` (its county reported whole).
pub fn doc(key: &SecretKey, j: &str, seq: u64, r: PrecinctResult, amends: Option<u64>) -> String {
    Submission {
        election: "us-2020".into(),
        jurisdiction: j.into(),
        sequence: seq,
        timestamp: 1_604_448_000 + seq,
        amendment: amends.map(|s| canvass_server::Amendment {
            supersedes: s,
            reason: "transposed digits".into(),
        }),
        payload: Payload::PrecinctResults { results: vec![r] },
    }
    .sign(key)
}

/// Copies `from` into `to` recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    canvass_verify::drill::copy_dir(from, to).unwrap();
}

/// A fresh data directory with the us-2020 keys (made once per test binary: writing 3,000+
/// key files with fsync is slow).
pub fn keys(data: &Path) {
    static TEMPLATE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let t = TEMPLATE.get_or_init(|| {
        let t = tempfile::tempdir().unwrap();
        io::init_keys(t.path(), &us2020(), KeySource::Seeded(1)).unwrap();
        t
    });
    copy_dir(t.path(), data);
}

pub fn key(data: &Path, j: &str) -> SecretKey {
    io::read_secret_key(&io::jurisdiction_key_path(data, j)).unwrap()
}

pub fn authority(data: &Path) -> SecretKey {
    io::read_secret_key(&io::authority_key_path(data)).unwrap()
}

/// A running server.
pub struct Server {
    pub app: Arc<App>,
    pub url: String,
    pub addr: SocketAddr,
    rt: Option<tokio::runtime::Runtime>,
}

impl Server {
    /// Starts the HTTP API over `data` on a random loopback port.
    pub fn start(data: &Path) -> Server {
        Self::start_with(data, us2020())
    }

    /// Starts the HTTP API over `data` counting with `election`, on a random loopback port.
    pub fn start_with(data: &Path, election: canvass_model::Election) -> Server {
        let app = Arc::new(App::open(data, election).unwrap());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let a = Arc::clone(&app);
        rt.spawn(async move {
            let config = canvass_server::http::ServerConfig::default();
            canvass_server::http::serve_with(listener, a, &config, std::future::pending())
                .await
                .unwrap();
        });
        Server {
            app,
            url: format!("http://{addr}"),
            addr,
            rt: Some(rt),
        }
    }

    /// Submits a document; panics unless accepted.
    pub fn submit(&self, doc: &str) -> u64 {
        self.app.submit(doc.as_bytes(), None).unwrap().log_index
    }

    /// Waits until the published checkpoint covers the published results.
    pub fn settle(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let want = self.app.snapshot().tree_size;
            let note = self.app.checkpoint_text();
            let size: u64 = note
                .lines()
                .nth(1)
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            if size >= want && size == self.app.log().size() {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no checkpoint covers the results"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server and closes the data directory.
    pub fn stop(mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut app = self.app;
        loop {
            match Arc::try_unwrap(app) {
                Ok(a) => {
                    drop(a);
                    return;
                }
                Err(a) => app = a,
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the app is still in use"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A static export of a data directory: `DIR/log/...` and `DIR/api/results.json`.
pub fn export(data: &Path, results_json: &str, to: &Path) -> PathBuf {
    canvass_verify::drill::export(data, results_json, to).unwrap()
}

/// Every entry of the log in a data directory (its published checkpoint's tree).
pub fn entries(data: &Path) -> Vec<Vec<u8>> {
    canvass_verify::drill::entries(data).unwrap()
}

/// What a compromised server holding the log key can publish: a new log in `to/log` with
/// these entries, signed and checkpointed, and `results` as `to/api/results.json`.
pub fn forge(data: &Path, entries: &[Vec<u8>], results: &str, to: &Path) -> PathBuf {
    canvass_verify::drill::forge(data, entries, results, to).unwrap()
}

/// A man in the middle on 127.0.0.1 (random port) that forwards GET requests to `upstream`
/// and lets `alter(path, body)` change each answer's body: a compromised front end.
pub struct Proxy {
    pub url: String,
}

impl Proxy {
    pub fn start(upstream: &str, alter: fn(&str, Vec<u8>) -> Vec<u8>) -> Proxy {
        use std::io::{BufRead as _, BufReader, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.to_owned();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let upstream = upstream.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                    }
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .build()
                        .into();
                    let mut resp = agent.get(&format!("{upstream}{path}")).call().unwrap();
                    let status = resp.status().as_u16();
                    let index = resp
                        .headers()
                        .get("x-canvass-log-index")
                        .map(|v| format!("x-canvass-log-index: {}\r\n", v.to_str().unwrap()))
                        .unwrap_or_default();
                    let body = alter(
                        &path,
                        resp.body_mut()
                            .with_config()
                            .limit(64 << 20)
                            .read_to_vec()
                            .unwrap(),
                    );
                    let _ = write!(
                        conn,
                        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\n{index}connection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = conn.write_all(&body);
                });
            }
        });
        Proxy { url }
    }
}
