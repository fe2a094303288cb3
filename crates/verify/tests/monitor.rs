//! The monitor keeps its replay of the log between polls: a second poll reads only the entry
//! bundle holding the new entries, replays only them, and alerts only on them; a monitor
//! resumed from its state file replays the log once, alerting on nothing seen before.

mod common;

use std::cell::RefCell;
use std::path::Path;

use canvass_verify::levels::ContestDoc;
use canvass_verify::monitor::{Monitor, MonitorConfig, MonitorState};
use canvass_verify::{ExportDir, Source, SourceError, Stored};
use common::*;

/// A source that records every path fetched.
struct Counting<'a> {
    inner: &'a dyn Source,
    fetched: RefCell<Vec<String>>,
}

impl Counting<'_> {
    /// Paths fetched since the last call that start with `prefix`.
    fn take(&self, prefix: &str) -> Vec<String> {
        let all = std::mem::take(&mut *self.fetched.borrow_mut());
        all.into_iter().filter(|p| p.starts_with(prefix)).collect()
    }
}

impl Source for Counting<'_> {
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        self.fetched.borrow_mut().push(path.to_owned());
        self.inner.fetch(path)
    }
    fn locate(&self, path: &str) -> String {
        self.inner.locate(path)
    }
    fn results_log_index(&self) -> Option<u64> {
        self.inner.results_log_index()
    }
    fn stored(&self, log_index: u64) -> Result<Stored, SourceError> {
        self.inner.stored(log_index)
    }
    fn contests(&self, ids: &[String]) -> Result<Option<Vec<ContestDoc>>, SourceError> {
        self.inner.contests(ids)
    }
}

/// Appends `n` entries of no canvass type to the log in `dir/log` (each a finding).
fn append_fillers(data: &Path, dir: &Path, from: usize, n: usize) {
    let fillers: Vec<Vec<u8>> = (from..from + n)
        .map(|i| format!("filler {i}\n").into_bytes())
        .collect();
    let k = canvass_server::io::read_secret_key(&canvass_server::io::log_key_path(data)).unwrap();
    let signer = canvass_log::LogSigner::from_seed(k.name(), k.seed()).unwrap();
    let log = canvass_store::tlog::Log::open(dir.join("log"), signer).unwrap();
    log.append(&fillers).unwrap();
    log.checkpoint().unwrap();
}

#[test]
fn a_second_poll_reads_and_replays_only_the_new_entries() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    keys(&data);
    let s = Server::start(&data);
    let adams = key(&data, "42001");
    s.submit(&doc(&adams, "42001", 1, pa("42001", 100, 60, 38), None));
    s.settle();
    let results = s.app.results_json();
    let logged = entries(&data);
    let exp = export(&data, &results, &t.path().join("export"));
    // The log grown past one entry bundle (256 entries) with 300 fillers.
    append_fillers(&data, &exp, 0, 300);
    let size = logged.len() as u64 + 300;
    assert!(size > 256 && size < 512);

    let dir = ExportDir::new(&exp);
    let src = Counting {
        inner: &dir,
        fetched: RefCell::new(Vec::new()),
    };
    let cfg = MonitorConfig::default();
    let mut m = Monitor::new(MonitorState::default(), cfg.clone());
    let alerts = m.poll(&src, 1_604_500_000).unwrap();
    assert_eq!(m.replayed(), size);
    assert_eq!(alerts.len(), 300, "one alert per filler");
    assert!(alerts.iter().all(|a| a.alert == "unknown-entry"));
    assert_eq!(
        src.take("log/tile/entries/"),
        [
            "log/tile/entries/000".to_owned(),
            format!("log/tile/entries/001.p/{}", size - 256)
        ]
    );

    // Two more entries: one bundle read (the partial one, now 2 entries longer), two
    // entries replayed, two alerts.
    append_fillers(&data, &exp, 300, 2);
    let alerts = m.poll(&src, 1_604_500_060).unwrap();
    assert_eq!(m.replayed(), 2);
    assert_eq!(
        alerts.iter().map(|a| a.log_index).collect::<Vec<_>>(),
        [Some(size), Some(size + 1)]
    );
    assert_eq!(
        src.take("log/tile/entries/"),
        [format!("log/tile/entries/001.p/{}", size + 2 - 256)]
    );
    assert_eq!(m.state.size, size + 2);

    // Nothing new: the partial bundle is read again (its entries must not change), nothing
    // replayed, no alert.
    assert!(m.poll(&src, 1_604_500_120).unwrap().is_empty());
    assert_eq!(m.replayed(), 0);

    // Resumed from the state file: the log is replayed once, nothing alerted again.
    let mut resumed = Monitor::new(m.state.clone(), cfg);
    assert!(resumed.poll(&src, 1_604_500_180).unwrap().is_empty());
    assert_eq!(resumed.replayed(), size + 2);
}
