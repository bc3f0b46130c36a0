//! The farmer's identity: one 32-byte ed25519 seed in a key file (`docs/keys.md`).
//!
//! - the file keeps the **public key in clear**, so plotting needs no secret
//!   ([`read_public_key`]);
//! - the seed is kept in clear or sealed with a passphrase (scrypt + ChaCha20-Poly1305);
//! - files are created 0600 and never overwritten; loading refuses a file that group or others can
//!   read;
//! - [`FarmerKey`] zeroizes its secret on drop and never shows it in `Debug` or in errors;
//! - the VRF key is the one bound to the farmer key ([`masspoc_proof::vrf::bound_vrf_secret`]):
//!   derived from the seed, never the signing key itself, and not stored (old key files work).

mod crypt;
mod format;
pub(crate) mod secure_file;

#[cfg(test)]
mod tests;

pub use crate::error::PassphraseFileError;
pub use crypt::KdfParams;

/// Reads a passphrase from the first line of `path` (a trailing `\r` dropped), refusing a file
/// that group or others may read or write (mode checked on the open file) and an empty line.
/// Zeroized when dropped.
pub fn read_passphrase_file(
    path: &std::path::Path,
) -> Result<zeroize::Zeroizing<String>, PassphraseFileError> {
    let bytes = secure_file::read_secret_file(path).map_err(|e| match e {
        secure_file::ReadError::Io(source) => PassphraseFileError::Io {
            path: path.to_path_buf(),
            source,
        },
        secure_file::ReadError::Insecure(mode) => PassphraseFileError::Insecure {
            path: path.to_path_buf(),
            mode,
        },
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| PassphraseFileError::NotUtf8 {
        path: path.to_path_buf(),
    })?;
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(PassphraseFileError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(zeroize::Zeroizing::new(line.to_string()))
}

use crate::error::KeyError;
use ed25519_dalek::{SigningKey, VerifyingKey};
use format::Secret;
use masspoc_proof::vrf::{bound_vrf_secret, VrfSecretKey};
use masspoc_proof::FarmerPublicKey;
use rand_core::{OsRng, RngCore};
use secure_file::ReadError;
use std::fmt;
use std::path::Path;
use zeroize::Zeroizing;

/// A farmer's secret key: the ed25519 signing key made from a 32-byte seed.
///
/// The seed is zeroized on drop (ed25519-dalek's `SigningKey` zeroizes itself); `Debug` shows only
/// the public key.
pub struct FarmerKey {
    signing: SigningKey,
}

impl FarmerKey {
    /// A new key from the operating system's random generator.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        OsRng
            .try_fill_bytes(seed.as_mut())
            .map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(Self::from_seed(&seed))
    }

    /// The key of a given 32-byte seed (RFC 8032 secret key).
    #[must_use]
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        FarmerKey {
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// The ed25519 signing key. Sign headers through
    /// [`crate::signing_history::SigningGuard`], which records before it signs.
    #[must_use]
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    /// The farmer public key (ed25519), as plots and headers carry it.
    #[must_use]
    pub fn public_key(&self) -> FarmerPublicKey {
        FarmerPublicKey(self.signing.verifying_key().to_bytes())
    }

    /// The VRF secret key bound to this farmer key: `bound_vrf_secret(seed)`, whose public key
    /// every verifier derives from `farmer_pk` alone (`docs/vrf.md`).
    #[must_use]
    pub fn vrf_secret(&self) -> VrfSecretKey {
        let seed = Zeroizing::new(self.signing.to_bytes());
        bound_vrf_secret(&seed)
    }

    /// Reads a key file. An encrypted file needs `passphrase`; a clear one ignores it. Refuses a
    /// file that group or others can access, and one whose secret does not give the public key
    /// written in it.
    pub fn load(path: &Path, passphrase: Option<&str>) -> Result<Self, KeyError> {
        let bytes = secure_file::read_secret_file(path).map_err(|e| match e {
            ReadError::Io(source) => KeyError::Io {
                path: path.to_path_buf(),
                source,
            },
            ReadError::Insecure(mode) => KeyError::InsecurePermissions {
                path: path.to_path_buf(),
                mode,
            },
        })?;
        let file: format::KeyFileJson = format::parse_json(path, &bytes)?;
        let farmer_pk = format::check_header(path, &file.format, file.version, &file.farmer_pk)?;
        let seed = match format::decode_secret(path, &file.secret)? {
            Secret::Clear(seed) => seed,
            Secret::Sealed {
                params,
                salt,
                nonce,
                ciphertext,
            } => {
                let passphrase = passphrase.ok_or_else(|| KeyError::PassphraseRequired {
                    path: path.to_path_buf(),
                })?;
                if !params.is_acceptable() {
                    return Err(KeyError::BadKdfParams {
                        path: path.to_path_buf(),
                        log_n: params.log_n,
                        r: params.r,
                        p: params.p,
                    });
                }
                crypt::open(&ciphertext, &farmer_pk, passphrase, params, &salt, &nonce).ok_or_else(
                    || KeyError::WrongPassphrase {
                        path: path.to_path_buf(),
                    },
                )?
            }
        };
        let key = Self::from_seed(&seed);
        if key.public_key().0 != farmer_pk {
            return Err(KeyError::PublicKeyMismatch {
                path: path.to_path_buf(),
            });
        }
        Ok(key)
    }

    /// Writes the key to a new file (mode 0600, never replacing an existing file), sealed with
    /// `passphrase` under the default scrypt cost when one is given.
    pub fn save(&self, path: &Path, passphrase: Option<&str>) -> Result<(), KeyError> {
        self.save_with_kdf(path, passphrase, KdfParams::default())
    }

    /// As [`FarmerKey::save`], with explicit scrypt parameters (which must be acceptable).
    pub fn save_with_kdf(
        &self,
        path: &Path,
        passphrase: Option<&str>,
        params: KdfParams,
    ) -> Result<(), KeyError> {
        let farmer_pk = self.public_key().0;
        let seed = Zeroizing::new(self.signing.to_bytes());
        let secret = match passphrase {
            None => Secret::Clear(seed),
            Some(passphrase) => {
                let bad_params = || KeyError::BadKdfParams {
                    path: path.to_path_buf(),
                    log_n: params.log_n,
                    r: params.r,
                    p: params.p,
                };
                if !params.is_acceptable() {
                    return Err(bad_params());
                }
                let mut salt = [0u8; crypt::SALT_LEN];
                let mut nonce = [0u8; crypt::NONCE_LEN];
                for buf in [&mut salt[..], &mut nonce[..]] {
                    OsRng
                        .try_fill_bytes(buf)
                        .map_err(|e| KeyError::Random(e.to_string()))?;
                }
                let ciphertext = crypt::seal(&seed, &farmer_pk, passphrase, params, &salt, &nonce)
                    .ok_or_else(bad_params)?;
                Secret::Sealed {
                    params,
                    salt,
                    nonce,
                    ciphertext,
                }
            }
        };
        let bytes = format::encode(&farmer_pk, &secret).map_err(|source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        secure_file::create_secret_file(path, &bytes).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                KeyError::AlreadyExists {
                    path: path.to_path_buf(),
                }
            } else {
                KeyError::Io {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })
    }
}

impl fmt::Debug for FarmerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FarmerKey(public: {}, secret: <redacted>)",
            self.public_key()
        )
    }
}

/// Reads the public key of a key file without touching its secret (and without needing a
/// passphrase): what `masspoc plot` needs. The key must be a valid ed25519 public key.
pub fn read_public_key(path: &Path) -> Result<FarmerPublicKey, KeyError> {
    let bytes = secure_file::read_public_file(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let part: format::PublicPartJson = format::parse_json(path, &bytes)?;
    let pk = format::check_header(path, &part.format, part.version, &part.farmer_pk)?;
    VerifyingKey::from_bytes(&pk).map_err(|_| KeyError::InvalidPublicKey {
        path: path.to_path_buf(),
    })?;
    Ok(FarmerPublicKey(pk))
}
