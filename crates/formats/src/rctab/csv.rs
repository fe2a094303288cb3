//! `summary.csv`: the detailed report in RCTab's spreadsheet layout (contest information,
//! contest summary, then one row per candidate with votes, `% of vote` and `transfer` per
//! round, then active, threshold and inactive rows).
//!
//! Details RCTab's writer has and this one copies: candidates are listed by first-round
//! votes, most first, ties in the iteration order of Java's `HashMap` of round-one tallies;
//! `% of vote` is `votes / active` at 7 significant digits, truncated to hundredths of a
//! percent and printed as a Java `double`; a name decided by a tie-break gets a `*`, and a
//! footnote explains it. Cells are quoted as Apache Commons CSV's minimal policy quotes them.

use std::fmt::Write as _;

use super::report::DetailedReport;

/// A parsed decimal figure: `mantissa × 10^-scale`, as the report's text gives it.
#[derive(Clone, Copy)]
struct Dec {
    mantissa: i128,
    scale: u32,
}

fn parse(text: &str) -> Dec {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut mantissa: i128 = 0;
    for ch in whole.chars().chain(frac.chars()) {
        mantissa = mantissa
            .saturating_mul(10)
            .saturating_add(i128::from(ch.to_digit(10).unwrap_or(0)));
    }
    let scale = u32::try_from(frac.len()).unwrap_or(0);
    Dec {
        mantissa: if negative { -mantissa } else { mantissa },
        scale,
    }
}

fn align(a: Dec, b: Dec) -> (i128, i128, u32) {
    let scale = a.scale.max(b.scale);
    let up = |d: Dec| {
        d.mantissa
            .saturating_mul(10i128.saturating_pow(scale - d.scale))
    };
    (up(a), up(b), scale)
}

/// `b - a` as `BigDecimal.subtract` prints it.
fn difference(a: &str, b: &str) -> String {
    let (x, y, scale) = align(parse(a), parse(b));
    plain(y - x, scale)
}

fn plain(mantissa: i128, scale: u32) -> String {
    let digits = mantissa.unsigned_abs().to_string();
    let sign = if mantissa < 0 { "-" } else { "" };
    let scale = scale as usize;
    if scale == 0 {
        format!("{sign}{digits}")
    } else if digits.len() > scale {
        let (w, f) = digits.split_at(digits.len() - scale);
        format!("{sign}{w}.{f}")
    } else {
        format!("{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
    }
}

/// RCTab's `% of vote`: `votes.divide(active, DECIMAL32)`, times 10^4, truncated, / 100.0.
fn percent(votes: &str, active: &str) -> String {
    let (v, a, _) = align(parse(votes), parse(active));
    if a == 0 {
        return String::new();
    }
    if v == 0 {
        return "0.0%".to_string();
    }
    // Find k with 10^6 <= v·10^k / a < 10^7 (7 significant digits), rounding half-even.
    let mut k: i32 = 0;
    let scaled = |k: i32| -> (i128, i128) {
        if k >= 0 {
            (v.saturating_mul(10i128.saturating_pow(k.unsigned_abs())), a)
        } else {
            (v, a.saturating_mul(10i128.saturating_pow(k.unsigned_abs())))
        }
    };
    loop {
        let (n, d) = scaled(k);
        let q = n / d;
        if q >= 10_000_000 {
            k -= 1;
        } else if q < 1_000_000 {
            k += 1;
        } else {
            break;
        }
        if !(-40..=40).contains(&k) {
            return String::new();
        }
    }
    let (n, d) = scaled(k);
    let (mut q, r) = (n / d, n % d);
    if 2 * r > d || (2 * r == d && q % 2 == 1) {
        q += 1;
    }
    // value = q · 10^-k; times 10^4, truncated toward zero.
    let shift = 4 - k;
    let hundredths = if shift >= 0 {
        q.saturating_mul(10i128.saturating_pow(shift.unsigned_abs()))
    } else {
        q / 10i128.saturating_pow(shift.unsigned_abs())
    };
    // Java's Double.toString of hundredths / 100.0 for a whole number of hundredths.
    let whole = hundredths / 100;
    let rest = hundredths % 100;
    if rest == 0 {
        format!("{whole}.0%")
    } else if rest % 10 == 0 {
        format!("{whole}.{}%", rest / 10)
    } else {
        format!("{whole}.{rest:02}%")
    }
}

fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// Iteration order of a default `java.util.HashMap` after inserting `keys` in order.
fn java_hash_map_order(keys: &[String]) -> Vec<String> {
    let mut capacity = 16usize;
    while keys.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |k: &String| {
        let h = java_string_hash(k);
        let spread = h ^ ((h as u32) >> 16) as i32;
        (spread as u32 as usize) & (capacity - 1)
    };
    let mut ordered = keys.to_vec();
    ordered.sort_by_key(bucket);
    ordered
}

fn cell(out: &mut String, text: &str, first: bool) {
    if !first {
        out.push(',');
    }
    let needs_quotes = match (text.chars().next(), text.chars().last()) {
        (None, _) => first,
        (Some(c), Some(last)) => c <= '#' || last <= ' ' || text.contains([',', '"', '\n', '\r']),
        _ => false,
    };
    if needs_quotes {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

fn record(out: &mut String, cells: &[&str]) {
    for (i, c) in cells.iter().enumerate() {
        cell(out, c, i == 0);
    }
    out.push('\n');
}

/// The report as RCTab's `summary.csv` text.
#[must_use]
pub fn write_csv(report: &DetailedReport) -> String {
    let mut out = String::new();
    let rounds = &report.rounds;
    let n = rounds.len();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    record(&mut out, &["Contest Information"]);
    record(&mut out, &["Generated By", &report.generated_by]);
    record(&mut out, &["CSV Format Version", "1"]);
    record(
        &mut out,
        &[
            "Type of Election",
            if report.multi_winner {
                "Multi-Winner"
            } else {
                "Single-Winner"
            },
        ],
    );
    record(&mut out, &["Contest", &report.contest]);
    record(&mut out, &["Jurisdiction", &opt(&report.jurisdiction)]);
    record(&mut out, &["Office", &opt(&report.office)]);
    record(&mut out, &["Date", &opt(&report.date)]);
    record(&mut out, &["Winner(s)", &report.winners.join(", ")]);
    record(&mut out, &["Final Threshold", &report.final_threshold]);
    out.push('\n');
    record(&mut out, &["Contest Summary"]);
    let to_elect = match report.bottoms_up_percentage {
        Some(p) => format!("All candidates over the {p}% threshold"),
        None => report.number_of_winners.to_string(),
    };
    record(&mut out, &["Number to be Elected", &to_elect]);
    record(
        &mut out,
        &[
            "Number of Candidates",
            &report.number_of_candidates_counted.to_string(),
        ],
    );
    record(
        &mut out,
        &["Total Number of Ballots", &report.total_ballots.to_string()],
    );
    record(
        &mut out,
        &[
            "Number of Undervotes (No Rankings)",
            &report.undervotes.to_string(),
        ],
    );
    out.push('\n');

    let mut header = vec!["Rounds".to_string()];
    for r in 1..=n {
        header.push(format!("Round {r} Votes"));
        header.push("% of vote".into());
        header.push("transfer".into());
    }
    record(
        &mut out,
        &header.iter().map(String::as_str).collect::<Vec<_>>(),
    );

    let mut any_tie = false;
    for (label, elected) in [("Eliminated", false), ("Elected", true)] {
        let mut row = vec![label.to_string()];
        for round in rounds {
            let mut names: Vec<String> = round
                .tally_results
                .iter()
                .filter(|t| t.elected == elected)
                .map(|t| {
                    any_tie |= t.tie_broken;
                    if t.tie_broken {
                        format!("{}*", t.candidate)
                    } else {
                        t.candidate.clone()
                    }
                })
                .collect();
            names.sort();
            row.push(names.join("; "));
            row.push(String::new());
            row.push(String::new());
        }
        record(
            &mut out,
            &row.iter().map(String::as_str).collect::<Vec<_>>(),
        );
    }

    // Candidates by round-one votes, most first; ties in Java HashMap order.
    let first: Vec<String> = rounds
        .first()
        .map(|r| r.tally.iter().map(|(c, _)| c.clone()).collect())
        .unwrap_or_default();
    let mut order = java_hash_map_order(&first);
    let first_votes = |c: &String| {
        rounds
            .first()
            .and_then(|r| r.tally.iter().find(|(name, _)| name == c))
            .map(|(_, v)| parse(v))
            .map(|d| {
                align(
                    d,
                    Dec {
                        mantissa: 0,
                        scale: 20,
                    },
                )
                .0
            })
            .unwrap_or(0)
    };
    order.sort_by_key(|c| std::cmp::Reverse(first_votes(c)));
    // RCTab lists undeclared write-ins last.
    order.sort_by_key(|c| c == "Undeclared Write-ins");
    let votes_in = |round: usize, c: &str| -> String {
        rounds[round]
            .tally
            .iter()
            .find(|(name, _)| name == c)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| "0".into())
    };
    for candidate in &order {
        let mut row = vec![candidate.clone()];
        for r in 0..n {
            let votes = votes_in(r, candidate);
            // Several seats: shares of the first round's active votes, as RCTab prints them.
            let divisor = if report.percent_of_first_round {
                &rounds[0].active_ballots
            } else {
                &rounds[r].active_ballots
            };
            let pct = percent(&votes, divisor);
            let transfer = if r + 1 < n {
                difference(&votes, &votes_in(r + 1, candidate))
            } else {
                "0".into()
            };
            row.extend([votes, pct, transfer]);
        }
        record(
            &mut out,
            &row.iter().map(String::as_str).collect::<Vec<_>>(),
        );
    }

    let mut row = vec!["Active Ballots".to_string()];
    for round in rounds {
        row.extend([round.active_ballots.clone(), String::new(), String::new()]);
    }
    record(
        &mut out,
        &row.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let mut row = vec!["Current Round Threshold".to_string()];
    for round in rounds {
        row.extend([round.threshold.clone(), String::new(), String::new()]);
    }
    record(
        &mut out,
        &row.iter().map(String::as_str).collect::<Vec<_>>(),
    );

    type Pick = fn(&super::report::InactiveReport) -> &str;
    let categories: [(&str, Pick); 4] = [
        ("Overvotes", |i| &i.overvotes),
        ("Skipped Rankings", |i| &i.skipped_rankings),
        ("Exhausted Choices", |i| &i.exhausted_choices),
        ("Repeated Rankings", |i| &i.repeated_rankings),
    ];
    let total_of = |r: usize| -> String {
        let i = &rounds[r].inactive;
        let mut sum = Dec {
            mantissa: 0,
            scale: 0,
        };
        for text in [
            &i.overvotes,
            &i.skipped_rankings,
            &i.exhausted_choices,
            &i.repeated_rankings,
        ] {
            let (a, b, scale) = align(sum, parse(text));
            sum = Dec {
                mantissa: a + b,
                scale,
            };
        }
        // Final-round surplus is "locked in", not inactive.

        plain(sum.mantissa, sum.scale)
    };
    for (label, pick) in categories {
        let mut row = vec![format!("Inactive Ballots by {label}")];
        for r in 0..n {
            let this = pick(&rounds[r].inactive).to_string();
            let diff = if r + 1 < n {
                difference(&this, pick(&rounds[r + 1].inactive))
            } else {
                "0".into()
            };
            row.extend([this, String::new(), diff]);
        }
        record(
            &mut out,
            &row.iter().map(String::as_str).collect::<Vec<_>>(),
        );
    }
    let mut row = vec!["Inactive Ballots Total".to_string()];
    for r in 0..n {
        let this = total_of(r);
        let diff = if r + 1 < n {
            difference(&this, &total_of(r + 1))
        } else {
            "0".into()
        };
        row.extend([this, String::new(), diff]);
    }
    record(
        &mut out,
        &row.iter().map(String::as_str).collect::<Vec<_>>(),
    );

    if rounds
        .last()
        .is_some_and(|r| parse(&r.residual_surplus).mantissa > 0)
    {
        let mut row = vec!["Residual surplus".to_string()];
        for round in rounds {
            row.extend([round.residual_surplus.clone(), String::new(), String::new()]);
        }
        record(
            &mut out,
            &row.iter().map(String::as_str).collect::<Vec<_>>(),
        );
    }
    if report.multi_winner
        && rounds
            .iter()
            .any(|r| r.inactive.final_round_surplus.is_some())
    {
        let mut row = vec!["Final Round Surplus".to_string()];
        for round in rounds {
            let v = round
                .inactive
                .final_round_surplus
                .clone()
                // `BigDecimal.equals(ZERO)` is scale-sensitive: "0" is blank, "0.0000" is printed.
                .filter(|v| v != "0")
                .unwrap_or_default();
            row.extend([v, String::new(), String::new()]);
        }
        record(
            &mut out,
            &row.iter().map(String::as_str).collect::<Vec<_>>(),
        );
    }
    if any_tie {
        out.push('\n');
        let _ = writeln!(out, "*Tie resolved in accordance with election law");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_match_rctab() {
        // From RCTab's 2015_portland_mayor expected report: 13 of 98 is "13.26%", 10 of 98
        // "10.2%", 32 of 97 "32.98%", 0 "0.0%".
        assert_eq!(percent("13", "98"), "13.26%");
        assert_eq!(percent("10", "98"), "10.2%");
        assert_eq!(percent("32", "97"), "32.98%");
        assert_eq!(percent("0", "98"), "0.0%");
        // test_set_multi_winner_fractional_threshold: 7.2501 of 29 is "25.0%".
        assert_eq!(percent("7.2501", "29"), "25.0%");
    }

    #[test]
    fn differences_keep_scale() {
        assert_eq!(difference("7", "10.2811"), "3.2811");
        assert_eq!(difference("8", "7.2501"), "-0.7499");
        assert_eq!(difference("6.6559", "0"), "-6.6559");
    }

    #[test]
    fn hash_map_order_matches_java() {
        // Printed by OpenJDK for a HashMap filled with these Portland 2015 names.
        let names: Vec<String> = [
            "Eder, John M.",
            "Miller, Markos S.",
            "Brennan, Michael F.",
            "Vail, Christopher L.",
        ]
        .map(String::from)
        .to_vec();
        let ordered = java_hash_map_order(&names);
        let pos = |n: &str| ordered.iter().position(|x| x == n).unwrap();
        assert!(pos("Miller, Markos S.") < pos("Eder, John M."));
        assert!(pos("Brennan, Michael F.") < pos("Vail, Christopher L."));
    }
}
