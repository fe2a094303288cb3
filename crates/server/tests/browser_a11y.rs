//! An automated accessibility audit of the results website in a real browser (Debian's
//! `chromium`, headless, over the Chrome DevTools Protocol), on the overview, a state page, a
//! contest page and a jurisdiction's history:
//!
//! - **contrast**: every visible text (HTML and SVG, `::before` content included) against the
//!   colours actually behind it, from computed styles (HTML: the element's and its ancestors'
//!   background colours composited; SVG: the shapes painted before the text that overlap it,
//!   both colours of a striped pattern), at WCAG 2.2 AA: 4.5:1, 3:1 for large text;
//! - **names**: every button, link, text box, combo box, check box ... in Chromium's own
//!   accessibility tree (`Accessibility.getFullAXTree`) has a non-empty accessible name, and so
//!   has every image node;
//! - **text alternatives**: `<img alt>`, every `<svg>` labelled or `aria-hidden`, `role=img`
//!   labelled;
//! - **headings**: an `h1` first, no level skipped going down;
//! - **keyboard**: real Tab key presses (`Input.dispatchKeyEvent`) reach every focusable element
//!   the page shows, each with a visible focus indicator (its own or a descendant's computed
//!   outline, box shadow, stroke, colour or background differs from the unfocused look), and no
//!   element with an interactive role is left out of the tab order;
//! - **colour-blind safety**: every pair of map legend colours differs by at least ΔE2000 8
//!   for normal vision and under simulated protanopia, deuteranopia and tritanopia (Machado,
//!   Oliveira & Fernandes 2009, severity 1). The map also marks "leading" with stripes and
//!   "winner" with a check mark, so colour is never the only cue.
//!
//! The checks live in `tests/browser/a11y.js`. The same test shows that they fail: CIEDE2000
//! against published test pairs, a red/green palette, and a fixture of bad elements injected
//! into the page (each check must report its own bad element).
//!
//! Skips (with a message) only when no chromium binary can be found; `scripts/test` installs it.

#[path = "browser/cdp.rs"]
#[allow(dead_code)] // shared with tests/browser.rs; screenshots are taken there
mod cdp;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use canvass_server::io::{self, KeySource};
use canvass_server::{App, Payload, Submission};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);
const A11Y_JS: &str = include_str!("browser/a11y.js");

fn simulation() -> canvass_sim::Simulation {
    let e = canvass_model::builtin("us-2020").unwrap().unwrap();
    canvass_sim::simulate(
        &e,
        &canvass_sim::SimOptions {
            seed: 11,
            scale_permille: 2,
            ballots_per_precinct: 900,
        },
    )
    .unwrap()
}

fn submit_states(app: &App, data: &Path, sim: &canvass_sim::Simulation, states: &[&str]) {
    for j in sim
        .jurisdictions
        .iter()
        .filter(|j| states.contains(&j.state.as_str()))
    {
        let key =
            io::read_secret_key(&io::jurisdiction_key_path(data, j.jurisdiction.as_str())).unwrap();
        let doc = Submission {
            election: sim.election.election.id.clone(),
            jurisdiction: j.jurisdiction.clone(),
            sequence: 1,
            timestamp: 1_604_448_000,
            amendment: None,
            payload: Payload::PrecinctResults {
                results: j.results.clone(),
            },
        }
        .sign(&key);
        app.submit(doc.as_bytes(), None).unwrap();
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or("?").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Interactive roles that must have an accessible name (WAI-ARIA widget roles as Chromium
/// names them in its accessibility tree), and image roles.
const NAMED_ROLES: &[&str] = &[
    "button",
    "link",
    "textbox",
    "searchbox",
    "combobox",
    "checkbox",
    "radio",
    "switch",
    "slider",
    "spinbutton",
    "menuitem",
    "tab",
    "listbox",
    "DisclosureTriangle",
    "image",
    "img",
];

/// Chromium's accessibility tree: nodes with a role above and no name.
fn unnamed(b: &mut cdp::Browser) -> Vec<String> {
    b.call("Accessibility.enable", json!({}));
    let tree = b.call("Accessibility.getFullAXTree", json!({}));
    let mut out = Vec::new();
    for n in tree["nodes"].as_array().unwrap() {
        if n["ignored"] == true {
            continue;
        }
        let role = n["role"]["value"].as_str().unwrap_or("");
        if !NAMED_ROLES.contains(&role) {
            continue;
        }
        let name = n["name"]["value"].as_str().unwrap_or("").trim();
        if name.is_empty() {
            let what = n["backendDOMNodeId"]
                .as_u64()
                .map(|id| {
                    let d = b.call("DOM.describeNode", json!({"backendNodeId": id}));
                    format!(
                        "<{}> {}",
                        d["node"]["localName"].as_str().unwrap_or("?"),
                        d["node"]["attributes"]
                    )
                })
                .unwrap_or_default();
            out.push(format!("{role} without an accessible name: {what}"));
        }
    }
    out
}

fn press_tab(b: &mut cdp::Browser) {
    for kind in ["keyDown", "keyUp"] {
        b.call(
            "Input.dispatchKeyEvent",
            json!({"type": kind, "key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9, "nativeVirtualKeyCode": 9}),
        );
    }
}

/// Tabs through the page from the top: which of the expected focusable elements were never
/// reached, and which had no visible focus indicator.
fn keyboard(b: &mut cdp::Browser) -> Vec<String> {
    let expected = strings(&b.eval("window.__a11y.tabbables()"));
    assert!(!expected.is_empty(), "the page has focusable elements");
    let mut reached = BTreeSet::new();
    let mut findings = Vec::new();
    for _ in 0..expected.len() * 2 + 8 {
        press_tab(b);
        let f = b.eval("window.__a11y.focused()");
        let Some(i) = f["index"].as_i64().and_then(|i| usize::try_from(i).ok()) else {
            continue;
        };
        if reached.insert(i) && f["visible"] != true {
            findings.push(format!(
                "{}: no visible focus indicator",
                f["what"].as_str().unwrap_or("?")
            ));
        }
        if reached.len() == expected.len() {
            break;
        }
    }
    for (i, what) in expected.iter().enumerate() {
        if !reached.contains(&i) {
            findings.push(format!("{what}: never reached with Tab"));
        }
    }
    findings.extend(strings(&b.eval("window.__a11y.unreachable()")));
    findings
}

/// Every check on the current page: findings by check.
fn audit(b: &mut cdp::Browser) -> Vec<(String, Vec<String>)> {
    b.eval(A11Y_JS);
    let contrast = b.eval("window.__a11y.contrast()");
    assert!(
        contrast["checked"].as_u64().unwrap_or(0) > 5,
        "contrast checked the page's texts: {contrast}"
    );
    let legend = b.eval("window.__a11y.legendColors()");
    let palette = if strings(&legend).is_empty() {
        Vec::new()
    } else {
        strings(&b.eval(&format!("window.__a11y.palette({legend})")))
    };
    vec![
        ("contrast".into(), strings(&contrast["findings"])),
        ("names".into(), unnamed(b)),
        ("images".into(), strings(&b.eval("window.__a11y.images()"))),
        (
            "headings".into(),
            strings(&b.eval("window.__a11y.headings()")),
        ),
        ("keyboard".into(), keyboard(b)),
        ("palette".into(), palette),
    ]
}

fn assert_clean(page: &str, report: &[(String, Vec<String>)]) {
    let bad: Vec<String> = report
        .iter()
        .filter(|(_, f)| !f.is_empty())
        .map(|(check, f)| format!("{check}:\n    {}", f.join("\n    ")))
        .collect();
    assert!(
        bad.is_empty(),
        "{page}: accessibility findings\n  {}",
        bad.join("\n  ")
    );
}

fn findings<'a>(report: &'a [(String, Vec<String>)], check: &str) -> &'a [String] {
    &report.iter().find(|(c, _)| c == check).unwrap().1
}

#[test]
fn accessibility_audit_in_chromium() {
    let Some(chromium) = cdp::find_chromium() else {
        eprintln!(
            "SKIPPED accessibility_audit_in_chromium: no chromium found (install Debian's `chromium`, or set CHROMIUM=/path); scripts/test installs it"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let sim = simulation();
    io::init_keys(data, &sim.election, KeySource::Seeded(11)).unwrap();
    let app = Arc::new(App::open(data, sim.election.clone()).unwrap());
    // Decided and leading states of both parties, ME and NE districts, a full PA.
    submit_states(
        &app,
        data,
        &sim,
        &["DC", "DE", "VT", "WY", "ME", "NE", "PA"],
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = app.clone();
    rt.spawn(async move {
        canvass_server::http::serve(listener, served, 1 << 20)
            .await
            .unwrap();
    });
    let history = sim
        .jurisdictions
        .iter()
        .find(|j| j.state.as_str() == "PA")
        .unwrap()
        .jurisdiction
        .as_str()
        .to_owned();

    let mut b = cdp::Browser::launch(&chromium, 1280, 1000);
    let pages = [
        (
            "overview",
            "#/".to_owned(),
            "document.querySelector('.map svg a') && document.getElementById('verify-badge').dataset.state === 'ok'",
        ),
        (
            "state",
            "#/state/PA".to_owned(),
            "document.querySelector('#county-table') && document.querySelectorAll('main article').length > 0",
        ),
        (
            "contest",
            "#/contest/president-PA".to_owned(),
            "document.querySelector('#lv-h') && document.querySelectorAll('main table').length > 1",
        ),
        (
            "history",
            format!("#/history/{history}"),
            "document.querySelector('#history')",
        ),
    ];
    for (name, hash, ready) in &pages {
        b.goto(&format!("{base}/{hash}"));
        b.wait_for(ready, WAIT);
        let report = audit(&mut b);
        assert_clean(name, &report);
    }

    // The checker can fail. CIEDE2000 against Sharma, Wu & Dalal (2005), table 1, pairs 1, 7,
    // 17 and 20.
    for (l1, l2, want) in [
        ([50.0, 2.6772, -79.7751], [50.0, 0.0, -82.7485], 2.0425),
        ([50.0, 0.0, 0.0], [50.0, -1.0, 2.0], 2.3669),
        ([50.0, 2.5, 0.0], [73.0, 25.0, -18.0], 27.1492),
        ([50.0, 2.5, 0.0], [58.0, 24.0, 15.0], 19.4535),
    ] {
        let got = b
            .eval(&format!("window.__a11y.ciede2000({l1:?}, {l2:?})"))
            .as_f64()
            .unwrap();
        assert!((got - want).abs() < 1e-4, "ΔE2000 {got} != {want}");
    }
    // A red/green pair (d3's category10 red and green) is far apart for normal vision but not
    // for a deuteranope.
    let rg = strings(&b.eval("window.__a11y.palette(['#d62728', '#2ca02c'])"));
    assert!(
        rg.iter().any(|f| f.starts_with("deuteranopia"))
            && !rg.iter().any(|f| f.starts_with("normal")),
        "{rg:?}"
    );
    // Bad elements injected into the page: each check reports its own.
    b.eval(
        r##"(() => {
        const s = document.createElement('section');
        s.id = 'a11y-bad';
        s.innerHTML = `<h4>Skipped level</h4>
          <p id="bad-contrast" style="color:#9ca3af;background:#ffffff">Grey on white</p>
          <button id="bad-button"></button>
          <img id="bad-img" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
          <svg id="bad-svg" width="20" height="20"><rect width="20" height="20" fill="#1f5fa8"/></svg>
          <div id="bad-focus" tabindex="0" style="outline:none">Focusable without a focus ring</div>
          <span id="bad-role" role="button">Clickable span out of the tab order</span>
          <svg width="60" height="30" role="img" aria-label="tile"><rect width="60" height="30" fill="#6baed6"/><text id="bad-svg-text" x="4" y="20" fill="#ffffff">PA</text></svg>`;
        document.getElementById('view').appendChild(s);
        })()"##,
    );
    let report = audit(&mut b);
    let has = |check: &str, needle: &str| {
        let f = findings(&report, check);
        assert!(
            f.iter().any(|x| x.contains(needle)),
            "{check} should report {needle}: {f:?}"
        );
    };
    has("contrast", "bad-contrast");
    has("contrast", "bad-svg-text");
    has("names", "bad-button");
    has("names", "bad-img");
    has("images", "bad-img");
    has("images", "bad-svg");
    has("headings", "h4 follows");
    has("keyboard", "bad-focus");
    has("keyboard", "bad-role");
    drop(b);
}
