//! `canvass serve` and `canvass submit` end to end: a real server process on 127.0.0.1 (port
//! chosen by the OS), real keys and SQLite; a submission sent twice is accepted once and then
//! `already-accepted`; a rejection exits 1 with its code; `--signed` resends the same bytes.

mod common;

use common::{canvass, json, keys_init, serve, tmpdir};

use std::process::Command;

#[test]
fn submit_twice_is_accepted_once() {
    let t = tmpdir("twice");
    let data = t.join("data");
    let d = data.to_str().unwrap();
    keys_init(d, "3");
    // One document per second per key, also for loopback: every repeat below is first
    // refused with 429 and Retry-After, and `submit` resends it.
    let (mut server, url) = serve(
        d,
        &["--per-key-rps", "1", "--burst", "1", "--limit-loopback"],
    );

    // Adams County, PA (42001) reports itself whole: 100 ballots, 60 + 38 votes.
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
    let saved = t.join("42001-1.note");
    let submit = |extra: &[&str]| {
        let mut args = vec!["submit", "--server", &url, "--json"];
        args.extend_from_slice(extra);
        canvass(&args)
    };
    let common = [
        "--key",
        key.to_str().unwrap(),
        "--sequence",
        "1",
        "--timestamp",
        "1604448000",
    ];
    let mut first_args = common.to_vec();
    first_args.extend(["--save", saved.to_str().unwrap(), csv.to_str().unwrap()]);
    let first = submit(&first_args);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let v1 = json(&first);
    assert_eq!(
        (v1["status"].as_str(), v1["http_status"].as_u64()),
        (Some("accepted"), Some(201))
    );

    // The same results, key, sequence and timestamp sign to the same bytes: already accepted.
    let mut again_args = common.to_vec();
    again_args.push(csv.to_str().unwrap());
    let again = submit(&again_args);
    assert_eq!(again.status.code(), Some(0));
    let v2 = json(&again);
    assert_eq!(v2["status"], "already-accepted");
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("retrying (HTTP 429"), "{err}");
    assert_eq!(
        (&v2["log_index"], &v2["digest"]),
        (&v1["log_index"], &v1["digest"])
    );
    // So does resending the saved document.
    let resent = submit(&["--signed", saved.to_str().unwrap()]);
    assert_eq!(json(&resent)["status"], "already-accepted");
    let doc = std::fs::read_to_string(&saved).unwrap();
    assert!(doc.starts_with("canvass-submission/v1\n{\"election\":\"us-2020\",\"jurisdiction\":\"42001\",\"sequence\":1,\"timestamp\":1604448000,"));

    // 101 votes on 100 ballots: rejected, exit 1, the code and field printed.
    let bad = t.join("bad.csv");
    std::fs::write(
        &bad,
        "precinct,portion,counting_group,contest,selection,line,votes\n\
         42001,,,president-PA,@ballots,,100\n\
         42001,,,president-PA,biden-harris,,61\n\
         42001,,,president-PA,trump-pence,,40\n",
    )
    .unwrap();
    let r = submit(&[
        "--key",
        key.to_str().unwrap(),
        "--sequence",
        "2",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(1));
    let v = json(&r);
    assert_eq!(
        (
            v["status"].as_str(),
            v["code"].as_str(),
            v["http_status"].as_u64()
        ),
        (Some("rejected"), Some("votes-above-ballots"), Some(422))
    );
    assert!(
        v["field"]
            .as_str()
            .unwrap()
            .starts_with("payload.results[0]")
    );

    // Ctrl-C (SIGINT) stops the server cleanly.
    let pid = server.0.id().to_string();
    let st = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(st.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(st) = server.0.try_wait().unwrap() {
            break st;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running after SIGINT"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn submit_gives_up_on_an_unreachable_server() {
    let t = tmpdir("down");
    let doc = t.join("x.note");
    std::fs::write(&doc, "canvass-submission/v1\n{}\n\n").unwrap();
    // Port 9 (discard) on loopback: nothing listens there in the test environment.
    let out = canvass(&[
        "submit",
        "--server",
        "http://127.0.0.1:9",
        "--signed",
        doc.to_str().unwrap(),
        "--attempts",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not delivered after 2 attempts"), "{err}");
}
