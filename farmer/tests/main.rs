//! Every integration test of farmer, in one test binary (one link instead of one per file).

mod alert_disk_unavailable;
mod alert_harvester_unreachable;
mod alert_no_wins;
mod alert_over_budget;
mod alert_own_evidence;
mod alert_plot_bad;
mod common;
mod farm_includes_evidence;
mod farm_mock_bridge;
mod farm_real_bridge;
mod farm_restart;
mod harvester_link;
mod lookups;
mod plot_set;
mod status_http;
mod truncated_plot;
