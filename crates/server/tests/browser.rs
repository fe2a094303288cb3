//! The results website in a real browser (Debian's `chromium`, headless, driven over the
//! Chrome DevTools Protocol): the page's Electoral College figures equal `/api/results`; a
//! new submission appears without a reload; every map tile is a labelled link; nothing is
//! wider than a 390 px phone screen; the verification panel turns green; it turns
//! red when a proxy tampers with the results or the checkpoint. Screenshots of the
//! overview, a state page and a ranked-choice contest page are written to
//! `target/artifacts/browser/` (or `$CANVASS_ARTIFACTS/browser/`).
//!
//! Skips (with a message) only when no chromium binary can be found; `scripts/test`
//! installs it.

#[path = "browser/cdp.rs"]
mod cdp;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use canvass_server::io::{self, KeySource};
use canvass_server::{App, Payload, Submission};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(60);

/// A small simulated national election (every county, few precincts).
fn simulation() -> canvass_sim::Simulation {
    let e = canvass_model::builtin("us-2020").unwrap().unwrap();
    canvass_sim::simulate(
        &e,
        &canvass_sim::SimOptions {
            seed: 7,
            scale_permille: 2,
            ballots_per_precinct: 900,
        },
    )
    .unwrap()
}

fn artifacts() -> PathBuf {
    let base = std::env::var_os("CANVASS_ARTIFACTS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/artifacts"),
        PathBuf::from,
    );
    base.join("browser")
}

/// Submits every jurisdiction of `states` (sequence 1) straight to the App.
fn submit_states(app: &App, data: &Path, sim: &canvass_sim::Simulation, states: &[&str]) {
    for j in &sim.jurisdictions {
        if !states.contains(&j.state.as_str()) {
            continue;
        }
        let key =
            io::read_secret_key(&io::jurisdiction_key_path(data, j.jurisdiction.as_str())).unwrap();
        let doc = Submission {
            election: sim.election.election.id.clone(),
            jurisdiction: j.jurisdiction.clone(),
            sequence: 1,
            timestamp: 1_604_448_000,
            amendment: None,
            payload: Payload::PrecinctResults {
                results: j.results.clone(),
            },
        }
        .sign(&key);
        app.submit(doc.as_bytes(), None)
            .unwrap_or_else(|e| panic!("{}: {e:?}", j.jurisdiction));
    }
}

fn get(base: &str, path: &str) -> (HeaderMap, Vec<u8>) {
    let mut r = ureq::get(&format!("{base}{path}")).call().unwrap();
    let mut h = HeaderMap::new();
    for (k, v) in r.headers() {
        h.insert(k.clone(), v.clone());
    }
    (h, r.body_mut().read_to_vec().unwrap())
}

/// Waits until the published checkpoint covers the snapshot `/api/results` names.
fn wait_checkpointed(base: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let (h, _) = get(base, "/api/results");
        let idx: u64 = h["x-canvass-log-index"].to_str().unwrap().parse().unwrap();
        // No checkpoint yet (404) until the witnesses' first cosignatures are in.
        let size = ureq::get(&format!("{base}/log/checkpoint"))
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok())
            .and_then(|cp| cp.lines().nth(1)?.parse::<u64>().ok());
        if size.is_some_and(|size| size > idx) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint covers entry {idx}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

type Tamper = Arc<dyn Fn(&str, Vec<u8>) -> Vec<u8> + Send + Sync>;

/// An HTTP proxy in front of `upstream` that passes every GET through `tamper(path, body)`
/// (Server-Sent Events are not proxied: the page then loads once and checks what it got).
fn proxy(rt: &tokio::runtime::Runtime, upstream: SocketAddr, tamper: Tamper) -> SocketAddr {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = move |uri: Uri| {
        let tamper = tamper.clone();
        async move {
            let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
            if path.starts_with("/api/events") {
                return StatusCode::NOT_FOUND.into_response();
            }
            tokio::task::spawn_blocking(move || -> Response {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let mut r = agent
                    .get(&format!("http://{upstream}{path}"))
                    .call()
                    .unwrap();
                let status = r.status();
                let mut headers = HeaderMap::new();
                for (k, v) in r.headers() {
                    let k = k.as_str();
                    if k.starts_with("x-canvass") || k == "etag" || k == "content-type" {
                        headers.insert(
                            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                            v.clone(),
                        );
                    }
                }
                let body = tamper(uri.path(), r.body_mut().read_to_vec().unwrap());
                (status, headers, Bytes::from(body)).into_response()
            })
            .await
            .unwrap()
        }
    };
    let app = axum::Router::new().fallback(handler);
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// The Electoral College figures the page shows: ticket → electors won.
fn page_figures(b: &mut cdp::Browser) -> Value {
    b.eval(
        "Object.fromEntries([...document.querySelectorAll('#ec-figures [data-ticket]')].map(e => [e.dataset.ticket, Number(e.textContent)]))",
    )
}

/// The DEM and REP tickets' electors won, from the results JSON.
fn api_figures(results: &Value) -> Value {
    let ec = &results["electoral_college"];
    let mut m = serde_json::Map::new();
    let party = |t: &str| {
        results["contests"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["selections"].as_array().unwrap())
            .find(|s| s["name"] == t)
            .map(|s| s["party"].clone())
    };
    for src in [&ec["won_or_leading"], &ec["won"]] {
        for (t, _) in src.as_object().unwrap() {
            let p = party(t);
            if p == Some(Value::from("DEM")) || p == Some(Value::from("REP")) {
                m.insert(t.clone(), ec["won"][t].as_u64().unwrap_or(0).into());
            }
        }
    }
    Value::Object(m)
}

fn badge(b: &mut cdp::Browser) -> String {
    b.eval("document.getElementById('verify-badge').dataset.state || ''")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn wait_badge(b: &mut cdp::Browser, want: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let s = badge(b);
        if s == want {
            return;
        }
        if std::time::Instant::now() > deadline {
            let checks = b.eval("JSON.stringify(window.canvass.verification().checks)");
            panic!("badge is {s:?}, want {want:?}; checks: {checks}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_results_site_in_chromium() {
    let Some(chromium) = cdp::find_chromium() else {
        eprintln!(
            "SKIPPED the_results_site_in_chromium: no chromium found (install Debian's `chromium`, or set CHROMIUM=/path); scripts/test installs it"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let sim = simulation();
    io::init_keys(data, &sim.election, KeySource::Seeded(7)).unwrap();
    let app = Arc::new(App::open(data, sim.election.clone()).unwrap());
    // Small states in full (DC, DE, VT, WY) and Maine and Nebraska, whose districts have
    // electors of their own; Maine's presidential contest is ranked-choice.
    submit_states(&app, data, &sim, &["DC", "DE", "VT", "ME", "NE", "PA"]);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let served = app.clone();
    rt.spawn(async move {
        canvass_server::http::serve(listener, served, 1 << 20)
            .await
            .unwrap();
    });
    let base = format!("http://{addr}");
    wait_checkpointed(&base);
    let out = artifacts();

    let mut b = cdp::Browser::launch(&chromium, 1280, 1000);

    // 1. The overview: Electoral College figures equal /api/results.
    b.goto(&format!("{base}/"));
    b.wait_for("document.querySelector('#ec-figures [data-ticket]')", WAIT);
    let results: Value = serde_json::from_slice(&get(&base, "/api/results").1).unwrap();
    let want = api_figures(&results);
    assert!(
        want.as_object()
            .unwrap()
            .values()
            .any(|v| v.as_u64() > Some(0)),
        "the test election has decided states: {want}"
    );
    assert_eq!(page_figures(&mut b), want, "page figures vs /api/results");

    // 2. The verification panel turns green.
    wait_badge(&mut b, "ok");
    b.screenshot(&out.join("overview.png"));
    // Keyboard: every state and district tile is a link with a text label.
    let tiles = b.eval(
        "[...document.querySelectorAll('.map a[href]')].filter(a => a.getAttribute('aria-label')).length",
    );
    assert_eq!(
        tiles,
        Value::from(51 + 5),
        "51 states and DC, ME-1, ME-2, NE-1..3"
    );
    // A phone: 390 CSS pixels wide, nothing wider than the screen.
    b.call(
        "Emulation.setDeviceMetricsOverride",
        serde_json::json!({"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}),
    );
    b.wait_for("document.documentElement.scrollWidth <= 391", WAIT);
    b.screenshot(&out.join("overview-phone.png"));
    b.call(
        "Emulation.clearDeviceMetricsOverride",
        serde_json::json!({}),
    );

    // 3. A new submission appears without a reload: Wyoming reports in full.
    b.eval("window.__same_page = true");
    let before = b.eval("document.getElementById('view').dataset.snapshot");
    submit_states(&app, data, &sim, &["WY"]);
    let results: Value = serde_json::from_slice(&get(&base, "/api/results").1).unwrap();
    let etag = get(&base, "/api/results").0["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(Value::from(etag.clone()), before);
    b.wait_for(
        &format!("document.getElementById('view').dataset.snapshot === {etag:?}"),
        WAIT,
    );
    assert_eq!(
        b.eval("window.__same_page === true"),
        Value::Bool(true),
        "no reload"
    );
    assert_eq!(
        page_figures(&mut b),
        api_figures(&results),
        "figures after the update"
    );
    b.wait_for("document.querySelector('#feed li')", WAIT);
    wait_badge(&mut b, "ok");

    // 4. A state page with its county table.
    b.goto(&format!("{base}/#/state/PA"));
    b.wait_for(
        "document.querySelector('#county-table') || document.querySelector('#counties p')",
        WAIT,
    );
    b.wait_for("document.querySelectorAll('main article').length > 0", WAIT);
    b.screenshot(&out.join("state-PA.png"));

    // 5. The verification panel itself.
    b.goto(&format!("{base}/#/verify"));
    b.wait_for(
        "document.getElementById('verify-panel')?.dataset.state === 'ok'",
        WAIT,
    );
    let size = b.eval("document.getElementById('cp-size').textContent.replace(/,/g, '')");
    let (_, cp) = get(&base, "/log/checkpoint");
    let cp_size = String::from_utf8(cp)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_owned();
    assert_eq!(size, Value::from(cp_size));
    drop(b);

    // 6. A ranked-choice contest: Maine's jurisdictions sent their ballots' rankings, so the
    // server's own results carry the rounds (Maine counts until two remain: at least two).
    let (_, body) = get(&base, "/api/contests/president-ME");
    let me: Value = serde_json::from_slice(&body).unwrap();
    let served = me["rcv"]["rounds"]
        .as_array()
        .expect("rounds in the results")
        .len();
    assert!(served >= 2, "{}", me["rcv"]);
    let mut b = cdp::Browser::launch(&chromium, 1280, 1000);
    b.goto(&format!("{base}/#/contest/president-ME"));
    b.wait_for("document.querySelector('#rcv-rounds')", WAIT);
    let rounds = b.eval("document.querySelectorAll('#rcv-rounds thead th').length - 1");
    assert_eq!(rounds, Value::from(served), "one column per round served");
    // The last round's figures on screen are the served ones.
    let last = &me["rcv"]["rounds"][served - 1]["tally"];
    let shown = b.eval(
        "[...document.querySelectorAll('#rcv-rounds tbody tr')].map((tr) => tr.lastElementChild.textContent)",
    );
    for (_, v) in last.as_object().unwrap() {
        let text = v.as_u64().unwrap().to_string();
        let with_commas = text
            .as_bytes()
            .rchunks(3)
            .rev()
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(",");
        assert!(
            shown
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == &Value::from(with_commas.clone())),
            "{with_commas} not among {shown}"
        );
    }
    assert_eq!(
        b.eval("document.querySelectorAll('figure.flow svg path').length > 0"),
        Value::from(true),
        "the flow chart draws the transfers"
    );
    // Each district's own rounds (its elector) have their own table, with the served winner.
    let districts = me["district_rcv"]
        .as_array()
        .expect("district rounds served");
    assert_eq!(districts.len(), 2, "ME-01 and ME-02");
    for d in districts {
        let id = d["district"].as_str().unwrap();
        let cols = b.eval(&format!(
            "document.querySelectorAll('#rcv-{id}-rounds thead th').length - 1"
        ));
        assert_eq!(
            cols,
            Value::from(d["rcv"]["rounds"].as_array().unwrap().len()),
            "{id}"
        );
        if let Some(w) = d["rcv"]["winner"].as_str() {
            let text = b.eval(&format!(
                "document.getElementById('rcv-{id}-h').parentElement.textContent"
            ));
            assert!(
                text.as_str().unwrap().contains(w),
                "{id}: {w} not in {text}"
            );
        }
    }
    b.screenshot(&out.join("contest-rcv.png"));
    drop(b);

    // 7. Tampered results: one vote count changed in the bytes served. Red.
    let results_tamper: Tamper = Arc::new(|path: &str, body: Vec<u8>| {
        if path == "/api/results" {
            let s = String::from_utf8(body).unwrap();
            let i = s.find("\"votes\":").unwrap() + 8;
            let mut b = s.into_bytes();
            b[i] = if b[i] == b'9' { b'8' } else { b[i] + 1 };
            return b;
        }
        body
    });
    let p = proxy(&rt, addr, results_tamper);
    let mut b = cdp::Browser::launch(&chromium, 1280, 1000);
    b.goto(&format!("http://{p}/"));
    wait_badge(&mut b, "bad");
    b.wait_for("document.getElementById('alarm')", WAIT);
    let why = b.eval("window.canvass.verification().checks.find(c => !c.ok).name");
    assert!(
        why.as_str().unwrap().contains("SHA-256 of the results"),
        "{why}"
    );
    drop(b);

    // 8. Tampered checkpoint: a different root under the same signature. Red.
    let cp_tamper: Tamper = Arc::new(|path: &str, body: Vec<u8>| {
        if path == "/log/checkpoint" {
            let s = String::from_utf8(body).unwrap();
            let mut lines: Vec<String> = s.split('\n').map(str::to_owned).collect();
            let root = &mut lines[2];
            let c = if root.starts_with('A') { "B" } else { "A" };
            root.replace_range(0..1, c);
            return lines.join("\n").into_bytes();
        }
        body
    });
    let p = proxy(&rt, addr, cp_tamper);
    let mut b = cdp::Browser::launch(&chromium, 1280, 1000);
    b.goto(&format!("http://{p}/"));
    wait_badge(&mut b, "bad");
    let why = b.eval("window.canvass.verification().checks.find(c => !c.ok).name");
    assert!(why.as_str().unwrap().contains("Checkpoint signed"), "{why}");
    drop(b);
}

/// A C2SP tlog-witness on loopback (the `canvass_log::witness` logic that `canvass witness
/// serve` runs, state in memory); returns its verifier key and URL.
fn witness(
    rt: &tokio::runtime::Runtime,
    log: canvass_log::LogVerifier,
    name: &str,
    seed: u8,
) -> (canvass_log::CosignatureVerifier, String) {
    use canvass_log::witness::{AddCheckpoint, Witness};
    let cosigner = canvass_log::Cosigner::from_seed(name, [seed; 32]).unwrap();
    let verifier = cosigner.verifier();
    let w = Arc::new(std::sync::Mutex::new(Witness::new(cosigner, vec![log])));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = move |body: Bytes| {
        let w = w.clone();
        async move {
            let req = match AddCheckpoint::parse(&body) {
                Ok(r) => r,
                Err(r) => return (StatusCode::BAD_REQUEST, r.reason).into_response(),
            };
            let mut w = w.lock().unwrap();
            match w.evaluate(&req, 1_604_448_000) {
                Ok(c) => {
                    w.accept(&c);
                    c.cosignature.into_response()
                }
                Err(r) => (
                    StatusCode::from_u16(r.status).unwrap(),
                    r.latest_size.map_or(r.reason, |s| format!("{s}\n")),
                )
                    .into_response(),
            }
        }
    };
    let app = axum::Router::new().route("/add-checkpoint", axum::routing::post(handler));
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (verifier, format!("http://{addr}"))
}

#[test]
fn witness_cosignatures_are_checked_in_chromium() {
    let Some(chromium) = cdp::find_chromium() else {
        eprintln!(
            "SKIPPED witness_cosignatures_are_checked_in_chromium: no chromium found (install Debian's `chromium`, or set CHROMIUM=/path); scripts/test installs it"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let sim = simulation();
    io::init_keys(data, &sim.election, KeySource::Seeded(8)).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let log = canvass_log::LogVerifier::from_vkey(
        std::fs::read_to_string(data.join("log.vkey"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let (v1, u1) = witness(&rt, log.clone(), "witness.example/w1", 1);
    let (v2, u2) = witness(&rt, log, "witness.example/w2", 2);
    let config = canvass_server::witnessing::WitnessConfig::new(
        vec![
            canvass_server::witnessing::WitnessEndpoint::parse(&format!("{}={u1}", v1.to_vkey()))
                .unwrap(),
            canvass_server::witnessing::WitnessEndpoint::parse(&format!("{}={u2}", v2.to_vkey()))
                .unwrap(),
        ],
        2,
    )
    .unwrap();
    let options = canvass_server::Options {
        witnesses: Some(config),
        ..Default::default()
    };
    let app = Arc::new(App::open_with(data, sim.election.clone(), options).unwrap());
    submit_states(&app, data, &sim, &["DC", "DE"]);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let served = app.clone();
    rt.spawn(async move {
        canvass_server::http::serve(listener, served, 1 << 20)
            .await
            .unwrap();
    });
    let base = format!("http://{addr}");
    wait_checkpointed(&base);

    // Both cosignatures are checked in the page: green, each witness listed as valid.
    let mut b = cdp::Browser::launch(&chromium, 1280, 1000);
    b.goto(&format!("{base}/#/verify"));
    b.wait_for(
        "document.getElementById('verify-panel')?.dataset.state === 'ok'",
        WAIT,
    );
    assert_eq!(
        b.eval("[...document.querySelectorAll('#witness-list li')].map(l => l.dataset.status).join(',')"),
        Value::from("valid,valid")
    );
    drop(b);

    // A checkpoint served without one cosignature (2 of 2 needed): red.
    let strip: Tamper = Arc::new(|path: &str, body: Vec<u8>| {
        if path == "/log/checkpoint" {
            let s = String::from_utf8(body).unwrap();
            return s
                .split_inclusive('\n')
                .filter(|l| !l.starts_with("— witness.example/w2 "))
                .collect::<String>()
                .into_bytes();
        }
        body
    });
    let p = proxy(&rt, addr, strip);
    let mut b = cdp::Browser::launch(&chromium, 1280, 1000);
    b.goto(&format!("http://{p}/"));
    wait_badge(&mut b, "bad");
    let why = b.eval("window.canvass.verification().checks.find(c => !c.ok).name");
    assert!(
        why.as_str().unwrap().contains("Witness cosignatures"),
        "{why}"
    );
    drop(b);

    // A cosignature whose bytes were changed: red, named invalid.
    let forge: Tamper = Arc::new(|path: &str, body: Vec<u8>| {
        if path == "/log/checkpoint" {
            let s = String::from_utf8(body).unwrap();
            let i = s.find("— witness.example/w1 ").unwrap() + "— witness.example/w1 ".len() + 20;
            let mut b = s.into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            return b;
        }
        body
    });
    let p = proxy(&rt, addr, forge);
    let mut b = cdp::Browser::launch(&chromium, 1280, 1000);
    b.goto(&format!("http://{p}/"));
    wait_badge(&mut b, "bad");
    let detail = b.eval("window.canvass.verification().checks.find(c => !c.ok).detail");
    assert!(
        detail
            .as_str()
            .unwrap()
            .contains("invalid cosignature from witness.example/w1"),
        "{detail}"
    );
    drop(b);
}
