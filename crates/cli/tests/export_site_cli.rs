//! `canvass export-site` against a real server (in this process, on 127.0.0.1): the layout of
//! docs/export-site.md, `api/results.json` byte-identical to `GET /api/results`, the
//! exported log audits clean up to the signed checkpoint, and the snapshot entry named by
//! `api/results-meta.json` commits to the SHA-256 of `api/results.json`. A second export
//! after more results adds only the new tiles and moves the results forward.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use canvass_server::io::{self, KeySource};
use canvass_server::{App, Payload, SnapshotEntry, Submission};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("canvass-export-site-{name}-{}", std::process::id()));
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

fn get(base: &str, path: &str) -> (Option<u64>, Vec<u8>) {
    let mut r = ureq::get(&format!("{base}{path}")).call().unwrap();
    let idx = r
        .headers()
        .get("x-canvass-log-index")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    (
        idx,
        r.body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .unwrap(),
    )
}

fn checkpoint_size(note: &[u8]) -> u64 {
    String::from_utf8_lossy(note)
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

/// Waits until the checkpoint covers the snapshot entry of `/api/results`.
fn settle(base: &str) {
    for _ in 0..600 {
        let (idx, _) = get(base, "/api/results");
        let (_, cp) = get(base, "/log/checkpoint");
        if idx.is_some_and(|i| i < checkpoint_size(&cp)) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no checkpoint covers the results");
}

fn export(dir: &Path, base: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(["export-site", dir.to_str().unwrap(), "--server", base])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "export-site failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Checks the exported copy against the server: returns the snapshot entry's index.
fn check_copy(dir: &Path, base: &str) -> u64 {
    let results = std::fs::read(dir.join("api/results.json")).unwrap();
    let (idx, served) = get(base, "/api/results");
    assert_eq!(
        results, served,
        "api/results.json is the exact bytes of GET /api/results"
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("api/results-meta.json")).unwrap()).unwrap();
    let index = meta["log_index"].as_u64().unwrap();
    assert_eq!(Some(index), idx);
    // The log copy audits clean (every tile recomputed up to the signed root).
    let vkey = std::fs::read_to_string(dir.join("log/vkey")).unwrap();
    let verifier = canvass_log::LogVerifier::from_vkey(vkey.trim()).unwrap();
    let report = canvass_store::tlog::audit(&dir.join("log"), Some(&verifier)).unwrap();
    let size = checkpoint_size(&std::fs::read(dir.join("log/checkpoint")).unwrap());
    assert!(index < size, "the checkpoint covers the snapshot entry");
    assert_eq!(report.checkpoint.size, size);
    // The snapshot entry, read from the exported bundle, commits to the exported bytes.
    let bundle = canvass_log::Tile {
        kind: canvass_log::TileKind::Entries,
        index: index / 256,
        width: u16::try_from((size - index / 256 * 256).min(256)).unwrap(),
    };
    let bytes = std::fs::read(dir.join("log").join(bundle.path())).unwrap();
    let entries = canvass_log::tile::decode_bundle(&bytes).unwrap();
    let snap = SnapshotEntry::parse(entries[usize::try_from(index % 256).unwrap()]).unwrap();
    assert_eq!(
        snap.results_sha256,
        canvass_server::entry::sha256_hex(&results)
    );
    assert_eq!(meta["sha256"], serde_json::Value::from(snap.results_sha256));
    index
}

#[test]
fn export_site_writes_a_verifiable_static_copy_and_refreshes_it() {
    let root = tmpdir("run");
    let data = root.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let e = canvass_model::builtin("us-2020").unwrap().unwrap();
    let sim = canvass_sim::simulate(
        &e,
        &canvass_sim::SimOptions {
            seed: 3,
            scale_permille: 1,
            ballots_per_precinct: 900,
        },
    )
    .unwrap();
    io::init_keys(&data, &sim.election, KeySource::Seeded(3)).unwrap();
    let app = Arc::new(App::open(&data, sim.election.clone()).unwrap());
    submit_states(&app, &data, &sim, &["DE", "VT"]);
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
    settle(&base);

    let site = root.join("site");
    export(&site, &base);
    for f in [
        "index.html",
        "assets/app.js",
        "assets/verify.js",
        "site.json",
        "log/checkpoint",
        "log/vkey",
        "api/results.json",
        "api/results-meta.json",
        "api/overview.json",
        "api/geo.json",
        "api/geo/DE.json",
        "api/results.csv",
        "api/results.nist.json",
        "api/contests/president-DE.json",
        "api/jurisdictions/10001/submissions.json",
    ] {
        assert!(site.join(f).is_file(), "{f} is exported");
    }
    let site_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join("site.json")).unwrap()).unwrap();
    assert_eq!(site_json["mode"], "static");
    assert_eq!(
        std::fs::read(site.join("index.html")).unwrap(),
        get(&base, "/").1,
        "the page is the server's"
    );
    let first = check_copy(&site, &base);

    // More results: a second export moves the copy forward.
    submit_states(&app, &data, &sim, &["WY"]);
    settle(&base);
    export(&site, &base);
    let second = check_copy(&site, &base);
    assert!(second > first, "snapshot {second} after {first}");
    let wy: serde_json::Value = serde_json::from_slice(
        &std::fs::read(site.join("api/jurisdictions/56001/submissions.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        wy["submissions"].as_array().unwrap().len(),
        1,
        "new history written"
    );
    drop(rt);
    let _ = std::fs::remove_dir_all(&root);
}
