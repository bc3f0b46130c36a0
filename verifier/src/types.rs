//! Newtypes of the chain rules: a height can never be passed where a timestamp is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A block height; genesis is height 0, the first header has height 1.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Height(pub u64);

impl Height {
    /// The next height, or `None` on overflow.
    #[must_use]
    pub fn next(self) -> Option<Height> {
        self.0.checked_add(1).map(Height)
    }

    /// The previous height, or `None` at genesis.
    #[must_use]
    pub fn prev(self) -> Option<Height> {
        self.0.checked_sub(1).map(Height)
    }
}

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

macro_rules! hash32 {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The raw bytes.
            #[must_use]
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// Lowercase hex of the bytes.
            #[must_use]
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// Parses exactly 64 hex digits.
            pub fn from_hex(s: &str) -> Result<Self, hex::FromHexError> {
                let mut out = [0u8; 32];
                hex::decode_to_slice(s.trim(), &mut out)?;
                Ok($name(out))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_hex())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::from_hex(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

hash32!(
    /// A chain instance's 32-byte id: the BLAKE3 hash of its tagged parameters (`docs/protocol.md`).
    ChainId
);
hash32!(
    /// A header's hash: BLAKE3 of the tagged header encoding without the signature.
    HeaderHash
);
hash32!(
    /// The opaque 32-byte payload root a header commits to.
    PayloadRoot
);
hash32!(
    /// A proof-of-work block hash used as a genesis beacon, in RPC display order.
    Beacon
);
