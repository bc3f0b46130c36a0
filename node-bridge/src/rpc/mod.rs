//! JSON-RPC client for litecoind: transport and retries ([`client`]), lenient reply parsing
//! ([`reply`]) and typed wrappers of the calls the bridge makes ([`methods`]).

pub mod client;
pub mod methods;
pub mod reply;

pub use client::{RpcAuth, RpcClient, RpcConfig};
pub use methods::{HeaderInfo, TxInfo};
