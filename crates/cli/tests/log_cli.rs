//! `canvass log ...` end to end on a log written by `canvass-store`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use canvass_log::LogSigner;
use canvass_store::tlog::Log;

fn canvass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(args)
        .output()
        .expect("run canvass")
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("canvass-log-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

fn make_log(dir: &Path, n: u64) -> LogSigner {
    let signer = LogSigner::from_seed("canvass.example/cli-test", [3; 32]).expect("key");
    let log = Log::open(dir, signer.clone()).expect("open");
    let entries: Vec<Vec<u8>> = (0..n)
        .map(|i| format!("submission {i}").into_bytes())
        .collect();
    log.append(&entries).expect("append");
    log.checkpoint().expect("checkpoint");
    signer
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn checkpoint_prove_verify_audit() {
    let tmp = tmpdir("ok");
    let dir = tmp.join("log");
    let signer = make_log(&dir, 600);
    let vkey = signer.verifier().to_vkey();

    let out = canvass(&["log", "checkpoint", s(&dir), "--vkey", &vkey, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(j["size"], 600);
    assert_eq!(j["origin"], "canvass.example/cli-test");

    let out = canvass(&[
        "log",
        "prove-inclusion",
        s(&dir),
        "--index",
        "300",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let proof = tmp.join("proof.json");
    std::fs::write(&proof, &out.stdout).expect("write");
    let entry = tmp.join("entry");
    std::fs::write(&entry, b"submission 300").expect("write");
    let cp = dir.join("checkpoint");
    let out = canvass(&[
        "log",
        "verify-inclusion",
        s(&proof),
        "--entry",
        s(&entry),
        "--checkpoint",
        s(&cp),
        "--vkey",
        &vkey,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The wrong entry fails with exit code 1.
    std::fs::write(&entry, b"submission 301").expect("write");
    let out = canvass(&[
        "log",
        "verify-inclusion",
        s(&proof),
        "--entry",
        s(&entry),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));

    let out = canvass(&[
        "log",
        "prove-consistency",
        s(&dir),
        "--old",
        "100",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cons = tmp.join("cons.json");
    std::fs::write(&cons, &out.stdout).expect("write");
    let out = canvass(&[
        "log",
        "verify-consistency",
        s(&cons),
        "--new-checkpoint",
        s(&cp),
        "--vkey",
        &vkey,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Tampered proof: exit 1.
    let mut j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cons).expect("read")).expect("json");
    j["old_size"] = 101.into();
    std::fs::write(&cons, serde_json::to_vec(&j).expect("json")).expect("write");
    assert_eq!(
        canvass(&["log", "verify-consistency", s(&cons)])
            .status
            .code(),
        Some(1)
    );

    let out = canvass(&["log", "audit", s(&dir), "--vkey", &vkey, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Damage a tile: audit fails with 1 and names the file.
    let t = dir.join("tile/0/000");
    let mut b = std::fs::read(&t).expect("tile");
    b[0] ^= 1;
    std::fs::write(&t, b).expect("write");
    let out = canvass(&["log", "audit", s(&dir)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tile/0/000"));
    // A different trusted key rejects the checkpoint.
    let other = LogSigner::from_seed("canvass.example/cli-test", [4; 32])
        .expect("key")
        .verifier()
        .to_vkey();
    assert_eq!(
        canvass(&["log", "checkpoint", s(&dir), "--vkey", &other])
            .status
            .code(),
        Some(1)
    );
    // Usage errors exit 2.
    assert_eq!(
        canvass(&["log", "prove-inclusion", s(&dir)]).status.code(),
        Some(2)
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
