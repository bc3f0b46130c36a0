//! Errors of the verifier crate: why a header, evidence or store operation was rejected.

use masspoc_proof::vrf::VrfError;
use masspoc_proof::ProofError;
use thiserror::Error;

/// Why a header was rejected by the chain rules (`docs/protocol.md`, "Rejection reasons").
///
/// [`RejectError::code`] gives the stable snake_case code the bridge API reports.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RejectError {
    /// The bytes are not a canonical header encoding.
    #[error("bad encoding: {0}")]
    BadEncoding(String),
    /// The header names another chain instance.
    #[error("wrong chain: the header is for chain {got}, expected {expected}")]
    WrongChain {
        /// Chain id the header carries (hex).
        got: String,
        /// Chain id of the chain checking it (hex).
        expected: String,
    },
    /// The header's parent is not known.
    #[error("unknown parent {0}")]
    UnknownParent(String),
    /// The height is not the parent's plus one.
    #[error("wrong height: expected {expected}, got {got}")]
    WrongHeight {
        /// Parent height plus one.
        expected: u64,
        /// The header's height.
        got: u64,
    },
    /// The difficulty is not what the retarget rule gives for this parent.
    #[error("wrong difficulty: expected {expected}, got {got}")]
    WrongDifficulty {
        /// Retarget result.
        expected: u64,
        /// The header's difficulty.
        got: u64,
    },
    /// The proof's plot is smaller than the chain allows.
    #[error("plot k = {k} is below the chain's minimum {min_k}")]
    PlotTooSmall {
        /// The proof's k.
        k: u8,
        /// The chain's minimum.
        min_k: u8,
    },
    /// The capacity proof is not a valid stored pair (bad pair, wrong order, out of range).
    #[error("bad proof: {0}")]
    BadProof(ProofError),
    /// The pair is valid but does not answer this header's challenge (filter or index).
    #[error("wrong challenge: {0}")]
    WrongChallenge(ProofError),
    /// The VRF proof does not verify over the challenge under the header's VRF key.
    #[error("bad vrf: {0}")]
    BadVrf(VrfError),
    /// The VRF key is not the one bound to the proof's farmer key
    /// (`masspoc_proof::vrf::bound_vrf_public`, `docs/vrf.md`), or the farmer key has none.
    #[error("vrf key not bound to the farmer key: {0}")]
    VrfKeyNotBound(String),
    /// The timestamp is earlier than parent + slot delay + deadline.
    #[error("deadline not met: earliest allowed timestamp {earliest_ms} ms, got {got_ms} ms")]
    DeadlineNotMet {
        /// Earliest allowed timestamp (saturated at u64::MAX).
        earliest_ms: u64,
        /// The header's timestamp.
        got_ms: u64,
    },
    /// The timestamp is further in the future than the allowed drift.
    #[error("timestamp {got_ms} ms is more than {drift_ms} ms ahead of now ({now_ms} ms)")]
    TooFarInFuture {
        /// The header's timestamp.
        got_ms: u64,
        /// The checker's clock.
        now_ms: u64,
        /// The chain's allowed drift.
        drift_ms: u64,
    },
    /// The ed25519 signature does not verify strictly under the proof's farmer key.
    #[error("bad signature")]
    BadSignature,
    /// The farmer key is banned from this height on (slashing evidence).
    #[error("banned key: the farmer was slashed from height {from}")]
    BannedKey {
        /// First height the ban applies to.
        from: u64,
    },
    /// The block body does not decode or breaks a body rule (order, limits, bad evidence).
    #[error("bad body: {0}")]
    BadBody(BodyError),
    /// The body's root is not the header's payload root. Says nothing about the header: the same
    /// header with its real body may still be valid.
    #[error("body mismatch: the header commits to {expected}, the body's root is {got}")]
    BodyMismatch {
        /// The header's payload root (hex).
        expected: String,
        /// The root of the body received (hex).
        got: String,
    },
    /// Included evidence is for another chain instance.
    #[error("evidence for chain {got} included in a block of another chain")]
    EvidenceWrongChain {
        /// The evidence's chain id (hex).
        got: String,
    },
    /// Included evidence names a farmer with no block on the including block's branch.
    #[error("evidence against farmer {farmer}, who has no block on this branch")]
    EvidenceUnknownFarmer {
        /// The farmer key (hex).
        farmer: String,
    },
    /// The branch already bans this farmer (one ban per chain and farmer), or the body names the
    /// farmer twice.
    #[error("farmer {farmer} is already banned on this branch (from height {from})")]
    EvidenceAlreadyIncluded {
        /// The farmer key (hex).
        farmer: String,
        /// Height of the block that included the earlier evidence (this block's, for a body
        /// naming the farmer twice).
        from: u64,
    },
    /// A block includes evidence against its own signer.
    #[error("a block may not include evidence against its own signer")]
    EvidenceAgainstSigner,
    /// The block does not descend from the final block (`docs/protocol.md` §14): it is on a
    /// branch that forks below it, or at or below its height.
    #[error("conflicts with the final block {hash} at height {height}")]
    ConflictsWithFinal {
        /// Height of the final block.
        height: u64,
        /// Hash of the final block (hex).
        hash: String,
    },
}

impl RejectError {
    /// The stable snake_case code of the reason (bridge API, `--json` outputs).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            RejectError::BadEncoding(_) => "bad_encoding",
            RejectError::WrongChain { .. } => "wrong_chain",
            RejectError::UnknownParent(_) => "unknown_parent",
            RejectError::WrongHeight { .. } => "wrong_height",
            RejectError::WrongDifficulty { .. } => "wrong_difficulty",
            RejectError::PlotTooSmall { .. } => "plot_too_small",
            RejectError::BadProof(_) => "bad_proof",
            RejectError::WrongChallenge(_) => "wrong_challenge",
            RejectError::BadVrf(_) => "bad_vrf",
            RejectError::VrfKeyNotBound(_) => "vrf_key_not_bound",
            RejectError::DeadlineNotMet { .. } => "deadline_not_met",
            RejectError::TooFarInFuture { .. } => "too_far_in_future",
            RejectError::BadSignature => "bad_signature",
            RejectError::BannedKey { .. } => "banned_key",
            RejectError::BadBody(_) => "bad_body",
            RejectError::BodyMismatch { .. } => "body_mismatch",
            RejectError::EvidenceWrongChain { .. } => "evidence_wrong_chain",
            RejectError::EvidenceUnknownFarmer { .. } => "evidence_unknown_farmer",
            RejectError::EvidenceAlreadyIncluded { .. } => "evidence_already_included",
            RejectError::EvidenceAgainstSigner => "evidence_against_signer",
            RejectError::ConflictsWithFinal { .. } => "conflicts_with_final",
        }
    }
}

/// Why a block body was refused (`docs/protocol.md`, "Block body").
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The bytes end inside the named field.
    #[error("truncated in the {0}")]
    Truncated(&'static str),
    /// Bytes follow the payload.
    #[error("{0} bytes after the payload")]
    TrailingBytes(usize),
    /// More evidence than a body may carry.
    #[error("{0} pieces of evidence, at most 16 allowed")]
    TooMuchEvidence(usize),
    /// A payload longer than allowed.
    #[error("payload of {0} bytes, at most 65536 allowed")]
    PayloadTooLong(usize),
    /// Evidence number `i` (from 0) has a lower id than the one before it.
    #[error("evidence {0} is out of order (ids must increase)")]
    UnsortedEvidence(usize),
    /// Evidence number `i` repeats the one before it.
    #[error("evidence {0} repeats the one before it")]
    DuplicateEvidence(usize),
    /// Evidence number `i` does not decode or verify.
    #[error("evidence {0}: {1}")]
    BadEvidence(usize, EvidenceError),
}

/// Why slashing evidence was rejected (`docs/protocol.md`, "Evidence").
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// Not a canonical evidence encoding (length, header encodings, order of the two headers).
    #[error("bad encoding: {0}")]
    BadEncoding(String),
    /// The two headers are for different chains.
    #[error("the two headers are for different chains")]
    DifferentChains,
    /// The two headers are at different heights.
    #[error("the two headers are at different heights")]
    DifferentHeights,
    /// The two headers are signed by different farmer keys.
    #[error("the two headers are signed by different farmer keys")]
    DifferentKeys,
    /// The two headers have the same hash: no equivocation.
    #[error("the two headers are the same header")]
    SameHeader,
    /// A signature does not verify strictly.
    #[error("bad signature on header {0}")]
    BadSignature(&'static str),
}

/// Why the slashing detector's store failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DetectorError {
    /// The embedded store failed (open, lock, transaction, I/O).
    #[error("slashing store: {0}")]
    Store(String),
    /// The store held bytes that do not decode: it is corrupt.
    #[error("slashing store is corrupt: {0}")]
    Corrupt(String),
    /// The header handed to the detector has no valid signature.
    #[error("header not accepted by the detector: {0}")]
    Rejected(RejectError),
    /// Evidence handed to the detector does not verify.
    #[error("evidence not accepted: {0}")]
    Evidence(EvidenceError),
}

/// A bad chain parameter set.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// A parameter is out of its allowed range.
    #[error("bad chain parameter {name}: {why}")]
    Invalid {
        /// The parameter.
        name: &'static str,
        /// What is wrong.
        why: String,
    },
}
