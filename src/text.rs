//! Text analysis: turns a request into the words and subword tokens the features are built from.
//!
//! The steps, in order:
//! 1. [`clean`]: drop control characters (NUL included), unify apostrophes (’ ‘ ` ´ → '), and
//!    cap the length at [`MAX_TEXT_BYTES`].
//! 2. The HuggingFace tokenizer, trained on the training texts by [`TextAnalyzer::train`]:
//!    - normalizer: NFKD, strip accents, lowercase;
//!    - pre-tokenizer: split on whitespace and punctuation, then split digits from letters;
//!    - model: byte-pair encoding (pieces that continue a word are marked `##` in the analysis).
//!
//!    Placeholders such as `[EMAIL]` left by redaction are special tokens kept whole.
//! 3. [`TextAnalyzer::analyze`] groups the tokens back into whole words, so that features can use
//!    both the words and their subword pieces, and explanations can name whole words.

use std::borrow::Cow;
use std::sync::Arc;

use tokenizers::decoders::bpe::BPEDecoder as BpeDecoder;
use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
use tokenizers::normalizers::{Lowercase, NFKD, Sequence as NormalizerSequence, StripAccents};
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence as PreTokenizerSequence;
use tokenizers::{
    AddedToken, DecoderWrapper, Model, ModelWrapper, NormalizerWrapper, PostProcessorWrapper,
    PreTokenizerWrapper, Tokenizer, TokenizerBuilder,
};

use crate::error::{Error, Result};
use crate::redact::Kind;

/// Requests longer than this many bytes are cut at the last character boundary before it: the
/// beginning of a message says what it is about, and the cap bounds time and memory per request.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;

/// Prefix the tokenizer puts on tokens that continue a word.
const CONTINUATION: &str = "##";

/// A cleaned request: control characters removed and length capped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    pub text: String,
    /// True when the request was longer than [`MAX_TEXT_BYTES`] and was cut.
    pub truncated: bool,
}

/// Replaces control characters with spaces (they carry no meaning and upset terminals and JSON
/// consumers), except line breaks, which the redactor reads (a signature ends its line), and
/// caps the length at [`MAX_TEXT_BYTES`].
pub fn clean(text: &str) -> Cleaned {
    let text_part = head(text);
    Cleaned {
        text: clean_head(text_part).into_owned(),
        truncated: text_part.len() < text.len(),
    }
}

/// [`clean`]'s text for a text already cut to [`head`]: borrowed when nothing changes, as for
/// a text cleaned before.
fn clean_head(text: &str) -> Cow<'_, str> {
    // Only these bytes begin a character that cleaning changes: ASCII controls but the line
    // break, '`', and the lead bytes of U+0080–U+00BF (C1 controls, '´'), of U+0280–U+02BF
    // ('ʼ') and of U+2000–U+2FFF ('‘', '’').
    let suspect =
        |b: &u8| (*b < 0x20 && *b != b'\n') || matches!(*b, 0x7f | b'`' | 0xc2 | 0xca | 0xe2);
    if !text.as_bytes().iter().any(suspect) || text.chars().all(|c| clean_char(c) == c) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().map(clean_char).collect())
    }
}

/// What [`clean`] makes of one character.
fn clean_char(c: char) -> char {
    match c {
        '\n' => '\n',
        c if c.is_control() => ' ',
        // typographic apostrophes, and accents typed as apostrophes ("perche´")
        '’' | '‘' | '`' | '´' | 'ʼ' => '\'',
        c => c,
    }
}

/// The part of a request that is read: its first [`MAX_TEXT_BYTES`], cut at a character
/// boundary.
pub fn head(text: &str) -> &str {
    let mut end = text.len().min(MAX_TEXT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Lowercase with accents removed (NFKD, combining marks dropped): the form in which cue words
/// are compared. ASCII text, most requests, takes a shortcut with the same result.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    // Runs of ASCII characters are lowercased as they are: an ASCII character decomposes to
    // itself and is a starter, which canonical reordering never moves marks across.
    let mut out = String::with_capacity(text.len());
    for_each_run(text, |run, ascii| {
        if ascii {
            push_ascii_lowercase(run, &mut out);
        } else {
            out.extend(fold_unicode(run));
        }
    });
    out
}

/// Calls `f(run, is_ascii)` on the runs of ASCII and of other characters of `text`, in order (a
/// byte below 0x80 is a whole character, so every cut falls on a character boundary; a run may
/// be empty).
pub(crate) fn for_each_run(text: &str, mut f: impl FnMut(&str, bool)) {
    let mut rest = text;
    while !rest.is_empty() {
        let ascii = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        f(&rest[..ascii], true);
        rest = &rest[ascii..];
        let other = rest
            .bytes()
            .position(|b| b.is_ascii())
            .unwrap_or(rest.len());
        f(&rest[..other], false);
        rest = &rest[other..];
    }
}

pub(crate) fn push_ascii_lowercase(ascii: &str, out: &mut String) {
    let start = out.len();
    out.push_str(ascii);
    out[start..].make_ascii_lowercase();
}

/// [`fold`] by the book: NFKD, combining marks dropped, lowercase.
fn fold_unicode(text: &str) -> impl Iterator<Item = char> + '_ {
    use unicode_normalization::UnicodeNormalization;
    text.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
}

/// True when a request has nothing to read: empty, only whitespace or control characters.
pub fn is_blank(text: &str) -> bool {
    // what `clean(text).text.trim().is_empty()` says, without the copy
    head(text)
        .chars()
        .all(|c| c.is_whitespace() || c.is_control())
}

/// One analysed request. Its words are shared with the per-thread cache of analysed words:
/// requests repeat words, and taking one is a reference count, not a copy. Two analyses are
/// equal when their words and pieces are (the kinds follow from the words).
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Whole normalised words, in order (punctuation dropped).
    pub words: Vec<Arc<str>>,
    /// For each word, the subword tokens it was split into (continuations keep their `##`).
    pub pieces: Vec<Arc<[String]>>,
    /// For each word pushed with [`Analysis::push`], its kind (kept with the word in the cache,
    /// so found once per distinct word).
    kinds: Vec<WordKind>,
}

impl PartialEq for Analysis {
    fn eq(&self, other: &Self) -> bool {
        self.words == other.words && self.pieces == other.pieces
    }
}

impl Analysis {
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Appends a word, its pieces and its kind.
    pub fn push(&mut self, word: Arc<str>, pieces: Arc<[String]>) {
        let kind = WordKind::of(&word);
        self.push_kind(word, pieces, kind);
    }

    fn push_kind(&mut self, word: Arc<str>, pieces: Arc<[String]>, kind: WordKind) {
        self.words.push(word);
        self.pieces.push(pieces);
        self.kinds.push(kind);
    }

    /// Where the words and pieces of `part` are found one after another among these, looking
    /// from word `from` on, then from the start: the first word's index. An empty `part` is
    /// found at `from` (at the end when `from` is beyond it).
    pub fn find_run(&self, part: &Analysis, from: usize) -> Option<usize> {
        let n = part.words.len();
        let last_start = self.words.len().checked_sub(n)?;
        // `Arc`'s equality compares the pointers first: words shared with the cache are equal
        // without reading them
        let matches_at = |start: usize| {
            (0..n).all(|k| {
                self.words[start + k] == part.words[k] && self.pieces[start + k] == part.pieces[k]
            })
        };
        let from = from.min(last_start);
        (from..=last_start)
            .chain(0..from)
            .find(|&start| matches_at(start))
    }

    /// The kind of word `i`: as pushed with [`Analysis::push`]; found again from the word when
    /// words were added to [`Analysis::words`] directly (the kinds and the words are not as
    /// many).
    ///
    /// # Panics
    /// If there is no word `i`.
    pub fn kind(&self, i: usize) -> WordKind {
        match self.kinds.get(i) {
            Some(&kind) if self.kinds.len() == self.words.len() => {
                debug_assert_eq!(
                    kind,
                    WordKind::of(&self.words[i]),
                    "a word changed in place"
                );
                kind
            }
            _ => WordKind::of(&self.words[i]),
        }
    }
}

/// What a word is to the terms and the explanations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WordKind {
    /// A word of a politeness formula ([`crate::stopwords::is_formula`]): it has no terms, and
    /// word pairs join the words around it.
    pub formula: bool,
    /// A word that carries the request's matter ([`crate::stopwords::is_content_word`]).
    pub content: bool,
}

impl WordKind {
    pub fn of(word: &str) -> Self {
        WordKind {
            formula: crate::stopwords::is_formula(word),
            content: crate::stopwords::is_content_word(word),
        }
    }
}

/// Settings of the tokenizer training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenizerParams {
    /// Target vocabulary size of the byte-pair encoding.
    pub vocab_size: usize,
    /// A pair is merged only if it occurs at least this often.
    pub min_frequency: u64,
}

impl Default for TokenizerParams {
    fn default() -> Self {
        TokenizerParams {
            vocab_size: 2000,
            min_frequency: 2,
        }
    }
}

/// The trained HuggingFace tokenizer and the grouping of its tokens into words.
///
/// Analysis needs only the tokenizer's BPE model (its steps before the model are fixed, see
/// [`TextAnalyzer::analyze`]), so loading builds just that from the JSON; the full `Tokenizer`
/// is parsed only if asked for ([`TextAnalyzer::analyze_reference`]). This keeps a cold start
/// short.
#[derive(Clone)]
pub struct TextAnalyzer {
    bpe: BPE,
    /// Tells analyzers apart in the per-thread word cache.
    id: u64,
    /// The tokenizer in HuggingFace's JSON format, as trained or loaded.
    json: String,
    tokenizer: std::sync::OnceLock<Tokenizer>,
}

impl std::fmt::Debug for TextAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextAnalyzer").finish_non_exhaustive()
    }
}

/// The parts of a saved `tokenizer.json` that loading reads or checks.
#[derive(serde::Deserialize)]
struct SavedTokenizer {
    added_tokens: Vec<SavedAddedToken>,
    normalizer: serde_json::Value,
    pre_tokenizer: serde_json::Value,
    post_processor: serde_json::Value,
    truncation: serde_json::Value,
    padding: serde_json::Value,
    model: SavedBpe,
}

#[derive(serde::Deserialize)]
struct SavedAddedToken {
    content: String,
    single_word: bool,
    lstrip: bool,
    rstrip: bool,
    normalized: bool,
}

#[derive(serde::Deserialize)]
struct SavedBpe {
    #[serde(rename = "type")]
    kind: String,
    dropout: Option<f32>,
    unk_token: Option<String>,
    continuing_subword_prefix: Option<String>,
    end_of_word_suffix: Option<String>,
    fuse_unk: bool,
    byte_fallback: bool,
    ignore_merges: bool,
    vocab: std::collections::HashMap<String, u32>,
    merges: Vec<(String, String)>,
}

impl SavedTokenizer {
    /// Checks that the tokenizer is configured as [`TextAnalyzer::train`] configures it: the
    /// fast analysis reproduces exactly that configuration.
    fn check(&self) -> std::result::Result<(), String> {
        let same = |value: &serde_json::Value, expected: serde_json::Result<serde_json::Value>| {
            expected.is_ok_and(|e| &e == value)
        };
        if !same(&self.normalizer, serde_json::to_value(normalizer())) {
            return Err("its normaliser is not sportello's".into());
        }
        if !same(&self.pre_tokenizer, serde_json::to_value(pre_tokenizer())) {
            return Err("its pre-tokenizer is not sportello's".into());
        }
        if !(self.post_processor.is_null() && self.truncation.is_null() && self.padding.is_null()) {
            return Err("it has a post-processor, truncation or padding".into());
        }
        let placeholders: Vec<&str> = Kind::ALL.iter().map(|k| k.placeholder()).collect();
        let added: Vec<&str> = self
            .added_tokens
            .iter()
            .map(|t| t.content.as_str())
            .collect();
        let added_as_trained = self
            .added_tokens
            .iter()
            .all(|t| t.single_word && !t.lstrip && !t.rstrip && !t.normalized);
        if added != placeholders || !added_as_trained {
            return Err("its special tokens are not sportello's placeholders".into());
        }
        let m = &self.model;
        if m.kind != "BPE"
            || m.dropout.is_some()
            || m.unk_token.is_some()
            || m.continuing_subword_prefix.is_some()
            || m.end_of_word_suffix.is_some()
            || m.fuse_unk
            || m.byte_fallback
            || m.ignore_merges
        {
            return Err("its model is not a plain byte-pair encoding".into());
        }
        if placeholders.iter().any(|p| !m.vocab.contains_key(*p)) {
            return Err("its vocabulary lacks the placeholders".into());
        }
        Ok(())
    }
}

fn tokenizer_error(e: tokenizers::Error) -> Error {
    Error::Tokenizer(e)
}

fn normalizer() -> NormalizerWrapper {
    NormalizerSequence::new(vec![NFKD.into(), StripAccents.into(), Lowercase.into()]).into()
}

fn pre_tokenizer() -> PreTokenizerWrapper {
    PreTokenizerSequence::new(vec![BertPreTokenizer.into(), Digits::new(false).into()]).into()
}

/// A pre-token's whole word and subword pieces, or `None` when it has no letter or digit the
/// tokenizer knows.
type AnalysedWord = Option<(Arc<str>, Arc<[String]>, WordKind)>;

/// Per-thread cache of [`AnalysedWord`]s for the analyzer used last: requests share most of
/// their words, and a word's tokens depend on the word alone.
#[derive(Default)]
struct AnalysedWords {
    analyzer: u64,
    words: hashbrown::HashMap<String, AnalysedWord, rustc_hash::FxBuildHasher>,
}

/// Distinct pre-tokens the cache holds before it starts again, and the longest it keeps: at most
/// a few tens of MiB per thread.
const ANALYSED_WORDS_MAX: usize = 50_000;
const ANALYSED_WORD_MAX_BYTES: usize = 48;

thread_local! {
    static ANALYSED_WORDS: std::cell::RefCell<AnalysedWords> = std::cell::RefCell::default();
}

fn next_analyzer_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl TextAnalyzer {
    /// Trains the byte-pair tokenizer on `texts`. Deterministic: the same texts give the same
    /// tokenizer, byte for byte.
    pub fn train<S: AsRef<str> + Send>(texts: &[S], params: TokenizerParams) -> Result<Self> {
        if params.vocab_size < 100 {
            return Err(Error::InvalidParam(format!(
                "tokenizer vocabulary size must be at least 100 (got {})",
                params.vocab_size
            )));
        }
        // the placeholders written by redaction: the tokenizer keeps each one whole
        let special: Vec<AddedToken> = Kind::ALL
            .iter()
            .map(|kind| {
                AddedToken::from(kind.placeholder(), true)
                    .single_word(true)
                    .normalized(false)
            })
            .collect();
        let mut trainer = BpeTrainerBuilder::new()
            .vocab_size(params.vocab_size)
            .min_frequency(params.min_frequency)
            .show_progress(false)
            .special_tokens(special)
            .build();
        // No continuing-subword prefix: with one, tokenizers' BPE trainer numbers the prefixed
        // alphabet in hash order and training stops being deterministic. Pieces that continue a
        // word get their `##` in `analyze` instead, from the word ids.
        let model = BPE::default();
        let mut tokenizer = TokenizerBuilder::<
            BPE,
            NormalizerWrapper,
            PreTokenizerWrapper,
            PostProcessorWrapper,
            DecoderWrapper,
        >::new()
        .with_model(model)
        .with_normalizer(Some(normalizer()))
        .with_pre_tokenizer(Some(pre_tokenizer()))
        .with_decoder(Some(BpeDecoder::default().into()))
        .build()
        .map_err(tokenizer_error)?;
        let cleaned: Vec<String> = texts.iter().map(|t| clean(t.as_ref()).text).collect();
        tokenizer
            .train(&mut trainer, cleaned.iter())
            .map_err(tokenizer_error)?;
        let tokenizer = Tokenizer::from(tokenizer);
        let json = tokenizer.to_string(true).map_err(tokenizer_error)?;
        let bpe = match tokenizer.get_model() {
            ModelWrapper::BPE(bpe) => bpe.clone(),
            _ => unreachable!("the tokenizer was built with a BPE model"),
        };
        Ok(TextAnalyzer {
            bpe,
            id: next_analyzer_id(),
            json,
            tokenizer: tokenizer.into(),
        })
    }

    /// Loads a tokenizer saved by [`TextAnalyzer::to_json`]: refuses one configured otherwise.
    pub fn from_json(json: &str) -> Result<Self> {
        let saved: SavedTokenizer = serde_json::from_str(json)
            .map_err(|e| Error::InvalidInput(format!("not a sportello tokenizer: {e}")))?;
        saved
            .check()
            .map_err(|why| Error::InvalidInput(format!("not a sportello tokenizer: {why}")))?;
        let vocab: tokenizers::models::bpe::Vocab = saved.model.vocab.into_iter().collect();
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, saved.model.merges)
            .build()
            .map_err(tokenizer_error)?;
        Ok(TextAnalyzer {
            bpe,
            id: next_analyzer_id(),
            json: json.to_string(),
            tokenizer: std::sync::OnceLock::new(),
        })
    }

    /// The tokenizer in HuggingFace's JSON format (loadable by any `tokenizers` binding).
    pub fn to_json(&self) -> Result<String> {
        Ok(self.json.clone())
    }

    /// The full HuggingFace tokenizer, parsed on first use.
    fn tokenizer(&self) -> Result<&Tokenizer> {
        if let Some(tokenizer) = self.tokenizer.get() {
            return Ok(tokenizer);
        }
        let parsed: Tokenizer = self.json.parse().map_err(tokenizer_error)?;
        Ok(self.tokenizer.get_or_init(|| parsed))
    }

    /// Number of tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.bpe.get_vocab_size()
    }

    /// Splits a request into normalised words and their subword tokens.
    ///
    /// Runs the tokenizer's own steps (placeholders, normaliser, pre-tokenizer, then its BPE
    /// model word by word) without building an `Encoding`: offsets, alignments and token ids
    /// are not needed here and cost most of `Tokenizer::encode`'s time. The result is the same
    /// as [`TextAnalyzer::analyze_reference`], which goes through `encode`; a test checks this
    /// on every shipped request and on arbitrary strings.
    pub fn analyze(&self, text: &str) -> Result<Analysis> {
        let cleaned = clean_head(head(text));
        // about one word in every five bytes: most requests fit without growing
        let words = cleaned.len() / 5 + 1;
        let mut analysis = Analysis {
            words: Vec::with_capacity(words),
            pieces: Vec::with_capacity(words),
            kinds: Vec::with_capacity(words),
        };
        let mut normalized = String::new();
        ANALYSED_WORDS.with_borrow_mut(|cache| {
            if cache.analyzer != self.id || cache.words.len() > ANALYSED_WORDS_MAX {
                cache.analyzer = self.id;
                cache.words.clear();
            }
            for (segment, is_placeholder) in split_placeholders(&cleaned) {
                if is_placeholder {
                    analysis.push(segment.into(), [segment.to_string()].into());
                    continue;
                }
                normalized.clear();
                normalize_into(segment, &mut normalized);
                // Punctuation is left out: it carries little meaning for the service and none
                // for explanations.
                for pre_token in pre_tokens(&normalized) {
                    // long pre-tokens (junk, pasted codes) rarely repeat: not kept
                    if pre_token.len() > ANALYSED_WORD_MAX_BYTES {
                        if let Some((word, pieces, kind)) = self.analyze_pre_token(pre_token)? {
                            analysis.push_kind(word, pieces, kind);
                        }
                        continue;
                    }
                    let analysed = match cache.words.entry_ref(pre_token) {
                        hashbrown::hash_map::EntryRef::Occupied(entry) => entry.into_mut(),
                        hashbrown::hash_map::EntryRef::Vacant(entry) => {
                            entry.insert(self.analyze_pre_token(pre_token)?)
                        }
                    };
                    if let Some((word, pieces, kind)) = analysed {
                        analysis.push_kind(Arc::clone(word), Arc::clone(pieces), *kind);
                    }
                }
            }
            Ok(analysis)
        })
    }

    /// The word and the pieces of one pre-token, or `None` when the tokenizer knew none of its
    /// characters.
    fn analyze_pre_token(&self, pre_token: &str) -> Result<AnalysedWord> {
        let tokens = self.bpe.tokenize(pre_token).map_err(tokenizer_error)?;
        let word: String = tokens.iter().map(|t| t.value.as_str()).collect();
        if !word.chars().any(char::is_alphanumeric) {
            return Ok(None);
        }
        let pieces = tokens
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                if i == 0 {
                    t.value
                } else {
                    format!("{CONTINUATION}{}", t.value)
                }
            })
            .collect();
        let kind = WordKind::of(&word);
        Ok(Some((word.into(), pieces, kind)))
    }

    /// [`TextAnalyzer::analyze`] through HuggingFace's `Tokenizer::encode`: slower, kept as the
    /// reference the fast path is checked against.
    #[doc(hidden)]
    pub fn analyze_reference(&self, text: &str) -> Result<Analysis> {
        let cleaned = clean(text);
        let encoding = self
            .tokenizer()?
            // `encode`, not `encode_fast`: the fast path leaves out token strings and word ids
            .encode(cleaned.text.as_str(), false)
            .map_err(tokenizer_error)?;
        let mut words: Vec<String> = Vec::new();
        let mut pieces: Vec<Vec<String>> = Vec::new();
        let mut current: Option<u32> = None;
        for (token, word_id) in encoding.get_tokens().iter().zip(encoding.get_word_ids()) {
            // Special tokens carry no word id: each is a word of its own.
            let continues_word = matches!((word_id, current), (Some(w), Some(c)) if *w == c);
            current = *word_id;
            if !continues_word {
                words.push(String::new());
                pieces.push(Vec::new());
            }
            if let (Some(word), Some(word_pieces)) = (words.last_mut(), pieces.last_mut()) {
                word.push_str(token);
                word_pieces.push(if continues_word {
                    format!("{CONTINUATION}{token}")
                } else {
                    token.clone()
                });
            }
        }
        let mut analysis = Analysis::default();
        for (word, word_pieces) in words.into_iter().zip(pieces) {
            if word.chars().any(char::is_alphanumeric) {
                analysis.push(word.into(), word_pieces.into());
            }
        }
        Ok(analysis)
    }
}

/// Splits a cleaned request into `(segment, is_placeholder)` around the redaction placeholders,
/// as the tokenizer's added vocabulary does for its special tokens (`single_word`: a
/// placeholder glued to a letter or digit is ordinary text).
fn split_placeholders(text: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut start = 0; // start of the pending ordinary segment
    let mut from = 0; // where to look for the next placeholder
    while let Some(offset) = text[from..].find('[') {
        let at = from + offset;
        let Some(placeholder) = Kind::ALL
            .iter()
            .map(|k| k.placeholder())
            .find(|p| text[at..].starts_with(p))
        else {
            from = at + 1;
            continue;
        };
        let end = at + placeholder.len();
        let glued_before = text[..at]
            .chars()
            .next_back()
            .is_some_and(is_regex_word_char);
        let glued_after = text[end..].chars().next().is_some_and(is_regex_word_char);
        if !glued_before && !glued_after {
            if start < at {
                out.push((&text[start..at], false));
            }
            out.push((&text[at..end], true));
            start = end;
        }
        from = end;
    }
    if start < text.len() {
        out.push((&text[start..], false));
    }
    out
}

/// A character of the regex class `\w` (the regex crate's Unicode table; ASCII answered without
/// it): the test the tokenizer uses for `single_word` tokens, and the regexes for `\b`.
pub(crate) fn is_regex_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        regex_syntax::is_word_character(c)
    }
}

/// The normaliser's steps, in its order: NFKD, strip combining marks, lowercase. Uses the
/// tokenizer's own Unicode tables (`unicode-normalization-alignments`).
///
/// ASCII characters take a shortcut: each is a starter that NFKD and the mark filter leave as it
/// is and lowercasing maps to its ASCII lowercase, and NFKD only reorders runs of non-starters, so
/// cutting the text next to an ASCII character changes nothing.
fn normalize_into(text: &str, out: &mut String) {
    use unicode_normalization_alignments::UnicodeNormalization;
    use unicode_normalization_alignments::char::is_combining_mark;
    for_each_run(text, |run, ascii| {
        if ascii {
            push_ascii_lowercase(run, out);
        } else {
            for (c, _) in run.nfkd() {
                if !is_combining_mark(c) {
                    out.extend(c.to_lowercase());
                }
            }
        }
    });
}

/// The pre-tokenizer's pieces that contain a letter or digit: split on whitespace (dropped) and
/// punctuation (each mark a piece of its own, left out here), then digits apart from letters.
fn pre_tokens(text: &str) -> impl Iterator<Item = &str> {
    use unicode_categories::UnicodeCategories;
    #[derive(PartialEq, Clone, Copy)]
    enum Class {
        Gap,
        Digit,
        Other,
    }
    let class = |c: char| {
        // ASCII first: the Unicode punctuation table is a binary search
        let gap = if c.is_ascii() {
            c.is_whitespace() || c.is_ascii_punctuation()
        } else {
            c.is_whitespace() || c.is_punctuation()
        };
        if gap {
            Class::Gap
        } else if c.is_numeric() {
            Class::Digit
        } else {
            Class::Other
        }
    };
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        loop {
            let (start, first) = chars.next()?;
            let kind = class(first);
            if kind == Class::Gap {
                continue;
            }
            let mut end = start + first.len_utf8();
            while let Some(&(i, c)) = chars.peek() {
                if class(c) != kind {
                    break;
                }
                end = i + c.len_utf8();
                chars.next();
            }
            return Some(&text[start..end]);
        }
    })
    .filter(|piece: &&str| piece.chars().any(char::is_alphanumeric))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_analyzer() -> TextAnalyzer {
        let texts = [
            "La mia pensione non è arrivata",
            "Quando arriva la pensione di vecchiaia?",
            "Ho perso il lavoro, posso avere la disoccupazione?",
            "L'azienda mi ha messo in cassa integrazione",
            "Mi hanno licenziato dall'azienda",
            "PENSIONE DI REVERSIBILITÀ PER MIA MADRE",
        ];
        TextAnalyzer::train(
            &texts,
            TokenizerParams {
                vocab_size: 200,
                min_frequency: 1,
            },
        )
        .unwrap()
    }

    #[test]
    fn each_analyzer_reads_words_with_its_own_tokens() {
        let big = small_analyzer();
        let tiny = TextAnalyzer::train(
            &["pensione pensione pensione"],
            TokenizerParams {
                vocab_size: 100,
                min_frequency: 1,
            },
        )
        .unwrap();
        let text = "la pensione di reversibilità";
        let first = big.analyze(text).unwrap();
        // the same thread's word cache, now for the other analyzer, then back
        let other = tiny.analyze(text).unwrap();
        assert_ne!(other.pieces, first.pieces);
        assert_eq!(big.analyze(text).unwrap(), first);
        assert_eq!(tiny.analyze(text).unwrap(), other);
        assert_eq!(first, big.analyze_reference(text).unwrap());
        assert_eq!(other, tiny.analyze_reference(text).unwrap());
    }

    #[test]
    fn fold_lowercases_and_drops_accents() {
        assert_eq!(fold("PERCHÉ Già però"), "perche gia pero");
        assert_eq!(fold("Ho PERSO il Lavoro!"), "ho perso il lavoro!");
        assert_eq!(fold("ﬁne İ"), "fine i");
    }

    #[test]
    fn clean_removes_controls_and_caps_length() {
        assert_eq!(clean("a\u{0}b\tc").text, "a b c");
        // line breaks stay for the redactor (a carriage return is a control like any other)
        assert_eq!(clean("Saluti\r\nMario").text, "Saluti \nMario");
        // so a signature on its own line is redacted where classification and training read it
        let letter =
            "Vorrei sapere della NASpI.\r\nCordiali saluti\r\nLucia Ferrari\r\nallego la lettera";
        let redacted = crate::redact::redact(&clean(letter).text);
        assert!(!redacted.text.contains("Ferrari"), "{}", redacted.text);
        assert_eq!(clean("dell’INPS perche´").text, "dell'INPS perche'");
        let long = "è".repeat(MAX_TEXT_BYTES);
        let cleaned = clean(&long);
        assert!(cleaned.truncated);
        assert!(cleaned.text.len() <= MAX_TEXT_BYTES);
        assert!(!clean("breve").truncated);
        assert!(is_blank(" \u{0}\t\n"));
        assert!(!is_blank("😀"));
    }

    proptest::proptest! {
        #[test]
        fn blank_is_what_cleaning_leaves_empty(text in "[ \t\n\r\u{0}-\u{1f}\u{85}\u{a0}\u{2028}a’´]{0,12}|\\PC{0,40}") {
            proptest::prop_assert_eq!(is_blank(&text), clean(&text).text.trim().is_empty());
        }

        #[test]
        fn word_chars_are_the_regex_class(c in proptest::char::any()) {
            static WORD: std::sync::LazyLock<regex::Regex> =
                std::sync::LazyLock::new(|| regex::Regex::new(r"^\w$").unwrap());
            let mut buf = [0u8; 4];
            proptest::prop_assert_eq!(is_regex_word_char(c), WORD.is_match(c.encode_utf8(&mut buf)));
        }

        #[test]
        fn folding_by_runs_is_folding_the_whole(
            text in "[aA e\u{300}\u{301}\u{327}\u{345}\u{1dc0}èÉçǅﬁİΣẞ한\u{fb1d}\u{f900}]{0,16}|\\PC{0,40}"
        ) {
            proptest::prop_assert_eq!(fold(&text), fold_unicode(&text).collect::<String>());
        }

        #[test]
        fn cleaning_is_character_by_character(text in "[ \t\n\u{0}-\u{1f}\u{7f}-\u{a0}´`ʼʻ‘’‛\u{2028}a]{0,12}|\\PC{0,40}") {
            let by_character: String = text.chars().map(clean_char).collect();
            proptest::prop_assert_eq!(clean_head(&text), by_character);
        }

        #[test]
        fn a_clean_text_stays_as_it_is(text in "[ \t\n\r\u{0}-\u{1f}\u{85}a’´`]{0,12}|\\PC{0,40}") {
            let once = clean(&text).text;
            proptest::prop_assert!(matches!(clean_head(&once), Cow::Borrowed(_)));
            proptest::prop_assert_eq!(clean(&once).text, once);
        }
    }

    #[test]
    fn words_are_normalised_and_whole() {
        let analyzer = small_analyzer();
        let a = analyzer
            .analyze("La PENSIONE è arrivata? Dell’azienda!")
            .unwrap();
        assert_eq!(
            a.words.iter().map(|w| &**w).collect::<Vec<_>>(),
            ["la", "pensione", "e", "arrivata", "dell", "azienda"]
        );
        assert_eq!(a.words.len(), a.pieces.len());
        for (word, pieces) in a.words.iter().zip(&a.pieces) {
            let joined: String = pieces
                .iter()
                .map(|p| p.strip_prefix(CONTINUATION).unwrap_or(p))
                .collect();
            assert_eq!(joined, **word);
        }
    }

    #[test]
    fn runs_of_words_are_found_from_the_hint_then_from_the_start() {
        let analyzer = small_analyzer();
        let whole = analyzer
            .analyze("La pensione è arrivata. La pensione di mia madre no.")
            .unwrap();
        let part = |text: &str| analyzer.analyze(text).unwrap();
        // words 0–1 and 4–5 are both "la pensione"
        assert_eq!(whole.find_run(&part("la PENSIONE"), 0), Some(0));
        assert_eq!(whole.find_run(&part("la pensione"), 1), Some(4));
        assert_eq!(whole.find_run(&part("la pensione"), 5), Some(0));
        assert_eq!(whole.find_run(&part("di mia madre no"), 99), Some(6));
        assert_eq!(whole.find_run(&part("madre di mia"), 0), None);
        let longer = part("La pensione è arrivata. La pensione di mia madre no, mai.");
        assert_eq!(whole.find_run(&longer, 0), None);
        assert_eq!(whole.find_run(&Analysis::default(), 3), Some(3));
        assert_eq!(
            whole.find_run(&Analysis::default(), 99),
            Some(whole.words.len())
        );
    }

    #[test]
    fn word_kinds_are_kept_with_the_words() {
        let analyzer = small_analyzer();
        let text = "Buongiorno, la pensione di mia madre";
        // twice: the second time every word comes from the per-thread cache
        for _ in 0..2 {
            let a = analyzer.analyze(text).unwrap();
            let kinds: Vec<WordKind> = (0..a.words.len()).map(|i| a.kind(i)).collect();
            let expected: Vec<WordKind> = a.words.iter().map(|w| WordKind::of(w)).collect();
            assert_eq!(kinds, expected);
            assert!(kinds[0].formula && !kinds[0].content, "buongiorno");
            assert!(!kinds[1].content, "la");
            assert!(kinds[2].content && !kinds[2].formula, "pensione");
        }
        // words added to the fields directly are classified when asked, with or without words
        // pushed before them
        let mut direct = Analysis::default();
        direct.words.push("pensione".into());
        direct.pieces.push(["pensione".to_string()].into());
        assert!(direct.kind(0).content);
        let mut mixed = Analysis::default();
        mixed.push("buongiorno".into(), ["buongiorno".to_string()].into());
        mixed.words.push("pensione".into());
        mixed.pieces.push(["pensione".to_string()].into());
        assert!(mixed.kind(0).formula && mixed.kind(1).content);
        // equal to the same words analysed
        assert_eq!(direct, analyzer.analyze("pensione").unwrap());
    }

    #[test]
    fn placeholders_stay_whole() {
        let analyzer = small_analyzer();
        let saved: SavedTokenizer = serde_json::from_str(&analyzer.to_json().unwrap()).unwrap();
        assert!(saved.check().is_ok());
        let a = analyzer.analyze("scrivetemi a [EMAIL] grazie").unwrap();
        assert!(a.words.iter().any(|w| &**w == "[EMAIL]"), "{:?}", a.words);
    }

    #[test]
    fn training_is_deterministic_and_roundtrips() {
        let first = small_analyzer().to_json().unwrap();
        let second = small_analyzer().to_json().unwrap();
        assert_eq!(first, second);
        let loaded = TextAnalyzer::from_json(&first).unwrap();
        assert_eq!(loaded.to_json().unwrap(), first);
    }

    #[test]
    fn loading_refuses_tokenizers_configured_otherwise() {
        let json = small_analyzer().to_json().unwrap();
        let original: serde_json::Value = serde_json::from_str(&json).unwrap();
        let loaded = TextAnalyzer::from_json(&json).unwrap();
        assert_eq!(
            loaded.analyze("La PENSIONE è arrivata?").unwrap(),
            small_analyzer().analyze("La PENSIONE è arrivata?").unwrap()
        );
        let changes: [(&str, serde_json::Value); 5] = [
            ("/normalizer", serde_json::json!({"type": "Lowercase"})),
            ("/pre_tokenizer", serde_json::json!({"type": "Whitespace"})),
            ("/model/unk_token", serde_json::json!("[UNK]")),
            ("/added_tokens/0/normalized", serde_json::json!(true)),
            ("/padding", serde_json::json!({"strategy": "BatchLongest"})),
        ];
        for (pointer, value) in changes {
            let mut changed = original.clone();
            *changed.pointer_mut(pointer).unwrap() = value;
            let err = TextAnalyzer::from_json(&changed.to_string()).unwrap_err();
            assert!(
                err.to_string().contains("not a sportello tokenizer"),
                "{pointer}: {err}"
            );
        }
        assert!(TextAnalyzer::from_json("{}").is_err());
        assert!(TextAnalyzer::from_json("not json").is_err());
    }

    #[test]
    fn odd_inputs_do_not_fail() {
        let analyzer = small_analyzer();
        assert!(analyzer.analyze("").unwrap().is_empty());
        assert!(analyzer.analyze("   \n\t ").unwrap().is_empty());
        assert!(analyzer.analyze("😀😀🎉").unwrap().is_empty());
        analyzer.analyze("\u{0}\u{0}").unwrap();
        analyzer.analyze(&"x".repeat(100_000)).unwrap();
    }
}
