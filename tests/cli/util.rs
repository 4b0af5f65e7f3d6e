//! Helpers shared by the command-line tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `sportello` binary, run from the project root.
pub fn sportello() -> Command {
    let mut cmd = assert_cmd::cargo_bin_cmd!("sportello");
    cmd.current_dir(root());
    cmd
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/data").join(name)
}

/// `sportello train` on `data` with `catalog`, writing into `out`, for more arguments.
pub fn train_command(data: &Path, catalog: &Path, out: &Path) -> Command {
    let mut cmd = sportello();
    cmd.args(["train", "--data"])
        .arg(data)
        .arg("--catalog")
        .arg(catalog)
        .arg("--out")
        .arg(out);
    cmd
}

/// Runs `sportello train` on `data` with `catalog`, writing into `out`.
pub fn train_output(data: &Path, catalog: &Path, out: &Path) -> std::process::Output {
    train_command(data, catalog, out).output().unwrap()
}

/// Runs `sportello train` on `data` with the three-service fixture catalogue.
pub fn train_mini_on(data: &Path, out: &Path) -> std::process::Output {
    train_output(data, &fixture("mini_services.toml"), out)
}

/// Trains the three-service fixture model into `dir`.
pub fn train_mini(dir: &Path) {
    succeeded(&train_mini_on(&fixture("mini_train.jsonl"), dir));
}

/// Reads every file of a folder, sorted by name.
pub fn folder_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Checks that a run succeeded, showing its standard error if not.
pub fn succeeded(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Standard error of a failed run, checked to be one clear message and no panic.
pub fn clear_error(output: &std::process::Output) -> String {
    assert_eq!(output.status.code(), Some(2), "exit code");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(stderr.starts_with("sportello: "), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
    stderr
}
