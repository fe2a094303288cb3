//! `canvass log checkpoint|prove-inclusion|prove-consistency|audit URL` against a real tile
//! server (`canvass_server::logroutes`) on 127.0.0.1, started by the test.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

use canvass_log::{LogSigner, MemoryTree};
use canvass_store::tlog::Log;

fn canvass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(args)
        .output()
        .expect("run canvass")
}

fn entry(i: u64) -> Vec<u8> {
    format!("url submission {i}").into_bytes()
}

fn serve(dir: std::path::PathBuf) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(l.local_addr().expect("addr")).expect("addr");
            canvass_server::logroutes::serve(l, dir)
                .await
                .expect("serve");
        });
    });
    rx.recv().expect("server address")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn checkpoint_proofs_and_audit_over_http() {
    let tmp = std::env::temp_dir().join(format!("canvass-log-url-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).expect("mkdir");
    let dir = tmp.join("log");
    let n = 70_000u64;
    let signer = LogSigner::from_seed("canvass.example/url-test", [6; 32]).expect("key");
    {
        let log = Log::open(&dir, signer.clone()).expect("open");
        let entries: Vec<Vec<u8>> = (0..n).map(entry).collect();
        log.append(&entries).expect("append");
        log.checkpoint().expect("checkpoint");
    }
    let reference = MemoryTree::from_entries((0..n).map(entry));
    let vkey = signer.verifier().to_vkey();
    let url = format!("http://{}/log", serve(dir.clone()));

    let j = json(&canvass(&[
        "log",
        "checkpoint",
        &url,
        "--vkey",
        &vkey,
        "--json",
    ]));
    assert_eq!(j["size"], n);
    assert_eq!(j["root"], reference.root().to_base64());

    // A proof fetched over HTTP verifies with the offline verifier.
    let out = canvass(&["log", "prove-inclusion", &url, "--index", "65537", "--json"]);
    let proof = json(&out);
    assert_eq!(
        proof["leaf_hash"],
        canvass_log::leaf_hash(&entry(65537)).to_base64()
    );
    let proof_file = tmp.join("proof.json");
    std::fs::write(&proof_file, &out.stdout).expect("write proof");
    let entry_file = tmp.join("entry.bin");
    std::fs::write(&entry_file, entry(65537)).expect("write entry");
    let v = json(&canvass(&[
        "log",
        "verify-inclusion",
        s(&proof_file),
        "--entry",
        s(&entry_file),
        "--json",
    ]));
    assert_eq!(v["ok"], true);

    let c = json(&canvass(&[
        "log",
        "prove-consistency",
        &url,
        "--old",
        "1000",
        "--json",
    ]));
    assert_eq!(c["old_root"], reference.root_at(1000).to_base64());

    let a = json(&canvass(&["log", "audit", &url, "--vkey", &vkey, "--json"]));
    assert_eq!(a["ok"], true, "{a}");

    // Damage one level-0 tile on disk (same length) and serve the directory afresh (the first
    // server keeps tiles it has already served in memory): the audit over HTTP names the tile.
    let tile = dir.join("tile/0/100");
    let mut bytes = std::fs::read(&tile).expect("tile");
    bytes[5] ^= 1;
    std::fs::write(&tile, bytes).expect("damage");
    let damaged = format!("http://{}/log", serve(dir.clone()));
    let out = canvass(&["log", "audit", &damaged, "--vkey", &vkey, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(a["ok"], false);
    let detail = a["detail"].as_str().expect("detail");
    assert!(detail.contains("/log/tile/0/100"), "{detail}");

    // A URL that is not a log prefix: a clear error, exit 1.
    let out = canvass(&["log", "checkpoint", &format!("{url}/nothing")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/log/nothing/") && err.contains("400"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
