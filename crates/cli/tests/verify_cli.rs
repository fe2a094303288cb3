//! `canvass verify` and `canvass monitor` end to end: a real `canvass serve` process on
//! 127.0.0.1 (port chosen by the OS), a submission sent with `canvass submit`; verify passes
//! (exit 0) over HTTP and on the data directory, the monitor finds nothing; then one digit
//! of the logged submission is changed in the log files and both fail (exit 1), naming it.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

fn canvass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(args)
        .output()
        .expect("run canvass")
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("canvass-verify-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(data: &str) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(["serve", "--data", data, "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start canvass serve");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("URL line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    (server, url)
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn verify_and_monitor_pass_then_catch_a_changed_vote() {
    let t = tmpdir("run");
    let data = t.join("data");
    let d = data.to_str().unwrap();
    let init = canvass(&[
        "keys",
        "init",
        "--data",
        d,
        "--election",
        "us-2020",
        "--seed",
        "3",
    ]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let (server, url) = serve(d);

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
