//! `cargo run --release --example bench_plot -- K [MEMORY_MIB] [DIR]`: one plotting benchmark.

use masspoc_plotter::bench::bench_plot;
use masspoc_plotter::{NoProgress, PlotRequest};
use masspoc_proof::{FarmerPublicKey, PlotSeed, K};

fn main() {
    if std::env::var("TIMING").is_ok() {
        timing::init();
    }
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

mod timing {
    use std::time::Instant;
    /// Prints debug events with elapsed times to stderr.
    pub fn init() {
        struct Log(Instant);
        impl tracing::Subscriber for Log {
            fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
                true
            }
            fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
                tracing::span::Id::from_u64(1)
            }
            fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
            fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
            fn event(&self, e: &tracing::Event<'_>) {
                struct V(String);
                impl tracing::field::Visit for V {
                    fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                        self.0 += &format!(" {}={:?}", f.name(), v);
                    }
                }
                let mut v = V(String::new());
                e.record(&mut v);
                eprintln!("{:.3}{}", self.0.elapsed().as_secs_f64(), v.0);
            }
            fn enter(&self, _: &tracing::span::Id) {}
            fn exit(&self, _: &tracing::span::Id) {}
        }
        let _ = tracing::subscriber::set_global_default(Log(Instant::now()));
    }
}
