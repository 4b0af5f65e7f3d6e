//! Any bytes, as a request, through the whole recommendation path of the shipped model:
//! redaction, tokenizer, features, regression, calibration, explanation, secondary need.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sportello::{Classifier, RecommendOptions, Style};

static MODEL: LazyLock<Classifier> = LazyLock::new(|| {
    Classifier::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models")).unwrap()
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let style = match data.first().map(|b| b % 3) {
        Some(0) => Style::Simple,
        Some(1) => Style::Detailed,
        _ => Style::Auto,
    };
    let options = RecommendOptions { style, ..RecommendOptions::default() };
    let rec = MODEL.recommend(&text, &options).unwrap();
    assert!(rec.confidence.is_finite() && (0.0..=1.0).contains(&rec.confidence));
    let sum: f64 = MODEL.score(&text).unwrap().probabilities.iter().sum();
    assert!((sum - 1.0).abs() < 1e-9);
    let _ = sportello::redact::redact(&text);
});
