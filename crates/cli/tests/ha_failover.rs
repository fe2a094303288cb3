//! High availability (issue 10): three `canvass serve --database postgres://… --shared-log`
//! processes on one private PostgreSQL server, each with its own copy of the data directory,
//! under continuous submission load sent to all of them. The instance appending to the log
//! (the one whose PostgreSQL session holds an open write transaction) is killed with kill -9
//! several times and restarted. Then:
//! - every acknowledged submission is in the log (PostgreSQL's and each instance's tiles)
//!   exactly once, at the index it was acknowledged with, and nothing else is;
//! - every checkpoint any instance served during the run is signed by the log key and
//!   consistent with every earlier one (consistency proofs from the final tree verify) and
//!   with the final log;
//! - `canvass verify URL` passes against a surviving instance;
//! - failover (kill to the next committed append by another instance) is measured, printed,
//!   and under 5 s.

mod backends;
mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backends::pg::PgServer;
use backends::{get, init, s};
use common::{Server, canvass, serve, tmpdir};

/// Pennsylvania's counties (FIPS 42001, 42003, … 42133).
fn pa_counties() -> Vec<String> {
    (1..=133).step_by(2).map(|c| format!("42{c:03}")).collect()
}

/// A signed submission of county `fips`'s presidential results as sequence `seq`.
fn signed(data: &Path, fips: &str, seq: u64) -> String {
    let key =
        canvass_server::io::read_secret_key(&canvass_server::io::jurisdiction_key_path(data, fips))
            .unwrap();
    let ballots = 1000 + seq;
    let sub: canvass_server::Submission = serde_json::from_value(serde_json::json!({
        "election": "us-2020",
        "jurisdiction": fips,
        "sequence": seq,
        "timestamp": 1_604_448_000u64,
        "payload": {"type": "precinct-results", "results": [{"precinct": fips, "contests": [{
            "contest": "president-PA", "ballots": ballots, "overvotes": 0, "undervotes": 0,
            "votes": [{"selection": "biden-harris", "votes": seq},
                      {"selection": "trump-pence", "votes": 2 * seq}]}]}]}
    }))
    .unwrap();
    sub.sign(&key)
}

struct Cluster {
    db: String,
    dirs: Vec<PathBuf>,
    servers: Mutex<Vec<Option<(Server, String)>>>,
}

impl Cluster {
    fn start(&self, i: usize) {
        let srv = serve(s(&self.dirs[i]), &["--database", &self.db, "--shared-log"]);
        self.servers.lock().unwrap()[i] = Some(srv);
    }
    fn urls(&self) -> Vec<String> {
        let g = self.servers.lock().unwrap();
        g.iter().flatten().map(|(_, u)| u.clone()).collect()
    }
    fn pid(&self, i: usize) -> Option<u32> {
        self.servers.lock().unwrap()[i]
            .as_ref()
            .map(|(s, _)| s.0.id())
    }
    /// kill -9 of instance `i`; returns once the process is gone.
    fn kill(&self, i: usize) {
        let mut g = self.servers.lock().unwrap();
        if let Some((mut srv, _)) = g[i].take() {
            srv.0.kill().unwrap(); // SIGKILL
            srv.0.wait().unwrap();
        }
    }
}

/// POSTs `doc` to one live instance after another until one answers 2xx; returns the log index.
fn submit_until_acked(cluster: &Cluster, doc: &str, turn: &mut usize) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "no instance accepted {doc}");
        let urls = cluster.urls();
        if urls.is_empty() {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        *turn += 1;
        let url = &urls[*turn % urls.len()];
        let r = ureq::post(&format!("{url}/api/submissions"))
            .config()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .send(doc.as_bytes());
        match r {
            Ok(mut resp) if resp.status().is_success() => {
                let v: serde_json::Value =
                    serde_json::from_slice(&resp.body_mut().read_to_vec().unwrap()).unwrap();
                let st = v["status"].as_str().unwrap();
                assert!(st == "accepted" || st == "already-accepted", "{v}");
                return v["log_index"].as_u64().unwrap();
            }
            Ok(resp) if resp.status().as_u16() == 422 || resp.status().as_u16() == 400 => {
                panic!("rejected: {:?}", resp.into_body().read_to_string());
            }
            // 5xx or a dropped connection (the instance was killed): try another one.
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// The OS process id of the instance holding the shared log's write transaction, if any.
fn appender_pid(pg: &mut postgres::Client) -> Option<u32> {
    let rows = pg
        .query(
            "SELECT application_name FROM pg_stat_activity
             WHERE application_name LIKE 'canvass-log-%' AND backend_xid IS NOT NULL
               AND wait_event_type IS DISTINCT FROM 'Lock'",
            &[],
        )
        .ok()?;
    rows.first().and_then(|r| {
        r.get::<_, String>(0)
            .strip_prefix("canvass-log-")?
            .parse()
            .ok()
    })
}

fn appends(pg: &mut postgres::Client) -> i64 {
    pg.query_one("SELECT appends FROM log_head", &[])
        .unwrap()
        .get(0)
}

#[test]
fn kill_the_appender_repeatedly_and_lose_nothing() {
    let pgs = PgServer::start();
    let t = tmpdir("ha");
    let first = t.join("i0");
    init(&first, 7);
    let dirs: Vec<PathBuf> = (0..3).map(|i| t.join(format!("i{i}"))).collect();
    for d in &dirs[1..] {
        let st = std::process::Command::new("cp")
            .args(["-a", s(&first), s(d)])
            .status()
            .unwrap();
        assert!(st.success());
    }
    let cluster = Arc::new(Cluster {
        db: pgs.fresh_database(),
        dirs: dirs.clone(),
        servers: Mutex::new(vec![None, None, None]),
    });
    for i in 0..3 {
        cluster.start(i);
    }

    let stop = Arc::new(AtomicBool::new(false));
    // Checkpoints served by any instance during the run, by note text.
    let seen: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let watcher = {
        let (cluster, stop, seen) = (cluster.clone(), stop.clone(), seen.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                for url in cluster.urls() {
                    if let Ok(mut r) = ureq::get(&format!("{url}/log/checkpoint")).call() {
                        if let Ok(b) = r.body_mut().read_to_string() {
                            seen.lock().unwrap().insert(b);
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    // Four clients, each with its own counties, send sequence 1, 2, 3, … in order.
    let counties = pa_counties();
    let acked: Arc<Mutex<Vec<(String, u64)>>> = Arc::default();
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let mine: Vec<String> = counties.iter().skip(c).step_by(4).cloned().collect();
            let (cluster, stop, acked, data) =
                (cluster.clone(), stop.clone(), acked.clone(), first.clone());
            std::thread::spawn(move || {
                let mut turn = c;
                let mut seq = 0;
                while !stop.load(Ordering::Relaxed) {
                    seq += 1;
                    for fips in &mine {
                        let doc = signed(&data, fips, seq);
                        let at = submit_until_acked(&cluster, &doc, &mut turn);
                        acked.lock().unwrap().push((doc, at));
                    }
                }
            })
        })
        .collect();

    let mut pg = postgres::Client::connect(&cluster.db, postgres::NoTls).unwrap();
    let mut failovers = Vec::new();
    for round in 0..3 {
        std::thread::sleep(Duration::from_secs(2));
        let before = acked.lock().unwrap().len();
        // The instance inside an append transaction (retry until one is caught in it).
        let t0 = Instant::now();
        let victim = loop {
            let pids: Vec<Option<u32>> = (0..3).map(|i| cluster.pid(i)).collect();
            if let Some(p) = appender_pid(&mut pg) {
                if let Some(i) = pids.iter().position(|&q| q == Some(p)) {
                    break i;
                }
            }
            if t0.elapsed() > Duration::from_secs(5) {
                break round % 3;
            }
        };
        cluster.kill(victim);
        let killed = Instant::now();
        let a0 = appends(&mut pg);
        while appends(&mut pg) == a0 {
            assert!(
                killed.elapsed() < Duration::from_secs(30),
                "no append after the kill"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        let failover = killed.elapsed();
        eprintln!(
            "round {round}: killed instance {victim} (acked so far {before}); next append by another instance after {failover:?}"
        );
        failovers.push(failover);
        cluster.start(victim);
    }
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Relaxed);
    let load_end = Instant::now();
    for c in clients {
        c.join().unwrap();
    }
    watcher.join().unwrap();

    // The source of truth: the shared log's entries in PostgreSQL.
    let entries: Vec<Vec<u8>> = pg
        .query("SELECT entry FROM log_entries ORDER BY idx", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 100, "only {} acknowledged", acked.len());
    // Every acknowledged submission exactly once, where it was acknowledged; no other
    // submission in the log.
    let mut count: HashMap<&[u8], Vec<u64>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if e.starts_with(b"canvass-submission/v1\n") {
            count.entry(e.as_slice()).or_default().push(i as u64);
        }
    }
    for (doc, at) in &acked {
        assert_eq!(
            count.get(doc.as_bytes()),
            Some(&vec![*at]),
            "acknowledged at {at}"
        );
    }
    assert_eq!(count.len(), acked.len(), "submissions nobody acknowledged");

    // Every checkpoint served is signed and a prefix of the final log, and each is
    // consistent with every earlier (smaller) one.
    let key =
        canvass_server::io::read_secret_key(&canvass_server::io::log_key_path(&first)).unwrap();
    let verifier = canvass_log::LogSigner::from_seed(key.name(), key.seed())
        .unwrap()
        .verifier();
    let tree = canvass_log::MemoryTree::from_entries(&entries);
    let mut by_size: BTreeMap<u64, canvass_log::Hash> = BTreeMap::new();
    for note in seen.lock().unwrap().iter() {
        let cp = verifier.open_checkpoint(note.as_bytes()).unwrap();
        assert!(cp.size <= tree.size());
        assert_eq!(
            cp.root,
            tree.root_at(cp.size),
            "checkpoint of size {}",
            cp.size
        );
        if let Some(r) = by_size.insert(cp.size, cp.root) {
            assert_eq!(r, cp.root, "two roots for size {}", cp.size);
        }
    }
    let cps: Vec<(u64, canvass_log::Hash)> = by_size.into_iter().collect();
    assert!(cps.len() > 10, "only {} checkpoints seen", cps.len());
    for w in cps.windows(2) {
        let ((a, ra), (b, rb)) = (w[0], w[1]);
        if a == 0 {
            continue;
        }
        let proof = tree.consistency_proof(a, b).unwrap();
        canvass_log::verify_consistency(a, b, &proof, &ra, &rb).unwrap();
    }

    // Each instance's tiles reach the whole log, and canvass verify passes on one of them.
    let urls = cluster.urls();
    assert_eq!(urls.len(), 3);
    let size = entries.len() as u64;
    for url in &urls {
        let (got, _) = backends::checkpoint_size(url, size);
        assert_eq!(
            got, size,
            "{url} serves a checkpoint of {got} of {size} entries"
        );
    }
    eprintln!(
        "instances caught up {:?} after the load",
        load_end.elapsed()
    );
    let v = canvass(&["verify", &urls[0], "--json"]);
    assert!(
        v.status.success(),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    eprintln!(
        "canvass verify done {:?} after the load",
        load_end.elapsed()
    );
    let r: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(r["ok"], true);
    assert_eq!(r["counts"]["submissions"], acked.len() as u64, "{r}");
    // Every instance publishes the same results (the snapshot of the whole log).
    let results = get(&urls[0], "/api/results");
    for url in &urls[1..] {
        let deadline = Instant::now() + Duration::from_secs(10);
        while get(url, "/api/results") != results && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(get(url, "/api/results"), results, "{url}");
    }
    let worst = failovers.iter().max().unwrap();
    eprintln!(
        "failover (kill -9 to the next append by another instance): {failovers:?}, worst {worst:?}; {} submissions acknowledged, log size {size}, {} checkpoints seen",
        acked.len(),
        cps.len()
    );
    assert!(*worst < Duration::from_secs(5), "failover took {worst:?}");
    drop(cluster);
    let _ = std::fs::remove_dir_all(&t);
}
