//! `canvass log`: inspect, prove and audit a transparency log in the C2SP tlog-tiles layout,
//! either a directory written by `canvass-store` or the `http://`/`https://` prefix URL of a
//! tile server (`<prefix>/checkpoint`, `<prefix>/vkey`, `<prefix>/tile/...`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use canvass_log::{Checkpoint, Hash, LogVerifier, leaf_hash, verify_consistency, verify_inclusion};
use canvass_store::tlog::{LogSource, SourceTiles, StoreError, audit_from, published_from};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};

use super::{fail, print_json};

/// Inspect, prove and audit a transparency log.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass log checkpoint /srv/canvass/log
  canvass log prove-inclusion /srv/canvass/log --index 42 --json > proof.json
  canvass log verify-inclusion proof.json --entry submission.bin
  canvass log prove-consistency /srv/canvass/log --old 1000 --json > cons.json
  canvass log verify-consistency cons.json --old-checkpoint old.cp --new-checkpoint new.cp --vkey log.vkey
  canvass log audit /srv/canvass/log --vkey log.vkey
  canvass log audit https://canvass.example/log --vkey log.vkey --json")]
pub struct LogArgs {
    #[command(subcommand)]
    command: LogCommand,
}

#[derive(Subcommand, Debug)]
enum LogCommand {
    /// Verify and show the latest checkpoint of a log directory.
    Checkpoint(DirArgs),
    /// Print an inclusion proof for an entry, from the tiles of the published checkpoint.
    ProveInclusion(ProveInclusionArgs),
    /// Check an inclusion proof (the --json output of prove-inclusion).
    VerifyInclusion(VerifyInclusionArgs),
    /// Print a consistency proof between two tree sizes of the published log.
    ProveConsistency(ProveConsistencyArgs),
    /// Check a consistency proof (the --json output of prove-consistency).
    VerifyConsistency(VerifyConsistencyArgs),
    /// Recompute every tile and the root from the entries and check the checkpoint signature.
    Audit(DirArgs),
}

#[derive(Args, Debug)]
struct DirArgs {
    /// Log directory (holding `checkpoint`, `vkey` and `tile/`), or the http:// or https://
    /// URL of a tile server's log prefix (e.g. `https://canvass.example/log`).
    #[arg(value_name = "DIR|URL")]
    dir: String,
    /// Trusted verifier key (text or a file holding it); defaults to the directory's own `vkey`,
    /// which only proves self-consistency.
    #[arg(long)]
    vkey: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct ProveInclusionArgs {
    #[command(flatten)]
    log: DirArgs,
    /// Index of the entry.
    #[arg(long)]
    index: u64,
}

#[derive(Args, Debug)]
struct ProveConsistencyArgs {
    #[command(flatten)]
    log: DirArgs,
    /// Older tree size.
    #[arg(long)]
    old: u64,
}

#[derive(Args, Debug)]
struct VerifyInclusionArgs {
    /// Proof file (JSON from `prove-inclusion --json`).
    proof: PathBuf,
    /// The entry itself; its leaf hash must match the proof's.
    #[arg(long)]
    entry: Option<PathBuf>,
    /// A signed checkpoint whose size and root the proof must match (needs --vkey).
    #[arg(long, requires = "vkey")]
    checkpoint: Option<PathBuf>,
    /// Log verifier key (text or file).
    #[arg(long)]
    vkey: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct VerifyConsistencyArgs {
    /// Proof file (JSON from `prove-consistency --json`).
    proof: PathBuf,
    /// Signed older checkpoint the proof must start from (needs --vkey).
    #[arg(long, requires = "vkey")]
    old_checkpoint: Option<PathBuf>,
    /// Signed newer checkpoint the proof must end at (needs --vkey).
    #[arg(long, requires = "vkey")]
    new_checkpoint: Option<PathBuf>,
    /// Log verifier key (text or file).
    #[arg(long)]
    vkey: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// JSON form of a checkpoint.
#[derive(Serialize)]
struct CheckpointJson {
    origin: String,
    size: u64,
    root: String,
    verifier_key: String,
}

/// JSON form of an inclusion proof (stable: consumed by `verify-inclusion`).
#[derive(Serialize, Deserialize)]
struct InclusionJson {
    index: u64,
    size: u64,
    root: String,
    leaf_hash: String,
    proof: Vec<String>,
}

/// JSON form of a consistency proof (stable: consumed by `verify-consistency`).
#[derive(Serialize, Deserialize)]
struct ConsistencyJson {
    old_size: u64,
    new_size: u64,
    old_root: String,
    new_root: String,
    proof: Vec<String>,
}

/// JSON result of a verification or audit.
#[derive(Serialize)]
struct Verdict {
    ok: bool,
    detail: String,
}

/// Runs `canvass log`.
pub fn run(args: LogArgs) -> ExitCode {
    let r = match args.command {
        LogCommand::Checkpoint(a) => checkpoint(&a),
        LogCommand::ProveInclusion(a) => prove_inclusion(&a),
        LogCommand::VerifyInclusion(a) => verify_inclusion_cmd(&a),
        LogCommand::ProveConsistency(a) => prove_consistency(&a),
        LogCommand::VerifyConsistency(a) => verify_consistency_cmd(&a),
        LogCommand::Audit(a) => audit_cmd(&a),
    };
    r.unwrap_or_else(|e| fail(&e))
}

type CmdResult = Result<ExitCode, String>;

/// Largest resource fetched over HTTP: a bundle of 256 entries of 65,535 bytes, with framing.
const MAX_FETCH: u64 = 17 << 20;

/// A log directory or a tile server.
enum Source {
    Dir(PathBuf),
    Http { base: String, agent: ureq::Agent },
}

impl Source {
    fn new(arg: &str) -> Self {
        if arg.starts_with("http://") || arg.starts_with("https://") {
            let agent = ureq::Agent::config_builder()
                .timeout_global(Some(std::time::Duration::from_secs(60)))
                .build()
                .new_agent();
            Source::Http {
                base: arg.trim_end_matches('/').to_owned(),
                agent,
            }
        } else {
            Source::Dir(PathBuf::from(arg))
        }
    }
}

impl LogSource for Source {
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Source::Dir(d) => d.as_path().fetch(path),
            Source::Http { base, agent } => {
                let url = format!("{base}/{path}");
                let failed = |msg: String| StoreError::Io {
                    op: "fetching",
                    path: PathBuf::from(&url),
                    source: std::io::Error::other(msg),
                };
                match agent.get(&url).call() {
                    Ok(mut resp) => resp
                        .body_mut()
                        .with_config()
                        .limit(MAX_FETCH)
                        .read_to_vec()
                        .map(Some)
                        .map_err(|e| failed(e.to_string())),
                    Err(ureq::Error::StatusCode(404)) => Ok(None),
                    Err(e) => Err(failed(e.to_string())),
                }
            }
        }
    }

    fn locate(&self, path: &str) -> PathBuf {
        match self {
            Source::Dir(d) => d.join(path),
            Source::Http { base, .. } => PathBuf::from(format!("{base}/{path}")),
        }
    }
}

fn load_vkey(arg: &Option<String>) -> Result<Option<LogVerifier>, String> {
    let Some(v) = arg else { return Ok(None) };
    let text = if Path::new(v).is_file() {
        std::fs::read_to_string(v).map_err(|e| format!("cannot read verifier key file {v}: {e}"))?
    } else {
        v.clone()
    };
    LogVerifier::from_vkey(text.trim())
        .map(Some)
        .map_err(|e| e.to_string())
}

fn open_checkpoint_file(path: &Path, v: &LogVerifier) -> Result<Checkpoint, String> {
    let note = std::fs::read(path)
        .map_err(|e| format!("cannot read checkpoint {}: {e}", path.display()))?;
    v.open_checkpoint(&note)
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn parse_hashes(list: &[String], what: &str) -> Result<Vec<Hash>, String> {
    list.iter()
        .enumerate()
        .map(|(i, s)| Hash::from_base64(s).map_err(|e| format!("{what} hash {i}: {e}")))
        .collect()
}

fn checkpoint(a: &DirArgs) -> CmdResult {
    let v = load_vkey(&a.vkey)?;
    let (v, cp, note) =
        published_from(&Source::new(&a.dir), v.as_ref()).map_err(|e| e.to_string())?;
    if a.json {
        return Ok(print_json(&CheckpointJson {
            origin: cp.origin,
            size: cp.size,
            root: cp.root.to_base64(),
            verifier_key: v.to_vkey(),
        }));
    }
    outln!("checkpoint signature OK ({})", v.to_vkey());
    out!("{note}");
    Ok(ExitCode::SUCCESS)
}

fn prove_inclusion(a: &ProveInclusionArgs) -> CmdResult {
    let v = load_vkey(&a.log.vkey)?;
    let src = Source::new(&a.log.dir);
    let (_, cp, _) = published_from(&src, v.as_ref()).map_err(|e| e.to_string())?;
    let reader = SourceTiles::new(&src, cp.size);
    let proof =
        canvass_log::inclusion_proof(&reader, a.index, cp.size).map_err(|e| e.to_string())?;
    let leaf =
        canvass_log::tree_root(&IndexedLeaf(&reader, a.index), 1).map_err(|e| e.to_string())?;
    let j = InclusionJson {
        index: a.index,
        size: cp.size,
        root: cp.root.to_base64(),
        leaf_hash: leaf.to_base64(),
        proof: proof.iter().map(Hash::to_base64).collect(),
    };
    if a.log.json {
        return Ok(print_json(&j));
    }
    outln!("entry {} of {} (root {})", j.index, j.size, j.root);
    outln!("leaf hash {}", j.leaf_hash);
    for h in &j.proof {
        outln!("{h}");
    }
    Ok(ExitCode::SUCCESS)
}

/// A one-leaf view of leaf `index` (so `tree_root(.., 1)` reads that leaf's hash).
struct IndexedLeaf<'a>(&'a dyn canvass_log::NodeSource, u64);

impl canvass_log::NodeSource for IndexedLeaf<'_> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, canvass_log::NodeUnavailable> {
        self.0.node(level, self.1 + index)
    }
}

fn verdict(json: bool, result: Result<String, String>) -> CmdResult {
    let (ok, detail) = match result {
        Ok(d) => (true, d),
        Err(d) => (false, d),
    };
    if json {
        let code = print_json(&Verdict { ok, detail });
        return Ok(if ok { code } else { ExitCode::from(1) });
    }
    if ok {
        outln!("OK: {detail}");
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(fail(&detail))
    }
}

fn verify_inclusion_cmd(a: &VerifyInclusionArgs) -> CmdResult {
    let text =
        std::fs::read(&a.proof).map_err(|e| format!("cannot read {}: {e}", a.proof.display()))?;
    let j: InclusionJson = serde_json::from_slice(&text)
        .map_err(|e| format!("{}: not an inclusion proof: {e}", a.proof.display()))?;
    let root = Hash::from_base64(&j.root).map_err(|e| format!("root: {e}"))?;
    let leaf = Hash::from_base64(&j.leaf_hash).map_err(|e| format!("leaf_hash: {e}"))?;
    let proof = parse_hashes(&j.proof, "proof")?;
    let result = (|| {
        if let Some(entry) = &a.entry {
            let e = std::fs::read(entry)
                .map_err(|e| format!("cannot read {}: {e}", entry.display()))?;
            if leaf_hash(&e) != leaf {
                return Err(format!(
                    "{} does not hash to the proof's leaf hash",
                    entry.display()
                ));
            }
        }
        if let (Some(cp_path), Some(v)) = (&a.checkpoint, load_vkey(&a.vkey)?) {
            let cp = open_checkpoint_file(cp_path, &v)?;
            if cp.size != j.size || cp.root != root {
                return Err(format!(
                    "proof is for size {} root {} but the checkpoint has size {} root {}",
                    j.size, j.root, cp.size, cp.root
                ));
            }
        }
        verify_inclusion(j.index, j.size, &leaf, &proof, &root).map_err(|e| e.to_string())?;
        Ok(format!(
            "entry {} is in the tree of size {} with root {}",
            j.index, j.size, j.root
        ))
    })();
    verdict(a.json, result)
}

fn prove_consistency(a: &ProveConsistencyArgs) -> CmdResult {
    let v = load_vkey(&a.log.vkey)?;
    let src = Source::new(&a.log.dir);
    let (_, cp, _) = published_from(&src, v.as_ref()).map_err(|e| e.to_string())?;
    let reader = SourceTiles::new(&src, cp.size);
    if a.old > cp.size {
        return Err(format!(
            "old size {} is above the published size {}",
            a.old, cp.size
        ));
    }
    let proof =
        canvass_log::consistency_proof(&reader, a.old, cp.size).map_err(|e| e.to_string())?;
    let old_root = canvass_log::tree_root(&reader, a.old).map_err(|e| e.to_string())?;
    let j = ConsistencyJson {
        old_size: a.old,
        new_size: cp.size,
        old_root: old_root.to_base64(),
        new_root: cp.root.to_base64(),
        proof: proof.iter().map(Hash::to_base64).collect(),
    };
    if a.log.json {
        return Ok(print_json(&j));
    }
    outln!(
        "from size {} (root {}) to size {} (root {})",
        j.old_size,
        j.old_root,
        j.new_size,
        j.new_root
    );
    for h in &j.proof {
        outln!("{h}");
    }
    Ok(ExitCode::SUCCESS)
}

fn verify_consistency_cmd(a: &VerifyConsistencyArgs) -> CmdResult {
    let text =
        std::fs::read(&a.proof).map_err(|e| format!("cannot read {}: {e}", a.proof.display()))?;
    let j: ConsistencyJson = serde_json::from_slice(&text)
        .map_err(|e| format!("{}: not a consistency proof: {e}", a.proof.display()))?;
    let old_root = Hash::from_base64(&j.old_root).map_err(|e| format!("old_root: {e}"))?;
    let new_root = Hash::from_base64(&j.new_root).map_err(|e| format!("new_root: {e}"))?;
    let proof = parse_hashes(&j.proof, "proof")?;
    let result = (|| {
        let v = load_vkey(&a.vkey)?;
        for (path, size, root, which) in [
            (&a.old_checkpoint, j.old_size, old_root, "old"),
            (&a.new_checkpoint, j.new_size, new_root, "new"),
        ] {
            if let (Some(p), Some(v)) = (path, &v) {
                let cp = open_checkpoint_file(p, v)?;
                if cp.size != size || cp.root != root {
                    return Err(format!(
                        "{which} checkpoint has size {} root {} but the proof says size {size} root {root}",
                        cp.size, cp.root
                    ));
                }
            }
        }
        verify_consistency(j.old_size, j.new_size, &proof, &old_root, &new_root)
            .map_err(|e| e.to_string())?;
        Ok(format!(
            "the tree of size {} extends the tree of size {}",
            j.new_size, j.old_size
        ))
    })();
    verdict(a.json, result)
}

fn audit_cmd(a: &DirArgs) -> CmdResult {
    let v = load_vkey(&a.vkey)?;
    let pb = if a.json {
        indicatif::ProgressBar::hidden()
    } else {
        // indicatif draws nothing when stderr is not a terminal.
        let pb = indicatif::ProgressBar::new(0);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} entry bundles ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb
    };
    let src = Source::new(&a.dir);
    let result = audit_from(&src, v.as_ref(), &mut |done, total| {
        pb.set_length(total);
        pb.set_position(done);
    });
    pb.finish_and_clear();
    let result = result.map(|r| {
        format!(
            "{} entries re-hashed, {} tile and bundle files match, root {} and signature of {} verified",
            r.entries, r.files_checked, r.checkpoint.root, r.checkpoint.origin
        )
    });
    verdict(a.json, result.map_err(|e| e.to_string()))
}
