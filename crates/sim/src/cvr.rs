//! The ballot-level output of a simulation, shard by shard: one shard per reporting
//! jurisdiction, each made independently of the others (its precincts' ballots are seeded
//! by the simulation seed and the precinct's index in the definition), so shards can be
//! written in parallel, in any order, and resumed, and still give the same bytes.

use std::collections::HashMap;
use std::io::Write;

use canvass_model::{JurisdictionId, PrecinctResult};

use crate::ballots::{BallotMaker, precinct_seed};
use crate::compact::{CompactShardWriter, STYLES_HEADER, contests_csv, style_rows};
use crate::error::CvrError;
use crate::nist::NistShardWriter;
use crate::{Simulation, precinct_batches};

/// How to make the cast vote records of a simulation.
#[derive(Debug, Clone)]
pub struct CvrPlan<'s> {
    sim: &'s Simulation,
    maker: BallotMaker<'s>,
    precinct_index: HashMap<&'s str, usize>,
    seed: u64,
    /// The most contests on any ballot: every compact file has this many slots, so all
    /// have the same columns.
    slots: usize,
}

impl<'s> CvrPlan<'s> {
    /// A plan for `sim`, simulated with `seed`.
    pub fn new(sim: &'s Simulation, seed: u64) -> Self {
        CvrPlan {
            sim,
            maker: BallotMaker::new(&sim.election),
            precinct_index: sim
                .election
                .precincts
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.as_str(), i))
                .collect(),
            seed,
            slots: sim
                .jurisdictions
                .iter()
                .flat_map(|j| j.results.iter().map(|r| r.contests.len()))
                .max()
                .unwrap_or(0),
        }
    }

    /// The ballot maker (definition lookups).
    pub fn maker(&self) -> &BallotMaker<'s> {
        &self.maker
    }

    /// The number of shards (reporting jurisdictions).
    pub fn shards(&self) -> usize {
        self.sim.jurisdictions.len()
    }

    /// The jurisdiction of shard `i`.
    pub fn jurisdiction(&self, i: usize) -> &JurisdictionId {
        &self.sim.jurisdictions[i].jurisdiction
    }

    /// The state of shard `i` (postal code).
    pub fn state(&self, i: usize) -> &str {
        self.sim.jurisdictions[i].state.as_str()
    }

    /// The ballots of shard `i`.
    pub fn ballots(&self, i: usize) -> u64 {
        self.sim.jurisdictions[i]
            .results
            .iter()
            .map(ballots_of)
            .sum()
    }

    /// The ballots of every shard.
    pub fn total_ballots(&self) -> u64 {
        (0..self.shards()).map(|i| self.ballots(i)).sum()
    }

    fn style(&self, r: &PrecinctResult) -> Result<usize, CvrError> {
        self.precinct_index
            .get(r.precinct.as_str())
            .copied()
            .ok_or_else(|| CvrError::Inconsistent {
                precinct: r.precinct.to_string(),
                message: "the precinct is not in the definition".into(),
            })
    }

    fn contests_of(&self, r: &PrecinctResult) -> Result<Vec<usize>, CvrError> {
        r.contests
            .iter()
            .map(|c| {
                self.maker
                    .contest_index(c.contest.as_str())
                    .ok_or_else(|| CvrError::Inconsistent {
                        precinct: r.precinct.to_string(),
                        message: format!("contest {} is not in the definition", c.contest),
                    })
            })
            .collect()
    }

    /// `styles.csv`: which contest each slot of each ballot style holds.
    ///
    /// # Errors
    /// [`CvrError::Inconsistent`] for a precinct or contest not in the definition.
    pub fn styles_csv(&self) -> Result<String, CvrError> {
        let mut out = String::from(STYLES_HEADER);
        for j in &self.sim.jurisdictions {
            for r in &j.results {
                let style = self.style(r)?;
                style_rows(
                    &mut out,
                    &self.maker,
                    style as u64,
                    r.precinct.as_str(),
                    &self.contests_of(r)?,
                );
            }
        }
        Ok(out)
    }

    /// `contests.csv`: the codes of every contest's columns.
    pub fn contests_csv(&self) -> String {
        contests_csv(&self.maker)
    }

    /// Shard `i`'s ballot manifest, in the form `canvass audit manifest` imports
    /// (`jurisdiction,tabulator,batch,ballots`).
    pub fn manifest_csv(&self, i: usize) -> String {
        let j = &self.sim.jurisdictions[i];
        let mut out = String::from("jurisdiction,tabulator,batch,ballots\n");
        for r in &j.results {
            for b in precinct_batches(&j.jurisdiction, &r.precinct, ballots_of(r)) {
                out.push_str(&format!(
                    "{},,{},{}\n",
                    quote(b.jurisdiction.as_str()),
                    quote(&b.batch),
                    b.ballots
                ));
            }
        }
        out
    }

    /// Writes shard `i` to either or both outputs, calling `progress` with each precinct's
    /// ballots; returns the outputs.
    ///
    /// # Errors
    /// [`CvrError`] if the results cannot be made into ballots or writing fails.
    pub fn write_shard<N: Write, C: Write>(
        &self,
        i: usize,
        nist: Option<N>,
        compact: Option<C>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(Option<N>, Option<C>), CvrError> {
        let j = &self.sim.jurisdictions[i];
        let e = &self.sim.election;
        let mut contests: Vec<usize> = Vec::new();
        for r in &j.results {
            contests.extend(self.contests_of(r)?);
        }
        contests.sort_unstable();
        contests.dedup();
        let name = e
            .jurisdictions
            .iter()
            .find(|x| x.id == j.jurisdiction)
            .map_or(j.jurisdiction.as_str(), |x| x.name.as_str());
        let precincts: Vec<_> = j.results.iter().map(|r| &r.precinct).collect();
        let mut nist = match nist {
            Some(out) => Some(NistShardWriter::new(
                out,
                &self.maker,
                (j.jurisdiction.as_str(), name),
                &contests,
                &precincts,
            )?),
            None => None,
        };
        let mut compact = compact.map(|out| CompactShardWriter::new(out, self.slots));
        for r in &j.results {
            let style = self.style(r)?;
            let ballots = self.maker.precinct(r, precinct_seed(self.seed, style))?;
            if let Some(w) = nist.as_mut() {
                w.write_precinct(&r.precinct, &ballots)?;
            }
            if let Some(w) = compact.as_mut() {
                w.write_precinct(style as u64, &ballots)?;
            }
            progress(ballots.ballots as u64);
        }
        let nist = match nist {
            Some(w) => Some(w.finish()?),
            None => None,
        };
        let compact = match compact {
            Some(w) => Some(w.finish()?),
            None => None,
        };
        Ok((nist, compact))
    }
}

/// A precinct's ballots: the largest ballot count of its contests.
fn ballots_of(r: &PrecinctResult) -> u64 {
    r.contests.iter().map(|c| c.ballots).max().unwrap_or(0)
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
