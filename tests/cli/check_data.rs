//! `sportello check-data`.

use crate::util::*;

#[test]
fn shipped_data_is_clean_and_test_set_is_disjoint() {
    let output = sportello()
        .args([
            "check-data",
            "data/requests.jsonl",
            "--against",
            "data/test.jsonl",
            "--json",
        ])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(output.status.success(), "{json}");
    for (service, n) in json["per_service"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap(), p[1].as_u64().unwrap()))
    {
        assert!(n >= 100, "{service} has only {n} training examples");
    }
    assert_eq!(json["overlaps"].as_array().unwrap().len(), 0);
}

#[test]
fn reports_problems_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.jsonl");
    std::fs::write(
        &file,
        "{\"text\":\"la pensione\",\"label\":\"pensione\"}\n{\"text\":\"La pensione!\",\"label\":\"naspi\"}\n",
    )
    .unwrap();
    let output = sportello()
        .args(["check-data", "--catalog"])
        .arg(fixture("mini_services.toml"))
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("same text, two labels: lines 1 and 2"),
        "{text}"
    );
}
