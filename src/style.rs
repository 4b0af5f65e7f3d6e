//! The register of the answer: simple and essential, or fuller and detailed.
//!
//! As the INPS plan describes, the answer adapts to the citizen: a short, informal message gets
//! the simple answer; a long message, a formal letter, or one asking for requirements and
//! procedures gets the detailed one.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use serde::{Deserialize, Serialize};

/// Which answer to give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// Two or three plain sentences.
    Simple,
    /// Who is entitled, requirements, how to apply, documents.
    Detailed,
    /// Chosen from the request: short and informal → simple; long, formal, or asking about
    /// requirements and procedure → detailed.
    Auto,
}

/// Finds any of [`DETAIL_MARKERS`] in one pass.
static MARKER_SEARCH: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(DETAIL_MARKERS).expect("valid built-in markers"));

/// Requests of at least this many words get the detailed answer.
const LONG_REQUEST_WORDS: usize = 40;

/// Markers of formal letters and of questions about procedure (normalised: lowercase, no accents).
const DETAIL_MARKERS: &[&str] = &[
    "spett.le",
    "spettabile",
    "sottoscritt",
    "con la presente",
    "distinti saluti",
    "cordiali saluti",
    "in attesa di",
    "egregi",
    "requisiti",
    "documenti",
    "documentazione",
    "procedura",
    "nel dettaglio",
    "in dettaglio",
    "dettagliat",
    "normativa",
    "riferimenti",
    "requirements",
    "documents",
    "dear sir",
    "dear madam",
    "yours faithfully",
    "yours sincerely",
    "sehr geehrte",
    // "Grüßen" folds to "grußen" (NFKD keeps ß), "Grüssen" to "grussen"
    "freundlichen gru",
    "voraussetzungen",
    "unterlagen",
    "madame, monsieur",
    "veuillez agreer",
    "salutations distinguees",
    "pieces justificatives",
    "estimados senores",
    "muy senores",
    "le saluda atentamente",
    "prezados senhores",
    "atenciosamente",
    "requisitos",
    "documentos",
];

/// Picks the register for a request: `Simple` or `Detailed`, never `Auto`.
pub fn choose_style(text: &str, word_count: usize) -> Style {
    if word_count >= LONG_REQUEST_WORDS || MARKER_SEARCH.is_match(&crate::text::fold(text)) {
        Style::Detailed
    } else {
        Style::Simple
    }
}

/// Resolves `Auto` for one request.
pub fn resolve(requested: Style, text: &str, word_count: usize) -> Style {
    match requested {
        Style::Auto => choose_style(text, word_count),
        fixed => fixed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_informal_is_simple_long_or_formal_is_detailed() {
        assert_eq!(
            choose_style("la disoccupazione quando la pagate?", 5),
            Style::Simple
        );
        assert_eq!(
            choose_style("Spett.le INPS, il sottoscritto chiede...", 6),
            Style::Detailed
        );
        assert_eq!(choose_style("quali REQUISITI servono?", 3), Style::Detailed);
        assert_eq!(
            choose_style("parola ".repeat(45).as_str(), 45),
            Style::Detailed
        );
        assert_eq!(resolve(Style::Simple, "Spett.le INPS", 2), Style::Simple);
        assert_eq!(
            choose_style("perdí el trabajo, qué hago?", 5),
            Style::Simple
        );
        // German, English, French, Spanish and Portuguese letters
        for letter in [
            "Arbeitslos seit März. Mit freundlichen Grüßen",
            "arbeitslos, mit freundlichen Grüssen",
            "Dear Sir or Madam, I lost my job.",
            "Madame, Monsieur, j'ai perdu mon emploi.",
            "Estimados señores: perdí el trabajo.",
            "Perdi o emprego. Atenciosamente",
        ] {
            assert_eq!(choose_style(letter, 6), Style::Detailed, "{letter}");
        }
    }
}
