//! Rivest's consistent sampler ("Consistent Sampling with Replacement", R. L. Rivest, 2018).
//!
//! Every ballot id gets a pseudo-random *ticket*, a decimal fraction in `(0, 1)` written as a
//! string; the sample is the ballots with the smallest tickets. Adding unrelated ballots never
//! changes which of the old ballots are drawn or in what order (consistency). This follows the
//! description in `tests/data/rla/vectors.md` and is byte-compatible with the `consistent_sampler`
//! Python package that Arlo uses:
//!
//! ```text
//! sha256_hex(x) = lowercase hex SHA-256 of the UTF-8 bytes of x
//! uniform(x)    = "0." + reverse(zero_pad_64(decimal(int(sha256_hex(x), 16))))
//! first ticket  = uniform(sha256_hex(seed) + str(id))                    generation 1
//! next ticket   = "0." + leading_9s(x) + uniform(x + ":" + str(k))[2:]   k = 1, 2, ...
//!                 (the first k whose result is greater than x)          generation + 1
//! ```
//!
//! Draws come from a min-heap of `(ticket, id, generation)`, compared as strings; with
//! replacement, a drawn ballot goes back with its next ticket. Ids are hashed as given: pass the
//! Python `str()` form (see [`crate::pyrepr`]). Ties between tickets need a SHA-256 collision in
//! the first 64 digits and are broken by the id string.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use sha2::{Digest, Sha256};

use crate::error::AuditError;

/// Lowercase hex SHA-256 of the UTF-8 bytes of `data`.
pub fn sha256_hex(data: &str) -> String {
    to_hex(&Sha256::digest(data.as_bytes()))
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

/// The SHA-256 digest read as a big-endian 256-bit integer, least significant limb first.
pub(crate) fn digest_limbs(digest: &[u8]) -> [u64; 4] {
    let mut limbs = [0u64; 4];
    for (i, chunk) in digest.chunks_exact(8).enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        limbs[3 - i] = u64::from_be_bytes(word);
    }
    limbs
}

/// Decimal digits of a 256-bit integer, least significant first, at least 64 of them
/// (that is, the reversed zero-padded decimal string of `uniform`).
pub(crate) fn reversed_decimal(mut limbs: [u64; 4]) -> String {
    const CHUNK: u64 = 10_000_000_000_000_000_000; // 10^19 < 2^64
    let mut out = String::with_capacity(80);
    loop {
        // Divide the 256-bit number by 10^19, most significant limb first.
        let mut rem: u128 = 0;
        for limb in limbs.iter_mut().rev() {
            let cur = (rem << 64) | u128::from(*limb);
            // cur / CHUNK < 2^64 because rem < CHUNK.
            *limb = (cur / u128::from(CHUNK)) as u64;
            rem = cur % u128::from(CHUNK);
        }
        let mut r = rem as u64;
        let done = limbs.iter().all(|&l| l == 0);
        for _ in 0..19 {
            out.push(char::from(b'0' + (r % 10) as u8));
            r /= 10;
        }
        if done {
            break;
        }
    }
    // Trim high-order zeros beyond the 64-digit padding (they are at the end).
    while out.len() > 64 && out.ends_with('0') {
        out.pop();
    }
    while out.len() < 64 {
        out.push('0');
    }
    out
}

/// `uniform(x)`: a pseudo-random decimal fraction string `"0.ddd..."` derived from `x`.
pub fn uniform(x: &str) -> String {
    let digest = Sha256::digest(x.as_bytes());
    format!("0.{}", reversed_decimal(digest_limbs(&digest)))
}

/// The generation-1 ticket of ballot `id` for `seed`: `uniform(sha256_hex(seed) + id)`.
pub fn first_ticket(seed: &str, id: &str) -> String {
    let mut x = sha256_hex(seed);
    x.push_str(id);
    uniform(&x)
}

/// The ticket after `prev` for the same ballot (the next generation when sampling with
/// replacement): always greater than `prev`, uniform on `(prev, 1)` in the limit.
pub fn next_ticket(prev: &str) -> String {
    let digits = prev.strip_prefix("0.").unwrap_or(prev);
    let nines = digits.len() - digits.trim_start_matches('9').len();
    let mut k: u64 = 1;
    loop {
        let u = uniform(&format!("{prev}:{k}"));
        let candidate = format!("0.{}{}", &digits[..nines], &u[2..]);
        if candidate.as_str() > prev {
            return candidate;
        }
        k += 1;
    }
}

/// A ticket trimmed for printing: the leading 9s after `0.` and then `digits` more digits,
/// truncated (not rounded), as the Python package prints them.
pub fn trim_ticket(ticket: &str, digits: usize) -> String {
    let body = ticket.strip_prefix("0.").unwrap_or(ticket);
    let nines = body.len() - body.trim_start_matches('9').len();
    let end = (nines + digits).min(body.len());
    format!("0.{}", &body[..end])
}

/// One draw of a consistent sample.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Draw {
    /// The full-precision ticket (trim it with [`trim_ticket`] to print it).
    pub ticket: String,
    /// The ballot id, in its Python `str()` form.
    pub id: String,
    /// 1 for a ballot's first draw, 2 for its second (with replacement), and so on.
    pub generation: u32,
}

/// Runs the heap of Rivest's sampler over ballots whose first tickets are known, returning the
/// first `take` draws with each ballot's `index`. `entries` are `(first ticket, id, index)` and
/// must hold every ballot that can appear among the first `take` draws.
pub(crate) fn draw_from_first_tickets(
    entries: Vec<(String, String, u64)>,
    with_replacement: bool,
    take: usize,
) -> Vec<(Draw, u64)> {
    if !with_replacement {
        let mut entries = entries;
        entries.sort_unstable();
        entries.truncate(take);
        return entries
            .into_iter()
            .map(|(ticket, id, index)| {
                let draw = Draw {
                    ticket,
                    id,
                    generation: 1,
                };
                (draw, index)
            })
            .collect();
    }
    let mut heap: BinaryHeap<Reverse<(Draw, u64)>> = entries
        .into_iter()
        .map(|(ticket, id, index)| {
            let draw = Draw {
                ticket,
                id,
                generation: 1,
            };
            Reverse((draw, index))
        })
        .collect();
    let mut out = Vec::with_capacity(take.min(1 << 20));
    while out.len() < take {
        let Some(Reverse((draw, index))) = heap.pop() else {
            break;
        };
        if with_replacement {
            let next = Draw {
                ticket: next_ticket(&draw.ticket),
                id: draw.id.clone(),
                generation: draw.generation + 1,
            };
            heap.push(Reverse((next, index)));
        }
        out.push((draw, index));
    }
    out
}

/// Draws `take` ballots from `ids` (each in its Python `str()` form) with Rivest's consistent
/// sampler, in draw order. Without replacement at most `ids.len()` ballots are drawn.
///
/// # Errors
/// [`AuditError::DuplicateBallotId`] if an id appears twice: each ballot must have one id.
pub fn consistent_sample(
    seed: &str,
    ids: &[String],
    with_replacement: bool,
    take: usize,
) -> Result<Vec<Draw>, AuditError> {
    let mut seen = HashSet::with_capacity(ids.len());
    for id in ids {
        if !seen.insert(id.as_str()) {
            return Err(AuditError::DuplicateBallotId { id: id.clone() });
        }
    }
    let source = crate::fastdraw::IdList::new(ids);
    let draws = crate::fastdraw::draw(seed, &source, with_replacement, take, 1);
    Ok(draws.into_iter().map(|(draw, _)| draw).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reversed_decimal_pads_and_reverses() {
        // 12345 -> "54321" followed by 59 zeros.
        let s = reversed_decimal([12345, 0, 0, 0]);
        assert_eq!(s.len(), 64);
        assert!(s.starts_with("543210000"));
        // 2^64 = 18446744073709551616 -> reversed.
        let s = reversed_decimal([0, 1, 0, 0]);
        assert!(s.starts_with("61615590737044764481000"));
        // 2^256 - 1 has 78 digits: 115792089237316195423570985008687907853269984665640564039457584007913129639935
        let s = reversed_decimal([u64::MAX; 4]);
        let expected: String =
            "115792089237316195423570985008687907853269984665640564039457584007913129639935"
                .chars()
                .rev()
                .collect();
        assert_eq!(s, expected);
    }

    #[test]
    fn trim_keeps_leading_nines() {
        assert_eq!(trim_ticket("0.9098039269123", 9), "0.9098039269");
        assert_eq!(trim_ticket("0.317685817555", 9), "0.317685817");
        assert_eq!(trim_ticket("0.99", 9), "0.99");
    }
}
