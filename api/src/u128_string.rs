//! Serde for `u128` as a decimal string (`"340282366920938463463374607431768211455"`): JSON
//! numbers above 2^53 lose precision in many parsers, so the API never sends a u128 as a number.
//! Use with `#[serde(with = "masspoc_api::u128_string")]`.

use serde::{Deserialize, Deserializer, Serializer};

/// Writes the decimal string.
pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Reads a decimal string of digits only (no sign, no white space, no exponent).
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(serde::de::Error::custom(format_args!(
            "{s:?} is not a decimal u128"
        )));
    }
    s.parse()
        .map_err(|e| serde::de::Error::custom(format_args!("{s:?} is not a decimal u128: {e}")))
}

#[cfg(test)]
mod tests {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct W(#[serde(with = "super")] u128);

    #[test]
    fn decimal_strings_only() {
        assert_eq!(
            serde_json::to_string(&W(u128::MAX)).unwrap(),
            format!("\"{}\"", u128::MAX)
        );
        assert_eq!(
            serde_json::from_str::<W>("\"340282366920938463463374607431768211455\"").unwrap(),
            W(u128::MAX)
        );
        for bad in [
            "1",
            "\"\"",
            "\"-1\"",
            "\"+1\"",
            "\" 1\"",
            "\"1e3\"",
            "\"340282366920938463463374607431768211456\"",
        ] {
            assert!(serde_json::from_str::<W>(bad).is_err(), "{bad}");
        }
    }
}
