//! One definition of the 32-byte hex newtypes every crate uses (plot ids, keys, chain ids,
//! header hashes, …): raw bytes, lowercase hex in Display and serde, strict 64-digit parsing.

use thiserror::Error;

#[doc(hidden)]
pub mod __private {
    pub use hex;
    pub use serde;
}

/// A string that is not exactly 64 hex digits where a 32-byte value was expected.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{what} must be 64 hex digits")]
pub struct HexBytesError {
    /// The type that was being parsed.
    pub what: &'static str,
    /// What hex decoding said.
    #[source]
    pub source: hex::FromHexError,
}

/// Defines a `pub struct $name(pub [u8; 32])` with `as_bytes`, `to_hex`, `from_hex` (returning
/// `Result<Self, $err>`, where `$err: From<HexBytesError>`), Debug, Display and hex serde.
#[macro_export]
macro_rules! bytes32_newtype {
    ($(#[$doc:meta])* $name:ident, $err:ty) => {
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
                $crate::newtype::__private::hex::encode(self.0)
            }

            /// Parses exactly 64 hex digits (surrounding white space is ignored).
            pub fn from_hex(s: &str) -> Result<Self, $err> {
                let mut out = [0u8; 32];
                $crate::newtype::__private::hex::decode_to_slice(s.trim(), &mut out).map_err(
                    |source| $crate::newtype::HexBytesError {
                        what: stringify!($name),
                        source,
                    },
                )?;
                Ok($name(out))
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_hex())
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl $crate::newtype::__private::serde::Serialize for $name {
            fn serialize<S: $crate::newtype::__private::serde::Serializer>(
                &self,
                s: S,
            ) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> $crate::newtype::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::newtype::__private::serde::Deserializer<'de>>(
                d: D,
            ) -> Result<Self, D::Error> {
                let s = <String as $crate::newtype::__private::serde::Deserialize>::deserialize(d)?;
                $name::from_hex(&s).map_err(<D::Error as $crate::newtype::__private::serde::de::Error>::custom)
            }
        }
    };
}
