//! The write routes: signed submissions, key changes and certifications. Each body is one
//! signed document (`docs/submissions.md`), rate limited per signing key before it is
//! verified; `POST /api/submissions/batch` takes a JSON array of submission documents
//! (`docs/http-api.md`, "Batches").

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{ApiError, Shared, json_response};
use crate::app::{App, SubmitError};

/// The answer to an accepted document.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AcceptedView {
    /// `accepted`, or `already-accepted` when the same document was accepted before.
    pub status: String,
    /// Index of the document's entry in the transparency log.
    pub log_index: u64,
    /// SHA-256 of the signed body, hex.
    pub digest: String,
    /// Things worth a look (`{code, field, message}`), e.g. `ballots-above-registered`.
    #[schema(value_type = Vec<Object>)]
    pub flags: Vec<serde_json::Value>,
}

/// The key name of the first signature line, read without verifying anything; `None` when the
/// document has no such line (it is then rejected as malformed anyway).
pub(crate) fn signer_name(body: &[u8]) -> Option<&str> {
    const SIG: &[u8] = "\n\n\u{2014} ".as_bytes();
    let at = body.windows(SIG.len()).position(|w| w == SIG)? + SIG.len();
    let rest = &body[at..];
    let end = rest.iter().position(|&b| b == b' ' || b == b'\n')?;
    let name = std::str::from_utf8(&rest[..end]).ok()?;
    (!name.is_empty() && name.len() <= 256).then_some(name)
}

/// SHA-256 of a document's signed body, hex (empty if it is not a signed document).
fn body_digest(doc: &[u8]) -> String {
    crate::note::parse(doc)
        .map(|n| super::snapshot::hex(&crate::submission::digest(n.body)))
        .unwrap_or_default()
}

/// The body, or the error answer for one that is too large or cannot be read; `hint` says
/// what to do with a body over the limit.
fn read_body(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
    hint: &str,
) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                "document",
                format!("the request body is over the server's limit of {limit} bytes: {hint}"),
            )
        } else {
            ApiError::new(
                e.status(),
                "malformed-document",
                "document",
                format!("{e}: send the signed document as the request body"),
            )
        }
    })
}

/// Checks the body limit and the signing key's rate; the body on success.
fn admit(
    shared: &Shared,
    peer: SocketAddr,
    body: Result<Bytes, BytesRejection>,
) -> Result<Bytes, ApiError> {
    let body = read_body(
        body,
        shared.limiter.body_limit(),
        "split the results into several submissions",
    )?;
    if let Some(name) = signer_name(&body) {
        shared.limiter.check_key(name, peer.ip())?;
    }
    Ok(body)
}

fn accepted(
    status: &str,
    log_index: u64,
    digest: String,
    flags: Vec<serde_json::Value>,
) -> Response {
    let code = if status == "accepted" {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let v = AcceptedView {
        status: status.to_owned(),
        log_index,
        digest,
        flags,
    };
    json_response(code, serde_json::to_string(&v).unwrap_or_default())
}

fn rejected(e: SubmitError) -> Response {
    match e {
        SubmitError::Rejected(r) => json_response(
            StatusCode::from_u16(r.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            serde_json::to_string(&r).unwrap_or_default(),
        ),
        SubmitError::Internal(m) => ApiError::internal(m).into_response(),
    }
}

/// `POST /api/submissions`.
#[utoipa::path(post, path = "/api/submissions", tag = "submissions",
    request_body(content = String, content_type = "text/plain",
        description = "a signed submission document (docs/submissions.md): type line `canvass-submission/v1`, canonical JSON line, blank line, one signature line"),
    responses(
        (status = 201, description = "accepted and logged", body = AcceptedView),
        (status = 200, description = "`already-accepted`: the same document was accepted before; nothing changed", body = AcceptedView),
        (status = 400, description = "malformed document, JSON or encoding (codes malformed-document, wrong-type, signature-count, malformed-json, not-canonical)", body = ApiError),
        (status = 401, description = "unknown-key, revoked-key, bad-signature", body = ApiError),
        (status = 403, description = "wrong-election, wrong-jurisdiction, precinct-not-authorized, contest-not-authorized", body = ApiError),
        (status = 409, description = "old-sequence, bad-sequence", body = ApiError),
        (status = 413, description = "body-too-large", body = ApiError),
        (status = 422, description = "unknown-precinct, unknown-contest, unknown-candidate, votes-above-ballots, ... (docs/submissions.md)", body = ApiError),
        (status = 429, description = "rate-limited (per IP or per signing key); see Retry-After", body = ApiError),
        (status = 503, description = "storage failure: nothing accepted, retry the same document", body = ApiError)))]
pub(crate) async fn submission(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match admit(&shared, peer, body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let app = shared.app.clone();
    match tokio::task::spawn_blocking(move || app.submit(&body, Some(peer.ip().to_string()))).await
    {
        Ok(Ok(a)) => accepted(
            a.status,
            a.log_index,
            a.digest,
            a.flags
                .iter()
                .filter_map(|f| serde_json::to_value(f).ok())
                .collect(),
        ),
        Ok(Err(e)) => rejected(e),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// Most documents in one `POST /api/submissions/batch`.
pub const MAX_BATCH_DOCUMENTS: usize = 1000;

/// Largest body of `POST /api/submissions/batch`: 32 MiB, or the single-document limit
/// ([`super::ServerConfig::body_limit`]) if that is larger.
pub const BATCH_BODY_LIMIT: usize = 32 << 20;

/// The answer to a batch: one result per document, in the order sent.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchView {
    /// One result per document, in order.
    pub results: Vec<BatchItemView>,
}

/// The result for one document of a batch.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchItemView {
    /// `accepted`; `already-accepted` (sent before, or earlier in this batch: nothing
    /// changed); `rejected` (invalid: `code`, `field`, `message` say why, as for
    /// `POST /api/submissions`); or `retry` (rate-limited or a storage failure: nothing was
    /// accepted, send the same document again).
    pub status: String,
    /// The HTTP status `POST /api/submissions` answers for this document alone.
    pub http_status: u16,
    /// Accepted: index of the document's entry in the transparency log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// Accepted: SHA-256 of the signed body, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Accepted: things worth a look (`{code, field, message}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub flags: Option<Vec<serde_json::Value>>,
    /// Not accepted: the stable kebab-case reason (`votes-above-ballots`, `rate-limited`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Not accepted: the field concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Not accepted: what is wrong and what to do next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl BatchItemView {
    fn error(status: &str, e: &ApiError) -> Self {
        BatchItemView {
            status: status.to_owned(),
            http_status: e.status,
            log_index: None,
            digest: None,
            flags: None,
            code: Some(e.code.clone()),
            field: Some(e.field.clone()),
            message: Some(e.message.clone()),
        }
    }

    fn from_result(r: Result<crate::app::Accepted, SubmitError>) -> Self {
        match r {
            Ok(a) => BatchItemView {
                status: a.status.to_owned(),
                http_status: if a.status == "accepted" { 201 } else { 200 },
                log_index: Some(a.log_index),
                digest: Some(a.digest),
                flags: Some(
                    a.flags
                        .iter()
                        .filter_map(|f| serde_json::to_value(f).ok())
                        .collect(),
                ),
                code: None,
                field: None,
                message: None,
            },
            Err(SubmitError::Rejected(r)) => {
                let code = serde_json::to_value(r.code)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let e = ApiError {
                    status: r.code.http_status(),
                    ..ApiError::new(StatusCode::BAD_REQUEST, &code, &r.field, r.message)
                };
                Self::error("rejected", &e)
            }
            Err(SubmitError::Internal(m)) => Self::error("retry", &ApiError::internal(m)),
        }
    }
}

fn malformed_batch(message: String) -> Response {
    ApiError::new(StatusCode::BAD_REQUEST, "malformed-batch", "body", message).into_response()
}

/// `POST /api/submissions/batch`.
#[utoipa::path(post, path = "/api/submissions/batch", tag = "submissions",
    request_body(content = Vec<String>, content_type = "application/json",
        description = "a JSON array of signed submission documents, each a JSON string holding the whole document exactly as POST /api/submissions takes it (at most 1,000 documents and 32 MiB)"),
    responses(
        (status = 200, description = "one result per document, in order: the valid ones are logged in this order, in one log batch with one results snapshot; a rejected document affects no other", body = BatchView),
        (status = 400, description = "malformed-batch: the body is not a non-empty JSON array of strings", body = ApiError),
        (status = 413, description = "body-too-large, or batch-too-large (more than 1,000 documents, or more than the per-IP burst for a rate-limited client)", body = ApiError),
        (status = 429, description = "rate-limited: the batch costs one per-IP token per document; see Retry-After", body = ApiError)))]
pub(crate) async fn submission_batch(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let limit = BATCH_BODY_LIMIT.max(shared.limiter.body_limit());
    let body = match read_body(body, limit, "send smaller batches") {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let docs: Vec<String> = match serde_json::from_slice(&body) {
        Ok(d) => d,
        Err(e) => {
            return malformed_batch(format!(
                "the body is not a JSON array of signed documents (one JSON string each): {e}"
            ));
        }
    };
    if docs.is_empty() {
        return malformed_batch("the batch is empty: send at least one document".into());
    }
    if docs.len() > MAX_BATCH_DOCUMENTS {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch-too-large",
            "body",
            format!(
                "the batch has {} documents; at most {MAX_BATCH_DOCUMENTS} go in one batch: send several",
                docs.len()
            ),
        )
        .into_response();
    }
    if let Err(e) = shared.limiter.check_ip_batch(peer.ip(), docs.len()) {
        return e.into_response();
    }
    let mut results: Vec<Option<BatchItemView>> = vec![None; docs.len()];
    let mut send = Vec::with_capacity(docs.len());
    for (i, d) in docs.into_iter().enumerate() {
        let limited = signer_name(d.as_bytes())
            .and_then(|name| shared.limiter.check_key(name, peer.ip()).err());
        match limited {
            Some(e) => results[i] = Some(BatchItemView::error("retry", &e)),
            None => send.push((i, d)),
        }
    }
    let app = shared.app.clone();
    let answers = tokio::task::spawn_blocking(move || {
        let docs: Vec<&str> = send.iter().map(|(_, d)| d.as_str()).collect();
        let answers = app.submit_batch(&docs, Some(peer.ip().to_string()));
        send.into_iter()
            .map(|(i, _)| i)
            .zip(answers)
            .collect::<Vec<_>>()
    })
    .await;
    let answers = match answers {
        Ok(a) => a,
        Err(e) => return ApiError::internal(e).into_response(),
    };
    for (i, r) in answers {
        results[i] = Some(BatchItemView::from_result(r));
    }
    let v = BatchView {
        results: results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| BatchItemView::error("retry", &ApiError::internal("no answer")))
            })
            .collect(),
    };
    json_response(
        StatusCode::OK,
        serde_json::to_string(&v).unwrap_or_default(),
    )
}

/// `POST /api/key-changes`.
#[utoipa::path(post, path = "/api/key-changes", tag = "keys",
    request_body(content = String, content_type = "text/plain",
        description = "a `canvass-key-change/v1` document signed by the election authority (docs/submissions.md)"),
    responses(
        (status = 201, description = "applied and logged: from now on the retired or revoked key is refused", body = AcceptedView),
        (status = 413, description = "body-too-large", body = ApiError),
        (status = 422, description = "bad-key-change: malformed, not signed by the authority, or out of sequence", body = ApiError),
        (status = 429, description = "rate-limited", body = ApiError),
        (status = 503, description = "storage failure: nothing applied, retry", body = ApiError)))]
pub(crate) async fn key_change(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    authority_document(shared, peer, body, App::submit_key_change).await
}

/// `POST /api/certifications`.
#[utoipa::path(post, path = "/api/certifications", tag = "keys",
    request_body(content = String, content_type = "text/plain",
        description = "a `canvass-certification/v1` document signed by the election authority: a state's final results, naming a logged snapshot"),
    responses(
        (status = 201, description = "certified and logged: from now on the state's submissions need the authority's countersignature", body = AcceptedView),
        (status = 413, description = "body-too-large", body = ApiError),
        (status = 422, description = "bad-certification: malformed, not signed by the authority, or not matching a logged snapshot after which the state is unchanged", body = ApiError),
        (status = 429, description = "rate-limited", body = ApiError),
        (status = 503, description = "storage failure: nothing certified, retry", body = ApiError)))]
pub(crate) async fn certification(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    authority_document(shared, peer, body, App::certify).await
}

/// Admits an authority-signed document and hands it to `op` (which logs it).
async fn authority_document(
    shared: Arc<Shared>,
    peer: SocketAddr,
    body: Result<Bytes, BytesRejection>,
    op: fn(&App, &[u8]) -> Result<u64, SubmitError>,
) -> Response {
    let body = match admit(&shared, peer, body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let app = shared.app.clone();
    let digest = body_digest(&body);
    match tokio::task::spawn_blocking(move || op(&app, &body)).await {
        Ok(Ok(i)) => accepted("accepted", i, digest, Vec::new()),
        Ok(Err(e)) => rejected(e),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::signer_name;

    #[test]
    fn signer_name_reads_the_first_signature_line() {
        let doc = "canvass-submission/v1\n{}\n\n\u{2014} canvass/us-2020/jurisdiction/42001 AAAA\n";
        assert_eq!(
            signer_name(doc.as_bytes()),
            Some("canvass/us-2020/jurisdiction/42001")
        );
        assert_eq!(signer_name(b"no signature"), None);
        assert_eq!(signer_name("a\nb\n\n\u{2014} \n".as_bytes()), None);
    }
}
