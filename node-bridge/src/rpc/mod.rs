//! JSON-RPC client for litecoind: transport and retries ([`client`], logged once per outage by
//! `outage`), lenient reply parsing
//! ([`reply`]) and typed wrappers of the calls the bridge makes ([`methods`]).

pub mod client;
pub mod methods;
mod outage;
pub mod reply;

pub use client::{RpcAuth, RpcClient, RpcConfig};
pub use methods::{HeaderInfo, TxInfo};
