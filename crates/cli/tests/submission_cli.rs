//! `canvass keys init` and `canvass submission sign/verify` end to end.

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::{Command, Output};

fn canvass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(args)
        .output()
        .expect("run canvass")
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("canvass-sub-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

#[test]
fn keys_init_sign_and_verify() {
    let t = tmpdir("e2e");
    let data = t.join("data");
    let d = data.to_str().unwrap();
    let out = canvass(&[
        "keys",
        "init",
        "--data",
        d,
        "--election",
        "us-2020",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    // Nothing private is printed.
    assert!(!stdout.contains("PRIVATE"));
    let key = data.join("keys/jurisdictions/42001.key");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        std::fs::read_to_string(&key)
            .unwrap()
            .starts_with("PRIVATE+KEY+canvass/us-2020/jurisdiction/42001+")
    );
    // A second init refuses to overwrite.
    let again = canvass(&["keys", "init", "--data", d, "--election", "us-2020"]);
    assert_eq!(again.status.code(), Some(1));

    let results = t.join("r.json");
    std::fs::write(
        &results,
        r#"[{"precinct":"42001","contests":[{"contest":"president-PA","ballots":100,"votes":[{"selection":"biden-harris","votes":60},{"selection":"trump-pence","votes":38}]}]}]"#,
    )
    .unwrap();
    let doc = t.join("s.note");
    let out = canvass(&[
        "submission",
        "sign",
        "--key",
        key.to_str().unwrap(),
        "--jurisdiction",
        "42001",
        "--sequence",
        "1",
        "--timestamp",
        "1604448000",
        results.to_str().unwrap(),
        "-o",
        doc.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let roster = data.join("roster.note");
    let auth = data.join("authority.vkey");
    let out = canvass(&[
        "submission",
        "verify",
        "--roster",
        roster.to_str().unwrap(),
        "--authority",
        auth.to_str().unwrap(),
        doc.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["accepted"], true);
    assert_eq!(v["jurisdiction"], "42001");

    // Forged: 60 -> 61 after signing.
    let forged = t.join("f.note");
    let text = std::fs::read_to_string(&doc)
        .unwrap()
        .replacen("\"votes\":60", "\"votes\":61", 1);
    std::fs::write(&forged, text).unwrap();
    let out = canvass(&[
        "submission",
        "verify",
        "--roster",
        roster.to_str().unwrap(),
        forged.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rejection"]["code"], "bad-signature");

    // Allegheny's precinct signed with Adams County's key.
    let other = t.join("o.json");
    std::fs::write(
        &other,
        std::fs::read_to_string(&results)
            .unwrap()
            .replace("42001", "42003"),
    )
    .unwrap();
    let odoc = t.join("o.note");
    let out = canvass(&[
        "submission",
        "sign",
        "--key",
        key.to_str().unwrap(),
        "--jurisdiction",
        "42001",
        "--sequence",
        "2",
        other.to_str().unwrap(),
        "-o",
        odoc.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let out = canvass(&[
        "submission",
        "verify",
        "--roster",
        roster.to_str().unwrap(),
        odoc.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rejection"]["code"], "precinct-not-authorized");
    let _ = std::fs::remove_dir_all(&t);
}
