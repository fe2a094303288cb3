//! The demo's two ends of the wire: the HTTP server it runs, and the client the simulated
//! counties post through.

use std::sync::Arc;
use std::time::Duration;

use canvass_server::App;

/// The running HTTP server.
pub struct Server {
    /// `http://<address>`.
    pub url: String,
    rt: tokio::runtime::Runtime,
}

impl Server {
    /// Blocks until Ctrl-C.
    pub fn wait_for_ctrl_c(&self) {
        if let Err(e) = self.rt.block_on(tokio::signal::ctrl_c()) {
            eprintln!("error: cannot wait for Ctrl-C ({e}); stopping");
        }
    }
}

/// Binds `listen` (before anything slow, so a taken port is reported at once).
///
/// # Errors
/// A message suggesting another address if `listen` is taken or invalid.
pub fn bind(listen: &str) -> Result<std::net::TcpListener, String> {
    let l = std::net::TcpListener::bind(listen).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            format!(
                "{listen} is already in use (another canvass demo or server?): pass \
                 --listen 127.0.0.1:0 for any free port, or another port"
            )
        } else {
            format!("cannot listen on {listen}: {e}: pass --listen HOST:PORT, e.g. 127.0.0.1:0")
        }
    })?;
    l.set_nonblocking(true)
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    Ok(l)
}

/// Serves the API for `app` on `std_listener` from a background runtime.
///
/// # Errors
/// A message if the runtime cannot start.
pub fn start(app: Arc<App>, std_listener: std::net::TcpListener) -> Result<Server, String> {
    let addr = std_listener
        .local_addr()
        .map_err(|e| format!("cannot listen: {e}"))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server's runtime: {e}"))?;
    let listener = {
        let _guard = rt.enter();
        tokio::net::TcpListener::from_std(std_listener)
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?
    };
    rt.spawn(async move {
        let limit = canvass_server::http::DEFAULT_BODY_LIMIT;
        if let Err(e) = canvass_server::http::serve(listener, app, limit).await {
            eprintln!("error: the HTTP server stopped: {e}");
        }
    });
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    Ok(Server {
        url: format!("http://{host}:{}", addr.port()),
        rt,
    })
}

/// A client of the demo's own server.
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

/// Largest answer read (the national results JSON is a few MiB at full scale).
const MAX_ANSWER: u64 = 256 << 20;

impl Client {
    /// A client of the server at `base` (`http://host:port`).
    pub fn new(base: &str) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .new_agent();
        Client {
            base: base.to_owned(),
            agent,
        }
    }

    /// Posts a signed document to `path`; it must be accepted (201) or already accepted
    /// (200). Returns the answer's JSON.
    ///
    /// # Errors
    /// The server's rejection (code, field, message) or the transport error.
    pub fn post(&self, path: &str, doc: &str) -> Result<serde_json::Value, String> {
        let url = format!("{}{path}", self.base);
        let mut resp = self
            .agent
            .post(&url)
            .header("content-type", "text/plain; charset=utf-8")
            .send(doc)
            .map_err(|e| format!("{url}: {e}"))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string()
            .map_err(|e| format!("{url}: HTTP {status}: {e}"))?;
        if status != 200 && status != 201 {
            return Err(format!(
                "{url}: HTTP {status}: the server refused a simulated document: {}",
                body.trim()
            ));
        }
        serde_json::from_str(&body).map_err(|e| format!("{url}: not JSON ({e})"))
    }

    /// Posts a signed submission document.
    ///
    /// # Errors
    /// As [`Client::post`].
    pub fn submit(&self, doc: &str) -> Result<serde_json::Value, String> {
        self.post("/api/submissions", doc)
    }

    /// Posts signed submission documents through `POST /api/submissions/batch`, in order, in
    /// as few batches as the server's limits allow (each waits for the answer to the one
    /// before); every one must be accepted or already accepted.
    ///
    /// # Errors
    /// The first document the server did not accept (code, field, message), or the
    /// transport error.
    pub fn submit_batch(&self, docs: &[String]) -> Result<(), String> {
        let url = format!("{}/api/submissions/batch", self.base);
        let mut rest = docs;
        while !rest.is_empty() {
            // Whole documents up to the item limit and a body well under the byte limit.
            let mut n = 0;
            let mut bytes = 2;
            for d in rest.iter().take(canvass_server::http::MAX_BATCH_DOCUMENTS) {
                let len = serde_json::to_string(d).map_or(usize::MAX, |j| j.len()) + 1;
                if n > 0 && bytes + len > canvass_server::http::BATCH_BODY_LIMIT / 2 {
                    break;
                }
                n += 1;
                bytes = bytes.saturating_add(len);
            }
            let (now, later) = rest.split_at(n);
            rest = later;
            let body = serde_json::to_string(now).map_err(|e| format!("{url}: {e}"))?;
            let mut resp = self
                .agent
                .post(&url)
                .header("content-type", "application/json")
                .send(&body)
                .map_err(|e| format!("{url}: {e}"))?;
            let status = resp.status().as_u16();
            let text = resp
                .body_mut()
                .with_config()
                .limit(MAX_ANSWER)
                .read_to_string()
                .map_err(|e| format!("{url}: HTTP {status}: {e}"))?;
            if status != 200 {
                return Err(format!(
                    "{url}: HTTP {status}: the server refused a batch of simulated documents: {}",
                    text.trim()
                ));
            }
            let answer: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{url}: not JSON ({e})"))?;
            let results = answer["results"].as_array().map_or(&[][..], Vec::as_slice);
            if results.len() != now.len() {
                return Err(format!(
                    "{url}: {} results for {} documents: {}",
                    results.len(),
                    now.len(),
                    text.trim()
                ));
            }
            if let Some(bad) = results
                .iter()
                .find(|r| !matches!(r["status"].as_str(), Some("accepted" | "already-accepted")))
            {
                return Err(format!(
                    "{url}: the server refused a simulated document: {bad}"
                ));
            }
        }
        Ok(())
    }

    /// GETs `path` as text; it must answer 200.
    ///
    /// # Errors
    /// Transport errors and other statuses.
    pub fn get_text(&self, path: &str) -> Result<String, String> {
        Ok(self.get(path)?.0)
    }

    /// GETs `path` as text, with the answer's headers; it must answer 200.
    ///
    /// # Errors
    /// Transport errors and other statuses.
    pub fn get(&self, path: &str) -> Result<(String, ureq::http::HeaderMap), String> {
        let url = format!("{}{path}", self.base);
        let mut resp = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| format!("{url}: {e}"))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string()
            .map_err(|e| format!("{url}: HTTP {status}: {e}"))?;
        if status != 200 {
            return Err(format!("{url}: HTTP {status}: {}", body.trim()));
        }
        Ok((body, headers))
    }

    /// GETs `path` as JSON, with the answer's headers.
    ///
    /// # Errors
    /// Transport errors, other statuses than 200, and bodies that are not JSON.
    pub fn get_json(
        &self,
        path: &str,
    ) -> Result<(serde_json::Value, ureq::http::HeaderMap), String> {
        let (body, headers) = self.get(path)?;
        let v = serde_json::from_str(&body).map_err(|e| format!("{path}: not JSON ({e})"))?;
        Ok((v, headers))
    }
}
