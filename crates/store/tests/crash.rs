//! Crash safety: a writer process (this test binary re-executed with an environment variable)
//! appends from several threads and publishes checkpoints, and is killed with SIGKILL at an
//! arbitrary moment, many times over the same directory. After each kill the log must reopen,
//! hold every acknowledged entry unchanged, and stay consistent with every checkpoint it ever
//! published (no fork).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use canvass_log::{Hash, LogSigner, verify_consistency};
use canvass_store::tlog::{Log, audit};

const CHILD_ENV: &str = "CANVASS_TLOG_CRASH_CHILD_DIR";

fn signer() -> LogSigner {
    LogSigner::from_seed("canvass.example/crash-test", [5; 32]).expect("key")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The writer. Does nothing unless started by the crash test with `CHILD_ENV` set.
#[test]
fn crash_writer_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let log = Log::open(&dir, signer()).expect("child open");
    let out = Mutex::new(std::io::stdout());
    let start = log.size();
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let (log, out) = (&log, &out);
            s.spawn(move || {
                for k in 0.. {
                    let n = 1 + (k % 5) as usize;
                    let batch: Vec<Vec<u8>> = (0..n)
                        .map(|j| format!("s{start}-t{t}-k{k}-j{j}").into_bytes())
                        .collect();
                    let r = log.append(&batch).expect("append");
                    // Acknowledged: report only now.
                    let mut line = String::new();
                    for (i, e) in r.zip(&batch) {
                        line.push_str(&format!("ack {i} {}\n", hex(e)));
                    }
                    let mut o = out.lock().expect("stdout");
                    o.write_all(line.as_bytes()).expect("write");
                    o.flush().expect("flush");
                }
            });
        }
        s.spawn(|| {
            loop {
                std::thread::sleep(Duration::from_millis(3));
                let cp = log.checkpoint().expect("checkpoint");
                let mut o = out.lock().expect("stdout");
                let _ = writeln!(o, "cp {} {}", cp.checkpoint.size, cp.checkpoint.root);
                o.flush().expect("flush");
            }
        });
    });
}

#[test]
fn kill_9_mid_batch_never_loses_acknowledged_entries_or_forks() {
    let dir = tempfile::tempdir().expect("tmp");
    let exe = std::env::current_exe().expect("test binary");
    let mut acked: BTreeMap<u64, String> = BTreeMap::new();
    let mut checkpoints: BTreeMap<u64, Hash> = BTreeMap::new();
    let (mut torn_rounds, mut replayed) = (0, 0);
    let rounds = 20u64;
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_writer_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn writer");
        let stdout = child.stdout.take().expect("pipe");
        let (first, started) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let (mut lines, mut first) = (Vec::new(), Some(first));
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("ack ") {
                    if let Some(tx) = first.take() {
                        let _ = tx.send(());
                    }
                }
                lines.push(line);
            }
            lines
        });
        // Kill at a varying moment: 10 to 50 ms after the writer's first acknowledgement
        // (not after spawning, which on a loaded machine can take longer than that).
        let _ = started.recv_timeout(Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(10 + (round * 37) % 41));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        for line in reader.join().expect("reader") {
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                ["ack", i, e] => {
                    let i: u64 = i.parse().expect("index");
                    if let Some(prev) = acked.insert(i, (*e).to_owned()) {
                        assert_eq!(
                            &prev, e,
                            "index {i} acknowledged twice with different entries: fork"
                        );
                    }
                }
                ["cp", size, root] => {
                    let root = Hash::from_base64(root).expect("root");
                    if let Some(prev) = checkpoints.insert(size.parse().expect("size"), root) {
                        assert_eq!(
                            prev, root,
                            "two checkpoints of size {size} with different roots: fork"
                        );
                    }
                }
                _ => {}
            }
        }

        let log = Log::open(dir.path(), signer()).expect("recovery after kill -9");
        if log.recovery().torn_bytes > 0 {
            torn_rounds += 1;
        }
        replayed += log.recovery().replayed;
        let size = log.size();
        for (i, e) in &acked {
            assert!(
                *i < size,
                "round {round}: acknowledged entry {i} lost (size {size})"
            );
            assert_eq!(
                &hex(&log.entry(*i).expect("entry")),
                e,
                "round {round}: entry {i} changed"
            );
        }
        // Every checkpoint ever published is a prefix of the recovered tree.
        let root = log.root_at(size).expect("root");
        for (&s, r) in &checkpoints {
            assert_eq!(
                &log.root_at(s).expect("root"),
                r,
                "round {round}: checkpoint {s} forked"
            );
            if s > 0 && s < size {
                let p = log.consistency_proof(s, size).expect("proof");
                verify_consistency(s, size, &p, r, &root).expect("consistent");
            }
        }
    }
    assert!(
        acked.len() > 100,
        "the writer should have acknowledged many entries, got {}",
        acked.len()
    );
    assert!(
        checkpoints.len() > 5,
        "the writer should have published checkpoints, got {}",
        checkpoints.len()
    );
    // A final checkpoint and a full audit from the files.
    let log = Log::open(dir.path(), signer()).expect("open");
    log.checkpoint().expect("checkpoint");
    drop(log);
    let report = audit(dir.path(), None).expect("audit after crashes");
    eprintln!(
        "{rounds} kills: {} acknowledged entries, {} checkpoints, final size {}, {torn_rounds} rounds with a torn tail, {replayed} entries replayed",
        acked.len(),
        checkpoints.len(),
        report.entries
    );
}
