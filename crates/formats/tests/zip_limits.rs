//! Hostile zip archives: entries that unpack far beyond their packed size ("zip bombs") are
//! rejected by the bytes actually inflated, naming the archive, the entry and the limit.
//! The archives are generated here: a long run of zeros deflates about 1000:1.

use std::io::{Cursor, Read, Write};

use canvass_formats::archive::{Archive, ZipLimits};
use canvass_formats::limits::{MAX_ZIP_RATIO, ZIP_RATIO_FLOOR_BYTES};
use canvass_formats::{Provider, SourceOptions, SourceSpec, read_source};
use zip::write::SimpleFileOptions;

/// A zip archive of `(name, content)` entries, deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(content).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// 16 MiB of zeros: well past the 1 MiB ratio floor, packed about 1000:1 (over 250:1).
fn bomb() -> Vec<u8> {
    vec![0u8; 16 * 1024 * 1024]
}

fn write_temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("canvass-zip-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn the_generated_bomb_packs_beyond_the_ratio_limit() {
    let z = zip_of(&[("CvrExport.json", &bomb())]);
    // Hand check of the premise: 16 MiB in less than 16 MiB / 250.
    assert!(
        (z.len() as u64) < 16 * 1024 * 1024 / MAX_ZIP_RATIO,
        "{}",
        z.len()
    );
    const { assert!(16 * 1024 * 1024 > ZIP_RATIO_FLOOR_BYTES) };
}

#[test]
fn reading_a_bomb_entry_stops_at_the_ratio_limit() {
    let z = zip_of(&[("CvrExport.json", &bomb())]);
    // A header that declares a ratio beyond the limit is refused before inflating.
    let mut a = Archive::new(Cursor::new(&z[..]), "bomb.zip", ZipLimits::default()).unwrap();
    let e = a.by_index(0).err().unwrap().to_string();
    assert!(e.contains("bomb.zip!CvrExport.json"), "{e}");
    assert!(e.contains("compression ratio"), "{e}");
    assert!(e.contains("unpack it with a trusted tool"), "{e}");
}

#[test]
fn an_entry_declared_beyond_the_entry_limit_is_refused_before_reading() {
    let z = zip_of(&[("a.xml", &bomb())]);
    let limits = ZipLimits {
        entry_bytes: 2 * 1024 * 1024,
        total_bytes: u64::MAX,
        ratio: u64::MAX,
    };
    let mut a = Archive::new(Cursor::new(&z[..]), "x.zip", limits).unwrap();
    // The header declares 16 MiB > 2 MiB.
    let e = a.by_index(0).err().unwrap().to_string();
    assert!(e.contains("x.zip!a.xml") && e.contains("per entry"), "{e}");
}

#[test]
fn the_archive_total_is_capped_across_entries() {
    let part: Vec<u8> = (0..1000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let z = zip_of(&[("a.json", &part), ("b.json", &part)]);
    let limits = ZipLimits {
        entry_bytes: 1000,
        total_bytes: 1500,
        ratio: MAX_ZIP_RATIO,
    };
    let mut a = Archive::new(Cursor::new(&z[..]), "two.zip", limits).unwrap();
    let mut buf = Vec::new();
    a.by_index(0).unwrap().read_to_end(&mut buf).unwrap();
    assert_eq!(buf, part);
    // 1000 + 1000 > 1500: the second entry's header already says so.
    let e = a.by_index(1).err().unwrap().to_string();
    assert!(
        e.contains("two.zip!b.json") && e.contains("per archive"),
        "{e}"
    );
}

#[test]
fn a_dominion_archive_with_a_bomb_manifest_is_rejected_by_name() {
    let z = zip_of(&[("export/CandidateManifest.json", &bomb())]);
    let p = write_temp("dominion-bomb.zip", &z);
    let spec = SourceSpec {
        provider: Provider::Dominion,
        path: p.clone(),
        options: SourceOptions::default(),
    };
    let e = read_source(&spec, &mut |_| Ok(())).unwrap_err().to_string();
    assert!(
        e.contains("dominion-bomb.zip!export/CandidateManifest.json"),
        "{e}"
    );
    assert!(e.contains("compression ratio"), "{e}");
    std::fs::remove_file(p).unwrap();
}

#[test]
fn a_hart_archive_with_a_bomb_ballot_is_rejected_by_name() {
    let z = zip_of(&[("CVRArchive/ballot-1.xml", &bomb())]);
    let p = write_temp("hart-bomb.zip", &z);
    let spec = SourceSpec {
        provider: Provider::Hart,
        path: p.clone(),
        options: SourceOptions::default(),
    };
    let e = read_source(&spec, &mut |_| Ok(())).unwrap_err().to_string();
    assert!(e.contains("hart-bomb.zip!CVRArchive/ballot-1.xml"), "{e}");
    assert!(e.contains("compression ratio"), "{e}");
    std::fs::remove_file(p).unwrap();
}

/// Rewrites every uncompressed-size field (local headers and central directory) to `size`.
fn lie_about_sizes(z: &mut [u8], size: u32) {
    let mut i = 0;
    while i + 30 <= z.len() {
        let at =
            |o: usize| u32::from_le_bytes([z[i + o], z[i + o + 1], z[i + o + 2], z[i + o + 3]]);
        match at(0) {
            0x0403_4b50 => z[i + 22..i + 26].copy_from_slice(&size.to_le_bytes()),
            0x0201_4b50 => z[i + 24..i + 28].copy_from_slice(&size.to_le_bytes()),
            _ => {}
        }
        i += 1;
    }
}

#[test]
fn a_header_that_lies_about_the_size_is_caught_while_inflating() {
    let mut z = zip_of(&[("CvrExport.json", &bomb())]);
    lie_about_sizes(&mut z, 1000);
    let mut a = Archive::new(Cursor::new(&z[..]), "liar.zip", ZipLimits::default()).unwrap();
    let mut entry = a.by_index(0).unwrap();
    let mut buf = Vec::new();
    let e = entry.read_to_end(&mut buf).unwrap_err().to_string();
    assert!(e.contains("liar.zip!CvrExport.json"), "{e}");
    assert!(e.contains("compression ratio"), "{e}");
    // Stopped soon after the 1 MiB floor (within one read call's buffer), not at 16 MiB.
    assert!(buf.len() <= 8 * 1024 * 1024, "{}", buf.len());
}
