//! The election definition a verification counts with, bound to the log by the roster
//! (docs/verify.md, "The election definition").
//!
//! The authority-signed roster names the SHA-256 of the definition's canonical bytes
//! (`definition_sha256`, [`canvass_server::roster::definition_bytes`]). The source publishes
//! those bytes (`GET /api/election`, an export's `api/election.json`, a data directory's
//! `election.json`); the verifier hashes exactly what it read and uses it only if the hash is
//! the roster's. A definition given by hand (`--election`) overrides it but must match too, or
//! the mismatch is a finding.
//!
//! ```text
//! roster binds  served          --election   used                     findings
//! (nothing)     any             E            E                        -
//! (nothing)     any             -            built-in by name         -
//! H             sha H           -            served                   -
//! H             sha X != H      -            built-in if its sha = H  definition-mismatch
//! H             any             E            E                        definition-mismatch if sha(E) != H
//! H             missing         -            built-in if its sha = H  definition-missing otherwise
//! ```

use std::sync::Arc;

use canvass_model::{DefinitionFormat, Election};
use canvass_server::Roster;
use canvass_server::roster::definition_sha256;

use crate::report::{Check, Finding};

/// The URL path of the published definition.
pub const PATH: &str = "api/election";

/// The definition as a source published it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// Exactly the bytes read.
    pub bytes: Vec<u8>,
    /// Where they were read (a URL or a file), for messages.
    pub location: String,
}

impl Served {
    /// SHA-256 (hex) of the bytes.
    pub fn sha256(&self) -> String {
        canvass_server::entry::sha256_hex(&self.bytes)
    }
}

/// The definition chosen for a roster, with what was found on the way.
#[derive(Debug, Default)]
pub struct Resolved {
    /// The definition to count with; `None` when none can be trusted (nothing after the
    /// roster can be checked).
    pub election: Option<Election>,
    /// Where it came from, in words (for the report).
    pub from: Option<String>,
    /// Discrepancies (`definition-mismatch`, `definition-missing`, `bad-definition`).
    pub findings: Vec<Finding>,
    /// Things worth a look.
    pub notes: Vec<String>,
}

/// A finding that the definition read at `location` is not the one the roster binds.
pub fn mismatch(what: &str, sha: &str, bound: &str, index: u64) -> Finding {
    Finding::new(
        Check::Definition,
        format!(
            "{what} has sha256 {sha} but the authority-signed roster binds {bound}: it is not the election definition the authority signed"
        ),
    )
    .at(index)
    .values(sha, bound)
    .code("definition-mismatch")
}

/// Chooses the definition for `roster` (logged at `index`): the one given by hand, the one
/// served, or the built-in one of the roster's name, as the table in the module doc says.
pub fn resolve(
    roster: &Roster,
    index: u64,
    given: Option<&Election>,
    served: Option<&Arc<Served>>,
) -> Resolved {
    let mut r = Resolved::default();
    let name = roster.election.as_str();
    let builtin = || canvass_model::builtin(name).and_then(Result::ok);
    let Some(bound) = roster.definition_sha256.as_deref() else {
        match given {
            Some(e) => {
                r.election = Some(e.clone());
                r.from = Some("--election".into());
            }
            None => match canvass_server::io::load_election(name) {
                Ok(e) => {
                    r.election = Some(e);
                    r.from = Some(format!("built-in {name}"));
                }
                Err(err) => r.findings.push(
                    Finding::new(
                        Check::Roster,
                        format!(
                            "the roster cannot be opened, so nothing after it can be checked: {err}: the roster binds no definition (it predates definition_sha256), so pass the election definition with --election"
                        ),
                    )
                    .at(index)
                    .code("bad-roster"),
                ),
            },
        }
        if served.is_some() && given.is_none() {
            r.notes.push(format!(
                "the source publishes a definition at {PATH}, but the roster binds none (it predates definition_sha256), so it was not used"
            ));
        }
        return r;
    };
    let served_ok = served.filter(|s| {
        let sha = s.sha256();
        if sha == bound {
            return true;
        }
        r.findings.push(mismatch(
            &format!("the definition served at {}", s.location),
            &sha,
            bound,
            index,
        ));
        false
    });
    if let Some(e) = given {
        let sha = definition_sha256(e);
        if sha != bound {
            let mut f = mismatch("the definition given with --election", &sha, bound, index);
            f.message.push_str(" (it was used anyway, as asked)");
            r.findings.push(f);
        }
        r.election = Some(e.clone());
        r.from = Some("--election".into());
        return r;
    }
    if let Some(s) = served_ok {
        let text = String::from_utf8_lossy(&s.bytes);
        match canvass_model::parse_definition(&text, DefinitionFormat::Json, &s.location) {
            Ok(e) => {
                r.election = Some(e);
                r.from = Some(s.location.clone());
            }
            Err(err) => r.findings.push(
                Finding::new(
                    Check::Definition,
                    format!(
                        "the definition served at {} is the one the roster binds, but it is not a valid definition: {err}",
                        s.location
                    ),
                )
                .at(index)
                .code("bad-definition"),
            ),
        }
        return r;
    }
    match builtin().filter(|e| definition_sha256(e) == bound) {
        Some(e) => {
            r.election = Some(e);
            r.from = Some(format!("built-in {name}"));
        }
        None if served.is_some() => r.notes.push(format!(
            "no definition with the SHA-256 the roster binds ({bound}) was found, so nothing after the roster can be checked: pass it with --election"
        )),
        None => r.findings.push(
            Finding::new(
                Check::Definition,
                format!(
                    "the roster binds the definition with sha256 {bound}, but the source publishes none ({PATH}) and no built-in election has it: pass the definition with --election"
                ),
            )
            .at(index)
            .code("definition-missing"),
        ),
    }
    r
}
