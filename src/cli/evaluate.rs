//! `sportello evaluate`: measure a saved model on a labelled file, or cross-validate training.

use std::path::PathBuf;

use anyhow::Context;

use sportello::{Catalog, Classifier};

use super::exit;
use super::output;

#[derive(clap::Args)]
pub struct Args {
    /// Labelled requests (JSON Lines with "text" and "label").
    #[arg(long)]
    data: PathBuf,
    /// Folder of the trained model.
    #[arg(long, default_value = "models")]
    model: PathBuf,
    /// Instead of a saved model, run stratified K-fold cross-validation of training on --data.
    #[arg(long, value_name = "K")]
    cv: Option<usize>,
    /// The service catalogue (used with --cv; otherwise the model's own).
    #[arg(long, default_value = "data/services.toml")]
    catalog: PathBuf,
    #[command(flatten)]
    settings: super::train::Settings,
    /// Abstention threshold to evaluate with [default: the model's].
    #[arg(long)]
    threshold: Option<f64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML report (report.html) into this folder.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
}

/// Writes `DIR/report.html` for an evaluation of `examples` (texts shown redacted).
fn write_report(
    dir: &std::path::Path,
    title: &str,
    evaluation: &sportello::eval::Evaluation,
    examples: &[sportello::data::Example],
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let text_of_line = |line: usize| {
        examples
            .iter()
            .find(|e| e.line == line)
            .map(|e| sportello::redact::redact(&e.text).text)
            .unwrap_or_default()
    };
    let page = sportello::report::html(title, evaluation, &text_of_line, 40);
    let path = dir.join("report.html");
    std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("sportello: report written to {}", path.display());
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    if let Some(t) = args.threshold {
        anyhow::ensure!(
            (0.0..=1.0).contains(&t),
            "threshold must be between 0 and 1 (got {t})"
        );
    }
    if let Some(folds) = args.cv {
        let catalog = Catalog::load(&args.catalog)?;
        let examples = sportello::data::load_examples(&args.data, &catalog.labels())?;
        let cv =
            sportello::eval::cross_validate(&examples, &catalog, &args.settings.params()?, folds)?;
        output::print_cross_validation(&cv, args.json)?;
        return Ok(exit::OK);
    }
    let given = args.settings.given();
    anyhow::ensure!(
        given.is_empty(),
        "training settings ({}) need --cv: a saved model is evaluated as it was trained",
        given.join(", ")
    );
    let classifier = Classifier::load(&args.model)?;
    let examples = sportello::data::load_examples(&args.data, classifier.labels())?;
    let evaluation = sportello::eval::evaluate(&classifier, &examples, args.threshold)?;
    if let Some(dir) = &args.report {
        let title = format!("sportello: evaluation on {}", args.data.display());
        write_report(dir, &title, &evaluation, &examples)?;
    }
    output::print_evaluation(&evaluation, args.json)?;
    Ok(exit::OK)
}
