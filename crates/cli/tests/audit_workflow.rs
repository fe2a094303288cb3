//! The audit workflow end to end (issue 9): `keys init`, `serve`, four Pennsylvania counties
//! submit results, then three audits of `president-PA` through the running server:
//!
//! - ballot polling where the audit boards' readings match the reported outcome: confirmed
//!   within the three allowed rounds;
//! - ballot polling where the paper contradicts it (the reported loser leads on paper):
//!   escalated to a full hand count after the second and last round;
//! - batch comparison over the county totals with matching hand counts: confirmed in round 1;
//! - ballot comparison with the counties' cast vote records, readings matching them:
//!   confirmed in round 1.
//!
//! Afterwards the server is stopped, and every audit is recomputed from the log alone (the
//! data directory opened directly), and the log holds one signed `canvass-audit/v1` entry per
//! step.

mod common;

use std::path::Path;
use std::process::Output;

use common::{canvass, serve, tmpdir};

const SEED: &str = "80351327650279423891";
const COUNTIES: [(&str, &str); 4] = [
    ("42001", "Adams"),
    ("42003", "Allegheny"),
    ("42005", "Armstrong"),
    ("42007", "Beaver"),
];

fn ok(out: Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
    })
}

/// Runs an audit step through the server with --json.
fn step(data: &str, url: &str, audit: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec![
        "audit", args[0], "--data", data, "--server", url, "--audit", audit, "--json",
    ];
    all.extend_from_slice(&args[1..]);
    ok(canvass(&all))
}

fn votes_of(tally: &serde_json::Value, name: &str) -> u64 {
    tally
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == name)
        .map_or(0, |p| p[1].as_u64().unwrap())
}

/// Reads the retrieval lists of a round and writes the board's interpretation CSV: the
/// ballot at position p shows `winner` when p mod 10 < `winner_in_10`, else `loser`.
fn interpretations(
    lists: &Path,
    out: &Path,
    winner: &str,
    loser: &str,
    winner_in_10: u64,
) -> usize {
    let mut csv = String::from("jurisdiction,tabulator,batch,position,contest,selections\n");
    let mut n = 0;
    for e in std::fs::read_dir(lists).unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|x| x.to_str()) != Some("csv") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let pos: u64 = f[3].parse().unwrap();
            let who = if pos % 10 < winner_in_10 {
                winner
            } else {
                loser
            };
            csv.push_str(&format!(
                "{},{},{},{},president-PA,{who}\n",
                f[0], f[1], f[2], f[3]
            ));
            n += 1;
        }
    }
    std::fs::write(out, csv).unwrap();
    n
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The audit boards' web form lists the `n` ballots to read; posting a choice for one of them
/// gives the CSV row `canvass audit interpret` reads.
fn board_form(url: &str, lists: &Path, n: usize, winner: &str) {
    let agent = ureq::agent();
    let page = agent
        .get(format!("{url}/audits/match/board"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(page.contains("<form method=\"post\">") && !page.contains("<script"));
    assert!(
        page.contains(&format!("<p>{n} ballots to interpret.</p>")),
        "{page}"
    );
    let csv = std::fs::read_to_string(lists.join("Adams.csv")).unwrap();
    let f: Vec<String> = csv
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let id = format!("(('{}', '{}', '{}'), {})", f[0], f[1], f[2], f[3]);
    let body = format!("{}={}", pct(&format!("president-PA|{id}")), pct(winner));
    let got = agent
        .post(format!("{url}/audits/match/board"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send(body.as_bytes())
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let name = if winner.contains(',') || winner.contains('"') {
        format!("\"{}\"", winner.replace('"', "\"\""))
    } else {
        winner.to_owned()
    };
    assert_eq!(
        got,
        format!(
            "jurisdiction,tabulator,batch,position,contest,selections\n{},{},{},{},president-PA,{name}\n",
            f[0], f[1], f[2], f[3]
        )
    );
}

/// Runs ballot-polling rounds (estimate, draw, retrieval, interpret, measure) until the
/// audit finishes; returns the decisions of each round.
fn poll_rounds(
    data: &str,
    url: &str,
    audit: &str,
    t: &Path,
    winner: &str,
    loser: &str,
    winner_in_10: u64,
) -> Vec<String> {
    let mut decisions = Vec::new();
    for round in 1..=5 {
        let est = step(data, url, audit, &["estimate"]);
        assert_eq!(est["estimate"]["round"], round);
        let d = step(data, url, audit, &["draw"]);
        let drawn = d["draw"]["ballots"].as_u64().unwrap();
        assert!(drawn > 0);
        if round == 1 {
            assert_eq!(drawn, est["estimate"]["ballots"].as_u64().unwrap());
        }
        let out = t.join(format!("{audit}-lists"));
        let r = step(
            data,
            url,
            audit,
            &["retrieval", "--out", out.to_str().unwrap()],
        );
        assert_eq!(r["round"], round);
        let dir = out.join(format!("round-{round}"));
        // Every jurisdiction gets a CSV and a printable HTML list, sorted by batch and position.
        for (_, name) in COUNTIES {
            let html = std::fs::read_to_string(dir.join(format!("{name}.html"))).unwrap();
            assert!(html.contains("Retrieval list: ") && !html.contains("<script"));
            let csv = std::fs::read_to_string(dir.join(format!("{name}.csv"))).unwrap();
            let keys: Vec<(String, u64)> = csv
                .lines()
                .skip(1)
                .map(|l| {
                    let f: Vec<&str> = l.split(',').collect();
                    assert_eq!(f[0], name);
                    (f[2].to_owned(), f[3].parse().unwrap())
                })
                .collect();
            assert!(
                keys.windows(2).all(|w| w[0] < w[1]),
                "{name}: not sorted: {keys:?}"
            );
        }
        let file = t.join(format!("{audit}-round-{round}.csv"));
        let n = interpretations(&dir, &file, winner, loser, winner_in_10);
        if audit == "match" && round == 1 {
            board_form(url, &dir, n, winner);
        }
        if n > 0 {
            let i = step(
                data,
                url,
                audit,
                &[
                    "interpret",
                    "--board",
                    "Board 1",
                    "--file",
                    file.to_str().unwrap(),
                ],
            );
            assert_eq!(i["not_yet_interpreted"], 0, "{i}");
        }
        let m = step(data, url, audit, &["measure"]);
        let c = &m["measurement"]["contests"][0];
        decisions.push(c["decision"].as_str().unwrap().to_owned());
        if c["decision"] != "next-round" {
            break;
        }
    }
    decisions
}

/// The vote a county's cast vote record shows at `position` of a batch of 250: the winner at
/// p mod 10 < 6 (150), no vote at 6, 16, 26, 36 and 46 (5), the loser elsewhere (95); 600,
/// 380 and 20 per county of four batches, as reported.
fn cvr_vote(position: u64, winner: &str, loser: &str) -> String {
    if position % 10 < 6 {
        winner.to_owned()
    } else if position % 10 == 6 && position < 50 {
        String::new()
    } else {
        loser.to_owned()
    }
}

/// A ballot-comparison audit of president-PA: start, manifests, every county's CVRs, one
/// round read exactly as the CVRs; returns the measurement's contest.
fn comparison_audit(
    data: &str,
    url: &str,
    t: &Path,
    manifests: &[(&str, std::path::PathBuf)],
) -> serde_json::Value {
    let s = step(
        data,
        url,
        "cvr",
        &[
            "start",
            "--seed",
            SEED,
            "--contest",
            "president-PA:comparison",
        ],
    );
    let tally = &s["record"]["step"]["start"]["contests"][0]["tally"];
    let (w, l) = (
        tally[0][0].as_str().unwrap().to_owned(),
        tally[1][0].as_str().unwrap().to_owned(),
    );
    for (name, m) in manifests {
        step(
            data,
            url,
            "cvr",
            &["manifest", "--jurisdiction", name, m.to_str().unwrap()],
        );
        let mut csv = String::from("jurisdiction,tabulator,batch,position,contest,selections\n");
        for b in 1..=4 {
            for p in 1..=250 {
                csv.push_str(&format!(
                    "{name},TAB1,Batch {b:03},{p},president-PA,{}\n",
                    cvr_vote(p, &w, &l)
                ));
            }
        }
        let f = t.join(format!("cvr-{name}.csv"));
        std::fs::write(&f, csv).unwrap();
        let r = step(
            data,
            url,
            "cvr",
            &["cvr", "--jurisdiction", name, f.to_str().unwrap()],
        );
        assert_eq!(r["ballots"], 1000);
    }
    let est = step(data, url, "cvr", &["estimate"]);
    assert_eq!(est["estimate"]["contests"][0]["p90"], 22);
    step(data, url, "cvr", &["draw"]);
    let out = t.join("cvr-lists");
    step(
        data,
        url,
        "cvr",
        &["retrieval", "--out", out.to_str().unwrap()],
    );
    let mut csv = String::from("jurisdiction,tabulator,batch,position,contest,selections\n");
    for e in std::fs::read_dir(out.join("round-1")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|x| x.to_str()) != Some("csv") {
            continue;
        }
        for line in std::fs::read_to_string(&p).unwrap().lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let vote = cvr_vote(f[3].parse().unwrap(), &w, &l);
            csv.push_str(&format!(
                "{},{},{},{},president-PA,{vote}\n",
                f[0], f[1], f[2], f[3]
            ));
        }
    }
    let file = t.join("cvr-round-1.csv");
    std::fs::write(&file, csv).unwrap();
    step(
        data,
        url,
        "cvr",
        &[
            "interpret",
            "--board",
            "Board C",
            "--file",
            file.to_str().unwrap(),
        ],
    );
    let m = step(data, url, "cvr", &["measure"]);
    m["measurement"]["contests"][0].clone()
}

#[test]
fn audits_through_the_server_and_recomputed_from_the_log() {
    let t = tmpdir("e2e");
    let data_dir = t.join("data");
    let data = data_dir.to_str().unwrap();
    ok(canvass(&[
        "keys",
        "init",
        "--data",
        data,
        "--election",
        "us-2020",
        "--seed",
        "9",
        "--json",
    ]));
    let (server, url) = serve(data, &[]);

    // Four counties, 1,000 ballots each: 600 Biden, 380 Trump.
    let mut manifests = Vec::new();
    for (fips, name) in COUNTIES {
        let csv = t.join(format!("{fips}.csv"));
        std::fs::write(
            &csv,
            format!(
                "precinct,portion,counting_group,contest,selection,line,votes\n\
                 {fips},,,president-PA,@ballots,,1000\n\
                 {fips},,,president-PA,biden-harris,,600\n\
                 {fips},,,president-PA,trump-pence,,380\n"
            ),
        )
        .unwrap();
        let key = data_dir.join(format!("keys/jurisdictions/{fips}.key"));
        let s = ok(canvass(&[
            "submit",
            "--server",
            &url,
            "--json",
            "--key",
            key.to_str().unwrap(),
            "--sequence",
            "1",
            csv.to_str().unwrap(),
        ]));
        assert_eq!(s["status"], "accepted");
        // Its ballot manifest: four batches of 250.
        let m = t.join(format!("manifest-{fips}.csv"));
        let rows: String = (1..=4)
            .map(|b| format!("{name},TAB1,Batch {b:03},250\n"))
            .collect();
        std::fs::write(&m, format!("jurisdiction,tabulator,batch,ballots\n{rows}")).unwrap();
        manifests.push((name, m));
    }

    // 1. A seed of 19 digits is refused (not a dice roll of at least 20).
    let short = canvass(&[
        "audit",
        "start",
        "--data",
        data,
        "--server",
        &url,
        "--audit",
        "bad",
        "--seed",
        "1234567890123456789",
        "--contest",
        "president-PA",
    ]);
    assert_eq!(short.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&short.stderr).contains("20"));

    // 2. Ballot polling, readings match the reported outcome (60-40 on paper vs 61-39 reported).
    let audits = [("match", 3, 6), ("contradict", 2, 4)];
    let mut names = (String::new(), String::new());
    for (audit, max_rounds, _) in audits {
        let s = step(
            data,
            &url,
            audit,
            &[
                "start",
                "--seed",
                SEED,
                "--risk-limit",
                "0.10",
                "--max-rounds",
                &max_rounds.to_string(),
                "--contest",
                "president-PA",
            ],
        );
        let contest = &s["record"]["step"]["start"]["contests"][0];
        assert_eq!(contest["ballots"], 4000);
        assert_eq!(contest["winners"], 1);
        // The reported tally is the published results'.
        let tally = &contest["tally"];
        let (w, l) = (
            tally[0][0].as_str().unwrap().to_owned(),
            tally[1][0].as_str().unwrap().to_owned(),
        );
        assert_eq!((votes_of(tally, &w), votes_of(tally, &l)), (2400, 1520));
        names = (w, l);
        for (name, m) in &manifests {
            let r = step(
                data,
                &url,
                audit,
                &["manifest", "--jurisdiction", name, m.to_str().unwrap()],
            );
            assert_eq!(
                (r["batches"].as_u64(), r["ballots"].as_u64()),
                (Some(4), Some(1000))
            );
        }
    }
    // A contest of 4,000 ballots with a 22% diluted margin: BRAVO's 90% size is small.
    let d1 = poll_rounds(data, &url, "match", &t, &names.0, &names.1, 6);
    assert_eq!(d1.last().map(String::as_str), Some("confirmed"), "{d1:?}");
    assert!(d1.len() <= 3);

    // 3. The paper shows the reported loser ahead 60-40: never confirmed; full hand count after
    //    the last allowed round.
    let d2 = poll_rounds(data, &url, "contradict", &t, &names.0, &names.1, 4);
    assert_eq!(d2, ["next-round", "full-hand-count"]);
    let status = step(data, &url, "contradict", &["status"]);
    assert_eq!(status["contests"][0]["status"], "full-hand-count");
    assert_eq!(status["finished"], true);
    // Nothing more is accepted for a finished audit except late readings.
    let late = canvass(&[
        "audit",
        "draw",
        "--data",
        data,
        "--server",
        &url,
        "--audit",
        "contradict",
        "--ballots",
        "5",
    ]);
    assert_eq!(late.status.code(), Some(1));

    // 4. Batch comparison over the four county totals, hand counts equal to the reported ones:
    //    V = 2400 - 1520 = 880, u_p = (220 + 1000) / 880, U = 4 * 1220 / 880 = 5.545...,
    //    n = ceil(ln 0.1 / ln(1 - 1/U)) = ceil(11.58) = 12 batch draws, p = (1 - 1/U)^12 = 0.091978.
    let s = step(
        data,
        &url,
        "macro",
        &["start", "--seed", SEED, "--contest", "president-PA:macro"],
    );
    let batches = s["record"]["step"]["start"]["contests"][0]["batches"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(batches.len(), 4);
    let est = step(data, &url, "macro", &["estimate"]);
    assert_eq!(est["estimate"]["contests"][0]["p90"], 12);
    let d = step(data, &url, "macro", &["draw"]);
    assert_eq!(d["draw"]["batches"][0]["draws"], 12);
    let counts = t.join("counts.csv");
    let mut csv = String::from("batch,selection,votes\n");
    let tally = &s["record"]["step"]["start"]["contests"][0]["tally"];
    for b in &batches {
        for (k, sel) in tally.as_array().unwrap().iter().enumerate() {
            // Names may hold quotes (Jeremy "Spike" Cohen): RFC 4180 quoting.
            let name = sel[0].as_str().unwrap().replace('"', "\"\"");
            csv.push_str(&format!(
                "{},\"{name}\",{}\n",
                b["batch"].as_str().unwrap(),
                b["votes"][k]
            ));
        }
    }
    std::fs::write(&counts, csv).unwrap();
    // Only drawn batches may be counted; with 12 draws over 4 batches all four are (almost
    // surely; the draw is fixed by the seed) drawn.
    step(
        data,
        &url,
        "macro",
        &[
            "batch-count",
            "--contest",
            "president-PA",
            "--board",
            "Hand count 1",
            "--file",
            counts.to_str().unwrap(),
        ],
    );
    let m = step(data, &url, "macro", &["measure"]);
    let c = &m["measurement"]["contests"][0];
    assert_eq!(
        (c["decision"].as_str(), c["p_value"].as_str()),
        (Some("confirmed"), Some("0.091978"))
    );

    // 5. Ballot comparison with the counties' cast vote records, readings equal to them:
    //    mu = 880 / 4000 = 0.22, n = ceil(-2 gamma ln 0.1 / mu) = ceil(21.75) = 22 with
    //    gamma = 1.03905, p = (1 - mu / (2 gamma))^22 = 0.085282.
    let cmp = comparison_audit(data, &url, &t, &manifests);
    assert_eq!(
        (cmp["sampled"].as_u64(), cmp["p_value"].as_str()),
        (Some(22), Some("0.085282"))
    );
    assert_eq!(cmp["decision"], "confirmed");

    // 6. The report: HTML with one inline SVG plot per contest and no scripts, and CSV.
    let rep = t.join("report");
    step(
        data,
        &url,
        "match",
        &["report", "--out", rep.to_str().unwrap()],
    );
    let html = std::fs::read_to_string(rep.join("report.html")).unwrap();
    assert!(
        html.contains("<svg") && html.contains("confirmed in round") && !html.contains("<script")
    );
    let csv = std::fs::read_to_string(rep.join("report.csv")).unwrap();
    assert!(csv.lines().last().unwrap().contains(",confirmed,"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + d1.len());

    // 7. The server's view; then stop it and recompute everything from the log directly.
    let agent = ureq::agent();
    let get = |path: &str| {
        agent
            .get(format!("{url}{path}"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    };
    let listed: Vec<String> = serde_json::from_str(&get("/api/audits")).unwrap();
    assert_eq!(listed, ["contradict", "cvr", "macro", "match"]);
    let view: serde_json::Value = serde_json::from_str(&get("/api/audits/match")).unwrap();
    let indices: Vec<u64> = view["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["log_index"].as_u64().unwrap())
        .collect();
    let list = get("/api/audits/match/rounds/1/retrieval/Adams?format=html");
    assert!(list.contains("Retrieval list: Adams"));
    drop(server);

    let direct = ok(canvass(&[
        "audit", "status", "--data", data, "--audit", "match", "--json",
    ]));
    assert_eq!(direct["contests"][0]["status"], "confirmed");
    assert_eq!(direct["records"].as_u64().unwrap() as usize, indices.len());
    // The log holds each step as one signed canvass-audit/v1 entry at those indices: the
    // start, four manifests, and per round an estimate, a draw, interpretations, a measurement.
    let steps: Vec<String> = view["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["record"]["step"]
                .as_object()
                .unwrap()
                .keys()
                .next()
                .unwrap()
                .clone()
        })
        .collect();
    assert_eq!(
        &steps[..5],
        ["start", "manifest", "manifest", "manifest", "manifest"]
    );
    for kind in ["estimate", "draw", "interpret", "measure"] {
        assert_eq!(
            steps.iter().filter(|s| *s == kind).count(),
            d1.len(),
            "{kind}: {steps:?}"
        );
    }
    let app = canvass_server::App::open(
        &data_dir,
        canvass_server::io::load_election("us-2020").unwrap(),
    )
    .unwrap();
    let authority = app.roster_state().authority().clone();
    for (r, &i) in view["records"].as_array().unwrap().iter().zip(&indices) {
        let entry = app.log().entry(i).unwrap();
        assert!(canvass_server::audit::is_audit_entry(&entry));
        let opened = canvass_server::audit::open(&entry, &authority).unwrap();
        assert_eq!(serde_json::to_value(&opened).unwrap(), r["record"]);
    }
    // Recomputing from the log alone gives every audit, with the same decisions.
    let all = canvass_server::audit::load(app.log(), &authority).unwrap();
    assert_eq!(all.ledger.audits.len(), 4);
    assert_eq!(all.indices["match"], indices);
    for st in all.ledger.audits.values() {
        assert_eq!(
            canvass_audit::workflow::recompute(&st.records).unwrap(),
            *st
        );
        assert!(st.finished());
    }
    drop(app);
    // canvass verify recomputes the four audits from the log too, and finds nothing.
    let v = canvass(&["verify", data, "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    let logged: usize = all.indices.values().map(Vec::len).sum();
    assert_eq!(
        report["counts"]["audit_records"].as_u64(),
        Some(logged as u64)
    );
    let _ = std::fs::remove_dir_all(&t);
}
