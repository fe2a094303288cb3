//! Tile serving throughput on loopback: a log of 102,400 entries is written to a temporary
//! directory and served by `logroutes` (axum, 2 worker threads); `CONNECTIONS` client threads
//! each hold one keep-alive HTTP/1.1 connection and fetch level-0 hash tiles (8 KiB) and
//! entry bundles in turn, checking every status and body length. With `DEPTH` > 1 each
//! connection pipelines (HTTP/1.1) `DEPTH` requests per write, as a tile client fetching many
//! tiles at once can; with 1 it waits for each response before the next request.
//!
//! Run: `cargo run --release -p canvass-server --example tile_serve_bench -- [CONNECTIONS] [SECONDS] [DEPTH]`
//! (defaults 32 connections, 10 s, depth 1). Client and server share the machine's cores; the process's
//! CPU seconds and the load average are printed with the rate.
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use canvass_log::LogSigner;
use canvass_store::tlog::Log;

fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    (f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)) as f64 / 100.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn client(addr: SocketAddr, id: u64, depth: u64, stop: &AtomicBool, count: &AtomicU64) {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut w = stream.try_clone().expect("clone");
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    let mut body = Vec::new();
    let mut k = id * 7919;
    let mut done = 0u64;
    let mut req = String::new();
    while !stop.load(Ordering::Relaxed) {
        req.clear();
        for _ in 0..depth {
            k = (k + 104_729) % 400;
            if k % 2 == 0 {
                req.push_str(&format!(
                    "GET /log/tile/0/{k:03} HTTP/1.1\r\nHost: bench\r\n\r\n"
                ));
            } else {
                req.push_str(&format!(
                    "GET /log/tile/entries/{k:03} HTTP/1.1\r\nHost: bench\r\n\r\n"
                ));
            }
        }
        w.write_all(req.as_bytes()).expect("send");
        for _ in 0..depth {
            let path = "(pipelined request)";
            let mut len = 0usize;
            line.clear();
            r.read_line(&mut line).expect("status line");
            assert!(line.starts_with("HTTP/1.1 200"), "{path}: {line}");
            loop {
                line.clear();
                r.read_line(&mut line).expect("header");
                if line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().expect("length");
                }
            }
            body.resize(len, 0);
            r.read_exact(&mut body).expect("body");
            assert!(len > 0);
            done += 1;
        }
    }
    count.fetch_add(done, Ordering::Relaxed);
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("number"));
    let connections = args.next().unwrap_or(32);
    let seconds = args.next().unwrap_or(10);
    let depth = args.next().unwrap_or(1).max(1);
    let dir = tempfile::tempdir().expect("tmp");
    {
        let signer = LogSigner::from_seed("bench.example/tiles", [4; 32]).expect("key");
        let log = Log::open(dir.path(), signer).expect("open");
        for c in 0..100u32 {
            let batch: Vec<Vec<u8>> = (0..1024u32)
                .map(|i| format!("bench entry {c} {i} {:>60}", "").into_bytes())
                .collect();
            log.append(&batch).expect("append");
        }
        log.checkpoint().expect("checkpoint");
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let path = dir.path().to_path_buf();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(l.local_addr().expect("addr")).expect("addr");
            canvass_server::logroutes::serve(l, path)
                .await
                .expect("serve");
        });
    });
    let addr = rx.recv().expect("server");
    let stop = AtomicBool::new(false);
    let count = AtomicU64::new(0);
    let load_before = loadavg();
    let (c0, t0) = (cpu_seconds(), Instant::now());
    std::thread::scope(|s| {
        for id in 0..connections {
            let (stop, count) = (&stop, &count);
            s.spawn(move || client(addr, id, depth, stop, count));
        }
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
    });
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - c0;
    let n = count.load(Ordering::Relaxed);
    println!(
        "{connections} keep-alive connections, depth {depth}, {wall:.1} s: {n} requests, {:.0} requests/s; \
         {cpu:.1} CPU-s for server and client together ({:.0} requests per CPU-second); \
         load average {load_before} -> {}",
        n as f64 / wall,
        n as f64 / cpu.max(0.01),
        loadavg()
    );
}
