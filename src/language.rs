//! The language a request is written in, so that the answer can be given in it.
//!
//! Most requests are in Italian, but South Tyrol writes in German and many residents write in
//! English, French, Spanish or Portuguese. The model classifies them all; the answer is given in
//! the request's language when the catalogue has a translation for it (see
//! [`crate::catalog::Catalog::load`]), in Italian otherwise.
//!
//! Detection counts the request's function words of each language (a word two languages share,
//! such as "la" or "de", counts for both): a request is taken for another language when at
//! least [`MIN_MARKERS`] of its words are that language's and more than are Italian's (of two
//! other languages with as many, the first in [`Language::ALL`] is taken). Short or mixed
//! requests ("naspi?", "ho fatto una call con HR") stay Italian.

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
    /// German (South Tyrol).
    De,
    /// English.
    En,
    /// French.
    Fr,
    /// Spanish.
    Es,
    /// Portuguese.
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

// Function words of each language, lowercase without accents (as `crate::text::fold` makes
// them). A word listed in two languages counts for both; words too ambiguous to help ("no",
// "me", "a", "i", "o", and "it" and "com", which are also the ends of web addresses) are left
// out.
const ITALIAN: &[&str] = &[
    "abbiamo",
    "adesso",
    "agli",
    "ai",
    "al",
    "alla",
    "alle",
    "allora",
    "anche",
    "ancora",
    "buonasera",
    "buongiorno",
    "che",
    "chi",
    "ci",
    "ciao",
    "col",
    "come",
    "con",
    "cosa",
    "da",
    "dagli",
    "dai",
    "dal",
    "dalla",
    "dalle",
    "de",
    "degli",
    "dei",
    "del",
    "della",
    "delle",
    "dello",
    "devo",
    "di",
    "dopo",
    "dove",
    "e",
    "era",
    "gia",
    "gli",
    "grazie",
    "ha",
    "hanno",
    "ho",
    "il",
    "in",
    "io",
    "la",
    "le",
    "lo",
    "loro",
    "ma",
    "mi",
    "mia",
    "mie",
    "miei",
    "mio",
    "molto",
    "ne",
    "negli",
    "nei",
    "nel",
    "nella",
    "nelle",
    "nessuno",
    "niente",
    "noi",
    "non",
    "nostra",
    "nostro",
    "ogni",
    "per",
    "perche",
    "pero",
    "piu",
    "posso",
    "qualcosa",
    "quando",
    "quella",
    "quelli",
    "quello",
    "questa",
    "questi",
    "questo",
    "quindi",
    "salve",
    "se",
    "sempre",
    "si",
    "siamo",
    "sono",
    "stato",
    "sto",
    "su",
    "sul",
    "sulla",
    "sulle",
    "tutte",
    "tutti",
    "tutto",
    "un",
    "una",
    "voi",
    "volevo",
    "vorrei",
    "vostra",
    "vostro",
];
const GERMAN: &[&str] = &[
    "aber", "am", "an", "auch", "auf", "bei", "bin", "bitte", "danke", "das", "dass", "dem", "den",
    "der", "die", "doch", "ein", "eine", "einen", "einer", "fur", "geehrte", "gibt", "hab", "habe",
    "haben", "hallo", "hat", "hon", "ich", "ihnen", "ihr", "im", "immer", "in", "isch", "ist",
    "jetzt", "kann", "keine", "koa", "mein", "meine", "meinen", "meiner", "mir", "mit", "muss",
    "nach", "nicht", "nit", "noch", "nur", "oder", "schon", "sehr", "seit", "sich", "sind", "und",
    "uns", "vom", "von", "wann", "warum", "was", "weil", "welche", "wenn", "wer", "wie", "wir",
    "wird", "wo", "wos", "zu", "zum", "zur",
];
const ENGLISH: &[&str] = &[
    "about", "am", "an", "and", "any", "are", "at", "be", "been", "but", "can", "come", "could",
    "dear", "did", "didn", "does", "doesn", "don", "for", "from", "get", "got", "had", "has",
    "have", "he", "hello", "her", "hi", "his", "how", "if", "in", "is", "many", "much", "my",
    "not", "of", "on", "or", "our", "please", "she", "still", "thank", "thanks", "that", "the",
    "their", "them", "there", "they", "this", "to", "us", "was", "we", "what", "when", "where",
    "which", "who", "why", "will", "with", "would", "yes", "you", "your",
];
const FRENCH: &[&str] = &[
    "au", "aussi", "aux", "avec", "avez", "bonjour", "ce", "cette", "dans", "de", "depuis", "elle",
    "en", "est", "et", "etre", "je", "la", "le", "les", "leur", "ma", "mais", "merci", "mes",
    "moi", "mon", "ne", "non", "nous", "on", "ont", "pas", "pour", "pourquoi", "qu", "que", "rien",
    "se", "sont", "suis", "sur", "toujours", "tres", "un", "une", "vous",
];
const SPANISH: &[&str] = &[
    "al", "algo", "aqui", "ayuda", "como", "con", "cuando", "cuanto", "de", "del", "desde",
    "donde", "dos", "el", "en", "esa", "ese", "eso", "esta", "este", "estoy", "gracias", "hay",
    "hola", "la", "las", "los", "mi", "mientras", "mis", "muy", "necesito", "nos", "nuestra",
    "nuestro", "para", "por", "porque", "puedo", "que", "se", "sobre", "soy", "su", "sus",
    "tambien", "todavia", "trabajo", "un", "una", "usted", "ustedes", "y", "ya", "yo",
];
const PORTUGUESE: &[&str] = &[
    "agora", "ainda", "ao", "aos", "aquela", "aquele", "da", "das", "de", "dos", "e", "ela", "ele",
    "essa", "esse", "estou", "eu", "foi", "fui", "isso", "mas", "meu", "meus", "minha", "minhas",
    "muito", "nao", "nas", "nos", "nossa", "nosso", "obrigada", "obrigado", "ola", "pela", "pelo",
    "por", "pra", "que", "sao", "se", "seu", "sou", "sua", "tambem", "tenho", "trabalho", "um",
    "uma", "voce", "voces",
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
    let folded = crate::text::fold(crate::text::head(text));
    detect_words(folded.split(|c: char| !c.is_alphanumeric()))
}

/// [`detect`] from a request's words already in their normal form (lowercase, no accents), such
/// as [`crate::model::Scores::words`].
pub fn detect_words<'a>(words: impl IntoIterator<Item = &'a str>) -> Language {
    let mut counts = [0usize; Language::ALL.len()];
    for word in words {
        if let Some(&bits) = MARKERS.get(word) {
            for (i, count) in counts.iter_mut().enumerate() {
                *count += usize::from(bits & (1 << i) != 0);
            }
        }
    }
    let count = |language: Language| counts[language as usize];
    let italian = count(Language::It);
    let (best, most) = Language::ALL
        .into_iter()
        .filter(|&l| l != Language::It)
        .map(|l| (l, count(l)))
        .max_by_key(|&(l, n)| (n, std::cmp::Reverse(l)))
        .expect("more than one language");
    if most >= MIN_MARKERS && most > italian {
        best
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
    fn a_language_indexes_its_place_in_all() {
        for (i, language) in Language::ALL.into_iter().enumerate() {
            assert_eq!(language as usize, i);
        }
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
