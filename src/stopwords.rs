//! Function words of Italian, English, German, French, Spanish and Portuguese: left out of
//! explanations, where they would say nothing.
//! (They stay in the features: "non" or "per" inside a word pair can matter.)

use std::sync::LazyLock;

use rustc_hash::FxHashSet;

/// Normalised (lowercase, no accents) function words.
const STOPWORDS: &[&str] = &[
    "a",
    "ad",
    "adesso",
    "agli",
    "ai",
    "al",
    "alla",
    "alle",
    "allo",
    "anche",
    "ancora",
    "and",
    "anni",
    "are",
    "as",
    "at",
    "avere",
    "avete",
    "avevo",
    "avuto",
    "be",
    "buona",
    "buonasera",
    "buongiorno",
    "but",
    "c",
    "can",
    "caso",
    "ce",
    "che",
    "chi",
    "chiedere",
    "chiedo",
    "ci",
    "cio",
    "col",
    "come",
    "con",
    "cosa",
    "cui",
    "d",
    "da",
    "dal",
    "dalla",
    "dalle",
    "de",
    "dear",
    "degli",
    "dei",
    "del",
    "dell",
    "della",
    "delle",
    "dello",
    "detto",
    "deve",
    "devo",
    "di",
    "do",
    "domani",
    "dopo",
    "dove",
    "e",
    "ed",
    "era",
    "essere",
    "fare",
    "fatto",
    "for",
    "fra",
    "fui",
    "gentile",
    "gentili",
    "gia",
    "gli",
    "grazie",
    "ha",
    "hanno",
    "have",
    "hello",
    "hi",
    "ho",
    "i",
    "ieri",
    "il",
    "in",
    "io",
    "is",
    "it",
    "l",
    "la",
    "le",
    "lei",
    "li",
    "lo",
    "loro",
    "lui",
    "ma",
    "mai",
    "me",
    "mese",
    "mesi",
    "mi",
    "mia",
    "mie",
    "miei",
    "mio",
    "modo",
    "my",
    "ne",
    "negli",
    "nei",
    "nel",
    "nella",
    "nelle",
    "niente",
    "noi",
    "nostra",
    "nostro",
    "nulla",
    "o",
    "of",
    "oggi",
    "ok",
    "on",
    "or",
    "ora",
    "per",
    "perche",
    "piu",
    "please",
    "po",
    "posso",
    "possono",
    "prima",
    "puo",
    "qualcosa",
    "quale",
    "quando",
    "quella",
    "quelle",
    "quello",
    "questa",
    "queste",
    "questo",
    "qui",
    "salve",
    "sapere",
    "sarei",
    "se",
    "sei",
    "sempre",
    "si",
    "sia",
    "sig",
    "sono",
    "spett",
    "sta",
    "stata",
    "stato",
    "sto",
    "su",
    "sua",
    "sue",
    "sui",
    "sul",
    "sulla",
    "suo",
    "suoi",
    "the",
    "ti",
    "to",
    "tra",
    "tu",
    "tua",
    "tuo",
    "tutti",
    "tutto",
    "un",
    "una",
    "uno",
    "vi",
    "via",
    "voi",
    "volevo",
    "vorrei",
    "vostra",
    "vostro",
    "was",
    "we",
    "what",
    "with",
    "you",
];

/// Formulas of politeness and letter-writing (normalised). They say nothing about the service,
/// but a long polite opening would dilute the words that do (every vector is L2-normalised) and
/// lean towards the out-of-scope service, whose examples include greetings and thanks; so they
/// are left out of the features altogether.
const FORMULAS: &[&str] = &[
    "anticipatamente",
    "attenzione",
    "attesa",
    "best",
    "buonasera",
    "buongiorno",
    "cara",
    "cari",
    "caro",
    "cordiale",
    "cordiali",
    "cordialmente",
    "cortese",
    "cortesemente",
    "dear",
    "desidero",
    "distintamente",
    "distinti",
    "egregi",
    "egregio",
    "fede",
    "gentile",
    "gentili",
    "gentilissima",
    "gentilissimi",
    "gentilissimo",
    "grata",
    "grato",
    "grazie",
    "hello",
    "hi",
    "kind",
    "kindly",
    "ossequi",
    "porgo",
    "pregiatissimi",
    "regards",
    "riguardi",
    "ringrazia",
    "ringraziamo",
    "ringraziando",
    "ringrazio",
    "riscontro",
    "saluti",
    "saluto",
    "salve",
    "sincerely",
    "sottoporre",
    "spett",
    "spettabile",
    "thank",
    "thanks",
    "vostra",
    "vostro",
];

/// Function words of the other languages people write in (German, French, Spanish,
/// Portuguese), normalised; those also Italian or English are in [`STOPWORDS`]. Negations are
/// not among them, as "non" is not.
const OTHER_STOPWORDS: &[&str] = &[
    "aber", "am", "an", "ao", "aos", "au", "auch", "auf", "aux", "avec", "avez", "avoir", "bei",
    "beim", "bin", "bitte", "bonjour", "ca", "cela", "cette", "com", "comment", "como", "cuando",
    "danke", "dans", "das", "dass", "dem", "den", "der", "des", "die", "diese", "dieser", "dieses",
    "donde", "dos", "du", "ein", "eine", "einem", "einen", "einer", "el", "elle", "em", "en", "er",
    "es", "est", "estou", "estoy", "et", "etre", "eu", "foi", "fur", "gibt", "gracias", "hab",
    "habe", "haben", "hat", "hola", "ich", "ihr", "ils", "im", "isch", "ist", "j", "je", "kann",
    "las", "les", "los", "mais", "mas", "mein", "meine", "meinem", "meinen", "meiner", "meines",
    "merci", "meu", "mich", "minha", "mir", "mis", "mit", "mon", "muss", "muy", "na", "nach",
    "nas", "noch", "nos", "nous", "ob", "obrigada", "obrigado", "oder", "ola", "onde", "os", "ou",
    "par", "para", "pero", "peux", "pode", "por", "pour", "puede", "puedo", "quand", "que", "quoi",
    "sa", "schon", "sein", "seine", "seit", "ses", "seu", "sie", "sind", "so", "soll", "son",
    "sou", "soy", "suis", "sur", "sus", "tem", "tengo", "tenho", "tiene", "um", "uma", "und",
    "une", "unos", "unser", "unsere", "vc", "voce", "vom", "von", "vous", "wann", "war", "warum",
    "wenn", "werden", "wie", "wir", "wird", "wo", "wurde", "y", "yo", "zu", "zum", "zur",
];

/// A hash set of a word list: looked up once per word of every request.
fn set(words: &'static [&'static str]) -> FxHashSet<&'static str> {
    words.iter().copied().collect()
}

static FORMULA_SET: LazyLock<FxHashSet<&str>> = LazyLock::new(|| set(FORMULAS));
static STOPWORD_SET: LazyLock<FxHashSet<&str>> = LazyLock::new(|| {
    let mut words = set(STOPWORDS);
    words.extend(OTHER_STOPWORDS);
    words
});

/// True for a word of politeness formulas (see [`FORMULAS`]).
pub fn is_formula(word: &str) -> bool {
    FORMULA_SET.contains(word)
}

/// True for a normalised function word.
pub fn is_stopword(word: &str) -> bool {
    STOPWORD_SET.contains(word)
}

/// A word that carries the request's matter: two letters or more, neither a function word nor
/// a politeness formula.
pub fn is_content_word(word: &str) -> bool {
    !is_stopword(word) && !is_formula(word) && word.chars().nth(1).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_and_looked_up() {
        assert!(
            STOPWORDS.windows(2).all(|w| w[0] < w[1]),
            "keep STOPWORDS sorted and unique"
        );
        assert!(
            OTHER_STOPWORDS.windows(2).all(|w| w[0] < w[1]),
            "keep OTHER_STOPWORDS sorted and unique"
        );
        assert!(
            !OTHER_STOPWORDS.iter().any(|w| STOPWORDS.contains(w)),
            "a word in both lists"
        );
        assert!(is_stopword("die") && is_stopword("pour") && is_stopword("para"));
        assert!(!is_stopword("nicht") && !is_stopword("pas") && !is_stopword("nao"));
        assert!(is_stopword("della"));
        assert!(!is_stopword("pensione"));
        assert!(!is_stopword("non"));
    }
}
