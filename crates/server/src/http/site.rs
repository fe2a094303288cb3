//! The public results website (issue 7; `docs/website.md`): static pages embedded in the
//! binary and the read routes they need besides the API's.
//!
//! ```text
//! GET /                        index.html (one page; views are URL fragments: #/state/PA)
//! GET /assets/<file>           the page's CSS and ES modules (ASSETS)
//! GET /site.json               {"mode":"live"}: the page uses /api/events (a static export
//!                              says "static" and the page polls instead)
//! GET /api/overview            a compact digest of the results snapshot (below)
//! GET /api/geo                 names of states, counties and reporting jurisdictions
//! GET /api/geo/<state>         the state's reporting units (precincts) and their counties
//! GET /api/results.csv         the snapshot as CSV (canvass_tally::to_csv)
//! GET /api/results.nist.json   the snapshot as NIST SP 1500-100 v2 (JSON binding)
//! GET /api/results.nist.xml    the same, XML binding
//! ```
//!
//! Every derived document is computed once per snapshot and carries the snapshot's `ETag`
//! and `X-Canvass-*` headers, like `GET /api/results`. The page itself fetches the exact
//! bytes of `GET /api/results` and checks them against the log in the browser (RFC 6962
//! inclusion of the `canvass-snapshot/v1` entry, C2SP signed-note checkpoint), so the
//! derived documents are conveniences, never what is verified. Responses of these routes
//! are compressed when the client accepts it: the per-snapshot documents once per snapshot
//! (gzip, and brotli once made in the background; [`super::snapshot::Encoded`]), the rest by
//! the compression layer per response.

use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};
use tower_http::compression::CompressionLayer;

use super::ApiError;
use super::snapshot::{Encoded, hex, respond};
use crate::app::{App, Snapshot};

/// One embedded file: URL path (without the leading `/`), content type, bytes.
pub type Asset = (&'static str, &'static str, &'static [u8]);

/// Every file of the website, embedded at build time (`crates/server/web/`).
pub const ASSETS: &[Asset] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../web/index.html"),
    ),
    (
        "assets/style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../web/assets/style.css"),
    ),
    (
        "assets/app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/assets/app.js"),
    ),
    (
        "assets/data.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/assets/data.js"),
    ),
    (
        "assets/views.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/assets/views.js"),
    ),
    (
        "assets/map.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/assets/map.js"),
    ),
    (
        "assets/verify.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/assets/verify.js"),
    ),
    (
        "assets/tlog.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/assets/tlog.js"),
    ),
    (
        "assets/logcheck.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/assets/logcheck.js"),
    ),
    (
        "assets/favicon.svg",
        "image/svg+xml",
        include_bytes!("../../web/assets/favicon.svg"),
    ),
];

/// The embedded file at `path` (`index.html`, `assets/app.js`, ...).
pub fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.0 == path)
}

/// Documents derived from one snapshot, computed on first use.
#[derive(Default)]
struct Derived {
    sha256: [u8; 32],
    overview: OnceLock<Arc<Encoded>>,
    csv: OnceLock<Arc<Encoded>>,
    nist_json: OnceLock<Arc<Encoded>>,
    nist_xml: OnceLock<Arc<Encoded>>,
}

/// What the site routes share.
struct Site {
    app: Arc<App>,
    derived: Mutex<Option<Arc<Derived>>>,
    geo: OnceLock<String>,
}

impl Site {
    fn current(&self) -> (Arc<Snapshot>, Arc<Derived>) {
        let snap = self.app.snapshot();
        let mut cur = self
            .derived
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(d) = cur.as_ref() {
            if d.sha256 == snap.sha256 {
                return (snap, d.clone());
            }
        }
        let d = Arc::new(Derived {
            sha256: snap.sha256,
            ..Derived::default()
        });
        *cur = Some(d.clone());
        (snap, d)
    }
}

/// The website's routes over `app` (merged into the API's router).
pub(crate) fn router(app: Arc<App>) -> Router {
    let site = Arc::new(Site {
        app,
        derived: Mutex::new(None),
        geo: OnceLock::new(),
    });
    Router::new()
        .route("/", get(|| async { file("index.html") }))
        .route("/index.html", get(|| async { file("index.html") }))
        .route("/assets/{name}", get(assets))
        .route("/favicon.ico", get(|| async { file("assets/favicon.svg") }))
        .route(
            "/site.json",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "application/json"),
                        (header::CACHE_CONTROL, "no-cache"),
                    ],
                    r#"{"mode":"live"}"#,
                )
            }),
        )
        .route("/api/overview", get(overview))
        .route("/api/geo", get(geo))
        .route("/api/geo/{state}", get(geo_state))
        .route("/api/results.csv", get(csv))
        .route("/api/results.nist.json", get(nist_json))
        .route("/api/results.nist.xml", get(nist_xml))
        .with_state(site)
        .layer(CompressionLayer::new().gzip(true))
}

fn file(path: &str) -> Response {
    let Some(&(_, ctype, bytes)) = asset(path) else {
        return ApiError::not_found("path", format!("no file {path:?} on this site"))
            .into_response();
    };
    (
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response()
}

async fn assets(Path(name): Path<String>) -> Response {
    file(&format!("assets/{name}"))
}

/// A derived document tied to `snap` like `GET /api/results` (ETag and log headers, `304`),
/// compressed once per snapshot ([`Encoded`]).
async fn tied(
    snap: &Snapshot,
    headers: &HeaderMap,
    ctype: &'static str,
    body: &Arc<Encoded>,
) -> Response {
    let etag = format!("\"{}\"", hex(&snap.sha256));
    let mut resp = respond(body, headers, ctype, &etag).await;
    let h = resp.headers_mut();
    let mut set = |name: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(name, v);
        }
    };
    set("x-canvass-tree-size", snap.tree_size.to_string());
    if let Some(i) = snap.log_index {
        set("x-canvass-log-index", i.to_string());
    }
    resp
}

async fn overview(State(site): State<Arc<Site>>, headers: HeaderMap) -> Response {
    let (snap, d) = site.current();
    let body = d
        .overview
        .get_or_init(|| Encoded::new(overview_json(&snap.json)));
    tied(&snap, &headers, "application/json", body).await
}

async fn csv(State(site): State<Arc<Site>>, headers: HeaderMap) -> Response {
    let (snap, d) = site.current();
    let body = d
        .csv
        .get_or_init(|| Encoded::new(canvass_tally::to_csv(&snap.results)));
    tied(&snap, &headers, "text/csv; charset=utf-8", body).await
}

fn err_options(app: &App) -> canvass_formats::err::ErrOptions {
    canvass_formats::err::ErrOptions {
        generated_date: format!("{}T00:00:00Z", app.election().election.date),
        ..canvass_formats::err::ErrOptions::default()
    }
}

async fn nist_json(State(site): State<Arc<Site>>, headers: HeaderMap) -> Response {
    let (snap, d) = site.current();
    let body = d.nist_json.get_or_init(|| {
        let e = site.app.election();
        Encoded::new(
            canvass_formats::err::to_json(e, &snap.results, &err_options(&site.app)).to_string(),
        )
    });
    tied(&snap, &headers, "application/json", body).await
}

async fn nist_xml(State(site): State<Arc<Site>>, headers: HeaderMap) -> Response {
    let (snap, d) = site.current();
    let body = d.nist_xml.get_or_init(|| {
        let e = site.app.election();
        Encoded::new(canvass_formats::err::to_xml(
            e,
            &snap.results,
            &err_options(&site.app),
        ))
    });
    tied(&snap, &headers, "application/xml; charset=utf-8", body).await
}

async fn geo_state(State(site): State<Arc<Site>>, Path(state): Path<String>) -> Response {
    match geo_state_json(site.app.election(), &state) {
        Some(body) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            body,
        )
            .into_response(),
        None => ApiError::not_found(
            "state",
            format!("no state {state:?} in this election: use a postal code such as PA"),
        )
        .into_response(),
    }
}

/// `{state, units}`: each reporting unit (precinct) of the state → its county, so a page can
/// count the units reported per county from a contest's `precincts`; `None` for an unknown
/// state (postal code, any case).
pub fn geo_state_json(e: &canvass_model::Election, state: &str) -> Option<String> {
    let state = state.to_ascii_uppercase();
    e.states.iter().find(|s| s.postal.as_str() == state)?;
    let counties: std::collections::HashSet<&str> = e
        .counties
        .iter()
        .filter(|c| c.state.as_str() == state)
        .map(|c| c.fips.as_str())
        .collect();
    let units: Map<String, Value> = e
        .precincts
        .iter()
        .filter(|p| counties.contains(p.county.as_str()))
        .map(|p| (p.id.as_str().to_owned(), Value::from(p.county.as_str())))
        .collect();
    Some(json!({"state": state, "units": units}).to_string())
}

async fn geo(State(site): State<Arc<Site>>) -> Response {
    let body = site.geo.get_or_init(|| geo_json(site.app.election()));
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body.clone(),
    )
        .into_response()
}

/// The names the pages show, from the election definition: `{election, name, states[],
/// counties[], jurisdictions[]}`. Counties carry their precinct count and registered voters
/// (summed over precincts that give them) when the definition has precincts.
pub fn geo_json(e: &canvass_model::Election) -> String {
    use std::collections::HashMap;
    let mut precincts: HashMap<&str, (u64, u64)> = HashMap::new();
    for p in &e.precincts {
        let c = precincts.entry(p.county.as_str()).or_default();
        c.0 += 1;
        c.1 += p.registered_voters.unwrap_or(0);
    }
    let states: Vec<Value> = e
        .states
        .iter()
        .map(|s| {
            json!({"postal": s.postal.as_str(), "name": s.name,
                   "electoral_votes": s.electoral_votes, "house_seats": s.house_seats})
        })
        .collect();
    let counties: Vec<Value> = e
        .counties
        .iter()
        .map(|c| {
            let (n, reg) = precincts.get(c.fips.as_str()).copied().unwrap_or_default();
            json!({"fips": c.fips.as_str(), "state": c.state.as_str(), "name": c.name,
                   "precincts": n, "registered": reg})
        })
        .collect();
    let jurisdictions: Vec<Value> = e
        .jurisdictions
        .iter()
        .map(|j| json!({"id": j.id.as_str(), "name": j.name, "state": j.state.as_str()}))
        .collect();
    json!({"election": e.election.id.as_str(), "name": e.election.name, "states": states,
           "counties": counties, "jurisdictions": jurisdictions})
    .to_string()
}

/// The compact digest of a results JSON (`docs/website.md`, "Overview"): the Electoral
/// College, the balance, and per contest only what the overview and search need (no
/// selections beyond the top two, no per-area totals). Input that does not parse gives `{}`.
pub fn overview_json(results: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(results) else {
        return "{}".into();
    };
    let keep = [
        "id",
        "name",
        "office",
        "state",
        "district",
        "status",
        "leader",
        "winners",
        "margin_percent",
        "precincts_reported",
        "precincts_expected",
        "runoff",
        "recount",
        "tie",
        "passed",
        "needs_ranked_choice_rounds",
    ];
    let contests: Vec<Value> = v["contests"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let mut m = Map::new();
                    for k in keep {
                        if let Some(x) = c.get(k) {
                            m.insert(k.into(), x.clone());
                        }
                    }
                    let mut top: Vec<&Value> =
                        c["selections"].as_array().map(|s| s.iter().collect()).unwrap_or_default();
                    top.sort_by_key(|s| std::cmp::Reverse(s["votes"].as_u64().unwrap_or(0)));
                    let top: Vec<Value> = top
                        .into_iter()
                        .take(2)
                        .map(|s| json!({"name": s["name"], "party": s["party"], "votes": s["votes"], "percent": s["percent"]}))
                        .collect();
                    m.insert("top".into(), Value::from(top));
                    Value::Object(m)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = Map::new();
    out.insert("election".into(), v["election"].clone());
    out.insert("electoral_college".into(), v["electoral_college"].clone());
    out.insert("balance".into(), v["balance"].clone());
    out.insert("contests".into(), Value::from(contests));
    Value::Object(out).to_string()
}
