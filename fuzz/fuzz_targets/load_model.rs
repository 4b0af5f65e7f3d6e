//! Arbitrary model and tokenizer files, with a manifest whose checksums match them, so that the
//! fuzzer reaches the parsers and the consistency checks: loading must fail cleanly, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sportello::model::{FORMAT_VERSION, MANIFEST_FILE, MODEL_FILE, TOKENIZER_FILE, sha256_hex};

fuzz_target!(|data: &[u8]| {
    // split the input into the two files at the first 0xFF byte (never in UTF-8)
    let (tokenizer, model) = match data.iter().position(|&b| b == 0xFF) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(TOKENIZER_FILE), tokenizer).unwrap();
    std::fs::write(dir.path().join(MODEL_FILE), model).unwrap();
    let manifest = format!(
        r#"{{"format":"sportello-model","format_version":{FORMAT_VERSION},"sha256":{{"{MODEL_FILE}":"{}","{TOKENIZER_FILE}":"{}"}}}}"#,
        sha256_hex(model),
        sha256_hex(tokenizer)
    );
    std::fs::write(dir.path().join(MANIFEST_FILE), manifest).unwrap();
    if let Ok(classifier) = sportello::Classifier::load(dir.path()) {
        let _ = classifier.recommend("ho perso il lavoro", &Default::default());
    }
});
