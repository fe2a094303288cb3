//! Exact decimal vote values, with the scale bookkeeping of Java's `BigDecimal`.
//!
//! RCTab keeps every tally as a `java.math.BigDecimal`: whole ballots count `1` (scale 0),
//! and a fractional surplus transfer gives a ballot a value rounded *down* to
//! `decimalPlacesForVoteArithmetic` places. Its reports print the values with
//! `toPlainString`, so `10.0000` and `10` are different texts for the same number. This type
//! keeps the same mantissa and scale so that reports match byte for byte, and never uses
//! floating point.

use std::cmp::Ordering;
use std::fmt;

use super::RcvError;

/// An exact decimal `mantissa × 10^-scale`, as Java's `BigDecimal` (non-negative in practice).
#[derive(Debug, Clone, Copy, Default)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

/// The largest scale kept; RCTab allows at most 20 decimal places.
const MAX_SCALE: u32 = 20;

fn pow10(exp: u32) -> Result<i128, RcvError> {
    10i128.checked_pow(exp).ok_or(RcvError::ArithmeticOverflow)
}

impl Decimal {
    /// Zero at scale 0 (`BigDecimal.ZERO`).
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };
    /// One at scale 0 (`BigDecimal.ONE`): the value of a whole ballot.
    pub const ONE: Decimal = Decimal {
        mantissa: 1,
        scale: 0,
    };

    /// A whole number at scale 0.
    #[must_use]
    pub fn from_u64(value: u64) -> Decimal {
        Decimal {
            mantissa: i128::from(value),
            scale: 0,
        }
    }

    /// `mantissa × 10^-scale`.
    #[must_use]
    pub fn new(mantissa: i128, scale: u32) -> Decimal {
        Decimal { mantissa, scale }
    }

    /// The scale (number of digits after the decimal point) this value carries.
    #[must_use]
    pub fn scale(self) -> u32 {
        self.scale
    }

    /// The value as a whole number, if it is one (and not negative).
    #[must_use]
    pub fn to_whole(self) -> Option<u64> {
        let unit = 10i128.checked_pow(self.scale)?;
        if self.mantissa % unit != 0 {
            return None;
        }
        u64::try_from(self.mantissa / unit).ok()
    }

    /// Whether the value is exactly zero (at any scale).
    #[must_use]
    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// Whether the value is greater than zero.
    #[must_use]
    pub fn is_positive(self) -> bool {
        self.mantissa > 0
    }

    fn rescale_up(self, scale: u32) -> Result<i128, RcvError> {
        debug_assert!(scale >= self.scale);
        self.mantissa
            .checked_mul(pow10(scale - self.scale)?)
            .ok_or(RcvError::ArithmeticOverflow)
    }

    /// `self + other` with the larger of the two scales, as `BigDecimal.add`.
    ///
    /// # Errors
    /// [`RcvError::ArithmeticOverflow`] if the result does not fit in 128 bits.
    pub fn checked_add(self, other: Decimal) -> Result<Decimal, RcvError> {
        if self.scale == other.scale {
            let mantissa = self
                .mantissa
                .checked_add(other.mantissa)
                .ok_or(RcvError::ArithmeticOverflow)?;
            return Ok(Decimal {
                mantissa,
                scale: self.scale,
            });
        }
        let scale = self.scale.max(other.scale);
        let mantissa = self
            .rescale_up(scale)?
            .checked_add(other.rescale_up(scale)?)
            .ok_or(RcvError::ArithmeticOverflow)?;
        Ok(Decimal { mantissa, scale })
    }

    /// `self - other` with the larger of the two scales, as `BigDecimal.subtract`.
    ///
    /// # Errors
    /// [`RcvError::ArithmeticOverflow`] if the result does not fit in 128 bits.
    pub fn checked_sub(self, other: Decimal) -> Result<Decimal, RcvError> {
        self.checked_add(Decimal {
            mantissa: -other.mantissa,
            scale: other.scale,
        })
    }

    /// `self × other`, rounded toward zero to `places` digits (RCTab's `config.multiply`).
    ///
    /// # Errors
    /// [`RcvError::ArithmeticOverflow`] if an intermediate does not fit in 128 bits.
    pub fn mul_down(self, other: Decimal, places: u32) -> Result<Decimal, RcvError> {
        let mantissa = self
            .mantissa
            .checked_mul(other.mantissa)
            .ok_or(RcvError::ArithmeticOverflow)?;
        Decimal {
            mantissa,
            scale: self.scale + other.scale,
        }
        .set_scale_down(places)
    }

    /// `self ÷ other`, rounded toward zero to `places` digits (RCTab's `config.divide`).
    ///
    /// # Errors
    /// [`RcvError::ArithmeticOverflow`] on overflow or division by zero.
    pub fn div_down(self, other: Decimal, places: u32) -> Result<Decimal, RcvError> {
        if other.mantissa == 0 {
            return Err(RcvError::ArithmeticOverflow);
        }
        // (a·10^-sa) / (b·10^-sb) = (a · 10^(places + sb - sa) / b) · 10^-places
        let shift = i64::from(places) + i64::from(other.scale) - i64::from(self.scale);
        let (num, den) = if shift >= 0 {
            let exp = u32::try_from(shift).map_err(|_| RcvError::ArithmeticOverflow)?;
            (
                self.mantissa
                    .checked_mul(pow10(exp)?)
                    .ok_or(RcvError::ArithmeticOverflow)?,
                other.mantissa,
            )
        } else {
            let exp = u32::try_from(-shift).map_err(|_| RcvError::ArithmeticOverflow)?;
            (
                self.mantissa,
                other
                    .mantissa
                    .checked_mul(pow10(exp)?)
                    .ok_or(RcvError::ArithmeticOverflow)?,
            )
        };
        Ok(Decimal {
            mantissa: num / den,
            scale: places,
        })
    }

    /// The same value at `places` digits, rounded toward zero (`setScale(places, DOWN)`).
    ///
    /// # Errors
    /// [`RcvError::ArithmeticOverflow`] if the result does not fit in 128 bits.
    pub fn set_scale_down(self, places: u32) -> Result<Decimal, RcvError> {
        let places = places.min(MAX_SCALE);
        if places >= self.scale {
            return Ok(Decimal {
                mantissa: self.rescale_up(places)?,
                scale: places,
            });
        }
        let divisor = pow10(self.scale - places)?;
        Ok(Decimal {
            mantissa: self.mantissa / divisor,
            scale: places,
        })
    }

    /// `floor(self ÷ divisor)` as a whole number at scale 0 (`divide(d, 0, DOWN)`).
    ///
    /// # Errors
    /// [`RcvError::ArithmeticOverflow`] on division by zero.
    pub fn div_floor_whole(self, divisor: u64) -> Result<Decimal, RcvError> {
        self.div_down(Decimal::from_u64(divisor), 0)
    }

    /// `10^-places`, the smallest step at `places` digits.
    #[must_use]
    pub fn ulp(places: u32) -> Decimal {
        Decimal {
            mantissa: 1,
            scale: places.min(MAX_SCALE),
        }
    }

    /// Multiply by a whole number, keeping the scale.
    ///
    /// # Errors
    /// [`RcvError::ArithmeticOverflow`] if the result does not fit in 128 bits.
    pub fn mul_whole(self, factor: u64) -> Result<Decimal, RcvError> {
        let mantissa = self
            .mantissa
            .checked_mul(i128::from(factor))
            .ok_or(RcvError::ArithmeticOverflow)?;
        Ok(Decimal {
            mantissa,
            scale: self.scale,
        })
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    /// Numeric order, ignoring scale (as `BigDecimal.compareTo`).
    fn cmp(&self, other: &Self) -> Ordering {
        if self.scale == other.scale {
            return self.mantissa.cmp(&other.mantissa);
        }
        let scale = self.scale.max(other.scale);
        match (self.rescale_up(scale), other.rescale_up(scale)) {
            (Ok(a), Ok(b)) => a.cmp(&b),
            // Overflow while aligning: compare the whole parts, then the sign.
            _ => {
                let a = self.mantissa / pow10(self.scale).unwrap_or(1);
                let b = other.mantissa / pow10(other.scale).unwrap_or(1);
                a.cmp(&b)
            }
        }
    }
}

impl fmt::Display for Decimal {
    /// Java's `BigDecimal.toPlainString`: every digit of the scale, no exponent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let negative = self.mantissa < 0;
        let digits = self.mantissa.unsigned_abs().to_string();
        if negative {
            f.write_str("-")?;
        }
        let scale = self.scale as usize;
        if scale == 0 {
            return f.write_str(&digits);
        }
        if digits.len() > scale {
            let (whole, frac) = digits.split_at(digits.len() - scale);
            write!(f, "{whole}.{frac}")
        } else {
            write!(f, "0.{}{digits}", "0".repeat(scale - digits.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_string_keeps_scale() {
        assert_eq!(Decimal::new(100_000, 4).to_string(), "10.0000");
        assert_eq!(Decimal::new(1874, 4).to_string(), "0.1874");
        assert_eq!(Decimal::new(3, 4).to_string(), "0.0003");
        assert_eq!(Decimal::from_u64(6).to_string(), "6");
    }

    #[test]
    fn surplus_fraction_of_the_fractional_threshold_case() {
        // RCTab case test_set_multi_winner_fractional_threshold, round 2: candidate C has 8
        // votes, threshold 7.2501; surplus 0.7499 / 8 = 0.0937375, rounded down to 0.0937.
        let votes = Decimal::from_u64(8);
        let threshold = Decimal::new(72_501, 4);
        let surplus = votes.checked_sub(threshold).unwrap();
        assert_eq!(surplus.to_string(), "0.7499");
        let fraction = surplus.div_down(votes, 4).unwrap();
        assert_eq!(fraction.to_string(), "0.0937");
        let seven = Decimal::ONE
            .mul_down(fraction, 4)
            .unwrap()
            .mul_whole(7)
            .unwrap();
        assert_eq!(seven.to_string(), "0.6559");
    }

    #[test]
    fn threshold_formulas() {
        // 29 votes, 3 seats, 4 places: 29/4 + 0.0001 = 7.2501 (non-integer threshold).
        let v = Decimal::from_u64(29);
        let t = v
            .div_down(Decimal::from_u64(4), 4)
            .unwrap()
            .checked_add(Decimal::ulp(4))
            .unwrap();
        assert_eq!(t.to_string(), "7.2501");
        // floor(98/2) + 1 = 50.
        let t = Decimal::from_u64(98)
            .div_floor_whole(2)
            .unwrap()
            .checked_add(Decimal::ONE)
            .unwrap();
        assert_eq!(t.to_string(), "50");
        assert_eq!(Decimal::new(50, 0), Decimal::new(500_000, 4));
    }
}
