//! `sportello check-data`: counts, duplicates and conflicts in labelled files.

use std::path::PathBuf;

use sportello::Catalog;

use super::exit;

#[derive(clap::Args)]
pub struct Args {
    /// Labelled requests (JSON Lines with "text" and "label").
    file: PathBuf,
    /// A second labelled file to compare with (e.g. the test set): overlaps are reported.
    #[arg(long)]
    against: Option<PathBuf>,
    /// The service catalogue.
    #[arg(long, default_value = "data/services.toml")]
    catalog: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let catalog = Catalog::load(&args.catalog)?;
    let report =
        sportello::data::check_files(&args.file, args.against.as_deref(), &catalog.labels())?;
    let clean = report.is_clean();
    super::output::print_data_report(&report, args.json)?;
    Ok(if clean { exit::OK } else { exit::ERROR })
}
