//! The published results snapshot ([`App::snapshot`]: the canonical results JSON, its SHA-256,
//! the log entry committing to it) as the read API serves it, with an index of its contests by
//! state for `GET /api/results/{state}`, parsed once per snapshot.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

use crate::app::{App, Snapshot};

/// One published snapshot, with its parsed index built on first use.
pub(crate) struct Snap {
    /// The snapshot as the server core published it.
    pub(crate) inner: Arc<Snapshot>,
    parsed: OnceLock<Option<Parsed>>,
}

/// The parsed results and where each contest is.
pub(crate) struct Parsed {
    /// The whole results object.
    pub(crate) value: Value,
    /// State postal code → indexes into `value["contests"]`, in definition order.
    pub(crate) by_state: HashMap<String, Vec<usize>>,
}

impl Snap {
    /// `"<hex sha256>"`, the strong entity tag.
    pub(crate) fn etag(&self) -> String {
        format!("\"{}\"", hex(&self.inner.sha256))
    }

    /// The parsed results (once per snapshot); `None` if the JSON does not parse (a bug).
    pub(crate) fn parsed(&self) -> Option<&Parsed> {
        self.parsed
            .get_or_init(|| {
                let value: Value = serde_json::from_str(&self.inner.json).ok()?;
                let mut by_state: HashMap<String, Vec<usize>> = HashMap::new();
                for (i, c) in value["contests"].as_array()?.iter().enumerate() {
                    if let Some(s) = c["state"].as_str() {
                        by_state.entry(s.to_ascii_uppercase()).or_default().push(i);
                    }
                }
                Some(Parsed { value, by_state })
            })
            .as_ref()
    }
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The latest snapshot with its parsed index, kept while the core's snapshot is the same.
#[derive(Default)]
pub(crate) struct Cache {
    current: Mutex<Option<Arc<Snap>>>,
}

impl Cache {
    /// The current snapshot (cheap: no recomputation; the index is parsed once per snapshot).
    pub(crate) fn get(&self, app: &App) -> Arc<Snap> {
        let inner = app.snapshot();
        let mut cur = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(s) = cur.as_ref() {
            if Arc::ptr_eq(&s.inner, &inner) || s.inner.sha256 == inner.sha256 {
                return s.clone();
            }
        }
        let snap = Arc::new(Snap {
            inner,
            parsed: OnceLock::new(),
        });
        *cur = Some(snap.clone());
        snap
    }
}
