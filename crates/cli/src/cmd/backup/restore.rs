//! `canvass restore`: check a backup whole (manifest, log root, signatures, the published
//! checkpoint), then write it into a data directory and store. See the parent module.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use canvass_log::tile::{Tile, TileKind, decode_bundle};
use canvass_log::{Checkpoint, LogVerifier, consistency_proof, verify_consistency};
use canvass_store::tlog::{SourceTiles, audit, restore_dir};
use canvass_store::{SecurityEvent, SubmissionRecord};
use clap::Args;
use serde::Serialize;

use super::{EventRow, FORMAT, MANIFEST, Manifest, Row, database, read, sha256_hex};
use crate::cmd::{fail, print_json};

/// Restore a backup made by `canvass backup`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass restore backup/ --data data --published https://results.example.gov/log/checkpoint
  canvass restore backup/ --data data --database postgresql:///canvass?host=/run/postgresql \\
      --published seen-checkpoint.txt
  canvass restore old-backup/ --data data --published http://host/log/checkpoint --allow-rollback

Checks everything before writing anything: every file against manifest.json (SHA-256 and
length), the log's root recomputed from the entries against the backup's signed checkpoint,
then the latest PUBLISHED checkpoint (a URL or a file): a backup older than what the public
has seen is a rollback and is refused (exit 1) unless --allow-rollback; a backup of the same
size or newer must extend it (consistency proof), otherwise it is a fork and is refused.
The data directory must not hold a log yet, and the store must be empty. Private keys are
not in a backup: copy keys/ back from where you keep them before `canvass serve`.")]
pub struct RestoreArgs {
    /// The backup directory made by `canvass backup`.
    #[arg(value_name = "IN")]
    input: PathBuf,
    /// The data directory to restore into (created if missing; must hold no log).
    #[arg(long)]
    data: PathBuf,
    /// The store to restore into (must be empty): postgres://…, postgresql://…, host=…
    /// key=value, or sqlite:FILE (default: the data directory's canvass.db).
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// The latest published checkpoint: a URL (e.g. https://host/log/checkpoint) or a file.
    #[arg(long, value_name = "URL|FILE")]
    published: Option<String>,
    /// Restore a backup older than the published checkpoint anyway (reported as a rollback).
    #[arg(long)]
    allow_rollback: bool,
    /// Machine-readable summary.
    #[arg(long)]
    json: bool,
}

/// How the restored log relates to the published checkpoint.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum Relation {
    /// No published checkpoint was given.
    Unchecked,
    /// The same tree.
    Same,
    /// The restored tree extends the published one.
    Extends,
    /// The restored tree is older than the published one (allowed by --allow-rollback).
    Rollback,
}

#[derive(Debug, Serialize)]
struct Summary {
    data: String,
    database: String,
    origin: String,
    tree_size: u64,
    root: String,
    published_size: Option<u64>,
    relation: Relation,
    /// Entries the public has seen that the restored log lacks.
    rolled_back_entries: u64,
    submissions: u64,
    security_events: u64,
}

/// Runs `canvass restore`.
pub fn run(args: RestoreArgs) -> ExitCode {
    match restore(&args) {
        Ok(s) => {
            if s.relation == Relation::Rollback {
                eprintln!(
                    "WARNING: ROLLBACK: the restored log has {} entries but the public has seen {} \
                     (published checkpoint): {} entries the public saw are NOT restored. Find a \
                     newer backup or recover them before serving; results will go backwards.",
                    s.tree_size,
                    s.published_size.unwrap_or(0),
                    s.rolled_back_entries
                );
            }
            if s.relation == Relation::Unchecked {
                eprintln!(
                    "warning: no --published checkpoint given: this backup was not checked \
                     against what the public has seen (it may be a rollback)"
                );
            }
            if args.json {
                return print_json(&s);
            }
            outln!(
                "restored {} into {} and {}: log size {} (root {}), {} submissions, {} security events; published checkpoint: {}",
                s.origin,
                s.data,
                s.database,
                s.tree_size,
                s.root,
                s.submissions,
                s.security_events,
                match (&s.relation, s.published_size) {
                    (Relation::Same, Some(n)) => format!("size {n}, the same tree"),
                    (Relation::Extends, Some(n)) => format!("size {n}, extended consistently"),
                    (Relation::Rollback, Some(n)) => format!("size {n}: ROLLBACK"),
                    _ => "not checked".to_owned(),
                }
            );
            outln!(
                "copy the private keys (keys/) back into {} before canvass serve",
                s.data
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

/// Checks every file against the manifest, and that nothing else is in the backup.
fn check_manifest(input: &Path) -> Result<Manifest, String> {
    let mpath = input.join(MANIFEST);
    let text = fs::read(&mpath).map_err(|e| {
        format!(
            "cannot read {}: {e}: not a canvass backup, or a backup that did not finish",
            mpath.display()
        )
    })?;
    let m: Manifest = serde_json::from_slice(&text)
        .map_err(|e| format!("{}: not a backup manifest: {e}", mpath.display()))?;
    if m.format != FORMAT {
        return Err(format!(
            "{}: format {:?}, this canvass reads {FORMAT}",
            mpath.display(),
            m.format
        ));
    }
    let mut listed = BTreeMap::new();
    for f in &m.files {
        let ok = !f.path.is_empty()
            && !f.path.starts_with('/')
            && f.path
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..");
        if !ok || listed.insert(f.path.as_str(), f).is_some() {
            return Err(format!(
                "{}: bad or repeated file name {:?}: the manifest is damaged",
                mpath.display(),
                f.path
            ));
        }
    }
    for f in &m.files {
        let path = input.join(&f.path);
        let bytes = fs::read(&path).map_err(|e| {
            format!(
                "backup file {} is missing or unreadable: {e}",
                path.display()
            )
        })?;
        if bytes.len() as u64 != f.bytes || sha256_hex(&bytes) != f.sha256 {
            return Err(format!(
                "backup file {} is damaged: its SHA-256 or length differs from {} (the backup cannot be trusted; use another copy)",
                path.display(),
                MANIFEST
            ));
        }
    }
    let mut stack = vec![input.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))? {
            let e = e.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(input)
                .map(|r| r.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if rel != MANIFEST && !listed.contains_key(rel.as_str()) {
                return Err(format!(
                    "backup file {} is not in {MANIFEST}: the backup was altered",
                    p.display()
                ));
            }
        }
    }
    Ok(m)
}

/// Reads the latest published checkpoint note from a URL or a file.
fn fetch_published(arg: &str) -> Result<Vec<u8>, String> {
    if arg.starts_with("http://") || arg.starts_with("https://") {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .build()
            .new_agent();
        agent
            .get(arg)
            .call()
            .map_err(|e| format!("cannot fetch the published checkpoint {arg}: {e}"))?
            .body_mut()
            .with_config()
            .limit(1 << 16)
            .read_to_vec()
            .map_err(|e| format!("cannot read the published checkpoint {arg}: {e}"))
    } else {
        read(Path::new(arg))
    }
}

/// Compares the restored tree with the published checkpoint.
fn relate(
    log: &Path,
    restored: &Checkpoint,
    published: &Checkpoint,
    allow_rollback: bool,
) -> Result<Relation, String> {
    if published.size > restored.size {
        if !allow_rollback {
            return Err(format!(
                "refusing a ROLLBACK: the backup's log has {} entries but the published checkpoint has {}: \
                 the public has already seen {} entries this backup lacks. Use a newer backup, or pass \
                 --allow-rollback to restore it anyway (results will go backwards)",
                restored.size,
                published.size,
                published.size - restored.size
            ));
        }
        return Ok(Relation::Rollback);
    }
    if published.size == 0 {
        return Ok(Relation::Extends);
    }
    let tiles = SourceTiles::new(log, restored.size);
    let proof = consistency_proof(&tiles, published.size, restored.size)
        .map_err(|e| format!("cannot compute a consistency proof from the backup's tiles: {e}"))?;
    verify_consistency(
        published.size,
        restored.size,
        &proof,
        &published.root,
        &restored.root,
    )
    .map_err(|e| {
        format!(
            "refusing a FORK: the backup's log (size {}) does not extend the published checkpoint (size {}, root {}): {e}. \
             This backup is not the log the public has seen",
            restored.size, published.size, published.root
        )
    })?;
    Ok(if published.size == restored.size {
        Relation::Same
    } else {
        Relation::Extends
    })
}

fn restore(args: &RestoreArgs) -> Result<Summary, String> {
    let db = database(args.database.as_deref(), &args.data)?;
    let input = &args.input;
    let m = check_manifest(input)?;

    // The backup's own signatures: the roster by the authority, the checkpoint by the log key
    // the roster names, and the root recomputed from every entry.
    let authority_text =
        String::from_utf8_lossy(&read(&input.join("authority.vkey"))?).into_owned();
    let authority = canvass_server::PublicKey::from_vkey(authority_text.trim())
        .map_err(|e| format!("{}: {e}", input.join("authority.vkey").display()))?;
    let roster = canvass_server::Roster::open(&read(&input.join("roster.note"))?, Some(&authority))
        .map_err(|e| format!("{}: {e}", input.join("roster.note").display()))?;
    let vkey = String::from_utf8_lossy(&read(&input.join("log.vkey"))?).into_owned();
    if roster.log.trim() != vkey.trim() {
        return Err(format!(
            "{} is not the log key the roster names",
            input.join("log.vkey").display()
        ));
    }
    let verifier = LogVerifier::from_vkey(vkey.trim())
        .map_err(|e| format!("{}: {e}", input.join("log.vkey").display()))?;
    let log_in = input.join("log");
    let report = audit(&log_in, Some(&verifier)).map_err(|e| format!("backup log: {e}"))?;
    let cp = report.checkpoint;
    if cp.size != m.tree_size || cp.root.to_hex() != m.root || cp.origin != m.origin {
        return Err(format!(
            "{}: the manifest names log size {} root {} but the backup's checkpoint has size {} root {}",
            input.join(MANIFEST).display(),
            m.tree_size,
            m.root,
            cp.size,
            cp.root.to_hex()
        ));
    }

    let (relation, published_size) = match &args.published {
        None => (Relation::Unchecked, None),
        Some(p) => {
            let note = fetch_published(p)?;
            let pcp = verifier.open_checkpoint(&note).map_err(|e| {
                format!("the published checkpoint {p} is not this log's (signed by its key): {e}")
            })?;
            (
                relate(&log_in, &cp, &pcp, args.allow_rollback)?,
                Some(pcp.size),
            )
        }
    };

    // Rows, checked against the log before anything is written.
    let subs = read_submissions(input, &log_in, cp.size)?;
    let events = read_events(input)?;

    // Write: public files, then the log, then the store.
    let log_out = args.data.join("log");
    if log_out.exists()
        && fs::read_dir(&log_out)
            .map_err(|e| format!("cannot read {}: {e}", log_out.display()))?
            .next()
            .is_some()
    {
        return Err(format!(
            "{} already holds a log: restore into a data directory without one",
            log_out.display()
        ));
    }
    fs::create_dir_all(&args.data)
        .map_err(|e| format!("cannot create {}: {e}", args.data.display()))?;
    let mut store = db.open().map_err(|e| e.to_string())?;
    let has_rows = store.submission_count().map_err(|e| e.to_string())? > 0
        || !store.events(0, 1).map_err(|e| e.to_string())?.is_empty();
    if has_rows {
        return Err(format!(
            "the store {db} is not empty: restore into an empty database"
        ));
    }
    for f in &m.files {
        let to = args.data.join(&f.path);
        if f.path.starts_with("store/") || f.path.starts_with("log/") {
            continue;
        }
        let bytes = read(&input.join(&f.path))?;
        if to.exists() {
            if read(&to)? != bytes {
                return Err(format!(
                    "{} exists and differs from the backup's copy: is it another election's data directory?",
                    to.display()
                ));
            }
            continue;
        }
        if let Some(dir) = to.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        fs::write(&to, &bytes).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    }
    // The log: its tiles, a state file and a journal, so the server opens it at the checkpoint.
    restore_dir(log_in.as_path(), &log_out, &verifier)
        .map_err(|e| format!("restoring the log: {e}"))?;
    for chunk in subs.chunks(1000) {
        store.append_submissions(chunk).map_err(|e| e.to_string())?;
    }
    store.append_events(&events).map_err(|e| e.to_string())?;
    Ok(Summary {
        data: args.data.display().to_string(),
        database: db.to_string(),
        origin: cp.origin.clone(),
        tree_size: cp.size,
        root: cp.root.to_hex(),
        rolled_back_entries: published_size.map_or(0, |p| p.saturating_sub(cp.size)),
        published_size,
        relation,
        submissions: subs.len() as u64,
        security_events: events.len() as u64,
    })
}

fn unhex32(s: &str, what: &dyn Fn() -> String) -> Result<[u8; 32], String> {
    canvass_log::Hash::from_hex(s)
        .map(|h| h.0)
        .map_err(|e| format!("{}: digest {s:?}: {e}", what()))
}

/// The submission rows, each with its document read from the log and its digest checked.
fn read_submissions(input: &Path, log: &Path, size: u64) -> Result<Vec<SubmissionRecord>, String> {
    let path = input.join("store/submissions.jsonl");
    let text = String::from_utf8(read(&path)?)
        .map_err(|e| format!("{}: not UTF-8: {e}", path.display()))?;
    let mut bundle: Option<(u64, Vec<Vec<u8>>)> = None;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = || format!("{} line {}", path.display(), n + 1);
        let r: Row = serde_json::from_str(line).map_err(|e| format!("{}: {e}", at()))?;
        if r.log_index >= size {
            return Err(format!(
                "{}: log index {} is beyond the log (size {size})",
                at(),
                r.log_index
            ));
        }
        let b = r.log_index / 256;
        if bundle.as_ref().is_none_or(|(i, _)| *i != b) {
            let width = (size - b * 256).min(256) as u16;
            let t = Tile {
                kind: TileKind::Entries,
                index: b,
                width,
            };
            let bytes = read(&log.join(t.path()))?;
            let entries = decode_bundle(&bytes)
                .map_err(|e| format!("{}: {e}", log.join(t.path()).display()))?
                .into_iter()
                .map(<[u8]>::to_vec)
                .collect();
            bundle = Some((b, entries));
        }
        let doc = bundle
            .as_ref()
            .and_then(|(_, es)| es.get((r.log_index % 256) as usize))
            .cloned()
            .ok_or_else(|| format!("{}: log entry {} is missing", at(), r.log_index))?;
        let digest = unhex32(&r.digest, &at)?;
        let body_digest = canvass_server::note::parse(&doc)
            .map(|n| canvass_server::submission::digest(n.body))
            .map_err(|e| {
                format!(
                    "{}: log entry {} is not a submission: {e}",
                    at(),
                    r.log_index
                )
            })?;
        if body_digest != digest {
            return Err(format!(
                "{}: digest differs from log entry {}'s: the store rows do not belong to this log",
                at(),
                r.log_index
            ));
        }
        out.push(SubmissionRecord {
            log_index: r.log_index,
            jurisdiction: r.jurisdiction,
            sequence: r.sequence,
            digest,
            supersedes: r.supersedes,
            received_at: r.received_at,
            document: doc,
        });
    }
    Ok(out)
}

fn read_events(input: &Path) -> Result<Vec<SecurityEvent>, String> {
    let path = input.join("store/events.jsonl");
    let text = String::from_utf8(read(&path)?)
        .map_err(|e| format!("{}: not UTF-8: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .map(|(n, line)| {
            let at = || format!("{} line {}", path.display(), n + 1);
            let e: EventRow = serde_json::from_str(line).map_err(|e| format!("{}: {e}", at()))?;
            Ok(SecurityEvent {
                id: e.id,
                at: e.at,
                source: e.source,
                jurisdiction: e.jurisdiction,
                code: e.code,
                field: e.field,
                message: e.message,
                digest: unhex32(&e.digest, &at)?,
            })
        })
        .collect()
}
