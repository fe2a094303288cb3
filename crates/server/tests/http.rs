//! End to end through the real HTTP server on 127.0.0.1 (random port): accepted, replayed
//! and rejected submissions, the body limit, the results, and recovery on reopen.

mod common;

use common::{doc, pa_vs as pa, us2020};

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;

use canvass_server::App;
use canvass_server::io::{self, KeySource};

/// A minimal HTTP/1.1 client: returns (status, body).
fn request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    // The server may answer (413) and close before reading a large body: ignore write errors.
    let _ = s
        .write_all(head.as_bytes())
        .and_then(|()| s.write_all(body));
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn start(data: &Path) -> (SocketAddr, tokio::runtime::Runtime) {
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
    rt.spawn(canvass_server::http::serve(listener, app, 64 * 1024));
    (addr, rt)
}

fn code_of(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("{body}"));
    v["code"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn submissions_through_http() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    io::init_keys(data, &us2020(), KeySource::Seeded(1)).unwrap();
    let adams = io::read_secret_key(&io::jurisdiction_key_path(data, "42001")).unwrap();
    let (addr, rt) = start(data);
    let post = |d: &[u8]| request(addr, "POST", "/api/submissions", d);
    // The log starts with the roster, in parts of at most 60,000 bytes.
    let first = std::fs::metadata(io::roster_path(data))
        .unwrap()
        .len()
        .div_ceil(canvass_server::entry::ROSTER_PART_BYTES as u64);

    let good = doc(&adams, "42001", 1, pa("42001", 100, 60, 38, "trump-pence"));
    let (st, body) = post(good.as_bytes());
    assert_eq!(st, 201, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["log_index"], first);
    assert_eq!(v["status"], "accepted");
    // Replay: idempotent, same log index.
    let (st, body) = post(good.as_bytes());
    assert_eq!(st, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["log_index"].as_u64(), v["status"].as_str()),
        (Some(first), Some("already-accepted"))
    );

    let cases: Vec<(String, u16, &str)> = vec![
        (
            good.replacen("\"votes\":60", "\"votes\":61", 1),
            401,
            "bad-signature",
        ),
        (
            doc(&adams, "42001", 2, pa("42003", 100, 60, 38, "trump-pence")),
            403,
            "precinct-not-authorized",
        ),
        (
            doc(&adams, "42001", 2, pa("42001", 100, 60, 41, "trump-pence")),
            422,
            "votes-above-ballots",
        ),
        (
            doc(&adams, "42001", 1, pa("42001", 100, 61, 38, "trump-pence")),
            409,
            "old-sequence",
        ),
        (
            doc(&adams, "42001", 2, pa("42001", 100, 60, 38, "kanye-west")),
            422,
            "unknown-candidate",
        ),
        (
            canvass_server::note::sign(
                &canvass_server::note::body("canvass-submission/v1", "{\"election\":"),
                &adams,
            ),
            400,
            "malformed-json",
        ),
    ];
    for (d, status, code) in &cases {
        let (st, body) = post(d.as_bytes());
        assert_eq!((st, code_of(&body).as_str()), (*status, *code), "{body}");
    }
    // Over the 64 KiB limit.
    let (st, _) = post(&vec![b'x'; 100 * 1024]);
    assert_eq!(st, 413);

    // Results: president-PA has Adams County's 100 ballots, 60 + 38 votes.
    let (st, body) = request(addr, "GET", "/api/results", b"");
    assert_eq!(st, 200);
    let r: serde_json::Value = serde_json::from_str(&body).unwrap();
    let pa = r["contests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "president-PA")
        .unwrap();
    assert_eq!(pa["ballots"], 100);
    let votes: u64 = pa["totals"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(votes, 98);
    drop(rt);

    // Nothing rejected reached the log; each rejection is a security event.
    let app = App::open(data, us2020()).unwrap();
    assert_eq!(app.log().size(), first + 2); // the submission and its snapshot
    let events = app.events(0, 100).unwrap();
    let codes: Vec<&str> = events.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "bad-signature",
            "precinct-not-authorized",
            "votes-above-ballots",
            "old-sequence",
            "unknown-candidate",
            "malformed-json"
        ]
    );
    assert_eq!(events[0].source.as_deref(), Some("127.0.0.1"));
    // Reopened, the tally is rebuilt from the stored submissions.
    let r: serde_json::Value = serde_json::from_str(&app.results_json()).unwrap();
    let pa = r["contests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "president-PA")
        .unwrap();
    assert_eq!(pa["ballots"], 100);
}
