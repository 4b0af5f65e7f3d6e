//! From scores to a recommendation: the service, its confidence, the reasons, the answer in the
//! right register, the alternatives, and whether an operator should take over.

use serde::Serialize;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use crate::catalog::{OUT_OF_SCOPE, Service};
use crate::error::{Error, Result};
use crate::language::{self, Language};
use crate::model::{Classifier, Scores};
use crate::style::{self, Style};

/// How to turn scores into a recommendation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecommendOptions {
    /// Services listed in all (the recommended one and the alternatives).
    pub top_k: usize,
    /// Confidence below which the request goes to an operator; `None` uses the model's own.
    pub threshold: Option<f64>,
    pub style: Style,
    /// The language of the answer when the catalogue is translated into it; `None`: the
    /// request's own (see [`crate::language`]).
    pub language: Option<Language>,
    /// Words in the explanation at most.
    pub max_explanation: usize,
}

impl Default for RecommendOptions {
    fn default() -> Self {
        RecommendOptions {
            top_k: 3,
            threshold: None,
            style: Style::Auto,
            language: None,
            max_explanation: 5,
        }
    }
}

impl RecommendOptions {
    pub fn validate(&self) -> Result<()> {
        if self.top_k == 0 || self.top_k > 50 {
            return Err(Error::InvalidParam(format!(
                "top-k must be between 1 and 50 (got {})",
                self.top_k
            )));
        }
        if let Some(t) = self.threshold.filter(|t| !(0.0..=1.0).contains(t)) {
            return Err(Error::InvalidParam(format!(
                "threshold must be between 0 and 1 (got {t})"
            )));
        }
        Ok(())
    }
}

/// A service and its probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub service: String,
    pub name: String,
    pub confidence: f64,
}

/// A word that drove the decision and how much (calibrated logit units).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub term: String,
    pub weight: f64,
}

/// What the citizen is told.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub text: String,
    pub url: String,
    pub active: bool,
    pub status_note: String,
    pub next_steps: Vec<String>,
}

impl Answer {
    /// What the citizen is told about `service` in the register `style` (`Auto` reads as
    /// simple): the same for every request that gets this service, register and language.
    pub fn of(service: &Service, style: Style) -> Answer {
        Answer {
            text: match style {
                Style::Detailed => service.detailed.clone(),
                _ => service.simple.clone(),
            },
            url: service.url.clone(),
            active: service.active,
            status_note: service.status_note.clone(),
            next_steps: service.next_steps.clone(),
        }
    }
}

/// The recommendation for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// The most likely service (also when abstaining).
    pub service: String,
    pub name: String,
    /// Calibrated probability of `service`, 0–1.
    pub confidence: f64,
    /// True when the confidence is below the threshold: an operator should take over.
    pub abstained: bool,
    pub threshold: f64,
    /// The next most likely services.
    pub alternatives: Vec<Candidate>,
    /// A second need the request also expresses, when the model sees one clearly.
    pub secondary: Option<Candidate>,
    /// Words that pushed towards `service`.
    pub explanation: Vec<Reason>,
    /// The register of `answer`.
    pub style: Style,
    /// The language the request seems written in.
    pub request_language: Language,
    /// The language of `answer` and of the services' names: the one asked for, or the
    /// request's, when the catalogue is translated into it; Italian otherwise.
    pub language: Language,
    pub answer: Answer,
    /// True when the request was longer than the length cap and only its start was read.
    pub truncated: bool,
}

impl Serialize for Recommendation {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.with_answer(&self.answer).serialize(serializer)
    }
}

/// A [`Recommendation`] as it serialises, with an answer of the caller's: see
/// [`Recommendation::with_answer`].
#[derive(Serialize)]
pub struct RecommendationWith<'a, A> {
    service: &'a str,
    name: &'a str,
    confidence: f64,
    abstained: bool,
    threshold: f64,
    alternatives: &'a [Candidate],
    secondary: &'a Option<Candidate>,
    explanation: &'a [Reason],
    style: Style,
    request_language: Language,
    language: Language,
    answer: A,
    truncated: bool,
}

impl Recommendation {
    /// This recommendation, serialised with `answer` in place of its own: for an answer
    /// serialised once and written into every recommendation that has it (a batch writes a
    /// `serde_json::value::RawValue` of [`Answer::of`] this recommendation's service, `style` and
    /// `language`).
    pub fn with_answer<A: Serialize>(&self, answer: A) -> RecommendationWith<'_, A> {
        // every field named, none skipped with `..`: a new field stops the build here until it
        // is serialised too
        let Recommendation {
            service,
            name,
            confidence,
            abstained,
            threshold,
            alternatives,
            secondary,
            explanation,
            style,
            request_language,
            language,
            answer: _,
            truncated,
        } = self;
        RecommendationWith {
            service,
            name,
            confidence: *confidence,
            abstained: *abstained,
            threshold: *threshold,
            alternatives,
            secondary,
            explanation,
            style: *style,
            request_language: *request_language,
            language: *language,
            answer,
            truncated: *truncated,
        }
    }

    /// The names of the fields a recommendation serialises to.
    pub const FIELDS: &'static [&'static str] = &[
        "service",
        "name",
        "confidence",
        "abstained",
        "threshold",
        "alternatives",
        "secondary",
        "explanation",
        "style",
        "request_language",
        "language",
        "answer",
        "truncated",
    ];
}

/// A second need is shown only when its part of the request, read alone, gets this confidence
/// or more (and at least the abstention threshold), even when the threshold is low because the
/// model is rarely wrong. 0.5 (more likely than not) until the sparse model, whose confidences
/// are sharper (temperature 0.76 against 0.88): at 0.5 it gave 8 of the 30 background requests
/// of `tests/data` a secondary, at 0.6 5, with 61 of the 70 two-need requests found either way
/// (README, "Two needs at once").
const SECONDARY_MIN_CONFIDENCE: f64 = 0.6;

/// Words that often join two separate needs in one message (normalised, lowercase).
const JOINERS: &[&str] = &[
    "e", "ed", "ma", "pero", "inoltre", "poi", "anche", "oltre", "altra", "altro", "and", "also",
    "plus",
];

/// Joiners that turn away from what came before ("ma", "però", normalised): in "X, ma Y?" the
/// question is Y alone, where in "X e Y?" it is both.
const CONTRASTIVE: &[&str] = &["ma", "pero"];

/// Words that mark a part of the request as a question or a request (normalised).
const ASKING: &[&str] = &[
    "come",
    "posso",
    "possiamo",
    "puo",
    "vorrei",
    "volevo",
    "vorremmo",
    "spetta",
    "spettano",
    "diritto",
    "quando",
    "chiedo",
    "chiediamo",
    "devo",
    "dobbiamo",
    "bisogna",
    "serve",
    "cosa",
    "quanto",
    "quanti",
    "perche",
    "aiutatemi",
    "aiuto",
    "sapere",
    "can",
    "how",
    "when",
    "what",
    "should",
    "need",
];

/// One part of a request and whether it asks for something (an asking word, or a question mark
/// that ends it or, through coordinating joiners, the clause after it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub asks: bool,
}

/// What a word can do in [`segments`]: join two needs, turn away from what came before, ask.
const JOINS: u8 = 1;
const TURNS: u8 = 2;
const ASKS: u8 = 4;

/// Each word of [`JOINERS`], [`CONTRASTIVE`] and [`ASKING`] with its roles: one lookup per word
/// of a request instead of a scan of each list.
static WORD_ROLES: LazyLock<FxHashMap<&'static [u8], u8>> = LazyLock::new(|| {
    let mut roles = FxHashMap::default();
    for (list, role) in [(JOINERS, JOINS), (CONTRASTIVE, TURNS), (ASKING, ASKS)] {
        for word in list {
            *roles.entry(word.as_bytes()).or_default() |= role;
        }
    }
    roles
});

/// For each length up to 16 bytes, the first bytes of the words of [`WORD_ROLES`] of that
/// length: most words of a request are no such word, and this tells without hashing them.
static ROLE_WORD_STARTS: LazyLock<[[bool; 128]; 17]> = LazyLock::new(|| {
    let mut starts = [[false; 128]; 17];
    for word in WORD_ROLES.keys() {
        assert!(
            word.len() < starts.len() && word.is_ascii(),
            "short ASCII role words"
        );
        starts[word.len()][word[0] as usize] = true;
    }
    starts
});

/// The roles of a word as written: without its punctuation, in lowercase and without accents.
fn word_role(word: &str) -> u8 {
    if !word.is_ascii() {
        let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
        return WORD_ROLES
            .get(crate::text::fold(bare).as_bytes())
            .copied()
            .unwrap_or(0);
    }
    // an ASCII character is alphanumeric for `char` exactly when it is for ASCII
    let bytes = word.as_bytes();
    let Some(first) = bytes.iter().position(u8::is_ascii_alphanumeric) else {
        return 0;
    };
    let last = bytes
        .iter()
        .rposition(u8::is_ascii_alphanumeric)
        .expect("one is");
    let bare = &bytes[first..=last];
    if !ROLE_WORD_STARTS
        .get(bare.len())
        .is_some_and(|starts| starts[bare[0].to_ascii_lowercase() as usize])
    {
        return 0;
    }
    // lowercased on the stack: no role word is longer than 16 bytes
    let mut lower = [0u8; 16];
    let lower = &mut lower[..bare.len()];
    lower.copy_from_slice(bare);
    lower.make_ascii_lowercase();
    WORD_ROLES.get(&*lower).copied().unwrap_or(0)
}

/// What [`scan`] finds, in order.
enum Event<'t> {
    Word(&'t str),
    /// After '.', ';', '!', '?' or a line break, and at the end of the text.
    SentenceEnd {
        question: bool,
    },
}

/// The words of `text` and the ends of its sentences, in one pass over its bytes: as splitting
/// after each '.', ';', '!', '?' and line break, then each sentence at white space
/// (`str::split_whitespace`), would give them.
fn scan<'t>(text: &'t str, mut on: impl FnMut(Event<'t>)) {
    let bytes = text.as_bytes();
    let mut word_start: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (len, space) = if b.is_ascii() {
            // `char::is_whitespace` on ASCII: tab to carriage return, and space
            (1, matches!(b, b'\t'..=b'\r' | b' '))
        } else {
            let c = text[i..].chars().next().expect("a character starts here");
            (c.len_utf8(), c.is_whitespace())
        };
        if space {
            if let Some(s) = word_start.take() {
                on(Event::Word(&text[s..i]));
            }
        } else if word_start.is_none() {
            word_start = Some(i);
        }
        i += len;
        // the sentence ends are ASCII, and no byte of a longer character is
        if matches!(b, b'.' | b';' | b'!' | b'?' | b'\n') {
            if let Some(s) = word_start.take() {
                on(Event::Word(&text[s..i]));
            }
            on(Event::SentenceEnd {
                question: b == b'?',
            });
        }
    }
    if let Some(s) = word_start {
        on(Event::Word(&text[s..]));
    }
    on(Event::SentenceEnd { question: false });
}

/// Splits a request into the parts where a second need could be written: sentences, and
/// clauses joined by words such as "e", "inoltre", "poi". Parts of fewer than three words are
/// glued to the previous one. A question mark marks the clauses of its sentence from the last
/// contrastive one ("ma", "però") on.
pub fn segments(text: &str) -> Vec<Segment> {
    // every word with its roles; the parts are ranges of them that follow one another
    let mut words: Vec<(&str, u8)> = Vec::with_capacity(text.len() / 4);
    // (first word, end, whether a question mark covers it)
    let mut parts: Vec<(usize, usize, bool)> = Vec::new();
    // where the current part and the current sentence start
    let mut start = 0;
    let mut first_clause = 0;
    scan(text, |event| match event {
        Event::Word(word) => {
            let role = word_role(word);
            if role & JOINS != 0 && words.len() - start >= 3 {
                parts.push((start, words.len(), false));
                start = words.len();
            }
            words.push((word, role));
        }
        Event::SentenceEnd { question } => {
            if words.len() > start {
                parts.push((start, words.len(), false));
                start = words.len();
            }
            if question {
                // "Per la NASpI e per l'assegno unico a chi devo rivolgermi?" asks both;
                // "Lavoro in cassa integrazione, ma non scrivo per quello: l'assegno?" asks
                // only the last
                let asked_from = (first_clause..parts.len())
                    .rev()
                    .find(|&i| words[parts[i].0].1 & TURNS != 0)
                    .unwrap_or(first_clause);
                for part in &mut parts[asked_from..] {
                    part.2 = true;
                }
            }
            first_clause = parts.len();
        }
    });
    let mut merged: Vec<(usize, usize, bool)> = Vec::with_capacity(parts.len());
    for (start, end, question) in parts {
        match merged.last_mut() {
            // parts follow one another, so gluing moves the end
            Some(last) if end - start < 3 => {
                last.1 = end;
                last.2 |= question;
            }
            _ => merged.push((start, end, question)),
        }
    }
    merged
        .into_iter()
        .map(|(start, end, question)| {
            let words = &words[start..end];
            let mut text = String::with_capacity(words.iter().map(|(w, _)| w.len() + 1).sum());
            for (i, (word, _)) in words.iter().enumerate() {
                if i > 0 {
                    text.push(' ');
                }
                text.push_str(word);
            }
            Segment {
                asks: question || words.iter().any(|(_, role)| role & ASKS != 0),
                text,
            }
        })
        .collect()
}

/// Service `labels[i]` with its name from `services`.
fn candidate(
    labels: &[String],
    services: &BTreeMap<String, Service>,
    i: usize,
    confidence: f64,
) -> Candidate {
    let id = &labels[i];
    Candidate {
        service: id.clone(),
        name: services.get(id).map(|s| s.name.clone()).unwrap_or_default(),
        confidence,
    }
}

impl Classifier {
    /// The strongest other benefit that some part of the request asks about on its own.
    fn secondary_need(
        &self,
        scores: &Scores,
        primary: usize,
        threshold: f64,
        services: &BTreeMap<String, Service>,
    ) -> Option<Candidate> {
        // The request as it was read: cut to the length cap (a long request's tail is not a
        // need) and redacted, so no part is redacted again, and an e-mail address or a name
        // is a placeholder, not a sentence break or a word
        let parts = segments(&scores.text);
        if parts.len() < 2 {
            return None;
        }
        let mut best: Option<(usize, f64)> = None;
        // parts follow one another: each is looked for in the whole after the previous one
        let mut from = 0;
        // only parts that ask for something: a benefit mentioned as background is not a need
        for part in parts.into_iter().filter(|p| p.asks) {
            let Ok(scores) = self.score_part(scores, part.text, &mut from) else {
                continue;
            };
            let top = scores.best();
            let p = scores.probabilities[top];
            if top != primary
                && self.labels()[top] != OUT_OF_SCOPE
                && !scores.is_unknown()
                && p >= threshold
                && best.is_none_or(|(_, bp)| p > bp)
            {
                best = Some((top, p));
            }
        }
        best.map(|(i, p)| candidate(self.labels(), services, i, p))
    }

    /// Scores a request and builds its recommendation.
    pub fn recommend(&self, text: &str, options: &RecommendOptions) -> Result<Recommendation> {
        options.validate()?;
        let scores = self.score(text)?;
        Ok(self.recommendation(text, &scores, options))
    }

    /// Builds the recommendation from scores already computed.
    pub fn recommendation(
        &self,
        text: &str,
        scores: &Scores,
        options: &RecommendOptions,
    ) -> Recommendation {
        let ranking = scores.ranking();
        let request_language = language::detect_words(scores.words());
        let (language, services) = self
            .catalog()
            .in_language(options.language.unwrap_or(request_language));
        let best = ranking[0];
        let threshold = options.threshold.unwrap_or(self.calibration().threshold);
        let confidence = scores.probabilities[best];
        let abstained = scores.is_unknown() || confidence < threshold;
        // explained first, while the weights of the request's columns are still in the cache
        // from its scoring (the second need then scores the request's parts)
        let explanation = self
            .explain(scores, best, options.max_explanation)
            .into_iter()
            .map(|(term, weight)| Reason { term, weight })
            .collect();
        // A second need: a part of the request that asks something and that, read on its own,
        // the model would answer confidently (at or above the threshold, and at least
        // SECONDARY_MIN_CONFIDENCE) with another benefit.
        let secondary = if abstained || self.labels()[best] == OUT_OF_SCOPE {
            None
        } else {
            self.secondary_need(
                scores,
                best,
                threshold.max(SECONDARY_MIN_CONFIDENCE),
                services,
            )
        };
        let style = style::resolve(options.style, text, scores.word_count());
        let id = &self.labels()[best];
        let service = services.get(id).expect("catalogue checked against labels");
        let answer = Answer::of(service, style);
        Recommendation {
            service: id.clone(),
            name: service.name.clone(),
            confidence,
            abstained,
            threshold,
            alternatives: ranking
                .iter()
                .skip(1)
                .take(options.top_k.saturating_sub(1))
                .map(|&i| candidate(self.labels(), services, i, scores.probabilities[i]))
                .collect(),
            secondary,
            explanation,
            style,
            request_language,
            language,
            answer,
            truncated: scores.truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition [`segments`] must match: each part's words in their own vector, each word
    /// normalised on its own and looked up in each list.
    fn segments_by_definition(text: &str) -> Vec<Segment> {
        use std::borrow::Cow;
        fn normalise_word(word: &str) -> Cow<'_, str> {
            let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
            if bare
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                Cow::Borrowed(bare)
            } else {
                Cow::Owned(crate::text::fold(bare))
            }
        }
        type Part<'t> = (Vec<(&'t str, Cow<'t, str>)>, bool);
        let mut parts: Vec<Part> = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let end = rest
                .find(['.', ';', '!', '?', '\n'])
                .map_or(rest.len(), |i| i + 1);
            let (sentence, tail) = rest.split_at(end);
            rest = tail;
            let first_clause = parts.len();
            let mut current: Vec<(&str, Cow<str>)> = Vec::new();
            for word in sentence.split_whitespace() {
                let bare = normalise_word(word);
                if JOINERS.contains(&bare.as_ref()) && current.len() >= 3 {
                    parts.push((std::mem::take(&mut current), false));
                }
                current.push((word, bare));
            }
            if !current.is_empty() {
                parts.push((current, false));
            }
            if sentence.ends_with('?') {
                let asked_from = (first_clause..parts.len())
                    .rev()
                    .find(|&i| CONTRASTIVE.contains(&parts[i].0[0].1.as_ref()))
                    .unwrap_or(first_clause);
                for part in &mut parts[asked_from..] {
                    part.1 = true;
                }
            }
        }
        let mut merged: Vec<Part> = Vec::new();
        for (words, question) in parts {
            match merged.last_mut() {
                Some(last) if words.len() < 3 => {
                    last.0.extend(words);
                    last.1 |= question;
                }
                _ => merged.push((words, question)),
            }
        }
        merged
            .into_iter()
            .map(|(words, question)| Segment {
                asks: question
                    || words
                        .iter()
                        .any(|(_, bare)| ASKING.contains(&bare.as_ref())),
                text: words
                    .iter()
                    .map(|(word, _)| *word)
                    .collect::<Vec<_>>()
                    .join(" "),
            })
            .collect()
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #[test]
        fn segments_match_their_definition(
            words in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(JOINERS).prop_map(str::to_owned),
                    proptest::sample::select(CONTRASTIVE).prop_map(str::to_owned),
                    proptest::sample::select(ASKING).prop_map(str::to_owned),
                    proptest::sample::select(&[
                        "Però", "PERCHÉ", "perché?", "«ma»", "E", "Inoltre,", "(poi)", "cosa?!",
                        "naspi", "l'assegno", "pensione.", "io", "ﬁ", "Ⅻ", "½", "straordinariamente",
                        "…", "?", ".", ";", "!", "\n", "-", "e'", "pò", "QUANDO", "Vorrei:",
                    ][..]).prop_map(str::to_owned),
                    "[a-zA-Zàèéìòù'?.!;,\n\r\u{b}\u{c}\u{85}\u{a0}\u{2028}\u{3000}]{1,20}",
                ],
                0..40,
            ),
            spaces in proptest::collection::vec(
                proptest::sample::select(
                    &[
                        " ", "  ", "\n", "\t", "", "\r\n", "\u{b}", "\u{c}", "\u{85}", "\u{a0}",
                        "\u{2028}", "\u{3000}",
                    ][..],
                ),
                40,
            ),
        ) {
            let mut text = String::new();
            for (word, space) in words.iter().zip(&spaces) {
                text.push_str(word);
                text.push_str(space);
            }
            proptest::prop_assert_eq!(segments(&text), segments_by_definition(&text));
        }
    }

    #[test]
    fn fields_are_the_serialised_keys() {
        let recommendation = Recommendation {
            service: "naspi".into(),
            name: "NASpI".into(),
            confidence: 0.9,
            abstained: false,
            threshold: 0.5,
            alternatives: Vec::new(),
            secondary: None,
            explanation: Vec::new(),
            style: Style::Simple,
            request_language: Language::De,
            language: Language::It,
            answer: Answer {
                text: String::new(),
                url: String::new(),
                active: true,
                status_note: String::new(),
                next_steps: Vec::new(),
            },
            truncated: false,
        };
        let value = serde_json::to_value(&recommendation).unwrap();
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut fields = Recommendation::FIELDS.to_vec();
        keys.sort_unstable();
        fields.sort_unstable();
        assert_eq!(keys, fields);
    }

    #[test]
    fn an_address_in_a_redacted_request_is_no_sentence_break() {
        // the second-need check segments the request as redacted (`Scores::text`)
        let text = "scrivo da mario.rossi@example.com per la naspi. Posso avere anche l'assegno?";
        let raw: Vec<String> = segments(text).into_iter().map(|p| p.text).collect();
        assert_eq!(raw.len(), 3, "the raw address breaks its sentence: {raw:?}");
        let redacted = crate::redact::redact(text).text;
        let parts: Vec<String> = segments(&redacted).into_iter().map(|p| p.text).collect();
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts[0].contains("[EMAIL]"), "{parts:?}");
    }

    #[test]
    fn segments_split_sentences_and_joined_clauses() {
        let parts =
            segments("Ho perso il lavoro a marzo e ho due bambini piccoli. Cosa mi spetta?");
        let texts: Vec<&str> = parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Ho perso il lavoro a marzo",
                "e ho due bambini piccoli.",
                "Cosa mi spetta?"
            ]
        );
        assert_eq!(
            parts.iter().map(|p| p.asks).collect::<Vec<_>>(),
            [false, false, true]
        );
        // a question mark marks the clauses of its sentence from the last contrastive one on
        let asks = |text: &str| segments(text).iter().map(|p| p.asks).collect::<Vec<_>>();
        assert_eq!(
            asks("Lavoro in cassa integrazione ma non scrivo per quello: il bonus?"),
            [false, true]
        );
        assert_eq!(
            asks("Per la cassa di mio marito e per l'assegno dei bambini a chi mi rivolgo?"),
            [true, true]
        );
        assert_eq!(
            asks("Ho la pensione da anni ma per mia figlia e per suo marito chi paga?"),
            [false, true, true]
        );
        // a joiner right at the start does not make an empty part; short parts are glued
        assert_eq!(segments("e poi basta").len(), 1);
        assert_eq!(segments("cassa integrazione e naspi").len(), 1);
        assert!(segments("quando arriva la pensione").iter().all(|p| p.asks));
    }
}
