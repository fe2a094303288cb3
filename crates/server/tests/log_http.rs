//! C2SP tlog-tiles over real HTTP: a durable log is served from its directory on 127.0.0.1, and
//! a client that trusts only the verifier key fetches the checkpoint, tiles and entry bundles,
//! recomputes the root and an inclusion proof with `canvass-log`, and checks the headers the
//! spec asks for. Malformed paths are 400, missing or not-yet-published tiles 404.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};

use canvass_log::merkle::root_of_hashes;
use canvass_log::tile::{Tile, TileKind, decode_bundle, decode_hash_tile, node_location};
use canvass_log::{
    Hash, LogSigner, LogVerifier, NodeSource, NodeUnavailable, inclusion_proof, leaf_hash,
    tree_root, verify_inclusion,
};
use canvass_store::tlog::Log;

struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

fn get(addr: SocketAddr, path: &str) -> Reply {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let status = head[9..12].parse().expect("status");
    Reply {
        status,
        head,
        body: raw[split + 4..].to_vec(),
    }
}

fn entry(i: u64) -> Vec<u8> {
    format!("http entry {i}").into_bytes()
}

fn start_server(dir: std::path::PathBuf) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
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
            tx.send(l.local_addr().expect("addr")).expect("send addr");
            canvass_server::logroutes::serve(l, dir)
                .await
                .expect("serve");
        });
    });
    rx.recv().expect("server address")
}

/// Nodes from tiles fetched over HTTP for a tree of `size`.
struct HttpTiles {
    addr: SocketAddr,
    size: u64,
    cache: RefCell<HashMap<(u8, u64), Vec<Hash>>>,
}

impl NodeSource for HttpTiles {
    fn node(&self, level: u8, index: u64) -> Result<Hash, NodeUnavailable> {
        let loc = node_location(level, index);
        let full = Tile::full_tile_count(loc.tile_level, self.size);
        let width = if loc.tile_index < full {
            256
        } else {
            ((self.size >> (8 * u32::from(loc.tile_level))) % 256) as u16
        };
        let key = (loc.tile_level, loc.tile_index);
        let mut cache = self.cache.borrow_mut();
        let hashes = cache.entry(key).or_insert_with(|| {
            let t = Tile {
                kind: TileKind::Hash(loc.tile_level),
                index: loc.tile_index,
                width,
            };
            let r = get(self.addr, &format!("/log/{}", t.path()));
            assert_eq!(r.status, 200, "{}", t.path());
            assert!(r.head.contains("content-type: application/octet-stream"));
            assert!(
                r.head
                    .contains("cache-control: public, max-age=31536000, immutable")
            );
            decode_hash_tile(&r.body).expect("tile length")
        });
        hashes
            .get(loc.start..loc.start + loc.count)
            .map(root_of_hashes)
            .ok_or(NodeUnavailable {
                level,
                index,
                reason: "beyond tile".into(),
            })
    }
}

#[test]
fn tiles_served_over_http_verify_against_the_signed_checkpoint() {
    let dir = tempfile::tempdir().expect("tmp");
    let signer = LogSigner::from_seed("canvass.example/http-tiles", [8; 32]).expect("key");
    let n = 70_000u64; // the tlog-tiles example size: partial tiles at levels 0, 1 and 2
    {
        let log = Log::open(dir.path(), signer).expect("open");
        for start in (0..n).step_by(5000) {
            let batch: Vec<Vec<u8>> = (start..(start + 5000).min(n)).map(entry).collect();
            log.append(&batch).expect("append");
        }
        log.checkpoint().expect("checkpoint");
        // Appended after the checkpoint: on disk but not yet published.
        let more: Vec<Vec<u8>> = (n..n + 300).map(entry).collect();
        log.append(&more).expect("append");
    }
    let addr = start_server(dir.path().to_path_buf());

    let vkey = get(addr, "/log/vkey");
    assert_eq!(vkey.status, 200);
    let verifier =
        LogVerifier::from_vkey(String::from_utf8_lossy(&vkey.body).trim()).expect("vkey");
    let cp = get(addr, "/log/checkpoint");
    assert_eq!(cp.status, 200);
    assert!(cp.head.contains("content-type: text/plain; charset=utf-8"));
    assert!(cp.head.contains("cache-control: no-store"));
    let checkpoint = verifier.open_checkpoint(&cp.body).expect("signature");
    assert_eq!(checkpoint.size, n);

    // The root recomputed from the served tiles is the signed one.
    let tiles = HttpTiles {
        addr,
        size: n,
        cache: RefCell::new(HashMap::new()),
    };
    assert_eq!(tree_root(&tiles, n).expect("root"), checkpoint.root);
    // An inclusion proof built from served tiles verifies for the served entry.
    let bundle = get(addr, "/log/tile/entries/048");
    assert_eq!(bundle.status, 200);
    let entries = decode_bundle(&bundle.body).expect("bundle");
    assert_eq!(entries.len(), 256);
    let index = 48 * 256 + 57;
    assert_eq!(entries[57], entry(index).as_slice());
    let proof = inclusion_proof(&tiles, index, n).expect("proof");
    verify_inclusion(index, n, &leaf_hash(entries[57]), &proof, &checkpoint.root)
        .expect("inclusion");
    // The partial bundle of the checkpoint (70,000 = 273 * 256 + 112).
    let partial = get(addr, "/log/tile/entries/273.p/112");
    assert_eq!(partial.status, 200);
    assert_eq!(decode_bundle(&partial.body).expect("bundle").len(), 112);

    for (path, status) in [
        ("/log/tile/0/000", 200),
        ("/log/tile/2/000.p/1", 200),
        ("/log/tile/1/001.p/17", 200),
        ("/log/tile/1/000", 200),
        // Well-formed but absent, or beyond the published checkpoint.
        ("/log/tile/0/274", 404),
        ("/log/tile/0/273", 404),
        ("/log/tile/0/273.p/200", 404),
        ("/log/tile/entries/x001/000", 404),
        // Malformed.
        ("/log/tile/0/1", 400),
        ("/log/tile/0/x000/001", 400),
        ("/log/tile/00/000", 400),
        ("/log/tile/64/000", 400),
        ("/log/tile/0/000.p/0", 400),
        ("/log/tile/0/000.p/256", 400),
        ("/log/tile/0/000.p/01", 400),
        ("/log/tile/0/x1/000", 400),
        ("/log/tile/blobs/000", 400),
        ("/log/tile/0/000/", 400),
        ("/log/checkpoints", 400),
    ] {
        assert_eq!(get(addr, path).status, status, "{path}");
    }
}
