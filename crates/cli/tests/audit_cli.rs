//! `canvass audit` through the built binary: every reference vector of
//! `crates/audit/tests/data/rla/vectors.md` (see its SOURCE.md), the JSON contract, and exit
//! codes.

use std::path::PathBuf;
use std::process::{Command, Output};

fn canvass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(args)
        .output()
        .expect("run canvass")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = canvass(args);
    assert!(
        out.status.success(),
        "canvass {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../audit/tests/data/rla")
        .join(name)
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("canvass-audit-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("write temp file");
    path
}

fn ids_of(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|d| d["id"].as_str().expect("id").to_owned())
        .collect()
}

#[test]
fn first_fraction_vector() {
    let v = json(&[
        "audit",
        "sample",
        "--seed",
        "01382438112797316654",
        "--id",
        "AB-130",
        "--count",
        "1",
        "--digits",
        "100",
        "--json",
    ]);
    assert_eq!(
        v[0]["ticket"],
        "0.26299714122838008416507544297546663599715395525154425586041245287750224561854"
    );
    assert_eq!(v[0]["generation"], 1);
}

#[test]
fn with_replacement_vector() {
    let v = json(&[
        "audit",
        "sample",
        "--seed",
        "314159",
        "--id",
        "A#2",
        "--id",
        "B#7",
        "--id",
        "C#1",
        "--id",
        "D#4",
        "--count",
        "8",
        "--with-replacement",
        "--json",
    ]);
    assert_eq!(
        ids_of(&v),
        ["D#4", "C#1", "C#1", "B#7", "A#2", "C#1", "D#4", "B#7"]
    );
    let generations: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["generation"].as_u64().unwrap())
        .collect();
    // C#1 is drawn at positions 2, 3 and 6: generations 1, 2, 3.
    assert_eq!(generations, [1, 1, 2, 1, 1, 3, 2, 2]);
}

#[test]
fn without_replacement_vector_from_ids_file() {
    let file = temp_file("ids.txt", "ab-1\nab-2\r\ncd-1\n\nef-3\n");
    let v = json(&[
        "audit",
        "sample",
        "--seed",
        "314159",
        "--ids-file",
        file.to_str().unwrap(),
        "--count",
        "10",
        "--json",
    ]);
    std::fs::remove_file(&file).ok();
    assert_eq!(ids_of(&v), ["cd-1", "ef-3", "ab-1", "ab-2"]);
    assert_eq!(v[0]["ticket"], "0.317685817");
    // The JSON object keeps the contract's field order.
    let out = canvass(&[
        "audit", "sample", "--seed", "314159", "--id", "cd-1", "--count", "1", "--json",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let (t, i, g) = (
        text.find("\"ticket\"").unwrap(),
        text.find("\"id\"").unwrap(),
        text.find("\"generation\"").unwrap(),
    );
    assert!(t < i && i < g, "{text}");
}

#[test]
fn tuple_ids_match_python_package() {
    // Expected draws from the consistent_sampler package (SOURCE.md, gen_extra.py).
    let extra: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data("consistent_sampler_extra.json")).unwrap(),
    )
    .unwrap();
    let case = &extra[0];
    let mut csv = String::from("jurisdiction,tabulator,batch,ballots\n");
    let mut ids = String::new();
    for row in case["manifest"].as_array().unwrap() {
        let key = row[0].as_array().unwrap();
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let n = row[1].as_u64().unwrap();
        csv.push_str(&format!(
            "{},{},{},{n}\n",
            quote(key[0].as_str().unwrap()),
            key[1].as_str().unwrap_or(""),
            quote(key[2].as_str().unwrap())
        ));
    }
    // The same ballots as a list of Python str() ids.
    let want: Vec<String> = case["draws"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    let manifest = temp_file("manifest.csv", &csv);
    let v = json(&[
        "audit",
        "sample",
        "--seed",
        case["seed"].as_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
        "--count",
        "15",
        "--with-replacement",
        "--json",
    ]);
    assert_eq!(&v, &case["draws"]);
    let mut all: Vec<String> = want.clone();
    all.sort();
    all.dedup();
    for id in &all {
        ids.push_str(id);
        ids.push('\n');
    }
    let ids_file = temp_file("tuple-ids.txt", &ids);
    let v = json(&[
        "audit",
        "sample",
        "--seed",
        case["seed"].as_str().unwrap(),
        "--ids-file",
        ids_file.to_str().unwrap(),
        "--count",
        "15",
        "--with-replacement",
        "--json",
    ]);
    std::fs::remove_file(&manifest).ok();
    std::fs::remove_file(&ids_file).ok();
    // Only the drawn ballots were listed, so the order of their draws is unchanged
    // (consistency), as long as every listed ballot is drawn at least once.
    assert_eq!(ids_of(&v), want);
}

#[test]
fn colorado_prng_vector() {
    let v = json(&[
        "audit",
        "prng",
        "--seed",
        "3546311556112163624615351222",
        "--min",
        "1",
        "--max",
        "876",
        "--count",
        "10",
        "--json",
    ]);
    assert_eq!(
        v,
        serde_json::json!([740, 180, 264, 789, 238, 448, 272, 611, 761, 208])
    );
}

#[test]
fn bravo_vectors() {
    let v = json(&[
        "audit",
        "sample-size",
        "--method",
        "bravo",
        "--risk-limit",
        "0.10",
        "--tally",
        "Winner=600,Loser=400",
        "--ballots",
        "1000",
        "--json",
    ]);
    assert_eq!(
        v,
        serde_json::json!({"asn": 119, "p70": 184, "p80": 244, "p90": 351})
    );
}

#[test]
fn bravo_risk_by_hand() {
    // T = (2 * 0.6)^70 * (2 * 0.4)^30 = exp(70 ln 1.2 + 30 ln 0.8) = exp(6.06818...) = 431.9...
    let v = json(&[
        "audit",
        "risk",
        "--method",
        "bravo",
        "--tally",
        "A=600,B=400",
        "--ballots",
        "1000",
        "--sample",
        "A=70,B=30",
        "--json",
    ]);
    let expected = (-(70.0 * 1.2f64.ln() + 30.0 * 0.8f64.ln())).exp();
    assert!((v["p_value"].as_f64().unwrap() - expected).abs() < 1e-12);
}

#[test]
fn comparison_vector_and_risk() {
    let v = json(&[
        "audit",
        "sample-size",
        "--method",
        "comparison",
        "--risk-limit",
        "0.10",
        "--diluted-margin",
        "0.01",
        "--json",
    ]);
    assert_eq!(v, serde_json::json!({"size": 479}));
    // 479 clean ballots: p = (1 - 0.01/2.0781)^479 = 0.0992 < 0.10.
    let v = json(&[
        "audit",
        "risk",
        "--method",
        "comparison",
        "--diluted-margin",
        "1%",
        "--sample-size",
        "479",
        "--json",
    ]);
    let p = v["p_value"].as_f64().unwrap();
    assert!((p - (1.0 - 0.01 / 2.0781f64).powi(479)).abs() < 1e-12 && p < 0.10);
    // One one-vote overstatement: n = ceil(207.81 * (2.302585 + 0.656157)) = 615 (by hand).
    let v = json(&[
        "audit",
        "sample-size",
        "--method",
        "comparison",
        "--risk-limit",
        "0.10",
        "--diluted-margin",
        "0.01",
        "--o1",
        "1",
        "--json",
    ]);
    assert_eq!(v, serde_json::json!({"size": 615}));
}

#[test]
fn macro_size_by_hand() {
    // ceil(ln 0.1 / ln(1 - 1/10)) = ceil(21.85) = 22.
    let v = json(&[
        "audit",
        "sample-size",
        "--method",
        "macro",
        "--risk-limit",
        "0.1",
        "--error-bound",
        "10",
        "--json",
    ]);
    assert_eq!(v, serde_json::json!({"size": 22}));
}

#[test]
fn exit_codes() {
    // Invalid input: 1.
    let out = canvass(&[
        "audit",
        "sample-size",
        "--method",
        "bravo",
        "--tally",
        "A=5,B=5",
        "--ballots",
        "10",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tied"));
    let out = canvass(&[
        "audit",
        "sample",
        "--seed",
        "123",
        "--id",
        "x",
        "--count",
        "1",
        "--strict-seed",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = canvass(&[
        "audit",
        "risk",
        "--method",
        "bravo",
        "--tally",
        "A=6,B=4",
        "--ballots",
        "10",
        "--sample",
        "C=1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    // Usage: 2.
    let out = canvass(&["audit", "sample-size", "--method", "comparison", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let out = canvass(&["audit", "sample", "--seed", "1", "--count", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let out = canvass(&["audit", "sample", "--seed", "1"]);
    assert_eq!(out.status.code(), Some(2));
}
