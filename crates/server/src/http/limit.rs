//! Rate limits: token buckets per client IP address (every route) and per signing key (the
//! write routes; the key name is read from the signature line before anything is verified).
//! An exhausted bucket answers `429` with `Retry-After` and a JSON body.
//!
//! The key name is not authenticated when it is charged, so a client that forges documents
//! under a county's key name spends that county's budget too; the per-IP limit bounds how
//! fast one client can do that. Loopback peers are exempt from both limits by default
//! ([`ServerConfig::exempt_loopback`]), so local tools, the demo and benchmarks never wait.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, ServerConfig, Shared};

/// Buckets kept before idle ones are dropped.
const MAX_BUCKETS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Tokens available (fractional: refilled continuously).
    tokens: f64,
    last: Instant,
}

/// Token buckets keyed by `K`: `rate` tokens a second, at most `burst`.
#[derive(Debug)]
struct Buckets<K> {
    rate: f64,
    burst: f64,
    map: Mutex<HashMap<K, Bucket>>,
}

impl<K: std::hash::Hash + Eq + Clone> Buckets<K> {
    fn new(rate: u32, burst: u32) -> Self {
        Buckets {
            rate: f64::from(rate),
            burst: f64::from(burst.max(1)),
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`; `Err(seconds to wait)` when there is none.
    fn take(&self, key: &K, now: Instant) -> Result<(), u64> {
        self.take_n(key, 1.0, now)
    }

    /// Takes `n` tokens for `key` (all or none); `Err(seconds to wait)` when there are
    /// fewer.
    fn take_n(&self, key: &K, n: f64, now: Instant) -> Result<(), u64> {
        if self.rate <= 0.0 || n <= 0.0 {
            return Ok(());
        }
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_BUCKETS && !map.contains_key(key) {
            // Drop buckets that have refilled completely: they carry no state.
            let full = self.burst / self.rate;
            map.retain(|_, b| now.duration_since(b.last).as_secs_f64() < full);
        }
        let b = map.entry(key.clone()).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        let elapsed = now.duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.rate).min(self.burst);
        b.last = now;
        if b.tokens >= n {
            b.tokens -= n;
            Ok(())
        } else {
            // Whole seconds until `n` tokens are back, at least 1.
            let wait = ((n - b.tokens) / self.rate).ceil();
            Err(if wait >= 1.0 { wait as u64 } else { 1 })
        }
    }
}

/// The server's rate limits.
#[derive(Debug)]
pub struct Limiter {
    ip: Buckets<IpAddr>,
    key: Buckets<String>,
    exempt_loopback: bool,
    body_limit: usize,
}

impl Limiter {
    /// Limits from the configuration.
    pub fn new(config: &ServerConfig) -> Self {
        Limiter {
            ip: Buckets::new(config.per_ip_rps, config.burst),
            key: Buckets::new(config.per_key_rps, config.burst),
            exempt_loopback: config.exempt_loopback,
            body_limit: config.body_limit,
        }
    }

    /// The body limit in bytes (for messages).
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// Charges one request to `ip`.
    ///
    /// # Errors
    /// `429 rate-limited` with the seconds to wait.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), ApiError> {
        if self.exempt_loopback && ip.is_loopback() {
            return Ok(());
        }
        self.ip.take(&ip, Instant::now()).map_err(|wait| {
            limited(
                "peer",
                wait,
                format!("too many requests from {ip}: wait {wait} s (Retry-After) and send again"),
            )
        })
    }

    /// Charges a batch of `documents` signed documents to `ip`, which has already paid one
    /// token for the request: a batch costs what its documents would cost sent one at a time.
    ///
    /// # Errors
    /// `413 batch-too-large` when the batch is larger than the bucket (it could never pass),
    /// `429 rate-limited` with the seconds to wait.
    pub fn check_ip_batch(&self, ip: IpAddr, documents: usize) -> Result<(), ApiError> {
        if (self.exempt_loopback && ip.is_loopback()) || self.ip.rate <= 0.0 {
            return Ok(());
        }
        let n = documents as f64;
        if n > self.ip.burst {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "batch-too-large",
                "body",
                format!(
                    "a batch of {documents} documents is more than this server lets one address send at once ({}): send smaller batches",
                    self.ip.burst
                ),
            ));
        }
        self.ip
            .take_n(&ip, n - 1.0, Instant::now())
            .map_err(|wait| {
                limited(
                    "peer",
                    wait,
                    format!(
                        "too many documents from {ip}: wait {wait} s (Retry-After) and send the batch again"
                    ),
                )
            })
    }

    /// Charges one signed document sent by `ip` to the key `name`.
    ///
    /// # Errors
    /// `429 rate-limited` with the seconds to wait.
    pub fn check_key(&self, name: &str, ip: IpAddr) -> Result<(), ApiError> {
        if self.exempt_loopback && ip.is_loopback() {
            return Ok(());
        }
        self.key
            .take(&name.to_owned(), Instant::now())
            .map_err(|wait| {
                limited(
                    "signature",
                    wait,
                    format!(
                        "too many documents signed by {name}: wait {wait} s (Retry-After) and send the same document again"
                    ),
                )
            })
    }
}

fn limited(field: &str, wait: u64, message: String) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        field,
        message,
    );
    e.retry_after = Some(wait);
    e
}

/// Middleware: the per-IP limit on every route.
pub(crate) async fn per_ip(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    match shared.limiter.check_ip(peer.ip()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// Adds `Retry-After` to a response.
pub(crate) fn retry_after(resp: &mut Response, secs: u64) {
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Buckets;

    #[test]
    fn a_bucket_allows_the_burst_then_the_rate() {
        let b = Buckets::new(2, 3);
        let t0 = std::time::Instant::now();
        for _ in 0..3 {
            assert_eq!(b.take(&1, t0), Ok(()));
        }
        // Empty: one token comes back after 0.5 s, reported as 1 s to wait.
        assert_eq!(b.take(&1, t0), Err(1));
        assert_eq!(b.take(&2, t0), Ok(()), "another key has its own bucket");
        assert_eq!(b.take(&1, t0 + Duration::from_millis(500)), Ok(()));
        assert_eq!(b.take(&1, t0 + Duration::from_millis(500)), Err(1));
    }

    #[test]
    fn a_batch_takes_all_its_tokens_or_none() {
        let b = Buckets::new(2, 10);
        let t0 = std::time::Instant::now();
        assert_eq!(b.take_n(&1, 7.0, t0), Ok(()));
        // 3 left: 4 are refused and none is taken; (4 - 3) / 2 = 0.5 s, reported as 1 s.
        assert_eq!(b.take_n(&1, 4.0, t0), Err(1));
        assert_eq!(b.take_n(&1, 3.0, t0), Ok(()));
        // Empty: 10 tokens take 5 s to come back.
        assert_eq!(b.take_n(&1, 10.0, t0), Err(5));
    }

    #[test]
    fn rate_zero_is_unlimited() {
        let b = Buckets::new(0, 1);
        let t0 = std::time::Instant::now();
        for _ in 0..100 {
            assert_eq!(b.take(&"k", t0), Ok(()));
        }
    }
}
