//! Integer indexes over an election definition, built once, so that counting is array
//! arithmetic rather than string lookups.

use std::collections::HashMap;

use canvass_model::{Election, PartyId};

/// Where a reporting unit lies.
#[derive(Debug, Clone)]
pub struct UnitIx {
    /// The unit's id: a precinct id, or a county FIPS code for a county reported whole.
    pub id: String,
    /// Index into `Election::counties`.
    pub county: usize,
    /// Index into `Election::states`.
    pub state: usize,
    /// Indexes into `Election::districts`.
    pub districts: Vec<usize>,
    /// Registered voters, if known.
    pub registered_voters: Option<u64>,
}

/// One column of a contest's counts: a selection on one ballot line.
#[derive(Debug, Clone)]
pub struct Column {
    /// Index into the contest's selections.
    pub selection: usize,
    /// The ballot line, when the selection has several (fusion).
    pub line: Option<PartyId>,
}

/// A contest, with its columns and where it is held.
#[derive(Debug, Clone)]
pub struct ContestIx {
    /// Columns: one per selection, or one per line of a fusion selection.
    pub columns: Vec<Column>,
    /// Column lookup by (selection id, line).
    pub column_of: HashMap<(String, Option<String>), usize>,
    /// Index into `Election::states`, for a contest held in one state.
    pub state: Option<usize>,
    /// Index into `Election::districts`, for a district contest.
    pub district: Option<usize>,
    /// Reporting units on whose ballots the contest appears.
    pub expected_units: u32,
    /// Column lookup by selection id without allocating: the selection's columns, each
    /// with the line that names it (`None` for a selection's only column).
    columns_of: HashMap<String, Vec<(Option<String>, usize)>>,
}

impl ContestIx {
    /// The column of a selection on a line (`None`: the selection's only line); the same
    /// answer as `column_of`, without building an owned key.
    pub fn column(&self, selection: &str, line: Option<&str>) -> Option<usize> {
        self.columns_of
            .get(selection)?
            .iter()
            .find(|(l, _)| l.as_deref() == line)
            .map(|&(_, c)| c)
    }
}

/// Integer indexes over one election definition.
#[derive(Debug, Clone)]
pub struct Index {
    /// Reporting units: the precincts, then each county that has no precincts.
    pub units: Vec<UnitIx>,
    /// Unit lookup by id.
    pub unit_of: HashMap<String, usize>,
    /// Contests, in definition order.
    pub contests: Vec<ContestIx>,
    /// Contest lookup by id.
    pub contest_of: HashMap<String, usize>,
    /// District lookup by id.
    pub district_of: HashMap<String, usize>,
    /// State lookup by postal code.
    pub state_of: HashMap<String, usize>,
}

impl Index {
    /// Builds the indexes of a definition that has passed validation.
    pub fn new(e: &Election) -> Self {
        let state_of: HashMap<String, usize> = e
            .states
            .iter()
            .enumerate()
            .map(|(i, s)| (s.postal.to_string(), i))
            .collect();
        let district_of: HashMap<String, usize> = e
            .districts
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.to_string(), i))
            .collect();
        let county_of: HashMap<&str, usize> = e
            .counties
            .iter()
            .enumerate()
            .map(|(i, c)| (c.fips.as_str(), i))
            .collect();
        let mut districts_of_state: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, d) in e.districts.iter().enumerate() {
            districts_of_state
                .entry(d.state.as_str())
                .or_default()
                .push(i);
        }
        let mut units = Vec::with_capacity(e.precincts.len() + e.counties.len());
        let mut has_precincts = vec![false; e.counties.len()];
        for p in &e.precincts {
            let Some(&county) = county_of.get(p.county.as_str()) else {
                continue;
            };
            has_precincts[county] = true;
            let state = state_of
                .get(e.counties[county].state.as_str())
                .copied()
                .unwrap_or(0);
            units.push(UnitIx {
                id: p.id.to_string(),
                county,
                state,
                districts: p
                    .districts
                    .iter()
                    .filter_map(|d| district_of.get(d.as_str()).copied())
                    .collect(),
                registered_voters: p.registered_voters,
            });
        }
        for (county, c) in e.counties.iter().enumerate() {
            if has_precincts[county] {
                continue;
            }
            let state = state_of.get(c.state.as_str()).copied().unwrap_or(0);
            // A county reported whole lies in its state's single district, if it has one.
            let districts: &[usize] = districts_of_state
                .get(c.state.as_str())
                .map_or(&[], Vec::as_slice);
            units.push(UnitIx {
                id: c.fips.to_string(),
                county,
                state,
                districts: if districts.len() == 1 {
                    districts.to_vec()
                } else {
                    Vec::new()
                },
                registered_voters: None,
            });
        }
        let unit_of = units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id.clone(), i))
            .collect();
        let contests: Vec<ContestIx> = e
            .contests
            .iter()
            .map(|c| {
                let mut columns = Vec::new();
                let mut column_of = HashMap::new();
                for (si, s) in c.selections.iter().enumerate() {
                    if s.lines.len() > 1 {
                        for l in &s.lines {
                            column_of
                                .insert((s.id.to_string(), Some(l.to_string())), columns.len());
                            columns.push(Column {
                                selection: si,
                                line: Some(l.clone()),
                            });
                        }
                    } else {
                        column_of.insert((s.id.to_string(), None), columns.len());
                        if let Some(l) = s.lines.first() {
                            column_of
                                .insert((s.id.to_string(), Some(l.to_string())), columns.len());
                        }
                        columns.push(Column {
                            selection: si,
                            line: None,
                        });
                    }
                }
                let state = c
                    .state
                    .as_ref()
                    .and_then(|s| state_of.get(s.as_str()).copied());
                let district = c
                    .district
                    .as_ref()
                    .and_then(|d| district_of.get(d.as_str()).copied());
                let mut columns_of: HashMap<String, Vec<(Option<String>, usize)>> = HashMap::new();
                for ((sel, line), &col) in &column_of {
                    columns_of
                        .entry(sel.clone())
                        .or_default()
                        .push((line.clone(), col));
                }
                ContestIx {
                    columns,
                    column_of,
                    columns_of,
                    state,
                    district,
                    expected_units: 0,
                }
            })
            .collect();
        let mut ix = Index {
            units,
            unit_of,
            contest_of: e
                .contests
                .iter()
                .enumerate()
                .map(|(i, c)| (c.id.to_string(), i))
                .collect(),
            contests,
            district_of,
            state_of,
        };
        // Units by state and by district: a contest can only be expected where its state's
        // (or its district's) units are, so only those are checked rather than every unit
        // for every contest (millions of checks for a national definition).
        let mut units_of_state: Vec<Vec<usize>> = vec![Vec::new(); e.states.len()];
        let mut units_of_district: Vec<Vec<usize>> = vec![Vec::new(); e.districts.len()];
        for (u, unit) in ix.units.iter().enumerate() {
            if let Some(v) = units_of_state.get_mut(unit.state) {
                v.push(u);
            }
            for &d in &unit.districts {
                // (A unit listing a district twice is still one unit.)
                if let Some(v) = units_of_district
                    .get_mut(d)
                    .filter(|v| v.last() != Some(&u))
                {
                    v.push(u);
                }
            }
        }
        let all: Vec<usize> = (0..ix.units.len()).collect();
        for ci in 0..ix.contests.len() {
            // Expected units: where the contest is surely on the ballot (a county reported
            // whole without district information is not expected to carry a district's contest).
            let d = ix.contests[ci].district;
            let candidates = match (d, ix.contests[ci].state) {
                (Some(d), _) => units_of_district.get(d).unwrap_or(&all),
                (None, Some(s)) => units_of_state.get(s).unwrap_or(&all),
                (None, None) => &all,
            };
            let n = candidates
                .iter()
                .filter(|&&u| {
                    ix.on_ballot(ci, u) && d.is_none_or(|d| ix.units[u].districts.contains(&d))
                })
                .count();
            ix.contests[ci].expected_units = u32::try_from(n).unwrap_or(u32::MAX);
        }
        ix
    }

    /// Whether contest `c` appears on the ballots of unit `u`.
    pub fn on_ballot(&self, c: usize, u: usize) -> bool {
        let (ct, unit) = (&self.contests[c], &self.units[u]);
        match (ct.district, ct.state) {
            // A county reported whole without district information may carry any of its
            // state's district contests.
            (Some(_), Some(s)) if unit.districts.is_empty() => unit.state == s,
            (Some(d), _) => unit.districts.contains(&d),
            (None, Some(s)) => unit.state == s,
            (None, None) => true,
        }
    }
}
