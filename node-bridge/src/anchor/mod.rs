//! Anchoring: batches of 32-byte items ([`payload::Item`]) are committed by a merkle root
//! ([`merkle`]) written into the PoW chain as a tagged `OP_RETURN` ([`payload`]); the durable
//! [`outbox`] and the [`anchorer`] make sure each batch lands exactly once, and [`proof`] proves
//! an item was anchored; [`scan`] reads every anchor (anyone's) out of the PoW blocks the node
//! follows and [`seen`] keeps them with the items of every batch the node knows.

pub mod anchorer;
pub mod budget;
pub mod merkle;
pub mod outbox;
pub mod payload;
pub mod proof;
pub mod refusal;
pub mod scan;
pub mod seen;
pub mod status;
pub mod txmerkle;
pub mod txparse;
pub mod wallet;

pub use anchorer::{AnchorConfig, Anchorer, Clock, CrashPoint};
pub use budget::FeeBudget;
pub use outbox::{BatchRecord, BatchState, Outbox, Pick};
pub use payload::{AnchorPayload, Item, ItemKind};
pub use proof::{AnchorProof, ProofCheck};
pub use scan::FoundAnchor;
pub use seen::{Offer, SeenAnchors};
pub use status::{AnchorStatus, Hold};
