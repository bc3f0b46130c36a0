//! Passphrase encryption of the 32-byte seed: scrypt derives a ChaCha20-Poly1305 key; the AEAD's
//! associated data binds the ciphertext to the farmer public key written beside it.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use zeroize::Zeroizing;

/// Prefix of the AEAD associated data: `"masspoc/v1/farmer-key" || farmer_pk[32]`.
pub const AAD_TAG: &[u8] = b"masspoc/v1/farmer-key";
/// Length of the AEAD nonce.
pub const NONCE_LEN: usize = 12;
/// Length of the scrypt salt.
pub const SALT_LEN: usize = 32;
/// Length of the ciphertext: the 32-byte seed and the 16-byte Poly1305 tag.
pub const CIPHERTEXT_LEN: usize = 48;

/// scrypt cost parameters of an encrypted key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// log2 of the cost N.
    pub log_n: u8,
    /// Block size r.
    pub r: u32,
    /// Parallelism p.
    pub p: u32,
}

impl Default for KdfParams {
    /// N = 2^17, r = 8, p = 1: 128 MiB and about half a second per try (new key files; files
    /// sealed with a lower cost, e.g. the earlier default 2^15, still open).
    fn default() -> Self {
        KdfParams {
            log_n: 17,
            r: 8,
            p: 1,
        }
    }
}

impl KdfParams {
    /// Accepted range on load, so a hostile file cannot ask for unbounded memory or time:
    /// `10 <= log_n <= 20`, `1 <= r <= 32`, `1 <= p <= 16`, memory `128 * r * N <= 1 GiB`.
    #[must_use]
    pub fn is_acceptable(&self) -> bool {
        if !(10..=20).contains(&self.log_n)
            || !(1..=32).contains(&self.r)
            || !(1..=16).contains(&self.p)
        {
            return false;
        }
        let memory = (128u64 * u64::from(self.r)) << u32::from(self.log_n);
        memory <= 1 << 30
    }
}

/// The AEAD key: `scrypt(passphrase, salt, N = 2^log_n, r, p, 32 bytes)`. `None` if scrypt
/// rejects the parameters.
fn derive_key(
    passphrase: &str,
    salt: &[u8; SALT_LEN],
    params: KdfParams,
) -> Option<Zeroizing<[u8; 32]>> {
    let params = scrypt::Params::new(params.log_n, params.r, params.p, 32).ok()?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(passphrase.as_bytes(), salt, &params, key.as_mut()).ok()?;
    Some(key)
}

fn aad(farmer_pk: &[u8; 32]) -> Vec<u8> {
    [AAD_TAG, farmer_pk.as_slice()].concat()
}

/// Encrypts the seed; `None` only if the parameters are invalid.
pub fn seal(
    seed: &[u8; 32],
    farmer_pk: &[u8; 32],
    passphrase: &str,
    params: KdfParams,
    salt: &[u8; SALT_LEN],
    nonce: &[u8; NONCE_LEN],
) -> Option<[u8; CIPHERTEXT_LEN]> {
    let key = derive_key(passphrase, salt, params)?;
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key.as_ref()));
    let aad = aad(farmer_pk);
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: seed,
                aad: &aad,
            },
        )
        .ok()?;
    sealed.try_into().ok()
}

/// Decrypts the seed; `None` on a wrong passphrase, altered data or invalid parameters.
pub fn open(
    ciphertext: &[u8; CIPHERTEXT_LEN],
    farmer_pk: &[u8; 32],
    passphrase: &str,
    params: KdfParams,
    salt: &[u8; SALT_LEN],
    nonce: &[u8; NONCE_LEN],
) -> Option<Zeroizing<[u8; 32]>> {
    let key = derive_key(passphrase, salt, params)?;
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key.as_ref()));
    let aad = aad(farmer_pk);
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .ok()?,
    );
    let mut seed = Zeroizing::new([0u8; 32]);
    if plain.len() != 32 {
        return None;
    }
    seed.copy_from_slice(&plain);
    Some(seed)
}
