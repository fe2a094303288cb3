//! Decision logic of a C2SP tlog-witness (<https://c2sp.org/tlog-witness>, copy in
//! `shared/reference/tlog/c2sp/tlog-witness.md`) for the `add-checkpoint` call, without I/O.
//!
//! ```text
//! old 20852014
//! PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
//! <more consistency proof hashes>
//!
//! <signed checkpoint note>
//! ```
//!
//! The witness keeps the latest checkpoint it cosigned per origin and cosigns a new one only if
//! it is consistent with it. A checkpoint with a valid log signature that fails a consistency
//! check is refused with [`Evidence`] that the caller should keep: it may prove the log forked.
//! Callers must run [`Witness::evaluate`] and [`Witness::accept`] (after persisting) under one
//! lock, so two requests cannot roll the stored size back.

use std::collections::BTreeMap;

use crate::checkpoint::{Checkpoint, LogVerifier};
use crate::cosign::Cosigner;
use crate::hash::{EMPTY_ROOT, Hash};
use crate::merkle::verify_consistency;

/// A parsed `add-checkpoint` request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// Size of the checkpoint the client believes the witness cosigned last.
    pub old_size: u64,
    /// Consistency proof from `old_size` to the new checkpoint.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub note: Vec<u8>,
}

impl AddCheckpoint {
    /// Parses a request body.
    ///
    /// # Errors
    /// A 400 [`Rejection`] naming the malformed line.
    pub fn parse(body: &[u8]) -> Result<Self, Rejection> {
        let bad = |reason: String| Rejection::new(400, reason);
        let mut rest = body;
        let mut line_no = 0;
        let next_line = |rest: &mut &[u8]| -> Option<Vec<u8>> {
            let pos = rest.iter().position(|&b| b == b'\n')?;
            let line = rest[..pos].to_vec();
            *rest = &rest[pos + 1..];
            Some(line)
        };
        let first =
            next_line(&mut rest).ok_or_else(|| bad("request body has no old size line".into()))?;
        line_no += 1;
        let old = std::str::from_utf8(&first)
            .ok()
            .and_then(|l| l.strip_prefix("old "))
            .filter(|s| {
                !s.is_empty()
                    && s.bytes().all(|b| b.is_ascii_digit())
                    && (*s == "0" || !s.starts_with('0'))
            })
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| bad("line 1 must be `old <size>` with a decimal size".into()))?;
        let mut proof = Vec::new();
        loop {
            let line = next_line(&mut rest).ok_or_else(|| {
                bad("request body has no empty line before the checkpoint".into())
            })?;
            line_no += 1;
            if line.is_empty() {
                break;
            }
            if proof.len() == 63 {
                return Err(bad("more than 63 consistency proof lines".into()));
            }
            let text = String::from_utf8_lossy(&line);
            let h = Hash::from_base64(&text).map_err(|e| bad(format!("line {line_no}: {e}")))?;
            proof.push(h);
        }
        Ok(Self {
            old_size: old,
            proof,
            note: rest.to_vec(),
        })
    }

    /// Encodes the request body.
    pub fn to_body(&self) -> Vec<u8> {
        let mut s = format!("old {}\n", self.old_size);
        for h in &self.proof {
            s.push_str(&h.to_base64());
            s.push('\n');
        }
        s.push('\n');
        let mut b = s.into_bytes();
        b.extend_from_slice(&self.note);
        b
    }
}

/// What a witness keeps when it refuses a validly signed but inconsistent checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Log origin.
    pub origin: String,
    /// The latest checkpoint note the witness had cosigned (empty if none).
    pub previous_note: Vec<u8>,
    /// The refused request, re-encoded.
    pub request: Vec<u8>,
    /// Why it was refused.
    pub reason: String,
}

/// A refusal, with the HTTP status tlog-witness assigns to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("witness refused checkpoint ({status}): {reason}")]
pub struct Rejection {
    /// 400, 403, 404, 409 or 422.
    pub status: u16,
    /// Human-readable reason.
    pub reason: String,
    /// For 409: the size of the latest cosigned checkpoint (the response body).
    pub latest_size: Option<u64>,
    /// For refusals of validly signed checkpoints: evidence to keep.
    pub evidence: Option<Box<Evidence>>,
}

impl Rejection {
    fn new(status: u16, reason: String) -> Self {
        Self {
            status,
            reason,
            latest_size: None,
            evidence: None,
        }
    }
}

/// An accepted checkpoint: persist it, then [`Witness::accept`] it, then return `cosignature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    /// The checkpoint body.
    pub checkpoint: Checkpoint,
    /// The submitted note (to store as the latest for its origin).
    pub note: Vec<u8>,
    /// Response body: the cosignature line(s), newline-terminated.
    pub cosignature: String,
}

/// Latest cosigned checkpoint for one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    /// Its body.
    pub checkpoint: Checkpoint,
    /// The note as submitted.
    pub note: Vec<u8>,
}

/// A witness: its cosigning key, the logs it knows, and their latest cosigned checkpoints.
#[derive(Debug, Clone)]
pub struct Witness {
    cosigner: Cosigner,
    logs: BTreeMap<String, LogVerifier>,
    latest: BTreeMap<String, Latest>,
}

impl Witness {
    /// A witness that knows the given logs (keyed by their origin = key name).
    pub fn new(cosigner: Cosigner, logs: Vec<LogVerifier>) -> Self {
        let logs = logs.into_iter().map(|v| (v.name().to_owned(), v)).collect();
        Self {
            cosigner,
            logs,
            latest: BTreeMap::new(),
        }
    }

    /// The latest cosigned checkpoint for `origin`.
    pub fn latest(&self, origin: &str) -> Option<&Latest> {
        self.latest.get(origin)
    }

    /// Restores a persisted latest checkpoint (re-verifying its log signature).
    ///
    /// # Errors
    /// A [`Rejection`] if the origin is unknown or the note does not verify.
    pub fn restore(&mut self, note: &[u8]) -> Result<(), Rejection> {
        let checkpoint = self.open(note)?;
        self.latest.insert(
            checkpoint.origin.clone(),
            Latest {
                checkpoint,
                note: note.to_vec(),
            },
        );
        Ok(())
    }

    fn open(&self, note: &[u8]) -> Result<Checkpoint, Rejection> {
        let text = String::from_utf8_lossy(note);
        let origin = text.split('\n').next().unwrap_or_default();
        let verifier = self.logs.get(origin).ok_or_else(|| {
            Rejection::new(
                404,
                format!("unknown log origin {origin:?}: this witness does not follow it"),
            )
        })?;
        verifier
            .open_checkpoint(note)
            .map_err(|e| Rejection::new(403, format!("checkpoint signature check failed: {e}")))
    }

    /// Decides on a request at time `now` (POSIX seconds), without changing state.
    ///
    /// # Errors
    /// A [`Rejection`] with the tlog-witness status code, and evidence when the checkpoint is
    /// validly signed but inconsistent with what this witness cosigned before.
    pub fn evaluate(&self, req: &AddCheckpoint, now: u64) -> Result<Cosigned, Rejection> {
        let checkpoint = self.open(&req.note)?;
        if req.old_size > checkpoint.size {
            return Err(Rejection::new(
                400,
                format!(
                    "old size {} is above the checkpoint size {}",
                    req.old_size, checkpoint.size
                ),
            ));
        }
        let latest = self.latest.get(&checkpoint.origin);
        let latest_size = latest.map_or(0, |l| l.checkpoint.size);
        if req.old_size != latest_size {
            return Err(Rejection {
                latest_size: Some(latest_size),
                ..Rejection::new(
                    409,
                    format!(
                        "old size {} does not match the latest cosigned size {latest_size}",
                        req.old_size
                    ),
                )
            });
        }
        let evidence = |reason: String| Rejection {
            evidence: Some(Box::new(Evidence {
                origin: checkpoint.origin.clone(),
                previous_note: latest.map(|l| l.note.clone()).unwrap_or_default(),
                request: req.to_body(),
                reason: reason.clone(),
            })),
            ..Rejection::new(422, reason)
        };
        if checkpoint.size == 0 && checkpoint.root != EMPTY_ROOT {
            return Err(evidence(
                "a checkpoint of size 0 must have the empty tree's root".into(),
            ));
        }
        match latest {
            None => {
                if !req.proof.is_empty() {
                    return Err(Rejection::new(
                        422,
                        "old size is 0 so the consistency proof must be empty".into(),
                    ));
                }
            }
            Some(l) if l.checkpoint.size == 0 => {
                if !req.proof.is_empty() {
                    return Err(Rejection::new(
                        422,
                        "old size is 0 so the consistency proof must be empty".into(),
                    ));
                }
            }
            Some(l) => {
                if let Err(e) = verify_consistency(
                    l.checkpoint.size,
                    checkpoint.size,
                    &req.proof,
                    &l.checkpoint.root,
                    &checkpoint.root,
                ) {
                    return Err(evidence(format!(
                        "checkpoint of size {} is not consistent with the cosigned checkpoint of size {}: {e}",
                        checkpoint.size, l.checkpoint.size
                    )));
                }
            }
        }
        let text_len = req
            .note
            .windows(2)
            .rposition(|w| w == b"\n\n")
            .map_or(req.note.len(), |p| p + 1);
        let cosignature = self
            .cosigner
            .cosign(&req.note[..text_len], now)
            .map_err(|e| Rejection::new(500, e.to_string()))?;
        Ok(Cosigned {
            checkpoint,
            note: req.note.clone(),
            cosignature,
        })
    }

    /// Records an accepted checkpoint as the latest for its origin.
    pub fn accept(&mut self, c: &Cosigned) {
        self.latest.insert(
            c.checkpoint.origin.clone(),
            Latest {
                checkpoint: c.checkpoint.clone(),
                note: c.note.clone(),
            },
        );
    }
}
