//! Every integration test of farmer, in one test binary (one link instead of one per file).

mod common;
mod farm_includes_evidence;
mod farm_mock_bridge;
mod farm_real_bridge;
mod farm_restart;
mod harvester_link;
mod lookups;
mod plot_set;
mod truncated_plot;
