//! `canvass simulate --cvrs`: the same seed gives the same bytes whatever --jobs and after
//! --resume, the CVRs count back to the results (`tally-cvrs --check`), and the manifests
//! import into `canvass audit`'s manifest parser's format.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

fn canvass(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(args)
        .output()
        .expect("canvass runs")
}

/// SHA-256 of every file under `dir`, by relative path.
fn digests(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(
                    rel,
                    format!("{:x}", Sha256::digest(std::fs::read(&p).unwrap())),
                );
            }
        }
    }
    out
}

#[test]
fn same_bytes_whatever_the_jobs_and_counts_back() {
    let tmp = std::env::temp_dir().join(format!("canvass-sim-cvrs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let run = |name: &str, jobs: &str| {
        let out = tmp.join(name);
        let o = canvass(&[
            "simulate",
            "--seed",
            "5",
            "--scale",
            "0.01",
            "--cvrs",
            "--cvr-states",
            "DE,RI",
            "--jobs",
            jobs,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out
    };
    let a = run("a", "1");
    let b = run("b", "3");
    let da = digests(&a);
    assert_eq!(da, digests(&b));
    // DE has 3 counties and RI 5: a NIST and a compact file each.
    assert_eq!(da.keys().filter(|k| k.starts_with("cvrs/nist/")).count(), 8);
    assert_eq!(
        da.keys().filter(|k| k.starts_with("cvrs/compact/")).count(),
        8
    );
    // Remove a shard and resume: the same bytes again.
    std::fs::remove_file(b.join("cvrs/nist/10003.json")).unwrap();
    let o = canvass(&[
        "simulate",
        "--seed",
        "5",
        "--scale",
        "0.01",
        "--cvrs",
        "--cvr-states",
        "DE,RI",
        "--quiet",
        "--resume",
        "--out",
        b.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(da, digests(&b));
    // --resume with another seed is refused.
    let o = canvass(&[
        "simulate",
        "--seed",
        "6",
        "--scale",
        "0.01",
        "--quiet",
        "--resume",
        "--out",
        b.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    // The compact CVRs count back to every precinct's results.
    let o = canvass(&[
        "simulate",
        "tally-cvrs",
        a.to_str().unwrap(),
        "--check",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["check"]["ok"], true);
    assert_eq!(doc["files"], 8);
    // The manifest of a jurisdiction lists as many ballots as its compact file has rows.
    let manifest = std::fs::read_to_string(a.join("manifests/10001.csv")).unwrap();
    assert!(manifest.starts_with("jurisdiction,tabulator,batch,ballots\n"));
    let in_manifest: u64 = manifest
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse::<u64>().unwrap())
        .sum();
    let rows = std::fs::read_to_string(a.join("cvrs/compact/10001.csv"))
        .unwrap()
        .lines()
        .count() as u64
        - 1;
    assert_eq!(in_manifest, rows);
    std::fs::remove_dir_all(&tmp).unwrap();
}
