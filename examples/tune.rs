//! Cross-validated comparison of feature and regression settings on the training data only
//! (never on the test set). Each setting is trained exactly as `sportello train` does
//! (redaction, tokenizer, cross-validation with the solver's restarts, final fit); one line per
//! setting: the out-of-fold macro-F1 and accuracy, the width, the solver's restarts and the time.
//!
//! cargo run --release --example tune -- data/requests.jsonl 3 "width=8192,alpha=0.1" "cmax=5" ...
//!
//! Keys: width, alpha, iters, final, cmin, cmax, min_df, bigrams, subwords, tail, share (of the width
//! for other languages' terms), elide, seed, vocab (the tokenizer's).

use std::path::Path;
use std::time::Instant;

use sportello::model::Quiet;
use sportello::{Catalog, Classifier, ClassifierParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        return Err("usage: tune DATA FOLDS SETTING...".into());
    }
    let catalog = Catalog::load(Path::new("data/services.toml"))?;
    let examples = sportello::data::load_examples(Path::new(&args[0]), &catalog.labels())?;
    let folds: usize = args[1].parse()?;
    for setting in &args[2..] {
        let mut params = ClassifierParams::default().calibration_folds(folds);
        for kv in setting.split(',').filter(|kv| !kv.is_empty()) {
            let (k, v) = kv.split_once('=').ok_or("settings are key=value")?;
            let features = &mut params.features;
            match k {
                "width" => features.max_features = v.parse()?,
                "cmin" => features.char_ngram_min = v.parse()?,
                "cmax" => features.char_ngram_max = v.parse()?,
                "min_df" => features.min_df = v.parse()?,
                "bigrams" => features.word_bigrams = v.parse()?,
                "subwords" => features.subwords = v.parse()?,
                "tail" => features.tail = v.parse()?,
                "share" => features.other_languages_share = v.parse()?,
                "elide" => features.expand_elisions = v.parse()?,
                "alpha" => params.alpha = v.parse()?,
                "iters" => params.max_iterations = v.parse()?,
                "final" => params.final_iterations = v.parse()?,
                "seed" => params.seed = v.parse()?,
                "vocab" => params.tokenizer.vocab_size = v.parse()?,
                _ => return Err(format!("unknown key {k}").into()),
            }
        }
        let started = Instant::now();
        let model = Classifier::fit(&examples, &catalog, &params, String::new(), &Quiet)?;
        let s = model.summary();
        println!(
            "{setting}\tmacro-F1 {:.4}\taccuracy {:.4}\twidth {}\trestarts {} stalled {}\t{:.1} s",
            s.cv_macro_f1,
            s.cv_accuracy,
            s.feature_width,
            s.solver_refits,
            s.solver_stalled,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
