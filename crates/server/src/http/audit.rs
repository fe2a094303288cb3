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

mod form;

/// Largest body accepted: a board form of a large round (a signed record must also fit one
/// log entry, checked by `App::submit_audit`).
const BODY_LIMIT: usize = 1 << 20;

/// An audit record with its log index.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoggedRecord {
    /// The log index of its entry.
    pub log_index: u64,
    /// The record.
    pub record: AuditRecord,
}

/// `GET /api/audits/{name}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

async fn submit(State(app): State<Arc<App>>, body: Bytes) -> Response {
    match tokio::task::spawn_blocking(move || app.submit_audit(&body)).await {
        Ok(Ok(i)) => json_response(StatusCode::CREATED, format!("{{\"log_index\":{i}}}")),
        Ok(Err(e)) => error(e),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

async fn names(State(app): State<Arc<App>>) -> Response {
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

async fn audit(State(app): State<Arc<App>>, Path(name): Path<String>) -> Response {
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

async fn report_page(State(app): State<Arc<App>>, Path(name): Path<String>) -> Response {
    match state(app, name).await {
        Ok((st, _)) => typed("text/html; charset=utf-8", report_html(&st)),
        Err(r) => r,
    }
}

async fn report_table(State(app): State<Arc<App>>, Path(name): Path<String>) -> Response {
    match state(app, name).await {
        Ok((st, _)) => typed("text/csv; charset=utf-8", report_csv(&st)),
        Err(r) => r,
    }
}

/// `?format=csv|html`.
#[derive(Debug, Deserialize)]
struct Format {
    format: Option<String>,
}

async fn retrieval_list(
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
