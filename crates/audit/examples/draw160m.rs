//! Times one 100,000-ballot draw from a 160-million-ballot manifest.
fn main() {
    let n_batches: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(64_000);
    let threads: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let batches = (0..n_batches)
        .map(|i| canvass_audit::Batch {
            jurisdiction: format!("J{:04}", i / 20),
            tabulator: None,
            batch: format!("B{:05}", i),
            ballots: 2_500,
        })
        .collect();
    let m = canvass_audit::Manifest::new(batches).unwrap();
    let t = std::time::Instant::now();
    let d = m.draw("01382438112797316654", false, 100_000, threads);
    println!(
        "{} ballots, {} draws, {:?}",
        m.total_ballots(),
        d.len(),
        t.elapsed()
    );
}
