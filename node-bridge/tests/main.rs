//! Every integration test of node-bridge, in one test binary (one link instead of one per file).

mod anchor_bounds;
mod anchor_crash;
mod anchor_pick_final;
mod anchor_roundtrip;
mod block_bodies;
mod chain_host;
mod chain_isolation;
mod common;
mod decoders_prop;
mod evidence_admission;
mod finality_node;
mod follower_reorg;
mod host_crash_points;
mod http_limits;
mod node_alerts;
mod node_status;
mod peer_batches;
mod pow_known_answers;
mod rpc_faults;
mod sync_page;
mod tamper_proxy;
