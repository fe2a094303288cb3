//! Semantic checks of an election definition.
//!
//! [`validate`] is a pure function: it returns every problem it finds, each with the
//! rule it broke and the path of the offending field (e.g. `contests[3].selections[1]`).
//! [`crate::source`] turns paths into file, line and column.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::definition::*;

/// One segment of a path into the definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A table key.
    Key(&'static str),
    /// An array index.
    Index(usize),
}

/// The location of a field inside a definition, e.g. `contests[3].vote_for`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    fn at(list: &'static str, i: usize) -> Self {
        FieldPath(vec![Segment::Key(list), Segment::Index(i)])
    }
    fn key(mut self, k: &'static str) -> Self {
        self.0.push(Segment::Key(k));
        self
    }
    fn index(mut self, i: usize) -> Self {
        self.0.push(Segment::Index(i));
        self
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, s) in self.0.iter().enumerate() {
            match s {
                Segment::Key(k) if n == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// The rule a definition broke. The string form is stable and documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleCode {
    /// The file is not valid TOML or JSON, or a field has the wrong type.
    Syntax,
    /// An id is empty or contains white space or control characters.
    InvalidId,
    /// Two items of one kind share an id.
    DuplicateId,
    /// A reference names an item that is not defined.
    UnknownReference,
    /// One precinct id is given two different counties.
    PrecinctInTwoCounties,
    /// Two jurisdictions may both report one precinct or county.
    PrecinctInTwoJurisdictions,
    /// A contest's vote-for-N is zero or larger than its candidate list.
    VoteForTooLarge,
    /// A congressional district has no precincts although its state defines precincts.
    DistrictWithoutPrecincts,
    /// Electoral votes do not add up.
    ElectoralVotes,
    /// A state's House seats disagree with its voting districts.
    HouseSeats,
    /// A chamber's seats do not add up.
    ChamberSeats,
    /// A county, district, precinct or jurisdiction is placed in the wrong state.
    WrongState,
    /// A contest's office, area, rule and selections do not fit together.
    ContestShape,
    /// A field's value is out of range or badly formed.
    BadValue,
}

impl RuleCode {
    /// The stable kebab-case name of the rule.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleCode::Syntax => "syntax",
            RuleCode::InvalidId => "invalid-id",
            RuleCode::DuplicateId => "duplicate-id",
            RuleCode::UnknownReference => "unknown-reference",
            RuleCode::PrecinctInTwoCounties => "precinct-in-two-counties",
            RuleCode::PrecinctInTwoJurisdictions => "precinct-in-two-jurisdictions",
            RuleCode::VoteForTooLarge => "vote-for-too-large",
            RuleCode::DistrictWithoutPrecincts => "district-without-precincts",
            RuleCode::ElectoralVotes => "electoral-votes",
            RuleCode::HouseSeats => "house-seats",
            RuleCode::ChamberSeats => "chamber-seats",
            RuleCode::WrongState => "wrong-state",
            RuleCode::ContestShape => "contest-shape",
            RuleCode::BadValue => "bad-value",
        }
    }
}

impl fmt::Display for RuleCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The rule broken.
    pub rule: RuleCode,
    /// Where, inside the definition.
    pub path: FieldPath,
    /// What is wrong and what to do about it.
    pub message: String,
}

struct Checker<'a> {
    e: &'a Election,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, rule: RuleCode, path: FieldPath, message: String) {
        self.problems.push(Problem {
            rule,
            path,
            message,
        });
    }

    /// Indexes one list by id, reporting bad and duplicate ids.
    fn index<'b, T>(
        &mut self,
        list: &'static str,
        field: &'static str,
        what: &str,
        items: &'b [T],
        id: impl Fn(&'b T) -> &'b str,
    ) -> HashMap<&'b str, usize> {
        let mut map = HashMap::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let k = id(item);
            if !valid_id(k) {
                self.report(
                    RuleCode::InvalidId,
                    FieldPath::at(list, i).key(field),
                    format!("{what} id {k:?} is not valid: use letters, digits and - _ . only"),
                );
            }
            if let Some(&first) = map.get(k) {
                self.report(
                    RuleCode::DuplicateId,
                    FieldPath::at(list, i).key(field),
                    format!(
                        "{what} id {k:?} is defined twice (first at {list}[{first}]): give each {what} its own id"
                    ),
                );
            } else {
                map.insert(k, i);
            }
        }
        map
    }

    fn reference(
        &mut self,
        known: &HashMap<&str, usize>,
        what: &str,
        value: &str,
        path: FieldPath,
    ) -> Option<usize> {
        let found = known.get(value).copied();
        if found.is_none() {
            self.report(
                RuleCode::UnknownReference,
                path,
                format!("unknown {what} {value:?}: define it, or correct the reference"),
            );
        }
        found
    }
}

/// Ids are non-empty and made of ASCII letters, digits and `-_.`.
fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Checks every rule and returns every problem found; an empty list means valid.
pub fn validate(e: &Election) -> Vec<Problem> {
    let mut c = Checker {
        e,
        problems: Vec::new(),
    };
    check_info(&mut c);
    let parties = c.index("parties", "id", "party", &e.parties, |p| p.id.as_str());
    let candidates = c.index("candidates", "id", "candidate", &e.candidates, |x| {
        x.id.as_str()
    });
    let tickets = c.index("tickets", "id", "ticket", &e.tickets, |x| x.id.as_str());
    let states = c.index("states", "postal", "state", &e.states, |x| {
        x.postal.as_str()
    });
    let counties = c.index("counties", "fips", "county", &e.counties, |x| {
        x.fips.as_str()
    });
    let districts = c.index("districts", "id", "district", &e.districts, |x| {
        x.id.as_str()
    });
    c.index(
        "jurisdictions",
        "id",
        "jurisdiction",
        &e.jurisdictions,
        |x| x.id.as_str(),
    );
    c.index("contests", "id", "contest", &e.contests, |x| x.id.as_str());
    let refs = Refs {
        parties,
        candidates,
        tickets,
        states,
        counties,
        districts,
    };
    check_people(&mut c, &refs);
    check_geography(&mut c, &refs);
    let precincts = check_precincts(&mut c, &refs);
    check_jurisdictions(&mut c, &refs, &precincts);
    check_contests(&mut c, &refs);
    check_electoral_college(&mut c);
    check_chambers(&mut c, &refs);
    c.problems
}

struct Refs<'a> {
    parties: HashMap<&'a str, usize>,
    candidates: HashMap<&'a str, usize>,
    tickets: HashMap<&'a str, usize>,
    states: HashMap<&'a str, usize>,
    counties: HashMap<&'a str, usize>,
    districts: HashMap<&'a str, usize>,
}

fn check_info(c: &mut Checker<'_>) {
    let info = &c.e.election;
    if !valid_id(info.id.as_str()) {
        c.report(
            RuleCode::InvalidId,
            FieldPath(vec![Segment::Key("election"), Segment::Key("id")]),
            format!(
                "election id {:?} is not valid: use letters, digits and - _ . only",
                info.id.as_str()
            ),
        );
    }
    if !is_iso_date(&info.date) {
        c.report(
            RuleCode::BadValue,
            FieldPath(vec![Segment::Key("election"), Segment::Key("date")]),
            format!(
                "election date {:?} is not a date: write it as YYYY-MM-DD",
                info.date
            ),
        );
    }
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|t| t.parse::<u32>().ok());
    matches!((num(0..4), num(5..7), num(8..10)), (Some(_), Some(m), Some(d)) if (1..=12).contains(&m) && (1..=31).contains(&d))
}

fn check_people(c: &mut Checker<'_>, r: &Refs<'_>) {
    let e = c.e;
    for (i, cand) in e.candidates.iter().enumerate() {
        if let Some(p) = &cand.party {
            c.reference(
                &r.parties,
                "party",
                p.as_str(),
                FieldPath::at("candidates", i).key("party"),
            );
        }
    }
    for (i, t) in e.tickets.iter().enumerate() {
        let path = FieldPath::at("tickets", i);
        c.reference(
            &r.candidates,
            "candidate",
            t.president.as_str(),
            path.clone().key("president"),
        );
        c.reference(
            &r.candidates,
            "candidate",
            t.vice_president.as_str(),
            path.clone().key("vice_president"),
        );
        if let Some(p) = &t.party {
            c.reference(&r.parties, "party", p.as_str(), path.key("party"));
        }
    }
}

fn check_geography(c: &mut Checker<'_>, r: &Refs<'_>) {
    let e = c.e;
    for (i, s) in e.states.iter().enumerate() {
        let path = FieldPath::at("states", i);
        if s.fips.len() != 2 || !s.fips.bytes().all(|b| b.is_ascii_digit()) {
            c.report(
                RuleCode::BadValue,
                path.clone().key("fips"),
                format!(
                    "state {} has FIPS code {:?}: a state FIPS code is two digits",
                    s.postal, s.fips
                ),
            );
        }
        if let Some(rule) = &s.recount {
            if rule.margin_basis_points > 10_000 {
                c.report(RuleCode::BadValue, path.clone().key("recount"), format!("state {} recount margin is {} basis points: it must be at most 10000 (100%)", s.postal, rule.margin_basis_points));
            }
        }
    }
    for (i, county) in e.counties.iter().enumerate() {
        let path = FieldPath::at("counties", i);
        if let Some(si) = c.reference(
            &r.states,
            "state",
            county.state.as_str(),
            path.clone().key("state"),
        ) {
            let st = &e.states[si];
            let f = county.fips.as_str();
            if f.len() != 5 || !f.bytes().all(|b| b.is_ascii_digit()) {
                c.report(
                    RuleCode::BadValue,
                    path.key("fips"),
                    format!("county FIPS code {f:?} is not five digits"),
                );
            } else if !f.starts_with(st.fips.as_str()) {
                c.report(RuleCode::WrongState, path.key("fips"), format!("county {f} ({}) does not start with {}'s FIPS code {}: check the county's state", county.name, st.postal, st.fips));
            }
        }
    }
    for (i, d) in e.districts.iter().enumerate() {
        c.reference(
            &r.states,
            "state",
            d.state.as_str(),
            FieldPath::at("districts", i).key("state"),
        );
    }
    // House seats per state equal that state's voting districts.
    let mut voting: HashMap<&str, u32> = HashMap::new();
    for d in &e.districts {
        if d.voting {
            *voting.entry(d.state.as_str()).or_default() += 1;
        }
    }
    for (i, s) in e.states.iter().enumerate() {
        let n = voting.get(s.postal.as_str()).copied().unwrap_or(0);
        if !e.districts.is_empty() && n != s.house_seats {
            c.report(RuleCode::HouseSeats, FieldPath::at("states", i).key("house_seats"), format!("state {} has house_seats = {} but {} voting districts: define one district per seat", s.postal, s.house_seats, n));
        }
    }
}

/// Checks precincts; returns the index of precinct ids.
fn check_precincts<'a>(c: &mut Checker<'a>, r: &Refs<'a>) -> HashMap<&'a str, usize> {
    let e = c.e;
    let mut map: HashMap<&str, usize> = HashMap::with_capacity(e.precincts.len());
    let mut states_with_precincts = HashSet::new();
    let mut districts_with_precincts = HashSet::new();
    for (i, p) in e.precincts.iter().enumerate() {
        let path = FieldPath::at("precincts", i);
        let id = p.id.as_str();
        if !valid_id(id) {
            c.report(
                RuleCode::InvalidId,
                path.clone().key("id"),
                format!("precinct id {id:?} is not valid: use letters, digits and - _ . only"),
            );
        }
        if let Some(&first) = map.get(id) {
            let other = &e.precincts[first];
            if other.county != p.county {
                c.report(RuleCode::PrecinctInTwoCounties, path.clone().key("county"), format!("precinct {id} is placed in county {} here and in county {} at precincts[{first}]: a precinct lies in one county; split it into two precincts", p.county, other.county));
            } else {
                c.report(RuleCode::DuplicateId, path.clone().key("id"), format!("precinct id {id:?} is defined twice (first at precincts[{first}]): give each precinct its own id"));
            }
        } else {
            map.insert(id, i);
        }
        let county_state = c
            .reference(
                &r.counties,
                "county",
                p.county.as_str(),
                path.clone().key("county"),
            )
            .map(|ci| e.counties[ci].state.as_str());
        if let Some(s) = county_state {
            states_with_precincts.insert(s);
        }
        for (k, d) in p.districts.iter().enumerate() {
            if let Some(di) = c.reference(
                &r.districts,
                "district",
                d.as_str(),
                path.clone().key("districts").index(k),
            ) {
                districts_with_precincts.insert(d.as_str());
                let ds = e.districts[di].state.as_str();
                if county_state.is_some_and(|s| s != ds) {
                    c.report(
                        RuleCode::WrongState,
                        path.clone().key("districts").index(k),
                        format!(
                            "precinct {id} is in {} but district {d} is in {ds}",
                            county_state.unwrap_or_default()
                        ),
                    );
                }
            }
        }
    }
    for (i, d) in e.districts.iter().enumerate() {
        if states_with_precincts.contains(d.state.as_str())
            && !districts_with_precincts.contains(d.id.as_str())
        {
            c.report(RuleCode::DistrictWithoutPrecincts, FieldPath::at("districts", i).key("id"), format!("district {} has no precincts although {} defines precincts: list it in the districts of the precincts it covers", d.id, d.state));
        }
    }
    map
}

fn check_jurisdictions(c: &mut Checker<'_>, r: &Refs<'_>, precincts: &HashMap<&str, usize>) {
    let e = c.e;
    let mut county_owner: HashMap<&str, usize> = HashMap::new();
    let mut precinct_owner: HashMap<&str, usize> = HashMap::new();
    for (i, j) in e.jurisdictions.iter().enumerate() {
        let path = FieldPath::at("jurisdictions", i);
        c.reference(
            &r.states,
            "state",
            j.state.as_str(),
            path.clone().key("state"),
        );
        for (k, cid) in j.counties.iter().enumerate() {
            let p = path.clone().key("counties").index(k);
            if let Some(ci) = c.reference(&r.counties, "county", cid.as_str(), p.clone()) {
                if e.counties[ci].state != j.state {
                    c.report(
                        RuleCode::WrongState,
                        p.clone(),
                        format!(
                            "jurisdiction {} reports to {} but county {cid} is in {}",
                            j.id, j.state, e.counties[ci].state
                        ),
                    );
                }
            }
            if let Some(&other) = county_owner.get(cid.as_str()) {
                c.report(RuleCode::PrecinctInTwoJurisdictions, p, format!("county {cid} is claimed by jurisdictions {} and {}: each precinct must have exactly one reporting jurisdiction", e.jurisdictions[other].id, j.id));
            } else {
                county_owner.insert(cid.as_str(), i);
            }
        }
        for (k, pid) in j.precincts.iter().enumerate() {
            let p = path.clone().key("precincts").index(k);
            if c.reference(precincts, "precinct", pid.as_str(), p.clone())
                .is_some()
            {
                if let Some(&other) = precinct_owner.get(pid.as_str()) {
                    c.report(RuleCode::PrecinctInTwoJurisdictions, p, format!("precinct {pid} is claimed by jurisdictions {} and {}: each precinct must have exactly one reporting jurisdiction", e.jurisdictions[other].id, j.id));
                } else {
                    precinct_owner.insert(pid.as_str(), i);
                }
            }
        }
    }
    // A precinct listed explicitly must not also be covered by another jurisdiction's county.
    for (pid, &ji) in &precinct_owner {
        if let Some(&pi) = precincts.get(pid) {
            let county = e.precincts[pi].county.as_str();
            if let Some(&cj) = county_owner.get(county) {
                if cj != ji {
                    let k = e.jurisdictions[ji]
                        .precincts
                        .iter()
                        .position(|p| p.as_str() == *pid)
                        .unwrap_or(0);
                    c.report(RuleCode::PrecinctInTwoJurisdictions, FieldPath::at("jurisdictions", ji).key("precincts").index(k), format!("precinct {pid} is claimed by jurisdiction {} and, through county {county}, by {}", e.jurisdictions[ji].id, e.jurisdictions[cj].id));
                }
            }
        }
    }
}

fn check_contests(c: &mut Checker<'_>, r: &Refs<'_>) {
    let e = c.e;
    let mut president_states: HashMap<&str, usize> = HashMap::new();
    for (i, ct) in e.contests.iter().enumerate() {
        let path = FieldPath::at("contests", i);
        let state = ct
            .state
            .as_ref()
            .and_then(|s| c.reference(&r.states, "state", s.as_str(), path.clone().key("state")));
        if let Some(d) = &ct.district {
            if let Some(di) = c.reference(
                &r.districts,
                "district",
                d.as_str(),
                path.clone().key("district"),
            ) {
                if ct.state.as_ref() != Some(&e.districts[di].state) {
                    c.report(
                        RuleCode::WrongState,
                        path.clone().key("district"),
                        format!(
                            "contest {} is for district {d}, which is in {}, not {:?}",
                            ct.id,
                            e.districts[di].state,
                            ct.state.as_ref().map(|s| s.as_str())
                        ),
                    );
                }
            }
        }
        let shape = |c: &mut Checker<'_>, field: &'static str, msg: String| {
            c.report(RuleCode::ContestShape, path.clone().key(field), msg)
        };
        match ct.office {
            Office::House if ct.district.is_none() => shape(
                c,
                "office",
                format!("House contest {} has no district: set district", ct.id),
            ),
            Office::President | Office::Senate | Office::Governor if ct.state.is_none() => shape(
                c,
                "state",
                format!(
                    "contest {} has no state: statewide contests need one",
                    ct.id
                ),
            ),
            Office::President => {
                if let Some(si) = state {
                    if let Some(first) = president_states.insert(e.states[si].postal.as_str(), i) {
                        shape(
                            c,
                            "state",
                            format!(
                                "{} has two presidential contests ({} and {}): one per state",
                                e.states[si].postal, e.contests[first].id, ct.id
                            ),
                        );
                    }
                }
            }
            _ => {}
        }
        // Selections.
        let mut seen = HashMap::new();
        let (mut choosable, mut answers) = (0u32, 0u32);
        for (k, s) in ct.selections.iter().enumerate() {
            let sp = path.clone().key("selections").index(k);
            if !valid_id(s.id.as_str()) {
                c.report(
                    RuleCode::InvalidId,
                    sp.clone().key("id"),
                    format!(
                        "selection id {:?} in contest {} is not valid",
                        s.id.as_str(),
                        ct.id
                    ),
                );
            }
            if let Some(first) = seen.insert(s.id.as_str(), k) {
                c.report(RuleCode::DuplicateId, sp.clone().key("id"), format!("selection id {:?} appears twice in contest {} (first at selections[{first}])", s.id.as_str(), ct.id));
            }
            for (l, line) in s.lines.iter().enumerate() {
                c.reference(
                    &r.parties,
                    "party",
                    line.as_str(),
                    sp.clone().key("lines").index(l),
                );
            }
            match &s.choice {
                SelectionChoice::Candidate(id) => {
                    choosable += 1;
                    c.reference(
                        &r.candidates,
                        "candidate",
                        id.as_str(),
                        sp.clone().key("candidate"),
                    );
                    if matches!(ct.office, Office::President | Office::Measure) {
                        c.report(
                            RuleCode::ContestShape,
                            sp.key("candidate"),
                            format!(
                                "contest {} is a {} contest: its selections are {}",
                                ct.id,
                                office_word(ct.office),
                                if ct.office == Office::Measure {
                                    "answers (yes/no)"
                                } else {
                                    "tickets"
                                }
                            ),
                        );
                    }
                }
                SelectionChoice::Ticket(id) => {
                    choosable += 1;
                    c.reference(&r.tickets, "ticket", id.as_str(), sp.clone().key("ticket"));
                    if ct.office != Office::President {
                        c.report(RuleCode::ContestShape, sp.key("ticket"), format!("contest {} lists a ticket but only presidential contests have tickets", ct.id));
                    }
                }
                SelectionChoice::Answer(_) => {
                    answers += 1;
                    if ct.office != Office::Measure {
                        c.report(
                            RuleCode::ContestShape,
                            sp.key("answer"),
                            format!(
                                "contest {} lists a yes/no answer but is not a ballot measure",
                                ct.id
                            ),
                        );
                    }
                }
                SelectionChoice::GenericWriteIn(_) => {}
            }
        }
        if ct.office == Office::Measure {
            let yes = ct
                .selections
                .iter()
                .filter(|s| s.choice == SelectionChoice::Answer(Answer::Yes))
                .count();
            let no = ct
                .selections
                .iter()
                .filter(|s| s.choice == SelectionChoice::Answer(Answer::No))
                .count();
            if yes != 1 || no != 1 || answers != 2 {
                c.report(
                    RuleCode::ContestShape,
                    path.clone().key("selections"),
                    format!(
                        "ballot measure {} must have exactly one yes and one no selection",
                        ct.id
                    ),
                );
            }
        }
        let max = if ct.office == Office::Measure {
            1
        } else {
            choosable
        };
        if ct.vote_for == 0 || ct.vote_for > max {
            c.report(RuleCode::VoteForTooLarge, path.clone().key("vote_for"), format!("contest {} has vote_for = {} but {} selection(s) to choose from: vote_for must be between 1 and {}", ct.id, ct.vote_for, max, max.max(1)));
        }
        match ct.rule {
            Rule::Supermajority {
                numerator,
                denominator,
            } => {
                if ct.office != Office::Measure {
                    c.report(RuleCode::ContestShape, path.clone().key("rule"), format!("contest {} uses a supermajority rule, which applies only to ballot measures", ct.id));
                }
                if denominator == 0 || numerator == 0 || numerator > denominator {
                    c.report(RuleCode::BadValue, path.clone().key("rule"), format!("contest {} needs {numerator}/{denominator} of the vote: the fraction must be between 0 and 1 with a non-zero denominator", ct.id));
                }
            }
            Rule::RankedChoice { max_rankings, .. } => {
                if ct.vote_for != 1 {
                    c.report(RuleCode::ContestShape, path.clone().key("vote_for"), format!("ranked-choice contest {} has vote_for = {}: single-winner ranked choice elects 1", ct.id, ct.vote_for));
                }
                if max_rankings == 0 {
                    c.report(RuleCode::BadValue, path.clone().key("rule"), format!("ranked-choice contest {} has max_rankings = 0: it must offer at least one rank", ct.id));
                }
            }
            Rule::Plurality | Rule::Majority { .. } => {}
        }
    }
    for (i, s) in e.states.iter().enumerate() {
        if s.electoral_votes > 0
            && !president_states.contains_key(s.postal.as_str())
            && president_states.values().next().is_some()
        {
            c.report(RuleCode::ElectoralVotes, FieldPath::at("states", i).key("electoral_votes"), format!("{} has {} electoral votes but no presidential contest: add contest president-{}", s.postal, s.electoral_votes, s.postal));
        }
    }
}

fn office_word(o: Office) -> &'static str {
    match o {
        Office::President => "presidential",
        Office::Measure => "ballot measure",
        _ => "candidate",
    }
}

fn check_electoral_college(c: &mut Checker<'_>) {
    let e = c.e;
    let mut sum = 0u64;
    for (i, s) in e.states.iter().enumerate() {
        let path = FieldPath::at("states", i).key("electoral_votes");
        sum += u64::from(s.electoral_votes);
        let voting_districts = e
            .districts
            .iter()
            .filter(|d| d.voting && d.state == s.postal && d.number > 0)
            .count() as u32;
        match (s.kind, s.allocation) {
            (StateKind::Territory, Allocation::None) if s.electoral_votes == 0 => {}
            (StateKind::Territory, _) | (_, Allocation::None) => c.report(RuleCode::ElectoralVotes, path, format!("{}: only states and DC have electors; territories have electoral_votes = 0 and allocation = \"none\"", s.postal)),
            (StateKind::State, _) if s.electoral_votes != s.house_seats + 2 => c.report(RuleCode::ElectoralVotes, path, format!("{} has {} electoral votes but {} House seats: a state's electors equal its House seats plus 2", s.postal, s.electoral_votes, s.house_seats)),
            (StateKind::FederalDistrict, _) if s.electoral_votes != 3 => c.report(RuleCode::ElectoralVotes, path, format!("{} has {} electoral votes: the 23rd Amendment gives DC 3", s.postal, s.electoral_votes)),
            (_, Allocation::District) if !e.districts.is_empty() && voting_districts + 2 != s.electoral_votes => c.report(RuleCode::ElectoralVotes, path, format!("{} uses the district method with {} electoral votes but has {} numbered districts: it needs 2 at-large electors plus one per district", s.postal, s.electoral_votes, voting_districts)),
            _ => {}
        }
    }
    if let Some(total) = e.election.electoral_votes_total {
        if sum != u64::from(total) {
            c.report(RuleCode::ElectoralVotes, FieldPath(vec![Segment::Key("election"), Segment::Key("electoral_votes_total")]), format!("electoral_votes_total is {total} but the states' electoral votes add up to {sum}"));
        }
    }
}

fn check_chambers(c: &mut Checker<'_>, r: &Refs<'_>) {
    let e = c.e;
    let chambers: [(&'static str, &Option<Chamber>, Office); 3] = [
        ("senate", &e.chambers.senate, Office::Senate),
        ("house", &e.chambers.house, Office::House),
        ("governors", &e.chambers.governors, Office::Governor),
    ];
    for (name, chamber, office) in chambers {
        let Some(ch) = chamber else { continue };
        let path = FieldPath(vec![Segment::Key("chambers"), Segment::Key(name)]);
        for (k, h) in ch.not_up.iter().enumerate() {
            c.reference(
                &r.parties,
                "party",
                h.party.as_str(),
                path.clone().key("not_up").index(k).key("party"),
            );
        }
        let not_up: u64 = ch.not_up.iter().map(|h| u64::from(h.seats)).sum();
        let up = e
            .contests
            .iter()
            .filter(|ct| ct.office == office && counts_in_chamber(e, ct, r))
            .count() as u64;
        if not_up + up != u64::from(ch.seats) {
            c.report(RuleCode::ChamberSeats, path.key("seats"), format!("{name} has {} seats but {not_up} not up plus {up} contests make {}: correct not_up or the contests", ch.seats, not_up + up));
        }
    }
}

/// Whether a contest fills a seat of its chamber (House: voting seats; governors: the 50 states).
fn counts_in_chamber(e: &Election, ct: &Contest, r: &Refs<'_>) -> bool {
    match ct.office {
        Office::House => ct
            .district
            .as_ref()
            .and_then(|d| r.districts.get(d.as_str()))
            .is_some_and(|&di| e.districts[di].voting),
        Office::Governor => ct
            .state
            .as_ref()
            .and_then(|s| r.states.get(s.as_str()))
            .is_some_and(|&si| e.states[si].kind == StateKind::State),
        _ => true,
    }
}

impl Election {
    /// The state with this postal code.
    pub fn state(&self, postal: &str) -> Option<&State> {
        self.states.iter().find(|s| s.postal.as_str() == postal)
    }
}
