//! Fast path of the Dominion `CvrExport*.json` reader.
//!
//! Reads one session with [`crate::jsonscan::lex`] into buffers reused from session to
//! session, and converts it as `convert` in the parent module does. It returns `None`
//! whenever the session is not plainly valid (a type `serde_json` would reject, a missing or
//! duplicate field, an escaped id string, an id missing from a manifest, ...): the caller
//! then reads the session with `serde_json` and `convert`, which produce the result or the
//! precise error. So for every session this returns `Some` for, the result equals the slow
//! path's.

use std::collections::HashMap;
use std::ops::Range;

use canvass_model::{CastVoteRecord, Choice, CvrContest, CvrMark};

use super::Manifests;
use crate::jsonscan::lex::{Lex, array, object, opt_u64};
use crate::nist::check_rank;
use crate::source::{Key, SourceOptions};

/// A `TabulatorId`, `BatchId` or `RecordId`: a number, or a string in some exports.
#[derive(Clone, Copy)]
enum Id<'a> {
    Num(u64),
    Text(&'a str),
}

impl Id<'_> {
    fn text(self) -> String {
        match self {
            Id::Num(n) => n.to_string(),
            Id::Text(t) => t.to_string(),
        }
    }
}

/// A contest of a state, in the buffers.
struct Con {
    id: u64,
    /// One of its `OutstackConditionIds` marks it invalid.
    invalid: bool,
    marks: Range<usize>,
}

/// A mark.
struct Mark {
    candidate: u64,
    rank: u64,
    ambiguous: bool,
}

/// An `Original` or `Modified` state.
#[derive(Default)]
struct State {
    precinct_portion_id: Option<u64>,
    ballot_type_id: Option<u64>,
    is_current: Option<bool>,
    /// The contests of all `Cards`, if `Cards` is there (and not `null`).
    cards: Option<Range<usize>>,
    /// The state's own `Contests`, if there (and not `null`).
    contests: Option<Range<usize>>,
}

/// What the reader needs per candidate id, worked out once per export file.
pub(crate) struct Candidates {
    /// Candidate id to (its choice under the options, its contest id).
    by_id: HashMap<u64, (Choice, Option<u64>)>,
}

impl Candidates {
    /// Classifies every candidate of `m` as `convert` would.
    pub(crate) fn new(m: &Manifests, options: &SourceOptions) -> Self {
        let by_id = m
            .candidates
            .iter()
            .map(|(&id, (name, contest))| {
                let id_text = id.to_string();
                let choice = match options.key {
                    Key::Id => options.classify(&id_text),
                    Key::Name => {
                        if options.undeclared_write_in_label.as_deref() == Some(id_text.as_str()) {
                            Choice::UndeclaredWriteIn
                        } else {
                            options.classify(name)
                        }
                    }
                };
                (id, (choice, *contest))
            })
            .collect();
        Candidates { by_id }
    }
}

/// Buffers kept between sessions, so that reading one allocates only its output.
#[derive(Default)]
pub(crate) struct Scratch {
    contests: Vec<Con>,
    marks: Vec<Mark>,
}

#[inline]
fn id<'a>(l: &mut Lex<'a>) -> Option<Id<'a>> {
    if l.peek()? == b'"' {
        l.str().map(Id::Text)
    } else {
        l.u64().map(Id::Num)
    }
}

/// Marks field `bit` as seen; `None` if it was already (`serde` rejects duplicate fields).
#[inline]
fn first(seen: &mut u32, bit: u32) -> Option<()> {
    if *seen & (1 << bit) != 0 {
        return None;
    }
    *seen |= 1 << bit;
    Some(())
}

fn mark(l: &mut Lex<'_>, s: &mut Scratch) -> Option<()> {
    let mut seen = 0;
    let (mut candidate, mut rank, mut ambiguous) = (None, None, false);
    object(l, |l, k| {
        match k {
            b"CandidateId" => {
                first(&mut seen, 0)?;
                candidate = Some(l.u64()?);
            }
            b"Rank" => {
                first(&mut seen, 1)?;
                rank = Some(l.u64()?);
            }
            b"IsAmbiguous" => {
                first(&mut seen, 2)?;
                ambiguous = l.bool()?;
            }
            _ => l.skip()?,
        }
        Some(())
    })?;
    s.marks.push(Mark {
        candidate: candidate?,
        rank: rank?,
        ambiguous,
    });
    Some(())
}

fn contest(l: &mut Lex<'_>, s: &mut Scratch, invalid_conditions: &[u64]) -> Option<()> {
    let mut seen = 0;
    let (mut id, mut invalid, mut marks) = (None, false, 0..0);
    object(l, |l, k| {
        match k {
            b"Id" => {
                first(&mut seen, 0)?;
                id = Some(l.u64()?);
            }
            b"Marks" => {
                first(&mut seen, 1)?;
                let start = s.marks.len();
                array(l, |l| mark(l, s))?;
                marks = start..s.marks.len();
            }
            b"OutstackConditionIds" => {
                first(&mut seen, 2)?;
                array(l, |l| {
                    if invalid_conditions.contains(&l.u64()?) {
                        invalid = true;
                    }
                    Some(())
                })?;
            }
            _ => l.skip()?,
        }
        Some(())
    })?;
    s.contests.push(Con {
        id: id?,
        invalid,
        marks,
    });
    Some(())
}

fn contests(l: &mut Lex<'_>, s: &mut Scratch, invalid: &[u64]) -> Option<Range<usize>> {
    let start = s.contests.len();
    array(l, |l| contest(l, s, invalid))?;
    Some(start..s.contests.len())
}

fn state(l: &mut Lex<'_>, s: &mut Scratch, invalid: &[u64]) -> Option<State> {
    let mut seen = 0;
    let mut st = State::default();
    object(l, |l, k| {
        match k {
            b"PrecinctPortionId" => {
                first(&mut seen, 0)?;
                st.precinct_portion_id = opt_u64(l)?;
            }
            b"BallotTypeId" => {
                first(&mut seen, 1)?;
                st.ballot_type_id = opt_u64(l)?;
            }
            b"IsCurrent" => {
                first(&mut seen, 2)?;
                st.is_current = Some(l.bool()?);
            }
            b"Cards" => {
                first(&mut seen, 3)?;
                if !l.null() {
                    let start = s.contests.len();
                    array(l, |l| {
                        let mut seen = 0;
                        object(l, |l, k| {
                            if k == b"Contests" {
                                first(&mut seen, 0)?;
                                contests(l, s, invalid).map(|_| ())
                            } else {
                                l.skip()
                            }
                        })
                    })?;
                    st.cards = Some(start..s.contests.len());
                }
            }
            b"Contests" => {
                first(&mut seen, 4)?;
                if !l.null() {
                    st.contests = Some(contests(l, s, invalid)?);
                }
            }
            _ => l.skip()?,
        }
        Some(())
    })?;
    st.is_current?;
    Some(st)
}

/// Reads and converts the session at the start of `bytes` as `read_export` does with
/// `serde_json` and `convert`, returning the session's length and the record, or returns
/// `None` if that slow path must decide. A `None` record means the session is skipped (no
/// current state, or the contest filter leaves nothing).
pub(crate) fn convert(
    bytes: &[u8],
    m: &Manifests,
    cands: &Candidates,
    options: &SourceOptions,
    s: &mut Scratch,
) -> Option<(usize, Option<CastVoteRecord>)> {
    s.contests.clear();
    s.marks.clear();
    let invalid = m.invalid_contest_conditions.as_slice();
    let mut l = Lex::new(bytes);
    let mut seen = 0;
    let (mut tabulator, mut batch, mut record, mut counting_group) = (None, None, None, None);
    let (mut original, mut modified) = (None, None);
    object(&mut l, |l, k| {
        match k {
            b"TabulatorId" => {
                first(&mut seen, 0)?;
                tabulator = Some(id(l)?);
            }
            b"BatchId" => {
                first(&mut seen, 1)?;
                batch = Some(id(l)?);
            }
            b"RecordId" => {
                first(&mut seen, 2)?;
                record = Some(id(l)?);
            }
            b"CountingGroupId" => {
                first(&mut seen, 3)?;
                counting_group = opt_u64(l)?;
            }
            b"Original" => {
                first(&mut seen, 4)?;
                original = Some(state(l, s, invalid)?);
            }
            b"Modified" => {
                first(&mut seen, 5)?;
                if !l.null() {
                    modified = Some(state(l, s, invalid)?);
                }
            }
            _ => l.skip()?,
        }
        Some(())
    })?;
    let len = l.pos();
    let (tabulator, batch, record, original) = (tabulator?, batch?, record?, original?);
    let st = if original.is_current == Some(true) {
        original
    } else {
        match modified {
            Some(st) => st,
            None => return Some((len, None)),
        }
    };
    let precinct = match st.precinct_portion_id {
        None => None,
        Some(id) => Some(m.precinct_portions.get(&id)?.clone()),
    };
    let lookup = |table: &HashMap<u64, String>, id: Option<u64>| -> Option<Option<String>> {
        match id {
            None => Some(None),
            Some(id) if table.is_empty() => Some(Some(id.to_string())),
            Some(id) => table.get(&id).cloned().map(Some),
        }
    };
    let ballot_style = lookup(&m.ballot_types, st.ballot_type_id)?;
    let counting_group = lookup(&m.counting_groups, counting_group)?;
    if let Id::Num(t) = tabulator {
        if !m.tabulators.is_empty() && !m.tabulators.contains_key(&t) {
            return None;
        }
    }
    let range = match (st.cards, st.contests) {
        (Some(r), _) | (None, Some(r)) => r,
        (None, None) => 0..0,
    };
    let mut out = Vec::with_capacity(range.len());
    for c in &s.contests[range] {
        if c.invalid {
            continue;
        }
        let name = m.contests.get(&c.id)?;
        let key = match options.key {
            Key::Id => c.id.to_string(),
            Key::Name => name.clone(),
        };
        if !options.wants_contest(&key) {
            continue;
        }
        let mut marks = Vec::with_capacity(c.marks.len());
        for mark in &s.marks[c.marks.clone()] {
            if mark.ambiguous {
                continue;
            }
            let (choice, contest) = cands.by_id.get(&mark.candidate)?;
            if contest.is_some_and(|cc| cc != c.id) {
                return None;
            }
            let rank = check_rank(mark.rank).ok()?;
            marks.push(CvrMark {
                rank,
                choice: choice.clone(),
            });
        }
        out.push(CvrContest {
            contest: key,
            marks,
        });
    }
    if out.is_empty() && options.contest_id.as_deref().is_some_and(|c| !c.is_empty()) {
        return Some((len, None));
    }
    let tabulator = tabulator.text();
    let batch = batch.text();
    Some((
        len,
        Some(CastVoteRecord {
            id: format!("{tabulator}-{batch}-{}", record.text()),
            precinct,
            ballot_style,
            batch: Some(batch),
            tabulator: Some(tabulator),
            counting_group,
            contests: out,
        }),
    ))
}

#[cfg(test)]
mod tests;
