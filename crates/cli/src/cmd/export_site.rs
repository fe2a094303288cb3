//! `canvass export-site DIR`: a static copy of the results website and its data, for any web
//! server or CDN, refreshed as results change (`docs/export-site.md`).
//!
//! The copy mirrors the server's URL space: `index.html` and `assets/` (the pages embedded in
//! the binary), `log/checkpoint`, `log/vkey`, `log/tile/**` (C2SP tlog-tiles), and
//! `api/results.json` holding the exact bytes of `GET /api/results`, and `api/election.json`
//! holding the exact bytes of `GET /api/election` (the definition whose SHA-256 the roster
//! binds; written once, first, as it never changes). Every file is written
//! to a temporary file and renamed into place, in an order that keeps the copy consistent
//! for a reader at any moment: tiles, then the checkpoint (which covers them), then the
//! results it covers, `api/results-meta.json` last.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use canvass_log::{LogVerifier, Tile, TileKind};
use canvass_server::http::site;
use clap::Args;
use serde::Serialize;

use super::{fail, print_json};

/// Write a static copy of the results website and its data.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass export-site public/ --server http://127.0.0.1:8080
  canvass export-site /var/www/results --server http://10.0.0.5:8080 --watch --interval 5

Serve DIR with any web server (e.g. `python3 -m http.server -d public`). The page polls
api/results-meta.json instead of listening to /api/events. Layout: docs/export-site.md.")]
pub struct ExportSiteArgs {
    /// The directory to write (created if missing).
    dir: PathBuf,
    /// The canvass server to copy from.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// Keep the copy up to date: refresh every --interval seconds until interrupted.
    #[arg(long)]
    watch: bool,
    /// Seconds between refreshes with --watch.
    #[arg(long, default_value_t = 5)]
    interval: u64,
    /// How often (seconds) the exported page checks for new results.
    #[arg(long, default_value_t = 10)]
    poll_seconds: u64,
    /// Print a JSON summary of each refresh.
    #[arg(long)]
    json: bool,
}

/// What one refresh wrote.
#[derive(Debug, Default, Serialize)]
struct Refresh {
    tree_size: u64,
    results_log_index: Option<u64>,
    results_sha256: String,
    tiles_written: usize,
    contests_written: usize,
    histories_written: usize,
    results_changed: bool,
}

/// Runs `canvass export-site`.
pub fn run(args: ExportSiteArgs) -> ExitCode {
    let base = args.server.trim_end_matches('/').to_owned();
    let mut ex = Exporter {
        dir: args.dir.clone(),
        base,
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into(),
        last_sha: None,
        geo_written: false,
        definition_written: false,
    };
    loop {
        match ex.refresh(args.poll_seconds) {
            Ok(r) => {
                if args.json {
                    let _ = print_json(&r);
                } else if r.results_changed || !args.watch {
                    println!(
                        "exported {}: log size {}, results entry {}, {} tiles, {} contests, {} histories",
                        args.dir.display(),
                        r.tree_size,
                        r.results_log_index
                            .map_or_else(|| "none".into(), |i| i.to_string()),
                        r.tiles_written,
                        r.contests_written,
                        r.histories_written
                    );
                }
            }
            Err(e) if args.watch => eprintln!("warning: {e}; retrying in {} s", args.interval),
            Err(e) => return fail(&e),
        }
        if !args.watch {
            return ExitCode::SUCCESS;
        }
        std::thread::sleep(Duration::from_secs(args.interval.max(1)));
    }
}

struct Exporter {
    dir: PathBuf,
    base: String,
    agent: ureq::Agent,
    last_sha: Option<String>,
    geo_written: bool,
    definition_written: bool,
}

/// An answer: status, the headers we use, body.
struct Got {
    status: u16,
    log_index: Option<u64>,
    tree_size: Option<u64>,
    body: Vec<u8>,
}

impl Exporter {
    fn get(&self, path: &str) -> Result<Got, String> {
        let url = format!("{}{path}", self.base);
        let mut r = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| format!("GET {url}: {e}: is the server running? (--server)"))?;
        let num = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
        };
        let (log_index, tree_size) = (num("x-canvass-log-index"), num("x-canvass-tree-size"));
        let mut body = Vec::new();
        r.body_mut()
            .with_config()
            .limit(1 << 30)
            .reader()
            .read_to_end(&mut body)
            .map_err(|e| format!("GET {url}: {e}"))?;
        Ok(Got {
            status: r.status().as_u16(),
            log_index,
            tree_size,
            body,
        })
    }

    fn get_ok(&self, path: &str) -> Result<Got, String> {
        let g = self.get(path)?;
        if g.status != 200 {
            return Err(format!(
                "GET {}{path}: HTTP {}: {}",
                self.base,
                g.status,
                String::from_utf8_lossy(&g.body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ));
        }
        Ok(g)
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), String> {
        write_atomic(&self.dir.join(rel), bytes)
    }

    /// One refresh: site files, tiles, checkpoint, results and the documents derived from it.
    fn refresh(&mut self, poll_seconds: u64) -> Result<Refresh, String> {
        let mut out = Refresh::default();
        for &(path, _, bytes) in site::ASSETS {
            if std::fs::read(self.dir.join(path)).ok().as_deref() != Some(bytes) {
                self.write(path, bytes)?;
            }
        }
        self.write(
            "site.json",
            format!("{{\"mode\":\"static\",\"poll_seconds\":{poll_seconds}}}").as_bytes(),
        )?;
        let old_size = std::fs::read(self.dir.join("log/checkpoint"))
            .ok()
            .and_then(|b| checkpoint_size(&b))
            .unwrap_or(0);

        if !self.definition_written {
            // Bound by its SHA-256 in the roster, so it never changes: once, before the log.
            let g = self.get("/api/election")?;
            match g.status {
                200 => self.write("api/election.json", &g.body)?,
                404 => eprintln!(
                    "warning: {}/api/election: the server publishes no election definition (an older canvass); verifying the copy will need --election",
                    self.base
                ),
                s => return Err(format!("GET {}/api/election: HTTP {s}", self.base)),
            }
            self.definition_written = true;
        }

        // The results first: the checkpoint fetched after them covers their snapshot entry.
        let results = self.get_ok("/api/results")?;
        let vkey = self.get_ok("/log/vkey")?.body;
        let verifier = LogVerifier::from_vkey(String::from_utf8_lossy(&vkey).trim())
            .map_err(|e| format!("{}/log/vkey: {e}", self.base))?;
        let mut tries = 0;
        let (note, size) = loop {
            let note = self.get_ok("/log/checkpoint")?.body;
            let cp = verifier.open_checkpoint(&note).map_err(|e| {
                format!(
                    "{}/log/checkpoint does not verify with the log key: {e}; nothing was exported",
                    self.base
                )
            })?;
            if results.log_index.is_none_or(|i| i < cp.size) || tries >= 50 {
                break (note, cp.size);
            }
            tries += 1;
            std::thread::sleep(Duration::from_millis(100));
        };
        if size < old_size {
            return Err(format!(
                "the server's checkpoint (size {size}) is older than the exported one ({old_size}): not going back"
            ));
        }
        out.tree_size = size;
        out.tiles_written = self.tiles(size)?;
        self.write("log/vkey", &vkey)?;
        self.write("log/checkpoint", &note)?;

        let covered = results.log_index.is_none_or(|i| i < size);
        let sha = canvass_server::entry::sha256_hex(&results.body);
        out.results_sha256 = sha.clone();
        out.results_log_index = results.log_index;
        if covered && self.last_sha.as_deref() != Some(sha.as_str()) {
            out.results_changed = true;
            self.derived(&results.body, &mut out)?;
            out.histories_written = self.histories(old_size, size)?;
            self.write("api/results.json", &results.body)?;
            let meta = serde_json::json!({
                "log_index": results.log_index,
                "tree_size": results.tree_size,
                "sha256": sha,
            });
            self.write("api/results-meta.json", meta.to_string().as_bytes())?;
            self.last_sha = Some(sha);
        }
        Ok(out)
    }

    /// Every tile and entry bundle of a tree of `size` not already in the copy.
    fn tiles(&self, size: u64) -> Result<usize, String> {
        let mut paths = Vec::new();
        for level in 0u8..8 {
            let full = Tile::full_tile_count(level, size);
            for index in 0..full {
                paths.push(
                    Tile {
                        kind: TileKind::Hash(level),
                        index,
                        width: 256,
                    }
                    .path(),
                );
                if level == 0 {
                    paths.push(
                        Tile {
                            kind: TileKind::Entries,
                            index,
                            width: 256,
                        }
                        .path(),
                    );
                }
            }
        }
        paths.extend(Tile::partial_tiles(size).iter().map(Tile::path));
        let mut written = 0;
        for p in paths {
            let rel = format!("log/{p}");
            if self.dir.join(&rel).exists() {
                continue;
            }
            let g = self.get_ok(&format!("/log/{p}"))?;
            self.write(&rel, &g.body)?;
            written += 1;
        }
        Ok(written)
    }

    /// The documents derived from the results: overview, CSV, NIST, names, every contest.
    fn derived(&mut self, results: &[u8], out: &mut Refresh) -> Result<(), String> {
        for (api, file) in [
            ("/api/overview", "api/overview.json"),
            ("/api/results.csv", "api/results.csv"),
            ("/api/results.nist.json", "api/results.nist.json"),
        ] {
            let g = self.get_ok(api)?;
            self.write(file, &g.body)?;
        }
        if !self.geo_written {
            let g = self.get_ok("/api/geo")?;
            self.write("api/geo.json", &g.body)?;
            let geo: serde_json::Value = serde_json::from_slice(&g.body)
                .map_err(|e| format!("{}/api/geo is not JSON: {e}", self.base))?;
            for s in geo["states"].as_array().into_iter().flatten() {
                if let Some(p) = s["postal"].as_str().filter(|p| safe_name(p)) {
                    let g = self.get_ok(&format!("/api/geo/{p}"))?;
                    self.write(&format!("api/geo/{p}.json"), &g.body)?;
                }
            }
            self.geo_written = true;
        }
        let v: serde_json::Value = serde_json::from_slice(results)
            .map_err(|e| format!("{}/api/results is not JSON: {e}", self.base))?;
        for c in v["contests"].as_array().into_iter().flatten() {
            let Some(id) = c["id"].as_str().filter(|id| safe_name(id)) else {
                continue;
            };
            let g = self.get_ok(&format!("/api/contests/{id}"))?;
            self.write(&format!("api/contests/{id}.json"), &g.body)?;
            out.contests_written += 1;
        }
        Ok(())
    }

    /// Histories of the jurisdictions that submitted in entries `old..new` (all of them on
    /// the first export).
    fn histories(&self, old: u64, new: u64) -> Result<usize, String> {
        let geo: serde_json::Value = std::fs::read(self.dir.join("api/geo.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let mut ids = BTreeSet::new();
        if old == 0 {
            for j in geo["jurisdictions"].as_array().into_iter().flatten() {
                if let Some(id) = j["id"].as_str() {
                    ids.insert(id.to_owned());
                }
            }
        } else {
            for index in old..new {
                let bundle = Tile {
                    kind: TileKind::Entries,
                    index: index / 256,
                    width: (new - (index / 256) * 256).min(256) as u16,
                };
                let Ok(bytes) = std::fs::read(self.dir.join("log").join(bundle.path())) else {
                    continue;
                };
                let Ok(entries) = canvass_log::tile::decode_bundle(&bytes) else {
                    continue;
                };
                let Some(e) = entries.get((index % 256) as usize) else {
                    continue;
                };
                if let Some(j) = canvass_server::note::parse(e)
                    .ok()
                    .and_then(|n| serde_json::from_str::<serde_json::Value>(n.json).ok())
                    .and_then(|v| v["jurisdiction"].as_str().map(str::to_owned))
                {
                    ids.insert(j);
                }
            }
        }
        let mut n = 0;
        for id in ids.into_iter().filter(|id| safe_name(id)) {
            let g = self.get(&format!("/api/jurisdictions/{id}/submissions"))?;
            if g.status == 200 {
                self.write(&format!("api/jurisdictions/{id}/submissions.json"), &g.body)?;
                n += 1;
            }
        }
        Ok(n)
    }
}

/// An id that is safe as one path segment (letters, digits, `-`, `_`, `.`; not `.`/`..`).
fn safe_name(id: &str) -> bool {
    !id.is_empty()
        && id != "."
        && id != ".."
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn checkpoint_size(note: &[u8]) -> Option<u64> {
    std::str::from_utf8(note).ok()?.lines().nth(1)?.parse().ok()
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// a reader sees the old file or the new one, never a part.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}
