//! The key file format, version 1 (`docs/keys.md`): a small JSON object with the public key in
//! clear and the seed either in clear or sealed with a passphrase.

use super::crypt::{KdfParams, CIPHERTEXT_LEN, NONCE_LEN, SALT_LEN};
use crate::error::KeyError;
use serde::{Deserialize, Serialize};
use std::path::Path;
use zeroize::Zeroizing;

/// The `format` field of every key file.
pub const FORMAT: &str = "masspoc-farmer-key";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;
/// `secret.encryption` of a seed kept in clear.
pub const ENC_NONE: &str = "none";
/// `secret.encryption` of a passphrase-sealed seed.
pub const ENC_SCRYPT: &str = "scrypt-chacha20poly1305";

/// The whole file. Secret-bearing strings are zeroized when dropped.
#[derive(Serialize, Deserialize)]
pub struct KeyFileJson {
    pub format: String,
    pub version: u32,
    pub farmer_pk: String,
    pub secret: SecretJson,
}

/// The `secret` object: `encryption` says which of the other fields are present.
#[derive(Serialize, Deserialize)]
pub struct SecretJson {
    pub encryption: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<Zeroizing<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf: Option<KdfJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciphertext: Option<String>,
}

/// scrypt parameters and salt.
#[derive(Serialize, Deserialize)]
pub struct KdfJson {
    pub log_n: u8,
    pub r: u32,
    pub p: u32,
    pub salt: String,
}

/// Only the public part, for reading a key file without touching its secret.
#[derive(Deserialize)]
pub struct PublicPartJson {
    pub format: String,
    pub version: u32,
    pub farmer_pk: String,
}

/// What the `secret` object holds, decoded.
pub enum Secret {
    /// The seed in clear.
    Clear(Zeroizing<[u8; 32]>),
    /// The sealed seed.
    Sealed {
        /// scrypt parameters.
        params: KdfParams,
        /// scrypt salt.
        salt: [u8; SALT_LEN],
        /// AEAD nonce.
        nonce: [u8; NONCE_LEN],
        /// Sealed seed and tag.
        ciphertext: [u8; CIPHERTEXT_LEN],
    },
}

/// Parses JSON, reporting only the position of an error (the text may hold a secret).
pub fn parse_json<'a, T: Deserialize<'a>>(path: &Path, bytes: &'a [u8]) -> Result<T, KeyError> {
    serde_json::from_slice(bytes).map_err(|e| KeyError::NotJson {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
    })
}

/// Checks `format` and `version` and decodes `farmer_pk`.
pub fn check_header(
    path: &Path,
    format: &str,
    version: u32,
    farmer_pk: &str,
) -> Result<[u8; 32], KeyError> {
    if format != FORMAT {
        return Err(KeyError::WrongFormat {
            path: path.to_path_buf(),
        });
    }
    if version != VERSION {
        return Err(KeyError::UnsupportedVersion {
            path: path.to_path_buf(),
            version,
        });
    }
    hex_array(path, "farmer_pk", farmer_pk)
}

/// Decodes exactly `N` bytes of hex.
pub fn hex_array<const N: usize>(
    path: &Path,
    field: &'static str,
    s: &str,
) -> Result<[u8; N], KeyError> {
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).map_err(|_| KeyError::Malformed {
        path: path.to_path_buf(),
        field,
    })?;
    Ok(out)
}

/// Decodes the `secret` object.
pub fn decode_secret(path: &Path, secret: &SecretJson) -> Result<Secret, KeyError> {
    let missing = |field| KeyError::Malformed {
        path: path.to_path_buf(),
        field,
    };
    match secret.encryption.as_str() {
        ENC_NONE => {
            let seed_hex = secret.seed.as_ref().ok_or_else(|| missing("secret.seed"))?;
            let mut seed = Zeroizing::new([0u8; 32]);
            hex::decode_to_slice(seed_hex.as_bytes(), seed.as_mut())
                .map_err(|_| missing("secret.seed"))?;
            Ok(Secret::Clear(seed))
        }
        ENC_SCRYPT => {
            let kdf = secret.kdf.as_ref().ok_or_else(|| missing("secret.kdf"))?;
            let nonce = secret
                .nonce
                .as_ref()
                .ok_or_else(|| missing("secret.nonce"))?;
            let ct = secret
                .ciphertext
                .as_ref()
                .ok_or_else(|| missing("secret.ciphertext"))?;
            Ok(Secret::Sealed {
                params: KdfParams {
                    log_n: kdf.log_n,
                    r: kdf.r,
                    p: kdf.p,
                },
                salt: hex_array(path, "secret.kdf.salt", &kdf.salt)?,
                nonce: hex_array(path, "secret.nonce", nonce)?,
                ciphertext: hex_array(path, "secret.ciphertext", ct)?,
            })
        }
        _ => Err(missing("secret.encryption")),
    }
}

/// Encodes a key file as pretty JSON with a final newline; the buffer is zeroized when dropped.
/// (Serializing these strings and integers cannot fail; an error is still passed on, never
/// turned into an empty file.)
pub fn encode(farmer_pk: &[u8; 32], secret: &Secret) -> std::io::Result<Zeroizing<Vec<u8>>> {
    let secret = match secret {
        Secret::Clear(seed) => SecretJson {
            encryption: ENC_NONE.to_string(),
            seed: Some(Zeroizing::new(hex::encode(seed.as_ref()))),
            kdf: None,
            nonce: None,
            ciphertext: None,
        },
        Secret::Sealed {
            params,
            salt,
            nonce,
            ciphertext,
        } => SecretJson {
            encryption: ENC_SCRYPT.to_string(),
            seed: None,
            kdf: Some(KdfJson {
                log_n: params.log_n,
                r: params.r,
                p: params.p,
                salt: hex::encode(salt),
            }),
            nonce: Some(hex::encode(nonce)),
            ciphertext: Some(hex::encode(ciphertext)),
        },
    };
    let file = KeyFileJson {
        format: FORMAT.to_string(),
        version: VERSION,
        farmer_pk: hex::encode(farmer_pk),
        secret,
    };
    let mut out = Zeroizing::new(Vec::with_capacity(1024));
    serde_json::to_writer_pretty(&mut *out, &file)?;
    out.push(b'\n');
    Ok(out)
}
