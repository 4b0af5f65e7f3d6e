//! `sportello train`.

use crate::util::*;

#[test]
fn trains_a_model_that_classifies() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model");
    let output = train_mini_on(&fixture("mini_train.jsonl"), &out);
    assert!(output.status.success());
    let summary = String::from_utf8(output.stdout).unwrap();
    assert!(summary.contains("Trained on 24 examples"), "{summary}");
    assert!(summary.contains("naspi"), "{summary}");
    assert!(summary.contains("macro-F1"), "{summary}");
    for file in ["manifest.json", "model.json", "tokenizer.json"] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let output = sportello()
        .args(["classify", "--json", "--model"])
        .arg(&out)
        .arg("mi hanno licenziato, come faccio con la disoccupazione?")
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["service"], "naspi");
}

#[test]
fn training_twice_gives_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    train_mini(&a);
    train_mini(&b);
    assert_eq!(folder_bytes(&a), folder_bytes(&b));
}

#[test]
fn json_summary_reports_counts_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    // the JSON summary of training the mini data with `extra` arguments
    let summary = |extra: &[&str]| -> serde_json::Value {
        let output = train_command(
            &fixture("mini_train.jsonl"),
            &fixture("mini_services.toml"),
            dir.path(),
        )
        .arg("--json")
        .args(extra)
        .output()
        .unwrap();
        assert!(output.status.success());
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let json = summary(&[]);
    assert_eq!(json["examples"], 24);
    assert_eq!(json["cv_folds"], 2);
    assert!(json["cv_macro_f1"].as_f64().unwrap() > 0.0);
    assert!(json["threshold"].as_f64().is_some());
    // more calibration folds, as asked
    assert_eq!(summary(&["--calibration-folds", "4"])["cv_folds"], 4);
}

fn train_on(data: &str, out: &std::path::Path) -> std::process::Output {
    let dir = out.parent().unwrap();
    let path = dir.join("data.jsonl");
    std::fs::write(&path, data).unwrap();
    train_mini_on(&path, out)
}

fn mini_with(extra_line: &str) -> String {
    let mut data = std::fs::read_to_string(fixture("mini_train.jsonl")).unwrap();
    data.push_str(extra_line);
    data.push('\n');
    data
}

#[test]
fn bad_data_is_reported_with_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model");
    let cases = [
        (
            r#"{"text": "ciao ciao", "label": "bonus_vacanze"}"#,
            "line 25: unknown label `bonus_vacanze`",
        ),
        (
            r#"{"text": "   ", "label": "naspi"}"#,
            "line 25: empty `text`",
        ),
        (
            r#"{"text": "Devo fare il 730 quest'anno?", "label": "fuori_ambito"}"#,
            "line 25: duplicate of line 18",
        ),
        (
            r#"{"text": "devo fare il 730 quest'anno", "label": "naspi"}"#,
            "line 25: same text as line 18",
        ),
        ("this is not json", "line 25: not a JSON object"),
        (r#"{"label": "naspi"}"#, "line 25: missing `text`"),
    ];
    for (line, expected) in cases {
        let stderr = clear_error(&train_on(&mini_with(line), &out));
        assert!(stderr.contains(expected), "{expected}: {stderr}");
        assert!(!out.exists(), "nothing is written on bad data");
    }
}

#[test]
fn too_few_examples_of_a_service_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let data: String = std::fs::read_to_string(fixture("mini_train.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.contains("\"pensione\"") || l.contains("vecchiaia"))
        .map(|l| format!("{l}\n"))
        .collect();
    let stderr = clear_error(&train_on(&data, &dir.path().join("m")));
    assert!(stderr.contains("`pensione` has 1 examples"), "{stderr}");
    assert!(
        stderr.contains("warning: the services are imbalanced"),
        "{stderr}"
    );
}

#[test]
fn missing_files_and_bad_catalogue_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let output = sportello()
        .args(["train", "--data", "/nonexistent/data.jsonl", "--catalog"])
        .arg(fixture("mini_services.toml"))
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(clear_error(&output).contains("/nonexistent/data.jsonl"));
    let catalog = dir.path().join("bad.toml");
    std::fs::write(&catalog, "[services.naspi]\nname = 3\n").unwrap();
    let output = train_output(
        &fixture("mini_train.jsonl"),
        &catalog,
        &dir.path().join("m"),
    );
    assert!(clear_error(&output).contains("invalid catalogue"));
}

#[test]
fn unwritable_output_keeps_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let output = train_mini_on(&fixture("mini_train.jsonl"), &blocker);
    assert!(clear_error(&output).contains("a-file"));
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "not a folder");
}

#[test]
fn a_failed_training_leaves_the_previous_model_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model");
    train_mini(&out);
    let before = folder_bytes(&out);
    clear_error(&train_on(&mini_with("{\"text\": \"x\"}"), &out));
    assert_eq!(folder_bytes(&out), before);
}

#[test]
fn bad_settings_are_rejected() {
    for args in [
        ["--alpha=-2"],
        ["--max-features=0"],
        ["--target-precision=2"],
        ["--calibration-folds=1"],
    ] {
        let output = sportello().arg("train").args(args).output().unwrap();
        clear_error(&output);
    }
}

#[test]
fn ctrl_c_stops_training_and_keeps_the_previous_model() {
    use std::io::{BufRead, Read};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model");
    train_mini(&out);
    let before = folder_bytes(&out);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("sportello"))
        .current_dir(root())
        .args(["train", "--verbose", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // wait for the first stage (the Ctrl-C handler is installed by then), then interrupt
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while stderr.read_line(&mut seen).unwrap() > 0 && !seen.contains("stage") {}
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    stderr.read_to_string(&mut seen).unwrap();
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130), "{seen}");
    assert!(seen.contains("interrupted"), "{seen}");
    assert_eq!(folder_bytes(&out), before);
}
