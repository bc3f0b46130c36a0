//! Anchoring (being written).

/// Where a simulated crash stops the anchorer (tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// After the signed transaction is recorded, before it is broadcast.
    AfterSign,
}
