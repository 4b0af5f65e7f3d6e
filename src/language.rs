//! The language a request is written in, so that the answer can be given in it.
//!
//! Most requests are in Italian, but South Tyrol writes in German and many residents write in
//! English, French, Spanish or Portuguese. The model classifies them all; the answer is given in
//! the request's language when the catalogue has a translation for it (see
//! [`crate::catalog::Catalog::load`]), in Italian otherwise.
//!
//! Detection counts the request's function words that belong to each language only: a request
//! is taken for another language when at least [`MIN_MARKERS`] of its words are that language's
//! markers and more are than Italian's. Short or mixed requests ("naspi?", "ho fatto una call
//! con HR") stay Italian.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// A language requests are written in; answers are in Italian unless the catalogue is
/// translated.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Italian, the language of the catalogue itself.
    It,
    De,
    En,
    Fr,
    Es,
    Pt,
}

impl Language {
    pub const ALL: [Language; 6] = [
        Language::It,
        Language::De,
        Language::En,
        Language::Fr,
        Language::Es,
        Language::Pt,
    ];

    /// The ISO 639-1 code: `it`, `de`, …
    pub fn code(self) -> &'static str {
        match self {
            Language::It => "it",
            Language::De => "de",
            Language::En => "en",
            Language::Fr => "fr",
            Language::Es => "es",
            Language::Pt => "pt",
        }
    }

    fn markers(self) -> &'static [&'static str] {
        match self {
            Language::It => ITALIAN,
            Language::De => GERMAN,
            Language::En => ENGLISH,
            Language::Fr => FRENCH,
            Language::Es => SPANISH,
            Language::Pt => PORTUGUESE,
        }
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A request is taken for another language than Italian when at least this many of its words
/// are that language's markers.
const MIN_MARKERS: usize = 2;

// Function words of one language each, lowercase without accents (as `crate::text::fold` makes
// them). Words shared by two of the languages ("con", "la", "de", "que", "no", "me") are left
// out, or kept only in the language where they are far more common.
const ITALIAN: &[&str] = &[
    "alla",
    "alle",
    "ancora",
    "anche",
    "buonasera",
    "buongiorno",
    "che",
    "chi",
    "ciao",
    "cosa",
    "dal",
    "dalla",
    "degli",
    "dei",
    "del",
    "della",
    "delle",
    "dello",
    "devo",
    "dopo",
    "gia",
    "gli",
    "grazie",
    "ha",
    "hanno",
    "ho",
    "il",
    "lo",
    "mia",
    "mie",
    "miei",
    "mio",
    "molto",
    "nel",
    "nella",
    "nelle",
    "perche",
    "piu",
    "posso",
    "quando",
    "questa",
    "questo",
    "salve",
    "sempre",
    "sono",
    "sto",
    "vorrei",
];
const GERMAN: &[&str] = &[
    "aber", "am", "auch", "auf", "bei", "bin", "bitte", "danke", "dass", "der", "die", "ein",
    "eine", "einen", "einer", "fur", "geehrte", "gibt", "hab", "habe", "haben", "hat", "hon",
    "ich", "ist", "isch", "kann", "koa", "mein", "meine", "meinen", "meiner", "mir", "mit", "muss",
    "nicht", "nit", "noch", "oder", "schon", "sehr", "seit", "sind", "und", "von", "wann", "warum",
    "was", "wenn", "wie", "wir", "wird", "wos", "zum", "zur",
];
const ENGLISH: &[&str] = &[
    "am", "and", "are", "been", "can", "could", "dear", "does", "for", "from", "get", "got",
    "hello", "how", "have", "has", "is", "it", "my", "not", "of", "please", "thank", "thanks",
    "that", "the", "this", "to", "was", "we", "what", "when", "where", "why", "will", "with",
    "would", "you", "your",
];
const FRENCH: &[&str] = &[
    "au", "aux", "avec", "avez", "bonjour", "cette", "dans", "est", "etre", "je", "les", "mais",
    "merci", "mes", "mon", "nous", "pas", "pour", "suis", "sur", "tres", "une", "vous",
];
const SPANISH: &[&str] = &[
    "ayuda", "como", "cuando", "desde", "donde", "estoy", "esta", "este", "gracias", "hay", "hola",
    "las", "los", "mis", "muy", "necesito", "para", "porque", "puedo", "soy", "trabajo", "y", "yo",
];
const PORTUGUESE: &[&str] = &[
    "ao", "aos", "com", "ela", "ele", "estou", "eu", "isso", "mas", "meu", "minha", "muito", "nao",
    "obrigada", "obrigado", "ola", "pra", "sou", "tambem", "tenho", "trabalho", "voce", "voces",
];

/// Each marker word and the languages (bits by [`Language::ALL`] index) it marks.
static MARKERS: LazyLock<FxHashMap<&'static str, u8>> = LazyLock::new(|| {
    let mut map: FxHashMap<&str, u8> = FxHashMap::default();
    for (i, language) in Language::ALL.iter().enumerate() {
        for word in language.markers() {
            *map.entry(word).or_default() |= 1 << i;
        }
    }
    map
});

/// The language a request is written in: the one with the most marker words among its words,
/// if at least [`MIN_MARKERS`] and more than Italian's; Italian otherwise.
pub fn detect(text: &str) -> Language {
    let mut counts = [0usize; Language::ALL.len()];
    let folded = crate::text::fold(crate::text::head(text));
    for word in folded.split(|c: char| !c.is_alphanumeric()) {
        if let Some(&bits) = MARKERS.get(word) {
            for (i, count) in counts.iter_mut().enumerate() {
                *count += usize::from(bits & (1 << i) != 0);
            }
        }
    }
    let italian = counts[0];
    let (best, &most) = counts
        .iter()
        .enumerate()
        .skip(1)
        .max_by_key(|&(i, &n)| (n, std::cmp::Reverse(i)))
        .expect("more than one language");
    if most >= MIN_MARKERS && most > italian {
        Language::ALL[best]
    } else {
        Language::It
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_told_apart_by_their_function_words() {
        let cases = [
            (
                "Mi hanno licenziato, posso chiedere la disoccupazione?",
                Language::It,
            ),
            ("naspi?", Language::It),
            (
                "ho fatto una call con HR per il layoff, tbh non so cosa fare",
                Language::It,
            ),
            (
                "Kündigung bekommen, Firma zu. Ab wann muss ich den Antrag machen?",
                Language::De,
            ),
            ("i hon im winter koa orbeit, isch des normal?", Language::De),
            (
                "My company closed and I lost my job, what can I get?",
                Language::En,
            ),
            (
                "Bonjour, je suis au chômage depuis mars, est-ce que j'ai droit à une aide?",
                Language::Fr,
            ),
            (
                "Hola, perdí mi trabajo y tengo dos hijos, qué puedo pedir?",
                Language::Es,
            ),
            (
                "Olá, eu perdi o emprego e não sei o que fazer com a minha família",
                Language::Pt,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(detect(text), expected, "{text}");
        }
    }

    #[test]
    fn a_few_foreign_words_in_an_italian_request_leave_it_italian() {
        assert_eq!(detect("the end"), Language::It);
        assert_eq!(
            detect("il mio datore dice che per lo smart working non ho diritto alla cassa"),
            Language::It
        );
        assert_eq!(detect(""), Language::It);
    }

    #[test]
    fn markers_are_folded_and_listed_once() {
        for language in Language::ALL {
            let words = language.markers();
            for w in words {
                assert_eq!(*w, crate::text::fold(w), "{w} is not folded");
            }
            let mut sorted = words.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), words.len(), "{language} lists a word twice");
        }
    }
}
