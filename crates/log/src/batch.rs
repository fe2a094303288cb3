//! Many RFC 6962 inclusion proofs against one tree: a batch verifier that stops hashing as soon
//! as a proof reaches a node already proven to lie on a verified path to the trusted root, and a
//! batch prover that reuses the upper part of the previous proof.
//!
//! Both walk the same levels as RFC 9162 section 2.1.3.2, written per level instead of as
//! "inner" and "border" parts. For leaf `index` in a tree of `size >= 2` leaves, the path has
//! `depth = bit_length(size - 1)` levels; at level `l` the path node is `index >> l` and
//!
//! ```text
//! bit l of index = 1                      -> sibling on the left  (complete subtree)
//! bit l of index = 0, index >> l < (size - 1) >> l
//!                                          -> sibling on the right (may be a partial subtree)
//! otherwise                               -> no sibling: the node passes up unchanged
//! ```
//!
//! and the proof lists the siblings that exist, leaf side first.
//!
//! # Soundness of [`InclusionVerifier`]
//!
//! The verifier remembers the last path it verified: for every level, the node's position, its
//! hash and its sibling's hash. Every one of those hashes was part of a chain of node hashes
//! that ends at the trusted root, so (SHA-256 being collision resistant) each equals the true
//! node of the tree at its position. A new proof is hashed upwards until its node reaches a
//! position on that path (the path node itself, or the path node's sibling); there its hash
//! must equal the remembered one, and every remaining proof hash must equal the remembered
//! sibling at its level. So every byte of the proof, the leaf hash and the index are still
//! checked: a proof that [`verify_inclusion`](crate::verify_inclusion) rejects is rejected
//! here too, unless the two chains exhibit a SHA-256 collision. Failed proofs never change
//! what is remembered.
//!
//! It also remembers every proven node on the levels nearest the root (as many levels as fit
//! in a node budget, [`DEFAULT_CACHE_NODES`] by default), each with its sibling and parent, so
//! a proof in any order stops at the first remembered node on its path, with the same checks.
//!
//! Proofs for consecutive leaves share all but about two levels, so an auditor verifying every
//! entry in order hashes about one node per proof instead of `depth`. In random order, a proof
//! hashes only the levels below the remembered ones (for 2^20 leaves and the default budget,
//! 5 levels instead of 20), once those are filled.

use crate::hash::{Hash, node_hash};
use crate::merkle::{NodeSource, ProofError, VerifyError, range_root};

/// Number of levels between the leaves and the root of a tree of `size` leaves (0 for one leaf).
fn depth_of(size: u64) -> u32 {
    if size <= 1 {
        0
    } else {
        64 - (size - 1).leading_zeros()
    }
}

/// Whether the node at `idx` on level `level` has a right sibling inside a tree of `size`.
fn has_right_sibling(idx: u64, level: u32, size: u64) -> bool {
    // (idx + 1) * 2^level < size, without overflow: idx + 1 <= (size - 1) >> level.
    idx < (size - 1) >> level
}

/// Number of hashes in the inclusion proof of leaf `index` in a tree of `size` (RFC 9162: the
/// inner part, where `index` and `size - 1` differ, plus one border hash per set bit above it).
fn proof_len(index: u64, size: u64) -> usize {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// One level of the last verified path.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// Position of the path node on this level.
    index: u64,
    /// Hash of the path node.
    node: Hash,
    /// Hash of its sibling (meaningful only if `has_sibling`).
    sibling: Hash,
    /// Whether the node has a sibling inside the tree.
    has_sibling: bool,
}

/// Verifies many inclusion proofs against one trusted `(size, root)`, remembering the last
/// verified path so that proofs for nearby leaves are checked with few hashes (see the module
/// documentation for why this is as strong as verifying each proof alone).
///
/// ```
/// use canvass_log::{InclusionVerifier, MemoryTree, leaf_hash};
///
/// let tree = MemoryTree::from_entries((0u32..100).map(|i| i.to_le_bytes()));
/// let mut verifier = InclusionVerifier::new(tree.size(), tree.root());
/// for i in 0..100u64 {
///     let proof = tree.inclusion_proof(i, 100).unwrap();
///     verifier.verify(i, &leaf_hash(&(i as u32).to_le_bytes()), &proof).unwrap();
/// }
/// // A wrong leaf is still rejected once every path is known.
/// let proof = tree.inclusion_proof(7, 100).unwrap();
/// assert!(verifier.verify(7, &leaf_hash(b"forged"), &proof).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct InclusionVerifier {
    size: u64,
    root: Hash,
    depth: u32,
    /// The last verified path, one slot per level `0..depth`; empty until a proof verifies.
    path: Vec<Slot>,
    /// Scratch space for the path being verified.
    scratch: Vec<Slot>,
    /// Lowest level of `top`.
    cut: u32,
    /// Every proven node on levels `cut..depth`, level by level (`None`: not proven yet).
    /// Invariant: a node present here has its sibling (if the tree has one) and its parent
    /// (below the root) present too, so every proven node's path to the root is here.
    top: Vec<Option<Hash>>,
    /// Offset in `top` of each level `cut..depth`.
    top_offset: Vec<usize>,
}

/// Default number of nodes [`InclusionVerifier::new`] may remember near the root (about 2 MiB).
pub const DEFAULT_CACHE_NODES: usize = 1 << 16;

impl InclusionVerifier {
    /// A verifier for the tree of `size` leaves whose root is `root` (taken from a checkpoint
    /// whose signature the caller has already checked).
    ///
    /// Besides the last verified path, it remembers every proven node on the levels near the
    /// root, as many levels as fit in [`DEFAULT_CACHE_NODES`] nodes, so that proofs in random
    /// order stop there too.
    pub fn new(size: u64, root: Hash) -> Self {
        Self::with_cache_nodes(size, root, DEFAULT_CACHE_NODES)
    }

    /// As [`Self::new`], remembering at most `nodes` proven nodes near the root (33 bytes
    /// each); `0` keeps only the last verified path.
    pub fn with_cache_nodes(size: u64, root: Hash, nodes: usize) -> Self {
        let depth = depth_of(size);
        // Lowest level such that the levels from it up to just below the root fit in `nodes`.
        let width =
            |level: u32| usize::try_from(((size.max(1) - 1) >> level) + 1).unwrap_or(usize::MAX);
        let mut cut = depth;
        let mut total = 0usize;
        while cut > 0 && total.saturating_add(width(cut - 1)) <= nodes {
            cut -= 1;
            total += width(cut);
        }
        let mut top_offset = Vec::with_capacity((depth - cut) as usize);
        let mut off = 0usize;
        for level in cut..depth {
            top_offset.push(off);
            off += width(level);
        }
        Self {
            size,
            root,
            depth,
            path: Vec::with_capacity(depth as usize),
            scratch: vec![Slot::default(); depth as usize],
            cut,
            top: vec![None; off],
            top_offset,
        }
    }

    /// The proven node at `(level, idx)` near the root, if remembered.
    fn top_node(&self, level: u32, idx: u64) -> Option<Hash> {
        if level < self.cut {
            return None;
        }
        let i = self.top_offset[(level - self.cut) as usize] + usize::try_from(idx).ok()?;
        self.top.get(i).copied().flatten()
    }

    /// Remembers the nodes (and siblings) of the path just verified on levels `cut..upto`.
    fn remember_top(&mut self, upto: u32) {
        for level in self.cut..upto {
            let s = self.scratch[level as usize];
            let off = self.top_offset[(level - self.cut) as usize];
            // Indexes on a level are below its width, which fits in `usize` (see above).
            let at = |i: u64| off + usize::try_from(i).unwrap_or(usize::MAX);
            if let Some(slot) = self.top.get_mut(at(s.index)) {
                *slot = Some(s.node);
            }
            if s.has_sibling {
                if let Some(slot) = self.top.get_mut(at(s.index ^ 1)) {
                    *slot = Some(s.sibling);
                }
            }
        }
    }

    /// The tree size proofs are checked against.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The trusted root proofs are checked against.
    pub fn root(&self) -> Hash {
        self.root
    }

    /// Verifies that `leaf` (a leaf hash) is at `index` in the trusted tree, given its RFC 6962
    /// audit path `proof` (leaf side first). Accepts exactly what
    /// [`verify_inclusion`](crate::verify_inclusion) accepts for the same size and root.
    ///
    /// # Errors
    /// [`VerifyError::IndexOutOfRange`], [`VerifyError::WrongProofLength`],
    /// [`VerifyError::RootMismatch`] when the proof is checked all the way to the root, or
    /// [`VerifyError::PathMismatch`] when it disagrees with a node already proven at some
    /// level. Any error means the proof must not be trusted.
    pub fn verify(&mut self, index: u64, leaf: &Hash, proof: &[Hash]) -> Result<(), VerifyError> {
        let size = self.size;
        if index >= size {
            return Err(VerifyError::IndexOutOfRange { index, size });
        }
        let depth = self.depth;
        let want = proof_len(index, size);
        if proof.len() != want {
            return Err(VerifyError::WrongProofLength {
                got: proof.len(),
                want,
            });
        }
        let known = !self.path.is_empty();
        let mut h = *leaf;
        let mut j = 0usize;
        for level in 0..depth {
            let idx = index >> level;
            if known {
                let slot = self.path[level as usize];
                if slot.index == idx {
                    // The path node itself: its hash and everything above are proven.
                    if slot.node != h {
                        return Err(mismatch(level, idx));
                    }
                    self.check_above(level, &proof[j..])?;
                    self.remember_top(level);
                    self.path[..level as usize].copy_from_slice(&self.scratch[..level as usize]);
                    return Ok(());
                }
                if slot.has_sibling && slot.index ^ 1 == idx {
                    // The path node's sibling: proven too, and our sibling is the path node.
                    if slot.sibling != h || proof.get(j) != Some(&slot.node) {
                        return Err(mismatch(level, idx));
                    }
                    self.check_above(level + 1, &proof[j + 1..])?;
                    self.remember_top(level);
                    self.path[..level as usize].copy_from_slice(&self.scratch[..level as usize]);
                    let s = &mut self.path[level as usize];
                    (s.index, s.node, s.sibling) = (idx, h, slot.node);
                    return Ok(());
                }
            }
            if let Some(proven) = self.top_node(level, idx) {
                // A remembered node near the root: proven, with its whole path above.
                if proven != h {
                    return Err(mismatch(level, idx));
                }
                self.check_above_top(level, index, &proof[j..])?;
                self.remember_top(level);
                // The last verified path stays as it was: it is still proven.
                return Ok(());
            }
            let slot = &mut self.scratch[level as usize];
            slot.index = idx;
            slot.node = h;
            if idx & 1 == 1 {
                slot.sibling = proof[j];
                slot.has_sibling = true;
                h = node_hash(&proof[j], &h);
                j += 1;
            } else if has_right_sibling(idx, level, size) {
                slot.sibling = proof[j];
                slot.has_sibling = true;
                h = node_hash(&h, &proof[j]);
                j += 1;
            } else {
                slot.has_sibling = false;
            }
        }
        if h != self.root {
            return Err(VerifyError::RootMismatch {
                which: "tree",
                computed: h,
                expected: self.root,
            });
        }
        // Proven all the way: this becomes the remembered path.
        self.remember_top(depth);
        self.path.clear();
        self.path.extend_from_slice(&self.scratch);
        Ok(())
    }

    /// Checks that `rest` lists exactly the remembered siblings on levels `from..depth`.
    fn check_above(&self, from: u32, rest: &[Hash]) -> Result<(), VerifyError> {
        let mut it = rest.iter();
        for level in from..self.depth {
            let slot = &self.path[level as usize];
            if slot.has_sibling && it.next() != Some(&slot.sibling) {
                return Err(mismatch(level, slot.index ^ 1));
            }
        }
        // Lengths were checked up front and both paths share these levels, so nothing is
        // left over; checked anyway so that no proof hash can go unexamined.
        if it.next().is_some() {
            return Err(mismatch(self.depth, 0));
        }
        Ok(())
    }
}

impl InclusionVerifier {
    /// Checks that `rest` lists exactly the remembered siblings of the path of `index` on
    /// levels `from..depth` (all remembered, by the invariant of `top`).
    fn check_above_top(&self, from: u32, index: u64, rest: &[Hash]) -> Result<(), VerifyError> {
        let mut it = rest.iter();
        for level in from..self.depth {
            let idx = index >> level;
            if idx & 1 == 1 || has_right_sibling(idx, level, self.size) {
                let want = self.top_node(level, idx ^ 1);
                if want.is_none() || it.next() != want.as_ref() {
                    return Err(mismatch(level, idx ^ 1));
                }
            }
        }
        if it.next().is_some() {
            return Err(mismatch(self.depth, 0));
        }
        Ok(())
    }
}

fn mismatch(level: u32, index: u64) -> VerifyError {
    VerifyError::PathMismatch { level, index }
}

/// Generates many inclusion proofs for one tree size, recomputing only the levels whose
/// sibling differs from the previous proof's (about two per proof for leaves in order; partial
/// right-edge subtrees are hashed once, not once per proof).
///
/// ```
/// use canvass_log::{InclusionProver, MemoryTree, inclusion_proof};
///
/// let tree = MemoryTree::from_entries((0u32..100).map(|i| i.to_le_bytes()));
/// let mut prover = InclusionProver::new(&tree, 100);
/// let mut proof = Vec::new();
/// for i in 0..100 {
///     prover.prove_into(i, &mut proof).unwrap();
///     assert_eq!(proof, inclusion_proof(&tree, i, 100).unwrap());
/// }
/// ```
#[derive(Debug)]
pub struct InclusionProver<'a, S: NodeSource + ?Sized> {
    src: &'a S,
    size: u64,
    depth: u32,
    /// Per level: `Some(sibling)` or `None` for the path of `last`.
    siblings: Vec<Option<Hash>>,
    /// Leaf whose path `siblings` holds, if any.
    last: Option<u64>,
}

impl<'a, S: NodeSource + ?Sized> InclusionProver<'a, S> {
    /// A prover for the tree of the first `size` leaves of `src` (which must hold them all).
    pub fn new(src: &'a S, size: u64) -> Self {
        let depth = depth_of(size);
        Self {
            src,
            size,
            depth,
            siblings: vec![None; depth as usize],
            last: None,
        }
    }

    /// The RFC 6962 audit path of `index` (leaf side first) into `out`, which is cleared first;
    /// the same hashes as [`inclusion_proof`](crate::inclusion_proof).
    ///
    /// # Errors
    /// [`ProofError::IndexOutOfRange`] unless `index < size`; [`ProofError::Node`] if a node
    /// cannot be read (`out` is then left empty and the next proof recomputes every level).
    pub fn prove_into(&mut self, index: u64, out: &mut Vec<Hash>) -> Result<(), ProofError> {
        out.clear();
        let size = self.size;
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        // Levels below `fresh` changed position since the last proof; the rest are reused.
        let fresh = match self.last {
            Some(last) => 64 - (last ^ index).leading_zeros(),
            None => self.depth,
        }
        .min(self.depth);
        self.last = None;
        let mut touched = 0u8;
        for level in 0..fresh {
            let idx = index >> level;
            if idx & 1 == 1 || has_right_sibling(idx, level, size) {
                touched ^= self.src.touch(level as u8, idx ^ 1);
            }
        }
        std::hint::black_box(touched);
        for level in 0..fresh {
            let idx = index >> level;
            self.siblings[level as usize] = if idx & 1 == 1 {
                Some(self.src.node(level as u8, idx - 1)?)
            } else if has_right_sibling(idx, level, size) {
                let start = (idx + 1) << level;
                let end = size.min(start + (1u64 << level));
                Some(range_root(self.src, start, end)?)
            } else {
                None
            };
        }
        self.last = Some(index);
        out.extend(self.siblings.iter().flatten());
        Ok(())
    }
}
