//! Retrieval lists: which ballots each jurisdiction's audit boards pull, sorted by batch and
//! position, as plain data and CSV.
//!
//! ```text
//! jurisdiction,tabulator,batch,position,times_drawn,tickets
//! J1,,B1,3,2,0.017883214 0.573533258
//! ```
//!
//! A ballot drawn several times (sampling with replacement) appears once, with every ticket.

use std::collections::BTreeMap;

use crate::consistent::trim_ticket;
use crate::manifest::{Manifest, ManifestDraw};

/// One ballot to retrieve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrievalEntry {
    /// Jurisdiction holding the ballot.
    pub jurisdiction: String,
    /// Tabulator, if the manifest names one.
    pub tabulator: Option<String>,
    /// Batch name.
    pub batch: String,
    /// 1-based position in the batch.
    pub position: u64,
    /// Full tickets of every draw of this ballot, in draw order.
    pub tickets: Vec<String>,
}

/// Retrieval lists per jurisdiction (sorted by name), each sorted by tabulator, batch and
/// position.
pub fn retrieval_lists(
    manifest: &Manifest,
    draws: &[ManifestDraw],
) -> BTreeMap<String, Vec<RetrievalEntry>> {
    let mut by_ballot: BTreeMap<(usize, u64), Vec<String>> = BTreeMap::new();
    for d in draws {
        by_ballot
            .entry((d.batch, d.position))
            .or_default()
            .push(d.draw.ticket.clone());
    }
    let mut out: BTreeMap<String, Vec<RetrievalEntry>> = BTreeMap::new();
    for ((b, position), tickets) in by_ballot {
        let Some(batch) = manifest.batches().get(b) else {
            continue;
        };
        out.entry(batch.jurisdiction.clone())
            .or_default()
            .push(RetrievalEntry {
                jurisdiction: batch.jurisdiction.clone(),
                tabulator: batch.tabulator.clone(),
                batch: batch.batch.clone(),
                position,
                tickets,
            });
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| {
            (&a.tabulator, &a.batch, a.position).cmp(&(&b.tabulator, &b.batch, b.position))
        });
    }
    out
}

fn csv_field(s: &str, out: &mut String) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// Renders a retrieval list as CSV, tickets trimmed to `digits` digits (see
/// [`trim_ticket`]) and separated by spaces.
pub fn render_csv(entries: &[RetrievalEntry], digits: usize) -> String {
    let mut out = String::from("jurisdiction,tabulator,batch,position,times_drawn,tickets\n");
    for e in entries {
        csv_field(&e.jurisdiction, &mut out);
        out.push(',');
        csv_field(e.tabulator.as_deref().unwrap_or(""), &mut out);
        out.push(',');
        csv_field(&e.batch, &mut out);
        let tickets: Vec<String> = e.tickets.iter().map(|t| trim_ticket(t, digits)).collect();
        out.push_str(&format!(
            ",{},{},{}\n",
            e.position,
            e.tickets.len(),
            tickets.join(" ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consistent::Draw;
    use crate::manifest::parse_manifest_csv;

    #[test]
    fn groups_sorts_and_renders() {
        let m = parse_manifest_csv(
            "m",
            "jurisdiction,batch,ballots\nJ2,B9,5\nJ1,\"B,2\",4\nJ1,B1,4\n",
        )
        .unwrap();
        let d = |batch, position, ticket: &str| ManifestDraw {
            draw: Draw {
                ticket: ticket.into(),
                id: String::new(),
                generation: 1,
            },
            batch,
            position,
        };
        let draws = vec![
            d(2, 3, "0.5123"),
            d(1, 1, "0.2"),
            d(0, 5, "0.3"),
            d(2, 3, "0.99712"),
        ];
        let lists = retrieval_lists(&m, &draws);
        assert_eq!(lists.keys().collect::<Vec<_>>(), ["J1", "J2"]);
        // Two leading 9s are kept, then two digits: 0.99712 prints as 0.9971.
        let csv = render_csv(&lists["J1"], 2);
        assert_eq!(
            csv,
            "jurisdiction,tabulator,batch,position,times_drawn,tickets\n\
             J1,,\"B,2\",1,1,0.2\n\
             J1,,B1,3,2,0.51 0.9971\n"
        );
    }
}
