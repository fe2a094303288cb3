//! RFC 6962 hashing (section 2.1): leaf hash `SHA-256(0x00 || entry)`, interior node hash
//! `SHA-256(0x01 || left || right)`, and the hash of the empty tree `SHA-256("")`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// Size of a SHA-256 hash in bytes.
pub const HASH_SIZE: usize = 32;

/// A SHA-256 Merkle tree hash (a leaf hash, an interior node hash or a root).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; HASH_SIZE]);

/// The root of the empty tree: `SHA-256("")` (RFC 6962, section 2.1).
pub const EMPTY_ROOT: Hash = Hash([
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
]);

/// Error for a hash that is not 32 bytes of standard base64 or hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid hash {value:?}: expected {expected}")]
pub struct HashParseError {
    /// The offending text (truncated to 80 characters).
    pub value: String,
    /// What was expected instead.
    pub expected: &'static str,
}

impl Hash {
    /// Standard base64 (RFC 4648 section 4), as used in checkpoints and proofs.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Lowercase hexadecimal.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses standard base64 encoding exactly 32 bytes.
    ///
    /// # Errors
    /// [`HashParseError`] if the text is not base64 or does not decode to 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, HashParseError> {
        let err = || HashParseError {
            value: text.chars().take(80).collect(),
            expected: "44 characters of standard base64 encoding 32 bytes",
        };
        let bytes = STANDARD.decode(text).map_err(|_| err())?;
        Self::from_slice(&bytes).ok_or_else(err)
    }

    /// Parses 64 hexadecimal digits.
    ///
    /// # Errors
    /// [`HashParseError`] if the text is not 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, HashParseError> {
        let err = || HashParseError {
            value: text.chars().take(80).collect(),
            expected: "64 hexadecimal digits",
        };
        if text.len() != 2 * HASH_SIZE || !text.is_ascii() {
            return Err(err());
        }
        let mut out = [0u8; HASH_SIZE];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| err())?;
        }
        Ok(Hash(out))
    }

    /// Copies a 32-byte slice; `None` for any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; HASH_SIZE]>::try_from(bytes).ok().map(Hash)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

/// RFC 6962 leaf hash: `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    Hash(h.finalize().into())
}

/// SHA-256 initial hash value (FIPS 180-4 section 5.3.3).
const H0: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// RFC 6962 interior node hash: `SHA-256(0x01 || left || right)`.
///
/// The 65-byte message always pads to exactly two 64-byte blocks, so they are laid out
/// directly and fed to the SHA-256 compression function (`sha2::compress256`, which uses the
/// CPU's SHA extensions when present) without the incremental hasher's buffering.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut blocks =
        [sha2::digest::generic_array::GenericArray::<u8, sha2::digest::consts::U64>::default(); 2];
    let (b0, b1) = blocks.split_at_mut(1);
    let (b0, b1) = (&mut b0[0], &mut b1[0]);
    b0[0] = 1;
    b0[1..33].copy_from_slice(&left.0);
    b0[33..64].copy_from_slice(&right.0[..31]);
    b1[0] = right.0[31];
    b1[1] = 0x80;
    // Message length in bits, big-endian, in the last 8 bytes: 65 * 8 = 520.
    b1[56..64].copy_from_slice(&520u64.to_be_bytes());
    let mut state = H0;
    sha2::compress256(&mut state, &blocks);
    let mut out = [0u8; HASH_SIZE];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    Hash(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_empty_string() {
        // Well-known SHA-256("") value.
        assert_eq!(
            EMPTY_ROOT.to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Hash(Sha256::digest(b"").into()), EMPTY_ROOT);
    }

    #[test]
    fn leaf_hash_of_empty_entry_matches_rfc6962_vector() {
        // Certificate Transparency test vector: leaf hash of the empty string.
        assert_eq!(
            leaf_hash(b"").to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn node_hash_equals_sha256_of_prefixed_concatenation() {
        // The two-block shortcut must agree with the plain definition for arbitrary inputs.
        for seed in 0u8..20 {
            let l = Hash([seed; 32]);
            let mut r = [0u8; 32];
            for (i, b) in r.iter_mut().enumerate() {
                *b = seed.wrapping_mul(31).wrapping_add(i as u8);
            }
            let r = Hash(r);
            let mut m = vec![1u8];
            m.extend_from_slice(&l.0);
            m.extend_from_slice(&r.0);
            assert_eq!(node_hash(&l, &r), Hash(Sha256::digest(&m).into()));
        }
    }

    #[test]
    fn base64_and_hex_round_trip() {
        let h = leaf_hash(b"x");
        assert_eq!(Hash::from_base64(&h.to_base64()), Ok(h));
        assert_eq!(Hash::from_hex(&h.to_hex()), Ok(h));
        assert!(Hash::from_base64("ZG9uJ3QgY2FyZSAx").is_err());
        assert!(Hash::from_hex("zz").is_err());
    }
}
