//! `canvass witness keygen` and `canvass witness serve` over real HTTP on loopback.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use canvass_log::witness::AddCheckpoint;
use canvass_log::{CosignatureVerifier, LogSigner};
use canvass_store::tlog::Log;

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("canvass-witness-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// POSTs a body and returns (status, body).
fn post(addr: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST /add-checkpoint HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("write");
    s.write_all(body).expect("write");
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).expect("read");
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn log_with(
    dir: &Path,
    signer: &LogSigner,
    entries: impl Iterator<Item = Vec<u8>>,
    sizes: &[u64],
) -> (Log, Vec<String>) {
    let log = Log::open(dir, signer.clone()).expect("open");
    let entries: Vec<Vec<u8>> = entries.collect();
    let mut notes = Vec::new();
    let mut done = 0;
    for &s in sizes {
        log.append(&entries[done as usize..s as usize])
            .expect("append");
        done = s;
        notes.push(log.checkpoint().expect("checkpoint").note);
    }
    (log, notes)
}

#[test]
fn witness_cosigns_consistent_checkpoints_and_keeps_evidence_of_forks() {
    let tmp = tmpdir("serve");
    let key = tmp.join("w1.key");
    let out = Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(["witness", "keygen", "--name", "witness.example/w1", "--out"])
        .arg(&key)
        .output()
        .expect("keygen");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wvkey = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let wverifier = CosignatureVerifier::from_vkey(&wvkey).expect("witness vkey");

    let signer = LogSigner::from_seed("canvass.example/witnessed", [8; 32]).expect("key");
    let (log, notes) = log_with(
        &tmp.join("log"),
        &signer,
        (0..200u32).map(|i| i.to_be_bytes().to_vec()),
        &[100, 200],
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let state = tmp.join("state");
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_canvass"))
            .args([
                "witness",
                "serve",
                "--listen",
                &addr,
                "--log",
                &signer.verifier().to_vkey(),
                "--key",
            ])
            .arg(&key)
            .arg("--state")
            .arg(&state)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    );
    let start = Instant::now();
    while TcpStream::connect(&addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "witness did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let first = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        note: notes[0].clone().into_bytes(),
    };
    let (status, body) = post(&addr, &first.to_body());
    assert_eq!(status, 200, "{body}");
    let cosigned = format!("{}{body}", notes[0]);
    assert!(
        wverifier
            .cosigned_at(cosigned.as_bytes())
            .expect("verify")
            .is_some()
    );

    // Stale old size: 409 with the latest size as the body.
    let stale = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        note: notes[1].clone().into_bytes(),
    };
    assert_eq!(post(&addr, &stale.to_body()), (409, "100\n".to_owned()));

    let grow = AddCheckpoint {
        old_size: 100,
        proof: log.consistency_proof(100, 200).expect("proof"),
        note: notes[1].clone().into_bytes(),
    };
    assert_eq!(post(&addr, &grow.to_body()).0, 200);

    // A fork signed by the same log key: refused with 422 and evidence kept.
    let (forked, fnotes) = log_with(
        &tmp.join("fork"),
        &signer,
        (0..250u32).map(|i| (i + 1).to_be_bytes().to_vec()),
        &[250],
    );
    let fork = AddCheckpoint {
        old_size: 200,
        proof: forked.consistency_proof(200, 250).expect("proof"),
        note: fnotes[0].clone().into_bytes(),
    };
    assert_eq!(post(&addr, &fork.to_body()).0, 422);
    let evidence: Vec<_> = std::fs::read_dir(state.join("evidence"))
        .expect("evidence dir")
        .collect();
    assert_eq!(evidence.len(), 1);
    // Garbage: 400.
    assert_eq!(post(&addr, b"hello").0, 400);
    let _ = std::fs::remove_dir_all(&tmp);
}
