//! The HTTP API end to end through the real server on 127.0.0.1 (random port), with real
//! keys and the real SQLite store: every rejection case of issue 6 (status, code, and nothing
//! accepted changed), inclusion proofs checked against the signed checkpoint, results by state
//! and contest, ETags, Server-Sent Events, rate limits, CORS, the OpenAPI document and TLS.

mod common;

use common::{doc, pa_vs as pa, us2020};

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use canvass_model::PrecinctResult;
use canvass_server::http::ServerConfig;
use canvass_server::io::{self, KeySource};
use canvass_server::{App, Payload, SecretKey, Submission};
use sha2::{Digest as _, Sha256};

/// An HTTP answer: status, lowercased header lines, body.
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
}

/// A minimal HTTP/1.1 client (Connection: close).
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
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
    request(addr, "GET", path, &[], b"")
}

fn post(addr: SocketAddr, path: &str, body: &[u8]) -> Answer {
    request(addr, "POST", path, &[], body)
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

/// Copies `from` into `to` recursively (file modes too, so keys stay 0600).
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

/// A fresh data directory with the us-2020 keys (made once per test binary: writing 3,000+
/// key files with fsync is slow) and Adams County's and the authority's keys.
fn keys(data: &Path) -> (SecretKey, SecretKey) {
    static TEMPLATE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let t = TEMPLATE.get_or_init(|| {
        let t = tempfile::tempdir().unwrap();
        io::init_keys(t.path(), &us2020(), KeySource::Seeded(1)).unwrap();
        t
    });
    copy_dir(t.path(), data);
    (
        io::read_secret_key(&io::jurisdiction_key_path(data, "42001")).unwrap(),
        io::read_secret_key(&io::authority_key_path(data)).unwrap(),
    )
}

/// What must not change when a document is refused: the results and the log. Checkpoints
/// are published in the background, so first wait until one covers the snapshot served.
fn state_of(addr: SocketAddr) -> (String, String, String) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = get(addr, "/api/results");
        assert_eq!(r.status, 200, "{}", r.body);
        let tree: u64 = r.header("x-canvass-tree-size").unwrap().parse().unwrap();
        let cp = get(addr, "/log/checkpoint");
        let size: u64 = cp
            .body
            .lines()
            .nth(1)
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        if size >= tree {
            return (r.header("etag").unwrap().to_owned(), r.body, cp.body);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint covers the results"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the published checkpoint covers log entry `index`.
fn wait_covered(addr: SocketAddr, index: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while get(addr, "/log/checkpoint")
        .body
        .lines()
        .nth(1)
        .and_then(|l| l.parse::<u64>().ok())
        .unwrap_or(0)
        <= index
    {
        assert!(
            std::time::Instant::now() < deadline,
            "entry {index} never checkpointed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn small_body_config() -> ServerConfig {
    ServerConfig {
        body_limit: 64 * 1024,
        ..ServerConfig::default()
    }
}

#[test]
fn every_rejection_has_a_code_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (adams, _) = keys(data);
    let s = start(data, small_body_config());
    let addr = s.addr;

    let good = doc(&adams, "42001", 1, pa("42001", 100, 60, 38, "trump-pence"));
    let a = post(addr, "/api/submissions", good.as_bytes());
    assert_eq!(
        (a.status, a.json()["status"].as_str()),
        (201, Some("accepted")),
        "{}",
        a.body
    );
    let good_index = a.json()["log_index"].as_u64();
    let before = state_of(addr);

    let garbage_json = canvass_server::note::sign(
        &canvass_server::note::body("canvass-submission/v1", "{\"election\":"),
        &adams,
    );
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "forged signature: a count changed after signing",
            good.replacen("\"votes\":60", "\"votes\":70", 1)
                .into_bytes(),
            401,
            "bad-signature",
        ),
        (
            "Adams County (42001) reporting Allegheny County's (42003) precinct",
            doc(&adams, "42001", 2, pa("42003", 100, 60, 38, "trump-pence")).into_bytes(),
            403,
            "precinct-not-authorized",
        ),
        (
            "101 votes on 100 ballots in a vote-for-1 contest",
            doc(&adams, "42001", 2, pa("42001", 100, 60, 41, "trump-pence")).into_bytes(),
            422,
            "votes-above-ballots",
        ),
        (
            "sequence 1 again with other counts",
            doc(&adams, "42001", 1, pa("42001", 100, 61, 38, "trump-pence")).into_bytes(),
            409,
            "old-sequence",
        ),
        (
            "a candidate not on the ballot",
            doc(&adams, "42001", 2, pa("42001", 100, 60, 38, "kanye-west")).into_bytes(),
            422,
            "unknown-candidate",
        ),
        (
            "a signed document whose JSON is cut off",
            garbage_json.into_bytes(),
            400,
            "malformed-json",
        ),
        (
            "not a signed document at all",
            b"{\"election\":\"us-2020\"}".to_vec(),
            400,
            "malformed-document",
        ),
        (
            "a body over the 64 KiB limit",
            vec![b'x'; 100 * 1024],
            413,
            "body-too-large",
        ),
    ];
    for (what, body, status, code) in &cases {
        let a = post(addr, "/api/submissions", body);
        assert_eq!(
            (a.status, a.code().as_str()),
            (*status, *code),
            "{what}: {}",
            a.body
        );
        let v = a.json();
        assert!(v["field"].is_string() && !v["message"].as_str().unwrap_or_default().is_empty());
        assert_eq!(
            state_of(addr),
            before,
            "{what} changed the results or the log"
        );
    }
    // The replay of the accepted document is idempotent.
    let a = post(addr, "/api/submissions", good.as_bytes());
    assert_eq!(
        (
            a.status,
            a.json()["status"].as_str(),
            a.json()["log_index"].as_u64()
        ),
        (200, Some("already-accepted"), good_index)
    );
    assert_eq!(state_of(addr), before);

    // Every refused signed document is in the security event stream, in order (the 413 body
    // never reached the pipeline).
    let ev = get(addr, "/api/security-events?after=0").json();
    let codes: Vec<&str> = ev
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "bad-signature",
            "precinct-not-authorized",
            "votes-above-ballots",
            "old-sequence",
            "unknown-candidate",
            "malformed-json",
            "malformed-document"
        ]
    );
    let first = ev[0]["id"].as_u64().unwrap();
    let later = get(addr, &format!("/api/security-events?after={}", first + 4)).json();
    assert_eq!(later.as_array().unwrap().len(), 2);
    let bad = get(addr, "/api/security-events?after=x");
    assert_eq!((bad.status, bad.code().as_str()), (400, "bad-parameter"));
}

#[test]
fn accepted_submission_proves_against_the_checkpoint_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (adams, _) = keys(data);
    let s = start(data, ServerConfig::default());
    let addr = s.addr;
    let first = doc(&adams, "42001", 1, pa("42001", 100, 60, 38, "trump-pence"));
    let second = doc(&adams, "42001", 2, pa("42001", 120, 70, 45, "trump-pence"));
    let mut index = Vec::new();
    for d in [&first, &second] {
        let a = post(addr, "/api/submissions", d.as_bytes());
        assert_eq!(a.status, 201);
        index.push(a.json()["log_index"].as_u64().unwrap());
    }
    assert!(index[1] > index[0]);

    let v = get(addr, &format!("/api/submissions/{}", index[1])).json();
    assert_eq!(v["jurisdiction"], "42001");
    assert_eq!(v["sequence"], 2);
    assert_eq!(v["document"].as_str(), Some(second.as_str()));
    // The digest is SHA-256 of the signed body (the document up to its blank line).
    let body = &second[..=second.find("\n\n").unwrap()];
    let want: String = Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v["digest"].as_str(), Some(want.as_str()));

    // The proof: check the checkpoint's signature with the published log key, then the proof
    // from the leaf hash of the document to the checkpoint's root.
    let vkey = get(addr, "/log/vkey").body;
    let verifier = canvass_log::LogVerifier::from_vkey(vkey.trim()).unwrap();
    let cp = verifier
        .open_checkpoint(v["proof"]["checkpoint"].as_str().unwrap().as_bytes())
        .unwrap();
    assert_eq!(v["proof"]["tree_size"].as_u64(), Some(cp.size));
    assert!(cp.size > index[1]);
    let proof: Vec<canvass_log::Hash> = v["proof"]["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| canvass_log::Hash::from_hex(h.as_str().unwrap()).unwrap())
        .collect();
    let leaf = canvass_log::leaf_hash(second.as_bytes());
    canvass_log::verify_inclusion(index[1], cp.size, &leaf, &proof, &cp.root).unwrap();
    // The proof does not verify for another document.
    let other = canvass_log::leaf_hash(first.as_bytes());
    assert!(canvass_log::verify_inclusion(index[1], cp.size, &other, &proof, &cp.root).is_err());

    let missing = get(addr, "/api/submissions/1000");
    assert_eq!(
        (missing.status, missing.code().as_str()),
        (404, "not-found")
    );
    let bad = get(addr, "/api/submissions/seven");
    assert_eq!((bad.status, bad.code().as_str()), (400, "bad-parameter"));

    // Results: the second report replaced the first (120 ballots; 70 + 45 votes).
    let r = get(addr, "/api/results");
    let etag = r.header("etag").unwrap().to_owned();
    let tree: u64 = r.header("x-canvass-tree-size").unwrap().parse().unwrap();
    assert!(tree > index[1], "the results include the second submission");
    let want_etag = format!(
        "\"{}\"",
        Sha256::digest(r.body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    assert_eq!(etag, want_etag);
    let unchanged = request(
        addr,
        "GET",
        "/api/results",
        &[("If-None-Match", &etag)],
        b"",
    );
    assert_eq!((unchanged.status, unchanged.body.as_str()), (304, ""));

    let st = get(addr, "/api/results/pa");
    assert_eq!(st.status, 200);
    let sv = st.json();
    assert_eq!(sv["state"], "PA");
    let contests = sv["contests"].as_array().unwrap();
    assert!(contests.iter().all(|c| c["state"] == "PA"));
    let pres = contests.iter().find(|c| c["id"] == "president-PA").unwrap();
    assert_eq!(pres["ballots"], 120);
    assert_eq!(sv["electoral_college"]["state"], "PA");
    let none = get(addr, "/api/results/ZZ");
    assert_eq!((none.status, none.code().as_str()), (404, "not-found"));

    let c = get(addr, "/api/contests/president-PA").json();
    assert_eq!(
        (c["id"].as_str(), c["ballots"].as_u64()),
        (Some("president-PA"), Some(120))
    );
    let votes: u64 = c["totals"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(votes, 115);
    let nc = get(addr, "/api/contests/president-XX");
    assert_eq!((nc.status, nc.code().as_str()), (404, "not-found"));
    let route = get(addr, "/api/nothing-here");
    assert_eq!((route.status, route.code().as_str()), (404, "not-found"));
}

#[test]
fn server_sent_events_announce_new_results() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (adams, _) = keys(data);
    let s = start(data, ServerConfig::default());
    let mut sse = TcpStream::connect(s.addr).unwrap();
    sse.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    sse.write_all(
        b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
    )
    .unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    // Wait for the response head before submitting.
    while !seen.contains("\r\n\r\n") {
        let n = sse.read(&mut buf).unwrap();
        assert!(n > 0);
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(
        seen.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{seen}"
    );
    let d = doc(&adams, "42001", 1, pa("42001", 100, 60, 38, "trump-pence"));
    assert_eq!(post(s.addr, "/api/submissions", d.as_bytes()).status, 201);
    let etag = get(s.addr, "/api/results")
        .header("etag")
        .unwrap()
        .trim_matches('"')
        .to_owned();
    while !seen.contains(&etag) {
        let n = sse.read(&mut buf).unwrap();
        assert!(n > 0, "stream ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains("event: results"), "{seen}");
    let data_line = seen
        .lines()
        .find(|l| l.starts_with("data: ") && l.contains(&etag))
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&data_line[6..]).unwrap();
    assert_eq!(v["type"].as_str(), Some("results"));
    assert!(v["tree_size"].as_u64().unwrap() >= 1);
}

#[test]
fn rate_limits_answer_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (adams, _) = keys(data);
    // Per IP: 2 at once, then 1 a second; loopback is not exempt here.
    let s = start(
        data,
        ServerConfig {
            per_ip_rps: 1,
            per_key_rps: 0,
            burst: 2,
            exempt_loopback: false,
            ..ServerConfig::default()
        },
    );
    assert_eq!(get(s.addr, "/api/openapi.json").status, 200);
    assert_eq!(get(s.addr, "/api/openapi.json").status, 200);
    let a = get(s.addr, "/api/openapi.json");
    assert_eq!(
        (a.status, a.code().as_str()),
        (429, "rate-limited"),
        "{}",
        a.body
    );
    assert_eq!(a.header("retry-after"), Some("1"));
    drop(s);

    // Per signing key: one document a second with a burst of 1, whatever the IP.
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
    let d1 = doc(&adams, "42001", 1, pa("42001", 100, 60, 38, "trump-pence"));
    let d2 = doc(&adams, "42001", 2, pa("42001", 110, 60, 38, "trump-pence"));
    assert_eq!(post(s.addr, "/api/submissions", d1.as_bytes()).status, 201);
    let before = state_of(s.addr);
    let a = post(s.addr, "/api/submissions", d2.as_bytes());
    assert_eq!(
        (a.status, a.code().as_str()),
        (429, "rate-limited"),
        "{}",
        a.body
    );
    assert_eq!(a.json()["field"], "signature");
    assert!(a.header("retry-after").is_some());
    // Nothing was accepted: the log did not grow.
    assert_eq!(state_of(s.addr), before);
    // Reads are not charged to keys.
    assert_eq!(get(s.addr, "/api/results").status, 200);
    drop(s);

    // By default loopback clients are exempt from both limits, however low.
    let s = start(
        data,
        ServerConfig {
            per_ip_rps: 1,
            per_key_rps: 1,
            burst: 1,
            ..ServerConfig::default()
        },
    );
    for _ in 0..3 {
        assert_eq!(get(s.addr, "/api/openapi.json").status, 200);
    }
    let a = post(s.addr, "/api/submissions", d2.as_bytes());
    assert_eq!(a.status, 201, "{}", a.body);
    let d3 = doc(&adams, "42001", 3, pa("42001", 120, 60, 38, "trump-pence"));
    assert_eq!(post(s.addr, "/api/submissions", d3.as_bytes()).status, 201);
}

#[test]
fn cors_on_reads_only_and_openapi_lists_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    keys(data);
    let s = start(data, ServerConfig::default());
    let origin = ("Origin", "https://results.example.org");
    let a = request(s.addr, "GET", "/api/results", &[origin], b"");
    assert_eq!(a.status, 200);
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
    assert!(
        a.header("access-control-expose-headers")
            .unwrap()
            .contains("etag")
    );
    let pre = request(
        s.addr,
        "OPTIONS",
        "/api/results",
        &[origin, ("Access-Control-Request-Method", "GET")],
        b"",
    );
    assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
    let pre = request(
        s.addr,
        "OPTIONS",
        "/api/submissions",
        &[origin, ("Access-Control-Request-Method", "POST")],
        b"",
    );
    assert_eq!(
        pre.header("access-control-allow-origin"),
        None,
        "{:?}",
        pre.headers
    );
    assert_eq!(
        (pre.status, pre.code().as_str()),
        (405, "method-not-allowed")
    );
    let p = request(s.addr, "POST", "/api/submissions", &[origin], b"x");
    assert_eq!(p.header("access-control-allow-origin"), None);

    let doc = get(s.addr, "/api/openapi.json").json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/submissions", "post"),
        ("/api/key-changes", "post"),
        ("/api/certifications", "post"),
        ("/api/results", "get"),
        ("/api/results/{state}", "get"),
        ("/api/contests/{id}", "get"),
        ("/api/submissions/{log_index}", "get"),
        ("/api/jurisdictions/{id}/submissions", "get"),
        ("/api/events", "get"),
        ("/api/security-events", "get"),
        ("/api/openapi.json", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    let post = &paths["/api/submissions"]["post"]["responses"];
    for status in [
        "201", "200", "400", "401", "403", "409", "413", "422", "429",
    ] {
        assert!(
            post.get(status).is_some(),
            "POST /api/submissions lacks {status}"
        );
    }
    assert!(doc["components"]["schemas"]["ApiError"].is_object());
}

#[test]
fn tls_round_trip_with_a_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    keys(data);
    let rcgen::CertifiedKey { cert, key_pair } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let cert_path = data.join("cert.pem");
    let key_path = data.join("key.pem");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key_pair.serialize_pem()).unwrap();
    let s = start(
        data,
        ServerConfig {
            tls: Some((cert_path, key_path)),
            ..ServerConfig::default()
        },
    );
    let root = ureq::tls::Certificate::from_der(cert.der()).to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![root])))
                .build(),
        )
        .build()
        .into();
    let url = format!("https://127.0.0.1:{}/api/results", s.addr.port());
    let mut r = agent.get(&url).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value =
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(v["election"], "us-2020");
    // Plain HTTP to the TLS port gets no HTTP answer.
    assert_eq!(get(s.addr, "/api/results").status, 0);
    // A client that does not trust the certificate refuses it.
    let strict: ureq::Agent = ureq::Agent::config_builder().build().into();
    assert!(strict.get(&url).call().is_err());
}

#[test]
fn amendments_history_key_changes_and_certification() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (adams, authority) = keys(data);
    let s = start(data, ServerConfig::default());
    let addr = s.addr;
    let first = doc(&adams, "42001", 1, pa("42001", 100, 60, 38, "trump-pence"));
    let i1 = post(addr, "/api/submissions", first.as_bytes()).json()["log_index"].as_u64();
    let amended = Submission {
        election: "us-2020".into(),
        jurisdiction: "42001".into(),
        sequence: 2,
        timestamp: 1_604_450_000,
        amendment: Some(canvass_server::Amendment {
            supersedes: 1,
            reason: "transposed digits".into(),
        }),
        payload: Payload::PrecinctResults {
            results: vec![pa("42001", 100, 66, 30, "trump-pence")],
        },
    }
    .sign(&adams);
    let a = post(addr, "/api/submissions", amended.as_bytes());
    assert_eq!(a.status, 201, "{}", a.body);
    let i2 = a.json()["log_index"].as_u64();

    let h = get(addr, "/api/jurisdictions/42001/submissions").json();
    assert_eq!(h["jurisdiction"], "42001");
    let subs = h["submissions"].as_array().unwrap();
    assert_eq!(subs.len(), 2, "the superseded version stays in the history");
    assert_eq!(
        (subs[0]["log_index"].as_u64(), subs[0]["sequence"].as_u64()),
        (i1, Some(1))
    );
    assert_eq!(
        (
            subs[1]["log_index"].as_u64(),
            subs[1]["supersedes"].as_u64()
        ),
        (i2, Some(1))
    );
    assert_eq!(subs[1]["reason"], "transposed digits");
    let v = get(addr, &format!("/api/submissions/{}", i2.unwrap())).json();
    assert_eq!(
        (v["supersedes"].as_u64(), v["reason"].as_str()),
        (Some(1), Some("transposed digits"))
    );
    // The amendment replaced the first report: 66 + 30 votes.
    let c = get(addr, "/api/contests/president-PA").json();
    let votes: u64 = c["totals"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(votes, 96);

    // A key change the county signed itself is refused and changes nothing.
    let revoke = canvass_server::KeyChange {
        election: "us-2020".into(),
        sequence: 1,
        jurisdiction: "42001".into(),
        timestamp: 1_604_460_000,
        reason: "laptop stolen".into(),
        change: canvass_server::KeyAction::Revoke {
            key: adams.public().to_vkey(),
        },
    };
    let before = state_of(addr);
    let a = post(addr, "/api/key-changes", revoke.sign(&adams).as_bytes());
    assert_eq!(
        (a.status, a.code().as_str()),
        (422, "bad-key-change"),
        "{}",
        a.body
    );
    assert_eq!(state_of(addr), before);
    // Signed by the authority: applied and logged.
    let a = post(addr, "/api/key-changes", revoke.sign(&authority).as_bytes());
    assert_eq!(
        (a.status, a.json()["status"].as_str()),
        (201, Some("accepted")),
        "{}",
        a.body
    );
    wait_covered(addr, a.json()["log_index"].as_u64().unwrap());
    // The revoked key is refused from now on; nothing accepted changes.
    let before = state_of(addr);
    let third = doc(&adams, "42001", 3, pa("42001", 100, 60, 38, "trump-pence"));
    let a = post(addr, "/api/submissions", third.as_bytes());
    assert_eq!(
        (a.status, a.code().as_str()),
        (401, "revoked-key"),
        "{}",
        a.body
    );
    assert_eq!(state_of(addr), before);

    // Certify Pennsylvania at the current snapshot.
    let r = get(addr, "/api/results");
    let cert = canvass_server::Certification {
        election: "us-2020".into(),
        state: "PA".into(),
        results_sha256: r.header("etag").unwrap().trim_matches('"').to_owned(),
        after: r.header("x-canvass-log-index").unwrap().parse().unwrap(),
    };
    let forged = post(addr, "/api/certifications", cert.sign(&adams).as_bytes());
    assert_eq!(
        (forged.status, forged.code().as_str()),
        (422, "bad-certification")
    );
    let a = post(
        addr,
        "/api/certifications",
        cert.sign(&authority).as_bytes(),
    );
    assert_eq!(
        (a.status, a.json()["status"].as_str()),
        (201, Some("accepted")),
        "{}",
        a.body
    );
}

/// A president report of a county reported whole: Biden–Harris and Trump–Pence votes.
fn president(county: &str, state: &str, ballots: u64, biden: u64, trump: u64) -> PrecinctResult {
    let mut r = pa(county, ballots, biden, trump, "trump-pence");
    r.contests[0].contest = format!("president-{state}").as_str().into();
    r
}

#[test]
fn a_contest_has_totals_at_every_level() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (adams, _) = keys(data);
    let key = |j: &str| io::read_secret_key(&io::jurisdiction_key_path(data, j)).unwrap();
    let (allegheny, albany) = (key("42003"), key("56001"));
    let s = start(data, ServerConfig::default());
    let addr = s.addr;
    for d in [
        doc(&adams, "42001", 1, president("42001", "PA", 100, 60, 38)),
        doc(
            &allegheny,
            "42003",
            1,
            president("42003", "PA", 200, 150, 45),
        ),
        doc(&albany, "56001", 1, president("56001", "WY", 50, 20, 29)),
    ] {
        let a = post(addr, "/api/submissions", d.as_bytes());
        assert_eq!(a.status, 201, "{}", a.body);
    }
    let (b, t) = (
        "Joseph R. Biden Jr. / Kamala D. Harris",
        "Donald J. Trump / Michael R. Pence",
    );
    // Every presidential ticket on PA's ballot is listed; the others got no votes.
    let area = |id: &str, biden: u64, trump: u64, ballots: u64, c: &serde_json::Value| {
        let mut totals = c["totals"].as_object().unwrap().clone();
        for v in totals.values_mut() {
            *v = 0.into();
        }
        totals.insert(b.into(), biden.into());
        totals.insert(t.into(), trump.into());
        serde_json::json!({"id": id, "totals": totals, "ballots": ballots, "overvotes": 0, "undervotes": 0})
    };
    let r = get(addr, "/api/contests/president-PA");
    assert_eq!(r.status, 200, "{}", r.body);
    let c = r.json();
    assert_eq!(c["id"], "president-PA");
    assert_eq!(c["ballots"], 300);
    assert_eq!(
        (c["totals"][b].as_u64(), c["totals"][t].as_u64()),
        (Some(210), Some(83))
    );
    assert_eq!(
        c["states"],
        serde_json::json!([area("PA", 210, 83, 300, &c)])
    );
    assert_eq!(
        c["counties"],
        serde_json::json!([
            area("42001", 60, 38, 100, &c),
            area("42003", 150, 45, 200, &c)
        ])
    );
    // Counties reported whole in a state of 18 districts lie in no one district.
    assert_eq!(c["districts"], serde_json::json!([]));
    assert_eq!(c["precincts"], c["counties"]);
    // Tied to the published snapshot: its log headers, and an ETag of the body itself.
    let results = get(addr, "/api/results");
    assert_eq!(
        r.header("x-canvass-tree-size"),
        results.header("x-canvass-tree-size")
    );
    assert_eq!(
        r.header("x-canvass-log-index"),
        results.header("x-canvass-log-index")
    );
    let etag = format!(
        "\"{}\"",
        Sha256::digest(r.body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let again = request(
        addr,
        "GET",
        "/api/contests/president-PA",
        &[("If-None-Match", &etag)],
        b"",
    );
    assert_eq!((again.status, again.body.as_str()), (304, ""));
    // The contest's own fields are those of the results document.
    let mut own = c.as_object().unwrap().clone();
    for level in ["states", "counties", "districts", "precincts"] {
        own.remove(level);
    }
    let doc_pa = results.json()["contests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "president-PA")
        .unwrap()
        .clone();
    assert_eq!(serde_json::Value::Object(own), doc_pa);

    // Wyoming has one district: its county counts there.
    let w = get(addr, "/api/contests/president-WY").json();
    assert_eq!(
        w["districts"],
        serde_json::json!([area("WY-AL", 20, 29, 50, &w)])
    );
    assert_eq!(
        w["counties"],
        serde_json::json!([area("56001", 20, 29, 50, &w)])
    );

    // A new report shows at once (the answer waits for its snapshot).
    let d = doc(&adams, "42001", 2, president("42001", "PA", 110, 70, 39));
    assert_eq!(post(addr, "/api/submissions", d.as_bytes()).status, 201);
    let c = get(addr, "/api/contests/president-PA").json();
    assert_eq!(c["counties"][0], area("42001", 70, 39, 110, &c));
    assert_eq!(c["states"][0], area("PA", 220, 84, 310, &c));
}
