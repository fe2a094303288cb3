//! NIST SP 1500-103 CVR JSON writer, streaming: CVRs are written as they come, and the
//! `Election` (contests, candidates), `GpUnit` and `ReportingDevice` definitions they refer
//! to are written after the `CVR` array, as RCTab's `generateCdfJson` output does.
//!
//! Overvote and undervote markers have no place of their own in SP 1500-103; like RCTab,
//! they are written as selections of pseudo-candidates named by
//! [`WriterOptions::overvote_label`] and [`WriterOptions::undervote_label`]. Read the output
//! back with the same labels in [`SourceOptions`](crate::SourceOptions) to get the markers
//! back. Undeclared write-ins are selections with `IsWriteIn: true`.

use std::collections::HashMap;
use std::io::Write;

use canvass_model::{CastVoteRecord, Choice};
use serde_json::{Value, json};

use crate::error::{FormatError, Result};

/// Settings for [`NistJsonWriter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterOptions {
    /// Name of the pseudo-candidate that stands for an overvote marker.
    pub overvote_label: String,
    /// Name of the pseudo-candidate that stands for an undervote or skipped-rank marker.
    pub undervote_label: String,
    /// `GeneratedDate` to write (ISO 8601); pass it in, since the writer reads no clock.
    pub generated_date: String,
    /// The election's `@id`.
    pub election_id: String,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            overvote_label: "overvote".into(),
            undervote_label: "undervote".into(),
            generated_date: "1970-01-01T00:00:00Z".into(),
            election_id: "election-001".into(),
        }
    }
}

#[derive(Default)]
struct ContestDef {
    id: String,
    name: String,
    /// Selection key (choice text, or `None` for write-in) to selection `@id`, in order.
    selections: Vec<(Option<String>, String)>,
    by_key: HashMap<Option<String>, usize>,
}

/// Writes cast vote records as one NIST SP 1500-103 `CastVoteRecordReport` JSON document.
pub struct NistJsonWriter<W: Write> {
    out: W,
    options: WriterOptions,
    first: bool,
    contests: Vec<ContestDef>,
    contest_by_name: HashMap<String, usize>,
    candidates: Vec<(String, String)>,
    candidate_by_name: HashMap<String, String>,
    gp_units: Vec<(String, String)>,
    gp_by_name: HashMap<String, String>,
    count: u64,
}

fn io(e: std::io::Error) -> FormatError {
    FormatError::io("(output)", e)
}

impl<W: Write> NistJsonWriter<W> {
    /// Starts a report on `out`.
    ///
    /// # Errors
    /// [`FormatError::Io`] if writing fails.
    pub fn new(mut out: W, options: WriterOptions) -> Result<Self> {
        out.write_all(b"{\"@type\":\"CVR.CastVoteRecordReport\",\"CVR\":[")
            .map_err(io)?;
        Ok(NistJsonWriter {
            out,
            options,
            first: true,
            contests: Vec::new(),
            contest_by_name: HashMap::new(),
            candidates: Vec::new(),
            candidate_by_name: HashMap::new(),
            gp_units: Vec::new(),
            gp_by_name: HashMap::new(),
            count: 0,
        })
    }

    fn candidate_id(&mut self, name: &str) -> String {
        if let Some(id) = self.candidate_by_name.get(name) {
            return id.clone();
        }
        let id = format!("c-{}", self.candidates.len() + 1);
        self.candidates.push((id.clone(), name.to_string()));
        self.candidate_by_name.insert(name.to_string(), id.clone());
        id
    }

    /// The index of `contest` in `self.contests`, adding it if new.
    fn contest_index(&mut self, contest: &str) -> usize {
        if let Some(&i) = self.contest_by_name.get(contest) {
            return i;
        }
        let i = self.contests.len();
        self.contests.push(ContestDef {
            id: format!("contest-{}", i + 1),
            name: contest.to_string(),
            ..ContestDef::default()
        });
        self.contest_by_name.insert(contest.to_string(), i);
        i
    }

    fn selection_id(&mut self, contest: &str, choice: &Choice) -> String {
        let key = match choice {
            Choice::Candidate(n) => Some(n.clone()),
            Choice::Overvote => Some(self.options.overvote_label.clone()),
            Choice::Undervote => Some(self.options.undervote_label.clone()),
            Choice::UndeclaredWriteIn => None,
        };
        if let Some(k) = &key {
            self.candidate_id(k);
        }
        let ci = self.contest_index(contest);
        let def = &mut self.contests[ci];
        if let Some(&si) = def.by_key.get(&key) {
            return def.selections[si].1.clone();
        }
        let id = format!("cs-{}-{}", ci + 1, def.selections.len() + 1);
        def.by_key.insert(key.clone(), def.selections.len());
        def.selections.push((key, id.clone()));
        id
    }

    fn gp_unit_id(&mut self, name: &str) -> String {
        if let Some(id) = self.gp_by_name.get(name) {
            return id.clone();
        }
        let id = format!("gpu-{}", self.gp_units.len() + 1);
        self.gp_units.push((id.clone(), name.to_string()));
        self.gp_by_name.insert(name.to_string(), id.clone());
        id
    }

    /// Appends one record.
    ///
    /// # Errors
    /// [`FormatError::Io`] if writing fails.
    pub fn write(&mut self, cvr: &CastVoteRecord) -> Result<()> {
        self.count += 1;
        let snapshot_id = format!("snapshot-{}", self.count);
        let mut contests = Vec::with_capacity(cvr.contests.len());
        for c in &cvr.contests {
            let mut selections = Vec::with_capacity(c.marks.len());
            for m in &c.marks {
                let sid = self.selection_id(&c.contest, &m.choice);
                selections.push(json!({
                    "@type": "CVR.CVRContestSelection",
                    "ContestSelectionId": sid,
                    "SelectionPosition": [{
                        "@type": "CVR.SelectionPosition",
                        "HasIndication": "yes",
                        "IsAllocable": "unknown",
                        "NumberVotes": 1,
                        "Rank": m.rank,
                    }],
                }));
            }
            // contest_index returns an index into self.contests.
            let ci = self.contest_index(&c.contest);
            let contest_id = self.contests[ci].id.clone();
            contests.push(json!({
                "@type": "CVR.CVRContest",
                "ContestId": contest_id,
                "CVRContestSelection": selections,
            }));
        }
        let mut obj = serde_json::Map::new();
        obj.insert("@type".into(), "CVR".into());
        obj.insert("UniqueId".into(), cvr.id.clone().into());
        if let Some(p) = &cvr.precinct {
            obj.insert("BallotStyleUnitId".into(), self.gp_unit_id(p).into());
        }
        let opt = |v: &Option<String>| v.clone().map(Value::from);
        if let Some(v) = opt(&cvr.ballot_style) {
            obj.insert("BallotStyleId".into(), v);
        }
        if let Some(v) = opt(&cvr.batch) {
            obj.insert("BatchId".into(), v);
        }
        if let Some(v) = opt(&cvr.tabulator) {
            obj.insert("CreatingDeviceId".into(), v);
        }
        obj.insert("CurrentSnapshotId".into(), snapshot_id.clone().into());
        obj.insert("ElectionId".into(), self.options.election_id.clone().into());
        obj.insert(
            "CVRSnapshot".into(),
            json!([{ "@id": snapshot_id, "@type": "CVR.CVRSnapshot", "Type": "original", "CVRContest": contests }]),
        );
        if !self.first {
            self.out.write_all(b",").map_err(io)?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, &Value::Object(obj)).map_err(|e| io(e.into()))?;
        Ok(())
    }

    /// Writes the definitions and closes the document, returning the output.
    ///
    /// # Errors
    /// [`FormatError::Io`] if writing fails.
    pub fn finish(mut self) -> Result<W> {
        let candidates: Vec<Value> = self
            .candidates
            .iter()
            .map(|(id, name)| json!({"@id": id, "@type": "Candidate", "Name": name}))
            .collect();
        let contests: Vec<Value> = self
            .contests
            .iter()
            .map(|c| {
                let sels: Vec<Value> = c
                    .selections
                    .iter()
                    .map(|(key, id)| match key {
                        Some(name) => json!({"@id": id, "@type": "CandidateSelection",
                            "CandidateIds": [self.candidate_by_name.get(name)]}),
                        None => json!({"@id": id, "@type": "CandidateSelection", "IsWriteIn": true}),
                    })
                    .collect();
                json!({"@id": c.id, "@type": "CandidateContest", "Name": c.name, "ContestSelection": sels})
            })
            .collect();
        let mut gp: Vec<Value> = vec![
            json!({"@id": "gpu-election", "@type": "GpUnit", "Type": "other", "OtherType": "Election Scope Jurisdiction"}),
        ];
        gp.extend(self.gp_units.iter().map(
            |(id, name)| json!({"@id": id, "@type": "GpUnit", "Name": name, "Type": "precinct"}),
        ));
        let tail = json!({
            "Election": [{"@id": self.options.election_id, "@type": "Election", "ElectionScopeId": "gpu-election",
                          "Candidate": candidates, "Contest": contests}],
            "GeneratedDate": self.options.generated_date,
            "GpUnit": gp,
            "ReportGeneratingDeviceIds": ["rd-001"],
            "ReportingDevice": [{"@id": "rd-001", "@type": "CVR.ReportingDevice", "Application": "canvass"}],
            "Version": "1.0.0",
        });
        // `tail` serializes as `{...}`; splice its members after the CVR array.
        let tail = serde_json::to_string(&tail).map_err(|e| io(e.into()))?;
        self.out.write_all(b"],").map_err(io)?;
        self.out.write_all(&tail.as_bytes()[1..]).map_err(io)?;
        self.out.flush().map_err(io)?;
        Ok(self.out)
    }
}
