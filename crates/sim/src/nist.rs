//! Simulated ballots as NIST SP 1500-103 cast vote records (JSON), one
//! `CVR.CastVoteRecordReport` per reporting jurisdiction, streamed.
//!
//! Spec: NIST SP 1500-103 and its JSON schema (`NIST_V0_cast_vote_records.json`). The
//! definitions (`ReportingDevice`, `GpUnit`, `Election` with candidates and contests) come
//! first, then the `CVR` array, so a reader resolves records in one pass:
//!
//! ```text
//! {"@type":"CVR.CastVoteRecordReport","Version":"1.0.0","GeneratedDate":"2020-11-03T00:00:00Z",
//!  "ReportGeneratingDeviceIds":["rd-sim"],"ReportingDevice":[...],
//!  "GpUnit":[{"@id":"gp-01001","@type":"CVR.GpUnit","Type":"other",...},
//!            {"@id":"gp-01001-0001","@type":"CVR.GpUnit","Type":"precinct","Name":"01001-0001"}],
//!  "Election":[{"@id":"us-2020","@type":"CVR.Election","ElectionScopeId":"gp-01001",
//!               "Candidate":[{"@id":"ca-1","@type":"CVR.Candidate","Name":"biden-harris"}],
//!               "Contest":[{"@id":"president-AL","@type":"CVR.CandidateContest","Name":"president-AL",
//!                           "VotesAllowed":1,"ContestSelection":[{"@id":"cs-1","@type":"CVR.CandidateSelection","CandidateIds":["ca-1"]}]}]}],
//!  "CVR":[{"@type":"CVR.CVR","BallotStyleId":"01001-0001","BallotStyleUnitId":"gp-01001-0001",
//!          "BatchId":"01001-0001-1","BatchSequenceId":17,"CreatingDeviceId":"rd-sim",
//!          "CurrentSnapshotId":"s-01001-0001-1-17","ElectionId":"us-2020","UniqueId":"01001-0001-1-17",
//!          "CVRSnapshot":[{"@id":"s-01001-0001-1-17","@type":"CVR.CVRSnapshot","Type":"original",
//!                          "CVRContest":[{"@type":"CVR.CVRContest","ContestId":"president-AL","CVRContestSelection":[
//!                              {"@type":"CVR.CVRContestSelection","ContestSelectionId":"cs-1","SelectionPosition":[
//!                                  {"@type":"CVR.SelectionPosition","HasIndication":"yes","NumberVotes":1}]}]}]}]}]}
//! ```
//!
//! Names: a contest's `@id` and `Name` are the contest id; a candidate's `Name` is the
//! selection id, or `selection:LINE` for one line of a fusion selection; a generic write-in
//! is a selection with `IsWriteIn`; ballot measures' yes and no are candidate selections
//! named by their selection ids. A precinct's `GpUnit` is named by the precinct id. An
//! undervoted contest has no selections and `"Undervotes":1`; an overvoted one has
//! `"Overvotes":1` and two marked selections (so readers that count marks see the
//! overvote). `UniqueId` is `BATCH-POSITION`, the ballot's place in the ballot manifest.

use std::io::Write;

use canvass_model::{Election, PrecinctId, SelectionChoice};

use crate::ballots::{BallotMaker, Mark, PrecinctBallots};
use crate::error::CvrError;

/// Appends `s` as a JSON string (with quotes).
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
            }
            c => {
                let mut b = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Appends the decimal digits of `v`.
pub(crate) fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Pre-rendered JSON of one contest.
struct ContestJson {
    /// `{"@type":"CVR.CVRContestSelection",...}` per column.
    selection: Vec<Vec<u8>>,
    /// The whole `CVRContest` with one column marked, per column.
    marked: Vec<Vec<u8>>,
    /// The whole `CVRContest` undervoted.
    under: Vec<u8>,
    /// `{"@type":"CVR.CVRContest","ContestId":"…","Overvotes":1,"CVRContestSelection":[`.
    over_head: Vec<u8>,
}

/// Writes one jurisdiction's ballots as a NIST SP 1500-103 JSON report.
pub struct NistShardWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    contests: Vec<Option<ContestJson>>,
    /// `,"ElectionId":"…","UniqueId":"`, written after the snapshot id.
    election_id: Vec<u8>,
    first: bool,
}

const FLUSH_AT: usize = 1 << 16;

impl<W: Write> NistShardWriter<W> {
    /// Starts a report for jurisdiction `scope` (its id and name), whose ballots carry the
    /// contests `contests` (indexes into the definition) and whose precincts are
    /// `precincts`; writes the definitions.
    ///
    /// # Errors
    /// [`CvrError::Io`] if writing fails.
    pub fn new(
        out: W,
        maker: &BallotMaker<'_>,
        scope: (&str, &str),
        contests: &[usize],
        precincts: &[&PrecinctId],
    ) -> Result<Self, CvrError> {
        let e: &Election = maker.election();
        let mut h = Vec::with_capacity(4096);
        h.extend_from_slice(
            b"{\"@type\":\"CVR.CastVoteRecordReport\",\"Version\":\"1.0.0\",\"GeneratedDate\":",
        );
        json_str(&mut h, &format!("{}T00:00:00Z", e.election.date));
        h.extend_from_slice(b",\"ReportGeneratingDeviceIds\":[\"rd-sim\"],\"ReportingDevice\":[{\"@id\":\"rd-sim\",\"@type\":\"CVR.ReportingDevice\",\"Application\":\"canvass simulate\",\"Manufacturer\":\"canvass (simulated ballots)\"}],\"GpUnit\":[{\"@id\":");
        json_str(&mut h, &format!("gp-{}", scope.0));
        h.extend_from_slice(b",\"@type\":\"CVR.GpUnit\",\"Type\":\"other\",\"OtherType\":\"reporting jurisdiction\",\"Name\":");
        json_str(&mut h, scope.1);
        h.push(b'}');
        for p in precincts {
            h.extend_from_slice(b",{\"@id\":");
            json_str(&mut h, &format!("gp-{p}"));
            h.extend_from_slice(b",\"@type\":\"CVR.GpUnit\",\"Type\":\"precinct\",\"Name\":");
            json_str(&mut h, p.as_str());
            h.push(b'}');
        }
        h.extend_from_slice(b"],\"Election\":[{\"@id\":");
        json_str(&mut h, e.election.id.as_str());
        h.extend_from_slice(b",\"@type\":\"CVR.Election\",\"Name\":");
        json_str(&mut h, &e.election.name);
        h.extend_from_slice(b",\"ElectionScopeId\":");
        json_str(&mut h, &format!("gp-{}", scope.0));
        // Candidates: one per column of every contest.
        h.extend_from_slice(b",\"Candidate\":[");
        let mut cand = 0usize;
        let mut first = true;
        for &ci in contests {
            let c = &e.contests[ci];
            for (s, line) in &maker.columns[ci] {
                if is_write_in(c, s.as_str()) {
                    continue;
                }
                cand += 1;
                if !first {
                    h.push(b',');
                }
                first = false;
                h.extend_from_slice(b"{\"@id\":\"ca-");
                push_u64(&mut h, cand as u64);
                h.extend_from_slice(b"\",\"@type\":\"CVR.Candidate\",\"Name\":");
                match line {
                    Some(l) => json_str(&mut h, &format!("{s}:{l}")),
                    None => json_str(&mut h, s.as_str()),
                }
                h.push(b'}');
            }
        }
        h.extend_from_slice(b"],\"Contest\":[");
        let mut cand = 0usize;
        let mut sel = 0usize;
        let mut table: Vec<Option<ContestJson>> = (0..e.contests.len()).map(|_| None).collect();
        for (n, &ci) in contests.iter().enumerate() {
            let c = &e.contests[ci];
            if n > 0 {
                h.push(b',');
            }
            h.extend_from_slice(b"{\"@id\":");
            json_str(&mut h, c.id.as_str());
            h.extend_from_slice(b",\"@type\":\"CVR.CandidateContest\",\"Name\":");
            json_str(&mut h, c.id.as_str());
            h.extend_from_slice(b",\"VotesAllowed\":");
            push_u64(&mut h, u64::from(c.vote_for));
            h.extend_from_slice(b",\"ContestSelection\":[");
            let mut cj = ContestJson {
                selection: Vec::new(),
                marked: Vec::new(),
                under: Vec::new(),
                over_head: Vec::new(),
            };
            let mut head = b"{\"@type\":\"CVR.CVRContest\",\"ContestId\":".to_vec();
            json_str(&mut head, c.id.as_str());
            for (k, (s, _)) in maker.columns[ci].iter().enumerate() {
                sel += 1;
                if k > 0 {
                    h.push(b',');
                }
                h.extend_from_slice(b"{\"@id\":\"cs-");
                push_u64(&mut h, sel as u64);
                h.extend_from_slice(b"\",\"@type\":\"CVR.CandidateSelection\",");
                if is_write_in(c, s.as_str()) {
                    h.extend_from_slice(b"\"IsWriteIn\":true}");
                } else {
                    cand += 1;
                    h.extend_from_slice(b"\"CandidateIds\":[\"ca-");
                    push_u64(&mut h, cand as u64);
                    h.extend_from_slice(b"\"]}");
                }
                let mut one =
                    b"{\"@type\":\"CVR.CVRContestSelection\",\"ContestSelectionId\":\"cs-".to_vec();
                push_u64(&mut one, sel as u64);
                one.extend_from_slice(b"\",\"SelectionPosition\":[{\"@type\":\"CVR.SelectionPosition\",\"HasIndication\":\"yes\",\"NumberVotes\":1}]}");
                let mut marked = head.clone();
                marked.extend_from_slice(b",\"CVRContestSelection\":[");
                marked.extend_from_slice(&one);
                marked.extend_from_slice(b"]}");
                cj.selection.push(one);
                cj.marked.push(marked);
            }
            h.extend_from_slice(b"]}");
            cj.under = head.clone();
            cj.under.extend_from_slice(b",\"Undervotes\":1}");
            cj.over_head = head;
            cj.over_head
                .extend_from_slice(b",\"Overvotes\":1,\"CVRContestSelection\":[");
            table[ci] = Some(cj);
        }
        h.extend_from_slice(b"]}],\"CVR\":[");
        let mut election_id = b"\",\"ElectionId\":".to_vec();
        json_str(&mut election_id, e.election.id.as_str());
        election_id.extend_from_slice(b",\"UniqueId\":\"");
        Ok(NistShardWriter {
            out,
            buf: h,
            contests: table,
            election_id,
            first: true,
        })
    }

    fn flush_if_full(&mut self) -> Result<(), CvrError> {
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf).map_err(io)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes one precinct's ballots, ballot `i` at its place [`crate::ballot_place`].
    ///
    /// # Errors
    /// [`CvrError::Io`] if writing fails; [`CvrError::Unsupported`] for a contest not
    /// announced in [`NistShardWriter::new`].
    pub fn write_precinct(
        &mut self,
        precinct: &PrecinctId,
        ballots: &PrecinctBallots,
    ) -> Result<(), CvrError> {
        let mut p = Vec::new();
        json_str(&mut p, precinct.as_str());
        let p_raw = &p[1..p.len() - 1];
        for i in 0..ballots.ballots {
            let (batch, pos) = crate::ballot_place(i);
            let b = &mut self.buf;
            if !self.first {
                b.push(b',');
            }
            self.first = false;
            b.extend_from_slice(b"{\"@type\":\"CVR.CVR\",\"BallotStyleId\":");
            b.extend_from_slice(&p);
            b.extend_from_slice(b",\"BallotStyleUnitId\":\"gp-");
            b.extend_from_slice(p_raw);
            b.extend_from_slice(b"\",\"BatchId\":\"");
            b.extend_from_slice(p_raw);
            b.push(b'-');
            push_u64(b, batch);
            b.extend_from_slice(b"\",\"BatchSequenceId\":");
            push_u64(b, pos);
            b.extend_from_slice(b",\"CreatingDeviceId\":\"rd-sim\",\"CurrentSnapshotId\":\"s-");
            let uid_start = b.len();
            b.extend_from_slice(p_raw);
            b.push(b'-');
            push_u64(b, batch);
            b.push(b'-');
            push_u64(b, pos);
            let uid_end = b.len();
            b.extend_from_slice(&self.election_id);
            b.extend_from_within(uid_start..uid_end);
            b.extend_from_slice(b"\",\"CVRSnapshot\":[{\"@id\":\"s-");
            b.extend_from_within(uid_start..uid_end);
            b.extend_from_slice(
                b"\",\"@type\":\"CVR.CVRSnapshot\",\"Type\":\"original\",\"CVRContest\":[",
            );
            for (k, (&ci, &m)) in ballots.contests.iter().zip(ballots.ballot(i)).enumerate() {
                let Some(cj) = self.contests.get(ci).and_then(Option::as_ref) else {
                    return Err(CvrError::Unsupported(format!(
                        "precinct {precinct}: contest #{ci} is not in the report's definitions"
                    )));
                };
                if k > 0 {
                    b.push(b',');
                }
                match m {
                    Mark::Undervote => b.extend_from_slice(&cj.under),
                    Mark::Column(c) => b.extend_from_slice(&cj.marked[usize::from(c)]),
                    Mark::Overvote(x, y) => {
                        b.extend_from_slice(&cj.over_head);
                        b.extend_from_slice(&cj.selection[usize::from(x)]);
                        b.push(b',');
                        b.extend_from_slice(&cj.selection[usize::from(y)]);
                        b.extend_from_slice(b"]}");
                    }
                }
            }
            b.extend_from_slice(b"]}]}");
            self.flush_if_full()?;
        }
        Ok(())
    }

    /// Closes the report and returns the output.
    ///
    /// # Errors
    /// [`CvrError::Io`] if writing fails.
    pub fn finish(mut self) -> Result<W, CvrError> {
        self.buf.extend_from_slice(b"]}\n");
        self.out.write_all(&self.buf).map_err(io)?;
        self.out.flush().map_err(io)?;
        Ok(self.out)
    }
}

fn is_write_in(c: &canvass_model::Contest, selection: &str) -> bool {
    c.selections.iter().any(|s| {
        s.id.as_str() == selection && matches!(s.choice, SelectionChoice::GenericWriteIn(_))
    })
}

pub(crate) fn io(e: std::io::Error) -> CvrError {
    CvrError::Io {
        what: "NIST CVR JSON".into(),
        source: e,
    }
}
