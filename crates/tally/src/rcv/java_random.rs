//! `java.util.Random`, bit for bit, so seeded tie-breaks reproduce RCTab's.
//!
//! RCTab creates `new Random(config.getRandomSeed())` when a tabulation starts and draws
//! `nextDouble()` for each random tie-break, or shuffles the alphabetical candidate list with
//! `Collections.shuffle(list, random)` for `generatePermutation`. The generator is the 48-bit
//! linear congruential generator the Java SE API documents for `java.util.Random`
//! (multiplier `0x5DEECE66D`, addend `0xB`).

const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const ADDEND: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;

/// Java's `java.util.Random` linear congruential generator.
#[derive(Debug, Clone)]
pub struct JavaRandom {
    seed: u64,
}

impl JavaRandom {
    /// `new Random(seed)`.
    #[must_use]
    pub fn new(seed: i64) -> JavaRandom {
        JavaRandom {
            // Reinterpreting the bits, as Java does with `long`.
            seed: (seed as u64 ^ MULTIPLIER) & MASK,
        }
    }

    /// `next(bits)`: the top `bits` bits of the next state, as a Java `int`.
    fn next(&mut self, bits: u32) -> i32 {
        self.seed = (self.seed.wrapping_mul(MULTIPLIER).wrapping_add(ADDEND)) & MASK;
        // Truncation to 32 bits is Java's `(int)` cast.
        (self.seed >> (48 - bits)) as u32 as i32
    }

    /// `nextDouble()`: uniform in [0, 1) with 53 random bits.
    pub fn next_double(&mut self) -> f64 {
        let high = i64::from(self.next(26)) << 27;
        let low = i64::from(self.next(27));
        // Exact: the integer has at most 53 significant bits.
        (high + low) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `nextInt(bound)` for `bound > 0`.
    pub fn next_int(&mut self, bound: i32) -> i32 {
        debug_assert!(bound > 0);
        let mut r = self.next(31);
        let m = bound - 1;
        if bound & m == 0 {
            return ((i64::from(bound) * i64::from(r)) >> 31) as i32;
        }
        let mut u = r;
        loop {
            r = u % bound;
            if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                return r;
            }
            u = self.next(31);
        }
    }

    /// `Collections.shuffle(list, this)` for a random-access list.
    pub fn shuffle<T>(&mut self, list: &mut [T]) {
        let len = list.len();
        for i in (2..=len).rev() {
            // `len` is a candidate count, far below i32::MAX.
            let j = self.next_int(i32::try_from(i).unwrap_or(i32::MAX));
            list.swap(i - 1, j as usize);
        }
    }

    /// `(int) Math.floor(nextDouble() * n)`: RCTab's pick among `n` tied candidates.
    pub fn pick_index(&mut self, n: usize) -> usize {
        // The only floating point in the crate: it selects an index, exactly as RCTab does,
        // and never touches a vote count.
        let d = self.next_double();
        let index = (d * n as f64).floor() as usize;
        index.min(n.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_java_reference_values() {
        // Values printed by OpenJDK's java.util.Random (run by hand with `java R.java`).
        let mut r = JavaRandom::new(1);
        assert_eq!(r.next_double(), 0.7308781907032909);
        assert_eq!(r.next_double(), 0.41008081149220166);
        let mut r = JavaRandom::new(42);
        assert_eq!(r.next_int(10), 0);
        assert_eq!(r.next_int(10), 3);
        assert_eq!(r.next_int(7), 6);
        assert_eq!(r.next_int(1 << 20), 50268);
        let mut r = JavaRandom::new(-140_737_488_355_328);
        assert_eq!(r.next_double(), 0.23096777992607642);
        // Collections.shuffle([a, b, c, d, e, f], new Random(12345)) = [c, f, e, d, a, b].
        let mut list = ["a", "b", "c", "d", "e", "f"];
        JavaRandom::new(12345).shuffle(&mut list);
        assert_eq!(list, ["c", "f", "e", "d", "a", "b"]);
    }
}
