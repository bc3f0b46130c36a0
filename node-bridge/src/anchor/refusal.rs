//! Why the node refused an anchor transaction (`sendrawtransaction`), read precisely from its
//! error code and reject reason, so that only "the inputs are gone" ever leads to a new
//! transaction with new inputs.
//!
//! Source: Litecoin Core 0.21 (`src/node/transaction.cpp` `HandleATMPError`,
//! `src/rpc/util.cpp` `RPCErrorFromTransactionError`, `src/validation.cpp` `MemPoolAccept`).
//! A transaction whose inputs are spent in the chain or do not exist fails with
//! `TX_MISSING_INPUTS` → code `-25` (`RPC_TRANSACTION_ERROR`), message
//! `bad-txns-inputs-missingorspent`; every other mempool refusal is code `-26`
//! (`RPC_TRANSACTION_REJECTED`) with the reject reason first, e.g.
//! `too-long-mempool-chain, too many unconfirmed ancestors [limit: 25]`; `-27` is "already in
//! the chain" (treated as sent by [`crate::rpc::RpcClient::send_raw_transaction`]).

use crate::error::RpcError;

/// What a refusal of `sendrawtransaction` means for an anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `-25` (`bad-txns-inputs-missingorspent`): an input is spent by a mined transaction or does
    /// not exist on this chain. This transaction can no longer confirm here; a new one is safe.
    InputsGone,
    /// `-26 too-long-mempool-chain`: too many unconfirmed ancestors (the wallet funds each anchor
    /// from the previous one's change). Wait for a block; nothing is wrong with the transaction.
    MempoolChainTooLong,
    /// `-26 txn-mempool-conflict` or `-26 insufficient fee` (a replacement paying more holds the
    /// inputs): another unconfirmed transaction spends an input. It may still be evicted, so
    /// this one is kept and tried again; only a mined conflict ([`Refusal::InputsGone`]) frees
    /// the batch for a new transaction.
    MempoolConflict,
    /// `-26 non-BIP68-final` / `non-final`: an input is not mature yet. Wait.
    NotFinal,
    /// `-26 min relay fee not met`, `mempool min fee not met`, `mempool full`: the fee is too low
    /// for this node's mempool.
    FeeTooLow,
    /// Any other refusal (kept verbatim in the error).
    Other,
}

impl Refusal {
    /// Classifies a `sendrawtransaction` error; `None` when the node did not refuse (transport
    /// failure, no answer).
    pub fn of(e: &RpcError) -> Option<Refusal> {
        let code = e.node_code()?;
        let message = e.node_message().unwrap_or("");
        Some(Self::classify(code, message))
    }

    /// Classifies a node error code and message.
    pub fn classify(code: i64, message: &str) -> Refusal {
        let reason = message.split(',').next().unwrap_or("").trim();
        match (code, reason) {
            (
                -25,
                "bad-txns-inputs-missingorspent" | "Missing inputs" | "Inputs missing or spent",
            ) => Refusal::InputsGone,
            (-26, "too-long-mempool-chain") => Refusal::MempoolChainTooLong,
            (-26, "txn-mempool-conflict" | "insufficient fee") => Refusal::MempoolConflict,
            (-26, "non-BIP68-final" | "non-final") => Refusal::NotFinal,
            (-26, "min relay fee not met" | "mempool min fee not met" | "mempool full") => {
                Refusal::FeeTooLow
            }
            _ => Refusal::Other,
        }
    }

    /// True when the refusal says to wait (a block, an eviction) and send the same bytes later.
    pub fn is_wait(&self) -> bool {
        matches!(
            self,
            Refusal::MempoolChainTooLong | Refusal::MempoolConflict | Refusal::NotFinal
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_missing_inputs_are_inputs_gone() {
        // Messages as Litecoin Core 0.21.2 sends them (issue 18: the first was misread).
        let cases = [
            (
                -26,
                "too-long-mempool-chain, too many unconfirmed ancestors [limit: 25]",
                Refusal::MempoolChainTooLong,
            ),
            (-25, "bad-txns-inputs-missingorspent", Refusal::InputsGone),
            (-25, "Inputs missing or spent", Refusal::InputsGone),
            (-26, "txn-mempool-conflict", Refusal::MempoolConflict),
            (
                -26,
                "insufficient fee, rejecting replacement 5f…; new feerate 0.0002 <= old feerate 0.0004",
                Refusal::MempoolConflict,
            ),
            (-26, "non-BIP68-final", Refusal::NotFinal),
            (-26, "min relay fee not met, 100 < 226", Refusal::FeeTooLow),
            (-26, "mempool full", Refusal::FeeTooLow),
            (-26, "bad-txns-in-belowout", Refusal::Other),
            (-25, "something else", Refusal::Other),
            (-26, "bad-txns-inputs-missingorspent", Refusal::Other),
        ];
        for (code, message, want) in cases {
            assert_eq!(Refusal::classify(code, message), want, "{code} {message}");
        }
        assert!(Refusal::MempoolChainTooLong.is_wait());
        assert!(!Refusal::InputsGone.is_wait());
        assert!(!Refusal::FeeTooLow.is_wait());
    }
}
