//! `tlog::restore_dir`: a log rebuilt from its published files alone (no signing key) opens
//! at the same checkpoint with the same entries and root (checked against the in-memory
//! reference tree), keeps appending, and is never written over an existing log.

use canvass_log::{LogSigner, MemoryTree};
use canvass_store::tlog::{Log, StoreError, audit, restore_dir, tree_tiles};

fn signer() -> LogSigner {
    LogSigner::from_seed("canvass.example/restore-test", [7; 32]).expect("key")
}

fn entry(i: u64) -> Vec<u8> {
    format!("restored entry {i}").into_bytes()
}

#[test]
fn restored_logs_reopen_at_their_checkpoint_and_keep_appending() {
    // Below one tile, exactly two tiles (no journal), and past a full level-1 tile's worth
    // of bundles with a partial bundle (state file plus journal).
    for n in [5u64, 512, 256 * 256 + 300] {
        let reference = MemoryTree::from_entries((0..=n).map(entry));
        let from = tempfile::tempdir().unwrap();
        {
            let log = Log::open(from.path(), signer()).unwrap();
            let entries: Vec<Vec<u8>> = (0..n).map(entry).collect();
            for chunk in entries.chunks(4096) {
                log.append(chunk).unwrap();
            }
            log.checkpoint().unwrap();
        }
        let to = tempfile::tempdir().unwrap();
        let dest = to.path().join("log");
        let cp = restore_dir(from.path(), &dest, &signer().verifier()).unwrap();
        assert_eq!((cp.size, cp.root), (n, reference.root_at(n)));
        assert_eq!(audit(&dest, Some(&signer().verifier())).unwrap().entries, n);
        let log = Log::open(&dest, signer()).unwrap();
        assert_eq!(log.size(), n, "size {n}");
        assert_eq!(log.root_at(n).unwrap(), reference.root_at(n));
        assert_eq!(log.entry(n - 1).unwrap(), entry(n - 1));
        assert_eq!(log.append(&[entry(n)]).unwrap(), n..n + 1);
        assert_eq!(
            log.checkpoint().unwrap().checkpoint.root,
            reference.root_at(n + 1)
        );
        drop(log);

        // Never over a log.
        assert!(matches!(
            restore_dir(from.path(), &dest, &signer().verifier()),
            Err(StoreError::NotEmpty(p)) if p == dest.join("checkpoint")
        ));
    }
}

#[test]
fn tree_tiles_lists_every_tile_by_hand() {
    // 600 entries: bundles 0 and 1 full, bundle 2 holds 88; level-0 tiles 0 and 1 full and
    // 2 partial (88); level 1 partial with the two full level-0 tiles' roots.
    let paths: Vec<String> = tree_tiles(600).iter().map(|t| t.path()).collect();
    assert_eq!(
        paths,
        [
            "tile/entries/000",
            "tile/entries/001",
            "tile/0/000",
            "tile/0/001",
            "tile/0/002.p/88",
            "tile/entries/002.p/88",
            "tile/1/000.p/2",
        ]
    );
}
