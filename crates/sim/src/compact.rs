//! Simulated ballots as compact CVR CSV: one row per ballot, each contest's mark a small
//! integer, for fast tallies and `GROUP BY`s (documented in `docs/simulate.md`).
//!
//! ```text
//! style,batch,position,c1,c2,c3
//! 17,1,1,1,2,0
//! 17,1,2,2,-1,1
//! ```
//!
//! `style` is the ballot style: the precinct's index in the definition (one style per
//! precinct); `styles.csv` (`style,precinct,slot,contest`) says which contest each slot
//! `cN` holds for that style. A mark is `0` (undervote), `k` (the contest's `k`-th column,
//! 1-based, as listed in `contests.csv`: `contest,code,selection,line`) or `-1` (overvote).
//! Slots a style does not use are empty; every file has as many slots as the ballot with
//! the most contests, so all files have the same columns. The ballot's manifest batch is
//! `PRECINCT-batch` and its place in the batch `position`.

use std::io::Write;

use crate::ballots::{BallotMaker, Mark, PrecinctBallots};
use crate::error::CvrError;
use crate::nist::push_u64;

/// Writes one jurisdiction's ballots as compact CVR CSV.
pub struct CompactShardWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    slots: usize,
}

fn io(e: std::io::Error) -> CvrError {
    CvrError::Io {
        what: "compact CVR CSV".into(),
        source: e,
    }
}

impl<W: Write> CompactShardWriter<W> {
    /// Starts a file whose ballots have at most `slots` contests; writes the header.
    pub fn new(out: W, slots: usize) -> Self {
        let mut buf = b"style,batch,position".to_vec();
        for s in 1..=slots {
            buf.extend_from_slice(b",c");
            push_u64(&mut buf, s as u64);
        }
        buf.push(b'\n');
        CompactShardWriter { out, buf, slots }
    }

    /// Writes one precinct's ballots with ballot style `style`.
    ///
    /// # Errors
    /// [`CvrError::Io`] if writing fails; [`CvrError::Unsupported`] if the ballots have
    /// more contests than the header's slots.
    pub fn write_precinct(
        &mut self,
        style: u64,
        ballots: &PrecinctBallots,
    ) -> Result<(), CvrError> {
        let k = ballots.contests.len();
        if k > self.slots {
            return Err(CvrError::Unsupported(format!(
                "style {style} has {k} contests but the file has {} slots",
                self.slots
            )));
        }
        let mut head = Vec::new();
        push_u64(&mut head, style);
        head.push(b',');
        for i in 0..ballots.ballots {
            let (batch, pos) = crate::ballot_place(i);
            let b = &mut self.buf;
            b.extend_from_slice(&head);
            push_u64(b, batch);
            b.push(b',');
            push_u64(b, pos);
            for &m in ballots.ballot(i) {
                b.push(b',');
                match m {
                    Mark::Undervote => b.push(b'0'),
                    Mark::Column(c) => push_u64(b, u64::from(c) + 1),
                    Mark::Overvote(..) => b.extend_from_slice(b"-1"),
                }
            }
            for _ in k..self.slots {
                b.push(b',');
            }
            b.push(b'\n');
            if b.len() >= 1 << 16 {
                self.out.write_all(b).map_err(io)?;
                b.clear();
            }
        }
        Ok(())
    }

    /// Finishes the file and returns the output.
    ///
    /// # Errors
    /// [`CvrError::Io`] if writing fails.
    pub fn finish(mut self) -> Result<W, CvrError> {
        self.out.write_all(&self.buf).map_err(io)?;
        self.out.flush().map_err(io)?;
        Ok(self.out)
    }
}

/// Quotes a CSV field if it needs it.
fn field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// `contests.csv`: `contest,code,selection,line`, one row per column of every contest.
pub fn contests_csv(maker: &BallotMaker<'_>) -> String {
    let mut s = String::from("contest,code,selection,line\n");
    for (c, cols) in maker.election().contests.iter().zip(&maker.columns) {
        for (k, (sel, line)) in cols.iter().enumerate() {
            field(&mut s, c.id.as_str());
            s.push_str(&format!(",{},", k + 1));
            field(&mut s, sel.as_str());
            s.push(',');
            if let Some(l) = line {
                field(&mut s, l.as_str());
            }
            s.push('\n');
        }
    }
    s
}

/// Appends the `styles.csv` rows (`style,precinct,slot,contest`) of one style.
pub fn style_rows(
    out: &mut String,
    maker: &BallotMaker<'_>,
    style: u64,
    precinct: &str,
    contests: &[usize],
) {
    for (slot, &ci) in contests.iter().enumerate() {
        out.push_str(&format!("{style},"));
        field(out, precinct);
        out.push_str(&format!(",{},", slot + 1));
        field(out, maker.election().contests[ci].id.as_str());
        out.push('\n');
    }
}

/// The header of `styles.csv`.
pub const STYLES_HEADER: &str = "style,precinct,slot,contest\n";
