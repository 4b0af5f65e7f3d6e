//! `sportello redact`: personal data replaced by placeholders, for one text or a JSONL batch.

use std::io::Write;
use std::path::PathBuf;

use sportello::redact::redact;

use super::exit;

#[derive(clap::Args)]
pub struct Args {
    /// The text; read from standard input when absent.
    text: Option<String>,
    /// Print JSON: the redacted text and the kinds of data found (never the data itself).
    #[arg(long)]
    json: bool,
    /// Redact the "text" of every line of a JSON Lines file (`-` for standard input); other
    /// fields are copied through; one line out per line in, in order.
    #[arg(long, value_name = "FILE", conflicts_with = "text")]
    batch: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    if let Some(path) = &args.batch {
        let json = args.json;
        return super::batch::run(path, |mut object| {
            let text = super::batch::take_text(&mut object)?;
            let redacted = redact(&text);
            object.insert("text".into(), redacted.text.into());
            if json {
                object.insert("found".into(), serde_json::json!(redacted.found));
            }
            Ok(object)
        });
    }
    let text = match args.text {
        Some(text) => text,
        None => super::batch::read_stdin()?,
    };
    let redacted = redact(&text);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        serde_json::to_writer(
            &mut out,
            &serde_json::json!({"text": redacted.text, "found": redacted.found}),
        )?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", redacted.text)?;
    }
    Ok(exit::OK)
}
