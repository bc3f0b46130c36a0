//! `cargo bench -p masspoc-plotter`: plotting a small plot (in memory and with run files) beside
//! the parts of the lower bound that `masspoc bench plot` measures (P, F, one sequential write).
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{criterion_group, criterion_main, Criterion};
use masspoc_plotter::bench::{time_f, time_p, time_write};
use masspoc_plotter::{plot, NoProgress, PlotRequest};
use masspoc_proof::{FarmerPublicKey, PlotSeed, K};

fn plotting(c: &mut Criterion) {
    let k = K::new(20).expect("k");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut g = c.benchmark_group("plot_k20");
    g.sample_size(10);
    for (name, memory) in [
        ("in_memory", 1u64 << 34),
        ("run_files", masspoc_plotter::plan::OVERHEAD + (4 << 20)),
    ] {
        let mut req = PlotRequest::new(FarmerPublicKey([1; 32]), k, PlotSeed([2; 32]), dir.path());
        req.memory = memory;
        g.bench_function(name, |b| {
            b.iter(|| {
                let s = plot(&req, &NoProgress).expect("plot");
                std::fs::remove_file(&s.path).expect("remove");
            })
        });
    }
    let id = masspoc_proof::derive_plot_id(&FarmerPublicKey([1; 32]), k, &PlotSeed([2; 32]));
    g.bench_function("bound_p", |b| b.iter(|| time_p(&id, k)));
    g.bench_function("bound_f", |b| b.iter(|| time_f(&id, k)));
    let bytes = masspoc_plotter::expected_plot_len(k);
    g.bench_function("bound_write", |b| {
        b.iter(|| time_write(dir.path(), bytes).expect("write"))
    });
    g.finish();
}

criterion_group!(benches, plotting);
criterion_main!(benches);
