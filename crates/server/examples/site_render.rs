//! Website performance with a national election loaded: first render in a real browser
//! (Debian's `chromium`, measured by the page itself with the Performance API) and the
//! size of the data the overview needs, compressed.
//!
//! ```text
//! cargo run -p canvass-server --example site_render [-- SCALE_PERMILLE [RUNS]]
//! ```
//!
//! Simulates the `us-2020` election at SCALE_PERMILLE (default 1000: the real size, about
//! 175,000 precincts), submits every jurisdiction's results to a real `App` (in documents
//! under the log's 64 KiB entry limit), serves the API and the site on loopback, then loads
//! the page RUNS times (default 5) in fresh headless browser tabs and prints, per run, the
//! time from navigation start to the `canvass-first-render` mark (the overview drawn from
//! `/api/results`), and the transfer sizes of `/api/results` and `/api/overview`.

#[path = "../tests/browser/cdp.rs"]
#[allow(dead_code)]
mod cdp;

use std::sync::Arc;
use std::time::{Duration, Instant};

use canvass_server::io::{self, KeySource};
use canvass_server::{App, Payload, Submission};

fn main() {
    let mut args = std::env::args().skip(1);
    let scale: u32 = args
        .next()
        .map_or(1000, |s| s.parse().expect("SCALE_PERMILLE"));
    let runs: usize = args.next().map_or(5, |s| s.parse().expect("RUNS"));
    let chromium = cdp::find_chromium().expect("chromium (apt-get install chromium)");

    let t = Instant::now();
    let e = canvass_model::builtin("us-2020").unwrap().unwrap();
    let sim = canvass_sim::simulate(
        &e,
        &canvass_sim::SimOptions {
            seed: 2020,
            scale_permille: scale,
            ballots_per_precinct: 900,
        },
    )
    .unwrap();
    eprintln!(
        "simulated {} precincts in {:.1?}",
        sim.election.precincts.len(),
        t.elapsed()
    );
    let dir = tempfile::tempdir_in(std::env::var_os("TMPDIR").unwrap_or_else(|| "/var/tmp".into()))
        .unwrap();
    let data = dir.path();
    io::init_keys(data, &sim.election, KeySource::Seeded(2020)).unwrap();
    let app = Arc::new(App::open(data, sim.election.clone()).unwrap());
    let t = Instant::now();
    // Every jurisdiction's documents (each under the 64 KiB entry limit), sent from 16
    // threads so the sequencer batches them as on a busy night.
    let mut queue = Vec::new();
    for j in &sim.jurisdictions {
        let key =
            io::read_secret_key(&io::jurisdiction_key_path(data, j.jurisdiction.as_str())).unwrap();
        let mut seq = 0;
        let mut rest: &[canvass_model::PrecinctResult] = &j.results;
        let mut mine = Vec::new();
        while !rest.is_empty() {
            let mut n = rest.len();
            loop {
                let doc = Submission {
                    election: sim.election.election.id.clone(),
                    jurisdiction: j.jurisdiction.clone(),
                    sequence: seq + 1,
                    timestamp: 1_604_448_000 + seq,
                    amendment: None,
                    payload: Payload::PrecinctResults {
                        results: rest[..n].to_vec(),
                    },
                }
                .sign(&key);
                if doc.len() < 60_000 || n == 1 {
                    mine.push(doc);
                    seq += 1;
                    rest = &rest[n..];
                    break;
                }
                n = n.div_ceil(2);
            }
        }
        queue.push(mine);
    }
    let docs: usize = queue.iter().map(Vec::len).sum();
    let queue = std::sync::Mutex::new(queue);
    std::thread::scope(|s| {
        for _ in 0..16 {
            s.spawn(|| {
                loop {
                    // One jurisdiction at a time per thread: its sequence numbers stay in order.
                    let Some(mine) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    for doc in mine {
                        app.submit(doc.as_bytes(), None).unwrap();
                    }
                }
            });
        }
    });
    eprintln!("submitted {docs} documents in {:.1?}", t.elapsed());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let served = app.clone();
    rt.spawn(async move {
        canvass_server::http::serve(listener, served, 1 << 20)
            .await
            .unwrap();
    });
    let base = format!("http://{addr}");
    // Warm the server's per-snapshot caches (results index, overview) once.
    for p in ["/api/results", "/api/overview", "/api/geo"] {
        ureq::get(&format!("{base}{p}"))
            .call()
            .unwrap()
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .unwrap();
    }

    println!(
        "run,first_render_ms,results_transfer_bytes,results_body_bytes,overview_transfer_bytes,overview_body_bytes"
    );
    let mut renders = Vec::new();
    for run in 0..runs {
        let mut b = cdp::Browser::launch(&chromium, 1280, 1000);
        b.goto(&format!("{base}/"));
        b.wait_for(
            "performance.getEntriesByName('canvass-first-render').length > 0",
            Duration::from_secs(60),
        );
        // The page fetches /api/results; fetch the overview too to record its size.
        b.eval("fetch('api/overview').then(r => r.text()).then(() => true)");
        let v = b.eval(
            "(() => { const r = performance.getEntriesByType('resource'); const f = (p) => r.filter(e => new URL(e.name).pathname === p).pop() || {}; const res = f('/api/results'), ov = f('/api/overview'); return [performance.getEntriesByName('canvass-first-render')[0].startTime, res.transferSize, res.decodedBodySize, ov.transferSize, ov.decodedBodySize]; })()",
        );
        let a = v.as_array().unwrap();
        let ms = a[0].as_f64().unwrap();
        renders.push(ms);
        println!("{run},{ms:.0},{},{},{},{}", a[1], a[2], a[3], a[4]);
    }
    renders.sort_by(f64::total_cmp);
    println!(
        "first render: median {:.0} ms, max {:.0} ms over {runs} runs",
        renders[renders.len() / 2],
        renders[renders.len() - 1]
    );
}
