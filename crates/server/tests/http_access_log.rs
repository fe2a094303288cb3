//! Access logs: one structured `tracing` event per request (target `canvass::access`) with
//! method, path, status, latency, peer and bytes, and never the request body, the query
//! string or a key. Its own test binary, as it installs the global subscriber.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};

use canvass_server::io::{self, KeySource};
use canvass_server::{App, Payload, Submission};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn send(addr: SocketAddr, head: &str, body: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(
        format!(
            "{head}\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn one_structured_line_per_request_without_bodies_or_keys() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .init();

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let election = canvass_model::builtin("us-2020").unwrap().unwrap();
    io::init_keys(data, &election, KeySource::Seeded(5)).unwrap();
    let key = io::read_secret_key(&io::jurisdiction_key_path(data, "42001")).unwrap();
    let app = Arc::new(App::open(data, election).unwrap());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(canvass_server::http::serve(listener, app, 1 << 20));

    let doc = Submission {
        election: "us-2020".into(),
        jurisdiction: "42001".into(),
        sequence: 1,
        timestamp: 1_604_448_000,
        amendment: None,
        payload: Payload::PrecinctResults {
            results: serde_json::from_str(
                r#"[{"precinct":"42001","contests":[{"contest":"president-PA","ballots":100,"votes":[{"selection":"biden-harris","votes":60},{"selection":"trump-pence","votes":38}]}]}]"#,
            )
            .unwrap(),
        },
    }
    .sign(&key);
    let answer = send(addr, "POST /api/submissions HTTP/1.1", doc.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let answer = send(
        addr,
        "GET /api/security-events?after=987654321 HTTP/1.1",
        b"",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let access: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"] == "canvass::access")
        .collect();
    assert_eq!(access.len(), 2, "{text}");
    let post = &access[0]["fields"];
    assert_eq!(
        (
            post["method"].as_str(),
            post["path"].as_str(),
            post["status"].as_u64()
        ),
        (Some("POST"), Some("/api/submissions"), Some(201))
    );
    assert!(post["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert!(post["latency_us"].is_u64() && post["bytes"].as_u64().unwrap() > 0);
    assert_eq!(access[1]["fields"]["path"], "/api/security-events");
    // Nothing of the body, the signature, the key or the query string.
    for secret in [
        "biden-harris",
        "canvass/us-2020/jurisdiction",
        "PRIVATE",
        "?after",
        "987654321",
    ] {
        assert!(!text.contains(secret), "{secret} logged: {text}");
    }
}
