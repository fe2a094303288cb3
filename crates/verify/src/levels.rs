//! Every contest at every level (docs/http-api.md, `GET /api/contests/{id}`): the contest's
//! totals per state, county, congressional district and reporting unit, recomputed with
//! [`canvass_tally::contest_detail`] from the submissions before the snapshot the published
//! document claims to be, and compared byte for byte; where they differ, value by value.
//!
//! ```text
//! {"id":"president-PA", ..., "states":[{"id":"PA","totals":{...},"ballots":..,"overvotes":..,"undervotes":..}],
//!  "counties":[{"id":"42001",...}], "districts":[{"id":"PA-13",...}], "precincts":[{"id":"42001",...}]}
//! ```
//!
//! Each level that covers the whole contest (states, counties, reporting units) must also sum
//! to the contest's totals.

use std::collections::HashMap;

use canvass_tally::{ReportOptions, Tabulator, contest_detail};
use serde_json::Value;

use crate::report::{Check, Finding};

/// One contest's published document at every level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContestDoc {
    /// The contest id.
    pub id: String,
    /// The published bytes; `None` when the source does not publish this contest.
    pub body: Option<Vec<u8>>,
    /// The snapshot entry the document claims to be (`X-Canvass-Log-Index`); `None` when the
    /// source does not say (it is then compared with the results of the whole log).
    pub log_index: Option<u64>,
}

/// The area lists of a contest document: JSON key and the level's name.
pub const LEVELS: [(&str, &str); 4] = [
    ("states", "state"),
    ("counties", "county"),
    ("districts", "district"),
    ("precincts", "precinct"),
];

/// Most findings reported for one contest document.
const MAX_PER_CONTEST: usize = 50;

/// Where each reporting unit and jurisdiction was last reported in the log, to name the log
/// entry behind a differing figure.
#[derive(Debug, Default, Clone)]
pub struct Reported {
    /// Precinct (or county reported whole) id → log index of its last report.
    pub unit: HashMap<String, u64>,
    /// Jurisdiction id → log index of its last submission.
    pub jurisdiction: HashMap<String, u64>,
}

impl Reported {
    fn last(&self, level: &str, id: &str) -> Option<u64> {
        match level {
            "precinct" => self
                .unit
                .get(id)
                .or_else(|| self.jurisdiction.get(id))
                .copied(),
            "county" => self.jurisdiction.get(id).copied(),
            _ => None,
        }
    }
}

/// What a level check did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LevelCounts {
    /// Contest documents recomputed.
    pub contests: u64,
    /// Area results (states, counties, districts, units) recomputed.
    pub areas: u64,
}

/// The canonical detail JSON of contest `id` (what `GET /api/contests/{id}` serves), or
/// `None` for an unknown contest.
pub fn detail_json(tab: &Tabulator, id: &str) -> Option<String> {
    let c = contest_detail(tab, id, ReportOptions::default().complete)?;
    // Serializing a contest result (strings, integers, ordered maps) cannot fail.
    Some(serde_json::to_string(&c).unwrap_or_default())
}

/// Compares each published document with the recomputed one, on `threads` threads. `at` is
/// the snapshot entry the documents claim (for findings); `None` bodies are findings.
pub fn check(
    tab: &Tabulator,
    docs: &[ContestDoc],
    at: Option<u64>,
    reported: &Reported,
    threads: usize,
) -> (Vec<Finding>, LevelCounts) {
    let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    let mut out = parallel(tab, &ids, threads, |i, recomputed| {
        let d = &docs[i];
        match (recomputed, &d.body) {
            (None, _) => vec![located(
                Finding::new(
                    Check::Levels,
                    "the source publishes a contest the election does not have",
                ),
                at,
                &d.id,
            )],
            (Some(_), None) => vec![located(
                Finding::new(
                    Check::Levels,
                    format!(
                        "the contest's results at every level (api/contests/{}) are not published",
                        d.id
                    ),
                ),
                at,
                &d.id,
            )],
            (Some(r), Some(p)) => compare(p, r, at, reported),
        }
    });
    for f in &mut out.0 {
        f.code.get_or_insert_with(|| "levels-differ".into());
    }
    out
}

/// Recomputes every contest at every level (a source that publishes none): only the sums
/// of each level are checked.
pub fn recompute_all(tab: &Tabulator, threads: usize) -> (Vec<Finding>, LevelCounts) {
    let ids: Vec<&str> = tab
        .election()
        .contests
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    parallel(tab, &ids, threads, |_, _| Vec::new())
}

/// Recomputes `ids` on `threads` threads, checks each level's sums, and calls `each` with
/// the index in `ids` and the recomputed JSON.
fn parallel(
    tab: &Tabulator,
    ids: &[&str],
    threads: usize,
    each: impl Fn(usize, Option<&str>) -> Vec<Finding> + Sync,
) -> (Vec<Finding>, LevelCounts) {
    let threads = threads.clamp(1, 8);
    let chunk = ids.len().div_ceil(threads).max(1);
    let parts: Vec<(Vec<Finding>, LevelCounts)> = std::thread::scope(|s| {
        let handles: Vec<_> = ids
            .chunks(chunk)
            .enumerate()
            .map(|(n, part)| {
                let each = &each;
                s.spawn(move || {
                    let mut findings = Vec::new();
                    let mut counts = LevelCounts::default();
                    for (k, id) in part.iter().enumerate() {
                        let json = detail_json(tab, id);
                        if let Some(j) = &json {
                            counts.contests += 1;
                            let v: Value = serde_json::from_str(j).unwrap_or_default();
                            counts.areas += sums(&v, &mut findings);
                        }
                        findings.extend(each(n * chunk + k, json.as_deref()));
                    }
                    (findings, counts)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut findings = Vec::new();
    let mut counts = LevelCounts::default();
    for (f, c) in parts {
        findings.extend(f);
        counts.contests += c.contests;
        counts.areas += c.areas;
    }
    (findings, counts)
}

/// Checks that the states, counties and reporting units of a recomputed contest each sum to
/// its totals and ballots; returns the number of areas.
fn sums(contest: &Value, findings: &mut Vec<Finding>) -> u64 {
    let id = contest["id"].as_str().unwrap_or_default();
    let mut areas = 0;
    for (key, level) in LEVELS {
        let Some(list) = contest[key].as_array() else {
            continue;
        };
        areas += list.len() as u64;
        if key == "districts" {
            // Only the units in known congressional districts are in a district.
            continue;
        }
        let mut ballots = 0u64;
        let mut totals: HashMap<&str, u64> = HashMap::new();
        for a in list {
            ballots += a["ballots"].as_u64().unwrap_or(0);
            for (name, v) in a["totals"].as_object().into_iter().flatten() {
                *totals.entry(name).or_default() += v.as_u64().unwrap_or(0);
            }
        }
        let want_ballots = contest["ballots"].as_u64().unwrap_or(0);
        let mut bad = ballots != want_ballots;
        for (name, v) in contest["totals"].as_object().into_iter().flatten() {
            bad |= totals.get(name.as_str()).copied().unwrap_or(0) != v.as_u64().unwrap_or(0);
        }
        if bad {
            let mut f = Finding::new(
                Check::Levels,
                format!(
                    "the recomputed {key} do not add up to the contest's totals (a tabulation fault: please report it)"
                ),
            )
            .values(ballots.to_string(), want_ballots.to_string())
            .code("level-sums");
            f.contest = Some(id.to_owned());
            f.level = Some(level.to_owned());
            findings.push(f);
        }
    }
    areas
}

fn located(mut f: Finding, at: Option<u64>, contest: &str) -> Finding {
    f.log_index = at;
    f.contest = Some(contest.to_owned());
    f
}

/// Compares one published contest document with the recomputed JSON: nothing when the bytes
/// are equal; otherwise a finding per differing value, naming the level, the unit, the
/// field (each selection of `totals` separately) and, for a county or reporting unit, the log
/// entry that last reported it.
pub fn compare(
    published: &[u8],
    recomputed: &str,
    at: Option<u64>,
    reported: &Reported,
) -> Vec<Finding> {
    if published == recomputed.as_bytes() {
        return Vec::new();
    }
    let Ok(r) = serde_json::from_str::<Value>(recomputed) else {
        return Vec::new();
    };
    let id = r["id"].as_str().unwrap_or_default().to_owned();
    let Ok(p) = serde_json::from_slice::<Value>(published) else {
        return vec![located(
            Finding::new(
                Check::Levels,
                "the published contest document is not valid JSON",
            ),
            at,
            &id,
        )];
    };
    let mut out = Vec::new();
    let top = |v: &Value| -> Value {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            for (k, _) in LEVELS {
                o.remove(k);
            }
        }
        v
    };
    let contest_level = crate::results::level_of(&r);
    crate::results::diff_contest(&top(&p), &top(&r), &mut |field, pv, rv| {
        let mut f = located(
            Finding::new(Check::Levels, format!("{field} differs")),
            at,
            &id,
        )
        .values(short(pv), short(rv));
        f.level = Some(contest_level.clone());
        out.push(f);
    });
    for (key, level) in LEVELS {
        areas(&p[key], &r[key], level, &mut |unit, msg, values| {
            let mut msg = msg;
            if let Some(i) = reported.last(level, unit) {
                msg.push_str(&format!(" ({level} {unit} last reported in log entry {i})"));
            }
            let mut f = located(Finding::new(Check::Levels, msg), at, &id);
            if let Some((pv, rv)) = values {
                f = f.values(pv, rv);
            }
            f.level = Some(level.to_owned());
            f.unit = Some(unit.to_owned());
            out.push(f);
        });
    }
    if out.is_empty() {
        out.push(located(
            Finding::new(
                Check::Levels,
                "the published bytes differ from the canonical contest document, though every value is equal (field order, spacing or escapes)",
            ),
            at,
            &id,
        ));
    }
    out.truncate(MAX_PER_CONTEST);
    out
}

type Report<'a> = dyn FnMut(&str, String, Option<(String, String)>) + 'a;

/// Compares one level's area lists by id.
fn areas(p: &Value, r: &Value, level: &str, report: &mut Report<'_>) {
    let by_id = |v: &Value| -> HashMap<String, Value> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| (x["id"].as_str().unwrap_or_default().to_owned(), x.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let pm = by_id(p);
    let rm = by_id(r);
    for ra in r.as_array().map_or(&[][..], Vec::as_slice) {
        let unit = ra["id"].as_str().unwrap_or_default();
        let Some(pa) = pm.get(unit) else {
            report(
                unit,
                format!("the {level} is missing from the published document"),
                None,
            );
            continue;
        };
        crate::results::diff_contest(pa, ra, &mut |field, pv, rv| {
            report(
                unit,
                format!("{field} differs"),
                Some((short(pv), short(rv))),
            );
        });
    }
    let mut extra: Vec<&String> = pm.keys().filter(|k| !rm.contains_key(*k)).collect();
    extra.sort();
    for unit in extra {
        report(
            unit,
            format!("the published document has a {level} the recomputed results do not"),
            None,
        );
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 200 {
        let mut cut = 200;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &s[..cut])
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: &str = r#"{"id":"president-PA","state":"PA","district":null,"totals":{"A":600,"B":380},"ballots":1000,"counties":[{"id":"42001","totals":{"A":60,"B":38},"ballots":100,"overvotes":0,"undervotes":2},{"id":"42003","totals":{"A":540,"B":342},"ballots":900,"overvotes":0,"undervotes":18}]}"#;

    #[test]
    fn a_changed_county_figure_is_located() {
        let p = R.replacen(r#""A":60,"B":38"#, r#""A":66,"B":38"#, 1);
        let mut rep = Reported::default();
        rep.jurisdiction.insert("42001".into(), 12);
        let f = compare(p.as_bytes(), R, Some(40), &rep);
        assert_eq!(f.len(), 1, "{f:#?}");
        let f = &f[0];
        assert_eq!(f.contest.as_deref(), Some("president-PA"));
        assert_eq!(f.level.as_deref(), Some("county"));
        assert_eq!(f.unit.as_deref(), Some("42001"));
        assert_eq!(
            (f.published.as_deref(), f.recomputed.as_deref()),
            (Some("66"), Some("60"))
        );
        assert_eq!(f.log_index, Some(40));
        assert!(f.message.contains("totals[\"A\"]"), "{}", f.message);
        assert!(
            f.message.contains("last reported in log entry 12"),
            "{}",
            f.message
        );
        assert!(compare(R.as_bytes(), R, None, &rep).is_empty());
    }

    #[test]
    fn a_missing_and_an_extra_county_are_both_findings() {
        let p = R.replacen("\"42003\"", "\"42005\"", 1);
        let f = compare(p.as_bytes(), R, None, &Reported::default());
        let msgs: Vec<(&str, &str)> = f
            .iter()
            .map(|f| (f.unit.as_deref().unwrap_or(""), f.message.as_str()))
            .collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert_eq!(msgs[0].0, "42003");
        assert!(msgs[0].1.contains("missing"));
        assert_eq!(msgs[1].0, "42005");
        assert!(msgs[1].1.contains("do not"));
    }

    #[test]
    fn sums_catch_a_level_that_does_not_add_up() {
        // 60 + 540 = 600 and 38 + 342 = 380, ballots 100 + 900 = 1000: fine.
        let v: Value = serde_json::from_str(R).unwrap();
        let mut f = Vec::new();
        assert_eq!(sums(&v, &mut f), 2);
        assert!(f.is_empty(), "{f:?}");
        let bad: Value =
            serde_json::from_str(&R.replacen("\"ballots\":900", "\"ballots\":901", 1)).unwrap();
        sums(&bad, &mut f);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].published.as_deref(), f[0].recomputed.as_deref()),
            (Some("1001"), Some("1000"))
        );
    }
}
