//! The real 2020 presidential returns per state (MEDSL), mapped onto a definition's
//! presidential contests.
//!
//! Rules: `BLANK VOTES` and `UNDERVOTES` rows are undervotes, `OVERVOTES` rows overvotes,
//! `VOID` rows are not part of the contest; a candidate whose ticket is on the state's
//! ballot counts for that ticket, any other candidate (and unnamed write-ins) for the
//! contest's generic write-in selection.

use std::collections::BTreeMap;

use canvass_model::{Election, SelectionChoice};

const PRESIDENT_2020: &str = include_str!("../data/president-2020.csv");

/// Name prefixes (as MEDSL writes them) of the tickets in the built-in definitions.
const TICKETS: [(&str, &str); 11] = [
    ("BIDEN", "biden-harris"),
    ("TRUMP", "trump-pence"),
    ("JORGENSEN", "jorgensen-cohen"),
    ("HAWKINS", "hawkins-walker"),
    ("BLANKENSHIP", "blankenship-mohr"),
    ("PIERCE", "pierce-ballard"),
    ("WEST, KANYE", "west-tidball"),
    ("LA RIVA", "la-riva-freeman"),
    ("DE LA FUENTE", "de-la-fuente-richardson"),
    ("CARROLL", "carroll-patel"),
    ("KENNEDY, ALYSON", "kennedy-hart"),
];

/// One state's presidential contest totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateTotals {
    /// Votes per selection index of the state's presidential contest.
    pub votes: Vec<u64>,
    /// Overvotes.
    pub overvotes: u64,
    /// Undervotes (blank votes).
    pub undervotes: u64,
}

/// The 2020 presidential totals of each state, keyed by postal code, for `e`'s
/// presidential contests (`president-XX`). States without returns are absent.
///
/// # Errors
/// A message naming the line if the embedded returns file is malformed.
pub fn president_2020(e: &Election) -> Result<BTreeMap<String, StateTotals>, String> {
    let mut out: BTreeMap<String, StateTotals> = BTreeMap::new();
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(PRESIDENT_2020.as_bytes());
    for (n, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|err| format!("president-2020.csv, record {}: {err}", n + 1))?;
        let (Some(state), Some(candidate), Some(votes)) = (rec.get(2), rec.get(7), rec.get(10))
        else {
            return Err(format!(
                "president-2020.csv, record {}: missing fields",
                n + 1
            ));
        };
        let votes: u64 = votes
            .parse()
            .map_err(|_| format!("president-2020.csv, record {}: bad votes {votes:?}", n + 1))?;
        let Some(contest) = e
            .contests
            .iter()
            .find(|c| c.id.as_str() == format!("president-{state}"))
        else {
            continue;
        };
        let t = out.entry(state.to_owned()).or_insert_with(|| StateTotals {
            votes: vec![0; contest.selections.len()],
            ..Default::default()
        });
        match candidate {
            "BLANK VOTES" | "UNDERVOTES" => t.undervotes += votes,
            "OVERVOTES" => t.overvotes += votes,
            "VOID" => {}
            name => {
                let ticket = TICKETS
                    .iter()
                    .find(|(p, _)| name.starts_with(p))
                    .map(|(_, t)| *t);
                let on_ballot = ticket.and_then(|id| {
                    contest.selections.iter().position(
                        |s| matches!(&s.choice, SelectionChoice::Ticket(t) if t.as_str() == id),
                    )
                });
                let write_in = contest
                    .selections
                    .iter()
                    .position(|s| matches!(s.choice, SelectionChoice::GenericWriteIn(_)));
                match on_ballot.or(write_in) {
                    Some(i) => t.votes[i] += votes,
                    None => {
                        return Err(format!(
                            "{state}: no selection for {name:?} and no write-in selection"
                        ));
                    }
                }
            }
        }
    }
    Ok(out)
}
