//! Saving and loading a classifier: three files in one folder.
//!
//! - `tokenizer.json`: the HuggingFace tokenizer, usable by any `tokenizers` binding;
//! - `model.json`: services, catalogue, settings, training summary, vocabulary, IDF, linfa's
//!   fitted regression and the calibration;
//! - `manifest.json`: format name and version and the SHA-256 of the two files above, so a
//!   truncated, corrupted, foreign or mismatched file is detected before it is used.
//!
//! Files are written to temporary names, flushed to disk, then renamed over the old ones, the
//! manifest last: a failure while writing (a full disk, say) leaves the previous model intact.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Classifier, ClassifierParams, Linear, TrainingSummary};
use crate::calibration::Calibration;
use crate::catalog::Catalog;
use crate::error::{Error, Result, with_causes};
use crate::features::FeatureSpace;
use crate::text::TextAnalyzer;

/// Version of the model format written; bumped whenever old files could be misread, or old
/// binaries could not read new files (5: the catalogue's translations; 6: "d'" read as "di",
/// which a format-5 reader would ignore and so misread the model; 7: the calibration's coverage
/// exponent, which a format-6 reader would drop, applying the temperature fitted with it alone).
pub const FORMAT_VERSION: u32 = 7;
/// The oldest format still read: a format-4 file is a format-5 file without translations, a
/// format-5 file a format-6 one whose features read "d'" as written (the setting's default when
/// absent), and a format-6 file a format-7 one with a coverage exponent of 0.
pub const OLDEST_FORMAT_READ: u32 = 4;
const FORMAT_NAME: &str = "sportello-model";
pub const MODEL_FILE: &str = "model.json";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
pub const MANIFEST_FILE: &str = "manifest.json";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    format_version: u32,
    /// File name → SHA-256 (hex) of its bytes.
    sha256: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    format_version: u32,
    labels: Vec<String>,
    params: ClassifierParams,
    summary: TrainingSummary,
    calibration: Calibration,
    catalog: Catalog,
    features: FeatureSpace,
    linear: Linear,
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Classifier {
    /// Writes the model into `dir` (created if missing), atomically file by file.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let tokenizer = self.analyzer.to_json()?;
        let model = serde_json::to_string(&ModelFile {
            format_version: FORMAT_VERSION,
            labels: self.labels.clone(),
            params: self.params.clone(),
            summary: self.summary.clone(),
            calibration: self.calibration,
            catalog: self.catalog.clone(),
            features: self.features.clone(),
            linear: self.linear.clone(),
        })?;
        let manifest = serde_json::to_string_pretty(&Manifest {
            format: FORMAT_NAME.into(),
            format_version: FORMAT_VERSION,
            sha256: [
                (MODEL_FILE.to_string(), sha256_hex(model.as_bytes())),
                (TOKENIZER_FILE.to_string(), sha256_hex(tokenizer.as_bytes())),
            ]
            .into(),
        })? + "\n";
        let files = [
            (TOKENIZER_FILE, tokenizer),
            (MODEL_FILE, model),
            (MANIFEST_FILE, manifest),
        ];
        let mut written: Vec<(PathBuf, PathBuf)> = Vec::new();
        for (name, content) in &files {
            let target = dir.join(name);
            let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
            if let Err(e) = write_synced(&temp, content.as_bytes()) {
                let _ = std::fs::remove_file(&temp);
                for (t, _) in &written {
                    let _ = std::fs::remove_file(t);
                }
                return Err(e);
            }
            written.push((temp, target));
        }
        for (temp, target) in &written {
            std::fs::rename(temp, target).map_err(|e| Error::io(target, e))?;
        }
        // make the renames themselves durable
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Loads and checks a model saved by [`Classifier::save`].
    pub fn load(dir: &Path) -> Result<Self> {
        let manifest_path = dir.join(MANIFEST_FILE);
        if !dir.is_dir() {
            return Err(Error::model(
                dir,
                "no such folder (train a model with `sportello train --out DIR`)",
            ));
        }
        let manifest_text = read(&manifest_path)?;
        let manifest: Manifest = serde_json::from_slice(&manifest_text)
            .map_err(|e| Error::model(&manifest_path, format!("not a sportello manifest: {e}")))?;
        if manifest.format != FORMAT_NAME {
            return Err(Error::model(
                &manifest_path,
                format!("format `{}` is not `{FORMAT_NAME}`", manifest.format),
            ));
        }
        if !(OLDEST_FORMAT_READ..=FORMAT_VERSION).contains(&manifest.format_version) {
            return Err(Error::model(
                &manifest_path,
                format!(
                    "format version {} is not supported (this sportello reads versions \
                     {OLDEST_FORMAT_READ} to {FORMAT_VERSION}); retrain the model",
                    manifest.format_version
                ),
            ));
        }
        let verified = |name: &str| -> Result<Vec<u8>> {
            let path = dir.join(name);
            let bytes = read(&path)?;
            let expected = manifest
                .sha256
                .get(name)
                .ok_or_else(|| Error::model(&manifest_path, format!("no checksum for {name}")))?;
            if &sha256_hex(&bytes) != expected {
                return Err(Error::model(
                    &path,
                    "checksum does not match the manifest: the file is corrupted, truncated or \
                     from another model (retrain, or restore the folder)",
                ));
            }
            Ok(bytes)
        };
        // One after the other: on two threads the files loaded no faster (measured).
        let tokenizer_path = dir.join(TOKENIZER_FILE);
        let model_path = dir.join(MODEL_FILE);
        let analyzer = verified(TOKENIZER_FILE).and_then(|bytes| {
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| Error::model(&tokenizer_path, "not UTF-8"))?;
            TextAnalyzer::from_json(text)
                .map_err(|e| Error::model(&tokenizer_path, with_causes(&e)))
        });
        let file = verified(MODEL_FILE).and_then(|bytes| {
            let mut file = serde_json::from_slice::<ModelFile>(&bytes)
                .map_err(|e| Error::model(&model_path, e.to_string()))?;
            file.features = file
                .features
                .rebuild()
                .map_err(|e| Error::model(&model_path, with_causes(&e)))?;
            Ok(file)
        });
        let (analyzer, file) = (analyzer?, file?);
        if file.format_version != manifest.format_version {
            return Err(Error::model(
                &model_path,
                "format version differs from the manifest",
            ));
        }
        let classifier = Classifier {
            labels: file.labels,
            catalog: file.catalog,
            analyzer,
            features: file.features,
            linear: file.linear,
            calibration: file.calibration,
            params: file.params,
            summary: file.summary,
            column_means: std::sync::OnceLock::new(),
        };
        classifier
            .check()
            .map_err(|e| Error::model(&model_path, with_causes(&e)))?;
        Ok(classifier)
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::model(
                path,
                "file not found (train a model with `sportello train`)",
            )
        } else {
            Error::io(path, e)
        }
    })
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.sync_all().map_err(|e| Error::io(path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Example;
    use crate::model::Quiet;

    fn mini_model() -> Classifier {
        mini_model_with(ClassifierParams::default())
    }

    fn mini_model_with(params: ClassifierParams) -> Classifier {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let catalog = Catalog::load(&root.join("mini_services.toml")).unwrap();
        let examples: Vec<Example> =
            crate::data::load_examples(&root.join("mini_train.jsonl"), &catalog.labels()).unwrap();
        Classifier::fit(&examples, &catalog, &params, "test".into(), &Quiet).unwrap()
    }

    #[test]
    fn a_model_with_a_tail_is_saved_and_loaded_whole() {
        // narrow enough that words are left out to the tail
        let model = mini_model_with(ClassifierParams::default().max_features(30));
        assert!(!model.features.tail().is_empty());
        let dir = tempfile::tempdir().unwrap();
        model.save(dir.path()).unwrap();
        let loaded = Classifier::load(dir.path()).unwrap();
        assert_eq!(loaded.features, model.features);
        for text in [
            "ho perso il lavoro e il contratto è finito",
            "la pensione di mia madre non arriva",
            "ciao",
        ] {
            assert_eq!(
                model.score(text).unwrap().probabilities,
                loaded.score(text).unwrap().probabilities
            );
        }
    }

    #[test]
    fn save_load_roundtrip_predicts_the_same() {
        let model = mini_model();
        let dir = tempfile::tempdir().unwrap();
        model.save(dir.path()).unwrap();
        let loaded = Classifier::load(dir.path()).unwrap();
        for text in ["ho perso il lavoro", "la pensione di mia madre", "ciao"] {
            assert_eq!(
                model.score(text).unwrap().probabilities,
                loaded.score(text).unwrap().probabilities
            );
        }
    }

    /// A saved model with its `model.json` edited by `edit`, at format `version`, with the
    /// manifest's checksum updated to match.
    fn saved_with(
        model: &Classifier,
        version: u32,
        edit: impl FnOnce(&mut serde_json::Value),
    ) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        model.save(dir.path()).unwrap();
        let path = dir.path().join(MODEL_FILE);
        let mut file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        file["format_version"] = version.into();
        edit(&mut file);
        let text = file.to_string();
        std::fs::write(&path, &text).unwrap();
        let manifest_path = dir.path().join(MANIFEST_FILE);
        let mut manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
        manifest["format_version"] = version.into();
        manifest["sha256"][MODEL_FILE] = sha256_hex(text.as_bytes()).into();
        std::fs::write(&manifest_path, manifest.to_string()).unwrap();
        dir
    }

    #[test]
    fn a_format_6_model_reads_no_coverage() {
        let model = mini_model();
        let dir = saved_with(&model, 6, |file| {
            file["calibration"]
                .as_object_mut()
                .unwrap()
                .remove("coverage_exponent");
        });
        let loaded = Classifier::load(dir.path()).unwrap();
        assert_eq!(loaded.calibration().coverage_exponent, 0.0);
        // what format 6 computed: the softmax of the logits at the temperature alone
        for text in ["ho perso il lavoro", "xqzt vbnm plkj lavoro", "ciao"] {
            let scores = loaded.score(text).unwrap();
            assert_eq!(
                scores.probabilities,
                crate::calibration::softmax(&scores.logits, loaded.calibration().temperature)
            );
        }
    }

    #[test]
    fn a_coverage_exponent_out_of_range_is_refused() {
        let model = mini_model();
        for exponent in [-0.5, 2.5] {
            let dir = saved_with(&model, FORMAT_VERSION, |file| {
                file["calibration"]["coverage_exponent"] = exponent.into();
            });
            let err = Classifier::load(dir.path()).unwrap_err().to_string();
            assert!(err.contains("coverage exponent"), "{err}");
        }
    }

    #[test]
    fn a_tokenizer_that_fails_to_build_says_why() {
        let model = mini_model();
        let dir = tempfile::tempdir().unwrap();
        model.save(dir.path()).unwrap();
        // a merge of pieces the vocabulary lacks, with the checksum updated to match
        let path = dir.path().join(TOKENIZER_FILE);
        let mut tokenizer: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        tokenizer["model"]["merges"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!(["qqj", "jqq"]));
        let text = tokenizer.to_string();
        std::fs::write(&path, &text).unwrap();
        let manifest_path = dir.path().join(MANIFEST_FILE);
        let mut manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
        manifest["sha256"][TOKENIZER_FILE] = sha256_hex(text.as_bytes()).into();
        std::fs::write(&manifest_path, manifest.to_string()).unwrap();
        let message = Classifier::load(dir.path()).unwrap_err().to_string();
        assert!(message.contains(TOKENIZER_FILE), "{message}");
        // the tokenizers crate's own words, after ours
        assert!(message.contains("qqj"), "{message}");
    }

    #[test]
    fn a_failed_write_leaves_the_old_files_and_no_temporaries() {
        let model = mini_model();
        let dir = tempfile::tempdir().unwrap();
        model.save(dir.path()).unwrap();
        let before: Vec<Vec<u8>> = [MANIFEST_FILE, MODEL_FILE, TOKENIZER_FILE]
            .iter()
            .map(|f| std::fs::read(dir.path().join(f)).unwrap())
            .collect();
        // a folder where the model's temporary file would go makes its creation fail, after the
        // tokenizer's temporary file was written
        let blocker = dir
            .path()
            .join(format!(".{MODEL_FILE}.tmp-{}", std::process::id()));
        std::fs::create_dir(&blocker).unwrap();
        assert!(model.save(dir.path()).is_err());
        std::fs::remove_dir(&blocker).unwrap();
        let after: Vec<Vec<u8>> = [MANIFEST_FILE, MODEL_FILE, TOKENIZER_FILE]
            .iter()
            .map(|f| std::fs::read(dir.path().join(f)).unwrap())
            .collect();
        assert_eq!(before, after);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        Classifier::load(dir.path()).unwrap();
    }

    #[test]
    fn classifier_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Classifier>();
    }
}
