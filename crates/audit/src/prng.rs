//! Seeds from public dice rolls, and the Colorado RLA pseudo-random number generator.
//!
//! The Colorado generator (Rivest's `sampler.py`, used by Colorado's RLA tool) is
//!
//! ```text
//! pick_k = min + (int(SHA256(seed + "," + str(k)), 16) mod (max - min + 1)),   k = 1, 2, ...
//! ```
//!
//! where the digest is read as a big-endian integer. Sampling without replacement skips
//! values already drawn (and still advances `k`).

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::error::AuditError;

/// The fewest digits a dice-roll seed may have.
pub const MIN_SEED_DIGITS: usize = 20;

/// Checks that `seed` is a public dice roll: at least [`MIN_SEED_DIGITS`] decimal digits and
/// nothing else (ten-sided dice show 0 to 9).
///
/// # Errors
/// [`AuditError::InvalidSeed`] naming the first problem found.
pub fn validate_dice_seed(seed: &str) -> Result<(), AuditError> {
    let fail = |reason: String| {
        Err(AuditError::InvalidSeed {
            seed: seed.to_owned(),
            reason,
        })
    };
    if let Some((pos, c)) = seed.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        return fail(format!(
            "character {c:?} at position {} is not a digit 0-9; record only the dice faces",
            pos + 1
        ));
    }
    if seed.len() < MIN_SEED_DIGITS {
        return fail(format!(
            "it has {} digits; roll at least {MIN_SEED_DIGITS} ten-sided dice in public",
            seed.len()
        ));
    }
    Ok(())
}

/// `int(SHA256(data)) mod m` for `m >= 1`.
pub(crate) fn sha256_mod(data: &[u8], m: u64) -> u64 {
    let digest = Sha256::digest(data);
    let m = u128::from(m);
    let mut r: u128 = 0;
    for &b in digest.iter() {
        r = ((r << 8) | u128::from(b)) % m;
    }
    // r < m <= u64::MAX.
    r as u64
}

/// The `k`-th pseudo-random number (k >= 1) in `min..=max` for `seed`.
///
/// # Errors
/// [`AuditError::OutOfRange`] if `min > max` or the range covers all of `u64`.
pub fn colorado_pick(seed: &str, k: u64, min: u64, max: u64) -> Result<u64, AuditError> {
    let width = range_width(min, max)?;
    Ok(min + sha256_mod(format!("{seed},{k}").as_bytes(), width))
}

fn range_width(min: u64, max: u64) -> Result<u64, AuditError> {
    if min > max || (min == 0 && max == u64::MAX) {
        return Err(AuditError::OutOfRange {
            name: "range",
            value: format!("{min}..={max}"),
            expected: "min <= max, narrower than all of u64",
        });
    }
    Ok(max - min + 1)
}

/// `count` numbers from `min..=max` in draw order (k = 1, 2, ...); without replacement,
/// repeats are skipped.
///
/// # Errors
/// [`AuditError::OutOfRange`] for a bad range, or if more distinct numbers are asked for
/// than the range holds.
pub fn colorado_sample(
    seed: &str,
    min: u64,
    max: u64,
    count: usize,
    with_replacement: bool,
) -> Result<Vec<u64>, AuditError> {
    let width = range_width(min, max)?;
    if !with_replacement && (count as u64) > width {
        return Err(AuditError::OutOfRange {
            name: "count",
            value: count.to_string(),
            expected: "at most the number of values in the range when sampling without replacement",
        });
    }
    let mut out = Vec::with_capacity(count);
    let mut seen = HashSet::new();
    let mut k = 0u64;
    while out.len() < count {
        k += 1;
        let v = min + sha256_mod(format!("{seed},{k}").as_bytes(), width);
        if with_replacement || seen.insert(v) {
            out.push(v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dice_seeds() {
        assert!(validate_dice_seed("01382438112797316654").is_ok());
        assert!(validate_dice_seed("0138243811279731665").is_err());
        assert!(validate_dice_seed("0138243811279731665a4").is_err());
        assert!(validate_dice_seed("01382438 112797316654").is_err());
    }

    #[test]
    fn sha256_mod_small() {
        // SHA256("abc") = ba7816bf...f20015ad; its last byte 0xad = 173 is odd.
        assert_eq!(sha256_mod(b"abc", 2), 1);
        assert_eq!(sha256_mod(b"abc", 1), 0);
    }
}
