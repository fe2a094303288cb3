//! The OpenAPI 3 document of the API (`GET /api/openapi.json`), made with `utoipa` from the
//! handlers' annotations.

use axum::http::StatusCode;
use axum::response::Response;
use utoipa::OpenApi;

use super::read::{History, HistoryEntry, InclusionProof, SecurityEventView, SubmissionView};
use super::write::{AcceptedView, BatchItemView, BatchView};
use super::{ApiError, json_response};

/// The API's OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "canvass",
        description = "Signed election results, a public transparency log, and results anyone can recompute. Every error is JSON {code, field, message}. The transparency log's tiles are served under /log/ (C2SP tlog-tiles).",
    ),
    paths(
        super::write::submission,
        super::write::submission_batch,
        super::write::key_change,
        super::write::certification,
        super::read::results,
        super::read::election,
        super::read::state_results,
        super::read::contest,
        super::read::submission,
        super::read::jurisdiction_history,
        super::read::security_events,
        super::events::events,
        super::audit::submit,
        super::audit::names,
        super::audit::audit,
        super::audit::report_page,
        super::audit::report_table,
        super::audit::retrieval_list,
        super::audit::form::page,
        super::audit::form::submit,
        serve,
    ),
    components(schemas(
        ApiError,
        AcceptedView,
        BatchView,
        BatchItemView,
        SubmissionView,
        InclusionProof,
        History,
        HistoryEntry,
        SecurityEventView,
        super::audit::AuditLogged,
        super::audit::AuditView,
        super::audit::LoggedRecord
    )),
    tags(
        (name = "submissions", description = "signed results from jurisdictions"),
        (name = "keys", description = "authority-signed key changes and certifications"),
        (name = "results", description = "the published results snapshot"),
        (name = "monitor", description = "the security event stream"),
        (name = "audits", description = "risk-limiting audits: authority-signed records, reports, retrieval lists, the audit boards' form (docs/audit.md)"),
    )
)]
pub struct ApiDoc;

/// The document as JSON.
pub fn document() -> String {
    ApiDoc::openapi().to_json().unwrap_or_default()
}

/// `GET /api/openapi.json`.
#[utoipa::path(get, path = "/api/openapi.json", tag = "results",
    responses((status = 200, description = "this OpenAPI 3 document", body = Object)))]
pub(crate) async fn serve() -> Response {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    json_response(StatusCode::OK, DOC.get_or_init(document).clone())
}
