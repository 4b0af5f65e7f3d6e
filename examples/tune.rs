//! Cross-validated comparison of feature and regression settings on the training data only
//! (never on the test set). Prints one line per setting: macro-F1 of out-of-fold predictions
//! and the time the fits took.
//!
//! cargo run --release --example tune -- data/requests.jsonl 3 "width=8192,alpha=0.1,iters=40,cmin=3,cmax=5,min_df=2" ...

use std::time::Instant;

use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray::Array1;
use sportello::Catalog;
use sportello::eval::{metrics, stratified_folds};
use sportello::features::{FeatureParams, FeatureSpace};
use sportello::text::{TextAnalyzer, TokenizerParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data = std::path::Path::new(&args[0]);
    let folds: usize = args[1].parse()?;
    let catalog = Catalog::load(std::path::Path::new("data/services.toml"))?;
    let labels = catalog.labels();
    let examples = sportello::data::load_examples(data, &labels)?;
    let y: Vec<usize> = examples
        .iter()
        .map(|e| labels.iter().position(|l| *l == e.label).unwrap())
        .collect();
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let analyzer = TextAnalyzer::train(&texts, TokenizerParams::default())?;
    let analyses: Vec<_> = texts
        .iter()
        .map(|t| analyzer.analyze(t))
        .collect::<Result<_, _>>()?;
    let assignment = stratified_folds(&y, folds, 7);
    for setting in &args[2..] {
        let mut fp = FeatureParams::default();
        let (mut alpha, mut iters) = (0.1f32, 40u64);
        for kv in setting.split(',') {
            let (k, v) = kv.split_once('=').ok_or("key=value")?;
            match k {
                "width" => fp.max_features = v.parse()?,
                "alpha" => alpha = v.parse()?,
                "iters" => iters = v.parse()?,
                "cmin" => fp.char_ngram_min = v.parse()?,
                "cmax" => fp.char_ngram_max = v.parse()?,
                "min_df" => fp.min_df = v.parse()?,
                "bigrams" => fp.word_bigrams = v.parse()?,
                "subwords" => fp.subwords = v.parse()?,
                _ => return Err(format!("unknown key {k}").into()),
            }
        }
        let started = Instant::now();
        let mut predicted = vec![0usize; y.len()];
        for fold in 0..folds {
            let train: Vec<usize> = (0..y.len()).filter(|&i| assignment[i] != fold).collect();
            let docs: Vec<_> = train.iter().map(|&i| &analyses[i]).collect();
            let ty: Vec<usize> = train.iter().map(|&i| y[i]).collect();
            let space = FeatureSpace::fit(&docs, &ty, labels.len(), fp)?;
            let rows: Vec<_> = docs.iter().map(|d| space.transform(d)).collect();
            let model = MultiLogisticRegression::default()
                .alpha(alpha)
                .max_iterations(iters)
                .gradient_tolerance(1e-3)
                .fit(&Dataset::new(space.to_dense(&rows), Array1::from(ty)))?;
            let test: Vec<usize> = (0..y.len()).filter(|&i| assignment[i] == fold).collect();
            let test_rows: Vec<_> = test
                .iter()
                .map(|&i| space.transform(&analyses[i]))
                .collect();
            let p = model.predict(&space.to_dense(&test_rows));
            for (k, &i) in test.iter().enumerate() {
                predicted[i] = p[k];
            }
        }
        let m = metrics(&labels, &y, &predicted);
        println!(
            "{setting}\tmacro-F1 {:.4}\taccuracy {:.4}\t{:.1} s",
            m.macro_f1,
            m.accuracy,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
