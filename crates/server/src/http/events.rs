//! `GET /api/events`: Server-Sent Events for live updates, from [`crate::App::subscribe`].
//! Each event's name is its type (`results`, `accepted`, `rejected`, `certified`,
//! `key-change`) and its data the event as one JSON object with a `type` field. A `results`
//! event carries the new snapshot's position (`tree_size`, `log_index`, `sha256`), so a client
//! fetches `GET /api/results` with `If-None-Match` only when something changed. A client too
//! slow to keep up gets a `resync` event (`{"type":"resync","missed":N}`: fetch the results
//! again) instead of an error. Comment lines keep the connection alive.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::Shared;

/// `GET /api/events`.
#[utoipa::path(get, path = "/api/events", tag = "results",
    responses((status = 200, description = "text/event-stream. Events: `results` `{type, tree_size, log_index, sha256}` when a snapshot is published; `accepted` `{type, log_index, jurisdiction, sequence, amendment}`; `rejected` `{type, code, field, source}`; `certified` `{type, state, log_index}`; `key-change` `{type, log_index}`; `resync` `{type, missed}` when the client fell behind (fetch the results again). A keep-alive comment every 15 s.", content_type = "text/event-stream", body = String)))]
pub(crate) async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = shared.app.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let ev = match rx.recv().await {
            Ok(ev) => {
                let data = serde_json::to_value(&ev).unwrap_or_default();
                let name = data["type"].as_str().unwrap_or("message").to_owned();
                Event::default().event(name).data(data.to_string())
            }
            Err(RecvError::Lagged(missed)) => Event::default()
                .event("resync")
                .data(format!("{{\"type\":\"resync\",\"missed\":{missed}}}")),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(ev), rx))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
