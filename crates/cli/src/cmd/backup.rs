//! `canvass backup` and `canvass restore`: a self-contained, self-checking copy of an election's
//! data (issue 10, "Backups").
//!
//! A backup is a directory:
//!
//! ```text
//! manifest.json              format, the log's origin, tree size and root, row counts, and
//!                            the SHA-256 and length of every other file
//! authority.vkey log.vkey    the public keys (private keys are never copied: keep them apart)
//! roster.note                the authority-signed roster (every jurisdiction's public key)
//! election.json              the definition, when the data directory has one
//! log/checkpoint             the latest published checkpoint, signed by the log key
//! log/tile/...               every hash tile and entry bundle of that checkpoint's tree
//! store/submissions.jsonl    the store's submission rows (the documents are the log entries)
//! store/events.jsonl         the store's security events
//! ```
//!
//! `manifest.json` is written last, so a backup that stopped half-way has none and is refused.
//! A restore checks the manifest, recomputes the log's root from the entries and checks it
//! against the backup's checkpoint, then against the latest *published* checkpoint: a smaller
//! tree is a rollback (refused unless `--allow-rollback`, which reports it loudly), a tree of
//! the same size or larger must be consistent with it (RFC 6962 consistency proof), or it is a
//! fork. Only then is anything written. The server may keep running during a backup: the tree
//! of a published checkpoint is immutable on disk.

mod restore;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use canvass_store::tlog::{published, tree_tiles};
use canvass_store::{Database, SecurityEvent, SubmissionRecord};
use clap::Args;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::{fail, print_json};

pub use restore::{RestoreArgs, run as run_restore};

/// The manifest's format line.
pub const FORMAT: &str = "canvass-backup/v1";
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// Public files copied from the top of the data directory (the first three must exist).
const PUBLIC_FILES: &[&str] = &["authority.vkey", "log.vkey", "roster.note", "election.json"];
/// Rows read from the store at a time.
const CHUNK: usize = 1000;

/// Back up an election's data directory and store.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass backup --data data backup-2026-11-04T2100
  canvass backup --data data --database postgresql:///canvass?host=/run/postgresql backup/

Writes a new directory OUT: the public keys, the roster, the log up to its latest published
checkpoint (every tile and entry bundle), the store's rows, and manifest.json with the
SHA-256 of every file (written last). Private keys are NOT copied: keep them apart. The
server may keep running. Restore with `canvass restore OUT --data DIR --published URL`.")]
pub struct BackupArgs {
    /// The data directory (made by `canvass keys init`).
    #[arg(long)]
    data: PathBuf,
    /// The store: postgres://…, postgresql://…, host=… key=value, or sqlite:FILE (default:
    /// the data directory's canvass.db).
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// The backup directory to create (must not exist, or be empty).
    #[arg(value_name = "OUT")]
    out: PathBuf,
    /// Machine-readable summary.
    #[arg(long)]
    json: bool,
}

/// One file of a backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    /// Path relative to the backup directory, `/`-separated.
    pub path: String,
    /// Its length in bytes.
    pub bytes: u64,
    /// SHA-256 of its content, hex.
    pub sha256: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The log's origin (checkpoint first line).
    pub origin: String,
    /// The backed-up checkpoint's tree size.
    pub tree_size: u64,
    /// Its root hash, hex.
    pub root: String,
    /// Submission rows in `store/submissions.jsonl`.
    pub submissions: u64,
    /// Security events in `store/events.jsonl`.
    pub security_events: u64,
    /// Every other file of the backup.
    pub files: Vec<FileEntry>,
}

/// A submission row in `store/submissions.jsonl` (its document is log entry `log_index`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Row {
    /// Log index.
    pub log_index: u64,
    /// Jurisdiction.
    pub jurisdiction: String,
    /// Sequence number.
    pub sequence: u64,
    /// SHA-256 of the signed body, hex.
    pub digest: String,
    /// Superseded sequence number, for an amendment.
    pub supersedes: Option<u64>,
    /// Acceptance time, seconds since the epoch.
    pub received_at: u64,
}

/// A security event in `store/events.jsonl`.
#[derive(Debug, Serialize, Deserialize)]
pub struct EventRow {
    /// Its id in the store.
    pub id: u64,
    /// Seconds since the epoch.
    pub at: u64,
    /// Where it came from.
    pub source: Option<String>,
    /// The jurisdiction claimed.
    pub jurisdiction: Option<String>,
    /// Rejection code.
    pub code: String,
    /// Field.
    pub field: String,
    /// Message.
    pub message: String,
    /// SHA-256 of the rejected body, hex.
    pub digest: String,
}

impl From<&SubmissionRecord> for Row {
    fn from(r: &SubmissionRecord) -> Row {
        Row {
            log_index: r.log_index,
            jurisdiction: r.jurisdiction.clone(),
            sequence: r.sequence,
            digest: hex(&r.digest),
            supersedes: r.supersedes,
            received_at: r.received_at,
        }
    }
}

impl From<&SecurityEvent> for EventRow {
    fn from(e: &SecurityEvent) -> EventRow {
        EventRow {
            id: e.id,
            at: e.at,
            source: e.source.clone(),
            jurisdiction: e.jurisdiction.clone(),
            code: e.code.clone(),
            field: e.field.clone(),
            message: e.message.clone(),
            digest: hex(&e.digest),
        }
    }
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// SHA-256 of `b`, hex.
pub fn sha256_hex(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

/// The store named by `--database`, or the data directory's SQLite file.
pub fn database(arg: Option<&str>, data: &Path) -> Result<Database, String> {
    match arg {
        Some(u) => Database::parse(u).map_err(|e| e.to_string()),
        None => Ok(Database::default_for(data)),
    }
}

/// Writes files into the backup directory, hashing each.
struct Writer {
    root: PathBuf,
    files: Vec<FileEntry>,
}

impl Writer {
    fn put(&mut self, rel: &str, bytes: &[u8]) -> Result<(), String> {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let mut f = fs::File::create_new(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        self.files.push(FileEntry {
            path: rel.to_owned(),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        });
        Ok(())
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// What a backup wrote.
#[derive(Debug, Serialize)]
struct Summary<'a> {
    backup: String,
    origin: &'a str,
    tree_size: u64,
    root: &'a str,
    submissions: u64,
    security_events: u64,
    files: usize,
}

/// Runs `canvass backup`.
pub fn run(args: BackupArgs) -> ExitCode {
    match backup(&args) {
        Ok(m) => {
            let s = Summary {
                backup: args.out.display().to_string(),
                origin: &m.origin,
                tree_size: m.tree_size,
                root: &m.root,
                submissions: m.submissions,
                security_events: m.security_events,
                files: m.files.len() + 1,
            };
            if args.json {
                return print_json(&s);
            }
            outln!(
                "backed up {} to {}: log size {} (root {}), {} submissions, {} security events, {} files; private keys are not in it",
                s.origin,
                s.backup,
                s.tree_size,
                s.root,
                s.submissions,
                s.security_events,
                s.files
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn backup(args: &BackupArgs) -> Result<Manifest, String> {
    let db = database(args.database.as_deref(), &args.data)?;
    if args.out.exists()
        && fs::read_dir(&args.out)
            .map_err(|e| format!("cannot read {}: {e}", args.out.display()))?
            .next()
            .is_some()
    {
        return Err(format!(
            "{} is not empty: give a new backup directory",
            args.out.display()
        ));
    }
    fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let mut w = Writer {
        root: args.out.clone(),
        files: Vec::new(),
    };
    for (i, name) in PUBLIC_FILES.iter().enumerate() {
        let path = args.data.join(name);
        if i == PUBLIC_FILES.len() - 1 && !path.exists() {
            continue;
        }
        w.put(
            name,
            &read(&path).map_err(|e| {
                format!(
                    "{e}: is {} a data directory made by `canvass keys init`?",
                    args.data.display()
                )
            })?,
        )?;
    }
    // The checkpoint first: its tree is complete and immutable on disk, whatever the server
    // appends meanwhile.
    let log_dir = args.data.join("log");
    let vkey = String::from_utf8_lossy(&read(&args.data.join("log.vkey"))?).into_owned();
    let verifier = canvass_log::LogVerifier::from_vkey(vkey.trim())
        .map_err(|e| format!("{}: {e}", args.data.join("log.vkey").display()))?;
    let (_, cp, note) = published(&log_dir, Some(&verifier)).map_err(|e| {
        format!("{e}: the log has no published checkpoint yet (start canvass serve once)")
    })?;
    w.put("log/checkpoint", note.as_bytes())?;
    for t in tree_tiles(cp.size) {
        let rel = format!("log/{}", t.path());
        w.put(&rel, &read(&log_dir.join(t.path()))?)?;
    }

    let store = db.open().map_err(|e| e.to_string())?;
    let mut subs = Vec::new();
    let mut n_subs = 0u64;
    let mut from = 0;
    loop {
        let batch = store.submissions(from, CHUNK).map_err(|e| e.to_string())?;
        let Some(last) = batch.last() else { break };
        from = last.log_index + 1;
        for r in batch.iter().filter(|r| r.log_index < cp.size) {
            serde_json::to_writer(&mut subs, &Row::from(r)).map_err(|e| e.to_string())?;
            subs.push(b'\n');
            n_subs += 1;
        }
    }
    let mut events = Vec::new();
    let mut n_events = 0u64;
    let mut after = 0;
    loop {
        let batch = store.events(after, CHUNK).map_err(|e| e.to_string())?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for e in &batch {
            serde_json::to_writer(&mut events, &EventRow::from(e)).map_err(|e| e.to_string())?;
            events.push(b'\n');
            n_events += 1;
        }
    }
    w.put("store/submissions.jsonl", &subs)?;
    w.put("store/events.jsonl", &events)?;

    let manifest = Manifest {
        format: FORMAT.to_owned(),
        origin: cp.origin.clone(),
        tree_size: cp.size,
        root: cp.root.to_hex(),
        submissions: n_subs,
        security_events: n_events,
        files: w.files,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
    let tmp = args.out.join("manifest.json.tmp");
    fs::write(&tmp, &json).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    fs::rename(&tmp, args.out.join(MANIFEST))
        .map_err(|e| format!("cannot write {}: {e}", args.out.join(MANIFEST).display()))?;
    Ok(manifest)
}
