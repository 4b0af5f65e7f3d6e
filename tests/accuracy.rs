//! The shipped model: trained from `data/` exactly as committed, and accurate on the held-out
//! test set. This is the one test that trains on the full data (run optimised: see
//! `[profile.test]` in Cargo.toml).

use std::path::Path;

use sportello::data::{duplicate_key, load_examples};
use sportello::model::{Quiet, sha256_hex};
use sportello::{Catalog, Classifier, ClassifierParams};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_model_is_what_train_produces_and_scores_well_on_the_test_set() {
    let catalog = Catalog::load(&root().join("data/services.toml")).unwrap();
    let labels = catalog.labels();
    let train_path = root().join("data/requests.jsonl");
    let train = load_examples(&train_path, &labels).unwrap();
    let test = load_examples(&root().join("data/test.jsonl"), &labels).unwrap();

    // the test set shares no request with the training set
    let train_keys: std::collections::HashSet<String> =
        train.iter().map(|e| duplicate_key(&e.text)).collect();
    for e in &test {
        assert!(
            !train_keys.contains(&duplicate_key(&e.text)),
            "test line {} is also in the training data",
            e.line
        );
    }

    let bytes = std::fs::read(&train_path).unwrap();
    let model = Classifier::fit(
        &train,
        &catalog,
        &ClassifierParams::default(),
        sha256_hex(&bytes),
        &Quiet,
    )
    .unwrap();
    // every regression fit converged (at some feature scale)
    assert_eq!(
        model.summary().solver_stalled,
        0,
        "a regression fit stalled"
    );
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path()).unwrap();
    for file in ["manifest.json", "model.json", "tokenizer.json"] {
        let fresh = std::fs::read(dir.path().join(file)).unwrap();
        let committed = std::fs::read(root().join("models").join(file)).unwrap();
        assert!(
            fresh == committed,
            "models/{file} differs from what `sportello train` produces from data/: retrain and commit"
        );
    }

    let evaluation = sportello::eval::evaluate(&model, &test, None).unwrap();
    let macro_f1 = evaluation.metrics.macro_f1;
    eprintln!(
        "test macro-F1 {macro_f1:.3}, accuracy {:.3}",
        evaluation.metrics.accuracy
    );
    assert!(
        macro_f1 >= 0.85,
        "macro-F1 on data/test.jsonl is {macro_f1:.3}"
    );
    for s in &evaluation.metrics.per_service {
        assert!(
            s.f1 >= 0.7,
            "{} has F1 {:.3} on the test set",
            s.service,
            s.f1
        );
    }
}
