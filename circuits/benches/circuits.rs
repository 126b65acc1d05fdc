//! Benchmarks: circuit sizes, proving time of base, merge and root, and one whole 64-transaction block.
//!
//! Small samples keep `cargo bench -p proofmarket-circuits` to a few minutes on 2 cores. The block
//! benchmark is a single timed run (a 64-tx block takes about a minute; criterion would repeat it 10×).

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use proofmarket_circuits::{
    Address,
    block::BlockWitness,
    circuits::constraint_count_report,
    fixtures::FIXTURE_PROVERS,
    keys::{Keys, default_key_dir},
    prove,
    state::{DEFAULT_DEPTH, SignedTransaction, Transaction, devnet_genesis, devnet_key},
};

const PROVER: Address = FIXTURE_PROVERS[0];

fn transfers(n: usize) -> Vec<SignedTransaction> {
    (0..n)
        .map(|i| {
            let from = (i % 16) as u32;
            Transaction {
                from,
                to: (from + 5) % 16,
                amount: 1 + i as u64,
                nonce: (i / 16) as u64,
            }
            .sign(&devnet_key(from))
        })
        .collect()
}

fn node_proving(c: &mut Criterion) {
    let keys = Keys::load_or_setup(&default_key_dir()).expect("keys");
    let (block, _) = BlockWitness::build(&devnet_genesis(), &transfers(2), 1).expect("block");
    let mut rng = prove::proving_rng();
    let mut group = c.benchmark_group("prove");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    let leaf = block.plan.leaves()[0];
    group.bench_function("base", |b| {
        b.iter(|| prove::prove_node(&keys, &block, leaf, PROVER, &mut rng).expect("base proof"))
    });
    group.bench_function("merge", |b| {
        b.iter(|| {
            prove::prove_node(&keys, &block, block.plan.top, PROVER, &mut rng).expect("merge proof")
        })
    });
    group.bench_function("root", |b| {
        b.iter(|| {
            prove::prove_node(&keys, &block, block.plan.root(), PROVER, &mut rng)
                .expect("root proof")
        })
    });
    group.finish();
    let proof = prove::prove_node(&keys, &block, leaf, PROVER, &mut rng).expect("base proof");
    c.bench_function("verify/base", |b| {
        b.iter(|| {
            prove::verify_node(&keys, &block.statements[leaf], PROVER, &proof).expect("valid")
        })
    });
}

criterion_group!(benches, node_proving);

/// One whole 64-transaction block on this machine: witnesses, 64 base + 63 merge + 1 root proofs, each
/// child proof verified before its parent is proven.
fn whole_block(n: usize) {
    let keys = Keys::load_or_setup(&default_key_dir()).expect("keys");
    let txs = transfers(n);
    let start = Instant::now();
    let (block, _) = BlockWitness::build(&devnet_genesis(), &txs, 1).expect("block");
    let witnesses = start.elapsed();
    let proofs =
        prove::prove_block(&keys, &block, PROVER, &mut prove::proving_rng()).expect("proofs");
    let total = start.elapsed();
    println!(
        "block/{n}: {} proofs in {:.1} s (witnesses {:.2} s), {:.2} s per node",
        proofs.len(),
        total.as_secs_f64(),
        witnesses.as_secs_f64(),
        total.as_secs_f64() / proofs.len() as f64
    );
}

fn main() {
    print!(
        "{}",
        constraint_count_report(DEFAULT_DEPTH).expect("constraint counts")
    );
    benches();
    Criterion::default().configure_from_args().final_summary();
    whole_block(64);
}
