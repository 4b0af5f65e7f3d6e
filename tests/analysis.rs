//! The fast text analysis gives exactly what HuggingFace's `Tokenizer::encode` gives, with the
//! shipped tokenizer, on every request we have and on arbitrary strings.

use std::path::Path;
use std::sync::LazyLock;

use proptest::prelude::*;
use sportello::redact::{Kind, redact};
use sportello::text::TextAnalyzer;

static ANALYZER: LazyLock<TextAnalyzer> = LazyLock::new(|| {
    let json = std::fs::read_to_string(root().join("models/tokenizer.json")).unwrap();
    TextAnalyzer::from_json(&json).unwrap()
});

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn assert_same(text: &str) {
    let fast = ANALYZER.analyze(text).unwrap();
    let reference = ANALYZER.analyze_reference(text).unwrap();
    assert_eq!(fast, reference, "{text:?}");
}

#[test]
fn same_words_and_pieces_on_every_shipped_request() {
    let mut checked = 0;
    for file in [
        "data/requests.jsonl",
        "data/test.jsonl",
        "tests/data/multi_intent.jsonl",
        "tests/data/single_intent_control.jsonl",
    ] {
        for line in std::fs::read_to_string(root().join(file)).unwrap().lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let text = value["text"].as_str().unwrap();
            assert_same(text);
            assert_same(&redact(text).text);
            checked += 1;
        }
    }
    assert!(checked > 4000, "{checked}");
}

#[test]
fn same_on_placeholders_glued_or_repeated() {
    for text in [
        "scrivete a [EMAIL] grazie",
        "[EMAIL][TELEFONO] x[IBAN] [IBAN]x [PERSONA]_ é[PERSONA] ([CODICE_FISCALE])",
        "[EMAIL",
        "[[EMAIL]]",
        "[DATA_NASCITA]",
        "1[PARTITA_IVA] [PARTITA_IVA]2 -[PARTITA_IVA]-",
        "İstanbul ǅemal ﬁnale ½ x² Ⅻ ＡＢＣ１２３ ７",
        "perche´ l’INPS… «assegno» — 30€/mese!!!",
        "😀 ciao😀 🇮🇹 \u{200d} \u{0301}a",
        "e\u{0301}\u{0316}x Å\u{0316}\u{0301}b ǅ\u{0323}\u{0302}C \u{0316}\u{0301}",
    ] {
        assert_same(text);
    }
}

fn placeholder() -> impl Strategy<Value = String> {
    prop::sample::select(Kind::ALL.to_vec()).prop_map(|k| k.placeholder().to_string())
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Zàèéìòù' ]{1,12}",
        2 => "[0-9 .,/-]{1,6}",
        2 => placeholder(),
        1 => "[\\[\\]_x ]{1,3}",
        1 => any::<String>(),
        1 => "\\PC{1,4}",
        // letters and combining marks of several classes: NFKD reorders runs of marks
        2 => "[a-zA-Z\u{300}-\u{36f}\u{1dc0}-\u{1dff}\u{591}-\u{5c7}éÅǅﬁİ]{1,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn same_on_arbitrary_text(parts in prop::collection::vec(fragment(), 0..8)) {
        assert_same(&parts.concat());
    }
}
