//! The election definition bound to the log: a data directory made for an election that is
//! not built in (tests/data/definition/small.toml, like `canvass demo`'s simulated one with
//! its precincts) is verified over HTTP, from its files and from a static export with no
//! `--election`, from the definition the server publishes at `GET /api/election`; a server
//! publishing another definition (a changed registered-voter count, a changed precinct) is
//! caught by `verify` and by the monitor.

mod common;

use std::path::Path;

use canvass_model::{ContestCount, Election, PrecinctResult, SelectionCount};
use canvass_server::io::{self, KeySource};
use canvass_server::{Payload, Submission};
use canvass_verify::monitor::{Monitor, MonitorConfig, MonitorState};
use canvass_verify::{Check, DataDir, ExportDir, HttpSource, Report, Source, VerifyOptions};
use common::Server;

fn small() -> Election {
    let text = include_str!("data/definition/small.toml");
    canvass_model::parse_definition(text, canvass_model::DefinitionFormat::Toml, "small.toml")
        .unwrap()
}

/// SHA-256 of a file's bytes, computed by coreutils' `sha256sum`, not by canvass.
fn file_sha(p: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(p)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

/// Cumberland County's report for Portland Ward 1: 3,600 ballots (4,200 registered).
fn portland(data: &Path) -> String {
    let key = common::key(data, "23005");
    let sel = |s: &str, votes| SelectionCount {
        selection: s.into(),
        line: None,
        votes,
    };
    Submission {
        election: "tiny-2026".into(),
        jurisdiction: "23005".into(),
        sequence: 1,
        timestamp: 1_793_750_400,
        amendment: None,
        payload: Payload::PrecinctResults {
            results: vec![PrecinctResult {
                precinct: "portland-1".into(),
                portion: None,
                counting_group: None,
                contests: vec![
                    ContestCount {
                        rankings: Vec::new(),
                        contest: "house-ME-01".into(),
                        ballots: 3600,
                        overvotes: 0,
                        undervotes: 100,
                        votes: vec![sel("alice", 2000), sel("bob", 1500)],
                    },
                    ContestCount {
                        rankings: Vec::new(),
                        contest: "question-1".into(),
                        ballots: 3600,
                        overvotes: 0,
                        undervotes: 0,
                        votes: vec![sel("yes", 2500), sel("no", 1100)],
                    },
                ],
            }],
        },
    }
    .sign(&key)
}

fn verify(src: &dyn Source, election: Option<Election>) -> Report {
    let opts = VerifyOptions {
        election,
        workers: 1,
        check_store: true,
        levels: true,
        ..VerifyOptions::default()
    };
    canvass_verify::verify(src, &opts, &mut |_| {}).unwrap()
}

fn codes(r: &Report) -> Vec<String> {
    r.findings
        .iter()
        .map(|f| f.code.clone().unwrap_or_default())
        .collect()
}

/// A data directory for tiny-2026 with one report logged (the server stopped).
fn election_with_a_report(data: &Path) {
    io::init_keys(data, &small(), KeySource::Seeded(8)).unwrap();
    let s = Server::start_with(data, small());
    s.submit(&portland(data));
    s.settle();
    s.stop();
}

#[test]
fn a_non_builtin_election_verifies_with_the_published_definition_alone() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    election_with_a_report(&data);

    // The roster binds the SHA-256 of exactly the bytes of DATA/election.json.
    let roster = io::read_roster(&io::roster_path(&data), None).unwrap();
    let bound = roster.definition_sha256.clone().unwrap();
    assert_eq!(bound, file_sha(&io::definition_path(&data)));

    let s = Server::start_with(&data, small());
    // GET /api/election is those very bytes, with their SHA-256 as the ETag.
    let mut resp = ureq::get(&format!("{}/api/election", s.url))
        .call()
        .unwrap();
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let body = resp.body_mut().read_to_vec().unwrap();
    assert_eq!(body, std::fs::read(io::definition_path(&data)).unwrap());
    assert_eq!(etag, format!("\"{bound}\""));

    let r = verify(&HttpSource::new(&s.url), None);
    assert!(r.ok, "{:#?}", r.findings);
    assert_eq!(r.counts.submissions, 1);
    assert_eq!(r.definition_sha256.as_deref(), Some(bound.as_str()));
    assert_eq!(r.definition_source, Some(format!("{}/api/election", s.url)));
    // The report's 3,600 ballots are in the recomputed (and published) results.
    assert!(r.published_results_compared);

    // A static export (api/election.json) and the data directory (election.json) too.
    let published = s.app.results_json();
    let export = common::export(&data, &published, &t.path().join("export"));
    assert!(export.join("api/election.json").is_file());
    s.stop();
    let r = verify(&ExportDir::new(&export), None);
    assert!(r.ok, "{:#?}", r.findings);
    let r = verify(&DataDir::new(&data), None);
    assert!(r.ok, "{:#?}", r.findings);
    assert_eq!(r.counts.submissions, 1);
}

#[test]
fn a_server_publishing_another_definition_is_caught() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    election_with_a_report(&data);
    let bound = file_sha(&io::definition_path(&data));

    // A monitor watches the honest server first.
    let mut watcher = Monitor::new(
        MonitorState::default(),
        MonitorConfig {
            workers: 1,
            ..MonitorConfig::default()
        },
    );
    let s = Server::start_with(&data, small());
    let honest = HttpSource::new(&s.url);
    assert_eq!(watcher.poll(&honest, 0).unwrap(), Vec::new());
    // Unchanged: the monitor asks with If-None-Match and is told so.
    assert_eq!(watcher.poll(&honest, 1).unwrap(), Vec::new());
    s.stop();

    // Then the server counts with (and publishes) another definition: Portland's registered
    // voters 4,200 -> 5,200, or Bangor's precinct renamed.
    let mut more_voters = small();
    more_voters.precincts[0].registered_voters = Some(5200);
    let mut renamed = small();
    renamed.precincts[1].name = "Bangor Ward 2".into();
    for swapped in [more_voters, renamed] {
        let bytes = t.path().join("swapped.json");
        std::fs::write(&bytes, canvass_model::to_canonical_json(&swapped)).unwrap();
        let swapped_sha = file_sha(&bytes);
        assert_ne!(swapped_sha, bound);
        let s = Server::start_with(&data, swapped);
        let src = HttpSource::new(&s.url);

        let r = verify(&src, None);
        assert!(!r.ok);
        assert_eq!(codes(&r), ["definition-mismatch"], "{:#?}", r.findings);
        let f = &r.findings[0];
        assert_eq!(f.check, Check::Definition);
        assert_eq!(f.published.as_deref(), Some(swapped_sha.as_str()));
        assert_eq!(f.recomputed.as_deref(), Some(bound.as_str()));
        assert!(
            f.message.contains(&format!(
                "definition served at {}/api/election has sha256 {swapped_sha} but the authority-signed roster binds {bound}",
                s.url
            )),
            "{}",
            f.message
        );

        // With the honest definition given by hand, everything else is checked, and the
        // served one is still reported.
        let r = verify(&src, Some(small()));
        assert_eq!(r.definition_source.as_deref(), Some("--election"));
        assert!(
            codes(&r).contains(&"definition-mismatch".to_owned()),
            "{r:#?}"
        );
        assert_eq!(r.counts.submissions, 1);

        // A definition given by hand that is not the bound one is reported too.
        let mut other = small();
        other.precincts[2].registered_voters = Some(10);
        let r = verify(&src, Some(other));
        let mismatches = r
            .findings
            .iter()
            .filter(|f| f.code.as_deref() == Some("definition-mismatch"))
            .count();
        assert_eq!(mismatches, 2, "{:#?}", r.findings);

        // The monitor that watched the honest server alerts at its next poll.
        let alerts = watcher.poll(&src, 2).unwrap();
        assert!(
            alerts.iter().any(|a| a.alert == "definition-mismatch"),
            "{alerts:#?}"
        );
        s.stop();
    }

    // What a server of this data directory counts with (`io::load_data_election`): the
    // definition file, which must be the one the roster binds.
    assert!(io::load_data_election(&data, None).unwrap() == small());
    let mut other = small();
    other.precincts[0].registered_voters = Some(1);
    let other_file = t.path().join("other.json");
    std::fs::write(&other_file, canvass_model::to_canonical_json(&other)).unwrap();
    let err = io::load_data_election(&data, Some(other_file.to_str().unwrap()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("the authority-signed roster binds {bound}")),
        "{err}"
    );

    // The definition file of the data directory swapped: caught from the files too.
    let file = io::definition_path(&data);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\"registered_voters\":4200"));
    std::fs::write(
        &file,
        text.replace("\"registered_voters\":4200", "\"registered_voters\":4201"),
    )
    .unwrap();
    let r = verify(&DataDir::new(&data), None);
    assert_eq!(codes(&r), ["definition-mismatch"], "{:#?}", r.findings);
    assert!(io::load_data_election(&data, None).is_err());
}

#[test]
fn a_roster_that_binds_no_definition_still_opens_and_verifies() {
    // A roster signed before definition_sha256 existed: no field, the same bytes as before.
    let e = small();
    let auth =
        canvass_server::SecretKey::from_seed("canvass/tiny-2026/authority", [1; 32]).unwrap();
    let log = canvass_server::SecretKey::from_seed("canvass/tiny-2026/log", [2; 32]).unwrap();
    let keys: Vec<_> = (0..e.jurisdictions.len())
        .map(|i| {
            canvass_server::SecretKey::from_seed(
                &format!("canvass/tiny-2026/jurisdiction/{i}"),
                [3 + i as u8; 32],
            )
            .unwrap()
            .public()
        })
        .collect();
    let mut roster = canvass_server::Roster::new(&e, &auth.public(), &log.public(), &keys);
    roster.definition_sha256 = None;
    let doc = roster.sign(&auth);
    assert!(!doc.contains("definition_sha256"));
    let opened = canvass_server::Roster::open(doc.as_bytes(), None).unwrap();
    assert_eq!(opened.definition_sha256, None);
    assert_eq!(opened.sign(&auth), doc);

    // The engine counts with the definition given by hand, as before.
    let mut engine = canvass_verify::engine::Engine::new(canvass_verify::engine::EngineOptions {
        election: Some(e),
        ..Default::default()
    });
    engine.entry(0, doc.as_bytes());
    let out = engine.finish();
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    assert_eq!(out.definition_source.as_deref(), Some("--election"));
}

#[test]
fn drill_8_the_swapped_definition_is_caught_without_election_given() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    election_with_a_report(&data);
    let opts = canvass_verify::drill::DrillOptions {
        election: None,
        workers: 1,
    };
    // The drills count with the published definition (DATA/election.json) alone: the honest
    // copy verifies (else `run` fails), and the swap is caught by both.
    let o = canvass_verify::drill::run(8, &data, &t.path().join("work8"), &opts).unwrap();
    assert!(o.detected(), "{o:#?}");
    assert_eq!(o.verify.codes, ["definition-mismatch"], "{o:#?}");
    assert!(
        o.monitor.codes.contains(&"definition-mismatch".to_owned()),
        "{o:#?}"
    );
    assert!(
        o.tampered
            .contains("a precinct's registered_voters 4200 changed to 5200"),
        "{}",
        o.tampered
    );
    // Another drill on the same non-built-in election, with no definition given either.
    let o = canvass_verify::drill::run(4, &data, &t.path().join("work4"), &opts).unwrap();
    assert!(o.detected(), "{o:#?}");
    assert!(
        o.verify.codes.contains(&"results-differ".to_owned()),
        "{o:#?}"
    );
}
