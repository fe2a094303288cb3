//! The canvass transparency log, as pure functions and plain data (no I/O).
//!
//! - [`hash`]: RFC 6962 leaf and node hashing.
//! - [`merkle`]: tree hashes, inclusion and consistency proofs (RFC 6962 / RFC 9162).
//! - [`batch`]: many inclusion proofs against one tree: [`InclusionVerifier`] (stops at nodes
//!   already proven) and [`InclusionProver`] (reuses the previous proof's upper levels).
//! - [`tile`]: C2SP tlog-tiles paths and entry bundles.
//! - [`checkpoint`]: C2SP tlog-checkpoint bodies signed as C2SP signed-notes (Ed25519), keys.
//! - [`cosign`]: C2SP tlog-cosignature (Ed25519, `cosignature/v1`) and k-of-n witness policies.
//! - [`witness`]: the decision logic of a C2SP tlog-witness `add-checkpoint` call.
//!
//! Durable storage of a log lives in `canvass-store` (module `tlog`).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod batch;
pub mod checkpoint;
pub mod cosign;
pub mod hash;
pub mod merkle;
pub mod tile;
pub mod witness;

pub use batch::{DEFAULT_CACHE_NODES, InclusionProver, InclusionVerifier};
pub use checkpoint::{Checkpoint, LogSigner, LogVerifier, NoteError};
pub use cosign::{CosignatureVerifier, Cosigner, WitnessPolicy};
pub use hash::{EMPTY_ROOT, HASH_SIZE, Hash, leaf_hash, node_hash};
pub use merkle::{
    MemoryTree, NodeSource, NodeUnavailable, ProofError, VerifyError, consistency_proof,
    inclusion_proof, inclusion_proof_into, root_from_inclusion_proof, tree_root,
    verify_consistency, verify_inclusion,
};
pub use tile::{Tile, TileKind};
