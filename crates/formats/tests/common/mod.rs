//! Shared test helpers: load an RCTab case and count its first round by hand-written rules.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use canvass_formats::{SourceSpec, read_source_to_vec};
use canvass_model::{CastVoteRecord, Choice, CvrMark};

/// One RCTab case copied under tests/data/rctab/<name>/.
pub struct Case {
    pub dir: PathBuf,
    pub config: serde_json::Value,
    pub name: String,
}

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

pub fn case(name: &str) -> Case {
    let dir = data_dir().join("rctab").join(name);
    let text = std::fs::read_to_string(dir.join(format!("{name}_config.json"))).unwrap();
    Case {
        dir,
        config: serde_json::from_str(&text).unwrap(),
        name: name.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OvervoteRule {
    /// exhaustImmediately, and exhaustIfMultipleContinuing in round 1 (every candidate continues).
    Exhaust,
    /// alwaysSkipToNextRank.
    SkipToNext,
}

#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub overvote: OvervoteRule,
    /// maxSkippedRanksAllowed; None = unlimited.
    pub max_skipped: Option<u32>,
    /// maxRankingsAllowed; None = max.
    pub max_rankings: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstRound {
    Candidate(String),
    UndeclaredWriteIn,
    Overvote,
    Skipped,
    NoRankings,
}

/// Round 1 of one ballot's contest, by RCTab's rules (written out here, from the RCTab
/// config documentation): ranks in order; undervote markers and empty ranks are gaps; a
/// first ranking after more than `max_skipped` gaps exhausts the ballot ("skippedRankings");
/// two different choices, or an overvote marker, at one rank are an overvote.
pub fn first_round(marks: &[CvrMark], rules: Rules) -> FirstRound {
    let mut by_rank: BTreeMap<u32, Vec<&Choice>> = BTreeMap::new();
    for m in marks {
        if rules.max_rankings.is_some_and(|mx| m.rank > mx) {
            continue;
        }
        if m.choice != Choice::Undervote {
            by_rank.entry(m.rank).or_default().push(&m.choice);
        }
    }
    let mut last = 0u32;
    for (rank, mut choices) in by_rank {
        if rules.max_skipped.is_some_and(|mx| rank - last - 1 > mx) {
            return FirstRound::Skipped;
        }
        choices.sort();
        choices.dedup();
        if choices.len() > 1 || choices[0] == &Choice::Overvote {
            match rules.overvote {
                OvervoteRule::Exhaust => return FirstRound::Overvote,
                OvervoteRule::SkipToNext => {
                    last = rank;
                    continue;
                }
            }
        }
        return match choices[0] {
            Choice::Candidate(c) => FirstRound::Candidate(c.clone()),
            Choice::UndeclaredWriteIn => FirstRound::UndeclaredWriteIn,
            _ => unreachable!(),
        };
    }
    FirstRound::NoRankings
}

impl Case {
    pub fn rules(&self) -> Rules {
        let r = &self.config["rules"];
        let num = |k: &str| {
            r[k].as_str()
                .and_then(|s| s.parse::<u32>().ok())
                .or(r[k].as_u64().map(|n| n as u32))
        };
        Rules {
            overvote: match r["overvoteRule"].as_str().unwrap() {
                "alwaysSkipToNextRank" => OvervoteRule::SkipToNext,
                _ => OvervoteRule::Exhaust,
            },
            max_skipped: num("maxSkippedRanksAllowed"),
            max_rankings: num("maxRankingsAllowed"),
        }
    }

    pub fn specs(&self) -> Vec<SourceSpec> {
        self.config["cvrFileSources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| SourceSpec::from_rctab(e, &self.dir).unwrap())
            .collect()
    }

    pub fn read_all(&self) -> Vec<CastVoteRecord> {
        self.specs()
            .iter()
            .flat_map(|s| read_source_to_vec(s).unwrap())
            .collect()
    }

    /// Candidate names by name and by alias.
    pub fn names(&self) -> HashMap<String, String> {
        let mut m = HashMap::new();
        for c in self.config["candidates"].as_array().unwrap() {
            let name = c["name"].as_str().unwrap().to_string();
            for a in c["aliases"].as_array().into_iter().flatten() {
                m.insert(a.as_str().unwrap().to_string(), name.clone());
            }
            m.insert(name.clone(), name);
        }
        m
    }

    pub fn expected_round1(&self) -> serde_json::Value {
        let p = self
            .dir
            .join(format!("{}_expected_detailed_report.json", self.name));
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        v["results"][0].clone()
    }

    /// Checks round 1 of the expected report against a count of `records`.
    pub fn check_round1(&self, records: &[CastVoteRecord]) {
        let rules = self.rules();
        let names = self.names();
        let mut tally: BTreeMap<String, u64> = BTreeMap::new();
        let (mut overvotes, mut skipped) = (0u64, 0u64);
        let mut counted = 0;
        for r in records {
            for c in &r.contests {
                counted += 1;
                match first_round(&c.marks, rules) {
                    FirstRound::Candidate(n) => {
                        let name = names.get(&n).cloned().unwrap_or(n);
                        *tally.entry(name).or_default() += 1;
                    }
                    FirstRound::UndeclaredWriteIn => {
                        *tally.entry("Undeclared Write-ins".into()).or_default() += 1
                    }
                    FirstRound::Overvote => overvotes += 1,
                    FirstRound::Skipped => skipped += 1,
                    FirstRound::NoRankings => {}
                }
            }
        }
        assert!(counted > 0, "{}: no contests read", self.name);
        let exp = self.expected_round1();
        let mut expected: BTreeMap<String, u64> = BTreeMap::new();
        for (k, v) in exp["tally"].as_object().unwrap() {
            let n: u64 = v.as_str().unwrap().parse().unwrap();
            if n > 0 {
                expected.insert(k.clone(), n);
            }
        }
        assert_eq!(tally, expected, "{}: round 1 tally", self.name);
        let inactive = &exp["inactiveBallots"];
        assert_eq!(
            overvotes.to_string(),
            inactive["overvotes"].as_str().unwrap(),
            "{}: overvotes",
            self.name
        );
        assert_eq!(
            skipped.to_string(),
            inactive["skippedRankings"].as_str().unwrap(),
            "{}: skipped",
            self.name
        );
    }
}
