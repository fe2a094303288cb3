//! The file edge: creating and reading key files, the roster and election definitions.
//!
//! ```text
//! <data>/keys/                          0700
//! <data>/keys/authority.key             0600  the election authority's signer key (skey)
//! <data>/keys/log.key                   0600  the transparency log's signer key
//! <data>/keys/jurisdictions/<id>.key    0600  one per reporting jurisdiction
//! <data>/authority.vkey, <data>/log.vkey      verifier keys (public)
//! <data>/roster.note                          the authority-signed roster (public)
//! <data>/election.json                        the definition's canonical bytes (public; the
//!                                             roster's `definition_sha256` is their SHA-256)
//! ```
//!
//! Private keys are written only here, only to new 0600 files, and never printed or logged.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use canvass_model::{DefinitionFormat, Election};
use sha2::{Digest as _, Sha256};

use crate::error::IoError;
use crate::keys::{self, PublicKey, SecretKey};
use crate::roster::{Roster, definition_bytes};

/// Where key seeds come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// The operating system's random number generator (for real elections).
    Os,
    /// Derived from a seed: `SHA-256("canvass key seed\n" || seed (u64, little-endian) ||
    /// key name)`. Deterministic, for demos and tests only.
    Seeded(u64),
}

impl KeySource {
    fn seed(self, name: &str) -> Result<[u8; 32], IoError> {
        match self {
            KeySource::Os => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).map_err(|e| IoError::Random(e.to_string()))?;
                Ok(seed)
            }
            KeySource::Seeded(s) => {
                let mut h = Sha256::new();
                h.update(b"canvass key seed\n");
                h.update(s.to_le_bytes());
                h.update(name.as_bytes());
                Ok(h.finalize().into())
            }
        }
    }

    /// A new key named `name`.
    ///
    /// # Errors
    /// [`IoError::Random`] if the OS generator fails, [`IoError::Key`] for a bad name.
    pub fn key(self, name: &str) -> Result<SecretKey, IoError> {
        SecretKey::from_seed(name, self.seed(name)?).map_err(|source| IoError::Key {
            path: PathBuf::from(name),
            source,
        })
    }
}

/// What `init_keys` made.
#[derive(Debug, Clone)]
pub struct KeysInit {
    /// The authority's verifier key.
    pub authority: PublicKey,
    /// The log's verifier key.
    pub log: PublicKey,
    /// The roster as signed.
    pub roster: Roster,
    /// Path of the signed roster.
    pub roster_path: PathBuf,
}

/// Path of the authority's key file.
pub fn authority_key_path(data: &Path) -> PathBuf {
    data.join("keys").join("authority.key")
}

/// Path of the log's key file.
pub fn log_key_path(data: &Path) -> PathBuf {
    data.join("keys").join("log.key")
}

/// Path of a jurisdiction's key file.
pub fn jurisdiction_key_path(data: &Path, jurisdiction: &str) -> PathBuf {
    data.join("keys")
        .join("jurisdictions")
        .join(format!("{jurisdiction}.key"))
}

/// Path of the signed roster.
pub fn roster_path(data: &Path) -> PathBuf {
    data.join("roster.note")
}

/// Path of the election definition's canonical bytes (what `GET /api/election` serves).
pub fn definition_path(data: &Path) -> PathBuf {
    data.join("election.json")
}

fn safe_file_name(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Creates the authority key, the log key, one key per reporting jurisdiction, the signed
/// roster (bound to the definition by its SHA-256) and `<data>/election.json` (the
/// definition's canonical bytes) under `data`. Refuses to touch an existing `<data>/keys`, and
/// an existing `<data>/election.json` that holds other bytes.
///
/// # Errors
/// [`IoError::Exists`] if keys or another definition exist, [`IoError::Election`] for a
/// jurisdiction id that cannot be a file name, and file errors.
pub fn init_keys(data: &Path, election: &Election, source: KeySource) -> Result<KeysInit, IoError> {
    let name = election.election.id.as_str();
    let dir = data.join("keys");
    if dir.exists() {
        return Err(IoError::Exists(dir));
    }
    if let Some(j) = election
        .jurisdictions
        .iter()
        .find(|j| !safe_file_name(j.id.as_str()))
    {
        return Err(IoError::Election {
            name: name.to_owned(),
            reason: format!(
                "jurisdiction id {:?} cannot be a file name: use letters, digits, '-', '_', '.'",
                j.id
            ),
        });
    }
    let definition = definition_bytes(election);
    let definition_path = definition_path(data);
    let same_definition = match fs::read(&definition_path) {
        Ok(b) if b == definition => true,
        Ok(_) => return Err(IoError::Exists(definition_path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(IoError::io("reading", &definition_path, e)),
    };
    fs::create_dir_all(data).map_err(|e| IoError::io("creating", data, e))?;
    let mut b = fs::DirBuilder::new();
    b.mode(0o700);
    b.create(&dir)
        .map_err(|e| IoError::io("creating", &dir, e))?;
    let jdir = dir.join("jurisdictions");
    b.create(&jdir)
        .map_err(|e| IoError::io("creating", &jdir, e))?;

    let authority = source.key(&keys::authority_key_name(name))?;
    let log = source.key(&keys::log_key_name(name))?;
    write_secret(&authority_key_path(data), &authority)?;
    write_secret(&log_key_path(data), &log)?;
    let mut publics = Vec::with_capacity(election.jurisdictions.len());
    for j in &election.jurisdictions {
        let k = source.key(&keys::jurisdiction_key_name(name, j.id.as_str()))?;
        write_secret(&jurisdiction_key_path(data, j.id.as_str()), &k)?;
        publics.push(k.public());
    }
    let roster = Roster::new(election, &authority.public(), &log.public(), &publics);
    let roster_path = roster_path(data);
    write_public(&roster_path, roster.sign(&authority).as_bytes())?;
    if !same_definition {
        write_public(&definition_path, &definition)?;
    }
    write_public(
        &data.join("authority.vkey"),
        format!("{}\n", authority.public().to_vkey()).as_bytes(),
    )?;
    write_public(
        &data.join("log.vkey"),
        format!("{}\n", log.public().to_vkey()).as_bytes(),
    )?;
    Ok(KeysInit {
        authority: authority.public(),
        log: log.public(),
        roster,
        roster_path,
    })
}

/// Writes a signer key to a new file with permissions 0600.
///
/// # Errors
/// [`IoError::Io`] if the file exists or cannot be written.
pub fn write_secret(path: &Path, key: &SecretKey) -> Result<(), IoError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| IoError::io("creating", path, e))?;
    f.write_all(format!("{}\n", key.to_skey()).as_bytes())
        .map_err(|e| IoError::io("writing", path, e))
}

fn write_public(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
        .map_err(|e| IoError::io("creating", path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| IoError::io("writing", path, e))
}

/// Reads a signer key file.
///
/// # Errors
/// File errors, and [`IoError::Key`] if it does not hold a signer key. The error never
/// contains the file's contents.
pub fn read_secret_key(path: &Path) -> Result<SecretKey, IoError> {
    let text = fs::read_to_string(path).map_err(|e| IoError::io("reading", path, e))?;
    SecretKey::from_skey(&text).map_err(|source| IoError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and opens a signed roster (see [`Roster::open`]).
///
/// # Errors
/// File errors and [`IoError::Roster`].
pub fn read_roster(path: &Path, authority: Option<&PublicKey>) -> Result<Roster, IoError> {
    let bytes = fs::read(path).map_err(|e| IoError::io("reading", path, e))?;
    Roster::open(&bytes, authority).map_err(|source| IoError::Roster {
        path: path.to_path_buf(),
        source,
    })
}

/// A built-in election by name (`us-2020`), or a definition file (`.toml` or `.json`).
///
/// # Errors
/// [`IoError::Election`] if it is neither or does not parse.
pub fn load_election(name: &str) -> Result<Election, IoError> {
    let err = |reason: String| IoError::Election {
        name: name.to_owned(),
        reason,
    };
    if let Some(e) = canvass_model::builtin(name) {
        return e.map_err(err);
    }
    let path = Path::new(name);
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => DefinitionFormat::Toml,
        Some("json") => DefinitionFormat::Json,
        _ => {
            return Err(err(format!(
                "not a built-in election ({}) nor a .toml/.json definition file",
                canvass_model::BUILTIN_NAMES.join(", ")
            )));
        }
    };
    let text = fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    canvass_model::parse_definition(&text, format, name).map_err(|e| err(e.to_string()))
}

/// The election a data directory's server runs: `election` when given (a built-in name or a
/// definition file), else `<data>/election.json` when it exists, else the built-in election
/// the roster names. When the roster binds a definition (`definition_sha256`), the election
/// must be that definition.
///
/// # Errors
/// [`IoError::Roster`] if the roster cannot be read, [`IoError::Election`] if the election
/// does not load or is not the definition the roster binds.
pub fn load_data_election(data: &Path, election: Option<&str>) -> Result<Election, IoError> {
    let roster = read_roster(&roster_path(data), None)?;
    let file = definition_path(data);
    let name = match election {
        Some(e) => e.to_owned(),
        None if file.is_file() => file.display().to_string(),
        None => roster.election.to_string(),
    };
    let e = load_election(&name)?;
    if let Some(bound) = &roster.definition_sha256 {
        let sha = crate::roster::definition_sha256(&e);
        if &sha != bound {
            return Err(IoError::Election {
                name,
                reason: format!(
                    "its canonical definition has SHA-256 {sha}, but the authority-signed roster binds {bound}: use the definition the roster was made for ({})",
                    file.display()
                ),
            });
        }
    }
    Ok(e)
}
