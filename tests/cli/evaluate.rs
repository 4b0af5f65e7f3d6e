//! `sportello evaluate`.

use crate::util::*;

#[test]
fn evaluates_the_shipped_model_on_the_test_set() {
    let output = sportello()
        .args(["evaluate", "--data", "data/test.jsonl", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let n = json["examples"].as_u64().unwrap();
    assert!(n >= 330);
    for key in [
        "accuracy",
        "macro_f1",
        "coverage",
        "answered_accuracy",
        "ece",
        "out_of_scope_recall",
    ] {
        let v = json[key].as_f64().unwrap_or_else(|| panic!("{key}"));
        assert!((0.0..=1.0).contains(&v), "{key} = {v}");
    }
    assert_eq!(json["per_service"].as_array().unwrap().len(), 11);
    let confusion = json["confusion"].as_array().unwrap();
    let total: u64 = confusion
        .iter()
        .flat_map(|row| row.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, n, "the confusion matrix counts every example once");
    assert_eq!(
        json["answered"].as_u64().unwrap() + json["to_operator"].as_u64().unwrap(),
        n
    );
}

#[test]
fn human_report_has_the_table_and_the_matrix() {
    let output = sportello()
        .args(["evaluate", "--data", "data/test.jsonl"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "macro-F1",
        "precision",
        "Confusion matrix",
        "Answered",
        "Out of scope",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
}

#[test]
fn cross_validates_training() {
    let output = sportello()
        .args(["evaluate", "--cv", "2", "--json", "--data"])
        .arg(fixture("mini_train.jsonl"))
        .arg("--catalog")
        .arg(fixture("mini_services.toml"))
        .output()
        .unwrap();
    succeeded(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["folds"], 2);
    assert_eq!(json["fold_macro_f1"].as_array().unwrap().len(), 2);
    assert_eq!(json["pooled"]["examples"], 24);
}

#[test]
fn bad_arguments_are_clear_errors() {
    clear_error(
        &sportello()
            .args(["evaluate", "--data", "/nonexistent.jsonl"])
            .output()
            .unwrap(),
    );
    clear_error(
        &sportello()
            .args(["evaluate", "--data", "data/test.jsonl", "--cv", "1"])
            .output()
            .unwrap(),
    );
    // training settings need --cv: a saved model is not retrained
    let output = sportello()
        .args(["evaluate", "--data", "data/test.jsonl", "--alpha", "0.5"])
        .output()
        .unwrap();
    clear_error(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("--alpha"));
    // the training settings of --cv are checked too
    clear_error(
        &sportello()
            .args(["evaluate", "--data", "data/test.jsonl", "--cv", "2"])
            .args(["--calibration-folds", "1"])
            .output()
            .unwrap(),
    );
    clear_error(
        &sportello()
            .args([
                "evaluate",
                "--data",
                "data/test.jsonl",
                "--model",
                "/nonexistent",
            ])
            .output()
            .unwrap(),
    );
}
