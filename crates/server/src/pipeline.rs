//! The submission pipeline as pure functions: [`authenticate`], [`Checker::authorize`] and
//! [`Checker::validate`] (issue 6, "Server pipeline" steps 1-3). Each returns the first
//! problem as a [`Rejection`]; nothing here has side effects, so a rejected submission
//! changes nothing.
//!
//! A submission that passes [`Checker::validate`] is guaranteed to be accepted by
//! `canvass_tally::Tabulator::apply` for the same election: every check `apply` makes is made
//! here first, and each count is at most [`MAX_COUNT`], so running totals cannot overflow.

use std::collections::{BTreeMap, HashMap, HashSet};

use canvass_model::Election;
use canvass_tally::index::Index;

use crate::canonical::{self, DecodeError};
use crate::note;
use crate::rejection::{Flag, FlagCode, RejectCode as C, Rejection};
use crate::roster::RosterState;
use crate::submission::{self, Payload, SUBMISSION_TYPE, Submission};

/// The largest count (ballots, votes, overvotes, undervotes) one precinct report may carry.
pub const MAX_COUNT: u64 = 1_000_000_000;

/// An authenticated submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The submission.
    pub submission: Submission,
    /// The signed body.
    pub body: String,
    /// SHA-256 of the body (see [`submission::digest`]).
    pub digest: [u8; 32],
    /// Index of the jurisdiction in the roster.
    pub jurisdiction: usize,
    /// The signing key's id.
    pub key_id: u32,
}

/// What validation decided for an authenticated, authorized submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// New: log it and tabulate it. Flags are for people to look at.
    Accept {
        /// Things worth a look that do not reject it.
        flags: Vec<Flag>,
    },
    /// The very same submission was accepted before: answer as then, change nothing.
    AlreadyAccepted,
}

/// Which submissions each jurisdiction already has accepted.
pub trait History {
    /// The highest accepted sequence number of a jurisdiction.
    fn last_sequence(&self, jurisdiction: &str) -> Option<u64>;
    /// The digest of the accepted submission with this sequence number.
    fn accepted(&self, jurisdiction: &str, sequence: u64) -> Option<[u8; 32]>;
}

/// A [`History`] in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryHistory {
    by_jurisdiction: HashMap<String, BTreeMap<u64, [u8; 32]>>,
}

impl MemoryHistory {
    /// Records an accepted submission.
    pub fn record(&mut self, jurisdiction: &str, sequence: u64, digest: [u8; 32]) {
        self.by_jurisdiction
            .entry(jurisdiction.to_owned())
            .or_default()
            .insert(sequence, digest);
    }
}

impl History for MemoryHistory {
    fn last_sequence(&self, jurisdiction: &str) -> Option<u64> {
        self.by_jurisdiction
            .get(jurisdiction)
            .and_then(|m| m.keys().next_back().copied())
    }

    fn accepted(&self, jurisdiction: &str, sequence: u64) -> Option<[u8; 32]> {
        self.by_jurisdiction
            .get(jurisdiction)
            .and_then(|m| m.get(&sequence).copied())
    }
}

/// Step 1: the document is a signed note of the right type, signed by a roster key that has
/// not been revoked, for this election and the key's own jurisdiction, in canonical form.
/// The signature is checked before the JSON is parsed. A second signature line, by the
/// election authority, is allowed (see [`authenticate_countersigned`]).
///
/// # Errors
/// A [`Rejection`] with code `malformed-document`, `wrong-type`, `signature-count`,
/// `unknown-key`, `revoked-key`, `bad-signature`, `malformed-json`, `not-canonical`,
/// `wrong-election` or `wrong-jurisdiction`.
pub fn authenticate(doc: &[u8], roster: &RosterState) -> Result<Authenticated, Rejection> {
    authenticate_countersigned(doc, roster).map(|(a, _)| a)
}

/// Every document the server logs is one log entry: a larger one is rejected with `code`
/// before anything else is done with it (it could never be logged).
///
/// # Errors
/// A [`Rejection`] with `code` naming the size and the limit.
pub fn fits_log_entry(doc: &[u8], code: C) -> Result<(), Rejection> {
    let max = canvass_log::tile::MAX_ENTRY_SIZE;
    if doc.len() > max {
        return Err(Rejection::new(
            code,
            "document",
            format!(
                "the document is {} bytes; a signed document is logged as one entry of at most {max} bytes: split the precincts over several submissions",
                doc.len()
            ),
        ));
    }
    Ok(())
}

/// As [`authenticate`], and also says whether the election authority countersigned the
/// document: a second signature line, by the roster's authority key, over the same body
/// (needed to change a certified state's results).
///
/// # Errors
/// As [`authenticate`]; a second signature that is not the authority's is
/// `signature-count`, one that does not verify is `bad-signature`.
pub fn authenticate_countersigned(
    doc: &[u8],
    roster: &RosterState,
) -> Result<(Authenticated, bool), Rejection> {
    fits_log_entry(doc, C::MalformedDocument)?;
    let n = note::parse(doc).map_err(|m| Rejection::new(C::MalformedDocument, "document", m))?;
    if n.kind != SUBMISSION_TYPE {
        return Err(Rejection::new(
            C::WrongType,
            "document",
            format!(
                "type line is {:?}; a submission starts with {SUBMISSION_TYPE:?}",
                n.kind
            ),
        ));
    }
    let (sig, counter) = match n.signatures.as_slice() {
        [sig] => (sig, None),
        [sig, c] => (sig, Some(c)),
        _ => {
            return Err(Rejection::new(
                C::SignatureCount,
                "signature",
                format!(
                    "a submission has exactly one signature line (two when the authority countersigns it), this one has {}",
                    n.signatures.len()
                ),
            ));
        }
    };
    if let Some(c) = counter {
        let auth = roster.authority();
        if c.name != auth.name() || c.id != auth.id() {
            return Err(Rejection::new(
                C::SignatureCount,
                "signature",
                format!(
                    "the second signature line is by {}+{:08x}; only the election authority ({}+{:08x}) may countersign a submission",
                    c.name,
                    c.id,
                    auth.name(),
                    auth.id()
                ),
            ));
        }
        if !auth.verify(n.body.as_bytes(), &c.signature) {
            return Err(Rejection::new(
                C::BadSignature,
                "signature",
                "the authority's countersignature does not verify: countersign the document exactly as the jurisdiction signed it",
            ));
        }
    }
    let key = roster.key(&sig.name, sig.id).ok_or_else(|| {
        Rejection::new(
            C::UnknownKey,
            "signature",
            format!(
                "key {}+{:08x} is not in the roster: sign with the key the authority issued",
                sig.name, sig.id
            ),
        )
    })?;
    if let Some(change) = key.revoked_by {
        return Err(Rejection::new(
            C::RevokedKey,
            "signature",
            format!(
                "key {}+{:08x} was retired or revoked by key change {change}: sign with the jurisdiction's current key",
                sig.name, sig.id
            ),
        ));
    }
    if !key.key.verify(n.body.as_bytes(), &sig.signature) {
        return Err(Rejection::new(
            C::BadSignature,
            "signature",
            format!(
                "the signature by {}+{:08x} does not verify: the document was changed after signing, or signed with another key",
                sig.name, sig.id
            ),
        ));
    }
    let s: Submission = canonical::decode(n.json).map_err(|e| match e {
        DecodeError::Malformed(m) => Rejection::new(C::MalformedJson, "document", m),
        DecodeError::NotCanonical => Rejection::new(
            C::NotCanonical,
            "document",
            "the JSON is not in canonical form (fixed field order, no whitespace, minimal escapes): encode it with canvass",
        ),
    })?;
    let election = &roster.roster().election;
    if s.election != *election {
        return Err(Rejection::new(
            C::WrongElection,
            "election",
            format!("election is {}, this server counts {election}", s.election),
        ));
    }
    let entry = &roster.roster().jurisdictions[key.jurisdiction];
    if s.jurisdiction != entry.id {
        return Err(Rejection::new(
            C::WrongJurisdiction,
            "jurisdiction",
            format!(
                "jurisdiction is {}, but the key is {}'s: each jurisdiction signs only its own submissions",
                s.jurisdiction, entry.id
            ),
        ));
    }
    let body = n.body.to_owned();
    Ok((
        Authenticated {
            digest: submission::digest(&body),
            submission: s,
            body,
            jurisdiction: key.jurisdiction,
            key_id: sig.id,
        },
        counter.is_some(),
    ))
}

/// Indexes over one election for steps 2 and 3.
#[derive(Debug, Clone)]
pub struct Checker {
    election: Election,
    ix: Index,
}

impl Checker {
    /// A checker for a definition that has passed validation.
    pub fn new(election: Election) -> Self {
        let ix = Index::new(&election);
        Checker { election, ix }
    }

    /// The election.
    pub fn election(&self) -> &Election {
        &self.election
    }

    /// Step 2: every precinct is the jurisdiction's own (in one of its counties, or listed
    /// by name) and every contest is held in the jurisdiction's state.
    ///
    /// # Errors
    /// A [`Rejection`] with code `unknown-precinct`, `precinct-not-authorized`,
    /// `unknown-contest` or `contest-not-authorized`.
    pub fn authorize(&self, a: &Authenticated, roster: &RosterState) -> Result<(), Rejection> {
        let entry = &roster.roster().jurisdictions[a.jurisdiction];
        let Payload::PrecinctResults { results } = &a.submission.payload else {
            return Ok(());
        };
        for (i, r) in results.iter().enumerate() {
            let field = format!("payload.results[{i}].precinct");
            let &u = self.ix.unit_of.get(r.precinct.as_str()).ok_or_else(|| {
                Rejection::new(
                    C::UnknownPrecinct,
                    &field,
                    format!(
                        "precinct {} is not in election {}: report only precincts the definition lists (or the county's FIPS code where it has none)",
                        r.precinct, self.election.election.id
                    ),
                )
            })?;
            let county = &self.election.counties[self.ix.units[u].county].fips;
            if !entry.counties.contains(county) && !entry.precincts.contains(&r.precinct) {
                return Err(Rejection::new(
                    C::PrecinctNotAuthorized,
                    field,
                    format!(
                        "precinct {} is in county {county}, which jurisdiction {} may not report: submit it with the key of the jurisdiction of county {county}",
                        r.precinct, entry.id
                    ),
                ));
            }
            for (k, c) in r.contests.iter().enumerate() {
                let field = format!("payload.results[{i}].contests[{k}].contest");
                let &ci = self.ix.contest_of.get(c.contest.as_str()).ok_or_else(|| {
                    Rejection::new(
                        C::UnknownContest,
                        &field,
                        format!(
                            "contest {} is not in the election definition: check the contest id",
                            c.contest
                        ),
                    )
                })?;
                let state = &self.election.contests[ci].state;
                if state.as_ref().is_some_and(|s| *s != entry.state) {
                    return Err(Rejection::new(
                        C::ContestNotAuthorized,
                        field,
                        format!(
                            "contest {} is held in {}, not in {}, the state of jurisdiction {}",
                            c.contest,
                            state.as_ref().map(|s| s.as_str()).unwrap_or_default(),
                            entry.state,
                            entry.id
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Step 3: sequence numbers, the amendment, and the counts: known contests on the
    /// precinct's ballots, known selections, no duplicates, counts at most [`MAX_COUNT`], votes
    /// at most ballots × votes allowed. Ballots above registered voters are flagged, not
    /// rejected. A replay of an accepted submission gives [`Verdict::AlreadyAccepted`].
    ///
    /// # Errors
    /// A [`Rejection`] with code `bad-sequence`, `old-sequence`, `bad-amendment`,
    /// `invalid-payload`, `unknown-precinct`, `bad-portion`, `unknown-contest`,
    /// `contest-not-on-ballot`, `unknown-candidate`, `duplicate`, `implausible-count` or
    /// `votes-above-ballots`.
    pub fn validate(
        &self,
        a: &Authenticated,
        history: &impl History,
    ) -> Result<Verdict, Rejection> {
        let s = &a.submission;
        let j = s.jurisdiction.as_str();
        if s.sequence == 0 {
            return Err(Rejection::new(
                C::BadSequence,
                "sequence",
                "sequence numbers start at 1",
            ));
        }
        match history.accepted(j, s.sequence) {
            Some(d) if d == a.digest => return Ok(Verdict::AlreadyAccepted),
            Some(_) => {
                return Err(Rejection::new(
                    C::OldSequence,
                    "sequence",
                    format!(
                        "sequence {} of jurisdiction {j} was already accepted with other content: to correct it, submit an amendment with a new sequence number",
                        s.sequence
                    ),
                ));
            }
            None => {}
        }
        if let Some(last) = history.last_sequence(j).filter(|&l| s.sequence <= l) {
            return Err(Rejection::new(
                C::OldSequence,
                "sequence",
                format!(
                    "sequence {} is not above {last}, the last accepted from jurisdiction {j}: use {}",
                    s.sequence,
                    last + 1
                ),
            ));
        }
        if let Some(am) = &s.amendment {
            if am.reason.trim().is_empty() {
                return Err(Rejection::new(
                    C::BadAmendment,
                    "amendment.reason",
                    "an amendment must say why",
                ));
            }
            if history.accepted(j, am.supersedes).is_none() {
                return Err(Rejection::new(
                    C::BadAmendment,
                    "amendment.supersedes",
                    format!(
                        "sequence {} of jurisdiction {j} was never accepted, so it cannot be amended",
                        am.supersedes
                    ),
                ));
            }
        }
        match &s.payload {
            Payload::PrecinctResults { results } => self.validate_results(results),
            Payload::CvrBatch {
                batch,
                records,
                merkle_root,
            } => {
                let hex = merkle_root.len() == 64
                    && merkle_root
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                let problem = if batch.is_empty() {
                    Some(("payload.batch", "the batch id is empty"))
                } else if *records == 0 {
                    Some(("payload.records", "a batch holds at least one record"))
                } else if !hex {
                    Some(("payload.merkle_root", "expected 64 lowercase hex digits"))
                } else {
                    None
                };
                match problem {
                    Some((f, m)) => Err(Rejection::new(C::InvalidPayload, f, m)),
                    None => Ok(Verdict::Accept { flags: Vec::new() }),
                }
            }
        }
    }

    fn validate_results(
        &self,
        results: &[canvass_model::PrecinctResult],
    ) -> Result<Verdict, Rejection> {
        if results.is_empty() {
            return Err(Rejection::new(
                C::InvalidPayload,
                "payload.results",
                "no precinct results: send at least one",
            ));
        }
        let mut flags = Vec::new();
        let mut seen_reports = HashSet::with_capacity(results.len());
        for (i, r) in results.iter().enumerate() {
            let at = format!("payload.results[{i}]");
            let &u = self.ix.unit_of.get(r.precinct.as_str()).ok_or_else(|| {
                Rejection::new(
                    C::UnknownPrecinct,
                    format!("{at}.precinct"),
                    format!("precinct {} is not in the election definition", r.precinct),
                )
            })?;
            let unit = &self.ix.units[u];
            let portion = match &r.portion {
                None => None,
                Some(p) => match self.ix.district_of.get(p.as_str()) {
                    Some(&d)
                        if unit.districts.contains(&d)
                            || (unit.districts.is_empty()
                                && self.election.districts[d].state
                                    == self.election.states[unit.state].postal) =>
                    {
                        Some(d)
                    }
                    _ => {
                        return Err(Rejection::new(
                            C::BadPortion,
                            format!("{at}.portion"),
                            format!(
                                "district {p} is not one of precinct {}'s districts",
                                r.precinct
                            ),
                        ));
                    }
                },
            };
            if !seen_reports.insert((u, portion, r.counting_group)) {
                return Err(Rejection::new(
                    C::Duplicate,
                    at,
                    format!(
                        "precinct {} (this portion and counting group) is reported twice: report it once",
                        r.precinct
                    ),
                ));
            }
            let mut seen_contests = HashSet::with_capacity(r.contests.len());
            for (k, cc) in r.contests.iter().enumerate() {
                let at = format!("{at}.contests[{k}]");
                let &ci = self.ix.contest_of.get(cc.contest.as_str()).ok_or_else(|| {
                    Rejection::new(
                        C::UnknownContest,
                        format!("{at}.contest"),
                        format!("contest {} is not in the election definition", cc.contest),
                    )
                })?;
                let cix = &self.ix.contests[ci];
                if !self.ix.on_ballot(ci, u)
                    || portion.is_some_and(|d| cix.district.is_some_and(|cd| cd != d))
                {
                    return Err(Rejection::new(
                        C::ContestNotOnBallot,
                        format!("{at}.contest"),
                        format!(
                            "contest {} is not on the ballots of precinct {}",
                            cc.contest, r.precinct
                        ),
                    ));
                }
                if !seen_contests.insert(ci) {
                    return Err(Rejection::new(
                        C::Duplicate,
                        format!("{at}.contest"),
                        format!(
                            "contest {} is reported twice for precinct {}",
                            cc.contest, r.precinct
                        ),
                    ));
                }
                for (name, n) in [
                    ("ballots", cc.ballots),
                    ("overvotes", cc.overvotes),
                    ("undervotes", cc.undervotes),
                ] {
                    if n > MAX_COUNT {
                        return Err(implausible(format!("{at}.{name}"), n));
                    }
                }
                let mut columns = HashSet::with_capacity(cc.votes.len());
                let mut votes: u64 = 0;
                for (v, sc) in cc.votes.iter().enumerate() {
                    let at = format!("{at}.votes[{v}]");
                    let key = (
                        sc.selection.to_string(),
                        sc.line.as_ref().map(|l| l.to_string()),
                    );
                    let &col = cix.column_of.get(&key).ok_or_else(|| {
                        Rejection::new(
                            C::UnknownCandidate,
                            format!("{at}.selection"),
                            format!(
                                "selection {}{} is not on the ballot of contest {}: check the selection id and line",
                                sc.selection,
                                sc.line.as_ref().map(|l| format!(" on line {l}")).unwrap_or_default(),
                                cc.contest
                            ),
                        )
                    })?;
                    if !columns.insert(col) {
                        return Err(Rejection::new(
                            C::Duplicate,
                            format!("{at}.selection"),
                            format!(
                                "selection {} is reported twice in contest {}",
                                sc.selection, cc.contest
                            ),
                        ));
                    }
                    if sc.votes > MAX_COUNT {
                        return Err(implausible(format!("{at}.votes"), sc.votes));
                    }
                    votes += sc.votes; // at most 2^30 × entries, far below 2^64
                }
                let vote_for = u64::from(self.election.contests[ci].vote_for.max(1));
                let allowed = cc.ballots * vote_for; // ballots ≤ 10^9, vote_for < 2^32
                if votes > allowed {
                    return Err(Rejection::new(
                        C::VotesAboveBallots,
                        format!("{at}.votes"),
                        format!(
                            "contest {} in precinct {}: {votes} votes, but {} ballots × {vote_for} allowed = {allowed}: check the counts",
                            cc.contest, r.precinct, cc.ballots
                        ),
                    ));
                }
                if let Err(p) = canvass_tally::rankings::resolve(&self.election.contests[ci], cc) {
                    return Err(Rejection::new(
                        C::InvalidRankings,
                        format!("{at}.{}", p.field),
                        format!(
                            "contest {} in precinct {}: {}",
                            cc.contest, r.precinct, p.message
                        ),
                    ));
                }
                if let Some(reg) = unit.registered_voters.filter(|&reg| cc.ballots > reg) {
                    flags.push(Flag {
                        code: FlagCode::BallotsAboveRegistered,
                        field: format!("{at}.ballots"),
                        message: format!(
                            "precinct {}: {} ballots in contest {}, but {reg} registered voters",
                            r.precinct, cc.ballots, cc.contest
                        ),
                    });
                }
            }
        }
        Ok(Verdict::Accept { flags })
    }

    /// Steps 1-3 in order.
    ///
    /// # Errors
    /// The first [`Rejection`] of [`authenticate`], [`Checker::authorize`] or
    /// [`Checker::validate`].
    pub fn check(
        &self,
        doc: &[u8],
        roster: &RosterState,
        history: &impl History,
    ) -> Result<(Authenticated, Verdict), Rejection> {
        let a = authenticate(doc, roster)?;
        self.authorize(&a, roster)?;
        let v = self.validate(&a, history)?;
        Ok((a, v))
    }
}

fn implausible(field: String, n: u64) -> Rejection {
    Rejection::new(
        C::ImplausibleCount,
        field,
        format!("{n} is more than any precinct can count (at most {MAX_COUNT}): check the number"),
    )
}
