//! The harvester (`masspoc harvester --config harvester.toml`, `docs/harvesters.md`): a process
//! on a machine with plots and no key. It scans its plot directories with the farmer's plot set
//! (the same scan and hot-plug rules), answers its paired farmers' lookups over the harvester
//! link ([`masspoc_net::harvest`]) with the candidates of its plots, read through the farmer's
//! lookup rounds (so through the one reading seam, `masspoc_plot::read_candidates`), and reports
//! its plot set. It never signs anything: it holds no key.

pub mod config;
pub mod service;

pub use config::HarvesterConfig;
pub use service::{run_harvester, Harvester, HarvesterError};
