//! The demo's commentary: the simulated clock, state calls and the closing summary.

use std::path::PathBuf;

use indicatif::ProgressBar;
use serde::Serialize;

use super::client::Client;
use super::night::ELECTION_DAY_ET;

/// The summary printed at the end (`--json`): stable field names, documented in `--help`.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// The election id, e.g. `us-2020`.
    pub election: String,
    /// The seed of the simulation, the keys and the schedule.
    pub seed: u64,
    /// The scale, e.g. `1` or `0.001`.
    pub scale: String,
    /// The data directory (keys, roster, `election.json`, the log, the store).
    pub data: PathBuf,
    /// Where the API was served, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// States, DC and territories with reporting jurisdictions.
    pub states: usize,
    /// Reporting jurisdictions (counties in the built-in definition).
    pub jurisdictions: usize,
    /// Jurisdictions whose every precinct was accepted.
    pub jurisdictions_reported: usize,
    /// Precincts in the simulated definition.
    pub precincts: usize,
    /// Signed submissions accepted (amendments included).
    pub submissions: u64,
    /// Amendments among them.
    pub amendments: u64,
    /// States certified by the authority, in the order certified.
    pub certified: Vec<String>,
    /// Entries in the transparency log at the end (checkpoint size).
    pub log_size: u64,
    /// Root hash of the final checkpoint, base64 as in the checkpoint note.
    pub checkpoint_root: String,
    /// Electoral votes per ticket, from `GET /api/results`.
    pub electoral_votes: serde_json::Value,
    /// The ticket with a majority of electors.
    pub electoral_college_winner: Option<String>,
    /// Wall-clock seconds the demo took (not part of the log).
    pub elapsed_seconds: f64,
}

/// Where human commentary goes: stdout, or stderr when stdout carries the JSON summary.
pub struct Say {
    /// Whether stdout carries the JSON summary.
    pub json: bool,
    /// The progress bar to keep clear of.
    pub pb: ProgressBar,
}

impl Say {
    /// Prints one line of commentary.
    pub fn line(&self, s: &str) {
        if self.json {
            self.pb.suspend(|| eprintln!("{s}"));
        } else {
            self.pb.suspend(|| outln!("{s}"));
        }
    }
}

/// "Tue Nov 3 21:05 ET" for a simulated time.
pub fn clock(at: u64) -> String {
    let days = at.saturating_sub(ELECTION_DAY_ET) / 86_400;
    let secs = at.saturating_sub(ELECTION_DAY_ET) % 86_400;
    const WEEKDAYS: [&str; 7] = ["Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Mon"];
    // November has 30 days; the night and the canvass stay within November and December.
    let (month, day) = if days + 3 <= 30 {
        ("Nov", days + 3)
    } else {
        ("Dec", days + 3 - 30)
    };
    format!(
        "{} {month} {day} {:02}:{:02} ET",
        WEEKDAYS[(days % 7) as usize],
        secs / 3600,
        secs % 3600 / 60
    )
}

/// A scale in thousandths as a decimal, e.g. `0.001`.
pub fn scale_text(permille: u32) -> String {
    let s = format!("{}.{:03}", permille / 1000, permille % 1000);
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// "all precincts in: PA for Biden / Harris (50.0% to 48.8%)", read from the server.
pub fn called(client: &Client, state: &str) -> Result<String, String> {
    let (results, _) = client.get_json("/api/results")?;
    let id = format!("president-{state}");
    let contest = results["contests"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"].as_str() == Some(id.as_str())));
    let Some(c) = contest else {
        return Ok(format!("           all precincts in: {state}"));
    };
    let mut sel: Vec<&serde_json::Value> = c["selections"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    sel.sort_by_key(|s| std::cmp::Reverse(s["votes"].as_u64().unwrap_or(0)));
    let pct: Vec<String> = sel
        .iter()
        .take(2)
        .map(|s| format!("{}%", s["percent"].as_str().unwrap_or("?")))
        .collect();
    let winners: Vec<&str> = c["winners"]
        .as_array()
        .map(|w| w.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    let winner = if winners.is_empty() {
        "no winner yet".to_owned()
    } else {
        winners.join(", ")
    };
    let ev: Vec<String> = results["electoral_votes"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| format!("{k} {v}")).collect())
        .unwrap_or_default();
    Ok(format!(
        "           all precincts in: {state} for {winner} ({}); Electoral College: {}",
        pct.join(" to "),
        ev.join(", ")
    ))
}

/// The closing summary, for people.
pub fn print_summary(s: &Summary, results: &serde_json::Value) {
    outln!(
        "night over: {} of {} counties reported ({} precincts) in {} submissions, {} amendments",
        s.jurisdictions_reported,
        s.jurisdictions,
        s.precincts,
        s.submissions,
        s.amendments
    );
    outln!(
        "log: {} entries, checkpoint root {}",
        s.log_size,
        s.checkpoint_root
    );
    let ev: Vec<String> = results["electoral_votes"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| format!("{k} {v}")).collect())
        .unwrap_or_default();
    outln!("Electoral College: {}", ev.join(", "));
    outln!(
        "Result: {}",
        s.electoral_college_winner
            .as_deref()
            .map_or("no Electoral College majority".to_owned(), |w| format!(
                "{w} wins the Electoral College"
            ))
    );
    outln!(
        "certified by the authority: {} of {} states and territories",
        s.certified.len(),
        s.states
    );
    outln!(
        "elapsed: {:.1} s; definition with the simulated precincts: {}",
        s.elapsed_seconds,
        s.data.join("election.json").display()
    );
}
