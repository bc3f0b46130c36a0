//! Every integration test of cli, in one test binary (one link instead of one per file).

mod anchors_read;
mod bridge_host_kill;
mod bridge_kill;
mod bridge_startup;
mod chain;
mod common;
mod devnet;
mod farm_bridge_restart;
mod harvesters_bench;
mod harvesters_faults;
mod harvesters_rounds;
mod harvesters_status;
mod identity;
mod load_under_attack;
mod network;
mod output;
mod peer_anchors;
mod plot_cli;
mod plot_fill;
mod status_page;
mod verify_chain_finality;
