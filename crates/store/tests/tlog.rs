//! File-backed log: round trips, proofs against the in-memory reference tree, recovery,
//! corruption and error reporting.

use std::fs;
use std::path::Path;

use canvass_log::{LogSigner, MemoryTree, leaf_hash, verify_consistency, verify_inclusion};
use canvass_store::tlog::{Log, StoreError, TileReader, audit, published, read_path};

const ORIGIN: &str = "canvass.example/store-test";

fn signer() -> LogSigner {
    LogSigner::from_seed(ORIGIN, [42; 32]).expect("key")
}

fn entry(i: u64) -> Vec<u8> {
    format!("entry number {i}").into_bytes()
}

fn fill(log: &Log, from: u64, to: u64, batch: u64) {
    let mut i = from;
    while i < to {
        let end = (i + batch).min(to);
        let entries: Vec<Vec<u8>> = (i..end).map(entry).collect();
        assert_eq!(log.append(&entries).expect("append"), i..end);
        i = end;
    }
}

#[test]
fn append_checkpoint_prove_reopen_audit() {
    let dir = tempfile::tempdir().expect("tmp");
    let n = 70_000u64; // spans full level-1 tiles and a partial level-2 tile
    let reference = MemoryTree::from_entries((0..n).map(entry));
    {
        let log = Log::open(dir.path(), signer()).expect("open");
        fill(&log, 0, 1000, 97);
        let cp1 = log.checkpoint().expect("checkpoint");
        assert_eq!(cp1.checkpoint.size, 1000);
        assert_eq!(cp1.checkpoint.root, reference.root_at(1000));
        fill(&log, 1000, n, 1000);
        let cp = log.checkpoint().expect("checkpoint");
        assert_eq!(cp.checkpoint.root, reference.root());
        // Proofs from the log verify against the reference roots.
        for &(i, size) in &[(0u64, n), (65_535, n), (69_999, n), (5, 1000), (999, 1000)] {
            let p = log.inclusion_proof(i, size).expect("proof");
            verify_inclusion(i, size, &leaf_hash(&entry(i)), &p, &reference.root_at(size))
                .expect("verifies");
        }
        let c = log.consistency_proof(1000, n).expect("consistency");
        verify_consistency(1000, n, &c, &reference.root_at(1000), &reference.root())
            .expect("consistent");
        assert_eq!(log.entry(65_537).expect("entry"), entry(65_537));
        assert_eq!(log.entry(69_999).expect("entry"), entry(69_999));
        assert!(matches!(
            log.inclusion_proof(0, n + 1),
            Err(StoreError::Proof(_))
        ));
    }
    // Published resources have tlog-tiles paths and content.
    let tile0 = read_path(dir.path(), "tile/0/000").expect("tile 0");
    assert_eq!(tile0.len(), 8192);
    assert_eq!(&tile0[32..64], leaf_hash(&entry(1)).0.as_slice());
    assert!(read_path(dir.path(), "tile/2/000.p/1").is_ok());
    assert!(read_path(dir.path(), "tile/1/001.p/17").is_ok());
    assert_eq!(
        read_path(dir.path(), "tile/1/000").map(|t| t.len()).ok(),
        Some(8192)
    );
    assert!(
        read_path(dir.path(), "tile/0/x000/273").is_err(),
        "malformed path must not be served"
    );
    assert!(read_path(dir.path(), "tile/../../etc/passwd").is_err());
    // 70,000 = 273 * 256 + 112: entry bundle 273 is partial with 112 entries.
    let bundle = read_path(dir.path(), "tile/entries/273.p/112").expect("bundle");
    assert_eq!(
        canvass_log::tile::decode_bundle(&bundle)
            .expect("decode")
            .len(),
        112
    );

    // A read-only reader proves from the files alone.
    let (_, cp, _) = published(dir.path(), None).expect("published");
    let reader = TileReader::new(dir.path(), cp.size);
    let p = canvass_log::inclusion_proof(&reader, 12_345, cp.size).expect("proof from tiles");
    verify_inclusion(12_345, cp.size, &leaf_hash(&entry(12_345)), &p, &cp.root).expect("verifies");

    let report = audit(dir.path(), None).expect("audit");
    assert_eq!(report.entries, n);

    // Reopen: same size, same root, appends continue.
    let log = Log::open(dir.path(), signer()).expect("reopen");
    assert_eq!(log.size(), n);
    assert_eq!(log.root_at(n).expect("root"), reference.root());
    fill(&log, n, n + 10, 3);
    assert_eq!(log.entry(n + 9).expect("entry"), entry(n + 9));
}

#[test]
fn concurrent_appends_get_distinct_contiguous_indices() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = Log::open(dir.path(), signer()).expect("open");
    let results: Vec<(u64, Vec<u8>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8u64)
            .map(|t| {
                let log = &log;
                s.spawn(move || {
                    let mut got = Vec::new();
                    for k in 0..50u64 {
                        let e = format!("t{t}-{k}").into_bytes();
                        let r = log.append(std::slice::from_ref(&e)).expect("append");
                        got.push((r.start, e));
                    }
                    got
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect()
    });
    let mut idx: Vec<u64> = results.iter().map(|r| r.0).collect();
    idx.sort_unstable();
    assert_eq!(idx, (0..400).collect::<Vec<_>>());
    for (i, e) in &results {
        assert_eq!(&log.entry(*i).expect("entry"), e);
    }
}

#[test]
fn pipelined_submits_from_one_thread_are_acknowledged_in_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let reference = MemoryTree::from_entries((0..3000u64).map(entry));
    {
        let log = Log::open(dir.path(), signer()).expect("open");
        // 300 calls of 10 entries in flight at once from a single thread.
        let pending: Vec<_> = (0..300u64)
            .map(|c| {
                let batch: Vec<Vec<u8>> = (c * 10..c * 10 + 10).map(entry).collect();
                log.submit(&batch).expect("submit")
            })
            .collect();
        for (c, p) in pending.into_iter().enumerate() {
            let c = c as u64;
            assert_eq!(p.wait().expect("durable"), c * 10..c * 10 + 10);
        }
        assert_eq!(log.entry(2999).expect("entry"), entry(2999));
        assert!(log.stats().batches <= 300);
        let cp = log.checkpoint().expect("checkpoint");
        assert_eq!(cp.checkpoint.root, reference.root());
    }
    // Dropping the log stops its commit threads and releases the directory lock.
    let log = Log::open(dir.path(), signer()).expect("reopen");
    assert_eq!(log.size(), 3000);
    assert_eq!(log.root_at(3000).expect("root"), reference.root());
}

fn journal_file(dir: &Path) -> std::path::PathBuf {
    let mut v: Vec<_> = fs::read_dir(dir.join("journal"))
        .expect("journal")
        .map(|e| e.expect("e").path())
        .collect();
    v.sort();
    v.pop().expect("segment")
}

#[test]
fn torn_tail_is_cut_and_mid_file_damage_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    {
        let log = Log::open(dir.path(), signer()).expect("open");
        fill(&log, 0, 300, 100);
    }
    // Simulate a torn write: half a record at the end.
    let j = journal_file(dir.path());
    let mut bytes = fs::read(&j).expect("read");
    let good_len = bytes.len();
    bytes.extend_from_slice(b"CTL1\x2c\x01\0\0\0\0\0\0\x10\0\0\0garb");
    fs::write(&j, &bytes).expect("write");
    {
        let log = Log::open(dir.path(), signer()).expect("recovers");
        assert_eq!(log.size(), 300);
        assert_eq!(log.recovery().torn_bytes, (bytes.len() - good_len) as u64);
        assert_eq!(fs::metadata(&j).expect("meta").len() as usize, good_len);
    }
    // Flip one byte inside an early record: later records are valid, so this is corruption.
    let mut bytes = fs::read(&j).expect("read");
    bytes[30] ^= 0xff;
    fs::write(&j, &bytes).expect("write");
    match Log::open(dir.path(), signer()) {
        Err(StoreError::Corrupt { detail, .. }) => {
            assert!(detail.contains("followed by valid data"), "{detail}")
        }
        other => panic!("expected corruption, got {other:?}"),
    }
}

#[test]
fn damaged_tiles_and_checkpoints_are_detected() {
    let dir = tempfile::tempdir().expect("tmp");
    {
        let log = Log::open(dir.path(), signer()).expect("open");
        fill(&log, 0, 600, 200);
        log.checkpoint().expect("checkpoint");
    }
    audit(dir.path(), None).expect("clean audit");
    // Flip a byte in a full tile: audit names it.
    let t = dir.path().join("tile/0/001");
    let mut b = fs::read(&t).expect("tile");
    b[100] ^= 1;
    fs::write(&t, &b).expect("write");
    match audit(dir.path(), None) {
        Err(StoreError::Corrupt { path, .. }) => assert!(path.ends_with("tile/0/001")),
        other => panic!("expected corrupt tile, got {other:?}"),
    }
    b[100] ^= 1;
    fs::write(&t, &b).expect("restore");

    // A checkpoint signed by another key is refused on open.
    let cp_path = dir.path().join("checkpoint");
    let good = fs::read(&cp_path).expect("cp");
    let other = LogSigner::from_seed(ORIGIN, [7; 32]).expect("key");
    let (_, cp, _) = published(dir.path(), None).expect("published");
    fs::write(&cp_path, other.sign_checkpoint(&cp).expect("sign")).expect("write");
    assert!(matches!(
        Log::open(dir.path(), signer()),
        Err(StoreError::Corrupt { .. })
    ));
    // A checkpoint for a larger tree than is on disk is refused (never serve a wrong root).
    let mut big = cp.clone();
    big.size = 10_000;
    fs::write(&cp_path, signer().sign_checkpoint(&big).expect("sign")).expect("write");
    assert!(matches!(
        Log::open(dir.path(), signer()),
        Err(StoreError::Corrupt { .. })
    ));
    fs::write(&cp_path, &good).expect("restore");
    // A different signer key for the directory is refused.
    assert!(matches!(
        Log::open(dir.path(), other),
        Err(StoreError::Corrupt { .. })
    ));
    // Only one writer.
    let log = Log::open(dir.path(), signer()).expect("open");
    assert!(matches!(
        Log::open(dir.path(), signer()),
        Err(StoreError::Locked(_))
    ));
    drop(log);
}

#[test]
fn oversized_entries_and_read_only_directories_give_clear_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = Log::open(dir.path(), signer()).expect("open");
    let err = log.append(&[vec![0u8; 70_000]]).expect_err("too large");
    assert!(err.to_string().contains("65535"), "{err}");
    drop(log);
    // Running as root bypasses permissions, so only check when they are enforced.
    let ro = dir.path().join("ro");
    fs::create_dir(&ro).expect("mkdir");
    let mut perm = fs::metadata(&ro).expect("meta").permissions();
    perm.set_readonly(true);
    fs::set_permissions(&ro, perm).expect("chmod");
    if fs::write(ro.join("probe"), b"x").is_err() {
        let err = Log::open(&ro, signer()).expect_err("read-only");
        assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
    }
}

#[test]
fn publish_requires_k_of_n_witnesses_and_matching_trees() {
    use canvass_log::{Checkpoint, Cosigner, WitnessPolicy};
    let dir = tempfile::tempdir().expect("tmp");
    let log = Log::open(dir.path(), signer()).expect("open");
    fill(&log, 0, 300, 100);
    let first = log.checkpoint().expect("checkpoint");
    fill(&log, 300, 500, 100);
    let signed = log.sign_checkpoint().expect("sign");
    assert_eq!(signed.checkpoint.size, 500);
    // Not published yet.
    assert_eq!(
        log.published_checkpoint().expect("read"),
        Some(first.note.clone())
    );

    let ws: Vec<Cosigner> = (0..3u8)
        .map(|i| Cosigner::from_seed(&format!("w{i}.example"), [20 + i; 32]).expect("key"))
        .collect();
    let policy = WitnessPolicy {
        witnesses: ws.iter().map(Cosigner::verifier).collect(),
        threshold: 2,
    };
    let text = signed.checkpoint.to_text();
    let mut note = signed.note.clone();
    note.push_str(
        &ws[0]
            .cosign(text.as_bytes(), 1_700_000_000)
            .expect("cosign"),
    );
    assert!(matches!(
        log.publish(&note, Some(&policy)),
        Err(StoreError::Witness(_))
    ));
    note.push_str(
        &ws[1]
            .cosign(text.as_bytes(), 1_700_000_001)
            .expect("cosign"),
    );
    let cp = log.publish(&note, Some(&policy)).expect("2 of 3 cosigned");
    assert_eq!(cp.size, 500);
    assert_eq!(log.published_checkpoint().expect("read"), Some(note));

    // Never backwards, never a root that is not the log's.
    assert!(matches!(
        log.publish(&first.note, None),
        Err(StoreError::Rejected(_))
    ));
    let bogus = Checkpoint {
        root: leaf_hash(b"not the root"),
        ..signed.checkpoint.clone()
    };
    let bogus = signer().sign_checkpoint(&bogus).expect("sign");
    assert!(matches!(
        log.publish(&bogus, None),
        Err(StoreError::Rejected(_))
    ));
    let ahead = Checkpoint {
        size: 10_000,
        ..signed.checkpoint
    };
    let ahead = signer().sign_checkpoint(&ahead).expect("sign");
    assert!(matches!(
        log.publish(&ahead, None),
        Err(StoreError::Rejected(_))
    ));
}
