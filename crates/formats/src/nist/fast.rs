//! Fast path of the NIST SP 1500-103 CVR JSON reader.
//!
//! Reads one `CVR` element with [`crate::jsonscan::lex`], borrowing every string from the
//! record's bytes and keeping nested elements in buffers reused from record to record, then
//! resolves it like [`Definitions::resolve`]. It returns `None` whenever the record is not
//! plainly valid (a type `serde_json` would reject, a duplicate field, an escaped string it
//! would have to keep, an unresolvable reference, ...): the caller then reads the record with
//! `serde_json` and [`Definitions::resolve`], which produce the result or the precise error.
//! So for every record this returns `Some` for, the result equals the slow path's.

use canvass_model::{CastVoteRecord, Choice, CvrContest, CvrMark};

use super::{Definitions, SelectionMeaning, check_rank, short_name};
use crate::jsonscan::lex::{Lex, array, object, opt_u64};
use crate::source::SourceOptions;

/// A `CVRSnapshot` in the buffers.
struct Snap<'a> {
    id: &'a str,
    contests: std::ops::Range<usize>,
}

/// A `CVRContest`.
struct Con<'a> {
    id: &'a str,
    selections: std::ops::Range<usize>,
}

/// A `CVRContestSelection`.
struct Sel<'a> {
    id: Option<&'a str>,
    rank: Option<u64>,
    needs_adjudication: bool,
    positions: std::ops::Range<usize>,
}

/// A `SelectionPosition`, reduced to what resolving needs.
struct Pos {
    /// `HasIndication` or `IsAllocable` is `no`.
    not_a_mark: bool,
    rank: Option<u64>,
    write_in: bool,
}

/// The scalar fields of a `CVR`.
#[derive(Default)]
struct Top<'a> {
    unique_id: Option<&'a str>,
    ballot_pre_printed_id: Option<&'a str>,
    ballot_style_id: Option<&'a str>,
    ballot_style_unit_id: Option<&'a str>,
    batch_id: Option<&'a str>,
    creating_device_id: Option<&'a str>,
    current_snapshot_id: Option<&'a str>,
    snapshots: std::ops::Range<usize>,
}

/// Buffers for one record's nested elements.
struct Bufs<'a> {
    snaps: Vec<Snap<'a>>,
    contests: Vec<Con<'a>>,
    selections: Vec<Sel<'a>>,
    positions: Vec<Pos>,
}

/// Empties `v` and reuses its allocation for another element type of the same layout (the
/// standard library collects in place when sizes and alignments match).
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// Buffers kept between records, so that reading one allocates only its output.
#[derive(Default)]
pub(crate) struct Scratch {
    snaps: Vec<Snap<'static>>,
    contests: Vec<Con<'static>>,
    selections: Vec<Sel<'static>>,
    positions: Vec<Pos>,
}

impl Scratch {
    fn take<'a>(&mut self) -> Bufs<'a> {
        Bufs {
            snaps: recycle(std::mem::take(&mut self.snaps)),
            contests: recycle(std::mem::take(&mut self.contests)),
            selections: recycle(std::mem::take(&mut self.selections)),
            positions: recycle(std::mem::take(&mut self.positions)),
        }
    }

    fn put(&mut self, b: Bufs<'_>) {
        self.snaps = recycle(b.snaps);
        self.contests = recycle(b.contests);
        self.selections = recycle(b.selections);
        self.positions = recycle(b.positions);
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

/// An `Option<String>` field: `null` or a string.
#[inline]
fn opt_str<'a>(l: &mut Lex<'a>) -> Option<Option<&'a str>> {
    if l.null() {
        Some(None)
    } else {
        l.str().map(Some)
    }
}

fn position(l: &mut Lex<'_>, b: &mut Bufs<'_>) -> Option<()> {
    let mut seen = 0;
    let mut p = Pos {
        not_a_mark: false,
        rank: None,
        write_in: false,
    };
    object(l, |l, k| {
        match k {
            b"HasIndication" | b"IsAllocable" => {
                first(&mut seen, u32::from(k[0] == b'I'))?;
                if opt_str(l)? == Some("no") {
                    p.not_a_mark = true;
                }
            }
            b"Rank" => {
                first(&mut seen, 2)?;
                p.rank = opt_u64(l)?;
            }
            b"CVRWriteIn" => {
                first(&mut seen, 3)?;
                if !l.null() {
                    l.skip()?;
                    p.write_in = true;
                }
            }
            _ => l.skip()?,
        }
        Some(())
    })?;
    b.positions.push(p);
    Some(())
}

fn selection<'a>(l: &mut Lex<'a>, b: &mut Bufs<'a>) -> Option<()> {
    let mut seen = 0;
    let mut s = Sel {
        id: None,
        rank: None,
        needs_adjudication: false,
        positions: 0..0,
    };
    object(l, |l, k| {
        match k {
            b"ContestSelectionId" => {
                first(&mut seen, 0)?;
                s.id = opt_str(l)?;
            }
            b"Rank" => {
                first(&mut seen, 1)?;
                s.rank = opt_u64(l)?;
            }
            b"Status" => {
                first(&mut seen, 2)?;
                array(l, |l| {
                    if l.str()? == "needs-adjudication" {
                        s.needs_adjudication = true;
                    }
                    Some(())
                })?;
            }
            b"SelectionPosition" => {
                first(&mut seen, 3)?;
                let start = b.positions.len();
                array(l, |l| position(l, b))?;
                s.positions = start..b.positions.len();
            }
            _ => l.skip()?,
        }
        Some(())
    })?;
    b.selections.push(s);
    Some(())
}

fn contest<'a>(l: &mut Lex<'a>, b: &mut Bufs<'a>) -> Option<()> {
    let mut seen = 0;
    let mut c = Con {
        id: "",
        selections: 0..0,
    };
    object(l, |l, k| {
        match k {
            b"ContestId" => {
                first(&mut seen, 0)?;
                c.id = l.str()?;
            }
            b"CVRContestSelection" => {
                first(&mut seen, 1)?;
                let start = b.selections.len();
                array(l, |l| selection(l, b))?;
                c.selections = start..b.selections.len();
            }
            _ => l.skip()?,
        }
        Some(())
    })?;
    b.contests.push(c);
    Some(())
}

fn snapshot<'a>(l: &mut Lex<'a>, b: &mut Bufs<'a>) -> Option<()> {
    let mut seen = 0;
    let mut s = Snap {
        id: "",
        contests: 0..0,
    };
    object(l, |l, k| {
        match k {
            b"@id" => {
                first(&mut seen, 0)?;
                s.id = l.str()?;
            }
            b"CVRContest" => {
                first(&mut seen, 1)?;
                let start = b.contests.len();
                array(l, |l| contest(l, b))?;
                s.contests = start..b.contests.len();
            }
            _ => l.skip()?,
        }
        Some(())
    })?;
    b.snaps.push(s);
    Some(())
}

fn cvr<'a>(l: &mut Lex<'a>, b: &mut Bufs<'a>) -> Option<Top<'a>> {
    let mut seen = 0;
    let mut t = Top::default();
    object(l, |l, k| {
        let (bit, slot) = match k {
            b"UniqueId" => (0, &mut t.unique_id),
            b"BallotPrePrintedId" => (1, &mut t.ballot_pre_printed_id),
            b"BallotStyleId" => (2, &mut t.ballot_style_id),
            b"BallotStyleUnitId" => (3, &mut t.ballot_style_unit_id),
            b"BatchId" => (4, &mut t.batch_id),
            b"CreatingDeviceId" => (5, &mut t.creating_device_id),
            b"CurrentSnapshotId" => (6, &mut t.current_snapshot_id),
            b"CVRSnapshot" => {
                first(&mut seen, 7)?;
                let start = b.snaps.len();
                array(l, |l| snapshot(l, b))?;
                t.snapshots = start..b.snaps.len();
                return Some(());
            }
            _ => return l.skip(),
        };
        first(&mut seen, bit)?;
        *slot = opt_str(l)?;
        Some(())
    })?;
    Some(t)
}

impl Definitions {
    /// Reads and resolves the `CVR` element at the start of `bytes` as
    /// [`Definitions::resolve`] would, returning the element's length and the record, or
    /// returns `None` if the slow path must decide (see the module documentation). A `None`
    /// record means the contest filter leaves nothing.
    pub(crate) fn resolve_fast(
        &self,
        file: &str,
        index: u64,
        bytes: &[u8],
        options: &SourceOptions,
        scratch: &mut Scratch,
    ) -> Option<(usize, Option<CastVoteRecord>)> {
        let mut b = scratch.take();
        let r = self.resolve_fast_in(file, index, bytes, options, &mut b);
        scratch.put(b);
        r
    }

    fn resolve_fast_in<'a>(
        &self,
        file: &str,
        index: u64,
        bytes: &'a [u8],
        options: &SourceOptions,
        b: &mut Bufs<'a>,
    ) -> Option<(usize, Option<CastVoteRecord>)> {
        let mut l = Lex::new(bytes);
        let t = cvr(&mut l, b)?;
        let len = l.pos();
        let precinct = match t.ballot_style_unit_id {
            None => None,
            Some(g) => Some(self.gp_units.get(g)?.clone()),
        };
        let current = t.current_snapshot_id?;
        let snap = b.snaps[t.snapshots].iter().find(|s| s.id == current)?;
        let mut contests = Vec::with_capacity(snap.contests.len());
        for c in &b.contests[snap.contests.clone()] {
            let name = self.contests.get(c.id)?;
            if !options.wants_contest(name) {
                continue;
            }
            let choices = self.selections.get(c.id);
            let sels = &b.selections[c.selections.clone()];
            // Positions of a contest's selections are contiguous: at most this many marks.
            let most = match (sels.first(), sels.last()) {
                (Some(f), Some(l)) => l.positions.end.saturating_sub(f.positions.start),
                _ => 0,
            };
            let mut marks = Vec::with_capacity(most);
            for sel in sels {
                if sel.needs_adjudication {
                    continue;
                }
                let base = match sel.id {
                    Some(sid) => match choices?.get(sid)? {
                        SelectionMeaning::Choice(ch) => Some(ch),
                    },
                    None => None,
                };
                for pos in &b.positions[sel.positions.clone()] {
                    if pos.not_a_mark {
                        continue;
                    }
                    let choice = if pos.write_in {
                        Choice::UndeclaredWriteIn
                    } else {
                        base?.clone()
                    };
                    let rank = check_rank(pos.rank.or(sel.rank).unwrap_or(1)).ok()?;
                    marks.push(CvrMark { rank, choice });
                }
            }
            contests.push(CvrContest {
                contest: name.clone(),
                marks,
            });
        }
        if contests.is_empty() && options.contest_id.as_deref().is_some_and(|c| !c.is_empty()) {
            return Some((len, None));
        }
        let id = match t.unique_id.or(t.ballot_pre_printed_id) {
            Some(id) => id.to_string(),
            None => format!("{}({index})", short_name(file)),
        };
        Some((
            len,
            Some(CastVoteRecord {
                id,
                precinct,
                ballot_style: t.ballot_style_id.map(str::to_string),
                batch: t.batch_id.map(str::to_string),
                tabulator: t.creating_device_id.map(str::to_string),
                counting_group: None,
                contests,
            }),
        ))
    }
}

#[cfg(test)]
mod tests;
