//! The read routes: results, contests, submissions with inclusion proofs, a jurisdiction's
//! history, and the security event stream.

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::snapshot::{Encoded, Snap, hex, respond};
use super::{ApiError, Shared, json_response};
use crate::submission::Submission;

fn path_error(e: &PathRejection, field: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad-parameter",
        field,
        format!("{e}: check the URL"),
    )
}

/// A JSON body tied to a snapshot: `ETag`, `X-Canvass-Log-Index`, `X-Canvass-Tree-Size`,
/// `304` when the client's `If-None-Match` already names it, and the body compressed once per
/// snapshot (gzip or brotli when the client accepts it; [`Encoded`]).
async fn tied(snap: &Snap, headers: &HeaderMap, body: &Arc<Encoded>) -> Response {
    let mut resp = respond(body, headers, "application/json", &snap.etag()).await;
    let h = resp.headers_mut();
    let mut set = |name: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(name, v);
        }
    };
    set("x-canvass-tree-size", snap.inner.tree_size.to_string());
    if let Some(i) = snap.inner.log_index {
        set("x-canvass-log-index", i.to_string());
    }
    resp
}

fn snapshot(shared: &Shared) -> Result<Arc<Snap>, ApiError> {
    Ok(shared.snapshots.get(&shared.app))
}

/// `GET /api/results`: the whole snapshot.
#[utoipa::path(get, path = "/api/results", tag = "results",
    params(("If-None-Match" = Option<String>, Header, description = "an ETag from an earlier answer")),
    responses(
        (status = 200, description = "the canonical results JSON (docs/results-json.md): contests, Electoral College, balance of the Senate, House and governors, reporting progress", body = Object,
            headers(("ETag" = String, description = "SHA-256 of the body, hex, quoted"),
                    ("X-Canvass-Tree-Size" = u64, description = "log size the results were computed from"),
                    ("X-Canvass-Log-Index" = u64, description = "log entry recording the snapshot hash, once logged"))),
        (status = 304, description = "unchanged since the ETag given"),
        (status = 503, description = "storage failure", body = ApiError)))]
pub(crate) async fn results(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    match snapshot(&shared) {
        Ok(s) => tied(&s, &headers, s.results_body()).await,
        Err(e) => e.into_response(),
    }
}

fn unparsable() -> ApiError {
    ApiError::internal("the results snapshot does not parse")
}

/// `GET /api/results/{state}`: every contest held in the state, with its Electoral College
/// awards.
#[utoipa::path(get, path = "/api/results/{state}", tag = "results",
    params(("state" = String, Path, description = "postal code, e.g. PA")),
    responses(
        (status = 200, description = "`{election, state, contests[], electoral_college}`: the state's contests as in the results JSON (with counties, districts and precincts where the snapshot has them)", body = Object),
        (status = 304, description = "unchanged since the ETag given"),
        (status = 404, description = "no contest in that state", body = ApiError)))]
pub(crate) async fn state_results(
    State(shared): State<Arc<Shared>>,
    state: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let state = match state {
        Ok(Path(s)) => s.to_ascii_uppercase(),
        Err(e) => return path_error(&e, "state").into_response(),
    };
    let snap = match snapshot(&shared) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let Some(p) = snap.parsed() else {
        return unparsable().into_response();
    };
    let Some(idx) = p.by_state.get(&state) else {
        return ApiError::not_found(
            "state",
            format!("no contest is held in state {state:?}: use a postal code such as PA"),
        )
        .into_response();
    };
    let body = snap.derived(&state, || {
        let contests: Vec<&Value> = idx.iter().map(|&i| &p.value["contests"][i]).collect();
        let college = p.value["electoral_college"]["states"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["state"].as_str() == Some(&state)))
            .cloned()
            .unwrap_or(Value::Null);
        let mut m = Map::new();
        m.insert("election".into(), p.value["election"].clone());
        m.insert("state".into(), Value::String(state.clone()));
        m.insert(
            "contests".into(),
            Value::from(contests.into_iter().cloned().collect::<Vec<_>>()),
        );
        m.insert("electoral_college".into(), college);
        Value::Object(m).to_string()
    });
    tied(&snap, &headers, &body).await
}

/// `GET /api/contests/{id}`: one contest at every level (state, county, congressional
/// district, precinct) as of a published snapshot; the ETag is the SHA-256 of the body.
#[utoipa::path(get, path = "/api/contests/{id}", tag = "results",
    params(("id" = String, Path, description = "contest id, e.g. president-PA"),
           ("If-None-Match" = Option<String>, Header, description = "an ETag from an earlier answer")),
    responses(
        (status = 200, description = "the contest object of the results JSON with its totals at every level: `states`, `counties`, `districts` (congressional districts its precincts lie in) and `precincts` (reporting units), each `[{id, totals, ballots, overvotes, undervotes}]` sorted by id (docs/http-api.md)", body = Object,
            headers(("ETag" = String, description = "SHA-256 of the body, hex, quoted"),
                    ("X-Canvass-Tree-Size" = u64, description = "log size the contest was computed from"),
                    ("X-Canvass-Log-Index" = u64, description = "the snapshot entry of those results, once logged"))),
        (status = 304, description = "unchanged since the ETag given"),
        (status = 404, description = "no such contest", body = ApiError),
        (status = 503, description = "storage failure", body = ApiError)))]
pub(crate) async fn contest(
    State(shared): State<Arc<Shared>>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let id = match id {
        Ok(Path(s)) => s,
        Err(e) => return path_error(&e, "id").into_response(),
    };
    let app = shared.app.clone();
    let wanted = id.clone();
    let report = match tokio::task::spawn_blocking(move || app.contest(&wanted)).await {
        Ok(Ok(Some(r))) => r,
        Ok(Ok(None)) => {
            return ApiError::not_found(
                "id",
                format!("no contest {id:?} in this election: see GET /api/results for the ids"),
            )
            .into_response();
        }
        Ok(Err(e)) => return ApiError::internal(submit_error(e)).into_response(),
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let body = serde_json::to_string(&report.contest).unwrap_or_default();
    let etag = format!("\"{}\"", hex(&crate::entry::sha256(body.as_bytes())));
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*");
    let mut resp = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        json_response(StatusCode::OK, body)
    };
    let h = resp.headers_mut();
    let mut set = |name: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(name, v);
        }
    };
    set("etag", etag);
    set("cache-control", "no-cache".into());
    set("x-canvass-tree-size", report.tree_size.to_string());
    if let Some(i) = report.log_index {
        set("x-canvass-log-index", i.to_string());
    }
    resp
}

fn submit_error(e: crate::SubmitError) -> String {
    match e {
        crate::SubmitError::Internal(m) => m,
        crate::SubmitError::Rejected(r) => r.message,
    }
}

/// An inclusion proof of one log entry, to check against the signed checkpoint.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InclusionProof {
    /// The tree size the proof is for (the checkpoint's).
    pub tree_size: u64,
    /// The proof's hashes, lowercase hex, bottom up (RFC 9162 2.1.3).
    pub hashes: Vec<String>,
    /// The signed checkpoint note (C2SP tlog-checkpoint) of `tree_size`.
    pub checkpoint: String,
}

/// A stored submission with its inclusion proof.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubmissionView {
    /// Index of the entry in the transparency log.
    pub log_index: u64,
    /// The reporting jurisdiction.
    pub jurisdiction: String,
    /// The jurisdiction's sequence number.
    pub sequence: u64,
    /// SHA-256 of the signed body, hex.
    pub digest: String,
    /// For an amendment, the sequence it supersedes.
    pub supersedes: Option<u64>,
    /// For an amendment, the reason given.
    pub reason: Option<String>,
    /// When the server accepted it (seconds since the Unix epoch).
    pub received_at: u64,
    /// The signed document exactly as logged (the log entry).
    pub document: String,
    /// Proof that the entry is in the log at `log_index`.
    pub proof: InclusionProof,
}

/// The submission at `index` and its proof against the latest checkpoint (blocking).
fn submission_view(app: &crate::App, index: u64) -> Result<SubmissionView, ApiError> {
    let Some(rec) = app.submission(index).map_err(ApiError::internal)? else {
        return Err(ApiError::not_found(
            "log_index",
            format!(
                "log entry {index} is not an accepted submission (it may be the roster, a snapshot, a key change or a certification, or beyond the log): check the index"
            ),
        ));
    };
    // Wait (bounded) for a checkpoint covering the entry, then prove against exactly the
    // checkpoint note served, which may be newer still.
    let (covered, mut proof) = app.inclusion_proof(index).map_err(|e| match e {
        crate::AppError::NotInCheckpoint { .. } => {
            ApiError::not_found("log_index", format!("{e}: retry in a moment"))
        }
        e => ApiError::internal(e),
    })?;
    let checkpoint = app.checkpoint_text();
    let tree_size: u64 = checkpoint
        .lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    if tree_size != covered {
        proof = app
            .log()
            .inclusion_proof(index, tree_size)
            .map_err(ApiError::internal)?
            .into_iter()
            .map(|h| h.0)
            .collect();
    }
    let hashes = proof.iter().map(|h| hex(h)).collect();
    let amendment = crate::note::parse(&rec.document)
        .ok()
        .and_then(|n| crate::canonical::decode::<Submission>(n.json).ok())
        .and_then(|s| s.amendment);
    Ok(SubmissionView {
        log_index: index,
        jurisdiction: rec.jurisdiction,
        sequence: rec.sequence,
        digest: hex(&rec.digest),
        supersedes: rec.supersedes,
        reason: amendment.map(|a| a.reason),
        received_at: rec.received_at,
        document: String::from_utf8_lossy(&rec.document).into_owned(),
        proof: InclusionProof {
            tree_size,
            hashes,
            checkpoint,
        },
    })
}

/// `GET /api/submissions/{log_index}`.
#[utoipa::path(get, path = "/api/submissions/{log_index}", tag = "submissions",
    params(("log_index" = u64, Path, description = "the entry's index in the transparency log")),
    responses(
        (status = 200, description = "the stored submission and its inclusion proof", body = SubmissionView),
        (status = 400, description = "not an index", body = ApiError),
        (status = 404, description = "no such entry, or not a submission", body = ApiError)))]
pub(crate) async fn submission(
    State(shared): State<Arc<Shared>>,
    index: Result<Path<u64>, PathRejection>,
) -> Response {
    let index = match index {
        Ok(Path(i)) => i,
        Err(e) => return path_error(&e, "log_index").into_response(),
    };
    let app = shared.app.clone();
    match tokio::task::spawn_blocking(move || submission_view(&app, index)).await {
        Ok(Ok(v)) => json_response(
            StatusCode::OK,
            serde_json::to_string(&v).unwrap_or_default(),
        ),
        Ok(Err(e)) => e.into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// One version in a jurisdiction's history.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// Index of the entry in the transparency log.
    pub log_index: u64,
    /// The jurisdiction's sequence number.
    pub sequence: u64,
    /// SHA-256 of the signed body, hex.
    pub digest: String,
    /// For an amendment, the sequence it supersedes.
    pub supersedes: Option<u64>,
    /// For an amendment, the reason given.
    pub reason: Option<String>,
    /// When the server accepted it (seconds since the Unix epoch).
    pub received_at: u64,
}

/// A jurisdiction's accepted submissions, oldest first.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct History {
    /// The jurisdiction.
    pub jurisdiction: String,
    /// Every accepted version, amendments included (superseded ones stay).
    pub submissions: Vec<HistoryEntry>,
}

/// `GET /api/jurisdictions/{id}/submissions`.
#[utoipa::path(get, path = "/api/jurisdictions/{id}/submissions", tag = "submissions",
    params(("id" = String, Path, description = "the jurisdiction id, e.g. 42001")),
    responses(
        (status = 200, description = "every accepted version, amendments with their reasons", body = History),
        (status = 503, description = "storage failure", body = ApiError)))]
pub(crate) async fn jurisdiction_history(
    State(shared): State<Arc<Shared>>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match id {
        Ok(Path(s)) => s,
        Err(e) => return path_error(&e, "id").into_response(),
    };
    let app = shared.app.clone();
    let work = move || -> Result<History, ApiError> {
        let rows = app.jurisdiction_history(&id).map_err(ApiError::internal)?;
        let submissions = rows
            .into_iter()
            .map(|r| {
                let reason = crate::note::parse(&r.document)
                    .ok()
                    .and_then(|n| crate::canonical::decode::<Submission>(n.json).ok())
                    .and_then(|s| s.amendment.map(|a| a.reason));
                HistoryEntry {
                    log_index: r.log_index,
                    sequence: r.sequence,
                    digest: hex(&r.digest),
                    supersedes: r.supersedes,
                    reason,
                    received_at: r.received_at,
                }
            })
            .collect();
        Ok(History {
            jurisdiction: id,
            submissions,
        })
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(v)) => json_response(
            StatusCode::OK,
            serde_json::to_string(&v).unwrap_or_default(),
        ),
        Ok(Err(e)) => e.into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// Query of `GET /api/security-events`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct After {
    /// Events with an id above this (default 0).
    #[serde(default)]
    after: u64,
    /// At most this many (default and maximum 1000).
    limit: Option<usize>,
}

/// A security event: a refused document.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SecurityEventView {
    /// Increasing from 1.
    pub id: u64,
    /// When (seconds since the Unix epoch).
    pub at: u64,
    /// The peer address, if known.
    pub source: Option<String>,
    /// The jurisdiction the document claimed, if readable.
    pub jurisdiction: Option<String>,
    /// The rejection code.
    pub code: String,
    /// The field concerned.
    pub field: String,
    /// The message given to the submitter.
    pub message: String,
    /// SHA-256 of the refused body, hex.
    pub digest: String,
}

/// `GET /api/security-events?after=N`.
#[utoipa::path(get, path = "/api/security-events", tag = "monitor",
    params(After),
    responses(
        (status = 200, description = "events with id > after, oldest first", body = [SecurityEventView]),
        (status = 400, description = "bad query", body = ApiError)))]
pub(crate) async fn security_events(
    State(shared): State<Arc<Shared>>,
    q: Result<Query<After>, QueryRejection>,
) -> Response {
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-parameter",
                "after",
                format!("{e}: use ?after=<event id>&limit=<n>"),
            )
            .into_response();
        }
    };
    let app = shared.app.clone();
    let limit = q.limit.unwrap_or(1000).clamp(1, 1000);
    match tokio::task::spawn_blocking(move || app.events(q.after, limit)).await {
        Ok(Ok(ev)) => {
            let v: Vec<SecurityEventView> = ev
                .into_iter()
                .map(|e| SecurityEventView {
                    id: e.id,
                    at: e.at,
                    source: e.source,
                    jurisdiction: e.jurisdiction,
                    code: e.code,
                    field: e.field,
                    message: e.message,
                    digest: hex(&e.digest),
                })
                .collect();
            json_response(
                StatusCode::OK,
                serde_json::to_string(&v).unwrap_or_default(),
            )
        }
        Ok(Err(e)) => ApiError::internal(e).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// The body of `GET /api/election`, made once: the canonical bytes of the definition the
/// server runs (`roster::definition_bytes`), its strong ETag (their SHA-256) and its
/// compressed variants.
#[derive(Default)]
pub(crate) struct DefinitionBody(tokio::sync::OnceCell<(Arc<Encoded>, String)>);

/// How long a client may keep the definition without asking again: it cannot change while
/// the log lives (the roster binds its SHA-256), so a day.
const DEFINITION_MAX_AGE: &str = "public, max-age=86400";

/// `GET /api/election`: the election definition, exactly the bytes whose SHA-256 the
/// authority-signed roster binds (`definition_sha256`).
#[utoipa::path(get, path = "/api/election", tag = "results",
    params(("If-None-Match" = Option<String>, Header, description = "an ETag from an earlier answer")),
    responses(
        (status = 200, description = "the election definition the server counts with: its canonical JSON (compact, in the fixed field order of the definition format, docs/http-api.md), whose SHA-256 is the roster's `definition_sha256`", body = Object,
            headers(("ETag" = String, description = "SHA-256 of the body, hex, quoted"))),
        (status = 304, description = "unchanged since the ETag given")))]
pub(crate) async fn election(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let (body, etag) = shared
        .definition
        .0
        .get_or_init(|| async {
            let app = Arc::clone(&shared.app);
            let bytes = tokio::task::spawn_blocking(move || {
                crate::roster::definition_bytes(app.election())
            })
            .await
            .unwrap_or_else(|_| crate::roster::definition_bytes(shared.app.election()));
            let etag = format!("\"{}\"", hex(&crate::entry::sha256(&bytes)));
            (Encoded::new(bytes), etag)
        })
        .await;
    let mut resp = respond(body, &headers, "application/json", etag).await;
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(DEFINITION_MAX_AGE),
    );
    resp
}
