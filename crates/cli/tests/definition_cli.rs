//! The election definition bound to the log, end to end with the real binary: `canvass keys
//! init` for an election that is not built in (tests/data/definition/small.toml, a demo-like
//! data directory with precincts), `canvass serve`, `canvass submit`; then `canvass verify
//! URL` passes with no `--election`, and so does `canvass verify` of an `export-site` copy;
//! a server publishing another definition (a changed registered-voter count) fails `verify`
//! and `monitor --once` with `definition-mismatch`.

mod common;

use std::path::Path;

use common::{canvass, json, serve, tmpdir};

const SMALL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/definition/small.toml"
);

/// SHA-256 of a file by coreutils' `sha256sum` (not by canvass).
fn sha256sum(p: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(p)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

fn ok(out: &std::process::Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout {} stderr {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn verify_needs_no_election_and_catches_a_swapped_definition() {
    let t = tmpdir("definition");
    let data = t.join("data");
    let d = data.to_str().unwrap();
    ok(&canvass(&[
        "keys",
        "init",
        "--data",
        d,
        "--election",
        SMALL,
        "--seed",
        "4",
    ]));
    let file = data.join("election.json");
    let bound = sha256sum(&file);
    // The roster binds the SHA-256 of DATA/election.json, which `canvass election hash` of
    // the TOML definition gives too.
    let roster = std::fs::read_to_string(data.join("roster.note")).unwrap();
    assert!(
        roster.contains(&format!("\"definition_sha256\":\"{bound}\"")),
        "{roster}"
    );
    let h = canvass(&["election", "hash", SMALL, "--json"]);
    ok(&h);
    assert_eq!(json(&h)["definition_sha256"], bound.as_str());

    let definition = file.to_str().unwrap();
    let (server, url) = serve(d, &["--election", definition]);
    let csv = t.join("portland.csv");
    std::fs::write(
        &csv,
        "precinct,portion,counting_group,contest,selection,line,votes\n\
         portland-1,,,house-ME-01,@ballots,,3600\n\
         portland-1,,,house-ME-01,alice,,2000\n\
         portland-1,,,house-ME-01,bob,,1600\n\
         portland-1,,,question-1,@ballots,,3600\n\
         portland-1,,,question-1,yes,,2500\n\
         portland-1,,,question-1,no,,1100\n",
    )
    .unwrap();
    let key = data.join("keys/jurisdictions/23005.key");
    ok(&canvass(&[
        "submit",
        "--server",
        &url,
        "--json",
        "--key",
        key.to_str().unwrap(),
        "--election",
        definition,
        "--sequence",
        "1",
        "--timestamp",
        "1793750400",
        csv.to_str().unwrap(),
    ]));

    // No --election: the definition comes from GET /api/election, checked against the roster.
    let v = canvass(&["verify", &url, "--json"]);
    ok(&v);
    let r = json(&v);
    assert_eq!(r["ok"], true);
    assert_eq!(r["counts"]["submissions"], 1);
    assert_eq!(r["definition_sha256"], bound.as_str());
    assert_eq!(r["definition_source"], format!("{url}/api/election"));
    let text = canvass(&["verify", &url]);
    ok(&text);
    assert!(
        String::from_utf8_lossy(&text.stdout)
            .contains(&format!("definition  {url}/api/election, SHA-256 {bound}")),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );

    // The static export holds the same bytes and verifies alone.
    let site = t.join("site");
    ok(&canvass(&[
        "export-site",
        site.to_str().unwrap(),
        "--server",
        &url,
    ]));
    assert_eq!(
        std::fs::read(site.join("api/election.json")).unwrap(),
        std::fs::read(&file).unwrap()
    );
    let v = canvass(&["verify", site.to_str().unwrap(), "--json"]);
    ok(&v);
    assert_eq!(json(&v)["definition_sha256"], bound.as_str());
    drop(server);

    // Another definition: Portland Ward 1 has 5,200 registered voters instead of 4,200.
    let swapped = t.join("swapped.toml");
    let toml = std::fs::read_to_string(SMALL).unwrap();
    assert!(toml.contains("registered_voters = 4200"));
    std::fs::write(
        &swapped,
        toml.replace("registered_voters = 4200", "registered_voters = 5200"),
    )
    .unwrap();
    // An honest server refuses to count with it: the roster binds another definition.
    let refused = canvass(&[
        "serve",
        "--data",
        d,
        "--listen",
        "127.0.0.1:0",
        "--election",
        swapped.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains(&format!("the authority-signed roster binds {bound}")),
        "{err}"
    );

    // A compromised mirror publishes it anyway (the export with its api/election.json
    // swapped for the other definition's canonical bytes): verify and monitor catch it.
    let served = site.join("api/election.json");
    let other = canvass(&[
        "election",
        "export",
        swapped.to_str().unwrap(),
        "--format",
        "canonical",
    ]);
    ok(&other);
    std::fs::write(&served, &other.stdout).unwrap();
    let wrong = sha256sum(&served);
    assert_ne!(wrong, bound);
    let url = site.to_str().unwrap().to_owned();
    let location = site.join("api/election.json").display().to_string();
    let v = canvass(&["verify", &url, "--json"]);
    assert_eq!(v.status.code(), Some(1));
    let r = json(&v);
    assert_eq!(r["ok"], false);
    let f = &r["findings"][0];
    assert_eq!(f["check"], "definition");
    assert_eq!(f["code"], "definition-mismatch");
    assert_eq!(
        f["message"]
            .as_str()
            .unwrap()
            .split(": it is")
            .next()
            .unwrap(),
        format!(
            "the definition served at {location} has sha256 {wrong} but the authority-signed roster binds {bound}"
        )
    );
    let state = t.join("monitor.json");
    let m = canvass(&[
        "monitor",
        &url,
        "--once",
        "--state",
        state.to_str().unwrap(),
    ]);
    assert_eq!(m.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&m.stdout).contains("\"alert\":\"definition-mismatch\""),
        "{}",
        String::from_utf8_lossy(&m.stdout)
    );
    let _ = std::fs::remove_dir_all(&t);
}
