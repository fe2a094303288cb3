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

/// The Portland xlsx saved as CSV must give the same round 1 and the same records.
#[test]
fn ess_csv_portland_2015() {
    let c = common::case("2015_portland_mayor");
    let xlsx = c.read_all();
    let mut spec = c.specs().remove(0);
    spec.path = c.dir.join("2015_portland_mayor_cvr.csv");
    spec.provider = canvass_formats::Provider::EssCsv;
    let csv = canvass_formats::read_source_to_vec(&spec).unwrap();
    c.check_round1(&csv);
    let ids =
        |rs: &[canvass_model::CastVoteRecord]| rs.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(csv.len(), xlsx.len());
    for (a, b) in csv.iter().zip(&xlsx) {
        assert_eq!(a.contests, b.contests, "ballot {}", a.id);
        assert_eq!(a.precinct, b.precinct);
    }
    // Record ids come from file names (no idColumnIndex in this case), so they differ.
    assert_eq!(ids(&csv)[0], "2015_portland_mayor_cvr.csv-1");
    assert_eq!(ids(&xlsx)[0], "2015_portland_mayor_cvr.xlsx-1");
}

/// Hart CVRs inside a CVR archive zip read the same as the loose XML files.
#[test]
fn hart_zip_archive_equals_folder() {
    let c = common::case("hart_cedar_park_school_board");
    let folder = c.read_all();
    let src = c.specs().remove(0).path;
    let dir = std::env::temp_dir().join(format!("canvass-formats-hart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let zip_path = dir.join("CVRArchive_18_17_0_1.zip");
    let mut zw = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let mut names: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for p in &names {
        zw.start_file(
            p.file_name().unwrap().to_string_lossy(),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        std::io::Write::write_all(&mut zw, &std::fs::read(p).unwrap()).unwrap();
    }
    zw.finish().unwrap();
    let mut spec = c.specs().remove(0);
    spec.path = dir.clone();
    let from_folder_with_zip = canvass_formats::read_source_to_vec(&spec).unwrap();
    spec.path = zip_path;
    let from_zip = canvass_formats::read_source_to_vec(&spec).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(from_zip, folder);
    assert_eq!(from_folder_with_zip, folder);
}
