//! `summary.json`: the detailed report in RCTab's JSON layout, printed the way RCTab's
//! Jackson `DefaultPrettyPrinter` prints it (two-space indent, `"key" : value`, keys in
//! sorted order, arrays inline as `[ {`, empty containers as `{ }` and `[ ]`).

use std::fmt::Write as _;

use super::report::{DetailedReport, ReportRound};

/// A JSON value with keys kept in the order given (the writer sorts object keys).
enum Json {
    Str(String),
    Int(u64),
    Obj(Vec<(String, Json)>),
    Arr(Vec<Json>),
}

fn s(text: &str) -> Json {
    Json::Str(text.to_string())
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_value(out: &mut String, value: &Json, depth: usize) {
    match value {
        Json::Str(text) => write_string(out, text),
        Json::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Json::Arr(items) if items.is_empty() => out.push_str("[ ]"),
        Json::Arr(items) => {
            out.push_str("[ ");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item, depth);
            }
            out.push_str(" ]");
        }
        Json::Obj(entries) if entries.is_empty() => out.push_str("{ }"),
        Json::Obj(entries) => {
            let mut sorted: Vec<&(String, Json)> = entries.iter().collect();
            // Java's String order compares UTF-16 code units; for text in the Basic
            // Multilingual Plane that is the same as Rust's `str` order.
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (key, item)) in sorted.iter().enumerate() {
                out.push_str(if i > 0 { ",\n" } else { "\n" });
                out.push_str(&"  ".repeat(depth + 1));
                write_string(out, key);
                out.push_str(" : ");
                write_value(out, item, depth + 1);
            }
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
            out.push('}');
        }
    }
}

fn round_json(round: &ReportRound) -> Json {
    let inactive = &round.inactive;
    let mut inactive_entries = vec![
        (
            "exhaustedChoices".to_string(),
            s(&inactive.exhausted_choices),
        ),
        ("overvotes".to_string(), s(&inactive.overvotes)),
        (
            "repeatedRankings".to_string(),
            s(&inactive.repeated_rankings),
        ),
        ("skippedRankings".to_string(), s(&inactive.skipped_rankings)),
    ];
    if let Some(surplus) = &inactive.final_round_surplus {
        inactive_entries.push(("finalRoundSurplus".to_string(), s(surplus)));
    }
    let mut results: Vec<_> = round.tally_results.iter().collect();
    results.sort_by(|a, b| a.candidate.cmp(&b.candidate));
    let results = results
        .into_iter()
        .map(|r| {
            let key = if r.elected { "elected" } else { "eliminated" };
            Json::Obj(vec![
                (key.to_string(), s(&r.candidate)),
                (
                    "transfers".to_string(),
                    Json::Obj(
                        r.transfers
                            .iter()
                            .map(|(to, v)| (to.clone(), s(v)))
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    Json::Obj(vec![
        ("inactiveBallots".to_string(), Json::Obj(inactive_entries)),
        ("round".to_string(), Json::Int(u64::from(round.round))),
        (
            "tally".to_string(),
            Json::Obj(round.tally.iter().map(|(c, v)| (c.clone(), s(v))).collect()),
        ),
        ("tallyResults".to_string(), Json::Arr(results)),
        ("threshold".to_string(), s(&round.threshold)),
    ])
}

/// The report as RCTab's detailed-report JSON text (no trailing newline, as RCTab writes it).
#[must_use]
pub fn write_json(report: &DetailedReport) -> String {
    let mut config = vec![
        ("contest".to_string(), s(&report.contest)),
        ("generatedBy".to_string(), s(&report.generated_by)),
    ];
    for (key, value) in [
        ("date", &report.date),
        ("jurisdiction", &report.jurisdiction),
        ("office", &report.office),
    ] {
        // RCTab writes these even when the config leaves them blank.
        config.push((key.to_string(), s(value.as_deref().unwrap_or(""))));
    }
    let summary = vec![
        ("finalThreshold".to_string(), s(&report.final_threshold)),
        (
            "numCandidates".to_string(),
            Json::Int(u64::from(report.number_of_candidates)),
        ),
        (
            "numWinners".to_string(),
            Json::Int(u64::from(report.number_of_winners)),
        ),
        (
            "totalNumBallots".to_string(),
            Json::Str(report.total_ballots.to_string()),
        ),
        ("undervotes".to_string(), Json::Int(report.undervotes)),
    ];
    let root = Json::Obj(vec![
        ("config".to_string(), Json::Obj(config)),
        ("jsonFormatVersion".to_string(), s("1")),
        (
            "results".to_string(),
            Json::Arr(report.rounds.iter().map(round_json).collect()),
        ),
        ("summary".to_string(), Json::Obj(summary)),
    ]);
    let mut out = String::new();
    write_value(&mut out, &root, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rctab::report::{InactiveReport, TallyResult};

    #[test]
    fn prints_like_jackson() {
        // Expected text copied from RCTab's tiebreak_seed_test expected report (round 2 and
        // summary), MPL-2.0.
        let report = DetailedReport {
            contest: "Tiebreak test".into(),
            date: Some("2017-12-03".into()),
            jurisdiction: Some("Funkytown, USA".into()),
            office: Some("Sergeant-at-Arms".into()),
            generated_by: "RCTab 2.0.0".into(),
            number_of_winners: 1,
            number_of_candidates: 3,
            number_of_candidates_counted: 3,
            bottoms_up_percentage: None,
            percent_of_first_round: false,
            total_ballots: 9,
            undervotes: 0,
            final_threshold: "4".into(),
            winners: vec!["George Gervin".into()],
            multi_winner: false,
            rounds: vec![ReportRound {
                round: 2,
                tally: vec![
                    ("Mookie Blaylock".into(), "3".into()),
                    ("George Gervin".into(), "3".into()),
                ],
                tally_results: vec![TallyResult {
                    candidate: "George Gervin".into(),
                    elected: true,
                    tie_broken: true,
                    transfers: vec![],
                }],
                threshold: "4".into(),
                inactive: InactiveReport {
                    exhausted_choices: "3".into(),
                    overvotes: "0".into(),
                    repeated_rankings: "0".into(),
                    skipped_rankings: "0".into(),
                    final_round_surplus: None,
                },
                active_ballots: "6".into(),
                residual_surplus: "0".into(),
            }],
        };
        let expected = r#"{
  "config" : {
    "contest" : "Tiebreak test",
    "date" : "2017-12-03",
    "generatedBy" : "RCTab 2.0.0",
    "jurisdiction" : "Funkytown, USA",
    "office" : "Sergeant-at-Arms"
  },
  "jsonFormatVersion" : "1",
  "results" : [ {
    "inactiveBallots" : {
      "exhaustedChoices" : "3",
      "overvotes" : "0",
      "repeatedRankings" : "0",
      "skippedRankings" : "0"
    },
    "round" : 2,
    "tally" : {
      "George Gervin" : "3",
      "Mookie Blaylock" : "3"
    },
    "tallyResults" : [ {
      "elected" : "George Gervin",
      "transfers" : { }
    } ],
    "threshold" : "4"
  } ],
  "summary" : {
    "finalThreshold" : "4",
    "numCandidates" : 3,
    "numWinners" : 1,
    "totalNumBallots" : "9",
    "undervotes" : 0
  }
}"#;
        assert_eq!(write_json(&report), expected);
    }
}
