//! `POST /api/submissions/batch` end to end through the real server on 127.0.0.1 (random
//! port), with real keys and the real SQLite store: order kept, one log batch with one results
//! snapshot, good and bad documents mixed (each rejection in the security event stream, the
//! others unaffected), replays, oversized and malformed batches, and rate limits.
//!
//! Expected log indices are counted by hand from the log size before the batch: the accepted
//! documents take the next indices in the order sent, then one `canvass-snapshot/v1` entry.

mod common;

use common::{doc, pa, us2020};

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use canvass_server::http::{MAX_BATCH_DOCUMENTS, ServerConfig};
use canvass_server::io::{self, KeySource};
use canvass_server::{App, SecretKey};

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }
    /// `(status, http_status, log_index or code)` of each item of a batch answer.
    fn items(&self) -> Vec<(String, u64, String)> {
        let v = self.json();
        v["results"]
            .as_array()
            .unwrap_or_else(|| panic!("no results: {}", self.body))
            .iter()
            .map(|r| {
                let what = match r["log_index"].as_u64() {
                    Some(i) => i.to_string(),
                    None => r["code"].as_str().unwrap_or_default().to_owned(),
                };
                (
                    r["status"].as_str().unwrap_or_default().to_owned(),
                    r["http_status"].as_u64().unwrap_or_default(),
                    what,
                )
            })
            .collect()
    }
}

/// A minimal HTTP/1.1 client (Connection: close).
fn request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
        body.len()
    );
    // The server may answer (413) and close before reading a large body: ignore write errors.
    let _ = s
        .write_all(head.as_bytes())
        .and_then(|()| s.write_all(body));
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.get(9..12))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn get(addr: SocketAddr, path: &str) -> Answer {
    request(addr, "GET", path, b"")
}

/// Posts `docs` as a batch (a JSON array of strings).
fn batch(addr: SocketAddr, docs: &[&str]) -> Answer {
    let body = serde_json::to_vec(docs).unwrap();
    request(addr, "POST", "/api/submissions/batch", &body)
}

struct Server {
    addr: SocketAddr,
    _rt: tokio::runtime::Runtime,
}

fn start(data: &Path, config: ServerConfig) -> Server {
    let app = Arc::new(App::open(data, us2020()).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        canvass_server::http::serve_with(listener, app, &config, std::future::pending())
            .await
            .unwrap();
    });
    Server { addr, _rt: rt }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A fresh data directory with the us-2020 keys (made once per test binary), and the keys of
/// Adams County (42001) and Allegheny County (42003), Pennsylvania.
fn keys(data: &Path) -> (SecretKey, SecretKey) {
    static TEMPLATE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let t = TEMPLATE.get_or_init(|| {
        let t = tempfile::tempdir().unwrap();
        io::init_keys(t.path(), &us2020(), KeySource::Seeded(1)).unwrap();
        t
    });
    copy_dir(t.path(), data);
    let key = |j: &str| io::read_secret_key(&io::jurisdiction_key_path(data, j)).unwrap();
    (key("42001"), key("42003"))
}

/// The published results' tree size and snapshot log index (`None` before the first).
fn published(addr: SocketAddr) -> (u64, Option<u64>) {
    let r = get(addr, "/api/results");
    assert_eq!(r.status, 200, "{}", r.body);
    (
        r.header("x-canvass-tree-size").unwrap().parse().unwrap(),
        r.header("x-canvass-log-index").map(|v| v.parse().unwrap()),
    )
}

/// The size of the published checkpoint: before the first batch, the roster's entries.
fn checkpoint_size(addr: SocketAddr) -> u64 {
    get(addr, "/log/checkpoint")
        .body
        .lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .unwrap()
}

fn event_codes(addr: SocketAddr) -> Vec<String> {
    let ev = get(addr, "/api/security-events?after=0").json();
    ev.as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

fn item(status: &str, http: u64, what: impl ToString) -> (String, u64, String) {
    (status.to_owned(), http, what.to_string())
}

#[test]
fn a_batch_keeps_its_order_in_one_log_batch_and_a_bad_document_affects_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (adams, allegheny) = keys(data);
    let s = start(data, ServerConfig::default());
    assert_eq!(published(s.addr), (0, None), "no submission yet");
    let size = checkpoint_size(s.addr);
    assert!(size > 0, "the roster is logged");

    let adams1 = doc(&adams, "42001", 1, pa("42001", 100, 60, 38));
    // 120 ballots cannot hold 130 votes for one seat.
    let too_many = doc(&adams, "42001", 2, pa("42001", 120, 70, 60));
    let adams2 = doc(&adams, "42001", 2, pa("42001", 120, 70, 45));
    // Allegheny's key signing for Adams County.
    let forged = doc(&allegheny, "42001", 3, pa("42001", 130, 80, 45));
    let allegheny1 = doc(&allegheny, "42003", 1, pa("42003", 500, 300, 190));
    let docs = [
        adams1.as_str(),
        too_many.as_str(),
        adams2.as_str(),
        adams1.as_str(),
        forged.as_str(),
        allegheny1.as_str(),
        "not a signed document",
    ];
    let a = batch(s.addr, &docs);
    assert_eq!(a.status, 200, "{}", a.body);
    // Accepted in the order sent (Adams' sequence 1 before 2, else 2 would make 1 an old
    // sequence), at the next indices; the repeated document answers its first index.
    assert_eq!(
        a.items(),
        [
            item("accepted", 201, size),
            item("rejected", 422, "votes-above-ballots"),
            item("accepted", 201, size + 1),
            item("already-accepted", 200, size),
            item("rejected", 403, "wrong-jurisdiction"),
            item("accepted", 201, size + 2),
            item("rejected", 400, "malformed-document"),
        ],
        "{}",
        a.body
    );
    // One results snapshot, right after the three accepted documents.
    assert_eq!(published(s.addr), (size + 4, Some(size + 3)));
    for (index, jurisdiction, sequence) in [(size, "42001", 1), (size + 1, "42001", 2)] {
        let sub = get(s.addr, &format!("/api/submissions/{index}")).json();
        assert_eq!(
            (sub["jurisdiction"].as_str(), sub["sequence"].as_u64()),
            (Some(jurisdiction), Some(sequence))
        );
    }
    // Each refused document is in the security event stream, in batch order.
    assert_eq!(
        event_codes(s.addr),
        [
            "votes-above-ballots",
            "wrong-jurisdiction",
            "malformed-document"
        ]
    );

    // The same batch again: the accepted ones are already accepted, nothing is logged.
    let again = batch(
        s.addr,
        &[adams1.as_str(), adams2.as_str(), allegheny1.as_str()],
    );
    assert_eq!(
        again.items(),
        [
            item("already-accepted", 200, size),
            item("already-accepted", 200, size + 1),
            item("already-accepted", 200, size + 2),
        ],
        "{}",
        again.body
    );
    assert_eq!(published(s.addr), (size + 4, Some(size + 3)));

    // The single route sees the batch's submissions: Adams' sequence 2 is now old.
    let old = doc(&adams, "42001", 2, pa("42001", 121, 70, 45));
    let a = request(s.addr, "POST", "/api/submissions", old.as_bytes());
    assert_eq!((a.status, a.code().as_str()), (409, "old-sequence"));
}

#[test]
fn malformed_and_oversized_batches_are_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (adams, _) = keys(data);
    let s = start(data, ServerConfig::default());
    let before = published(s.addr);
    for body in [
        &b"not json"[..],
        b"{\"documents\":[]}",
        b"[1, 2]",
        b"[\"a\", null]",
        b"[]",
    ] {
        let a = request(s.addr, "POST", "/api/submissions/batch", body);
        assert_eq!(
            (a.status, a.code().as_str()),
            (400, "malformed-batch"),
            "{}: {}",
            String::from_utf8_lossy(body),
            a.body
        );
    }
    // One document more than allowed.
    let d = doc(&adams, "42001", 1, pa("42001", 100, 60, 38));
    let many = vec![d.as_str(); MAX_BATCH_DOCUMENTS + 1];
    let a = batch(s.addr, &many);
    assert_eq!((a.status, a.code().as_str()), (413, "batch-too-large"));
    // A body over the batch limit (32 MiB).
    let big = format!("[\"{}\"]", "x".repeat(33 << 20));
    let a = request(s.addr, "POST", "/api/submissions/batch", big.as_bytes());
    assert_eq!((a.status, a.code().as_str()), (413, "body-too-large"));
    // Nothing was logged, nothing went to the security event stream, and the document still
    // goes in alone.
    assert_eq!(published(s.addr), before);
    assert!(event_codes(s.addr).is_empty());
    assert_eq!(batch(s.addr, &[d.as_str()]).items()[0].0, "accepted");
    // GET on the batch route is not a submission lookup.
    assert_eq!(get(s.addr, "/api/submissions/batch").status, 405);
}

#[test]
fn a_batch_costs_one_ip_token_per_document_and_one_key_token_each() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (adams, allegheny) = keys(data);
    let d1 = doc(&adams, "42001", 1, pa("42001", 100, 60, 38));
    let d2 = doc(&adams, "42001", 2, pa("42001", 110, 60, 38));
    let g1 = doc(&allegheny, "42003", 1, pa("42003", 500, 300, 190));

    // Per IP: a bucket of 4, one a second. Every request takes one token as it arrives;
    // a batch takes one more for each further document.
    let s = start(
        data,
        ServerConfig {
            per_ip_rps: 1,
            per_key_rps: 0,
            burst: 4,
            exempt_loopback: false,
            ..ServerConfig::default()
        },
    );
    let five = [
        d1.as_str(),
        d2.as_str(),
        g1.as_str(),
        d1.as_str(),
        d2.as_str(),
    ];
    // More documents than the bucket holds can never pass (this request took 1 token).
    let a = batch(s.addr, &five);
    assert_eq!((a.status, a.code().as_str()), (413, "batch-too-large"));
    // 3 tokens left: a batch of 3 takes them all, and the next request finds none.
    let a = batch(s.addr, &five[..3]);
    assert_eq!(a.status, 200, "{}", a.body);
    let a = batch(s.addr, &five[..1]);
    assert_eq!((a.status, a.code().as_str()), (429, "rate-limited"));
    assert!(a.header("retry-after").is_some());
    drop(s);

    // Per key: one document a second, burst 1: Adams' second document must wait, the
    // others go through.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    keys(data);
    let s = start(
        data,
        ServerConfig {
            per_ip_rps: 0,
            per_key_rps: 1,
            burst: 1,
            exempt_loopback: false,
            ..ServerConfig::default()
        },
    );
    let size = checkpoint_size(s.addr);
    let a = batch(s.addr, &[d1.as_str(), d2.as_str(), g1.as_str()]);
    assert_eq!(
        a.items(),
        [
            item("accepted", 201, size),
            item("retry", 429, "rate-limited"),
            item("accepted", 201, size + 1),
        ],
        "{}",
        a.body
    );
    // Rate limiting is not a security event.
    assert!(event_codes(s.addr).is_empty());
}

#[test]
fn openapi_describes_the_batch_route() {
    let dir = tempfile::tempdir().unwrap();
    keys(dir.path());
    let s = start(dir.path(), ServerConfig::default());
    let doc = get(s.addr, "/api/openapi.json").json();
    let op = &doc["paths"]["/api/submissions/batch"]["post"];
    assert!(op["responses"]["200"].is_object(), "{op}");
    assert!(doc["components"]["schemas"]["BatchItemView"].is_object());
}
