//! The records audit boards and officials enter (manifests, cast vote records,
//! interpretations, batch counts), checked as [`AuditState::apply`] takes them.

use std::collections::HashSet;

use crate::error::AuditError;
use crate::manifest::parse_manifest_csv;
use crate::workflow::cvr::parse_cvr_csv;
use crate::workflow::record::{
    AuditRecord, BallotVotes, BatchCounts, Interpretations, ManifestPart, Method,
};
use crate::workflow::state::{AuditState, ImportedCvrs, ImportedManifest, Interpretation, bad};

impl AuditState {
    /// Collects a file logged in parts; the whole text and its SHA-256 once the last part is
    /// in.
    fn assemble(
        &mut self,
        r: &AuditRecord,
        m: &ManifestPart,
    ) -> Result<Option<(String, String)>, AuditError> {
        let kind = r.step.name();
        let key = (kind, m.jurisdiction.clone());
        let (parts, sha, mut text, done) = match self.pending.remove(&key) {
            Some(p) => p,
            None => (m.parts, m.sha256.clone(), String::new(), 0),
        };
        if m.part != done + 1 || m.parts != parts || m.sha256 != sha || m.part > m.parts {
            let back = (parts, sha.clone(), text, done);
            if done > 0 {
                self.pending.insert(key, back);
            }
            return Err(bad(
                r,
                format!(
                    "expected part {} of {parts} of {}'s {kind} file with sha256 {sha}",
                    done + 1,
                    m.jurisdiction
                ),
            ));
        }
        text.push_str(&m.csv);
        if m.part < m.parts {
            self.pending.insert(key, (parts, sha, text, m.part));
            return Ok(None);
        }
        if crate::consistent::sha256_hex(&text) != sha {
            return Err(bad(r, format!("the {kind} parts do not hash to sha256")));
        }
        Ok(Some((sha, text)))
    }

    pub(crate) fn cvr(&mut self, r: &AuditRecord, m: &ManifestPart) -> Result<(), AuditError> {
        if !self.rounds.is_empty() {
            return Err(bad(r, "cast vote records are logged before the first draw"));
        }
        if !self.start.contests.iter().any(|c| c.method.uses_cvrs()) {
            return Err(bad(
                r,
                "no contest of this audit is a ballot-comparison contest: CVRs are not used",
            ));
        }
        let Some(manifest) = self.manifests.get(&m.jurisdiction) else {
            return Err(bad(
                r,
                format!(
                    "import the manifest of {} before its cast vote records",
                    m.jurisdiction
                ),
            ));
        };
        if self.cvrs.contains_key(&m.jurisdiction) {
            return Err(bad(
                r,
                format!("the CVRs of {} are already logged", m.jurisdiction),
            ));
        }
        let manifest = manifest.manifest.clone();
        let Some((sha256, text)) = self.assemble(r, m)? else {
            return Ok(());
        };
        let file = format!("CVRs of {}", m.jurisdiction);
        let ballots = parse_cvr_csv(&file, &text, &m.jurisdiction, &manifest)
            .map_err(|e| bad(r, e.to_string()))?;
        for (id, votes) in &ballots {
            for (contest, marks) in votes {
                let Some(k) = self.start.contests.iter().position(|c| &c.id == contest) else {
                    continue;
                };
                if let Some(x) = marks
                    .iter()
                    .find(|x| self.contests[k].index_of(x).is_none())
                {
                    return Err(bad(
                        r,
                        format!("ballot {id}: {x:?} is not a selection of contest {contest}"),
                    ));
                }
            }
        }
        self.cvrs
            .insert(m.jurisdiction.clone(), ImportedCvrs { sha256, ballots });
        Ok(())
    }

    pub(crate) fn manifest(&mut self, r: &AuditRecord, m: &ManifestPart) -> Result<(), AuditError> {
        if !self.rounds.is_empty() {
            return Err(bad(r, "manifests are imported before the first draw"));
        }
        if self.manifests.contains_key(&m.jurisdiction) {
            return Err(bad(
                r,
                format!("the manifest of {} is already imported", m.jurisdiction),
            ));
        }
        let Some((sha, text)) = self.assemble(r, m)? else {
            return Ok(());
        };
        let file = format!("manifest of {}", m.jurisdiction);
        let manifest = parse_manifest_csv(&file, &text).map_err(|e| bad(r, e.to_string()))?;
        if let Some(b) = manifest
            .batches()
            .iter()
            .find(|b| b.jurisdiction != m.jurisdiction)
        {
            return Err(bad(
                r,
                format!(
                    "batch {} names jurisdiction {:?}, not {:?}: import one manifest per jurisdiction",
                    b.key_str(),
                    b.jurisdiction,
                    m.jurisdiction
                ),
            ));
        }
        self.manifests.insert(
            m.jurisdiction.clone(),
            ImportedManifest {
                sha256: sha,
                csv: text,
                manifest,
            },
        );
        Ok(())
    }

    pub(crate) fn interpret(
        &mut self,
        r: &AuditRecord,
        i: &Interpretations,
    ) -> Result<(), AuditError> {
        let Some(open) = self.open_round() else {
            return Err(bad(r, "no round is open: draw a sample first"));
        };
        if i.round != open.number {
            return Err(bad(
                r,
                format!("round {} is open, not {}", open.number, i.round),
            ));
        }
        if i.board.trim().is_empty() || i.ballots.is_empty() {
            return Err(bad(r, "name the audit board and at least one ballot"));
        }
        let drawn: HashSet<&str> = self
            .all_ballot_draws()
            .map(|d| d.draw.id.as_str())
            .collect();
        let mut seen = HashSet::new();
        for BallotVotes { id, votes } in &i.ballots {
            if !drawn.contains(id.as_str()) {
                return Err(bad(r, format!("ballot {id} was not drawn")));
            }
            if self.interpretations.contains_key(id) || !seen.insert(id) {
                return Err(bad(r, format!("ballot {id} is already interpreted")));
            }
            for (contest, marks) in votes {
                let Some(k) = self
                    .start
                    .contests
                    .iter()
                    .position(|c| &c.id == contest && c.method.samples_ballots())
                else {
                    return Err(bad(
                        r,
                        format!(
                            "ballot {id}: contest {contest} is not audited ballot by ballot (polling or comparison)"
                        ),
                    ));
                };
                let mut names = HashSet::new();
                for m in marks {
                    if self.contests[k].index_of(m).is_none() {
                        return Err(bad(
                            r,
                            format!("ballot {id}: {m:?} is not a selection of contest {contest}"),
                        ));
                    }
                    if !names.insert(m) {
                        return Err(bad(
                            r,
                            format!("ballot {id}: {m:?} is listed twice in contest {contest}"),
                        ));
                    }
                }
            }
        }
        for b in &i.ballots {
            self.interpretations.insert(
                b.id.clone(),
                Interpretation {
                    round: i.round,
                    board: i.board.clone(),
                    votes: b.votes.clone(),
                },
            );
        }
        Ok(())
    }

    pub(crate) fn batch_count(
        &mut self,
        r: &AuditRecord,
        b: &BatchCounts,
    ) -> Result<(), AuditError> {
        let Some(open) = self.open_round() else {
            return Err(bad(r, "no round is open: draw a sample first"));
        };
        if b.round != open.number {
            return Err(bad(
                r,
                format!("round {} is open, not {}", open.number, b.round),
            ));
        }
        let Some(k) = self
            .start
            .contests
            .iter()
            .position(|c| c.id == b.contest && c.method == Method::Macro)
        else {
            return Err(bad(
                r,
                format!("contest {} is not audited by batch comparison", b.contest),
            ));
        };
        let spec = &self.start.contests[k];
        let drawn: HashSet<usize> = self
            .rounds
            .iter()
            .flat_map(|r| r.batches.get(&b.contest).into_iter().flatten().copied())
            .collect();
        let mut seen = HashSet::new();
        for (batch, votes) in &b.batches {
            let Some(p) = spec.batches.iter().position(|x| &x.batch == batch) else {
                return Err(bad(
                    r,
                    format!("batch {batch} is not a batch of contest {}", b.contest),
                ));
            };
            if !drawn.contains(&p) {
                return Err(bad(
                    r,
                    format!("batch {batch} was not drawn for contest {}", b.contest),
                ));
            }
            if votes.len() != spec.tally.len() {
                return Err(bad(
                    r,
                    format!(
                        "batch {batch}: {} counts for {} selections",
                        votes.len(),
                        spec.tally.len()
                    ),
                ));
            }
            let key = (b.contest.clone(), batch.clone());
            if self.batch_counts.contains_key(&key) || !seen.insert(batch) {
                return Err(bad(
                    r,
                    format!("batch {batch} of contest {} is already counted", b.contest),
                ));
            }
        }
        for (batch, votes) in &b.batches {
            self.batch_counts.insert(
                (b.contest.clone(), batch.clone()),
                (b.round, b.board.clone(), votes.clone()),
            );
        }
        Ok(())
    }
}
