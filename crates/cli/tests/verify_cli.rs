//! `canvass verify` and `canvass monitor` end to end: a real `canvass serve` process on
//! 127.0.0.1 (port chosen by the OS), a submission sent with `canvass submit`; verify passes
//! (exit 0) over HTTP and on the data directory, the monitor finds nothing; then one digit
//! of the logged submission is changed in the log files and both fail (exit 1), naming it.

mod common;

use common::{canvass, json, keys_init, serve, tmpdir};

#[test]
fn verify_and_monitor_pass_then_catch_a_changed_vote() {
    let t = tmpdir("run");
    let data = t.join("data");
    let d = data.to_str().unwrap();
    keys_init(d, "3");
    let (server, url) = serve(d, &[]);

    // Adams County, PA (42001): 100 ballots, 60 + 38 votes.
    let csv = t.join("adams.csv");
    std::fs::write(
        &csv,
        "precinct,portion,counting_group,contest,selection,line,votes\n\
         42001,,,president-PA,@ballots,,100\n\
         42001,,,president-PA,biden-harris,,60\n\
         42001,,,president-PA,trump-pence,,38\n",
    )
    .unwrap();
    let key = data.join("keys/jurisdictions/42001.key");
    let sub = canvass(&[
        "submit",
        "--server",
        &url,
        "--json",
        "--key",
        key.to_str().unwrap(),
        "--sequence",
        "1",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(
        sub.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sub.stderr)
    );
    let index = json(&sub)["log_index"].as_u64().unwrap();

    let v = canvass(&["verify", &url, "--json"]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
    let r = json(&v);
    assert_eq!(r["ok"], true);
    assert_eq!(r["counts"]["submissions"], 1);
    assert_eq!(r["counts"]["snapshots"], 1);
    assert_eq!(r["counts"]["stored"], 1);
    assert_eq!(r["published_results_compared"], true);
    // Every contest of the published results compared at every level (GET /api/contests/{id}).
    let published: serde_json::Value = serde_json::from_str(
        &ureq::get(&format!("{url}/api/results"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    let contests = published["contests"].as_array().unwrap().len();
    assert!(contests > 0);
    assert_eq!(r["counts"]["contests"], contests);
    assert!(r["counts"]["areas"].as_u64().unwrap() >= 3, "{r:#}");
    let human = canvass(&["verify", &url]);
    assert_eq!(human.status.code(), Some(0));
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("OK: everything published matches the log"),
        "{text}"
    );

    let state = t.join("monitor.json");
    let m = canvass(&[
        "monitor",
        &url,
        "--state",
        state.to_str().unwrap(),
        "--once",
    ]);
    assert_eq!(
        m.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&m.stderr)
    );
    assert!(
        m.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&m.stdout)
    );
    let st: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(st["size"], index + 2);
    drop(server);

    // 60 → 90 in the logged document, in the log's own files.
    let size = index + 2;
    let bundle = data.join(format!("log/tile/entries/000.p/{size}"));
    let mut bytes = std::fs::read(&bundle).unwrap();
    let at = String::from_utf8_lossy(&bytes)
        .find("\"votes\":60")
        .unwrap();
    bytes[at + 8] = b'9';
    std::fs::write(&bundle, bytes).unwrap();

    let v = canvass(&["verify", d, "--json"]);
    assert_eq!(v.status.code(), Some(1));
    let r = json(&v);
    assert_eq!(r["ok"], false);
    let findings = r["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["check"] == "tiles"),
        "{findings:#?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f["code"] == "bad-signature" && f["log_index"] == index),
        "{findings:#?}"
    );
    let human = canvass(&["verify", d]);
    assert_eq!(human.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&human.stdout).contains("FAILED:"));

    let m = canvass(&["monitor", d, "--state", state.to_str().unwrap(), "--once"]);
    assert_eq!(m.status.code(), Some(1));
    let alerts: Vec<serde_json::Value> = String::from_utf8_lossy(&m.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        alerts
            .iter()
            .any(|a| a["severity"] == "critical" && a["alert"] == "tile-differs"),
        "{alerts:#?}"
    );
    let _ = std::fs::remove_dir_all(&t);
}
