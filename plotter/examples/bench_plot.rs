//! `cargo run --release --example bench_plot -- K [MEMORY_MIB] [DIR]`: one plotting benchmark
//! (what `masspoc bench plot` prints, without building the whole CLI); `NOBOUND=1` only plots.

use masspoc_plotter::bench::bench_plot;
use masspoc_plotter::{NoProgress, PlotRequest};
use masspoc_proof::{FarmerPublicKey, PlotSeed, K};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let k = K::new(args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20)).expect("k");
    let dir = std::path::PathBuf::from(
        args.get(3)
            .cloned()
            .unwrap_or_else(|| "/tmp/mp-bench".into()),
    );
    let mut req = PlotRequest::new(FarmerPublicKey([3; 32]), k, PlotSeed([9; 32]), &dir);
    if let Some(m) = args.get(2).and_then(|a| a.parse::<u64>().ok()) {
        req.memory = m << 20;
    }
    if std::env::var("NOBOUND").is_ok() {
        let s = masspoc_plotter::plot(&req, &NoProgress).expect("plot");
        std::fs::remove_file(&s.path).expect("remove");
        println!("{:?}", s.phase_seconds);
        return;
    }
    let r = bench_plot(&req, &NoProgress).expect("bench");
    println!("{}", serde_json::to_string_pretty(&r).unwrap());
}
