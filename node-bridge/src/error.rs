//! Error types of the bridge crate: one enum per job, all `#[non_exhaustive]`, lowercase messages.

use std::path::PathBuf;

/// A JSON-RPC call to the node failed. Every variant names the method that was called.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpcError {
    /// The HTTP request could not be made or no answer came back (connection refused, reset,
    /// timeout).
    #[error("{method}: cannot reach the node at {url}: {reason}")]
    Transport {
        /// The RPC method.
        method: String,
        /// The node's URL.
        url: String,
        /// What the HTTP client reported.
        reason: String,
        /// True when the failure happened before any answer (safe to retry).
        connection_lost: bool,
    },
    /// The node answered with a JSON-RPC error object.
    #[error("{method}: node error {code}: {message}")]
    Node {
        /// The RPC method.
        method: String,
        /// The node's error code (e.g. -28 warming up, -8 invalid parameter).
        code: i64,
        /// The node's message, kept verbatim.
        message: String,
    },
    /// The node answered with an HTTP error status and no JSON-RPC error object.
    #[error("{method}: http status {status} from the node: {body}")]
    Http {
        /// The RPC method.
        method: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body (text, possibly empty).
        body: String,
    },
    /// The reply was not a well-formed JSON-RPC reply.
    #[error("{method}: malformed reply: {detail}")]
    Malformed {
        /// The RPC method.
        method: String,
        /// What was wrong, with an excerpt of the reply.
        detail: String,
    },
    /// The reply body ended early or could not be read.
    #[error("{method}: reply truncated or unreadable: {detail}")]
    Truncated {
        /// The RPC method.
        method: String,
        /// What the HTTP client reported.
        detail: String,
    },
    /// The result did not have the expected shape.
    #[error("{method}: unexpected result: {detail}")]
    UnexpectedResult {
        /// The RPC method.
        method: String,
        /// What was expected and what came.
        detail: String,
    },
    /// The node refused the credentials (HTTP 401).
    #[error("{method}: the node refused the credentials ({hint})")]
    Unauthorized {
        /// The RPC method.
        method: String,
        /// What to check.
        hint: String,
        /// Cookie auth: the node may have restarted with a new cookie (worth retrying).
        cookie: bool,
    },
    /// The credentials file could not be read.
    #[error("cannot read the node's cookie file {path}")]
    Cookie {
        /// The cookie file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Retries were exhausted; the last failure is kept.
    #[error("gave up after {attempts} attempts: {last}")]
    GaveUp {
        /// How many attempts were made.
        attempts: u32,
        /// The last failure.
        #[source]
        last: Box<RpcError>,
    },
}

impl RpcError {
    /// The node's JSON-RPC error code, if the node answered with one (looking through retries).
    pub fn node_code(&self) -> Option<i64> {
        match self {
            RpcError::Node { code, .. } => Some(*code),
            RpcError::GaveUp { last, .. } => last.node_code(),
            _ => None,
        }
    }

    /// The node's JSON-RPC error message, if the node answered with one (looking through
    /// retries).
    pub fn node_message(&self) -> Option<&str> {
        match self {
            RpcError::Node { message, .. } => Some(message),
            RpcError::GaveUp { last, .. } => last.node_message(),
            _ => None,
        }
    }

    /// True for failures worth retrying: connection lost before an answer, node warming up
    /// (-28), work queue full (HTTP 503), credentials rejected (the cookie may have changed).
    pub fn is_transient(&self) -> bool {
        match self {
            RpcError::Transport {
                connection_lost, ..
            } => *connection_lost,
            RpcError::Node { code, .. } => *code == -28,
            RpcError::Http { status, .. } => *status == 503,
            RpcError::Unauthorized { cookie, .. } => *cookie,
            RpcError::Cookie { .. } => true,
            _ => false,
        }
    }
}

/// A proof-of-work header failed to decode or to check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PowError {
    /// The header is not 80 bytes.
    #[error("a block header is 80 bytes, got {0}")]
    BadLength(usize),
    /// The text is not hexadecimal.
    #[error("not hexadecimal: {0}")]
    BadHex(String),
    /// The compact target has its sign bit set.
    #[error("compact target {0:#010x} is negative")]
    NegativeTarget(u32),
    /// The compact target does not fit 256 bits.
    #[error("compact target {0:#010x} overflows 256 bits")]
    OverflowTarget(u32),
    /// The compact target is zero.
    #[error("compact target {0:#010x} is zero")]
    ZeroTarget(u32),
    /// The target is easier than the network allows.
    #[error("target of bits {0:#010x} is above the network's proof-of-work limit")]
    AboveLimit(u32),
    /// The scrypt hash is above the target.
    #[error("proof of work {pow_hash} is above the target {target}")]
    InsufficientWork {
        /// The scrypt hash (display order).
        pow_hash: String,
        /// The target (big-endian hex).
        target: String,
    },
    /// The header does not link to the expected parent.
    #[error("header {id} links to {prev}, expected parent {expected}")]
    BadLink {
        /// The header's id.
        id: String,
        /// Its previous-block field.
        prev: String,
        /// The parent we hold.
        expected: String,
    },
    /// The header hashes to something else than what the node said.
    #[error("header hashes to {computed} but the node calls it {reported}")]
    IdMismatch {
        /// Our SHA-256d.
        computed: String,
        /// The node's hash.
        reported: String,
    },
    /// The header's time is not above the median time past of the 11 blocks before it.
    #[error("time {time} at height {height} is not above the median time past {median}")]
    TimeTooOld {
        /// Height of the header.
        height: u64,
        /// Its time.
        time: u32,
        /// The median of the 11 block times before it.
        median: u32,
    },
    /// The difficulty changed where the network rules do not allow it.
    #[error("bits {got:#010x} at height {height} where {expected} was required")]
    BadBits {
        /// Height of the header.
        height: u64,
        /// Its bits.
        got: u32,
        /// What the rules allow.
        expected: String,
    },
}

/// The embedded store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// redb failed to open, read or write.
    #[error("store {path}: {detail}")]
    Db {
        /// The store file.
        path: PathBuf,
        /// What redb reported.
        detail: String,
    },
    /// A record in the store could not be decoded.
    #[error("store {path}: corrupt record {key}: {detail}")]
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// Which record.
        key: String,
        /// What was wrong.
        detail: String,
    },
}

/// The header follower stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FollowError {
    /// Talking to the node failed.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The node served a header that fails our checks: the node is refused.
    #[error("node served an invalid header at height {height}: {reason}")]
    InvalidHeader {
        /// Height of the refused header.
        height: u64,
        /// Why it was refused.
        #[source]
        reason: PowError,
    },
    /// The node's chain does not contain our start block any more and no ancestor matches.
    #[error("node's chain has no block in common with ours at or above the start height {0}")]
    NoCommonAncestor(u64),
}

/// Anchoring failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnchorError {
    /// Talking to the node failed.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A batch or proof is inconsistent.
    #[error("{0}")]
    Invalid(String),
    /// The item was never put in a batch.
    #[error("item {0} is not in any batch of this store")]
    UnknownItem(String),
    /// A simulated crash (tests only: stops at a chosen step).
    #[error("stopped at crash point {0:?}")]
    CrashPoint(crate::anchor::CrashPoint),
}

/// The chain host refused or failed a request. [`HostError::code`] is the API's error code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// No hosted chain has this id.
    #[error("unknown chain {0}")]
    UnknownChain(String),
    /// The request is malformed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The chain rules refused the header.
    #[error("{0}")]
    Rejected(masspoc_verifier::RejectError),
    /// The evidence does not hold.
    #[error("bad evidence: {0}")]
    Evidence(masspoc_verifier::EvidenceError),
    /// Well-formed evidence this node does not take (checked before any signature or store).
    #[error("evidence refused: {0}")]
    EvidenceRefused(EvidenceRefusal),
    /// The slashing detector's store failed.
    #[error("slashing detector: {0}")]
    Detector(masspoc_verifier::DetectorError),
    /// The host's own store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading anchors out of the PoW chain failed (the node down, or a reply that does not
    /// check out against the verified header).
    #[error("reading anchors: {0}")]
    Anchors(#[from] AnchorError),
    /// The configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// A test stopped the host at a crash point (`fault-injection` feature).
    #[error("stopped at crash point {0:?}")]
    Fault(crate::fault::FaultPoint),
    /// A chain's in-memory state was left poisoned by an earlier panic.
    #[error("the host state is poisoned by an earlier panic")]
    Poisoned,
}

impl HostError {
    /// The API's snake_case error code.
    pub fn code(&self) -> &'static str {
        match self {
            HostError::UnknownChain(_) => "unknown_chain",
            HostError::BadRequest(_) => "bad_request",
            HostError::Rejected(e) => e.code(),
            HostError::Evidence(_) => "bad_evidence",
            HostError::EvidenceRefused(r) => r.code(),
            HostError::Detector(masspoc_verifier::DetectorError::Rejected(e)) => e.code(),
            HostError::Detector(_)
            | HostError::Store(_)
            | HostError::Anchors(_)
            | HostError::Fault(_)
            | HostError::Poisoned => "internal",
            HostError::Config(_) => "configuration",
        }
    }

    /// The HTTP status the API answers with.
    pub fn status(&self) -> u16 {
        match self {
            HostError::UnknownChain(_) => 404,
            HostError::BadRequest(_) => 400,
            HostError::Rejected(_) | HostError::Evidence(_) | HostError::EvidenceRefused(_) => 422,
            HostError::Detector(masspoc_verifier::DetectorError::Rejected(_)) => 422,
            _ => 500,
        }
    }
}

/// Why a chain node refuses evidence before looking at its signatures (`docs/bridge-api.md`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceRefusal {
    /// The evidence is for a chain this node does not host.
    #[error("chain {chain} is not hosted here")]
    ChainNotHosted {
        /// The evidence's chain id (hex).
        chain: String,
    },
    /// The accused key has no block on the chain.
    #[error("farmer {farmer} has no block on chain {chain}")]
    FarmerHasNoBlock {
        /// The chain id (hex).
        chain: String,
        /// The accused key (hex).
        farmer: String,
    },
}

impl EvidenceRefusal {
    /// The API's error code.
    pub fn code(&self) -> &'static str {
        match self {
            EvidenceRefusal::ChainNotHosted { .. } => masspoc_api::codes::EVIDENCE_CHAIN_NOT_HOSTED,
            EvidenceRefusal::FarmerHasNoBlock { .. } => {
                masspoc_api::codes::EVIDENCE_FARMER_HAS_NO_BLOCK
            }
        }
    }
}

/// Failures of the harness.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// The daemon could not be spawned or the datadir made.
    #[error("cannot start litecoind ({binary})")]
    Spawn {
        /// The binary tried.
        binary: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The daemon exited or did not answer in time.
    #[error("litecoind did not come up: {0}")]
    NotReady(String),
    /// An RPC call made by the harness failed.
    #[error(transparent)]
    Rpc(#[from] RpcError),
}

/// Why the bridge stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The follower refused the node or failed.
    #[error("following the node")]
    Follow(#[from] FollowError),
    /// Anchoring failed (only fatal with `once`).
    #[error("anchoring")]
    Anchor(#[from] AnchorError),
    /// The chain host failed.
    #[error("chain host")]
    Host(#[from] HostError),
    /// The listener or the runtime failed.
    #[error("server")]
    Io(#[from] std::io::Error),
    /// The chain network could not start.
    #[error("chain network: {0}")]
    Net(#[from] masspoc_net::NetError),
}
