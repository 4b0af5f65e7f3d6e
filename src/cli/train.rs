//! `sportello train`: validate the data, train, save atomically, print a summary.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use sportello::model::{TrainObserver, sha256_hex};
use sportello::{Catalog, Classifier, ClassifierParams};

use super::exit;

#[derive(clap::Args)]
pub struct Args {
    /// Labelled requests, one JSON object per line: {"text": "...", "label": "<service id>"}.
    #[arg(long, default_value = "data/requests.jsonl")]
    data: PathBuf,
    /// The service catalogue (TOML).
    #[arg(long, default_value = "data/services.toml")]
    catalog: PathBuf,
    /// Folder to write the model into (created if missing; the old model is replaced only when
    /// the new one is completely written).
    #[arg(long, default_value = "models")]
    out: PathBuf,
    #[command(flatten)]
    settings: Settings,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Print each training stage and when it started on standard error.
    #[arg(long, short)]
    verbose: bool,
}

/// Shows the training stages on a terminal and relays Ctrl-C.
struct Progress {
    bar: ProgressBar,
    interrupted: Arc<AtomicBool>,
    verbose: bool,
    started: Instant,
}

impl TrainObserver for Progress {
    fn stage(&self, name: &str, step: usize, steps: usize) {
        if self.verbose {
            self.bar.suspend(|| {
                eprintln!(
                    "sportello: {:>6.2} s  stage {step}/{steps}: {name}",
                    self.started.elapsed().as_secs_f64()
                )
            });
        }
        self.bar.set_length(steps as u64);
        self.bar.set_position(step as u64 - 1);
        self.bar.set_message(name.to_string());
    }

    fn cancelled(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }
}

/// Training settings shared by `train` and `evaluate --cv`.
#[derive(clap::Args)]
pub struct Settings {
    /// L2 regularisation of the logistic regression [default: 0.1].
    #[arg(long)]
    alpha: Option<f64>,
    /// Width of the feature vectors: the number of terms kept [default: 12288].
    #[arg(long)]
    max_features: Option<usize>,
    /// Precision that answered requests should reach; sets the abstention threshold
    /// [default: 0.95].
    #[arg(long)]
    target_precision: Option<f64>,
    /// Most L-BFGS iterations of each regression fit; the final fit, which starts from the
    /// cross-validation models, stops at 75 or at this, whichever is fewer [default: 150].
    #[arg(long)]
    max_iterations: Option<u64>,
    /// Folds of the cross-validation inside training that calibrates the confidences and the
    /// abstention threshold (2 to 20, at most the smallest service's examples; with `evaluate
    /// --cv`, inside each of its folds); each fold is one more fit on (K-1)/K of the data, so
    /// more folds train slower [default: 2].
    #[arg(long, value_name = "K")]
    calibration_folds: Option<usize>,
}

impl Settings {
    /// The flags given on the command line, as written there.
    pub fn given(&self) -> Vec<&'static str> {
        [
            (self.alpha.is_some(), "--alpha"),
            (self.max_features.is_some(), "--max-features"),
            (self.target_precision.is_some(), "--target-precision"),
            (self.max_iterations.is_some(), "--max-iterations"),
            (self.calibration_folds.is_some(), "--calibration-folds"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect()
    }

    /// Turns the raw arguments into validated training settings.
    pub fn params(&self) -> anyhow::Result<ClassifierParams> {
        let mut params = ClassifierParams::default();
        if let Some(alpha) = self.alpha {
            params = params.alpha(alpha);
        }
        if let Some(width) = self.max_features {
            params = params.max_features(width);
        }
        if let Some(iterations) = self.max_iterations {
            params.max_iterations = iterations;
        }
        if let Some(folds) = self.calibration_folds {
            params = params.calibration_folds(folds);
        }
        if let Some(precision) = self.target_precision {
            params = params.target_precision(precision);
        }
        params.validate()?;
        Ok(params)
    }
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let started = Instant::now();
    let params = args.settings.params()?;
    let catalog = Catalog::load(&args.catalog)?;
    let labels = catalog.labels();
    let bytes =
        std::fs::read(&args.data).with_context(|| format!("reading {}", args.data.display()))?;
    let examples = sportello::data::examples_from_bytes(&bytes, &args.data, &labels)?;
    let counts = sportello::data::label_counts(&examples, &labels);
    let (min, max) = (
        counts.iter().copied().min().unwrap_or(0),
        counts.iter().copied().max().unwrap_or(0),
    );
    if min > 0 && max > 3 * min {
        eprintln!(
            "sportello: warning: the services are imbalanced ({min} to {max} examples): small services \
             will be recommended less often than they deserve; add examples to them"
        );
    }

    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        // If a handler cannot be installed (another one exists), Ctrl-C simply kills the
        // process: still safe, because the old model is replaced only by whole files.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed}] {bar:20} {msg}")
            .expect("valid template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let observer = Progress {
        bar,
        interrupted: interrupted.clone(),
        verbose: args.verbose,
        started,
    };
    let fitted = Classifier::fit(&examples, &catalog, &params, sha256_hex(&bytes), &observer);
    observer.bar.finish_and_clear();
    let classifier = fitted?;
    if interrupted.load(Ordering::SeqCst) {
        return Err(sportello::Error::Interrupted.into());
    }
    classifier
        .save(&args.out)
        .with_context(|| format!("saving the model into {}", args.out.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    super::output::print_train_summary(&classifier, &args.out, seconds, args.json)?;
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: Args,
    }

    #[test]
    fn defaults_and_overrides_become_params() {
        let w = Wrapper::parse_from(["x"]);
        assert_eq!(w.args.data, PathBuf::from("data/requests.jsonl"));
        assert_eq!(
            w.args.settings.params().unwrap(),
            ClassifierParams::default()
        );
        let w = Wrapper::parse_from(["x", "--alpha", "0.5", "--target-precision", "0.9"]);
        let p = w.args.settings.params().unwrap();
        assert_eq!(p.alpha, 0.5);
        assert_eq!(p.target_precision, 0.9);
        let w = Wrapper::parse_from(["x", "--calibration-folds", "5"]);
        assert_eq!(w.args.settings.params().unwrap().calibration_folds, 5);
        assert_eq!(w.args.settings.given(), ["--calibration-folds"]);
        assert!(Wrapper::parse_from(["x"]).args.settings.given().is_empty());
        for bad in [
            "--alpha=-1",
            "--calibration-folds=1",
            "--calibration-folds=21",
        ] {
            let w = Wrapper::parse_from(["x", bad]);
            assert!(w.args.settings.params().is_err(), "{bad}");
        }
    }
}
