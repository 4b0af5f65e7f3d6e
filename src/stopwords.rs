//! Italian and English function words: left out of explanations, where they would say nothing.
//! (They stay in the features: "non" or "per" inside a word pair can matter.)

/// Normalised (lowercase, no accents) function words.
const STOPWORDS: &[&str] = &[
    "a", "ad", "adesso", "agli", "ai", "al", "alla", "alle", "allo", "anche", "ancora", "and",
    "anni", "are", "as", "at", "avere", "avete", "avevo", "avuto", "be", "buona", "buonasera",
    "buongiorno", "but", "c", "can", "caso", "ce", "che", "chi", "chiedere", "chiedo", "ci",
    "cio", "col", "come", "con", "cosa", "cui", "d", "da", "dal", "dalla", "dalle", "de",
    "dear", "degli", "dei", "del", "dell", "della", "delle", "dello", "detto", "deve", "devo",
    "di", "do", "domani", "dopo", "dove", "e", "ed", "era", "essere", "fare", "fatto", "for",
    "fra", "gentile", "gentili", "gia", "gli", "grazie", "ha", "hanno", "have", "hello", "hi",
    "ho", "i", "ieri", "il", "in", "io", "is", "it", "l", "la", "le", "lei", "li", "lo", "loro",
    "lui", "ma", "mai", "me", "mese", "mesi", "mi", "mia", "mie", "miei", "mio", "modo", "my",
    "ne", "negli", "nei", "nel", "nella", "nelle", "niente", "noi", "nostra", "nostro", "nulla",
    "o", "of", "oggi", "ok", "on", "or", "ora", "per", "perche", "piu", "please", "po", "posso",
    "possono", "prima", "puo", "qualcosa", "quale", "quando", "quella", "quelle", "quello",
    "questa", "queste", "questo", "qui", "salve", "sapere", "sarei", "se", "sei", "sempre",
    "si", "sia", "sig", "sono", "spett", "sta", "stata", "stato", "sto", "su", "sua", "sue",
    "sui", "sul", "sulla", "suo", "suoi", "the", "ti", "to", "tra", "tu", "tua", "tuo", "tutti",
    "tutto", "un", "una", "uno", "vi", "via", "voi", "volevo", "vorrei", "vostra", "vostro",
    "was", "we", "what", "with", "you",
];

/// Formulas of politeness and letter-writing (normalised). They say nothing about the service,
/// but a long polite opening would dilute the words that do (every vector is L2-normalised) and
/// lean towards the out-of-scope service, whose examples include greetings and thanks; so they
/// are left out of the features altogether.
const FORMULAS: &[&str] = &[
    "anticipatamente", "attenzione", "attesa", "best", "buonasera", "buongiorno", "cara",
    "cari", "caro", "cordiale", "cordiali", "cordialmente", "cortese", "cortesemente", "dear",
    "desidero", "distintamente", "distinti", "egregi", "egregio", "fede", "gentile", "gentili",
    "gentilissima", "gentilissimi", "gentilissimo", "grata", "grato", "grazie", "hello", "hi",
    "kind", "kindly", "ossequi", "porgo", "pregiatissimi", "regards", "riguardi", "ringrazia",
    "ringraziamo", "ringraziando", "ringrazio", "riscontro", "saluti", "saluto", "salve",
    "sincerely", "sottoporre", "spett", "spettabile", "thank", "thanks", "vostra", "vostro",
];

/// True for a word of politeness formulas (see [`FORMULAS`]).
pub fn is_formula(word: &str) -> bool {
    FORMULAS.binary_search(&word).is_ok()
}

/// True for a normalised function word.
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_so_binary_search_works() {
        assert!(
            STOPWORDS.windows(2).all(|w| w[0] < w[1]),
            "keep STOPWORDS sorted and unique"
        );
        assert!(is_stopword("della"));
        assert!(!is_stopword("pensione"));
        assert!(!is_stopword("non"));
    }
}
