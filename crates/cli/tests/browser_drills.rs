//! The tamper drills of issue 8 against the browser badge of the results website, in real
//! headless chromium (the CDP driver of `crates/server/tests/browser/cdp.rs`).
//!
//! An election is made as `tests/drill_cli.rs` makes it (`canvass keys init`, `canvass serve`,
//! two `canvass submit`s), then `canvass drill run all --keep K` tampers with copies of its
//! data directory exactly as it does for `verify` and `monitor` (and asserts both catch every
//! drill). The browser then visits what each drill leaves:
//!
//! - drill 1 (a vote count changed in the SQLite index) is served by `canvass serve` on the
//!   tampered copy; the page's history view of the jurisdiction compares the stored copy with
//!   the log;
//! - drills 2-8 leave static exports (`K/drill-N/<name>/`: `log/`, `api/results.json`,
//!   `api/election.json`); a small static server puts the website's embedded files and
//!   `site.json` (`"mode":"static"`) in front of them and writes `api/results-meta.json` as a
//!   server would (the last snapshot entry of the log served).
//!
//! Drills that need history (2 delete-entry, 3 split-view, 7 rollback) first show the honest
//! export (`K/drill-N/honest/`) to the same profile at the same address, which must be green;
//! then the server switches to the tampered copy and the page is loaded again. Every drill must
//! turn the badge red with the failed check's `rule` (the finding code `canvass verify` uses)
//! and a message naming the problem. A screenshot per drill goes to
//! `target/artifacts/browser/drill-N-<name>.png` (or `$CANVASS_ARTIFACTS/browser/`).
//!
//! Skips (with a message) only when no chromium binary can be found.

#[path = "../../server/tests/browser/cdp.rs"]
mod cdp;
mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use common::{canvass, json, keys_init, serve, submit_pa, tmpdir};
use serde_json::Value;
use sha2::Digest as _;

const WAIT: Duration = Duration::from_secs(90);
/// How many tests share the election below (the last one removes it).
const TESTS: usize = 11;
static FINISHED: AtomicUsize = AtomicUsize::new(0);
/// One chromium at a time (2 cores).
static BROWSER: Mutex<()> = Mutex::new(());

struct Setup {
    root: PathBuf,
    data: PathBuf,
    kept: PathBuf,
    chromium: PathBuf,
}

/// The election and every drill's tampered copies, made once (`None` without chromium).
fn setup() -> Option<&'static Setup> {
    static SETUP: OnceLock<Option<Setup>> = OnceLock::new();
    SETUP
        .get_or_init(|| {
            let chromium = cdp::find_chromium()?;
            let root = tmpdir("browser-drills");
            let data = root.join("data");
            let d = data.to_str().unwrap();
            keys_init(d, "5");
            let (server, url) = serve(d, &[]);
            submit_pa(&url, &data, &root, "42001", [100, 60, 38]);
            submit_pa(&url, &data, &root, "42003", [1000, 500, 480]);
            // verify waits for a checkpoint covering both submissions' snapshot.
            let v = canvass(&["verify", &url, "--json"]);
            assert_eq!(v.status.code(), Some(0));
            drop(server);
            let kept = root.join("kept");
            let out = canvass(&[
                "drill",
                "run",
                "all",
                "--data",
                d,
                "--keep",
                kept.to_str().unwrap(),
                "--json",
                "--threads",
                "1",
            ]);
            let outcomes = json(&out);
            assert_eq!(out.status.code(), Some(0), "{outcomes:#}");
            Some(Setup {
                root,
                data,
                kept,
                chromium,
            })
        })
        .as_ref()
}

/// Runs `f` with the shared election and one browser at a time; removes the election after
/// the last test.
fn with_setup(name: &str, f: impl FnOnce(&Setup)) {
    let lock = BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(s) = setup() else {
        eprintln!(
            "SKIPPED {name}: no chromium found (install Debian's `chromium`, or set CHROMIUM=/path); scripts/test installs it"
        );
        return;
    };
    let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(s)));
    drop(lock);
    if FINISHED.fetch_add(1, Ordering::SeqCst) + 1 == TESTS {
        let _ = std::fs::remove_dir_all(&s.root);
    }
    if let Err(p) = done {
        std::panic::resume_unwind(p);
    }
}

fn artifacts() -> PathBuf {
    let base = std::env::var_os("CANVASS_ARTIFACTS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/artifacts"),
        PathBuf::from,
    );
    base.join("browser")
}

/// `api/results-meta.json` as a server would write it for the export in `dir`: the last
/// `canvass-snapshot/v1` entry of its log, the checkpoint's size, the SHA-256 of
/// `api/results.json`.
fn results_meta(dir: &Path) -> String {
    let entries = canvass_verify::drill::entries(dir).unwrap();
    let index = entries
        .iter()
        .rposition(|e| e.starts_with(b"canvass-snapshot/v1\n"))
        .expect("a snapshot entry");
    let results = std::fs::read(dir.join("api/results.json")).unwrap();
    let sha: String = sha2::Sha256::digest(&results)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    serde_json::json!({"log_index": index, "tree_size": entries.len(), "sha256": sha}).to_string()
}

/// A static web server for a drill's export: the website's embedded files, `site.json` in
/// static mode, `api/results-meta.json`, and the files under the directory `root` names now.
struct Static {
    _rt: tokio::runtime::Runtime,
    root: Arc<Mutex<PathBuf>>,
    url: String,
}

impl Static {
    fn start(dir: &Path) -> Static {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let root = Arc::new(Mutex::new(dir.to_path_buf()));
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared = root.clone();
        let handler = move |uri: Uri| {
            let dir = shared.lock().unwrap().clone();
            async move { static_file(&dir, uri.path()) }
        };
        let app = axum::Router::new().fallback(handler);
        rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Static { _rt: rt, root, url }
    }

    /// Serves `dir` from now on.
    fn switch(&self, dir: &Path) {
        *self.root.lock().unwrap() = dir.to_path_buf();
    }
}

fn static_file(dir: &Path, path: &str) -> Response {
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    let (ctype, body): (&str, Vec<u8>) = if let Some(a) = canvass_server::http::site::asset(rel) {
        (a.1, a.2.to_vec())
    } else if rel == "site.json" {
        (
            "application/json",
            br#"{"mode":"static","poll_seconds":3600}"#.to_vec(),
        )
    } else if rel == "api/results-meta.json" {
        ("application/json", results_meta(dir).into_bytes())
    } else if rel.contains("..") {
        return StatusCode::BAD_REQUEST.into_response();
    } else {
        match std::fs::read(dir.join(rel)) {
            Ok(b) => ("application/octet-stream", b),
            Err(_) => return StatusCode::NOT_FOUND.into_response(),
        }
    };
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn badge(b: &mut cdp::Browser) -> String {
    b.eval("document.getElementById('verify-badge').dataset.state || ''")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits until the badge is `want` ("ok" or "bad"); returns the checks.
fn wait_badge(b: &mut cdp::Browser, want: &str) -> Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if badge(b) == want {
            let checks = b.eval("JSON.stringify(window.canvass.verification().checks)");
            return serde_json::from_str(checks.as_str().unwrap()).unwrap();
        }
        if std::time::Instant::now() > deadline {
            let checks = b.eval("JSON.stringify(window.canvass.verification().checks)");
            panic!("badge is {:?}, want {want:?}; checks: {checks}", badge(b));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The first failed check of a red badge.
fn failed(checks: &Value) -> Value {
    checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["ok"] == false)
        .cloned()
        .unwrap_or_else(|| panic!("no failed check in {checks:#}"))
}

/// Loads `url` and waits for a green badge (every entry checked).
fn green(b: &mut cdp::Browser, url: &str) {
    b.goto(url);
    let checks = wait_badge(b, "ok");
    let names: Vec<&str> = checks
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("Log entries checked")),
        "{checks:#}"
    );
}

/// Loads `url`, waits for a red badge and the alarm, checks the failed rule and that its
/// message contains `says`, saves a screenshot.
fn red(b: &mut cdp::Browser, url: &str, rule: &str, says: &str, shot: &str) -> Value {
    b.goto(url);
    let checks = wait_badge(b, "bad");
    b.wait_for("document.getElementById('alarm')", WAIT);
    let f = failed(&checks);
    assert_eq!(f["rule"], rule, "{checks:#}");
    let detail = f["detail"].as_str().unwrap();
    assert!(detail.contains(says), "{detail}");
    let text = b.eval("document.getElementById('verify-badge').textContent");
    assert!(text.as_str().unwrap().contains("NOT VERIFIED"), "{text}");
    let alarm = b.eval("document.getElementById('alarm').textContent");
    assert!(alarm.as_str().unwrap().contains(says), "{alarm}");
    b.screenshot(&artifacts().join(format!("{shot}.png")));
    f
}

/// Drill `n`'s tampered export `name`; `history` first shows the honest export to the same
/// browser.
fn static_drill(n: u8, name: &str, history: bool, rule: &str, says: &str, shot: &str) {
    with_setup(&format!("drill {n}"), |s| {
        let work = s.kept.join(format!("drill-{n}"));
        let honest = work.join("honest");
        let tampered = work.join(name);
        assert!(tampered.join("log/checkpoint").is_file(), "{tampered:?}");
        let server = Static::start(if history { &honest } else { &tampered });
        let mut b = cdp::Browser::launch(&s.chromium, 1280, 1000);
        if history {
            green(&mut b, &format!("{}/", server.url));
            server.switch(&tampered);
        }
        red(
            &mut b,
            &format!("{}/?tampered", server.url),
            rule,
            says,
            shot,
        );
    });
}

#[test]
fn drill_1_vote_count_in_the_database_shows_on_the_history_page() {
    with_setup("drill 1", |s| {
        // The tampered copy of the data directory, served by canvass serve (the keys are
        // read where they are by the drill; the server needs them in place).
        let copy = s.kept.join("drill-1/data");
        let keys = copy.join("keys");
        if !keys.exists() {
            canvass_verify::drill::copy_dir(&s.data.join("keys"), &keys).unwrap();
        }
        let (_server, url) = serve(copy.to_str().unwrap(), &[]);
        let mut b = cdp::Browser::launch(&s.chromium, 1280, 1000);
        // The results come from the log, not the index: right, and green.
        green(&mut b, &format!("{url}/"));
        // The history of the jurisdiction whose stored submission was changed: red.
        let f = red(
            &mut b,
            &format!("{url}/#/history/42001"),
            "store-differs",
            "differs from the logged document",
            "drill-1-vote-count",
        );
        assert!(f["name"].as_str().unwrap().contains("42001"), "{f:#}");
        drop(b);
        // An untouched jurisdiction's history is checked too and passes.
        let mut b = cdp::Browser::launch(&s.chromium, 1280, 1000);
        b.goto(&format!("{url}/#/history/42003"));
        b.wait_for(
            "window.canvass.verification().checks.some(c => c.name.includes('42003') && c.ok)",
            WAIT,
        );
        assert_eq!(badge(&mut b), "ok");
    });
}

#[test]
fn drill_2_deleted_entry_after_a_visit_is_a_rollback() {
    static_drill(
        2,
        "deleted",
        true,
        "rollback",
        "rollback",
        "drill-2-delete-entry",
    );
}

#[test]
fn drill_2_deleted_entry_on_a_first_visit_moves_the_snapshot() {
    static_drill(
        2,
        "deleted",
        false,
        "snapshot-position",
        "says it is entry",
        "drill-2-delete-entry-first-visit",
    );
}

#[test]
fn drill_3_split_view_after_a_visit() {
    static_drill(3, "split", true, "fork", "split view", "drill-3-split-view");
}

#[test]
fn drill_3_split_view_on_a_first_visit_has_a_bad_signature() {
    static_drill(
        3,
        "split",
        false,
        "bad-signature",
        "does not verify",
        "drill-3-split-view-first-visit",
    );
}

#[test]
fn drill_4_results_json_altered() {
    static_drill(
        4,
        "altered",
        false,
        "results-differ",
        "the log commits to",
        "drill-4-results-json",
    );
}

#[test]
fn drill_5_replayed_submission() {
    static_drill(
        5,
        "replayed",
        false,
        "replay",
        "logged again",
        "drill-5-replay",
    );
}

#[test]
fn drill_6_revoked_key_used() {
    static_drill(
        6,
        "stolen",
        false,
        "revoked-key",
        "which the authority revoked",
        "drill-6-stolen-key",
    );
}

#[test]
fn drill_7_rollback_after_a_visit() {
    static_drill(
        7,
        "backup",
        true,
        "rollback",
        "rollback",
        "drill-7-rollback",
    );
}

#[test]
fn drill_8_definition_swapped() {
    static_drill(
        8,
        "definition",
        false,
        "definition-mismatch",
        "the authority-signed roster binds",
        "drill-8-definition",
    );
}

/// Not a drill of its own, but drill 2's "reordered or changed, then re-signed" with a log
/// that grew: the browser saw the rolled-back log (drill 7's, green), then a log larger than
/// it whose earlier entries differ (the first submission's vote count changed, re-signed with
/// the log key). The RFC 9162 consistency proof from the tiles fails before any entry is read.
#[test]
fn a_rewritten_log_that_grew_fails_the_consistency_proof() {
    with_setup("fork", |s| {
        let work = s.kept.join("drill-7");
        let earlier = work.join("backup");
        let honest = work.join("honest");
        let mut entries = canvass_verify::drill::entries(&honest).unwrap();
        let at = entries
            .iter()
            .position(|e| {
                e.starts_with(b"canvass-submission/v1\n")
                    && String::from_utf8_lossy(e).contains("\"jurisdiction\":\"42001\"")
            })
            .unwrap();
        let text = String::from_utf8(entries[at].clone()).unwrap();
        assert!(text.contains("\"votes\":60"), "{text}");
        entries[at] = text
            .replacen("\"votes\":60", "\"votes\":61", 1)
            .into_bytes();
        let results = std::fs::read_to_string(honest.join("api/results.json")).unwrap();
        let forged = s.root.join("rewritten");
        if !forged.exists() {
            canvass_verify::drill::forge(&s.data, &entries, &results, &forged).unwrap();
        }
        let server = Static::start(&earlier);
        let mut b = cdp::Browser::launch(&s.chromium, 1280, 1000);
        green(&mut b, &format!("{}/", server.url));
        server.switch(&forged);
        red(
            &mut b,
            &format!("{}/?rewritten", server.url),
            "fork",
            "does not extend",
            "drill-2-rewritten-log-grew",
        );
    });
}
