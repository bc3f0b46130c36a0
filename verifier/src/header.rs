//! The block header: binary encoding (382 bytes), hash, signing message.
//!
//! Layout (`docs/protocol.md`, "Header"): `version[1] || chain_id[32] || u64le(height) ||
//! prev_hash[32] || u64le(timestamp_ms) || u32le(slot) || u64le(difficulty) || proof[81] ||
//! vrf_pk[32] || vrf_proof[80] || payload_root[32] || signature[64]`.

use crate::challenge::Slot;
use crate::error::RejectError;
use crate::types::{ChainId, HeaderHash, Height, PayloadRoot};
use masspoc_proof::vrf::{VrfProof, VrfPublicKey, VRF_PROOF_LEN};
use masspoc_proof::{FarmerPublicKey, Proof, PROOF_LEN};

/// The only header version this crate knows.
pub const HEADER_VERSION: u8 = 1;
/// Length of the encoding without the signature.
pub const UNSIGNED_LEN: usize = 1 + 32 + 8 + 32 + 8 + 4 + 8 + PROOF_LEN + 32 + VRF_PROOF_LEN + 32;
/// Length of a header's binary encoding.
pub const HEADER_LEN: usize = UNSIGNED_LEN + 64;
/// Domain tag of the header hash.
pub const HEADER_HASH_TAG: &[u8] = b"masspoc/v1/header";
/// Domain tag of the signing message.
pub const SIGN_TAG: &[u8] = b"masspoc/v1/sign-header";
/// Length of the signing message.
pub const SIGNING_MESSAGE_LEN: usize = SIGN_TAG.len() + 32 + 32;

/// A PoC block header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The chain instance.
    pub chain_id: ChainId,
    /// Height, 1 for the first header after genesis.
    pub height: Height,
    /// Hash of the parent header (the genesis hash at height 1).
    pub prev_hash: HeaderHash,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Slot counter: the challenge answered is `challenge(height, slot)`.
    pub slot: Slot,
    /// Difficulty, equal to the retarget result for the parent.
    pub difficulty: u64,
    /// The capacity proof; its `farmer_pk` is the signing key.
    pub proof: Proof,
    /// The farmer's VRF public key.
    pub vrf_pk: VrfPublicKey,
    /// The VRF proof `pi` over the challenge.
    pub vrf_proof: VrfProof,
    /// Opaque payload commitment.
    pub payload_root: PayloadRoot,
    /// ed25519 signature by `proof.farmer_pk` over [`Header::signing_message`].
    pub signature: [u8; 64],
}

impl Header {
    /// The farmer's signing key (the proof's farmer key).
    #[must_use]
    pub fn farmer(&self) -> FarmerPublicKey {
        self.proof.farmer_pk
    }

    /// The encoding without the signature.
    #[must_use]
    pub fn encode_unsigned(&self) -> [u8; UNSIGNED_LEN] {
        let mut b = [0u8; UNSIGNED_LEN];
        let mut w = Writer { buf: &mut b, at: 0 };
        w.put(&[HEADER_VERSION]);
        w.put(self.chain_id.as_bytes());
        w.put(&self.height.0.to_le_bytes());
        w.put(self.prev_hash.as_bytes());
        w.put(&self.timestamp_ms.to_le_bytes());
        w.put(&self.slot.0.to_le_bytes());
        w.put(&self.difficulty.to_le_bytes());
        w.put(&self.proof.encode());
        w.put(&self.vrf_pk.0);
        w.put(&self.vrf_proof.0);
        w.put(self.payload_root.as_bytes());
        b
    }

    /// The full binary encoding.
    #[must_use]
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[..UNSIGNED_LEN].copy_from_slice(&self.encode_unsigned());
        b[UNSIGNED_LEN..].copy_from_slice(&self.signature);
        b
    }

    /// Decodes exactly [`HEADER_LEN`] bytes: any other length, another version or a proof that
    /// does not decode is refused. Every other field is raw bytes, so the encoding is canonical.
    pub fn decode(bytes: &[u8]) -> Result<Header, RejectError> {
        if bytes.len() != HEADER_LEN {
            return Err(RejectError::BadEncoding(format!(
                "a header is {HEADER_LEN} bytes, got {}",
                bytes.len()
            )));
        }
        let mut r = Reader { buf: bytes, at: 0 };
        let version = r.take::<1>()[0];
        if version != HEADER_VERSION {
            return Err(RejectError::BadEncoding(format!(
                "header version {version} is not {HEADER_VERSION}"
            )));
        }
        let chain_id = ChainId(r.take());
        let height = Height(u64::from_le_bytes(r.take()));
        let prev_hash = HeaderHash(r.take());
        let timestamp_ms = u64::from_le_bytes(r.take());
        let slot = Slot(u32::from_le_bytes(r.take()));
        let difficulty = u64::from_le_bytes(r.take());
        let proof = Proof::decode(&r.take::<PROOF_LEN>())
            .map_err(|e| RejectError::BadEncoding(format!("proof: {e}")))?;
        Ok(Header {
            chain_id,
            height,
            prev_hash,
            timestamp_ms,
            slot,
            difficulty,
            proof,
            vrf_pk: VrfPublicKey(r.take()),
            vrf_proof: VrfProof(r.take()),
            payload_root: PayloadRoot(r.take()),
            signature: r.take(),
        })
    }

    /// Decodes the hex of a binary encoding (surrounding whitespace ignored).
    pub fn from_hex(s: &str) -> Result<Header, RejectError> {
        let bytes = hex::decode(s.trim())
            .map_err(|e| RejectError::BadEncoding(format!("header hex: {e}")))?;
        Header::decode(&bytes)
    }

    /// Lowercase hex of the binary encoding.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.encode())
    }

    /// `BLAKE3(HEADER_HASH_TAG || encode_unsigned())`: the signature is not part of the hash.
    #[must_use]
    pub fn hash(&self) -> HeaderHash {
        let mut h = blake3::Hasher::new();
        h.update(HEADER_HASH_TAG);
        h.update(&self.encode_unsigned());
        HeaderHash(*h.finalize().as_bytes())
    }

    /// `SIGN_TAG || chain_id || hash()`: the bytes the farmer signs.
    #[must_use]
    pub fn signing_message(&self) -> [u8; SIGNING_MESSAGE_LEN] {
        signing_message(&self.chain_id, &self.hash())
    }

    /// Strict ed25519 verification of the signature under the proof's farmer key.
    pub fn verify_signature(&self) -> Result<(), RejectError> {
        self.verify_signature_with_hash(&self.hash())
    }

    /// [`Header::verify_signature`] with the header's hash already computed (saves hashing the
    /// header twice); `hash` must be `self.hash()`.
    pub fn verify_signature_with_hash(&self, hash: &HeaderHash) -> Result<(), RejectError> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(self.proof.farmer_pk.as_bytes())
            .map_err(|_| RejectError::BadSignature)?;
        let sig = ed25519_dalek::Signature::from_bytes(&self.signature);
        key.verify_strict(&signing_message(&self.chain_id, hash), &sig)
            .map_err(|_| RejectError::BadSignature)
    }
}

/// The signing message of a header with this chain id and hash.
#[must_use]
pub fn signing_message(chain_id: &ChainId, hash: &HeaderHash) -> [u8; SIGNING_MESSAGE_LEN] {
    let mut m = [0u8; SIGNING_MESSAGE_LEN];
    m[..SIGN_TAG.len()].copy_from_slice(SIGN_TAG);
    m[SIGN_TAG.len()..SIGN_TAG.len() + 32].copy_from_slice(chain_id.as_bytes());
    m[SIGN_TAG.len() + 32..].copy_from_slice(hash.as_bytes());
    m
}

struct Writer<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.buf[self.at..self.at + bytes.len()].copy_from_slice(bytes);
        self.at += bytes.len();
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    /// Takes the next `N` bytes; the caller checked the total length first.
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.buf[self.at..self.at + N]);
        self.at += N;
        out
    }
}
