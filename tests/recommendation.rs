//! Recommendation quality of the shipped model beyond accuracy: two needs in one message,
//! robustness to how people write, and well-formed probabilities for any input.

use std::path::Path;
use std::sync::LazyLock;

use proptest::prelude::*;
use serde::Deserialize;
use sportello::data::load_examples;
use sportello::{Classifier, RecommendOptions};

static MODEL: LazyLock<Classifier> =
    LazyLock::new(|| Classifier::load(&root().join("models")).unwrap());

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Deserialize)]
struct MultiLabelled {
    text: String,
    labels: Vec<String>,
}

fn read_multi(name: &str) -> Vec<MultiLabelled> {
    std::fs::read_to_string(root().join("tests/data").join(name))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Requests with two needs get both (main + secondary) most of the time; requests that mention
/// a second topic only as background rarely get a secondary. Figures in the README.
#[test]
fn two_needs_are_recognised_and_background_is_not() {
    let options = RecommendOptions::default();
    let multi = read_multi("multi_intent.jsonl");
    let (mut both, mut shown, mut right) = (0, 0, 0);
    for r in &multi {
        let rec = MODEL.recommend(&r.text, &options).unwrap();
        if let Some(s) = &rec.secondary {
            shown += 1;
            if r.labels.contains(&s.service) {
                right += 1;
                if r.labels.contains(&rec.service) && s.service != rec.service {
                    both += 1;
                }
            }
        }
    }
    // These two files are development data: the rule and its confidence floor were chosen on
    // them (README, "Two needs at once"), so this checks that the shipped model still meets
    // them, not how the rule does on requests nobody has read.
    let control = read_multi("single_intent_control.jsonl");
    let false_secondary = control
        .iter()
        .filter(|r| {
            MODEL
                .recommend(&r.text, &options)
                .unwrap()
                .secondary
                .is_some()
        })
        .count();
    eprintln!(
        "two needs: both found {both}/{}, secondary precision {right}/{shown}; background: {false_secondary}/{} got a secondary",
        multi.len(),
        control.len()
    );
    assert!(both as f64 >= 0.55 * multi.len() as f64);
    assert!(right as f64 >= 0.85 * shown as f64);
    assert!(false_secondary as f64 <= 0.25 * control.len() as f64);
}

fn strip_accents(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect()
}

/// Wrapping a request in a formal letter, or writing it without accents, does not change the
/// recommendation, and confidence does not collapse.
#[test]
fn recommendation_survives_letters_and_missing_accents() {
    let labels = MODEL.labels().to_vec();
    let test = load_examples(&root().join("data/test.jsonl"), &labels).unwrap();
    let options = RecommendOptions::default();
    let (mut same_letter, mut same_plain, mut drop) = (0, 0, 0.0);
    for e in &test {
        let base = MODEL.recommend(&e.text, &options).unwrap();
        let letter = format!(
            "Spett.le INPS,\ncon la presente desidero sottoporre alla Vostra attenzione quanto segue.\n{}\nRingrazio anticipatamente per la cortese risposta.\nDistinti saluti",
            e.text
        );
        let wrapped = MODEL.recommend(&letter, &options).unwrap();
        same_letter += (wrapped.service == base.service) as usize;
        drop += (base.confidence - wrapped.confidence).max(0.0);
        let plain = MODEL.recommend(&strip_accents(&e.text), &options).unwrap();
        same_plain += (plain.service == base.service) as usize;
    }
    let n = test.len() as f64;
    eprintln!(
        "letter wrap: {same_letter}/{} unchanged, mean confidence drop {:.3}; accents removed: {same_plain}/{} unchanged",
        test.len(),
        drop / n,
        test.len()
    );
    assert!(same_letter as f64 >= 0.95 * n);
    assert!(drop / n <= 0.05);
    assert!(same_plain as f64 >= 0.99 * n);
}

/// A request the model reads only a few words of, among many it has never seen, is answered
/// less confidently than the same scores of a request read whole: a lone known word must not
/// speak for a whole message in a language the model has not learned.
#[test]
fn a_request_read_only_in_part_is_answered_less_confidently() {
    let known = "contributi";
    // Georgian: "hello, I worked in a factory for three years and now I am left without work,
    // what should I do" (the training data holds some Georgian requests, so the tokenizer keeps
    // these words, and the model knows few of them: less than a fifth of the 14 words with
    // "contributi" until round 70 added Georgian requests, 3 of 14 since)
    let unknown =
        "გამარჯობა მე სამი წელი ვმუშაობდი ქარხანაში და ახლა უმუშევარი დავრჩი რა უნდა გავაკეთო";
    let alone = MODEL.score(known).unwrap();
    let mixed = MODEL.score(&format!("{unknown} {known}")).unwrap();
    assert_eq!(alone.word_coverage, 1.0);
    assert!(
        mixed.word_coverage < 0.3,
        "coverage {}",
        mixed.word_coverage
    );
    // the calibration makes the mixed request less sure than its logits read whole would be
    let read_whole = MODEL.calibration().probabilities(&mixed.logits, 1.0);
    let best = mixed.best();
    assert!(
        mixed.probabilities[best] < read_whole[best] - 0.05,
        "{} against {}",
        mixed.probabilities[best],
        read_whole[best]
    );
}

/// Requests that are not about INPS benefits do not get a confident benefit label.
#[test]
fn out_of_scope_and_gibberish_are_not_given_a_benefit() {
    let options = RecommendOptions::default();
    for text in [
        "asdkjh qwpoei zmxnc",
        "ciao come va?",
        "chi vince il campionato quest'anno secondo te",
        "ricetta della carbonara con la panna o senza",
        "devo rinnovare la patente scaduta, a chi mi rivolgo?",
        "mi è arrivato un SMS che dice di cliccare un link per sbloccare il conto",
    ] {
        let rec = MODEL.recommend(text, &options).unwrap();
        assert!(
            rec.service == "fuori_ambito" || rec.abstained,
            "{text}: {} at {:.2}",
            rec.service,
            rec.confidence
        );
    }
}

/// A recommendation's answer is [`Answer::of`] its service, register and language, whatever
/// else the request holds, so that a batch can serialise each answer once; and serialised with
/// that answer given apart, a recommendation is byte for byte the same.
#[test]
fn the_answer_depends_only_on_service_register_and_language() {
    use sportello::recommend::Answer;
    use sportello::{Language, Style};
    let labels = MODEL.labels().to_vec();
    let test = load_examples(&root().join("data/test.jsonl"), &labels).unwrap();
    let mut seen = std::collections::HashSet::new();
    for (i, example) in test.iter().enumerate() {
        let options = RecommendOptions {
            style: [Style::Auto, Style::Simple, Style::Detailed][i % 3],
            language: [None, Some(Language::En), Some(Language::De)][i / 3 % 3],
            ..RecommendOptions::default()
        };
        let rec = MODEL.recommend(&example.text, &options).unwrap();
        let (language, services) = MODEL.catalog().in_language(rec.language);
        assert_eq!(language, rec.language);
        assert_eq!(rec.answer, Answer::of(&services[&rec.service], rec.style));
        let apart = serde_json::value::to_raw_value(&rec.answer).unwrap();
        assert_eq!(
            serde_json::to_string(&rec.with_answer(&apart)).unwrap(),
            serde_json::to_string(&rec).unwrap()
        );
        seen.insert((rec.service.clone(), rec.style, rec.language));
    }
    // the check saw many answers, not one
    assert!(seen.len() >= 30, "{}", seen.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// For any string, the probabilities are finite, between 0 and 1, and sum to 1.
    #[test]
    fn probabilities_are_well_formed_for_any_text(text in any::<String>()) {
        let scores = MODEL.score(&text).unwrap();
        let sum: f64 = scores.probabilities.iter().sum();
        prop_assert!(scores.probabilities.iter().all(|p| p.is_finite() && (0.0..=1.0).contains(p)));
        prop_assert!((sum - 1.0).abs() < 1e-9, "sum {}", sum);
        let rec = MODEL.recommend(&text, &RecommendOptions::default()).unwrap();
        prop_assert!(rec.confidence.is_finite());
    }
}

/// A request longer than the length cap is read only up to the cap: a need written after it is
/// not offered as a secondary recommendation, while the same need inside the cap is.
#[test]
fn a_second_need_past_the_length_cap_is_not_read() {
    let options = RecommendOptions::default();
    let story = "Ho perso il lavoro a marzo perché la ditta ha chiuso e vorrei sapere come chiedere \
                 la disoccupazione. ";
    let ask = "Inoltre come faccio a chiedere l'assegno unico per mio figlio appena nato?";
    let filler = story.repeat(sportello::text::MAX_TEXT_BYTES / story.len() + 1);
    let inside = MODEL
        .recommend(&format!("{story}{ask} {filler}"), &options)
        .unwrap();
    assert!(inside.truncated);
    assert_eq!(inside.service, "naspi");
    let secondary = inside.secondary.expect("a second need inside the cap");
    assert_eq!(secondary.service, "assegno_unico");
    let past = MODEL
        .recommend(&format!("{filler}{ask}"), &options)
        .unwrap();
    assert!(past.truncated);
    assert_eq!(past.service, "naspi");
    assert_eq!(past.secondary, None);
}
