//! `sportello evaluate`: measure a saved model on a labelled file, or cross-validate training.

use std::path::PathBuf;

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
        let cv = sportello::eval::cross_validate(
            &examples,
            &catalog,
            &args.settings.params()?,
            folds,
        )?;
        output::print_cross_validation(&cv, args.json)?;
        return Ok(exit::OK);
    }
    let classifier = Classifier::load(&args.model)?;
    let examples = sportello::data::load_examples(&args.data, classifier.labels())?;
    let evaluation = sportello::eval::evaluate(&classifier, &examples, args.threshold)?;
    output::print_evaluation(&evaluation, args.json)?;
    Ok(exit::OK)
}
