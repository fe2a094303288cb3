//! `canvass backup` and `canvass restore` with real files and processes: a backup taken while
//! the server runs restores into a new data directory that `canvass verify` passes and that
//! serves the same results (the PostgreSQL round trip is in `serve_database.rs`); an older
//! backup is refused against a newer published checkpoint (a rollback) unless
//! `--allow-rollback`; a log with the same keys but other entries is refused (a fork); a
//! damaged backup file is named.

mod backends;
mod common;

use backends::{checkpoint_size, copy_keys, get, init, run, s, submit};
use common::{serve, tmpdir};

#[test]
fn backup_restore_verify_and_refuse_rollbacks_forks_and_damage() {
    let t = tmpdir("backup");
    let data = t.join("data");
    init(&data, 3);
    let (server, url) = serve(s(&data), &[]);
    let a = submit(&url, &data, "42001", 1, (100, 60, 38));
    assert_eq!(a["status"], "accepted");
    // Wait for the checkpoint covering the submission and its snapshot entry.
    let (n1, _) = checkpoint_size(&url, a["log_index"].as_u64().unwrap() + 2);
    let old = t.join("old");
    let (code, out, err) = run(&["backup", "--data", s(&data), s(&old), "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    let old_size = summary["tree_size"].as_u64().unwrap();
    assert!(old_size >= n1);
    assert_eq!(summary["submissions"], 1);

    let b = submit(&url, &data, "42003", 1, (1000, 590, 400));
    assert_eq!(b["status"], "accepted");
    let (n2, note) = checkpoint_size(&url, b["log_index"].as_u64().unwrap() + 2);
    assert!(n2 > old_size);
    let new = t.join("new");
    let (code, _, err) = run(&["backup", "--data", s(&data), s(&new)]);
    assert_eq!(code, Some(0), "{err}");
    let published = format!("{url}/log/checkpoint");
    let results = get(&url, "/api/results");

    // The new backup restores, checks against the live checkpoint, and verifies.
    let back = t.join("back");
    let (code, out, err) = run(&[
        "restore",
        s(&new),
        "--data",
        s(&back),
        "--published",
        &published,
        "--json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["relation"], "same", "{r}");
    assert_eq!(r["submissions"], 2);
    assert!(
        !back.join("keys").exists(),
        "private keys are never in a backup"
    );
    let (code, _, err) = run(&["verify", s(&back)]);
    assert_eq!(code, Some(0), "verify of the restored directory: {err}");
    copy_keys(&data, &back);
    drop(server);
    let (_srv, back_url) = serve(s(&back), &[]);
    assert_eq!(get(&back_url, "/api/results"), results);

    // The old backup against the newer published checkpoint: a rollback, refused.
    let cp_file = t.join("published.cp");
    std::fs::write(&cp_file, &note).unwrap();
    let rolled = t.join("rolled");
    let (code, _, err) = run(&[
        "restore",
        s(&old),
        "--data",
        s(&rolled),
        "--published",
        s(&cp_file),
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("ROLLBACK"), "{err}");
    assert!(err.contains(&format!("has {old_size} entries")), "{err}");
    assert!(
        !rolled.join("log").exists(),
        "a refused restore writes nothing"
    );
    // ... and allowed, loudly, with --allow-rollback.
    let (code, _, err) = run(&[
        "restore",
        s(&old),
        "--data",
        s(&rolled),
        "--published",
        s(&cp_file),
        "--allow-rollback",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("WARNING: ROLLBACK"), "{err}");

    // The same keys with other entries: a fork of the published log, refused.
    let forked = t.join("forked");
    init(&forked, 3);
    let (fsrv, furl) = serve(s(&forked), &[]);
    assert_eq!(
        submit(&furl, &forked, "42001", 1, (100, 61, 38))["status"],
        "accepted"
    );
    assert_eq!(
        submit(&furl, &forked, "42003", 1, (1000, 590, 401))["status"],
        "accepted"
    );
    checkpoint_size(&furl, n2);
    drop(fsrv);
    let fork_backup = t.join("fork-backup");
    let (code, _, err) = run(&["backup", "--data", s(&forked), s(&fork_backup)]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = run(&[
        "restore",
        s(&fork_backup),
        "--data",
        s(&t.join("f2")),
        "--published",
        s(&cp_file),
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("FORK"), "{err}");

    // A damaged file is named; so is a file added to the backup.
    let tile = new
        .join("log/tile/entries/000.p")
        .read_dir()
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&tile).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&tile, &bytes).unwrap();
    let (code, _, err) = run(&[
        "restore",
        s(&new),
        "--data",
        s(&t.join("d2")),
        "--published",
        &published,
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains(s(&tile)) && err.contains("damaged"), "{err}");
    bytes[last] ^= 1;
    std::fs::write(&tile, &bytes).unwrap();
    std::fs::write(new.join("log/extra"), b"x").unwrap();
    let (code, _, err) = run(&["restore", s(&new), "--data", s(&t.join("d3"))]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("log/extra") && err.contains("not in manifest.json"),
        "{err}"
    );
    std::fs::remove_file(new.join("log/extra")).unwrap();
    std::fs::remove_file(new.join("manifest.json")).unwrap();
    let (code, _, err) = run(&["restore", s(&new), "--data", s(&t.join("d4"))]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("manifest.json") && err.contains("did not finish"),
        "{err}"
    );
    drop(_srv);
    let _ = std::fs::remove_dir_all(&t);
}
