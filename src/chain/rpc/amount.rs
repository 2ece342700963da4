//! BTC amounts in node answers, turned into exact satoshis by `bitcoin::Amount`.

use bitcoin::amount::{Amount, Denomination, ParseAmountError};
use serde_json::Number;

/// Converts a BTC amount to satoshis by reading its decimal text, never by f64 arithmetic.
///
/// Without serde_json's `arbitrary_precision` the number has already been parsed to f64, and
/// `to_string` yields the shortest text that parses back to the same f64. That text is still the
/// node's exact decimal: serde_json parses up to 16 significant digits with one correctly rounded
/// operation (exact significand divided by an exact power of ten), and below 21e6 BTC the f64
/// spacing (at most 2^-28) is under half a satoshi, so no other value with at most 8 decimals
/// maps to the same f64 or prints shorter.
pub(super) fn btc_to_sats(amount: &Number) -> Result<i64, String> {
    parse_btc_amount(&amount.to_string())
}

/// Satoshis in `text`, a JSON number of BTC.
pub(super) fn parse_btc_amount(text: &str) -> Result<i64, String> {
    let plain = plain_decimal(text).ok_or_else(|| format!("{text:?} is not a decimal number"))?;
    let amount =
        Amount::from_str_in(&plain, Denomination::Bitcoin).map_err(|e| describe(text, &e))?;
    // In bitcoin 0.32 `Amount` stops only at u64::MAX, not at the supply.
    if amount > Amount::MAX_MONEY {
        return Err(format!("{text} exceeds 21000000 BTC"));
    }
    // Fits: MAX_MONEY is far below i64::MAX, the type of satoshi sums in the database.
    Ok(amount.to_sat() as i64)
}

/// Rewrites a JSON number as the plain decimal `Amount::from_str_in` reads, or `None` when the
/// text is not `-?digits(.digits)?([eE][+-]?digits)?`.
///
/// The adapter exists because `from_str_in` takes only plain decimals, and serde_json prints an
/// f64 with an exponent once it is small or large (a satoshi, 0.00000001, prints as `1e-8`).
/// Along the way it drops trailing fractional zeros, which `Amount` would count as a ninth
/// decimal, and the sign of zero, so "-0" is zero as Bitcoin Core means it; and it refuses `.5`
/// and `1.`, which `Amount` would accept but no JSON encoder writes.
fn plain_decimal(text: &str) -> Option<String> {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, parse_exponent(exponent)?),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((int_part, frac_part)) if is_digits(frac_part) => (int_part, frac_part),
        Some(_) => return None,
        None => (mantissa, ""),
    };
    if !is_digits(int_part) {
        return None;
    }

    let digits = format!("{int_part}{frac_part}");
    let significant = digits.trim_start_matches('0');
    let leading_zeros = (digits.len() - significant.len()) as i64;
    // Where the decimal point sits, in digits from the start of `significant`.
    let point = (int_part.len() as i64 - leading_zeros).saturating_add(exponent);
    let significant = significant.trim_end_matches('0');
    if significant.is_empty() {
        return Some("0".to_owned());
    }
    // At -8 the first digit is already a ninth decimal, at 17 the amount is already past any u64
    // of satoshis; clamping there keeps the text short whatever the exponent, same verdict.
    let point = point.clamp(-8, 17);
    let len = significant.len() as i64;
    Some(if point <= 0 {
        format!("{sign}0.{}{significant}", "0".repeat(-point as usize))
    } else if point >= len {
        format!("{sign}{significant}{}", "0".repeat((point - len) as usize))
    } else {
        let (int, frac) = significant.split_at(point as usize);
        format!("{sign}{int}.{frac}")
    })
}

fn parse_exponent(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if !is_digits(digits) {
        return None;
    }
    // An exponent beyond i64 saturates: it leaves the point just as far outside the clamp.
    Some(text.parse().unwrap_or(if text.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    }))
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// `Amount`'s own message is generic ("amount out of range"); its source says which way.
fn describe(text: &str, error: &ParseAmountError) -> String {
    match std::error::Error::source(error) {
        Some(cause) => format!("{text} BTC: {error}: {cause}"),
        None => format!("{text} BTC: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX_MONEY_SATS: i64 = 21_000_000 * 100_000_000;

    /// Goes through serde_json exactly as a node answer does: JSON text → Number → satoshis.
    fn sats(json_number: &str) -> Result<i64, String> {
        let number: Number = serde_json::from_str(json_number)
            .map_err(|e| format!("test input {json_number:?} is not a JSON number: {e}"))?;
        btc_to_sats(&number)
    }

    #[test]
    fn decimal_fractions_are_exact() {
        assert_eq!(sats("0.1"), Ok(10_000_000));
        assert_eq!(sats("0.2"), Ok(20_000_000));
        assert_eq!(sats("0.3"), Ok(30_000_000));
        // The classic 0.1 + 0.2 != 0.3 of f64 must not leak into satoshi sums.
        assert_eq!(
            sats("0.1").and_then(|a| sats("0.2").map(|b| a + b)),
            sats("0.3")
        );
        assert_eq!(sats("0.0001"), Ok(10_000));
        assert_eq!(sats("1.5"), Ok(150_000_000));
        assert_eq!(sats("0.29"), Ok(29_000_000));
        assert_eq!(sats("1.005"), Ok(100_500_000));
        assert_eq!(sats("0.07"), Ok(7_000_000));
    }

    #[test]
    fn bitcoin_core_fixed_eight_decimal_format_is_exact() {
        assert_eq!(sats("0.00010000"), Ok(10_000));
        assert_eq!(sats("0.00000001"), Ok(1));
        assert_eq!(sats("12.34567890"), Ok(1_234_567_890));
        assert_eq!(sats("0.00000000"), Ok(0));
    }

    #[test]
    fn extremes_of_the_money_range_are_exact() {
        assert_eq!(sats("0.00000001"), Ok(1));
        assert_eq!(sats("20999999.99999999"), Ok(MAX_MONEY_SATS - 1));
        assert_eq!(sats("21000000"), Ok(MAX_MONEY_SATS));
        assert_eq!(sats("21000000.00000000"), Ok(MAX_MONEY_SATS));
        assert_eq!(sats("0"), Ok(0));
    }

    #[test]
    fn exponent_notation_is_understood() {
        assert_eq!(sats("1e-8"), Ok(1));
        assert_eq!(sats("1E-8"), Ok(1));
        assert_eq!(sats("1e-08"), Ok(1));
        assert_eq!(sats("2.1e7"), Ok(MAX_MONEY_SATS));
        assert_eq!(sats("1.5e+2"), Ok(15_000_000_000));
        assert_eq!(parse_btc_amount("1e-08"), Ok(1));
        assert_eq!(parse_btc_amount("5e-7"), Ok(50));
        assert_eq!(parse_btc_amount("2.1e7"), Ok(MAX_MONEY_SATS));
        assert_eq!(parse_btc_amount("0.000123e3"), Ok(12_300_000));
        assert_eq!(parse_btc_amount("0e999999999999999999999"), Ok(0));
    }

    #[test]
    fn every_amount_near_the_edges_survives_the_f64_detour() {
        let edges = [1_i64, 10_000_000, 99_999_999_000, MAX_MONEY_SATS - 200_000];
        for start in edges {
            for amount in start..start + 200_000 {
                let text = format!("{}.{:08}", amount / 100_000_000, amount % 100_000_000);
                assert_eq!(sats(&text), Ok(amount), "{text}");
            }
        }
    }

    #[test]
    fn too_many_decimals_are_rejected() {
        assert!(sats("1.000000001").is_err());
        assert!(sats("0.000000001").is_err());
        assert!(sats("1e-9").is_err());
        assert!(parse_btc_amount("1.000000001").is_err());
        assert!(parse_btc_amount("1e-999999999999999999999").is_err());
    }

    #[test]
    fn trailing_zeros_beyond_eight_decimals_are_harmless() {
        assert_eq!(parse_btc_amount("1.0000000000"), Ok(100_000_000));
        assert_eq!(parse_btc_amount("0.000000010"), Ok(1));
    }

    #[test]
    fn negatives_are_rejected_but_negative_zero_is_zero() {
        assert!(sats("-0.5").is_err());
        assert!(sats("-1").is_err());
        assert!(sats("-0.00000001").is_err());
        assert_eq!(parse_btc_amount("-0"), Ok(0));
    }

    #[test]
    fn amounts_above_the_supply_cap_are_rejected() {
        assert!(sats("21000000.00000001").is_err());
        assert!(sats("21000001").is_err());
        assert!(sats("1e300").is_err());
        assert!(sats("99999999999999999999999").is_err());
        assert!(parse_btc_amount("1e999999999999999999999").is_err());
        assert!(parse_btc_amount("123456789012345678901234567890").is_err());
    }

    #[test]
    fn non_numbers_are_rejected() {
        for text in [
            "", "-", ".", "1.", ".5", "1e", "1e+", "abc", "1.2.3", "0x10", "1_000", "١",
        ] {
            assert!(parse_btc_amount(text).is_err(), "{text:?}");
        }
    }
}
