//! The audit routes (issue 9, `docs/audit.md`):
//!
//! - `POST /api/audit-records`: one authority-signed `canvass-audit/v1` record (text/plain);
//!   `201 {"log_index"}`, or `422 {"code":"bad-audit-record",...}` if it does not follow.
//! - `GET /api/audits`: the audits' names.
//! - `GET /api/audits/{name}`: the audit's records with their log indices (JSON), from which
//!   `canvass_audit::workflow::recompute` rebuilds the whole state.
//! - `GET /api/audits/{name}/report.html` and `report.csv`: the audit report.
//! - `GET /api/audits/{name}/rounds/{round}/retrieval/{jurisdiction}` with `?format=csv`
//!   (default) or `?format=html`: a retrieval list sorted by batch and position.
//! - `GET /audits/{name}/board`: the audit boards' web form ([`form`]); posting it returns
//!   the interpretations CSV for `canvass audit interpret`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use canvass_audit::workflow::{
    AuditRecord, AuditState, report_csv, report_html, retrieval, retrieval_csv, retrieval_html,
};
use serde::{Deserialize, Serialize};

use super::{ApiError, json_response};
use crate::app::App;
use crate::audit::AuditSubmitError;

pub(crate) mod form;

/// Largest body accepted: a board form of a large round (a signed record must also fit one
/// log entry, checked by `App::submit_audit`).
const BODY_LIMIT: usize = 1 << 20;

/// An audit record with its log index.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoggedRecord {
    /// The log index of its entry.
    pub log_index: u64,
    /// The record: `{audit, seq, step: {start|manifest|cvr|estimate|draw|interpret|batch-count|measure: {...}}}` (docs/audit.md).
    #[schema(value_type = Object)]
    pub record: AuditRecord,
}

/// `POST /api/audit-records` answer.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditLogged {
    /// The log index of the record's entry.
    pub log_index: u64,
}

/// `GET /api/audits/{name}`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditView {
    /// The audit's name.
    pub audit: String,
    /// Every record in seq order.
    pub records: Vec<LoggedRecord>,
}

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/api/audit-records", post(submit))
        .route("/api/audits", get(names))
        .route("/api/audits/{name}", get(audit))
        .route("/api/audits/{name}/report.html", get(report_page))
        .route("/api/audits/{name}/report.csv", get(report_table))
        .route(
            "/api/audits/{name}/rounds/{round}/retrieval/{jurisdiction}",
            get(retrieval_list),
        )
        .route("/audits/{name}/board", get(form::page).post(form::submit))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
}

fn error(e: AuditSubmitError) -> Response {
    match e {
        AuditSubmitError::Refused(m) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad-audit-record",
            "document",
            m,
        )
        .into_response(),
        AuditSubmitError::Internal(m) => ApiError::internal(m).into_response(),
    }
}

/// `POST /api/audit-records`.
#[utoipa::path(post, path = "/api/audit-records", tag = "audits",
    request_body(content = String, content_type = "text/plain",
        description = "a `canvass-audit/v1` record signed by the election authority (docs/audit.md): type line, canonical JSON line `{audit, seq, step}`, blank line, the authority's signature line"),
    responses(
        (status = 201, description = "logged: the record follows from the audit's records before it (derived figures recomputed and equal)", body = AuditLogged),
        (status = 413, description = "body-too-large", body = ApiError),
        (status = 422, description = "bad-audit-record: malformed, not signed by the authority, over the log's entry size, or not following the audit's records (wrong seq or step, a ballot never drawn, an estimate, draw or measurement that differs from its recomputation)", body = ApiError),
        (status = 503, description = "storage failure: nothing logged, retry", body = ApiError)))]
pub(crate) async fn submit(State(app): State<Arc<App>>, body: Bytes) -> Response {
    match tokio::task::spawn_blocking(move || app.submit_audit(&body)).await {
        Ok(Ok(log_index)) => json_response(
            StatusCode::CREATED,
            serde_json::to_string(&AuditLogged { log_index }).unwrap_or_default(),
        ),
        Ok(Err(e)) => error(e),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// `GET /api/audits`.
#[utoipa::path(get, path = "/api/audits", tag = "audits",
    responses((status = 200, description = "the names of the log's audits, sorted", body = Vec<String>)))]
pub(crate) async fn names(State(app): State<Arc<App>>) -> Response {
    match tokio::task::spawn_blocking(move || app.audit_names()).await {
        Ok(Ok(n)) => json_response(
            StatusCode::OK,
            serde_json::to_string(&n).unwrap_or_default(),
        ),
        Ok(Err(e)) => error(e),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

async fn state(app: Arc<App>, name: String) -> Result<(AuditState, Vec<u64>), Response> {
    let n = name.clone();
    match tokio::task::spawn_blocking(move || app.audit(&n)).await {
        Ok(Ok(Some(s))) => Ok(s),
        Ok(Ok(None)) => Err(ApiError::not_found(
            "name",
            format!("no audit named {name:?}: see GET /api/audits"),
        )
        .into_response()),
        Ok(Err(e)) => Err(error(e)),
        Err(e) => Err(ApiError::internal(e).into_response()),
    }
}

/// `GET /api/audits/{name}`.
#[utoipa::path(get, path = "/api/audits/{name}", tag = "audits",
    params(("name" = String, Path, description = "the audit's name")),
    responses(
        (status = 200, description = "every record of the audit in seq order with its log index; `canvass_audit::workflow::recompute` over the records rebuilds the audit's state", body = AuditView),
        (status = 404, description = "not-found: no audit of that name", body = ApiError)))]
pub(crate) async fn audit(State(app): State<Arc<App>>, Path(name): Path<String>) -> Response {
    match state(app, name).await {
        Ok((st, indices)) => {
            let view = AuditView {
                audit: st.audit.clone(),
                records: st
                    .records
                    .into_iter()
                    .zip(indices)
                    .map(|(record, log_index)| LoggedRecord { log_index, record })
                    .collect(),
            };
            json_response(
                StatusCode::OK,
                serde_json::to_string(&view).unwrap_or_default(),
            )
        }
        Err(r) => r,
    }
}

fn typed(content_type: &'static str, body: String) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// `GET /api/audits/{name}/report.html`.
#[utoipa::path(get, path = "/api/audits/{name}/report.html", tag = "audits",
    params(("name" = String, Path, description = "the audit's name")),
    responses(
        (status = 200, description = "the audit report (HTML, no scripts): parameters, manifests and CVR files with their SHA-256, rounds, and per contest its measurements with an SVG plot of the risk against the ballots sampled", body = String, content_type = "text/html"),
        (status = 404, description = "not-found", body = ApiError)))]
pub(crate) async fn report_page(State(app): State<Arc<App>>, Path(name): Path<String>) -> Response {
    match state(app, name).await {
        Ok((st, _)) => typed("text/html; charset=utf-8", report_html(&st)),
        Err(r) => r,
    }
}

/// `GET /api/audits/{name}/report.csv`.
#[utoipa::path(get, path = "/api/audits/{name}/report.csv", tag = "audits",
    params(("name" = String, Path, description = "the audit's name")),
    responses(
        (status = 200, description = "one row per contest and measured round: `audit,contest,method,round,sampled,p_value,risk_limit,decision,next_size`", body = String, content_type = "text/csv"),
        (status = 404, description = "not-found", body = ApiError)))]
pub(crate) async fn report_table(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Response {
    match state(app, name).await {
        Ok((st, _)) => typed("text/csv; charset=utf-8", report_csv(&st)),
        Err(r) => r,
    }
}

/// `?format=csv|html`.
#[derive(Debug, Deserialize)]
pub(crate) struct Format {
    format: Option<String>,
}

/// `GET /api/audits/{name}/rounds/{round}/retrieval/{jurisdiction}`.
#[utoipa::path(get, path = "/api/audits/{name}/rounds/{round}/retrieval/{jurisdiction}", tag = "audits",
    params(
        ("name" = String, Path, description = "the audit's name"),
        ("round" = u64, Path, description = "the round (1-based)"),
        ("jurisdiction" = String, Path, description = "a jurisdiction with a manifest in the audit"),
        ("format" = Option<String>, Query, description = "`csv` (default) or `html` (printable)")),
    responses(
        (status = 200, description = "the round's retrieval list, sorted by tabulator, batch and position; a ballot drawn more than once is listed once with all its tickets", body = String, content_type = "text/csv"),
        (status = 400, description = "bad-format", body = ApiError),
        (status = 404, description = "not-found: no such audit, or no manifest for the jurisdiction", body = ApiError)))]
pub(crate) async fn retrieval_list(
    State(app): State<Arc<App>>,
    Path((name, round, jurisdiction)): Path<(String, u64, String)>,
    Query(f): Query<Format>,
) -> Response {
    let st = match state(app, name).await {
        Ok((st, _)) => st,
        Err(r) => return r,
    };
    let lists = retrieval(&st, round);
    let entries = lists.get(&jurisdiction).cloned().unwrap_or_default();
    if !st.manifests.contains_key(&jurisdiction) {
        return ApiError::not_found(
            "jurisdiction",
            format!("no manifest for {jurisdiction:?} in this audit"),
        )
        .into_response();
    }
    match f.format.as_deref() {
        None | Some("csv") => typed("text/csv; charset=utf-8", retrieval_csv(&entries)),
        Some("html") => typed(
            "text/html; charset=utf-8",
            retrieval_html(&st, round, &jurisdiction, &entries),
        ),
        Some(other) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-format",
            "format",
            format!("format {other:?}: use csv or html"),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_audit_routes_are_in_the_openapi_document() {
        let doc: serde_json::Value =
            serde_json::from_str(&super::super::openapi::document()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            "/api/audit-records",
            "/api/audits",
            "/api/audits/{name}",
            "/api/audits/{name}/report.html",
            "/api/audits/{name}/report.csv",
            "/api/audits/{name}/rounds/{round}/retrieval/{jurisdiction}",
            "/audits/{name}/board",
        ] {
            assert!(paths.contains_key(p), "{p} is not documented");
        }
        assert!(paths["/audits/{name}/board"]["post"].is_object());
        assert!(doc["components"]["schemas"]["AuditView"].is_object());
    }
}
