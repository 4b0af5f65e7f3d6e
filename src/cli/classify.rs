//! `sportello classify`: one request (argument or standard input) or a JSONL batch.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::bail;
use serde_json::value::RawValue;
use sportello::recommend::{Answer, RecommendationWith};
use sportello::{Catalog, Classifier, Language, RecommendOptions, Recommendation, Style};

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
    /// Language of the answer, when the catalogue is translated into it (the shipped one is in
    /// all six) [default: the request's own language; Italian when the catalogue has no
    /// translation into it].
    #[arg(long, value_enum)]
    language: Option<Language>,
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

fn options(args: &Args) -> anyhow::Result<RecommendOptions> {
    let options = RecommendOptions {
        top_k: args.top_k,
        threshold: args.threshold,
        style: args.style,
        language: args.language,
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
    if let Some(language) = args.language
        && !classifier.catalog().languages().contains(&language)
    {
        eprintln!(
            "sportello: the catalogue has no {language} translation (it has {}): the answers \
             are in Italian",
            classifier
                .catalog()
                .languages()
                .into_iter()
                .map(Language::code)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(path) = &args.batch {
        return batch(&classifier, path, &options);
    }
    let text = match args.text {
        Some(text) => text,
        None => super::batch::read_stdin()?,
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

/// A batch line's answer: the line's own fields (all but the request) and the recommendation's,
/// which take precedence.
struct BatchAnswer<'a> {
    copied: super::batch::JsonObject,
    recommendation: Recommendation,
    /// The recommendation's answer, serialised in advance (`None`: serialise its own).
    answer: Option<&'a RawValue>,
}

impl serde::Serialize for BatchAnswer<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        #[serde(untagged)]
        enum AnswerJson<'a> {
            Serialised(&'a RawValue),
            Own(&'a Answer),
        }
        #[derive(serde::Serialize)]
        struct Fields<'a> {
            #[serde(flatten)]
            copied: &'a super::batch::JsonObject,
            #[serde(flatten)]
            recommendation: RecommendationWith<'a, AnswerJson<'a>>,
        }
        let answer = match self.answer {
            Some(json) => AnswerJson::Serialised(json),
            None => AnswerJson::Own(&self.recommendation.answer),
        };
        Fields {
            copied: &self.copied,
            recommendation: self.recommendation.with_answer(answer),
        }
        .serialize(serializer)
    }
}

/// Every answer the catalogue gives, serialised once: the catalogue's texts are most of a
/// batch line's JSON, and escaping them took about 7 % of a batch's instructions.
/// By register and language, then by service.
type SerialisedAnswers = HashMap<(Style, Language), HashMap<String, Box<RawValue>>>;

fn serialise_answers(classifier: &Classifier) -> anyhow::Result<SerialisedAnswers> {
    let mut answers = SerialisedAnswers::new();
    for language in classifier.catalog().languages() {
        let (language, services) = classifier.catalog().in_language(language);
        for style in [Style::Simple, Style::Detailed] {
            let by_service = answers.entry((style, language)).or_default();
            for (id, service) in services {
                let json = serde_json::value::to_raw_value(&Answer::of(service, style))?;
                by_service.insert(id.clone(), json);
            }
        }
    }
    Ok(answers)
}

fn batch(classifier: &Classifier, path: &Path, options: &RecommendOptions) -> anyhow::Result<u8> {
    let answers = serialise_answers(classifier)?;
    super::batch::run(path, |mut object| {
        // the request itself is never echoed: it may hold personal data
        let request = super::batch::take_text(&mut object)?;
        let recommendation = match classifier.recommend(&request, options) {
            Ok(r) => r,
            // the whole chain of causes, each once
            Err(e) => return Err((format!("{:#}", anyhow::Error::from(e)), object)),
        };
        for field in Recommendation::FIELDS {
            object.remove(*field);
        }
        let answer = answers
            .get(&(recommendation.style, recommendation.language))
            .and_then(|by_service| by_service.get(&recommendation.service))
            .map(Box::as_ref);
        Ok(BatchAnswer {
            copied: object,
            recommendation,
            answer,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
