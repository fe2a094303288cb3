//! Definition files: round trips, and one test per class of error `election check` catches.

use canvass_model::*;
use proptest::prelude::*;

const SMALL: &str = include_str!("data/small.toml");

fn check(text: &str) -> Result<Election, DefinitionError> {
    parse_definition(text, DefinitionFormat::Toml, "small.toml")
}

/// The 1-based line of the first occurrence of `needle` (after `after`, if given).
fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"));
    text[..at].matches('\n').count() + 1
}

/// Applies `from -> to` once, checks that exactly the expected rule fires at the line of
/// `marker` in the mutated text, and returns the diagnostics.
fn expect_error(from: &str, to: &str, rule: RuleCode, marker: &str) -> Vec<Diagnostic> {
    expect_errors(&[(from, to)], rule, marker)
}

/// Like [`expect_error`], with several replacements.
fn expect_errors(edits: &[(&str, &str)], rule: RuleCode, marker: &str) -> Vec<Diagnostic> {
    let mut text = SMALL.to_owned();
    for (from, to) in edits {
        assert!(text.contains(from), "fixture lacks {from:?}");
        text = text.replacen(from, to, 1);
    }
    let err = check(&text).expect_err("mutated definition must be rejected");
    let line = line_of(&text, marker);
    let hit = err
        .diagnostics
        .iter()
        .find(|d| d.rule == rule && d.line == Some(line))
        .unwrap_or_else(|| {
            panic!(
                "no {rule} diagnostic at line {line} in {:#?}",
                err.diagnostics
            )
        });
    assert_eq!(hit.file, "small.toml");
    assert!(hit.column.is_some());
    let shown = hit.to_string();
    assert!(
        shown.starts_with(&format!("small.toml:{}:", line_of(&text, marker))),
        "{shown}"
    );
    assert!(shown.contains(&format!("error[{rule}]")), "{shown}");
    err.diagnostics
}

#[test]
fn the_fixture_is_valid() {
    let e = check(SMALL).expect("valid");
    assert_eq!(e.contests.len(), 4);
}

#[test]
fn duplicate_ids() {
    expect_error(
        "id = \"bob\"\nname = \"Bob Brown\"",
        "id = \"alice\"\nname = \"Bob Brown\"",
        RuleCode::DuplicateId,
        "id = \"alice\"\nname = \"Bob Brown\"",
    );
}

#[test]
fn duplicate_selection_ids() {
    expect_error(
        "{ id = \"bob-dan\", ticket = \"bob-dan\", lines",
        "{ id = \"alice-carol\", ticket = \"bob-dan\", lines",
        RuleCode::DuplicateId,
        "{ id = \"alice-carol\", ticket = \"bob-dan\", lines",
    );
}

#[test]
fn unknown_references() {
    expect_error(
        "vice_president = \"dan\"",
        "vice_president = \"dave\"",
        RuleCode::UnknownReference,
        "vice_president = \"dave\"",
    );
    expect_error(
        "district = \"ME-01\"\nvote_for",
        "district = \"ME-09\"\nvote_for",
        RuleCode::UnknownReference,
        "district = \"ME-09\"",
    );
    let d = expect_error(
        "lines = [\"DEM\", \"WFP\"]",
        "lines = [\"DEM\", \"XYZ\"]",
        RuleCode::UnknownReference,
        "\"XYZ\"",
    );
    assert!(
        d.iter()
            .any(|d| d.message.contains("unknown party \"XYZ\""))
    );
}

#[test]
fn a_precinct_in_two_counties() {
    let twin = "[[precincts]]\nid = \"portland-1\"\ncounty = \"23019\"\nname = \"Portland Ward 1 again\"\ndistricts = [\"ME-02\"]\n\n[[jurisdictions]]";
    expect_error(
        "[[jurisdictions]]",
        twin,
        RuleCode::PrecinctInTwoCounties,
        "county = \"23019\"\nname = \"Portland Ward 1 again\"",
    );
}

#[test]
fn a_precinct_claimed_by_two_jurisdictions() {
    expect_error(
        "precincts = [\"split-1\"]",
        "precincts = [\"split-1\", \"bangor-1\"]",
        RuleCode::PrecinctInTwoJurisdictions,
        "\"split-1\", \"bangor-1\"]",
    );
}

#[test]
fn vote_for_larger_than_the_candidate_list() {
    expect_error(
        "district = \"ME-01\"\nvote_for = 1",
        "district = \"ME-01\"\nvote_for = 3",
        RuleCode::VoteForTooLarge,
        "vote_for = 3",
    );
    expect_error(
        "district = \"ME-01\"\nvote_for = 1",
        "district = \"ME-01\"\nvote_for = 0",
        RuleCode::VoteForTooLarge,
        "vote_for = 0",
    );
}

#[test]
fn a_district_without_precincts() {
    expect_errors(
        &[
            (
                "districts = [\"ME-01\", \"ME-02\"]",
                "districts = [\"ME-01\"]",
            ),
            ("districts = [\"ME-02\"]", "districts = [\"ME-01\"]"),
        ],
        RuleCode::DistrictWithoutPrecincts,
        "id = \"ME-02\"",
    );
}

#[test]
fn electoral_votes_that_do_not_add_up() {
    expect_error(
        "electoral_votes_total = 7",
        "electoral_votes_total = 9",
        RuleCode::ElectoralVotes,
        "electoral_votes_total = 9",
    );
    // A state's electors must equal its House seats plus two.
    expect_error(
        "electoral_votes = 4",
        "electoral_votes = 5",
        RuleCode::ElectoralVotes,
        "electoral_votes = 5",
    );
    // DC has exactly three.
    expect_error(
        "electoral_votes = 3",
        "electoral_votes = 4",
        RuleCode::ElectoralVotes,
        "electoral_votes = 4\nallocation = \"winner-take-all\"",
    );
}

#[test]
fn house_seats_disagree_with_districts() {
    expect_error(
        "house_seats = 2",
        "house_seats = 3",
        RuleCode::HouseSeats,
        "house_seats = 3",
    );
}

#[test]
fn counties_in_the_wrong_state() {
    expect_error(
        "fips = \"23019\"",
        "fips = \"24019\"",
        RuleCode::WrongState,
        "fips = \"24019\"",
    );
}

#[test]
fn contest_shapes() {
    expect_error(
        "{ id = \"yes\", answer = \"yes\" }",
        "{ id = \"yes\", candidate = \"alice\" }",
        RuleCode::ContestShape,
        "{ id = \"yes\", candidate = \"alice\" }",
    );
    expect_error(
        "numerator = 2, denominator = 3",
        "numerator = 4, denominator = 3",
        RuleCode::BadValue,
        "numerator = 4",
    );
}

#[test]
fn bad_ids_and_dates() {
    expect_error(
        "id = \"carol\"",
        "id = \"carol clark\"",
        RuleCode::InvalidId,
        "id = \"carol clark\"",
    );
    expect_error(
        "date = \"2026-11-03\"",
        "date = \"Nov 3\"",
        RuleCode::BadValue,
        "date = \"Nov 3\"",
    );
}

#[test]
fn syntax_and_type_errors_are_located() {
    let text = SMALL.replacen(
        "vote_for = 1\nrule = { method = \"plurality\" }",
        "vote_for = \"one\"\nrule = { method = \"plurality\" }",
        1,
    );
    let err = check(&text).unwrap_err();
    let d = &err.diagnostics[0];
    assert_eq!(d.rule, RuleCode::Syntax);
    assert_eq!(d.line, Some(line_of(&text, "vote_for = \"one\"")));
    let text = SMALL.replacen("[[tickets]]", "[[tickets]", 1);
    let d = &check(&text).unwrap_err().diagnostics[0];
    assert_eq!(
        (d.rule, d.line),
        (RuleCode::Syntax, Some(line_of(&text, "[[tickets]\n")))
    );
    let d = &parse_definition("{\n  \"election\": 5,\n}", DefinitionFormat::Json, "x.json")
        .unwrap_err()
        .diagnostics[0];
    assert_eq!((d.rule, d.line), (RuleCode::Syntax, Some(2)));
}

#[test]
fn json_problems_are_located_too() {
    let e = check(SMALL).unwrap();
    let mut bad = e.clone();
    bad.contests[2].vote_for = 7;
    let json = to_json_pretty(&bad);
    let err = parse_definition(&json, DefinitionFormat::Json, "small.json").unwrap_err();
    let d = err
        .diagnostics
        .iter()
        .find(|d| d.rule == RuleCode::VoteForTooLarge)
        .unwrap();
    assert_eq!(d.line, Some(line_of(&json, "\"vote_for\": 7")));
}

#[test]
fn builtins_round_trip_through_toml_and_json() {
    for name in BUILTIN_NAMES {
        let e = builtin(name).unwrap().unwrap();
        let toml = to_toml(&e).unwrap();
        assert_eq!(
            parse_definition(&toml, DefinitionFormat::Toml, "x.toml").unwrap(),
            e,
            "{name} via TOML"
        );
        let json = to_json_pretty(&e);
        assert_eq!(
            parse_definition(&json, DefinitionFormat::Json, "x.json").unwrap(),
            e,
            "{name} via JSON"
        );
        let canonical = to_canonical_json(&e);
        let back: Election = serde_json::from_slice(&canonical).unwrap();
        assert_eq!(
            to_canonical_json(&back),
            canonical,
            "{name}: canonical bytes are stable"
        );
    }
}

fn arb_id() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9._-]{0,12}"
}

fn arb_text() -> impl Strategy<Value = String> {
    // Names with quotes, backslashes, non-ASCII and newlines must survive.
    "[ -~é漢\"\\\\\n\t]{0,20}"
}

fn arb_rule() -> impl Strategy<Value = Rule> {
    prop_oneof![
        Just(Rule::Plurality),
        any::<bool>().prop_map(|runoff| Rule::Majority { runoff }),
        (1u32..10, any::<bool>(), any::<bool>()).prop_map(
            |(max_rankings, batch_elimination, continue_until_two)| Rule::RankedChoice {
                max_rankings,
                batch_elimination,
                continue_until_two
            }
        ),
        (1u32..10, 1u32..10).prop_map(|(numerator, denominator)| Rule::Supermajority {
            numerator,
            denominator
        }),
    ]
}

fn arb_selection() -> impl Strategy<Value = Selection> {
    let choice = prop_oneof![
        arb_id().prop_map(|s| SelectionChoice::Candidate(CandidateId::new(s))),
        arb_id().prop_map(|s| SelectionChoice::Ticket(TicketId::new(s))),
        prop_oneof![Just(Answer::Yes), Just(Answer::No)].prop_map(SelectionChoice::Answer),
        Just(SelectionChoice::GenericWriteIn(true)),
    ];
    (
        arb_id(),
        choice,
        prop::collection::vec(arb_id(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(id, choice, lines, write_in)| Selection {
            id: SelectionId::new(id),
            choice,
            lines: lines.into_iter().map(PartyId::new).collect(),
            write_in,
        })
}

fn arb_contest() -> impl Strategy<Value = Contest> {
    let office = prop_oneof![
        Just(Office::President),
        Just(Office::Senate),
        Just(Office::House),
        Just(Office::Governor),
        Just(Office::Measure),
        Just(Office::Other)
    ];
    (
        arb_id(),
        arb_text(),
        office,
        prop::option::of(arb_id()),
        prop::option::of(arb_id()),
        any::<bool>(),
        0u32..5,
        arb_rule(),
        prop::collection::vec(arb_selection(), 0..4),
    )
        .prop_map(
            |(id, name, office, state, district, special, vote_for, rule, selections)| Contest {
                id: ContestId::new(id),
                name,
                office,
                state: state.map(StateId::new),
                district: district.map(DistrictId::new),
                special,
                vote_for,
                rule,
                selections,
            },
        )
}

fn arb_election() -> impl Strategy<Value = Election> {
    let precinct = (
        arb_id(),
        arb_id(),
        arb_text(),
        prop::collection::vec(arb_id(), 0..3),
        prop::option::of(any::<u64>().prop_map(|v| v >> 1)),
    )
        .prop_map(
            |(id, county, name, districts, registered_voters)| Precinct {
                id: PrecinctId::new(id),
                county: CountyId::new(county),
                name,
                districts: districts.into_iter().map(DistrictId::new).collect(),
                registered_voters,
            },
        );
    let candidate = (
        arb_id(),
        arb_text(),
        prop::option::of(arb_id()),
        any::<bool>(),
    )
        .prop_map(|(id, name, party, placeholder)| Candidate {
            id: CandidateId::new(id),
            name,
            party: party.map(PartyId::new),
            placeholder,
        });
    let state = (
        arb_id(),
        arb_text(),
        "[0-9]{2}",
        0u32..60,
        any::<bool>(),
        prop::option::of((0u32..10_000, any::<bool>(), prop::option::of(0u64..100_000))),
    )
        .prop_map(|(postal, name, fips, ev, district, recount)| State {
            postal: StateId::new(postal),
            name,
            fips,
            kind: if district {
                StateKind::State
            } else {
                StateKind::Territory
            },
            electoral_votes: ev,
            allocation: if district {
                Allocation::District
            } else {
                Allocation::WinnerTakeAll
            },
            house_seats: ev.saturating_sub(2),
            recount: recount.map(|(m, automatic, margin_votes)| RecountRule {
                margin_basis_points: m,
                basis: RecountBasis::WinnerVotes,
                margin_votes,
                automatic,
            }),
        });
    (
        arb_id(),
        arb_text(),
        prop::collection::vec(arb_text(), 0..3),
        prop::collection::vec(candidate, 0..4),
        prop::collection::vec(state, 0..3),
        prop::collection::vec(precinct, 0..4),
        prop::collection::vec(arb_contest(), 0..4),
        prop::option::of(0u32..600),
    )
        .prop_map(
            |(id, name, notes, candidates, states, precincts, contests, ev)| Election {
                election: ElectionInfo {
                    id: ElectionId::new(id),
                    name,
                    date: "2026-11-03".into(),
                    electoral_votes_total: ev,
                    notes,
                },
                parties: vec![Party {
                    id: PartyId::new("DEM"),
                    name: "Democratic Party".into(),
                }],
                candidates,
                tickets: Vec::new(),
                states,
                counties: Vec::new(),
                districts: Vec::new(),
                precincts,
                jurisdictions: Vec::new(),
                contests,
                chambers: Chambers {
                    senate: Some(Chamber {
                        seats: 100,
                        not_up: vec![Holding {
                            party: PartyId::new("DEM"),
                            seats: 40,
                        }],
                    }),
                    house: None,
                    governors: None,
                },
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Export followed by re-import is the identity, in both formats.
    #[test]
    fn export_then_import_is_the_identity(e in arb_election()) {
        let toml = to_toml(&e).unwrap();
        let back: Election = toml::from_str(&toml).unwrap();
        prop_assert_eq!(&back, &e);
        let json = to_json_pretty(&e);
        let back: Election = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &e);
    }
}
