//! `sportello classify`: one request (argument or standard input) or a JSONL batch.

use std::io::{BufRead, BufWriter, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use rayon::prelude::*;
use sportello::{Catalog, Classifier, RecommendOptions, Style};

use super::exit;
use super::output;

#[derive(clap::Args)]
pub struct Args {
    /// The request; read from standard input when absent.
    text: Option<String>,
    /// Folder of the trained model.
    #[arg(long, default_value = "models")]
    model: PathBuf,
    /// How many services to list (the recommended one and the alternatives).
    #[arg(long, default_value_t = 3)]
    top_k: usize,
    /// Register of the answer: simple, detailed, or auto (chosen from the request).
    #[arg(long, value_enum, default_value_t = Style::Auto)]
    style: Style,
    /// Below this confidence (0–1) the request goes to an operator [default: the model's,
    /// chosen at training time from cross-validation].
    #[arg(long)]
    threshold: Option<f64>,
    /// Print JSON (one object per request).
    #[arg(long)]
    json: bool,
    /// Classify a JSON Lines file (`-` for standard input): each line has "text"; other fields
    /// are copied through; one JSON line out per line in, in order.
    #[arg(long, value_name = "FILE", conflicts_with = "text")]
    batch: Option<PathBuf>,
    /// Answer texts from this catalogue instead of the one stored in the model (same services).
    #[arg(long)]
    catalog: Option<PathBuf>,
}

/// Longest request read from standard input or from one batch line; see the README.
const MAX_INPUT_BYTES: u64 = 1024 * 1024;

fn options(args: &Args) -> anyhow::Result<RecommendOptions> {
    let options = RecommendOptions {
        top_k: args.top_k,
        threshold: args.threshold,
        style: args.style,
        ..RecommendOptions::default()
    };
    options.validate()?;
    Ok(options)
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let options = options(&args)?;
    let mut classifier = Classifier::load(&args.model)?;
    if let Some(path) = &args.catalog {
        classifier = classifier.with_catalog(Catalog::load(path)?)?;
    }
    if let Some(path) = &args.batch {
        return batch(&classifier, path, &options);
    }
    let text = match args.text {
        Some(text) => text,
        None => read_stdin()?,
    };
    if sportello::text::is_blank(&text) {
        bail!("the request is empty: give the text as an argument or on standard input");
    }
    let recommendation = classifier.recommend(&text, &options)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        serde_json::to_writer(&mut out, &recommendation)?;
        writeln!(out)?;
    } else {
        output::write_recommendation(&mut out, &recommendation)?;
    }
    out.flush()?;
    Ok(exit::OK)
}

fn read_stdin() -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .context("reading standard input")?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        bail!(
            "standard input is longer than {MAX_INPUT_BYTES} bytes; use --batch for many requests"
        );
    }
    String::from_utf8(bytes).context("standard input is not valid UTF-8")
}

/// Lines classified together: enough to keep both cores busy, few enough for constant memory.
const CHUNK_LINES: usize = 512;

fn batch(
    classifier: &Classifier,
    path: &PathBuf,
    options: &RecommendOptions,
) -> anyhow::Result<u8> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        Box::new(std::io::BufReader::with_capacity(1 << 16, file))
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut lines = BoundedLines::new(reader, MAX_INPUT_BYTES as usize);
    let mut failed = 0usize;
    let mut line_no = 0usize;
    loop {
        let mut chunk: Vec<(usize, Result<Vec<u8>, String>)> = Vec::with_capacity(CHUNK_LINES);
        while chunk.len() < CHUNK_LINES {
            match lines
                .next_line()
                .with_context(|| format!("reading {}", path.display()))?
            {
                None => break,
                Some(line) => {
                    line_no += 1;
                    if line
                        .as_ref()
                        .is_ok_and(|l| l.iter().all(u8::is_ascii_whitespace))
                    {
                        continue; // blank lines carry no request
                    }
                    chunk.push((line_no, line));
                }
            }
        }
        if chunk.is_empty() {
            break;
        }
        let results: Vec<(usize, Result<String, (String, JsonObject)>)> = chunk
            .into_par_iter()
            .map(|(n, line)| (n, classify_line(classifier, line, options)))
            .collect();
        for (n, result) in results {
            match result {
                Ok(json) => writeln!(out, "{json}")?,
                Err((reason, mut object)) => {
                    failed += 1;
                    eprintln!("sportello: line {n}: {reason}");
                    object.insert("line".into(), n.into());
                    object.insert("error".into(), reason.into());
                    writeln!(out, "{}", serde_json::Value::Object(object))?;
                }
            }
        }
    }
    out.flush()?;
    if failed > 0 {
        eprintln!("sportello: {failed} line(s) could not be classified (see above)");
        return Ok(exit::ERROR);
    }
    Ok(exit::OK)
}

type JsonObject = serde_json::Map<String, serde_json::Value>;

/// Classifies one batch line; on failure returns the reason and the fields to copy through.
fn classify_line(
    classifier: &Classifier,
    line: Result<Vec<u8>, String>,
    options: &RecommendOptions,
) -> Result<String, (String, JsonObject)> {
    let fail = |reason: String| (reason, JsonObject::new());
    let bytes = line.map_err(fail)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| fail("not valid UTF-8".into()))?;
    let mut object: JsonObject = match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(o)) => o,
        Ok(_) => return Err(fail("not a JSON object".into())),
        Err(e) => return Err(fail(format!("not JSON: {e}"))),
    };
    // the request itself is never echoed: it may hold personal data
    let request = match object.remove("text") {
        Some(serde_json::Value::String(s)) => s,
        Some(_) => return Err(("\"text\" is not a string".into(), object)),
        None => return Err(("missing \"text\"".into(), object)),
    };
    if sportello::text::is_blank(&request) {
        return Err(("empty \"text\"".into(), object));
    }
    let recommendation = match classifier.recommend(&request, options) {
        Ok(r) => r,
        Err(e) => return Err((e.to_string(), object)),
    };
    match serde_json::to_value(&recommendation) {
        Ok(serde_json::Value::Object(fields)) => {
            object.extend(fields);
            Ok(serde_json::Value::Object(object).to_string())
        }
        _ => Err(("could not serialise the recommendation".into(), object)),
    }
}

/// Reads lines of at most `max` bytes; longer lines are skipped to their end and reported, so a
/// single huge line cannot exhaust memory.
struct BoundedLines<R> {
    reader: R,
    max: usize,
}

impl<R: BufRead> BoundedLines<R> {
    fn new(reader: R, max: usize) -> Self {
        BoundedLines { reader, max }
    }

    /// `Ok(None)` at the end; `Ok(Some(Err(reason)))` for a line that was too long.
    fn next_line(&mut self) -> std::io::Result<Option<Result<Vec<u8>, String>>> {
        let mut line = Vec::new();
        let mut too_long = false;
        let mut any = false;
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            any = true;
            let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            if !too_long {
                if line.len() + chunk.len() > self.max {
                    too_long = true;
                    line = Vec::new();
                } else {
                    line.extend_from_slice(chunk);
                }
            }
            let consumed = done.unwrap_or(buf.len());
            self.reader.consume(consumed);
            if done.is_some() {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if too_long {
            return Ok(Some(Err(format!("line longer than {} bytes", self.max))));
        }
        Ok(Some(Ok(line)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_lines_split_and_cap() {
        let input = b"uno\ndue lunghissima\n\ntre";
        let mut lines = BoundedLines::new(&input[..], 5);
        assert_eq!(lines.next_line().unwrap(), Some(Ok(b"uno".to_vec())));
        assert!(matches!(lines.next_line().unwrap(), Some(Err(_))));
        assert_eq!(lines.next_line().unwrap(), Some(Ok(Vec::new())));
        assert_eq!(lines.next_line().unwrap(), Some(Ok(b"tre".to_vec())));
        assert_eq!(lines.next_line().unwrap(), None);
    }

    #[test]
    fn options_reject_bad_values() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct W {
            #[command(flatten)]
            args: Args,
        }
        let w = W::parse_from(["x", "ciao", "--top-k", "0"]);
        assert!(options(&w.args).is_err());
        let w = W::parse_from(["x", "ciao", "--threshold", "1.5"]);
        assert!(options(&w.args).is_err());
        let w = W::parse_from(["x", "ciao"]);
        assert_eq!(options(&w.args).unwrap().top_k, 3);
    }
}
