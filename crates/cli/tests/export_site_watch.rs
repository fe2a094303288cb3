//! `canvass export-site --watch` against a real server (in this process, on 127.0.0.1): the
//! first refresh writes the copy, and after a new submission a later refresh, with no restart,
//! moves `api/results.json` and `api/results-meta.json` to the new snapshot (byte-identical to
//! `GET /api/results`), writes the new jurisdiction's history, and the checkpoint it writes
//! covers the new snapshot entry (docs/export-site.md, "Consistency").

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use canvass_server::io::{self, KeySource};
use canvass_server::{App, Payload, Submission};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "canvass-export-watch-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

fn submit_states(app: &App, data: &Path, sim: &canvass_sim::Simulation, states: &[&str]) {
    for j in sim
        .jurisdictions
        .iter()
        .filter(|j| states.contains(&j.state.as_str()))
    {
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
        app.submit(doc.as_bytes(), None).unwrap();
    }
}

/// `GET base+path` with no `Accept-Encoding` (identity bytes): the snapshot entry index and
/// the body.
fn get(base: &str, path: &str) -> (Option<u64>, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .accept_encoding("identity")
        .build()
        .into();
    let mut r = agent.get(&format!("{base}{path}")).call().unwrap();
    let idx = r
        .headers()
        .get("x-canvass-log-index")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let body = r
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .unwrap();
    (idx, body)
}

fn checkpoint_size(note: &[u8]) -> u64 {
    String::from_utf8_lossy(note)
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

/// Waits until the checkpoint covers the snapshot entry of `/api/results`; its index.
fn settle(base: &str) -> u64 {
    for _ in 0..600 {
        let (idx, _) = get(base, "/api/results");
        let (_, cp) = get(base, "/log/checkpoint");
        if let Some(i) = idx.filter(|&i| i < checkpoint_size(&cp)) {
            return i;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no checkpoint covers the results");
}

/// The exported `api/results-meta.json` `log_index`, if written and readable.
fn exported_index(site: &Path) -> Option<u64> {
    let bytes = std::fs::read(site.join("api/results-meta.json")).ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes).ok()?["log_index"].as_u64()
}

/// Kills the watcher when the test ends, passed or not.
struct Watcher(Child);

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits (at most 60 s) for a `--json` refresh summary whose `results_log_index` is `index`,
/// then checks the copy's meta file names it.
fn wait_for_refresh(
    refreshes: &mpsc::Receiver<serde_json::Value>,
    site: &Path,
    index: u64,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let r = refreshes
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no refresh reached results entry {index}: {e}"));
        if r["results_log_index"].as_u64() == Some(index) {
            assert_eq!(exported_index(site), Some(index));
            return r;
        }
    }
}

#[test]
fn export_site_watch_follows_new_results_without_restarting() {
    let root = tmpdir("run");
    let data = root.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let e = canvass_model::builtin("us-2020").unwrap().unwrap();
    let sim = canvass_sim::simulate(
        &e,
        &canvass_sim::SimOptions {
            seed: 5,
            scale_permille: 1,
            ballots_per_precinct: 900,
        },
    )
    .unwrap();
    io::init_keys(&data, &sim.election, KeySource::Seeded(5)).unwrap();
    let app = Arc::new(App::open(&data, sim.election.clone()).unwrap());
    submit_states(&app, &data, &sim, &["DE"]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = app.clone();
    rt.spawn(async move {
        canvass_server::http::serve(listener, served, 1 << 20)
            .await
            .unwrap();
    });
    let first = settle(&base);

    let site = root.join("site");
    let mut child = Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(["export-site", site.to_str().unwrap(), "--server", &base])
        .args(["--watch", "--interval", "1", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let watcher = Watcher(child);
    // One JSON summary per refresh (pretty-printed over several lines).
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        let stream = serde_json::Deserializer::from_reader(BufReader::new(stdout))
            .into_iter::<serde_json::Value>();
        for r in stream {
            let r = r.expect("export-site --json prints JSON");
            if tx.send(r).is_err() {
                break;
            }
        }
    });

    let r = wait_for_refresh(&lines, &site, first);
    assert_eq!(
        r["results_changed"], true,
        "the first refresh writes the results"
    );
    assert_eq!(
        std::fs::read(site.join("api/results.json")).unwrap(),
        get(&base, "/api/results").1
    );
    let wy = sim
        .jurisdictions
        .iter()
        .find(|j| j.state.as_str() == "WY")
        .unwrap()
        .jurisdiction
        .as_str()
        .to_owned();
    let wy_history = site.join(format!("api/jurisdictions/{wy}/submissions.json"));
    let history: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&wy_history).unwrap()).unwrap();
    assert_eq!(
        history["submissions"].as_array().unwrap().len(),
        0,
        "{wy} has submitted nothing yet"
    );

    // New results while the watcher runs: a later refresh picks them up.
    submit_states(&app, &data, &sim, &["WY"]);
    let second = settle(&base);
    assert!(second > first);
    let r = wait_for_refresh(&lines, &site, second);
    assert_eq!(r["results_changed"], true);
    let (idx, served) = get(&base, "/api/results");
    assert_eq!(idx, Some(second));
    assert_eq!(
        std::fs::read(site.join("api/results.json")).unwrap(),
        served,
        "the refreshed api/results.json is the exact bytes of GET /api/results"
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join("api/results-meta.json")).unwrap())
            .unwrap();
    assert_eq!(
        meta["sha256"],
        serde_json::Value::from(canvass_server::entry::sha256_hex(&served))
    );
    let cp = std::fs::read(site.join("log/checkpoint")).unwrap();
    assert!(
        checkpoint_size(&cp) > second,
        "the exported checkpoint covers the new snapshot entry"
    );
    let history: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&wy_history).unwrap()).unwrap();
    assert_eq!(
        history["submissions"].as_array().unwrap().len(),
        1,
        "{wy}'s new submission is in its exported history"
    );

    drop(watcher);
    let _ = std::fs::remove_dir_all(&root);
}
