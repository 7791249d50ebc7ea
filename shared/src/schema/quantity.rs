//! Resource quantities (`500m`, `2Gi`, `1e3`) as the reference's Kubernetes-derived parser reads
//! them, held as an exact integer number of nano-units.

use std::fmt;
use std::str::FromStr;

/// Why a quantity does not parse (the reference's three messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// Not of the shape `^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$`.
    #[error(
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )]
    Format,
    /// The number part does not parse.
    #[error("unable to parse numeric part of quantity")]
    Numeric,
    /// An unknown suffix (`K`, `mi`, ...).
    #[error("unable to parse quantity's suffix")]
    Suffix,
}

/// A parsed quantity. The value is rounded up (away from zero) to nano precision as the
/// reference does; values with a binary suffix are capped at `i64::MAX` units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    raw: String,
    nanos: i128,
    binary: bool,
}

const NANO: i128 = 1_000_000_000;
// Keeps mantissas well inside i128 so scaling by 10^9 and 2^60 saturates rather than wraps.
const MAX_MANTISSA_DIGITS: usize = 36;

struct Split<'a> {
    positive: bool,
    num: &'a str,
    denom: &'a str,
    suffix: &'a str,
}

// Mirrors the reference's hand-written scanner (it is more permissive than its regex:
// `.`, `1.` and `.5` are numbers).
fn split(s: &str) -> Result<Split<'_>, QuantityError> {
    let b = s.as_bytes();
    let end = b.len();
    let mut out = Split {
        positive: true,
        num: "0",
        denom: "",
        suffix: "",
    };
    let mut pos = 0;
    match b.first() {
        Some(b'-') => {
            out.positive = false;
            pos = 1;
        }
        Some(b'+') => pos = 1,
        _ => {}
    }
    while pos < end && b[pos] == b'0' {
        pos += 1;
    }
    if pos == end {
        return Ok(out);
    }
    let start = pos;
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos > start {
        out.num = &s[start..pos];
    }
    if pos == end {
        return Ok(out);
    }
    if b[pos] == b'.' {
        pos += 1;
        let start = pos;
        while pos < end && b[pos].is_ascii_digit() {
            pos += 1;
        }
        out.denom = &s[start..pos];
        if pos == end {
            return Ok(out);
        }
    }
    let suffix_start = pos;
    while pos < end && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos < end && (b[pos] == b'-' || b[pos] == b'+') {
        pos += 1;
    }
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos != end {
        return Err(QuantityError::Format);
    }
    out.suffix = &s[suffix_start..];
    Ok(out)
}

/// (base, exponent, binary) of a suffix.
fn interpret(suffix: &str) -> Option<(u32, i32, bool)> {
    let dec = |e| Some((10, e, false));
    let bin = |e| Some((2, e, true));
    match suffix {
        "" => dec(0),
        "n" => dec(-9),
        "u" => dec(-6),
        "m" => dec(-3),
        "k" => dec(3),
        "M" => dec(6),
        "G" => dec(9),
        "T" => dec(12),
        "P" => dec(15),
        "E" => dec(18),
        "Ki" => bin(10),
        "Mi" => bin(20),
        "Gi" => bin(30),
        "Ti" => bin(40),
        "Pi" => bin(50),
        "Ei" => bin(60),
        s if s.len() > 1 && (s.starts_with('e') || s.starts_with('E')) => {
            // Go parses an int64 and then truncates it to int32; keep that.
            let e: i64 = s[1..].parse().ok()?;
            dec(e as i32)
        }
        _ => None,
    }
}

fn pow10(k: u32) -> Option<i128> {
    10i128.checked_pow(k)
}

impl Quantity {
    /// Parses a quantity string (no surrounding spaces).
    pub fn parse(s: &str) -> Result<Self, QuantityError> {
        if s.is_empty() {
            return Err(QuantityError::Format);
        }
        let sp = split(s)?;
        let (base, exp, binary) = interpret(sp.suffix).ok_or(QuantityError::Suffix)?;

        // The reference's exact-decimal fallback (taken for long mantissas, small decimal
        // exponents and large binary suffixes) cannot read a number without digits (`.`).
        let has_digits = s
            .bytes()
            .take_while(|b| !b"eEinumkKMGTP".contains(b))
            .any(|b| b.is_ascii_digit());
        let fallback = if binary {
            13 - exp * 3 / 10 < 0
        } else {
            exp < -9
        };
        if !has_digits && fallback {
            return Err(QuantityError::Numeric);
        }
        let mut digits: String = format!("{}{}", sp.num, sp.denom)
            .trim_start_matches('0')
            .to_string();
        let mut exp10: i64 = -(sp.denom.len() as i64) + if base == 10 { i64::from(exp) } else { 0 };
        while digits.ends_with('0') {
            digits.pop();
            exp10 += 1;
        }
        let mut round_up = false;
        if digits.len() > MAX_MANTISSA_DIGITS {
            round_up = digits[MAX_MANTISSA_DIGITS..].bytes().any(|b| b != b'0');
            exp10 += (digits.len() - MAX_MANTISSA_DIGITS) as i64;
            digits.truncate(MAX_MANTISSA_DIGITS);
        }
        let mut mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| QuantityError::Numeric)?
        };
        if round_up {
            mantissa += 1;
        }
        if base == 2 {
            mantissa = mantissa.saturating_mul(1i128 << exp);
        }
        let k = exp10 + 9;
        let mut nanos = if mantissa == 0 {
            0
        } else if k >= 0 {
            match u32::try_from(k).ok().and_then(pow10) {
                Some(p) => mantissa.saturating_mul(p),
                None => i128::MAX,
            }
        } else {
            match u32::try_from(-k).ok().and_then(pow10) {
                // Round up to the next nano, as the reference does.
                Some(p) => mantissa.saturating_add(p - 1) / p,
                None => 1,
            }
        };
        if binary {
            nanos = nanos.min(i128::from(i64::MAX) * NANO);
        }
        if !sp.positive {
            nanos = -nanos;
        }
        Ok(Quantity {
            raw: s.to_string(),
            nanos,
            binary: binary && !(0 < nanos.abs() && nanos.abs() < NANO),
        })
    }

    /// Parses a JSON value as the reference's `Quantity.UnmarshalJSON` does: a string or a
    /// number, outer whitespace trimmed.
    pub(crate) fn from_json_text(text: &str) -> Result<Self, QuantityError> {
        Quantity::parse(text.trim())
    }

    fn scaled(&self, unit: i128) -> i64 {
        let q = self.nanos / unit;
        let r = self.nanos % unit;
        // Rounds away from zero, as the reference's Value() and MilliValue() do.
        let v = if r > 0 {
            q + 1
        } else if r < 0 {
            q - 1
        } else {
            q
        };
        v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// The value in whole units, rounded up (bytes, cores, IOPS...); saturates at the i64 range.
    pub fn value(&self) -> i64 {
        self.scaled(NANO)
    }

    /// The value in thousandths of a unit, rounded up (millicores).
    pub fn milli_value(&self) -> i64 {
        self.scaled(1_000_000)
    }

    /// The exact value in nano-units.
    pub fn nano_value(&self) -> i128 {
        self.nanos
    }

    /// Whether the reference would print it with a binary suffix (`Ki`, `Mi`, ...).
    pub fn is_binary(&self) -> bool {
        self.binary
    }

    /// The text it was parsed from.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, QuantityError> {
        Quantity::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos(s: &str) -> i128 {
        Quantity::parse(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .nano_value()
    }

    // (input, unscaled, base-10 scale): value = unscaled * 10^scale.
    const TABLE: &[(&str, i128, i32)] = &[
        ("0", 0, 0),
        ("0n", 0, 0),
        ("0Ki", 0, 0),
        ("0T", 0, 0),
        ("1", 1, 0),
        ("1Ki", 1024, 0),
        ("8Ki", 8 * 1024, 0),
        ("7Mi", 7 << 20, 0),
        ("6Gi", 6 << 30, 0),
        ("5Ti", 5 << 40, 0),
        ("4Pi", 4 << 50, 0),
        ("3Ei", 3 << 60, 0),
        ("100Ti", 100 << 40, 0),
        ("5n", 5, -9),
        ("4u", 4, -6),
        ("3m", 3, -3),
        ("8k", 8, 3),
        ("50k", 5, 4),
        ("7M", 7, 6),
        ("6G", 6, 9),
        ("40T", 4, 13),
        ("2P", 2, 15),
        ("1E", 1, 18),
        ("1E-3", 1, -3),
        ("1e3", 1, 3),
        ("1E18", 1, 18),
        ("1e14", 1, 14),
        ("100.035k", 100_035, 0),
        ("0.001", 1, -3),
        ("0.0005k", 5, -1),
        ("0.00050k", 5, -1),
        ("0.05000", 5, -2),
        ("0.5e0", 5, -1),
        ("0.5e-2", 5, -3),
        ("10.035M", 10035, 3),
        ("1.2e3", 12, 2),
        ("1.3E+6", 13, 5),
        ("1.40e9", 14, 8),
        ("1.7E18", 17, 17),
        ("9.01", 901, -2),
        ("7.123456M", 7_123_456, 0),
        ("6.987654321G", 6_987_654_321, 0),
        ("1.01E", 101, 16),
        ("3.001n", 4, -9),
        ("1.1E-9", 2, -9),
        ("0.0000000001", 1, -9),
        ("0.0000000005", 1, -9),
        ("0.5e-9", 1, -9),
        ("0.9n", 1, -9),
        ("0.00000012345", 124, -9),
        ("0.00000012354", 124, -9),
        ("9Ei", i64::MAX as i128, 0),
        ("9223372036854775807Ki", i64::MAX as i128, 0),
        ("12E", 12, 18),
        ("100.035Ki", 10_243_584, -2),
        ("0.5Mi", 524_288, 0),
        ("0.05Gi", 536_870_912, -1),
        ("0.025Ti", 274_877_906_944, -1),
        ("0.000000000001Ki", 2, -9),
        (".001", 1, -3),
        (".0001k", 100, -3),
        ("1.", 1, 0),
        ("1.G", 1, 9),
    ];

    #[test]
    fn reference_parse_table() {
        for &(input, unscaled, scale) in TABLE {
            let want = unscaled * 10i128.pow((scale + 9) as u32);
            assert_eq!(nanos(input), want, "{input}");
            assert_eq!(nanos(&format!("+{input}")), want, "+{input}");
            if want != 0 {
                assert_eq!(nanos(&format!("-{input}")), -want, "-{input}");
            }
        }
    }

    #[test]
    fn reference_invalid_table() {
        for bad in [
            "", "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-",
            " 1", "1 ",
        ] {
            assert!(Quantity::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Quantity::parse("1K"), Err(QuantityError::Suffix));
        assert_eq!(Quantity::parse("1x"), Err(QuantityError::Format));
        // A number without digits is zero, except where the reference's fallback rejects it.
        assert_eq!(Quantity::parse(".").unwrap().value(), 0);
        assert_eq!(Quantity::parse(".Ki").unwrap().value(), 0);
        assert_eq!(Quantity::parse(".Pi"), Err(QuantityError::Numeric));
        assert_eq!(Quantity::parse("-.e-12"), Err(QuantityError::Numeric));
        assert_eq!(Quantity::parse("0.e-12").unwrap().value(), 0);
    }

    #[test]
    fn values_round_up() {
        let q = Quantity::parse("300m").unwrap();
        assert_eq!((q.value(), q.milli_value()), (1, 300));
        assert_eq!(Quantity::parse("1").unwrap().milli_value(), 1000);
        assert_eq!(Quantity::parse("30m").unwrap().milli_value(), 30);
        assert_eq!(Quantity::parse("1n").unwrap().milli_value(), 1);
        assert_eq!(Quantity::parse("2Gi").unwrap().value(), 2_147_483_648);
        assert_eq!(Quantity::parse("1G").unwrap().value(), 1_000_000_000);
        assert_eq!(Quantity::parse("125952Ki").unwrap().value(), 128_974_848);
        assert_eq!(Quantity::parse("123Mi").unwrap().value(), 128_974_848);
        assert_eq!(Quantity::parse("1e40").unwrap().value(), i64::MAX);
        assert!(Quantity::parse("1Gi").unwrap().is_binary());
        assert!(!Quantity::parse("0.000000000001Ki").unwrap().is_binary());
    }

    #[test]
    fn json_whitespace_is_trimmed() {
        assert_eq!(Quantity::from_json_text(" 1Gi\t").unwrap().value(), 1 << 30);
    }
}
