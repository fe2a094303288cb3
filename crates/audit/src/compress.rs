//! Many SHA-256 compressions from one state, for [`crate::fastdraw`].
//!
//! Spec: FIPS 180-4, section 6.2.2 (the SHA-256 compression function). [`compress_each`]
//! compresses each of a batch of 64-byte blocks from the same starting state. On x86-64 CPUs
//! with the SHA extensions it runs two blocks side by side with the `sha256rnds2`,
//! `sha256msg1` and `sha256msg2` instructions (one block alone is bound by their latency; two
//! independent ones fill the gaps), and it does the rounds whose message words are the same in
//! every block of the batch (a common id prefix) only once. Elsewhere it uses the `sha2`
//! crate. Both give exactly `sha2::compress256`'s result, which the tests check over random
//! blocks, batch sizes and shared prefixes.
//!
//! The SIMD path is the crate's only `unsafe` code (the workspace forbids it; this crate's
//! Cargo.toml lowers that to `deny` so that the `x86` module alone may allow it): calling a
//! `#[target_feature]` function after the runtime feature check, and unaligned 16-byte loads
//! and stores inside arrays of the right size.

use sha2::digest::generic_array::GenericArray;

/// The SHA-256 round constants (FIPS 180-4, section 4.2.2).
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// Sets `out[i]` to the state after compressing `blocks[i]` from `state`, for every `i`
/// (the same as `sha2::compress256` on a copy of `state` and the one block).
///
/// # Panics
///
/// If `blocks` and `out` differ in length.
pub(crate) fn compress_each(state: &[u32; 8], blocks: &[[u8; 64]], out: &mut [[u32; 8]]) {
    assert_eq!(blocks.len(), out.len(), "one output per block");
    #[cfg(target_arch = "x86_64")]
    if x86::compress_each(state, blocks, out) {
        return;
    }
    portable(state, blocks, out);
}

/// [`compress_each`] with the `sha2` crate, one block at a time.
fn portable(state: &[u32; 8], blocks: &[[u8; 64]], out: &mut [[u32; 8]]) {
    for (block, o) in blocks.iter().zip(out.iter_mut()) {
        let mut s = *state;
        sha2::compress256(
            &mut s,
            std::slice::from_ref(GenericArray::from_slice(block)),
        );
        *o = s;
    }
}

/// The length of the longest common prefix of `a` and `b`, in bytes.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn common_bytes(a: &[u8; 64], b: &[u8; 64]) -> usize {
    let word = |x: &[u8; 64], c: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&x[8 * c..8 * c + 8]);
        u64::from_le_bytes(w)
    };
    for c in 0..8 {
        let x = word(a, c) ^ word(b, c);
        if x != 0 {
            return 8 * c + x.trailing_zeros() as usize / 8;
        }
    }
    64
}

/// The working variables `a..h` after the first `n` rounds (`n <= 16`) of compressing `block`
/// from `state` (FIPS 180-4, section 6.2.2, steps 2 and 3, without the final addition).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn first_rounds(state: &[u32; 8], block: &[u8; 64], n: usize) -> [u32; 8] {
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for (t, k) in K.iter().enumerate().take(n.min(16)) {
        let w = u32::from_be_bytes([
            block[4 * t],
            block[4 * t + 1],
            block[4 * t + 2],
            block[4 * t + 3],
        ]);
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = h
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add(*k)
            .wrapping_add(w);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    [a, b, c, d, e, f, g, h]
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    //! The SHA-extension path: two blocks interleaved, rounds with common words done once.

    use std::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_blend_epi16, _mm_cmpeq_epi8, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_set_epi32, _mm_set_epi64x, _mm_sha256msg1_epu32,
        _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32, _mm_shuffle_epi8, _mm_shuffle_epi32,
        _mm_storeu_si128,
    };

    use super::{K, common_bytes, first_rounds};

    /// Whether this CPU has every instruction set the path uses.
    fn available() -> bool {
        // std caches the detection; each call is a load and a test.
        is_x86_feature_detected!("sha")
            && is_x86_feature_detected!("sse2")
            && is_x86_feature_detected!("ssse3")
            && is_x86_feature_detected!("sse4.1")
    }

    /// [`super::compress_each`] with the SHA extensions; returns `false` (having done
    /// nothing) if the CPU lacks them.
    pub(super) fn compress_each(
        state: &[u32; 8],
        blocks: &[[u8; 64]],
        out: &mut [[u32; 8]],
    ) -> bool {
        if !available() {
            return false;
        }
        // SAFETY: `available()` just confirmed that the CPU supports every feature that
        // `compress_each_sha` is compiled for; the function has no other requirement.
        unsafe { compress_each_sha(state, blocks, out) };
        true
    }

    /// A state `a..h` as the SHA extensions hold it: `(ABEF, CDGH)`, `A` and `C` in the
    /// highest lane.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn pack(s: &[u32; 8]) -> (__m128i, __m128i) {
        let w = s.map(|x| x as i32);
        (
            _mm_set_epi32(w[0], w[1], w[4], w[5]),
            _mm_set_epi32(w[2], w[3], w[6], w[7]),
        )
    }

    /// Writes the state packed as `(abef, cdgh)` (see [`pack`]) to `out` as `a..h`.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    #[inline]
    fn unpack(abef: __m128i, cdgh: __m128i, out: &mut [u32; 8]) {
        let feba = _mm_shuffle_epi32::<0x1B>(abef);
        let dchg = _mm_shuffle_epi32::<0xB1>(cdgh);
        let dcba = _mm_blend_epi16::<0xF0>(feba, dchg);
        let hgfe = _mm_alignr_epi8::<8>(dchg, feba);
        let (lo, hi) = out.split_at_mut(4);
        // SAFETY: `lo` and `hi` are 16 bytes each; `storeu` has no alignment requirement.
        unsafe {
            _mm_storeu_si128(lo.as_mut_ptr().cast(), dcba);
            _mm_storeu_si128(hi.as_mut_ptr().cast(), hgfe);
        }
    }

    /// Bytes `16 q .. 16 q + 16` of `block`.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    #[inline]
    fn load(block: &[u8; 64], q: usize) -> __m128i {
        let chunk = &block[16 * q..16 * q + 16];
        // SAFETY: `chunk` is 16 bytes long (the slicing above panics otherwise); `loadu` has
        // no alignment requirement.
        unsafe { _mm_loadu_si128(chunk.as_ptr().cast()) }
    }

    /// What [`lanes`] needs besides the blocks.
    struct Shared {
        /// The starting state, packed.
        init: (__m128i, __m128i),
        /// The state after the first `skip` round pairs of `first`, packed.
        start: (__m128i, __m128i),
        /// Round pairs done already, at most 8.
        skip: usize,
        /// The block those pairs were done for, as four 16-byte vectors.
        first: [__m128i; 4],
        /// Bit `i` set: byte `i` of every block must equal that of `first` (the `8 * skip`
        /// bytes that the skipped rounds read).
        need: u64,
    }

    impl Shared {
        /// `skip` round pairs of `first` done from `state`.
        #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
        fn new(state: &[u32; 8], first: &[u8; 64], skip: usize) -> Self {
            let skip = skip.min(8);
            Shared {
                init: pack(state),
                start: pack(&first_rounds(state, first, 2 * skip)),
                skip,
                first: [
                    load(first, 0),
                    load(first, 1),
                    load(first, 2),
                    load(first, 3),
                ],
                need: match skip {
                    8 => u64::MAX,
                    s => (1u64 << (8 * s)) - 1,
                },
            }
        }
    }

    /// Lanes per group (two: one block alone waits on `sha256rnds2`'s latency).
    const LANES: usize = 2;

    /// [`compress_each`] on a CPU with the features.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn compress_each_sha(state: &[u32; 8], blocks: &[[u8; 64]], out: &mut [[u32; 8]]) {
        let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else {
            return;
        };
        // Rounds are done two at a time. Guess from the first and last blocks how many pairs
        // read only message words that every block shares and do those once, from the first
        // block; `lanes` checks each block and its group is redone in full if one differs.
        let guess = Shared::new(state, first, common_bytes(first, last) / 8);
        let mut groups = blocks.chunks_exact(LANES);
        let mut outs = out.chunks_exact_mut(LANES);
        for (b, o) in (&mut groups).zip(&mut outs) {
            let b = [&b[0], &b[1]];
            let (o0, o1) = o.split_at_mut(1);
            let mut o = [&mut o0[0], &mut o1[0]];
            if !lanes(&guess, b, &mut o) {
                // Nothing skipped, so this one always succeeds.
                lanes(&Shared::new(state, first, 0), b, &mut o);
            }
        }
        for (b, o) in groups.remainder().iter().zip(outs.into_remainder()) {
            if !lanes(&guess, [b], &mut [&mut *o]) {
                lanes(&Shared::new(state, first, 0), [b], &mut [o]);
            }
        }
    }

    /// Compresses `L` blocks side by side from `sh.start`, adds `sh.init` (FIPS 180-4,
    /// step 4) and writes the states to `out`; returns `false` (having written nothing) if a
    /// block differs from `sh.first` in a byte that the skipped rounds read.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    #[inline]
    // Lane and word indices run over several parallel arrays at once.
    #[allow(clippy::needless_range_loop)]
    fn lanes<const L: usize>(
        sh: &Shared,
        blocks: [&[u8; 64]; L],
        out: &mut [&mut [u32; 8]; L],
    ) -> bool {
        // Byte order: big-endian words.
        let bswap = _mm_set_epi64x(0x0c0d_0e0f_0809_0a0b, 0x0405_0607_0001_0203);
        let mut m = [[bswap; 4]; L];
        for l in 0..L {
            let mut equal = 0u64;
            for q in 0..4 {
                let v = load(blocks[l], q);
                let eq = _mm_movemask_epi8(_mm_cmpeq_epi8(v, sh.first[q])) as u16;
                equal |= u64::from(eq) << (16 * q);
                m[l][q] = _mm_shuffle_epi8(v, bswap);
            }
            if equal & sh.need != sh.need {
                return false;
            }
        }
        let skip = sh.skip.min(8);
        let mut abef = [sh.start.0; L];
        let mut cdgh = [sh.start.1; L];
        // One group `q` of four rounds (4q .. 4q + 4) for every lane; `m[l][q % 4]` holds the
        // message words W[4q .. 4q + 4]. The schedule steps follow Intel's SHA-extension
        // reference code: groups 3 to 14 finish the words of the next group (`sha256msg2`),
        // groups 1 to 12 start those three groups ahead (`sha256msg1`).
        macro_rules! group {
            ($q:literal) => {{
                let k = _mm_set_epi32(
                    K[4 * $q + 3] as i32,
                    K[4 * $q + 2] as i32,
                    K[4 * $q + 1] as i32,
                    K[4 * $q] as i32,
                );
                let mut wk = [k; L];
                for l in 0..L {
                    wk[l] = _mm_add_epi32(m[l][$q % 4], k);
                }
                if 2 * $q >= skip {
                    for l in 0..L {
                        let n = _mm_sha256rnds2_epu32(cdgh[l], abef[l], wk[l]);
                        cdgh[l] = abef[l];
                        abef[l] = n;
                    }
                }
                if $q >= 3 && $q < 15 {
                    for l in 0..L {
                        let t = _mm_alignr_epi8::<4>(m[l][$q % 4], m[l][($q + 3) % 4]);
                        let x = _mm_add_epi32(m[l][($q + 1) % 4], t);
                        m[l][($q + 1) % 4] = _mm_sha256msg2_epu32(x, m[l][$q % 4]);
                    }
                }
                if 2 * $q + 1 >= skip {
                    for l in 0..L {
                        let hi = _mm_shuffle_epi32::<0x0E>(wk[l]);
                        let n = _mm_sha256rnds2_epu32(cdgh[l], abef[l], hi);
                        cdgh[l] = abef[l];
                        abef[l] = n;
                    }
                }
                if $q >= 1 && $q < 13 {
                    for l in 0..L {
                        let x = m[l][($q + 3) % 4];
                        m[l][($q + 3) % 4] = _mm_sha256msg1_epu32(x, m[l][$q % 4]);
                    }
                }
            }};
        }
        group!(0);
        group!(1);
        group!(2);
        group!(3);
        group!(4);
        group!(5);
        group!(6);
        group!(7);
        group!(8);
        group!(9);
        group!(10);
        group!(11);
        group!(12);
        group!(13);
        group!(14);
        group!(15);
        for l in 0..L {
            let abef = _mm_add_epi32(abef[l], sh.init.0);
            let cdgh = _mm_add_epi32(cdgh[l], sh.init.1);
            unpack(abef, cdgh, out[l]);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(state: &[u32; 8], block: &[u8; 64]) -> [u32; 8] {
        let mut s = *state;
        sha2::compress256(
            &mut s,
            std::slice::from_ref(GenericArray::from_slice(block)),
        );
        s
    }

    /// One block per entry of `from`: `base` with the bytes from `from[i]` on changed.
    fn blocks_sharing(base: &[u8; 64], from: &[usize], noise: &[u8]) -> Vec<[u8; 64]> {
        from.iter()
            .enumerate()
            .map(|(i, &from)| {
                let mut b = *base;
                for (j, byte) in b.iter_mut().enumerate().skip(from) {
                    *byte ^= noise[(i * 64 + j) % noise.len()];
                }
                b
            })
            .collect()
    }

    #[test]
    fn first_rounds_then_nothing_is_the_state() {
        let s = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(first_rounds(&s, &[0; 64], 0), s);
    }

    #[test]
    fn empty_batch_is_fine() {
        compress_each(&[0; 8], &[], &mut []);
    }

    #[test]
    fn fips_one_block_abc() {
        // FIPS 180-2 appendix B.1: SHA-256("abc") from the initial hash value.
        let iv = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19,
        ];
        let mut block = [0u8; 64];
        block[..3].copy_from_slice(b"abc");
        block[3] = 0x80;
        block[63] = 24;
        let mut out = [[0u32; 8]; 3];
        compress_each(&iv, &[block; 3], &mut out);
        let want = [
            0xba7816bf, 0x8f01cfea, 0x414140de, 0x5dae2223, 0xb00361a3, 0x96177a9c, 0xb410ff61,
            0xf20015ad,
        ];
        assert_eq!(out, [want; 3]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Every batch size and every length of shared prefix (0 to all 64 bytes, per
        /// block, so that the first and last blocks may share more than the others) matches
        /// the `sha2` crate, on the SIMD path where the CPU has it and on the portable one.
        #[test]
        fn batches_match_sha2(
            state in proptest::array::uniform8(any::<u32>()),
            base in proptest::array::uniform32(any::<u8>()),
            base2 in proptest::array::uniform32(any::<u8>()),
            shared in 0usize..=64,
            from in proptest::collection::vec(0usize..=64, 0..12),
            noise in proptest::collection::vec(1u8..=255, 1..200),
            last_like_first in any::<bool>(),
        ) {
            let mut b = [0u8; 64];
            b[..32].copy_from_slice(&base);
            b[32..].copy_from_slice(&base2);
            // Mostly a common prefix of `shared` bytes, some blocks sharing less.
            let mut from: Vec<usize> = from.iter().map(|&f| if f % 3 == 0 { f } else { shared }).collect();
            let n = from.len();
            if last_like_first && n > 1 {
                from[n - 1] = 64;
                from[0] = 64;
            }
            let blocks = blocks_sharing(&b, &from, &noise);
            let want: Vec<[u32; 8]> = blocks.iter().map(|x| reference(&state, x)).collect();
            let mut got = vec![[0u32; 8]; n];
            compress_each(&state, &blocks, &mut got);
            prop_assert_eq!(&got, &want);
            let mut got = vec![[0u32; 8]; n];
            portable(&state, &blocks, &mut got);
            prop_assert_eq!(&got, &want);
            if n > 1 {
                let naive = (0..64).take_while(|&i| blocks[0][i] == blocks[n - 1][i]).count();
                prop_assert_eq!(common_bytes(&blocks[0], &blocks[n - 1]), naive);
            }
        }
    }
}
