//! Where the audit commands read and log records: a running server (`--server URL`) or the
//! data directory opened directly (server stopped). Either way the audit's state is
//! recomputed locally from its logged records.

use std::path::PathBuf;
use std::time::Duration;

use canvass_audit::workflow::{AuditRecord, AuditState, recompute};
use canvass_server::entry::{hex, sha256_hex};
use canvass_server::{App, SecretKey, io};
use canvass_tally::{ContestResult, Results};
use clap::Args;

/// Options shared by the audit workflow commands.
#[derive(Args, Debug, Clone)]
pub struct Target {
    /// Data directory made by `canvass keys init` (holds keys/authority.key and the roster).
    #[arg(long)]
    pub data: PathBuf,
    /// The audit's name (one log may hold several audits).
    #[arg(long)]
    pub audit: String,
    /// Sign with this key file instead of <data>/keys/authority.key.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Log through this running server instead of opening the data directory.
    #[arg(long)]
    pub server: Option<String>,
    /// The election (built-in name or definition file); defaults to the roster's election.
    #[arg(long)]
    pub election: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// A connection to the log.
pub enum Conn {
    /// A running server.
    Http {
        /// Base URL without a trailing slash.
        base: String,
        /// The HTTP client.
        agent: ureq::Agent,
    },
    /// The data directory, opened directly.
    Direct(Box<App>),
}

/// An open connection with the signing key.
pub struct Session {
    /// The target options.
    pub target: Target,
    /// The connection.
    pub conn: Conn,
    /// The authority's key.
    pub key: SecretKey,
    /// The election definition (for each contest's vote-for number).
    pub election: canvass_model::Election,
}

impl Session {
    /// Opens the key and the connection.
    pub fn open(target: &Target) -> Result<Session, String> {
        let key_path = target
            .key
            .clone()
            .unwrap_or_else(|| io::authority_key_path(&target.data));
        let key = io::read_secret_key(&key_path).map_err(|e| e.to_string())?;
        let roster =
            io::read_roster(&io::roster_path(&target.data), None).map_err(|e| e.to_string())?;
        let name = target
            .election
            .clone()
            .unwrap_or_else(|| roster.election.to_string());
        let election = io::load_election(&name).map_err(|e| e.to_string())?;
        let conn = match &target.server {
            Some(url) => Conn::Http {
                base: url.trim_end_matches('/').to_owned(),
                agent: ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(120)))
                    .build()
                    .into(),
            },
            None => {
                let app = App::open(&target.data, election.clone()).map_err(|e| {
                    format!("{e} (if the server is running, use --server URL instead)")
                })?;
                Conn::Direct(Box::new(app))
            }
        };
        Ok(Session {
            target: target.clone(),
            conn,
            key,
            election,
        })
    }

    fn get(&self, path: &str) -> Result<(u16, Vec<u8>, Option<u64>), String> {
        let Conn::Http { base, agent } = &self.conn else {
            return Err("not a server connection".into());
        };
        let url = format!("{base}{path}");
        let mut resp = agent
            .get(&url)
            .call()
            .map_err(|e| format!("GET {url}: {e}"))?;
        let index = resp
            .headers()
            .get("x-canvass-log-index")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .map_err(|e| format!("GET {url}: {e}"))?;
        Ok((status, body, index))
    }

    /// The audit's records (empty before its start).
    pub fn records(&self) -> Result<Vec<AuditRecord>, String> {
        match &self.conn {
            Conn::Direct(app) => Ok(app
                .audit(&self.target.audit)
                .map_err(|e| e.to_string())?
                .map(|(st, _)| st.records)
                .unwrap_or_default()),
            Conn::Http { .. } => {
                let (status, body, _) =
                    self.get(&format!("/api/audits/{}", enc(&self.target.audit)))?;
                if status == 404 {
                    return Ok(Vec::new());
                }
                if status != 200 {
                    return Err(format!(
                        "GET audit: HTTP {status}: {}",
                        String::from_utf8_lossy(&body)
                    ));
                }
                let v: serde_json::Value =
                    serde_json::from_slice(&body).map_err(|e| e.to_string())?;
                let records = v["records"].as_array().cloned().unwrap_or_default();
                records
                    .into_iter()
                    .map(|r| serde_json::from_value(r["record"].clone()).map_err(|e| e.to_string()))
                    .collect()
            }
        }
    }

    /// The audit's state, recomputed from its records; `None` before its start.
    pub fn state(&self) -> Result<Option<AuditState>, String> {
        let records = self.records()?;
        if records.is_empty() {
            return Ok(None);
        }
        recompute(&records)
            .map(Some)
            .map_err(|e| format!("the logged audit does not recompute: {e}"))
    }

    /// The audit's state, which must exist.
    pub fn started(&self) -> Result<AuditState, String> {
        self.state()?.ok_or_else(|| {
            format!(
                "no audit named {:?}: start it with canvass audit start",
                self.target.audit
            )
        })
    }

    /// Signs and logs a record; its log index.
    pub fn post(&self, record: &AuditRecord) -> Result<u64, String> {
        let doc = canvass_server::audit::sign(record, &self.key);
        match &self.conn {
            Conn::Direct(app) => app.submit_audit(doc.as_bytes()).map_err(|e| e.to_string()),
            Conn::Http { base, agent } => {
                let url = format!("{base}/api/audit-records");
                let mut resp = agent
                    .post(&url)
                    .header("content-type", "text/plain; charset=utf-8")
                    .send(doc.as_bytes())
                    .map_err(|e| format!("POST {url}: {e}"))?;
                let status = resp.status();
                let text = resp.body_mut().read_to_string().unwrap_or_default();
                if !status.is_success() {
                    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                    let m = v["message"].as_str().map_or(text.clone(), str::to_owned);
                    return Err(format!("audit record refused (HTTP {status}): {m}"));
                }
                let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                v["log_index"]
                    .as_u64()
                    .ok_or_else(|| format!("POST {url}: no log_index in {text}"))
            }
        }
    }

    /// The published results, the log index of their snapshot entry and their SHA-256.
    pub fn results(&self) -> Result<(Results, u64, String), String> {
        match &self.conn {
            Conn::Direct(app) => {
                let snap = app.snapshot();
                let after = snap.log_index.ok_or("no results have been published yet")?;
                let r: Results = serde_json::from_str(&snap.json).map_err(|e| e.to_string())?;
                Ok((r, after, hex(&snap.sha256)))
            }
            Conn::Http { .. } => {
                let (status, body, index) = self.get("/api/results")?;
                if status != 200 {
                    return Err(format!("GET /api/results: HTTP {status}"));
                }
                let after = index.ok_or("no results have been published yet")?;
                let r: Results = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
                Ok((r, after, sha256_hex(&body)))
            }
        }
    }

    /// One contest at every level (for its precinct totals).
    pub fn contest(&self, id: &str) -> Result<ContestResult, String> {
        match &self.conn {
            Conn::Direct(app) => Ok(app
                .contest(id)
                .map_err(|e| format!("{e:?}"))?
                .ok_or_else(|| format!("no contest {id:?}"))?
                .contest
                .clone()),
            Conn::Http { .. } => {
                let (status, body, _) = self.get(&format!("/api/contests/{}", enc(id)))?;
                if status != 200 {
                    return Err(format!("GET contest {id}: HTTP {status}"));
                }
                serde_json::from_slice(&body).map_err(|e| e.to_string())
            }
        }
    }
}

/// Percent-encodes a path segment.
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
