//! The roster: which key may sign for which reporting jurisdiction, signed by the election
//! authority; and key changes (rotation, revocation), also signed by the authority. Both are
//! signed notes (see [`crate::note`]) with canonical JSON bodies (see `docs/submissions.md`).
//!
//! ```text
//! canvass-roster/v1
//! {"election":"us-2020","definition_sha256":"9c1f...","authority":"canvass/us-2020/authority+...","log":"...","jurisdictions":[{"id":"01001","name":"Autauga County, AL","state":"AL","key":"canvass/us-2020/jurisdiction/01001+...","counties":["01001"],"precincts":[]},...]}
//!
//! — canvass/us-2020/authority ...
//! ```
//!
//! `definition_sha256` binds the election definition to the log: it is the SHA-256 of the
//! definition's canonical bytes ([`definition_bytes`]: `canvass_model::to_canonical_json`,
//! compact JSON in the fixed field order of `canvass_model::Election`), the very bytes the
//! server publishes at `GET /api/election`. Rosters signed before it existed have no such field
//! and still open byte for byte.

use std::collections::HashMap;

use canvass_model::{CountyId, Election, ElectionId, JurisdictionId, PrecinctId, StateId};
use serde::{Deserialize, Serialize};

use crate::canonical::{self, DecodeError};
use crate::error::RosterError;
use crate::keys::{PublicKey, SecretKey};
use crate::note;

/// Type line of a roster document.
pub const ROSTER_TYPE: &str = "canvass-roster/v1";
/// Type line of a key-change document.
pub const KEY_CHANGE_TYPE: &str = "canvass-key-change/v1";

/// The roster of an election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    /// The election.
    pub election: ElectionId,
    /// SHA-256 (lowercase hex) of the election definition's canonical bytes
    /// ([`definition_bytes`]); absent in rosters signed before definitions were bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition_sha256: Option<String>,
    /// The authority's verifier key (vkey), which signs this roster and every key change.
    pub authority: String,
    /// The transparency log's verifier key (vkey).
    pub log: String,
    /// One entry per reporting jurisdiction, in the definition's order.
    pub jurisdictions: Vec<RosterEntry>,
}

/// One reporting jurisdiction in the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterEntry {
    /// The jurisdiction.
    pub id: JurisdictionId,
    /// Its name.
    pub name: String,
    /// The state it reports to.
    pub state: StateId,
    /// Its verifier key (vkey).
    pub key: String,
    /// Counties whose every precinct it may report.
    pub counties: Vec<CountyId>,
    /// Further precincts it may report.
    pub precincts: Vec<PrecinctId>,
}

/// The canonical bytes of an election definition: what `definition_sha256` hashes and what
/// `GET /api/election` serves (compact JSON, `canvass_model::to_canonical_json`).
pub fn definition_bytes(election: &Election) -> Vec<u8> {
    canvass_model::to_canonical_json(election)
}

/// SHA-256 (lowercase hex) of [`definition_bytes`].
pub fn definition_sha256(election: &Election) -> String {
    crate::entry::sha256_hex(&definition_bytes(election))
}

impl Roster {
    /// The roster of `election`, with `keys[i]` the key of `election.jurisdictions[i]`, bound
    /// to the definition by its SHA-256 ([`definition_sha256`]).
    pub fn new(
        election: &Election,
        authority: &PublicKey,
        log: &PublicKey,
        keys: &[PublicKey],
    ) -> Roster {
        Roster {
            election: election.election.id.clone(),
            definition_sha256: Some(definition_sha256(election)),
            authority: authority.to_vkey(),
            log: log.to_vkey(),
            jurisdictions: election
                .jurisdictions
                .iter()
                .zip(keys)
                .map(|(j, k)| RosterEntry {
                    id: j.id.clone(),
                    name: j.name.clone(),
                    state: j.state.clone(),
                    key: k.to_vkey(),
                    counties: j.counties.clone(),
                    precincts: j.precincts.clone(),
                })
                .collect(),
        }
    }

    /// The signed roster document.
    pub fn sign(&self, authority: &SecretKey) -> String {
        note::sign(
            &note::body(ROSTER_TYPE, &canonical::encode(self)),
            authority,
        )
    }

    /// Opens a signed roster: it must be canonical and signed by the authority key it names
    /// (and, if `expected` is given, that key must be `expected`).
    ///
    /// # Errors
    /// [`RosterError`] naming what is malformed or that the signature does not verify.
    pub fn open(doc: &[u8], expected: Option<&PublicKey>) -> Result<Roster, RosterError> {
        let what = "roster";
        let (roster, n): (Roster, _) = open_doc(doc, what, ROSTER_TYPE)?;
        let authority =
            PublicKey::from_vkey(&roster.authority).map_err(|e| RosterError::Malformed {
                what,
                reason: format!("field authority: {e}"),
            })?;
        if expected.is_some_and(|x| *x != authority) || !signed_by(&n, &authority) {
            return Err(RosterError::BadSignature {
                what,
                authority: format!(
                    "{}+{:08x}",
                    expected.unwrap_or(&authority).name(),
                    expected.unwrap_or(&authority).id()
                ),
            });
        }
        Ok(roster)
    }
}

/// A change of a jurisdiction's key, signed by the authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyChange {
    /// The election.
    pub election: ElectionId,
    /// Key changes are numbered 1, 2, 3, ... per election.
    pub sequence: u64,
    /// The jurisdiction whose key changes.
    pub jurisdiction: JurisdictionId,
    /// Seconds since the Unix epoch (UTC).
    pub timestamp: u64,
    /// Why, in words.
    pub reason: String,
    /// What changes.
    pub change: KeyAction,
}

/// What a key change does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum KeyAction {
    /// Every current key of the jurisdiction is retired and `new` becomes its key.
    Rotate {
        /// The new verifier key (vkey).
        new: String,
    },
    /// `key` is revoked: nothing it signs is accepted any more.
    Revoke {
        /// The revoked verifier key (vkey).
        key: String,
    },
}

impl KeyChange {
    /// The signed key-change document.
    pub fn sign(&self, authority: &SecretKey) -> String {
        note::sign(
            &note::body(KEY_CHANGE_TYPE, &canonical::encode(self)),
            authority,
        )
    }
}

/// How a roster key stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    /// Index of the jurisdiction in the roster.
    pub jurisdiction: usize,
    /// The key.
    pub key: PublicKey,
    /// The key change that retired or revoked it, if any.
    pub revoked_by: Option<u64>,
}

/// The roster with every key change applied: the keys in force.
#[derive(Debug, Clone)]
pub struct RosterState {
    roster: Roster,
    authority: PublicKey,
    keys: HashMap<(String, u32), KeyEntry>,
    jurisdiction_of: HashMap<String, usize>,
    changes: u64,
}

impl RosterState {
    /// The state of a roster before any key change.
    ///
    /// # Errors
    /// [`RosterError::Malformed`] for an invalid key or a duplicate jurisdiction or key.
    pub fn new(roster: Roster) -> Result<Self, RosterError> {
        let bad = |reason: String| RosterError::Malformed {
            what: "roster",
            reason,
        };
        let authority = PublicKey::from_vkey(&roster.authority)
            .map_err(|e| bad(format!("field authority: {e}")))?;
        let mut keys = HashMap::with_capacity(roster.jurisdictions.len());
        let mut jurisdiction_of = HashMap::with_capacity(roster.jurisdictions.len());
        for (i, j) in roster.jurisdictions.iter().enumerate() {
            let key = PublicKey::from_vkey(&j.key)
                .map_err(|e| bad(format!("jurisdictions[{i}].key: {e}")))?;
            if jurisdiction_of.insert(j.id.to_string(), i).is_some() {
                return Err(bad(format!(
                    "jurisdictions[{i}].id: {} appears twice",
                    j.id
                )));
            }
            let k = (key.name().to_owned(), key.id());
            let entry = KeyEntry {
                jurisdiction: i,
                key,
                revoked_by: None,
            };
            if keys.insert(k, entry).is_some() {
                return Err(bad(format!("jurisdictions[{i}].key is used twice")));
            }
        }
        Ok(RosterState {
            roster,
            authority,
            keys,
            jurisdiction_of,
            changes: 0,
        })
    }

    /// The roster as signed.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// The authority's key.
    pub fn authority(&self) -> &PublicKey {
        &self.authority
    }

    /// The sequence number of the last key change applied (0 for none).
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// The roster entry of a jurisdiction, with its index.
    pub fn jurisdiction(&self, id: &str) -> Option<(usize, &RosterEntry)> {
        let &i = self.jurisdiction_of.get(id)?;
        Some((i, &self.roster.jurisdictions[i]))
    }

    /// The key with this name and id, current or revoked.
    pub fn key(&self, name: &str, id: u32) -> Option<&KeyEntry> {
        self.keys.get(&(name.to_owned(), id))
    }

    /// Applies a key change that is already authenticated.
    ///
    /// # Errors
    /// [`RosterError::BadChange`] if it is for another election, out of sequence, for an
    /// unknown jurisdiction, or names a key that is not the jurisdiction's.
    pub fn apply(&mut self, c: &KeyChange) -> Result<(), RosterError> {
        let bad = |reason: String| RosterError::BadChange {
            sequence: c.sequence,
            reason,
        };
        if c.election != self.roster.election {
            return Err(bad(format!(
                "it is for election {}, not {}",
                c.election, self.roster.election
            )));
        }
        if c.sequence != self.changes + 1 {
            return Err(bad(format!(
                "expected key change {} next: apply key changes in order",
                self.changes + 1
            )));
        }
        let (j, _) = self.jurisdiction(c.jurisdiction.as_str()).ok_or_else(|| {
            bad(format!(
                "jurisdiction {} is not in the roster",
                c.jurisdiction
            ))
        })?;
        match &c.change {
            KeyAction::Rotate { new } => {
                let key = PublicKey::from_vkey(new).map_err(|e| bad(format!("field new: {e}")))?;
                let k = (key.name().to_owned(), key.id());
                if self.keys.contains_key(&k) {
                    return Err(bad("field new: the key is already in the roster".into()));
                }
                for e in self.keys.values_mut() {
                    if e.jurisdiction == j && e.revoked_by.is_none() {
                        e.revoked_by = Some(c.sequence);
                    }
                }
                self.keys.insert(
                    k,
                    KeyEntry {
                        jurisdiction: j,
                        key,
                        revoked_by: None,
                    },
                );
            }
            KeyAction::Revoke { key } => {
                let key = PublicKey::from_vkey(key).map_err(|e| bad(format!("field key: {e}")))?;
                let e = self
                    .keys
                    .get_mut(&(key.name().to_owned(), key.id()))
                    .filter(|e| e.jurisdiction == j)
                    .ok_or_else(|| {
                        bad(format!(
                            "field key: not a key of jurisdiction {}",
                            c.jurisdiction
                        ))
                    })?;
                e.revoked_by.get_or_insert(c.sequence);
            }
        }
        self.changes = c.sequence;
        Ok(())
    }

    /// Authenticates a signed key change (canonical, signed by the authority) and applies it.
    ///
    /// # Errors
    /// As [`RosterState::apply`], and [`RosterError`] for a malformed or unsigned document.
    pub fn apply_signed(&mut self, doc: &[u8]) -> Result<KeyChange, RosterError> {
        let what = "key change";
        let (c, n): (KeyChange, _) = open_doc(doc, what, KEY_CHANGE_TYPE)?;
        if !signed_by(&n, &self.authority) {
            return Err(RosterError::BadSignature {
                what,
                authority: format!("{}+{:08x}", self.authority.name(), self.authority.id()),
            });
        }
        self.apply(&c)?;
        Ok(c)
    }
}

/// Opens a canonical document of type `kind` signed by `key` (among its signatures).
///
/// # Errors
/// [`RosterError`] for a malformed, non-canonical or unsigned document.
pub fn open_signed<T>(
    doc: &[u8],
    what: &'static str,
    kind: &str,
    key: &PublicKey,
) -> Result<T, RosterError>
where
    T: Serialize + serde::de::DeserializeOwned,
{
    let (t, n): (T, _) = open_doc(doc, what, kind)?;
    if !signed_by(&n, key) {
        return Err(RosterError::BadSignature {
            what,
            authority: format!("{}+{:08x}", key.name(), key.id()),
        });
    }
    Ok(t)
}

fn signed_by(n: &note::Note<'_>, key: &PublicKey) -> bool {
    n.signatures.iter().any(|s| {
        s.name == key.name() && s.id == key.id() && key.verify(n.body.as_bytes(), &s.signature)
    })
}

fn open_doc<'a, T>(
    doc: &'a [u8],
    what: &'static str,
    kind: &str,
) -> Result<(T, note::Note<'a>), RosterError>
where
    T: Serialize + serde::de::DeserializeOwned,
{
    let n = note::parse(doc).map_err(|reason| RosterError::Malformed { what, reason })?;
    if n.kind != kind {
        return Err(RosterError::Malformed {
            what,
            reason: format!("type line is {:?}, expected {kind:?}", n.kind),
        });
    }
    match canonical::decode::<T>(n.json) {
        Ok(t) => Ok((t, n)),
        Err(DecodeError::Malformed(reason)) => Err(RosterError::Malformed { what, reason }),
        Err(DecodeError::NotCanonical) => Err(RosterError::NotCanonical { what }),
    }
}
