//! `canvass serve --database`: the same server on PostgreSQL (a private server this test starts,
//! `backends::pg`) and on the embedded SQLite store. Both data directories have the same seeded
//! keys and get the same signed documents, so the logs must be identical, and so must every
//! byte of `/api/results`. The PostgreSQL server then restarts (replay from the log), once on
//! its own database and once on an empty one (replay fills it), and refuses a database that
//! holds rows of another log. A backup of the PostgreSQL store restores into another
//! PostgreSQL database and serves the same results and security events.

mod backends;
mod common;

use backends::pg::PgServer;
use backends::{checkpoint_size, copy_keys, get, init, pg_rows, run, s, submit};
use common::{canvass, serve, tmpdir};

#[test]
fn postgres_and_sqlite_serve_the_same_bytes_and_replay() {
    let pg = PgServer::start();
    let t = tmpdir("pg-vs-sqlite");
    let (lite, pgd) = (t.join("lite"), t.join("pg"));
    init(&lite, 3);
    init(&pgd, 3);
    let db = pg.fresh_database();
    let (mut lite_srv, lite_url) = serve(lite.to_str().unwrap(), &[]);
    let (pg_srv, pg_url) = serve(pgd.to_str().unwrap(), &["--database", &db]);

    // Adams (42001) and Allegheny (42003) report; Adams amends its count; a repeat is
    // already accepted; 101 votes on 100 ballots is rejected.
    let night: &[(&str, u64, (u64, u64, u64))] = &[
        ("42001", 1, (100, 60, 38)),
        ("42003", 1, (1000, 590, 400)),
        ("42001", 1, (100, 60, 38)),
        ("42001", 2, (100, 61, 40)),
    ];
    let mut first = None;
    for (i, &(fips, seq, counts)) in night.iter().enumerate() {
        let a = submit(&lite_url, &lite, fips, seq, counts);
        let b = submit(&pg_url, &pgd, fips, seq, counts);
        let want = ["accepted", "accepted", "already-accepted", "rejected"][i];
        assert_eq!(a["status"], want, "sqlite, submission {i}: {a}");
        assert_eq!(b["status"], want, "postgres, submission {i}: {b}");
        assert_eq!(a["log_index"], b["log_index"]);
        first = first.or(b["log_index"].as_u64());
    }
    let results = get(&lite_url, "/api/results");
    assert_eq!(get(&pg_url, "/api/results"), results);
    // 60 + 590 Biden votes in Pennsylvania, by hand.
    let r: serde_json::Value = serde_json::from_slice(&results).unwrap();
    let pa = r["contests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "president-PA")
        .unwrap();
    assert!(pa.to_string().contains("650"), "{pa}");
    // Same keys, same documents: the same log, entry for entry.
    let (size, lite_cp) = checkpoint_size(&lite_url, 1);
    let (_, pg_cp) = checkpoint_size(&pg_url, size);
    assert_eq!(lite_cp, pg_cp);
    assert_eq!(pg_rows(&db), 2);
    // The store (PostgreSQL) answers for the submission, with Adams County's document.
    let sub = get(&pg_url, &format!("/api/submissions/{}", first.unwrap()));
    assert!(String::from_utf8_lossy(&sub).contains("42001"));
    assert!(
        !pgd.join("canvass.db").exists(),
        "no SQLite file beside PostgreSQL"
    );

    // Restart on the same database: replay gives the same bytes, and it goes on.
    drop(pg_srv);
    let (pg_srv, pg_url) = serve(pgd.to_str().unwrap(), &["--database", &db]);
    assert_eq!(get(&pg_url, "/api/results"), results);
    let a = submit(&lite_url, &lite, "42005", 1, (500, 200, 290));
    let b = submit(&pg_url, &pgd, "42005", 1, (500, 200, 290));
    assert_eq!(
        (&a["status"], &b["status"]),
        (&"accepted".into(), &"accepted".into())
    );
    let results = get(&lite_url, "/api/results");
    assert_eq!(get(&pg_url, "/api/results"), results);
    assert_eq!(pg_rows(&db), 3);

    // Restart on an empty database (the URL form with a socket directory): replay fills it.
    drop(pg_srv);
    let empty = pg.fresh_database();
    let socket = empty
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("host="))
        .unwrap();
    let name = empty
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("dbname="))
        .unwrap();
    let url = format!("postgresql://postgres@/{name}?host={socket}");
    let (pg_srv, pg_url) = serve(pgd.to_str().unwrap(), &["--database", &url]);
    assert_eq!(get(&pg_url, "/api/results"), results);
    assert_eq!(pg_rows(&empty), 3);
    drop(pg_srv);

    // A database holding another log's rows is refused with the reason.
    let other = t.join("other");
    init(&other, 4);
    let out = canvass(&[
        "serve",
        "--data",
        other.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--database",
        &db,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("belongs to another data directory"), "{err}");

    // An unknown --database is a usage error naming what is accepted.
    let out = canvass(&[
        "serve",
        "--data",
        other.to_str().unwrap(),
        "--database",
        "mysql://x",
    ]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("postgresql://"), "{err}");
    let _ = lite_srv.0.kill();
    let _ = std::fs::remove_dir_all(&t);
}

#[test]
fn postgres_backup_restores_into_another_postgres_database() {
    let pg = PgServer::start();
    let t = tmpdir("backup-pg");
    let data = t.join("data");
    init(&data, 5);
    let db = pg.fresh_database();
    let (server, url) = serve(s(&data), &["--database", &db]);
    assert_eq!(
        submit(&url, &data, "42001", 1, (100, 60, 38))["status"],
        "accepted"
    );
    assert_eq!(
        submit(&url, &data, "42003", 1, (1000, 590, 400))["status"],
        "accepted"
    );
    let bad = submit(&url, &data, "42005", 1, (10, 11, 0));
    assert_eq!(bad["status"], "rejected");
    let (size, _) = checkpoint_size(&url, 1);
    let results = get(&url, "/api/results");
    let events = get(&url, "/api/security-events");
    let out = t.join("out");
    let (code, o, err) = run(&[
        "backup",
        "--data",
        s(&data),
        "--database",
        &db,
        s(&out),
        "--json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let summary: serde_json::Value = serde_json::from_str(&o).unwrap();
    assert_eq!(
        (
            summary["submissions"].as_u64(),
            summary["security_events"].as_u64()
        ),
        (Some(2), Some(1))
    );
    drop(server);

    let back = t.join("back");
    let db2 = pg.fresh_database();
    let (code, _, err) = run(&[
        "restore",
        s(&out),
        "--data",
        s(&back),
        "--database",
        &db2,
        "--published",
        s(&data.join("log/checkpoint")),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(backends::pg_rows(&db2), 2);
    // Restoring again into the now non-empty database is refused.
    let (code, _, err) = run(&[
        "restore",
        s(&out),
        "--data",
        s(&t.join("again")),
        "--database",
        &db2,
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("not empty"), "{err}");
    copy_keys(&data, &back);
    let (_srv, back_url) = serve(s(&back), &["--database", &db2]);
    assert_eq!(get(&back_url, "/api/results"), results);
    assert_eq!(get(&back_url, "/api/security-events"), events);
    assert!(checkpoint_size(&back_url, size).0 >= size);
    let _ = std::fs::remove_dir_all(&t);
}
