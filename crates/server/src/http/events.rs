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
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::Shared;

/// `GET /api/events`.
#[utoipa::path(get, path = "/api/events", tag = "results",
    responses((status = 200, description = "text/event-stream. Events: `results` `{type, tree_size, log_index, sha256}` when a snapshot is published; `accepted` `{type, log_index, jurisdiction, sequence, amendment}`; `rejected` `{type, code, field, source}`; `certified` `{type, state, log_index}`; `key-change` `{type, log_index}`; `resync` `{type, missed}` when the client fell behind (fetch the results again). A keep-alive comment every 15 s.", content_type = "text/event-stream", body = String)))]
pub(crate) async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    Sse::new(stream(shared.app.subscribe()))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// The events of `rx` as SSE events named by their `type`; a lag becomes one `resync` event.
fn stream<T: Clone + serde::Serialize>(
    rx: broadcast::Receiver<T>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(rx, |mut rx| async move {
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
    })
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse as _;
    use tokio::sync::broadcast;

    #[derive(Clone, Debug, serde::Serialize)]
    #[serde(tag = "type", rename_all = "kebab-case")]
    enum Ev {
        Results { n: u64 },
    }

    #[tokio::test]
    async fn a_lagging_client_gets_resync_then_the_latest_events() {
        // Room for 2 events; 5 are sent before the client reads: 3 are lost.
        let (tx, rx) = broadcast::channel(2);
        for n in 1..=5 {
            tx.send(Ev::Results { n }).unwrap();
        }
        drop(tx);
        let body = axum::response::sse::Sse::new(super::stream(rx)).into_response();
        let bytes = axum::body::to_bytes(body.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let events: Vec<(String, serde_json::Value)> = text
            .split_terminator("\n\n")
            .map(|block| {
                let (name, data) = block.split_once('\n').unwrap();
                (
                    name.strip_prefix("event: ").unwrap().to_owned(),
                    serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap(),
                )
            })
            .collect();
        let want = [
            ("resync", serde_json::json!({"type": "resync", "missed": 3})),
            ("results", serde_json::json!({"type": "results", "n": 4})),
            ("results", serde_json::json!({"type": "results", "n": 5})),
        ];
        assert_eq!(events.len(), want.len(), "{text}");
        for ((name, data), (want_name, want_data)) in events.iter().zip(&want) {
            assert_eq!((name.as_str(), data), (*want_name, want_data));
        }
    }
}
