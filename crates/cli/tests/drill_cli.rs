//! `canvass drill` end to end: an election made with `canvass keys init`, `canvass serve` and
//! two `canvass submit`s (Adams and Allegheny counties, PA); the server stopped; then every
//! drill run on a copy of its data directory (the seven of issue 8 and the swapped election
//! definition), each caught by verify and by the monitor.

mod common;

use common::{canvass, json, keys_init, serve, submit_pa, tmpdir};

#[test]
fn every_drill_is_caught_by_verify_and_the_monitor() {
    let list = canvass(&["drill", "list", "--json"]);
    assert_eq!(list.status.code(), Some(0));
    let drills = json(&list);
    assert_eq!(drills.as_array().unwrap().len(), 8);
    assert_eq!(drills[6]["name"], "rollback");
    assert_eq!(drills[7]["name"], "definition");

    let t = tmpdir("all");
    let data = t.join("data");
    let d = data.to_str().unwrap();
    keys_init(d, "5");
    let (server, url) = serve(d, &[]);
    submit_pa(&url, &data, &t, "42001", [100, 60, 38]);
    submit_pa(&url, &data, &t, "42003", [1000, 500, 480]);
    // verify waits for a checkpoint covering the published results (both submissions).
    let v = canvass(&["verify", &url, "--json"]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
    assert_eq!(json(&v)["counts"]["submissions"], 2);
    drop(server);

    let out = canvass(&[
        "drill",
        "run",
        "all",
        "--data",
        d,
        "--json",
        "--threads",
        "1",
    ]);
    let outcomes = json(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{outcomes:#}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outcomes = outcomes.as_array().unwrap();
    assert_eq!(outcomes.len(), 8);
    // What each drill must be caught as (docs/verify.md, "Tamper drills").
    let expect: [(&str, &str); 8] = [
        ("store-differs", "store-differs"),
        ("snapshot-position", "rollback"),
        ("fork", "fork"),
        ("results-differ", "results-changed-without-log-growth"),
        ("replay", "replay"),
        ("revoked-key", "revoked-key-signature"),
        ("rollback", "rollback"),
        ("definition-mismatch", "definition-mismatch"),
    ];
    for (o, (v, m)) in outcomes.iter().zip(expect) {
        let has = |who: &str, code: &str| {
            o[who]["codes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == code)
        };
        assert_eq!(o["verify"]["detected"], true, "{o:#}");
        assert_eq!(o["monitor"]["detected"], true, "{o:#}");
        assert!(has("verify", v), "drill {}: {o:#}", o["drill"]);
        assert!(has("monitor", m), "drill {}: {o:#}", o["drill"]);
    }
    // The data directory itself is untouched: it still verifies.
    let v = canvass(&["verify", d, "--json"]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );

    let human = canvass(&["drill", "run", "4", "--data", d]);
    assert_eq!(human.status.code(), Some(0));
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("drill 4 results-json"), "{text}");
    assert!(text.contains("OK: every drill was caught"), "{text}");

    let bad = canvass(&["drill", "run", "9", "--data", d]);
    assert_eq!(bad.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&t);
}
