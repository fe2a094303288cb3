//! Merkle tree math from RFC 6962 section 2.1 (tree hash, audit paths, consistency proofs), with
//! proof verification as specified in RFC 9162 sections 2.1.3.2 and 2.1.4.2.
//!
//! Proof generation reads *complete* nodes through a [`NodeSource`]: node `(level, index)` is
//! `MTH(D[index * 2^level : (index + 1) * 2^level])`. An in-memory source is [`MemoryTree`]; the
//! file-backed log in `canvass-store` reads nodes from its tiles.

use crate::hash::{EMPTY_ROOT, Hash, leaf_hash, node_hash};

/// A node of the tree could not be read (for example a tile file is missing or unreadable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("merkle node at level {level} index {index} is unavailable: {reason}")]
pub struct NodeUnavailable {
    /// Level of the node (0 = leaf hashes).
    pub level: u8,
    /// Index of the node within its level.
    pub index: u64,
    /// Why it could not be read.
    pub reason: String,
}

/// Source of complete Merkle tree nodes.
pub trait NodeSource {
    /// Returns `MTH(D[index * 2^level : (index + 1) * 2^level])`; callers only ask for nodes that
    /// lie entirely inside the tree.
    ///
    /// # Errors
    /// [`NodeUnavailable`] if the node cannot be read.
    fn node(&self, level: u8, index: u64) -> Result<Hash, NodeUnavailable>;

    /// Starts bringing node `(level, index)` into the CPU cache because it will be read soon,
    /// returning any byte of it (callers ignore the value). In-memory sources implement this
    /// with a plain load so that the independent cache misses of one proof overlap; the default
    /// does nothing.
    fn touch(&self, level: u8, index: u64) -> u8 {
        let _ = (level, index);
        0
    }
}

/// Errors from proof generation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not in a tree of size {size}: pick an index below the size")]
    IndexOutOfRange {
        /// Requested leaf index.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// The sizes are not `0 < old <= new`.
    #[error(
        "cannot prove consistency from size {old} to size {new}: need 0 < old <= new (the empty tree is consistent with every tree without a proof)"
    )]
    BadSizes {
        /// Older tree size.
        old: u64,
        /// Newer tree size.
        new: u64,
    },
    /// The requested tree is larger than the source holds.
    #[error("tree size {size} is larger than the {available} entries available")]
    TooLarge {
        /// Requested size.
        size: u64,
        /// Entries available.
        available: u64,
    },
    /// A node could not be read.
    #[error(transparent)]
    Node(#[from] NodeUnavailable),
}

/// Errors from proof verification; any error means the proof must not be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// Leaf index.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// The proof has the wrong number of hashes for these sizes.
    #[error("proof has {got} hashes but {want} are required for these sizes")]
    WrongProofLength {
        /// Hashes supplied.
        got: usize,
        /// Hashes required.
        want: usize,
    },
    /// The new size is smaller than the old size.
    #[error("new tree size {new} is smaller than old tree size {old}: a log never shrinks")]
    Shrunk {
        /// Older tree size.
        old: u64,
        /// Newer tree size.
        new: u64,
    },
    /// A consistency proof from the empty tree was requested.
    #[error(
        "consistency from an empty tree proves nothing: check the new checkpoint's signature instead"
    )]
    EmptyOld,
    /// A batch verifier ([`crate::InclusionVerifier`]) found that the proof disagrees with a
    /// node already proven to lie on a path to the trusted root.
    #[error(
        "proof disagrees with the proven tree node at level {level} index {index}: the leaf, index or proof is wrong"
    )]
    PathMismatch {
        /// Level of the proven node (0 = leaf hashes).
        level: u32,
        /// Index of the node within its level.
        index: u64,
    },
    /// The recomputed root does not match.
    #[error("{which} root mismatch: the proof computes {computed} but {expected} was claimed")]
    RootMismatch {
        /// Which root failed ("tree", "old", "new").
        which: &'static str,
        /// The root computed from the proof.
        computed: Hash,
        /// The root that was claimed.
        expected: Hash,
    },
}

/// Largest power of two strictly smaller than `n` (for `n >= 2`).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// `MTH(D[start:end])` for a range whose `start` is aligned to a power of two at least
/// `end - start` (every range that appears in RFC 6962's recursive definitions is).
///
/// # Errors
/// [`NodeUnavailable`] if a node cannot be read.
pub fn range_root<S: NodeSource + ?Sized>(
    src: &S,
    start: u64,
    end: u64,
) -> Result<Hash, NodeUnavailable> {
    if start >= end {
        return Ok(EMPTY_ROOT);
    }
    let len = end - start;
    if start == 0 || u64::from(start.trailing_zeros()) >= u64::from(64 - (len - 1).leading_zeros())
    {
        // Aligned start (every RFC 6962 range): the perfect subtrees are the set bits of `len`,
        // largest first. Fold from the smallest (rightmost) without a buffer.
        let mut bits = len;
        let mut level = bits.trailing_zeros();
        let mut acc = src.node(level as u8, (end - (1u64 << level)) >> level)?;
        let mut right_start = end - (1u64 << level);
        bits &= bits - 1;
        while bits != 0 {
            level = bits.trailing_zeros();
            let left_start = right_start - (1u64 << level);
            acc = node_hash(&src.node(level as u8, left_start >> level)?, &acc);
            right_start = left_start;
            bits &= bits - 1;
        }
        return Ok(acc);
    }
    // Unaligned range: decompose into aligned perfect subtrees, then fold from the right.
    let mut parts = [EMPTY_ROOT; 128];
    let mut count = 0usize;
    let mut pos = start;
    while pos < end {
        let remaining = end - pos;
        let mut level = 63 - remaining.leading_zeros();
        if pos != 0 {
            level = level.min(pos.trailing_zeros());
        }
        // `level` is below 64 because `remaining` is non-zero; an aligned decomposition of a
        // 64-bit range has at most 128 pieces.
        parts[count] = src.node(level as u8, pos >> level)?;
        count += 1;
        pos += 1u64 << level;
    }
    let mut acc = parts[count - 1];
    for left in parts[..count - 1].iter().rev() {
        acc = node_hash(left, &acc);
    }
    Ok(acc)
}

/// The RFC 6962 Merkle tree hash of the first `size` leaves.
///
/// # Errors
/// [`NodeUnavailable`] if a node cannot be read.
pub fn tree_root<S: NodeSource + ?Sized>(src: &S, size: u64) -> Result<Hash, NodeUnavailable> {
    range_root(src, 0, size)
}

/// RFC 6962 audit path `PATH(index, D[0:size])`, leaf side first.
///
/// # Errors
/// [`ProofError::IndexOutOfRange`] unless `index < size`; [`ProofError::Node`] if a node cannot
/// be read.
pub fn inclusion_proof<S: NodeSource + ?Sized>(
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofError> {
    let mut out = Vec::with_capacity(64);
    inclusion_proof_into(src, index, size, &mut out)?;
    Ok(out)
}

/// [`inclusion_proof`] into a caller's buffer (cleared first), so that a server generating many
/// proofs allocates nothing per proof.
///
/// # Errors
/// As for [`inclusion_proof`]; `out` is then left empty.
pub fn inclusion_proof_into<S: NodeSource + ?Sized>(
    src: &S,
    index: u64,
    size: u64,
    out: &mut Vec<Hash>,
) -> Result<(), ProofError> {
    out.clear();
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    // First pass: touch every perfect sibling subtree root so that their cache misses overlap
    // instead of being paid one after the other in the second pass.
    let (mut lo, mut hi) = (0u64, size);
    let mut touched = 0u8;
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        let (start, len) = if index < lo + k {
            (lo + k, hi - lo - k)
        } else {
            (lo, k)
        };
        if len.is_power_of_two() {
            let level = len.trailing_zeros();
            touched ^= src.touch(level as u8, start >> level);
        }
        if index < lo + k {
            hi = lo + k;
        } else {
            lo += k;
        }
    }
    std::hint::black_box(touched);
    let (mut lo, mut hi) = (0u64, size);
    // Walk from the root down, collecting siblings; reverse at the end (leaf side first).
    let mut walk = |out: &mut Vec<Hash>| -> Result<(), ProofError> {
        while hi - lo > 1 {
            let k = split_point(hi - lo);
            if index < lo + k {
                out.push(range_root(src, lo + k, hi)?);
                hi = lo + k;
            } else {
                out.push(range_root(src, lo, lo + k)?);
                lo += k;
            }
        }
        Ok(())
    };
    if let Err(e) = walk(out) {
        out.clear();
        return Err(e);
    }
    out.reverse();
    Ok(())
}

/// RFC 6962 consistency proof `PROOF(old, D[0:new])`; empty when `old == new`.
///
/// # Errors
/// [`ProofError::BadSizes`] unless `0 < old <= new`; [`ProofError::Node`] if a node cannot be
/// read.
pub fn consistency_proof<S: NodeSource + ?Sized>(
    src: &S,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, ProofError> {
    if old == 0 || old > new {
        return Err(ProofError::BadSizes { old, new });
    }
    let mut out = Vec::with_capacity(64);
    // SUBPROOF(m, D[lo:hi], b), unrolled: the recursion only ever descends one side.
    let (mut m, mut lo, mut hi, mut complete) = (old, 0u64, new, true);
    loop {
        let n = hi - lo;
        if m == n {
            if !complete {
                out.push(range_root(src, lo, hi)?);
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            out.push(range_root(src, lo + k, hi)?);
            hi = lo + k;
        } else {
            out.push(range_root(src, lo, lo + k)?);
            m -= k;
            lo += k;
            complete = false;
        }
    }
    // Siblings were collected top-down; RFC 6962 lists the innermost first.
    out.reverse();
    Ok(out)
}

/// Number of inner proof hashes and border hashes for leaf `index` in a tree of `size`.
fn decompose(index: u64, size: u64) -> (usize, usize) {
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = (index >> inner).count_ones() as usize;
    (inner, border)
}

fn chain_inner(mut seed: Hash, proof: &[Hash], index: u64) -> Hash {
    for (i, h) in proof.iter().enumerate() {
        seed = if (index >> i) & 1 == 0 {
            node_hash(&seed, h)
        } else {
            node_hash(h, &seed)
        };
    }
    seed
}

fn chain_inner_right(mut seed: Hash, proof: &[Hash], index: u64) -> Hash {
    for (i, h) in proof.iter().enumerate() {
        if (index >> i) & 1 == 1 {
            seed = node_hash(h, &seed);
        }
    }
    seed
}

fn chain_border_right(mut seed: Hash, proof: &[Hash]) -> Hash {
    for h in proof {
        seed = node_hash(h, &seed);
    }
    seed
}

/// Recomputes the root from an inclusion proof (RFC 9162 section 2.1.3.2).
///
/// # Errors
/// [`VerifyError::IndexOutOfRange`] or [`VerifyError::WrongProofLength`].
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, VerifyError> {
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    let (inner, border) = decompose(index, size);
    if proof.len() != inner + border {
        return Err(VerifyError::WrongProofLength {
            got: proof.len(),
            want: inner + border,
        });
    }
    let res = chain_inner(*leaf, &proof[..inner], index);
    Ok(chain_border_right(res, &proof[inner..]))
}

/// Verifies that `leaf` (a leaf hash) is at `index` in the tree of `size` with `root`.
///
/// # Errors
/// Any [`VerifyError`]; the proof must then not be trusted.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    let computed = root_from_inclusion_proof(index, size, leaf, proof)?;
    if computed != *root {
        return Err(VerifyError::RootMismatch {
            which: "tree",
            computed,
            expected: *root,
        });
    }
    Ok(())
}

/// Verifies that the tree of `new_size` with `new_root` extends the tree of `old_size` with
/// `old_root` (RFC 9162 section 2.1.4.2). `old_size` must be at least 1: the empty tree is
/// consistent with everything, so a proof from it proves nothing.
///
/// # Errors
/// Any [`VerifyError`]; the trees must then not be considered consistent.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), VerifyError> {
    if new_size < old_size {
        return Err(VerifyError::Shrunk {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 {
        return Err(VerifyError::EmptyOld);
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(VerifyError::WrongProofLength {
                got: proof.len(),
                want: 0,
            });
        }
        if old_root != new_root {
            return Err(VerifyError::RootMismatch {
                which: "new",
                computed: *old_root,
                expected: *new_root,
            });
        }
        return Ok(());
    }
    let (inner, border) = decompose(old_size - 1, new_size);
    let shift = old_size.trailing_zeros() as usize;
    let inner = inner - shift; // shift < inner because old_size < new_size
    let (seed, rest) = if old_size == 1u64 << shift {
        (*old_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => {
                return Err(VerifyError::WrongProofLength {
                    got: 0,
                    want: 1 + inner + border,
                });
            }
        }
    };
    let want = proof.len() - rest.len() + inner + border;
    if proof.len() != want {
        return Err(VerifyError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    let mask = (old_size - 1) >> shift;
    let h1 = chain_border_right(
        chain_inner_right(seed, &rest[..inner], mask),
        &rest[inner..],
    );
    if h1 != *old_root {
        return Err(VerifyError::RootMismatch {
            which: "old",
            computed: h1,
            expected: *old_root,
        });
    }
    let h2 = chain_border_right(chain_inner(seed, &rest[..inner], mask), &rest[inner..]);
    if h2 != *new_root {
        return Err(VerifyError::RootMismatch {
            which: "new",
            computed: h2,
            expected: *new_root,
        });
    }
    Ok(())
}

/// An in-memory Merkle tree keeping every complete node; for tests, tools and small logs.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree of the given entries.
    pub fn from_entries<I: IntoIterator<Item = E>, E: AsRef<[u8]>>(entries: I) -> Self {
        let mut t = Self::new();
        for e in entries {
            t.push_entry(e.as_ref());
        }
        t
    }

    /// Appends an entry (hashing it as a leaf) and returns its index.
    pub fn push_entry(&mut self, entry: &[u8]) -> u64 {
        self.push_leaf_hash(leaf_hash(entry))
    }

    /// Appends an already computed leaf hash and returns its index.
    pub fn push_leaf_hash(&mut self, leaf: Hash) -> u64 {
        let index = self.size();
        let mut h = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(h);
            let len = self.levels[level].len();
            if len % 2 == 1 {
                break;
            }
            h = node_hash(&self.levels[level][len - 2], &self.levels[level][len - 1]);
            level += 1;
        }
        index
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Root of the whole tree.
    pub fn root(&self) -> Hash {
        self.root_at(self.size())
    }

    /// Root of the first `size` leaves (`size` at most [`Self::size`], else the empty root).
    pub fn root_at(&self, size: u64) -> Hash {
        if size > self.size() {
            return EMPTY_ROOT;
        }
        // Every node below `size` is present, so this cannot fail.
        tree_root(self, size).unwrap_or(EMPTY_ROOT)
    }

    /// Inclusion proof for `index` in the tree of `size`.
    ///
    /// # Errors
    /// [`ProofError`] for out-of-range arguments.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(size)?;
        inclusion_proof(self, index, size)
    }

    /// Consistency proof from `old` to `new`.
    ///
    /// # Errors
    /// [`ProofError`] for out-of-range arguments.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(new)?;
        consistency_proof(self, old, new)
    }

    fn check_size(&self, size: u64) -> Result<(), ProofError> {
        if size > self.size() {
            return Err(ProofError::TooLarge {
                size,
                available: self.size(),
            });
        }
        Ok(())
    }
}

impl NodeSource for MemoryTree {
    fn node(&self, level: u8, index: u64) -> Result<Hash, NodeUnavailable> {
        self.levels
            .get(usize::from(level))
            .and_then(|l| usize::try_from(index).ok().and_then(|i| l.get(i)))
            .copied()
            .ok_or_else(|| NodeUnavailable {
                level,
                index,
                reason: "not in the in-memory tree".into(),
            })
    }

    fn touch(&self, level: u8, index: u64) -> u8 {
        self.levels
            .get(usize::from(level))
            .and_then(|l| usize::try_from(index).ok().and_then(|i| l.get(i)))
            .map_or(0, |h| h.0[0])
    }
}

/// The RFC 6962 tree hash of a list of already computed leaf hashes (e.g. a tile's hashes).
pub fn root_of_hashes(hashes: &[Hash]) -> Hash {
    match hashes.len() {
        0 => EMPTY_ROOT,
        1 => hashes[0],
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(&root_of_hashes(&hashes[..k]), &root_of_hashes(&hashes[k..]))
        }
    }
}
