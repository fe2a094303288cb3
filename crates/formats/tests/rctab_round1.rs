//! External checks: for each RCTab case, the round-1 tally counted from our parsed records
//! equals round 1 of RCTab's expected detailed report.

mod common;

fn check(name: &str) {
    let c = common::case(name);
    let records = c.read_all();
    c.check_round1(&records);
}

#[test]
fn ess_xlsx_portland_2015() {
    check("2015_portland_mayor");
}

#[test]
fn ess_xlsx_portland_2015_candidate_codes() {
    check("2015_portland_mayor_codes");
}

#[test]
fn ess_xlsx_overvote_delimiter() {
    check("test_set_overvote_delimiter");
}

#[test]
fn ess_xlsx_blank_is_undeclared_write_in() {
    check("test_set_treat_blank_as_undeclared_write_in");
}

#[test]
fn dominion_zip_alaska_2024() {
    check("2024_alaska_dominion");
}

#[test]
fn nist_json_two_files() {
    check("test_set_8_multi_cdf");
}

#[test]
fn nist_xml() {
    check("nist_xml_cdf_2");
}

#[test]
fn generic_csv() {
    check("generic_csv_test");
}

#[test]
fn generic_csv_without_id_header() {
    check("csv_missing_header_test");
}

#[test]
fn clear_ballot_kansas() {
    check("clear_ballot_kansas_primary");
}

#[test]
fn clear_ballot_inline_comma() {
    check("clear_ballot_with_inline_comma");
}

#[test]
fn hart_cedar_park() {
    check("hart_cedar_park_school_board");
}

#[test]
fn hart_travis_county() {
    check("hart_travis_county_officers");
}
