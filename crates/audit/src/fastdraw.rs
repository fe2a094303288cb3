//! Fast exact drawing for Rivest's consistent sampler over very large ballot populations.
//!
//! Drawing `take` ballots needs the `take` smallest first tickets, but every ballot's ticket
//! must be hashed. For a 160-million-ballot manifest we avoid building 160 million ticket
//! strings:
//!
//! 1. The 64 hex characters of `sha256_hex(seed)` fill exactly one SHA-256 block, so its
//!    compression is done once (the *midstate*); each ballot costs one more compression of its
//!    id plus padding. A manifest batch's ids are built by counting the position's digits up
//!    in place and compressed 64 at a time by `compress` (two side by side with the x86 SHA
//!    extensions, the rounds over the shared id prefix done once per 64).
//! 2. A ticket's first 9 digits are the reversed low 9 decimal digits of the hash, so
//!    `hash mod 10^9`, reversed, is a key whose order agrees with the tickets' string order
//!    (ties possible). We keep the `take` smallest keys and every ballot tied with the largest.
//! 3. Only those candidates get full tickets; the exact heap of [`crate::consistent`] runs on
//!    them. Any other ballot has at least `take` candidates with smaller first tickets, and
//!    with replacement every later ticket of a ballot exceeds its first, so it can never be
//!    among the first `take` draws: the result equals the plain algorithm's.
//!
//! The scan may be split over threads; the result does not depend on the thread count.

use sha2::digest::generic_array::GenericArray;

use crate::compress::compress_each;
use crate::consistent::{Draw, draw_from_first_tickets, sha256_hex, uniform};

/// The callback of [`IdSource::scan`]: `(index, run, prefix, suffix)`.
pub type ScanFn<'a> = dyn FnMut(u64, Option<usize>, &[u8], &[u8]) + 'a;

/// The callback of [`IdSource::runs`]: `(first index, prefix, first position, count)`.
pub type RunFn<'a> = dyn FnMut(u64, &[u8], u64, u64) + 'a;

/// A population of ballot ids that can be scanned in index order without storing every id.
pub trait IdSource: Sync {
    /// The number of ballots.
    fn len(&self) -> u64;
    /// Whether there are no ballots.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Calls `f(index, run, prefix, suffix)` for every index in `start..end`, in order; the id
    /// (the Python `str()` form of the ballot id, as UTF-8) is `prefix` followed by `suffix`.
    /// `run` may name the prefix (e.g. a batch number): calls with the same `Some(run)` must
    /// pass identical `prefix` bytes, so hashing can reuse them; `None` promises nothing.
    fn scan(&self, start: u64, end: u64, f: &mut ScanFn<'_>);
    /// The id of the ballot at `index` (in `0..len()`).
    fn id(&self, index: u64) -> String;
    /// Optionally, the ids in `start..end` as runs: `f(index, prefix, position, count)` says
    /// that the ids at `index .. index + count` are `prefix` followed by the decimal numbers
    /// `position ..` and `)` (a manifest's batches). Returns `false` (having called nothing)
    /// if the source has no such form; then [`IdSource::scan`] is used.
    fn runs(&self, start: u64, end: u64, f: &mut RunFn<'_>) -> bool {
        let _ = (start, end, f);
        false
    }
}

/// An [`IdSource`] over a list of id strings.
#[derive(Debug, Clone, Copy)]
pub struct IdList<'a> {
    ids: &'a [String],
}

impl<'a> IdList<'a> {
    /// Wraps a list of ids (each already in its Python `str()` form).
    pub fn new(ids: &'a [String]) -> Self {
        IdList { ids }
    }
}

impl IdSource for IdList<'_> {
    fn len(&self) -> u64 {
        self.ids.len() as u64
    }
    fn scan(&self, start: u64, end: u64, f: &mut ScanFn<'_>) {
        for i in start..end {
            f(i, None, self.ids[i as usize].as_bytes(), &[]);
        }
    }
    fn id(&self, index: u64) -> String {
        self.ids[index as usize].clone()
    }
}

/// SHA-256 initial hash value (FIPS 180-4, section 5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The SHA-256 state after absorbing the 64-byte block `sha256_hex(seed)`.
fn seed_midstate(seed_hex: &str) -> [u32; 8] {
    let mut state = SHA256_IV;
    let block = GenericArray::clone_from_slice(seed_hex.as_bytes());
    sha2::compress256(&mut state, &[block]);
    state
}

/// Hashes `seed_hex + prefix + suffix` from the midstate, reusing the last block when the
/// prefix slice is the same as last time.
struct IdHasher {
    midstate: [u32; 8],
    block: [u8; 64],
    /// The run whose prefix is now in `block`, if any.
    run: Option<usize>,
    /// Length of the id now in `block`.
    id_len: usize,
}

impl IdHasher {
    fn new(midstate: [u32; 8]) -> Self {
        IdHasher {
            midstate,
            block: [0u8; 64],
            run: None,
            id_len: 0,
        }
    }

    /// The 8 big-endian state words of SHA-256(`seed_hex` + `prefix` + `suffix`); `run` as in
    /// [`IdSource::scan`].
    #[inline]
    fn hash(&mut self, run: Option<usize>, prefix: &[u8], suffix: &[u8]) -> [u32; 8] {
        let len = prefix.len() + suffix.len();
        let mut state = self.midstate;
        if len > 55 {
            self.run = None;
            let mut tail = Vec::with_capacity(len + 72);
            tail.extend_from_slice(prefix);
            tail.extend_from_slice(suffix);
            pad_into(&mut tail);
            let blocks: Vec<_> = tail
                .chunks_exact(64)
                .map(GenericArray::clone_from_slice)
                .collect();
            sha2::compress256(&mut state, &blocks);
            return state;
        }
        if run.is_none() || run != self.run {
            self.block[..prefix.len()].copy_from_slice(prefix);
            self.run = run;
        }
        let p = prefix.len();
        for (dst, src) in self.block[p..len].iter_mut().zip(suffix) {
            *dst = *src;
        }
        self.block[len] = 0x80;
        if self.id_len > len {
            self.block[len + 1..=self.id_len].fill(0);
        }
        self.id_len = len;
        let total_bits = ((64 + len) as u64) * 8;
        self.block[56..].copy_from_slice(&total_bits.to_be_bytes());
        sha2::compress256(
            &mut state,
            std::slice::from_ref(GenericArray::from_slice(&self.block[..])),
        );
        state
    }
}

/// Blocks per call of [`compress_each`] in [`hash_run`] (at most 64: [`draw`] filters a
/// group's hashes as a 64-bit set).
const BATCH: usize = 64;

/// Hashes the ids `prefix + decimal(position + i) + ")"` for `i` in `0..count` from the
/// midstate, calling `f(i, states)` for consecutive groups of at most [`BATCH`] ids, in order
/// (`states[j]` is the hash of id `i + j`): the block is built once and the
/// position's digits are counted up in place (a decimal odometer), so each id costs one
/// compression; the blocks are compressed [`BATCH`] at a time by [`compress_each`].
fn hash_run(
    midstate: [u32; 8],
    prefix: &[u8],
    position: u64,
    count: u64,
    f: &mut impl FnMut(u64, &[[u32; 8]]),
) {
    let mut blocks = [[0u8; 64]; BATCH];
    let mut states = [[0u32; 8]; BATCH];
    // `blocks[..filled]` are the ids from `first` on, not yet hashed.
    let mut filled = 0;
    let mut first = 0;
    let mut block = [0u8; 64];
    let mut i = 0;
    'ids: while i < count {
        // (Re)build the block for `position + i`: prefix, digits, `)`, padding.
        let mut digits = [0u8; 21];
        let d = format_decimal(position + i, &mut digits);
        let len = prefix.len() + d.len() + 1;
        if len > 55 {
            // Two blocks: the plain path, one id at a time.
            flush(&midstate, &blocks[..filled], &mut states, first, f);
            let mut h = IdHasher::new(midstate);
            while i < count {
                let mut tail = [0u8; 21];
                let t = format_decimal(position + i, &mut tail);
                let mut suffix = t.to_vec();
                suffix.push(b')');
                f(i, &[h.hash(None, prefix, &suffix)]);
                i += 1;
            }
            return;
        }
        block.fill(0);
        block[..prefix.len()].copy_from_slice(prefix);
        let (lo, hi) = (prefix.len(), prefix.len() + d.len());
        block[lo..hi].copy_from_slice(d);
        block[hi] = b')';
        block[len] = 0x80;
        block[56..].copy_from_slice(&(((64 + len) as u64) * 8).to_be_bytes());
        // Count up within this number of digits. The units digit is kept in `last` and
        // written into each copy only, so `block` itself changes once every ten ids (a copy
        // right after a byte store to `block` would stall on store forwarding).
        let units = hi - 1;
        let mut last = block[units];
        loop {
            let dst = &mut blocks[filled];
            *dst = block;
            dst[units] = last;
            filled += 1;
            i += 1;
            if filled == BATCH {
                flush(&midstate, &blocks, &mut states, first, f);
                filled = 0;
                first = i;
            }
            if i >= count {
                break 'ids;
            }
            if last < b'9' {
                last += 1;
                continue;
            }
            last = b'0';
            // Carry into the tens and above; past the first digit (99...9 + 1) the number
            // has one more digit: rebuild.
            let mut k = units;
            let carried_out = loop {
                if k == lo {
                    break true;
                }
                k -= 1;
                if block[k] == b'9' {
                    block[k] = b'0';
                } else {
                    block[k] += 1;
                    break false;
                }
            };
            if carried_out {
                break;
            }
        }
    }
    flush(&midstate, &blocks[..filled], &mut states, first, f);
}

/// Compresses `blocks` (the ids `first ..` of a run) and calls `f(first, states)`.
fn flush(
    midstate: &[u32; 8],
    blocks: &[[u8; 64]],
    states: &mut [[u32; 8]; BATCH],
    first: u64,
    f: &mut impl FnMut(u64, &[[u32; 8]]),
) {
    if blocks.is_empty() {
        return;
    }
    let states = &mut states[..blocks.len()];
    compress_each(midstate, blocks, states);
    f(first, states);
}

/// `n` in decimal, written into the end of `buf`.
fn format_decimal(mut n: u64, buf: &mut [u8; 21]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

/// Appends SHA-256 padding for a message of 64 bytes (the seed block) plus `tail`.
fn pad_into(tail: &mut Vec<u8>) {
    let total_bits = ((64 + tail.len()) as u64) * 8;
    tail.push(0x80);
    while tail.len() % 64 != 56 {
        tail.push(0);
    }
    tail.extend_from_slice(&total_bits.to_be_bytes());
}

/// `2^(32 j) mod 10^9` for j = 0..8.
const POW32_MOD_1E9: [u64; 8] = {
    let mut t = [0u64; 8];
    let mut v: u64 = 1;
    let mut j = 0;
    while j < 8 {
        t[j] = v;
        v = (v << 32) % 1_000_000_000;
        j += 1;
    }
    t
};

/// Reversal of every 3-digit zero-padded number.
const REV3: [u32; 1000] = {
    let mut t = [0u32; 1000];
    let mut n = 0;
    while n < 1000 {
        t[n] = ((n % 10) * 100 + (n / 10 % 10) * 10 + n / 100) as u32;
        n += 1;
    }
    t
};

/// `2^(32 j) mod 1000` for j = 0..8.
const POW32_MOD_1E3: [u64; 8] = {
    let mut t = [0u64; 8];
    let mut j = 0;
    while j < 8 {
        t[j] = POW32_MOD_1E9[j] % 1000;
        j += 1;
    }
    t
};

/// A mask of low hash bits that must be zero for the ticket's first 3 digits to be at most
/// `key3`: those digits are the reversed `hash mod 1000`, so a key of 0 needs `hash mod 1000
/// = 0` (hence `hash mod 8 = 0`), a key below 10 needs `hash mod 100 = 0` (`mod 4`) and one
/// below 100 `hash mod 10 = 0` (`mod 2`). Exact: it only skips hashes [`quick_key`] rejects.
fn low_bits_mask(key3: u32) -> u32 {
    match key3 {
        0 => 7,
        1..=9 => 3,
        10..=99 => 1,
        _ => 0,
    }
}

/// The first 3 digits of the ticket, as an integer.
#[inline(always)]
fn quick_key(state: &[u32; 8]) -> u32 {
    let mut acc = 0u64;
    for j in 0..8 {
        // Each term is below 2^32 * 1000 < 2^42, so the sum of 8 fits easily.
        acc += u64::from(state[7 - j]) * POW32_MOD_1E3[j];
    }
    REV3[(acc % 1000) as usize]
}

/// The first 9 digits of the ticket for a hash given as state words, as an integer.
fn prefix_key(state: &[u32; 8]) -> u32 {
    const M: u64 = 1_000_000_000;
    let mut lo = 0u64;
    let mut hi = 0u64;
    for j in 0..4 {
        lo += u64::from(state[7 - j]) * POW32_MOD_1E9[j];
        hi += u64::from(state[3 - j]) * POW32_MOD_1E9[j + 4];
    }
    // Each sum of four terms is below 4 * 2^32 * 10^9 < 2^64.
    let x = ((lo % M + hi % M) % M) as usize;
    REV3[x % 1000] * 1_000_000 + REV3[x / 1000 % 1000] * 1000 + REV3[x / 1_000_000]
}

/// The `k` smallest keys seen, plus every index tied with the largest of them: a buffer of
/// keys at or below a threshold, compacted with a selection when it grows.
struct TopK {
    k: usize,
    buf: Vec<(u32, u64)>,
    limit: usize,
    threshold: u32,
    /// `threshold / 1_000_000`: the largest first 3 digits that can still be kept.
    key3: u32,
    /// [`low_bits_mask`] of `key3`.
    mask: u32,
}

impl TopK {
    fn new(k: usize) -> Self {
        let limit = 2 * k + 1024;
        TopK {
            k,
            buf: Vec::with_capacity(limit.min(1 << 22)),
            limit,
            threshold: u32::MAX,
            key3: u32::MAX,
            mask: 0,
        }
    }

    #[inline]
    fn offer(&mut self, key: u32, index: u64) {
        if key <= self.threshold {
            self.buf.push((key, index));
            if self.buf.len() >= self.limit {
                self.compact();
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn compact(&mut self) {
        if self.buf.len() <= self.k || self.k == 0 {
            return;
        }
        let k = self.k;
        self.buf.select_nth_unstable_by_key(k - 1, |e| e.0);
        let t = self.buf[k - 1].0;
        self.buf.retain(|e| e.0 <= t);
        self.threshold = t;
        self.key3 = t / 1_000_000;
        self.mask = low_bits_mask(self.key3);
        // Many ties with the threshold: grow the limit so compaction stays amortised.
        self.limit = self.limit.max(2 * self.buf.len());
    }

    fn finish(mut self) -> Vec<(u32, u64)> {
        self.compact();
        self.buf
    }
}

/// Draws the first `take` ballots of `source` in consistent-sampler order for `seed`
/// (the same result as [`crate::consistent_sample`] on the full id list), each with its index
/// in `source`, scanning with `threads` threads (at least 1).
pub fn draw(
    seed: &str,
    source: &dyn IdSource,
    with_replacement: bool,
    take: usize,
    threads: usize,
) -> Vec<(Draw, u64)> {
    let len = source.len();
    let keep = if with_replacement {
        take
    } else {
        take.min(usize::try_from(len).unwrap_or(usize::MAX))
    };
    if keep == 0 || len == 0 {
        return Vec::new();
    }
    let seed_hex = sha256_hex(seed);
    let midstate = seed_midstate(&seed_hex);
    let threads = threads.clamp(1, 64) as u64;
    let scan_range = |start: u64, end: u64| {
        let mut top = TopK::new(keep);
        let used_runs = source.runs(start, end, &mut |first, prefix, position, count| {
            hash_run(midstate, prefix, position, count, &mut |i, states| {
                // Cheap first looks: low bits (without branches, as a bit set: one in eight
                // passes, at random), then the ticket's first three digits. A mask from
                // before an `offer` in this group is only less strict, so still exact.
                let mask = top.mask;
                let mut pass = 0u64;
                for (j, state) in states.iter().enumerate().take(64) {
                    pass |= u64::from(state[7] & mask == 0) << j;
                }
                while pass != 0 {
                    let j = pass.trailing_zeros() as usize;
                    pass &= pass - 1;
                    let state = &states[j];
                    if quick_key(state) <= top.key3 {
                        top.offer(prefix_key(state), first + i + j as u64);
                    }
                }
            });
        });
        if !used_runs {
            let mut hasher = IdHasher::new(midstate);
            source.scan(start, end, &mut |index, run, prefix, suffix| {
                let state = hasher.hash(run, prefix, suffix);
                if state[7] & top.mask == 0 && quick_key(&state) <= top.key3 {
                    top.offer(prefix_key(&state), index);
                }
            });
        }
        top.finish()
    };
    let mut candidates: Vec<(u32, u64)> = if threads == 1 || len < 10_000 {
        scan_range(0, len)
    } else {
        let chunk = len.div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let start = (t * chunk).min(len);
                    let end = ((t + 1) * chunk).min(len);
                    let scan_range = &scan_range;
                    scope.spawn(move || scan_range(start, end))
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| match h.join() {
                    Ok(v) => v,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    };
    // Keep the `keep` smallest keys and everything tied with the largest kept key.
    candidates.sort_unstable();
    if candidates.len() > keep {
        let t = candidates[keep - 1].0;
        candidates.retain(|e| e.0 <= t);
    }
    let entries = candidates
        .into_iter()
        .map(|(_, index)| {
            let id = source.id(index);
            let ticket = uniform(&format!("{seed_hex}{id}"));
            (ticket, id, index)
        })
        .collect();
    draw_from_first_tickets(entries, with_replacement, take)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consistent::first_ticket;

    #[test]
    fn low_bits_mask_never_rejects_a_small_enough_key() {
        // For every hash residue mod 1000 (the only part quick_key reads, with the low words
        // chosen so that hash mod 1000 = r), a key <= key3 always passes the mask.
        for r in 0u32..1000 {
            let state = [0, 0, 0, 0, 0, 0, 0, r];
            let k = quick_key(&state);
            for key3 in [0u32, 1, 5, 9, 10, 42, 99, 100, 500, 999] {
                if k <= key3 {
                    assert_eq!(state[7] & low_bits_mask(key3), 0, "r {r} key3 {key3}");
                }
            }
        }
    }

    #[test]
    fn runs_hash_like_plain_sha256_across_digit_carries() {
        let seed_hex = sha256_hex("314159");
        let mid = seed_midstate(&seed_hex);
        // Short prefixes (one block) across 9 -> 10, 99 -> 100, 999 -> 1000; a long prefix
        // whose ids need two blocks from position 10 on.
        for (prefix, position, count) in [
            ("(('J1', None, 'B1'), ", 1u64, 1_005u64),
            ("(('J1', 'TAB 7', 'Batch 0001'), ", 95, 10),
            (&*format!("(('{}', None, 'B'), ", "x".repeat(32)), 1, 15),
        ] {
            let mut got = Vec::new();
            hash_run(mid, prefix.as_bytes(), position, count, &mut |i, states| {
                got.extend((i..).zip(states.iter().copied()));
            });
            assert_eq!(got.len() as u64, count);
            for (i, state) in got {
                let id = format!("{prefix}{})", position + i);
                let mut bytes = Vec::new();
                for w in state {
                    bytes.extend_from_slice(&w.to_be_bytes());
                }
                assert_eq!(
                    crate::consistent::to_hex(&bytes),
                    sha256_hex(&format!("{seed_hex}{id}")),
                    "{id}"
                );
            }
        }
    }

    /// The hex digest of the state words of a hash.
    fn state_hex(state: &[u32; 8]) -> String {
        let bytes: Vec<u8> = state.iter().flat_map(|w| w.to_be_bytes()).collect();
        crate::consistent::to_hex(&bytes)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Runs of every prefix length (one block and two), starting anywhere, including just
        /// before a power of ten, hash each id like plain SHA-256 and report every index once,
        /// in order.
        #[test]
        fn runs_hash_like_plain_sha256(
            prefix_len in 0usize..60,
            fill in 32u8..127,
            digits in 0u32..8,
            below in 0u64..40,
            count in 0u64..150,
        ) {
            let seed_hex = sha256_hex("314159");
            let mid = seed_midstate(&seed_hex);
            let prefix: String = (0..prefix_len)
                .map(|i| char::from(32 + (fill as usize + 7 * i) as u8 % 95))
                .collect();
            let position = 10u64.pow(digits).saturating_sub(below).max(1);
            let mut got = Vec::new();
            hash_run(mid, prefix.as_bytes(), position, count, &mut |i, states| {
                got.extend((i..).zip(states.iter().map(state_hex)));
            });
            proptest::prop_assert_eq!(got.len() as u64, count);
            for (k, (i, hex)) in got.into_iter().enumerate() {
                proptest::prop_assert_eq!(i, k as u64);
                let id = format!("{prefix}{})", position + i);
                proptest::prop_assert_eq!(hex, sha256_hex(&format!("{seed_hex}{id}")), "{}", id);
            }
        }
    }

    #[test]
    fn large_manifest_draw_equals_plain_sampler() {
        // 40,000 ballots in runs of 2,500 and a small sample: the kept set is compacted, so
        // the low-bit and three-digit filters (and a mask older than an offer in the same
        // group) are in use. The reference is the plain sampler over every id.
        let batches = (0..16)
            .map(|i| crate::Batch {
                jurisdiction: format!("J{}", i % 3),
                tabulator: None,
                batch: format!("B{i:03}"),
                ballots: 2_500,
            })
            .collect();
        let m = crate::Manifest::new(batches).unwrap();
        let ids: Vec<String> = (0..m.len()).map(|i| m.id(i)).collect();
        let seed = "01382438112797316654";
        // Without replacement the sample is the ballots with the 40 smallest first tickets.
        let mut brute: Vec<(String, String)> = ids
            .iter()
            .map(|id| (first_ticket(seed, id), id.clone()))
            .collect();
        brute.sort();
        let got: Vec<(String, String)> = draw(seed, &m, false, 40, 2)
            .into_iter()
            .map(|(d, _)| (d.ticket, d.id))
            .collect();
        assert_eq!(got, brute[..40]);
        for (with_replacement, take) in [(false, 3), (true, 5), (false, 40)] {
            let want = crate::consistent_sample(seed, &ids, with_replacement, take).unwrap();
            for threads in [1, 2] {
                let got: Vec<Draw> = draw(seed, &m, with_replacement, take, threads)
                    .into_iter()
                    .map(|(d, _)| d)
                    .collect();
                assert_eq!(got, want, "{with_replacement} {take} {threads}");
            }
        }
    }

    #[test]
    fn midstate_hash_matches_plain_sha256() {
        let seed_hex = sha256_hex("314159");
        let mid = seed_midstate(&seed_hex);
        let mut hasher = IdHasher::new(mid);
        let common = "y".repeat(30);
        for len in [0usize, 1, 55, 56, 63, 64, 119, 120, 300, 40, 31, 35, 30] {
            let id = if len >= 30 {
                format!("{common}{}", "x".repeat(len - 30))
            } else {
                "x".repeat(len)
            };
            let (run, prefix, suffix) = if len >= 30 {
                (Some(1), common.as_bytes(), &id.as_bytes()[30..])
            } else {
                (None, id.as_bytes(), &[][..])
            };
            let state = hasher.hash(run, prefix, suffix);
            let mut bytes = Vec::new();
            for w in state {
                bytes.extend_from_slice(&w.to_be_bytes());
            }
            assert_eq!(
                crate::consistent::to_hex(&bytes),
                sha256_hex(&format!("{seed_hex}{id}")),
                "length {len}"
            );
            let key = prefix_key(&state);
            let ticket = first_ticket("314159", &id);
            assert_eq!(format!("0.{key:09}"), ticket[..11], "length {len}");
            assert_eq!(
                format!("0.{:03}", quick_key(&state)),
                ticket[..5],
                "length {len}"
            );
        }
    }
}
