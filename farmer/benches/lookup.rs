//! `cargo bench -p masspoc-farmer`: one plot lookup, one round over 100 plots and one raw 64-byte
//! `pread` of the same plot files, measured in the same run, then the round's ratio to the raw
//! reads it is made of. The plots (k = 18, made once and reused) are those of
//! `masspoc bench farm`: `$MASSPOC_BENCH_FARM_DIR`, or `<temp dir>/masspoc-bench-farm-k18`.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{criterion_group, criterion_main, Criterion};
use masspoc_farmer::bench::{
    bench_challenge, bench_runtime, lookup_one, measure_yardstick, round, warm_mappings,
    BenchPlots, RawReads,
};
use masspoc_plotter::{plot, NoProgress, PlotRequest};
use masspoc_proof::{FilterBits, ProbeBits};
use std::hint::black_box;

const PLOTS: usize = 100;
const K: u8 = 18;

fn lookups(c: &mut Criterion) {
    let dir = std::env::var_os("MASSPOC_BENCH_FARM_DIR").map_or_else(
        || std::env::temp_dir().join(format!("masspoc-bench-farm-k{K}")),
        Into::into,
    );
    let make_plot = |dir: &std::path::Path, pk, k, seed| {
        Ok(plot(&PlotRequest::new(pk, k, seed, dir), &NoProgress)?.path)
    };
    let plots = BenchPlots::open(&dir, K, PLOTS, &make_plot, &|_, _| {}).expect("benchmark plots");
    let (f, p) = (FilterBits::NONE, ProbeBits::NONE);
    let rt = bench_runtime().expect("runtime");
    warm_mappings(&rt, &plots, 1000);

    let mut g = c.benchmark_group("farm");
    let mut n = 0u64;
    g.bench_function("plot_lookup", |b| {
        b.iter(|| {
            n += 1;
            let e = &plots.snapshot[n as usize % PLOTS];
            black_box(lookup_one(e, &bench_challenge(1, n), f, p))
        })
    });
    g.bench_function("round_100_plots", |b| {
        b.iter(|| {
            n += 1;
            black_box(
                rt.block_on(round(&plots, bench_challenge(2, n), f, p))
                    .passing,
            )
        })
    });
    let mut raw = RawReads::open(&plots.paths).expect("open plots");
    g.bench_function("raw_pread_64", |b| {
        b.iter(|| black_box(raw.read_one().expect("pread")))
    });
    g.finish();

    let y = measure_yardstick(&rt, &plots, 20_000).expect("yardstick");
    println!(
        "farm yardstick (medians, same run): one lookup {:.2} µs = {:.2} × ({} reads × {:.2} µs raw \
         read); one round over {} plots {:.1} µs = {:.2} × ({} × {} × {:.2} µs)",
        y.lookup_us,
        y.lookup_ratio,
        y.reads_per_lookup,
        y.raw_read_us,
        y.plots,
        y.round_us,
        y.round_ratio,
        y.plots,
        y.reads_per_lookup,
        y.raw_read_us
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = lookups
}
criterion_main!(benches);
