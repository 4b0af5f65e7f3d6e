//! Criterion benchmarks of the inner pieces, on the shipped model:
//! `cargo bench --bench pipeline`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use sportello::{Classifier, RecommendOptions};

const SHORT: &str = "la disoccupazione quando la pagate?";
const LONG: &str = "Spett.le INPS, il sottoscritto, dipendente di un'azienda metalmeccanica dal 2009, \
    comunica di essere stato licenziato per giustificato motivo oggettivo in data 31 marzo a \
    seguito della chiusura dello stabilimento. Chiede pertanto di conoscere i requisiti e la \
    procedura per ottenere l'indennità di disoccupazione, e se nel frattempo può continuare a \
    ricevere l'assegno per i due figli minori. Distinti saluti";

fn model() -> Classifier {
    Classifier::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models")).unwrap()
}

fn pieces(c: &mut Criterion) {
    let model = model();
    let options = RecommendOptions::default();
    c.bench_function("redact/long", |b| {
        b.iter(|| sportello::redact::redact(black_box(LONG)))
    });
    c.bench_function("score/short (redact+tokenize+features+predict)", |b| {
        b.iter(|| model.score(black_box(SHORT)).unwrap())
    });
    c.bench_function("score/long", |b| {
        b.iter(|| model.score(black_box(LONG)).unwrap())
    });
    let scores = model.score(LONG).unwrap();
    let best = scores.ranking()[0];
    c.bench_function("explain/long", |b| {
        b.iter(|| model.explain(black_box(&scores), best, 5))
    });
    c.bench_function("recommend/short", |b| {
        b.iter(|| model.recommend(black_box(SHORT), &options).unwrap())
    });
    c.bench_function("recommend/long (with secondary need)", |b| {
        b.iter(|| model.recommend(black_box(LONG), &options).unwrap())
    });
}

fn loading(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.bench_function("model (verify + parse)", |b| b.iter(model));
    group.finish();
}

criterion_group!(benches, pieces, loading);
criterion_main!(benches);
