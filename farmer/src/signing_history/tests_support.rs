//! Headers for the signing-history tests: the guard only hashes and signs them, so any field
//! values will do; `variant` makes different headers at one chain and height.

use masspoc_proof::vrf::{VrfProof, VrfPublicKey};
use masspoc_proof::{FarmerPublicKey, PlotSeed, Proof, K};
use masspoc_verifier::{ChainId, Header, HeaderHash, Height, PayloadRoot, Slot};

/// A header of `farmer` at (chain `[chain; 32]`, `height`); `variant` goes in the payload root.
pub(crate) fn header(farmer: FarmerPublicKey, chain: u8, height: u64, variant: u8) -> Header {
    Header {
        chain_id: ChainId([chain; 32]),
        height: Height(height),
        prev_hash: HeaderHash([0x11; 32]),
        timestamp_ms: 1_000,
        slot: Slot(0),
        difficulty: 1,
        proof: Proof {
            farmer_pk: farmer,
            k: K::new(16).expect("k 16"),
            plot_seed: PlotSeed([0x22; 32]),
            x: 1,
            x_prime: 2,
        },
        vrf_pk: VrfPublicKey([0x33; 32]),
        vrf_proof: VrfProof([0x44; 80]),
        payload_root: PayloadRoot([variant; 32]),
        signature: [0; 64],
    }
}
