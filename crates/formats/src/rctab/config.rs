//! The RCTab contest config (`*_config.json`), read into plain data.
//!
//! RCTab writes most numbers as strings (`"numberOfWinners" : "1"`), older files as JSON
//! numbers, and an empty string for "not set"; all three are accepted. Values are checked
//! against the documented ranges and names, so a config that RCTab would refuse is refused
//! here too, with the field named.

use std::path::Path;

use canvass_tally::rcv::{OvervoteRule, Rules, TiebreakMode, WinnerElectionMode};
use serde_json::Value;

use crate::error::{FormatError, Location, Result};
use crate::source::SourceSpec;

/// An RCTab config: what to read, who the candidates are, and how to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RctabConfig {
    /// `tabulatorVersion`.
    pub tabulator_version: String,
    /// `outputSettings`.
    pub output: OutputSettings,
    /// `cvrFileSources`, with paths resolved against the config's folder.
    pub sources: Vec<SourceSpec>,
    /// `candidates`, in config order.
    pub candidates: Vec<ConfigCandidate>,
    /// `rules`, as the tally engine's rules.
    pub rules: Rules,
    /// `rules.rulesDescription`, if set.
    pub rules_description: Option<String>,
}

/// `outputSettings`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputSettings {
    /// `contestName`.
    pub contest_name: String,
    /// `outputDirectory`, if set.
    pub output_directory: Option<String>,
    /// `contestDate`, if set.
    pub contest_date: Option<String>,
    /// `contestJurisdiction`, if set.
    pub contest_jurisdiction: Option<String>,
    /// `contestOffice`, if set.
    pub contest_office: Option<String>,
}

/// One `candidates[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigCandidate {
    /// `name`: the name reports use.
    pub name: String,
    /// `code` (older configs) and `aliases`: other texts CVRs may use for this candidate.
    pub aliases: Vec<String>,
    /// `excluded`.
    pub excluded: bool,
}

struct Fields<'a> {
    file: &'a str,
    section: &'a str,
    value: &'a Value,
}

impl Fields<'_> {
    fn err(&self, key: &str, expected: impl Into<String>) -> FormatError {
        FormatError::invalid(
            self.file,
            Location::File,
            format!("{}.{key}", self.section),
            expected,
        )
    }

    /// A text value; `None` if absent, null or empty.
    fn text(&self, key: &str) -> Result<Option<String>> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(self.err(key, "a text or number")),
        }
    }

    fn required_text(&self, key: &str) -> Result<String> {
        self.text(key)?
            .ok_or_else(|| self.err(key, "a value (it is required)"))
    }

    fn number<T: std::str::FromStr>(&self, key: &str, range: &str) -> Result<Option<T>> {
        match self.text(key)? {
            None => Ok(None),
            Some(t) => t
                .trim()
                .parse::<T>()
                .map(Some)
                .map_err(|_| self.err(key, format!("a whole number {range}; found `{t}`"))),
        }
    }

    fn flag(&self, key: &str) -> Result<bool> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s.is_empty() || s.eq_ignore_ascii_case("false") => Ok(false),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
            Some(_) => Err(self.err(key, "true or false")),
        }
    }

    fn one_of<T: Copy>(&self, key: &str, names: &[(T, &'static str)]) -> Result<T> {
        let v = self.required_text(key)?;
        match names.iter().find(|(_, n)| *n == v) {
            Some((mode, _)) => Ok(*mode),
            None => {
                let allowed: Vec<&str> = names.iter().map(|(_, n)| *n).collect();
                Err(self.err(key, format!("one of {}; found `{v}`", allowed.join(", "))))
            }
        }
    }
}

/// Reads an RCTab config. `file` names it in errors; relative `filePath`s of the CVR
/// sources are resolved against `config_dir`, as RCTab does.
///
/// # Errors
/// [`FormatError::Invalid`] naming the field (as `rules.numberOfWinners`) for malformed JSON, a
/// missing required value, a number out of range, or an unknown mode name;
/// [`FormatError::Options`] for a bad CVR source entry.
pub fn parse_config(text: &str, file: &str, config_dir: &Path) -> Result<RctabConfig> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        FormatError::invalid(
            file,
            Location::Line(e.line() as u64),
            "(json)",
            format!("valid JSON: {e}"),
        )
    })?;
    let top = Fields {
        file,
        section: "config",
        value: &root,
    };
    let tabulator_version = top.text("tabulatorVersion")?.unwrap_or_default();

    let out_value = root
        .get("outputSettings")
        .ok_or_else(|| top.err("outputSettings", "an object"))?;
    let out = Fields {
        file,
        section: "outputSettings",
        value: out_value,
    };
    let output = OutputSettings {
        contest_name: out.required_text("contestName")?,
        output_directory: out.text("outputDirectory")?,
        contest_date: out.text("contestDate")?,
        contest_jurisdiction: out.text("contestJurisdiction")?,
        contest_office: out.text("contestOffice")?,
    };

    let sources = match root.get("cvrFileSources") {
        Some(Value::Array(entries)) if !entries.is_empty() => entries
            .iter()
            .map(|e| SourceSpec::from_rctab(e, config_dir))
            .collect::<Result<Vec<_>>>()?,
        _ => return Err(top.err("cvrFileSources", "a non-empty list of sources")),
    };

    let mut candidates = Vec::new();
    if let Some(Value::Array(entries)) = root.get("candidates") {
        for (i, entry) in entries.iter().enumerate() {
            let section = format!("candidates[{i}]");
            let c = Fields {
                file,
                section: &section,
                value: entry,
            };
            let name = c.required_text("name")?;
            let mut aliases = Vec::new();
            if let Some(code) = c.text("code")? {
                aliases.push(code);
            }
            match entry.get("aliases") {
                None | Some(Value::Null) => {}
                Some(Value::Array(list)) => {
                    for alias in list {
                        match alias {
                            Value::String(s) if !s.is_empty() => aliases.push(s.clone()),
                            Value::String(_) => {}
                            _ => return Err(c.err("aliases", "a list of texts")),
                        }
                    }
                }
                Some(_) => return Err(c.err("aliases", "a list of texts")),
            }
            candidates.push(ConfigCandidate {
                name,
                aliases,
                excluded: c.flag("excluded")?,
            });
        }
    }

    let rules_value = root
        .get("rules")
        .ok_or_else(|| top.err("rules", "an object"))?;
    let r = Fields {
        file,
        section: "rules",
        value: rules_value,
    };
    let winners: u32 = r
        .number("numberOfWinners", "from 0")?
        .ok_or_else(|| r.err("numberOfWinners", "a value"))?;
    let places: u32 = r
        .number("decimalPlacesForVoteArithmetic", "from 1 to 20")?
        .ok_or_else(|| r.err("decimalPlacesForVoteArithmetic", "a value"))?;
    if !(1..=20).contains(&places) {
        return Err(r.err(
            "decimalPlacesForVoteArithmetic",
            format!("a whole number from 1 to 20; found {places}"),
        ));
    }
    let max_skipped = match r.text("maxSkippedRanksAllowed")? {
        Some(t) if t.eq_ignore_ascii_case("unlimited") => None,
        Some(_) => Some(
            r.number::<u32>("maxSkippedRanksAllowed", "from 0, or unlimited")?
                .unwrap_or(0),
        ),
        None => {
            return Err(r.err(
                "maxSkippedRanksAllowed",
                "a whole number from 0, or unlimited",
            ));
        }
    };
    let max_rankings = match r.text("maxRankingsAllowed")? {
        Some(t) if t.eq_ignore_ascii_case("max") => None,
        Some(_) => {
            let n: u32 = r
                .number("maxRankingsAllowed", "from 1, or max")?
                .unwrap_or(0);
            if n == 0 {
                return Err(r.err(
                    "maxRankingsAllowed",
                    "a whole number from 1, or max; found 0",
                ));
            }
            Some(n)
        }
        None => return Err(r.err("maxRankingsAllowed", "a whole number from 1, or max")),
    };
    let percentage: Option<u32> =
        r.number("multiSeatBottomsUpPercentageThreshold", "from 1 to 100")?;
    if percentage.is_some_and(|p| !(1..=100).contains(&p)) {
        return Err(r.err(
            "multiSeatBottomsUpPercentageThreshold",
            "a whole number from 1 to 100",
        ));
    }
    let rules = Rules {
        tiebreak_mode: r.one_of("tiebreakMode", TiebreakMode::NAMES)?,
        overvote_rule: r.one_of("overvoteRule", OvervoteRule::NAMES)?,
        winner_election_mode: r.one_of("winnerElectionMode", WinnerElectionMode::NAMES)?,
        random_seed: r.number("randomSeed", "from -140737488355328 to 140737488355327")?,
        number_of_winners: winners,
        bottoms_up_percentage_threshold: percentage,
        decimal_places: places,
        minimum_vote_threshold: r
            .number("minimumVoteThreshold", "from 0 to 1000000")?
            .unwrap_or(0),
        max_skipped_ranks_allowed: max_skipped,
        max_rankings_allowed: max_rankings,
        non_integer_winning_threshold: r.flag("nonIntegerWinningThreshold")?,
        first_round_determines_threshold: r.flag("doesFirstRoundDetermineThreshold")?,
        hare_quota: r.flag("hareQuota")?,
        batch_elimination: r.flag("batchElimination")?,
        continue_until_two_candidates_remain: r.flag("continueUntilTwoCandidatesRemain")?,
        stop_tabulation_early_after_round: r.number("stopTabulationEarlyAfterRound", "from 1")?,
        exhaust_on_duplicate_candidate: r.flag("exhaustOnDuplicateCandidate")?,
        cutoff_elimination: r.flag("cutoffElimination")?,
    };
    let rules_description = r.text("rulesDescription")?;
    Ok(RctabConfig {
        tabulator_version,
        output,
        sources,
        candidates,
        rules,
        rules_description,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{
      "tabulatorVersion" : "TEST",
      "outputSettings" : { "contestName" : "Tiebreak test", "contestDate" : "2017-12-03" },
      "cvrFileSources" : [ { "filePath" : "cvr.xlsx", "contestId" : "", "firstVoteColumnIndex" : "2",
                             "firstVoteRowIndex" : "2", "provider" : "ess" } ],
      "candidates" : [ { "name" : "Mookie Blaylock", "excluded" : false, "aliases" : [ "MB" ] },
                       { "name" : "Yinka Dare", "code" : "YD", "excluded" : true } ],
      "rules" : { "tiebreakMode" : "random", "overvoteRule" : "alwaysSkipToNextRank",
                  "winnerElectionMode" : "singleWinnerMajority", "randomSeed" : "1",
                  "numberOfWinners" : 1, "decimalPlacesForVoteArithmetic" : "4",
                  "minimumVoteThreshold" : "", "maxSkippedRanksAllowed" : "unlimited",
                  "maxRankingsAllowed" : "max", "batchElimination" : "True" }
    }"#;

    #[test]
    fn reads_strings_numbers_and_blanks() {
        let c = parse_config(MINIMAL, "c.json", Path::new("/cases/x")).unwrap();
        assert_eq!(c.output.contest_name, "Tiebreak test");
        assert_eq!(c.sources[0].path, Path::new("/cases/x/cvr.xlsx"));
        assert_eq!(c.candidates[0].aliases, ["MB"]);
        assert_eq!(c.candidates[1].aliases, ["YD"]);
        assert!(c.candidates[1].excluded);
        assert_eq!(c.rules.random_seed, Some(1));
        assert_eq!(c.rules.number_of_winners, 1);
        assert_eq!(c.rules.minimum_vote_threshold, 0);
        assert_eq!(c.rules.max_skipped_ranks_allowed, None);
        assert_eq!(c.rules.max_rankings_allowed, None);
        assert!(c.rules.batch_elimination);
    }

    #[test]
    fn rejects_unknown_modes_naming_the_field() {
        let bad = MINIMAL.replace("\"random\"", "\"whatever\"");
        let e = parse_config(&bad, "c.json", Path::new("."))
            .unwrap_err()
            .to_string();
        assert!(e.contains("rules.tiebreakMode"), "{e}");
        assert!(e.contains("whatever"), "{e}");
    }
}
