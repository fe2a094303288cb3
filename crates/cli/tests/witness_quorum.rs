//! `canvass serve --witness VKEY=URL --quorum K` with real `canvass witness serve` processes:
//! checkpoints are published only with K valid cosignatures; with too few witnesses up the
//! previous checkpoint stays public, and publication resumes when a witness comes back,
//! also after a restart that leaves a witness ahead of the published checkpoint (its 409).
//! Two instances on a shared log (`--shared-log`) share the witnesses: both publish
//! cosigned checkpoints of the one log.

mod backends;
mod common;

use common::{canvass, json, keys_init, serve, tmpdir};

use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use canvass_log::{CosignatureVerifier, LogVerifier};

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port()
}

/// Starts `canvass witness serve` for the log `log_vkey` and waits until it listens.
fn witness(key: &Path, addr: &str, log_vkey: &str, state: &Path) -> common::Server {
    let s = common::Server(
        Command::new(env!("CARGO_BIN_EXE_canvass"))
            .args([
                "witness", "serve", "--listen", addr, "--log", log_vkey, "--key",
            ])
            .arg(key)
            .arg("--state")
            .arg(state)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("witness serve"),
    );
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "witness did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    s
}

fn get(url: &str) -> (u16, String) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut r = agent.get(url).call().expect("GET");
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().expect("body"))
}

/// The tree size of the published results snapshot (`X-Canvass-Tree-Size`).
fn results_tree_size(url: &str) -> u64 {
    let r = ureq::get(&format!("{url}/api/results"))
        .call()
        .expect("GET");
    r.headers()
        .get("x-canvass-tree-size")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("X-Canvass-Tree-Size")
}

/// The tree size of a checkpoint note (its second line); 0 for anything else (e.g. the 404
/// before the first cosigned checkpoint).
fn size_of(note: &str) -> u64 {
    note.lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .unwrap_or(0)
}

/// Waits until the results snapshot after log entry `index` is published and the published
/// checkpoint covers it; returns that checkpoint.
fn wait_for(url: &str, index: u64) -> String {
    let start = Instant::now();
    loop {
        let (_, note) = get(&format!("{url}/log/checkpoint"));
        let tree = results_tree_size(url);
        if tree > index && size_of(&note) >= tree {
            return note;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no checkpoint covering entry {index}: {note}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Submits and returns the log index.
fn submit(url: &str, key: &Path, csv: &Path, extra: &[&str]) -> u64 {
    let mut args = vec![
        "submit",
        "--server",
        url,
        "--json",
        "--key",
        key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.push(csv.to_str().unwrap());
    let out = canvass(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["status"], "accepted");
    v["log_index"].as_u64().expect("log_index")
}

#[test]
fn checkpoints_are_published_only_with_the_witness_quorum() {
    let t = tmpdir("quorum");
    let data = t.join("data");
    let d = data.to_str().unwrap();
    keys_init(d, "5");
    let log_vkey = std::fs::read_to_string(data.join("log.vkey")).unwrap();
    let log_vkey = log_vkey.trim();
    let log = LogVerifier::from_vkey(log_vkey).unwrap();

    // Three witnesses; the third is never started.
    let mut keys = Vec::new();
    for i in 1..=3 {
        let key = t.join(format!("w{i}.key"));
        let vkey = witness_keygen(&key, &format!("witness.example/w{i}"));
        keys.push((key, vkey, format!("127.0.0.1:{}", free_port())));
    }
    let verifiers: Vec<CosignatureVerifier> = keys
        .iter()
        .map(|(_, v, _)| CosignatureVerifier::from_vkey(v).unwrap())
        .collect();
    let w1 = witness(&keys[0].0, &keys[0].2, log_vkey, &t.join("w1-state"));
    let mut w2 = Some(witness(
        &keys[1].0,
        &keys[1].2,
        log_vkey,
        &t.join("w2-state"),
    ));
    let args: Vec<String> = keys
        .iter()
        .flat_map(|(_, v, a)| ["--witness".to_owned(), format!("{v}=http://{a}")])
        .chain([
            "--quorum".into(),
            "2".into(),
            "--witness-timeout".into(),
            "2".into(),
        ])
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (server, url) = serve(d, &args);

    // The policy is published for verifiers.
    let (status, policy) = get(&format!("{url}/log/witnesses"));
    assert_eq!(status, 200);
    for (_, v, _) in &keys {
        assert!(policy.contains(&format!("witness {v}\n")), "{policy}");
    }
    assert!(policy.ends_with("quorum 2\n"), "{policy}");

    let cosigners = |note: &str| -> Vec<bool> {
        verifiers
            .iter()
            .map(|v| matches!(v.cosigned_at(note.as_bytes()), Ok(Some(_))))
            .collect()
    };

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
    let first = submit(&url, &key, &csv, &["--sequence", "1"]);
    let note1 = wait_for(&url, first);
    log.open_checkpoint(note1.as_bytes())
        .expect("signed by the log");
    assert_eq!(cosigners(&note1), [true, true, false], "{note1}");

    // Only one witness left: the new entries are durable, but no checkpoint is published.
    drop(w2.take());
    std::fs::write(
        &csv,
        "precinct,portion,counting_group,contest,selection,line,votes\n\
         42001,,,president-PA,@ballots,,100\n\
         42001,,,president-PA,biden-harris,,61\n\
         42001,,,president-PA,trump-pence,,38\n",
    )
    .unwrap();
    let second = submit(
        &url,
        &key,
        &csv,
        &["--sequence", "2", "--amends", "1", "--reason", "recount"],
    );
    std::thread::sleep(Duration::from_secs(4));
    let (_, still) = get(&format!("{url}/log/checkpoint"));
    assert_eq!(
        still, note1,
        "a checkpoint was published with one cosignature"
    );

    // Meanwhile w1 cosigned the unpublished larger tree. The server restarts knowing only
    // the published checkpoint's cosigners, so it asks w1 from the old size: w1 answers 409
    // with its own size, and the server asks again with a proof from there.
    drop(server);
    let (_server, url) = serve(d, &args);
    // The witness comes back with its state: publication resumes, from its last size.
    let _w2 = witness(&keys[1].0, &keys[1].2, log_vkey, &t.join("w2-state"));
    let note2 = wait_for(&url, second);
    assert_eq!(cosigners(&note2), [true, true, false], "{note2}");
    drop(w1);

    // `canvass verify` checks the cosignatures against the served policy.
    verify_with_policy(&url, &policy, &t);
}

/// `canvass verify URL --policy` with the witness policy `policy` passes.
fn verify_with_policy(url: &str, policy: &str, t: &Path) {
    let policy_file = t.join("policy.txt");
    std::fs::write(&policy_file, policy).unwrap();
    let v = canvass(&[
        "verify",
        url,
        "--policy",
        policy_file.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{url}: {}",
        String::from_utf8_lossy(&v.stdout)
    );
}

/// Generates a witness key named `name`; returns its vkey.
fn witness_keygen(key: &Path, name: &str) -> String {
    let out = canvass(&[
        "witness",
        "keygen",
        "--name",
        name,
        "--out",
        key.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn two_instances_on_a_shared_log_share_the_witnesses() {
    let pgs = backends::pg::PgServer::start();
    let db = pgs.fresh_database();
    let t = tmpdir("shared-witness");
    let dirs = [t.join("i0"), t.join("i1")];
    let d: Vec<&str> = dirs.iter().map(|p| p.to_str().unwrap()).collect();
    keys_init(d[0], "5");
    let st = Command::new("cp")
        .args(["-a", d[0], d[1]])
        .status()
        .unwrap();
    assert!(st.success());
    let log_vkey = std::fs::read_to_string(dirs[0].join("log.vkey")).unwrap();
    let log_vkey = log_vkey.trim();
    let log = LogVerifier::from_vkey(log_vkey).unwrap();

    // One witness, quorum 1, for both instances.
    let wkey = t.join("w.key");
    let wvkey = witness_keygen(&wkey, "witness.example/shared");
    let waddr = format!("127.0.0.1:{}", free_port());
    let _w = witness(&wkey, &waddr, log_vkey, &t.join("w-state"));
    let cosigner = CosignatureVerifier::from_vkey(&wvkey).unwrap();
    let witness_arg = format!("{wvkey}=http://{waddr}");
    let args = [
        "--database",
        &db,
        "--shared-log",
        "--witness",
        &witness_arg,
        "--quorum",
        "1",
        "--witness-timeout",
        "2",
    ];
    let (_s0, url0) = serve(d[0], &args);
    let (_s1, url1) = serve(d[1], &args);

    // Reports sent in turn to one instance and the other.
    let csv = t.join("adams.csv");
    let key = dirs[0].join("keys/jurisdictions/42001.key");
    let mut last = 0;
    for seq in 1..=4u64 {
        std::fs::write(
            &csv,
            format!(
                "precinct,portion,counting_group,contest,selection,line,votes\n\
                 42001,,,president-PA,@ballots,,100\n\
                 42001,,,president-PA,biden-harris,,{}\n\
                 42001,,,president-PA,trump-pence,,38\n",
                55 + seq
            ),
        )
        .unwrap();
        let url = if seq % 2 == 1 { &url0 } else { &url1 };
        let seq_s = seq.to_string();
        let prev = (seq - 1).to_string();
        let mut extra = vec!["--sequence", seq_s.as_str()];
        if seq > 1 {
            extra.extend(["--amends", prev.as_str(), "--reason", "recount"]);
        }
        last = submit(url, &key, &csv, &extra);
    }

    // Each instance publishes a checkpoint covering the last report, signed by the log and
    // cosigned by the witness, and the two agree on the tree at the same size.
    let notes: Vec<String> = [&url0, &url1].iter().map(|u| wait_for(u, last)).collect();
    let mut trees = Vec::new();
    for note in &notes {
        let c = log
            .open_checkpoint(note.as_bytes())
            .expect("signed by the log");
        assert!(
            matches!(cosigner.cosigned_at(note.as_bytes()), Ok(Some(_))),
            "not cosigned: {note}"
        );
        trees.push((c.size, c.root));
    }
    if trees[0].0 == trees[1].0 {
        assert_eq!(trees[0], trees[1], "two trees of one size");
    }

    // `canvass verify` passes against both, with the witness policy.
    let (status, policy) = get(&format!("{url0}/log/witnesses"));
    assert_eq!(status, 200);
    for url in [&url0, &url1] {
        verify_with_policy(url, &policy, &t);
    }
}
