//! Bytes of any length as a lowercase hex string: the encodings of headers and evidence.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Raw bytes, a lowercase hex string in JSON (any case is accepted when parsing).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct HexBytes(pub Vec<u8>);

impl HexBytes {
    /// The bytes.
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// Lowercase hex of the bytes.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }
}

impl From<&[u8]> for HexBytes {
    fn from(b: &[u8]) -> Self {
        HexBytes(b.to_vec())
    }
}

impl fmt::Debug for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HexBytes({})", self.to_hex())
    }
}

impl Serialize for HexBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        hex::decode(s.as_ref())
            .map(HexBytes)
            .map_err(|e| serde::de::Error::custom(format_args!("not hex: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_both_ways() {
        let b = HexBytes(vec![0x00, 0xab, 0xff]);
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"00abff\"");
        assert_eq!(serde_json::from_str::<HexBytes>("\"00ABff\"").unwrap(), b);
        let e = serde_json::from_str::<HexBytes>("\"0g\"").unwrap_err();
        assert!(e.to_string().starts_with("not hex"), "{e}");
        assert!(serde_json::from_str::<HexBytes>("\"abc\"").is_err());
    }
}
