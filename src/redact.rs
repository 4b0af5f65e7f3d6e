//! Redaction of personal data (GDPR by design): citizens write their codice fiscale, IBAN, phone
//! number, date of birth or name into their requests; [`redact`] replaces each item with a typed
//! placeholder (`[CODICE_FISCALE]`, `[IBAN]`, …) before anything else reads the text.
//!
//! The detectors run in stages, each on the output of the previous one, so that later stages see
//! placeholders instead of the data (and redacting a redacted text changes nothing):
//! 1. codici fiscali (check character validated, omocodia included), IBANs (any country, ISO 13616
//!    mod-97 validated, compact or in groups) and e-mail addresses (PEC included);
//! 2. partite IVA (11 digits with a valid check digit, optional `IT` prefix);
//! 3. people's names where the text introduces them ("mi chiamo", "il sottoscritto", "Sig.ra",
//!    signatures after "Distinti saluti", …);
//! 4. dates of birth, where the context says birth ("nato a Bari il 3 marzo 1955");
//! 5. Italian phone numbers in their usual written forms, leaving alone dates, amounts, law,
//!    protocol and practice numbers and the public INPS contact-centre numbers.
//!
//! Every detector refuses matches glued to letters or digits, and placeholders are put between
//! spaces when a neighbouring character is a letter or a digit.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input};

/// Kinds of personal data, in the order placeholders are documented.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    CodiceFiscale,
    PartitaIva,
    Iban,
    Email,
    Telefono,
    DataNascita,
    Persona,
}

impl Kind {
    /// Every kind, in the order of their placeholders (also the order of the tokenizer's
    /// special tokens).
    pub const ALL: [Kind; 7] = [
        Kind::CodiceFiscale,
        Kind::PartitaIva,
        Kind::Iban,
        Kind::Email,
        Kind::Telefono,
        Kind::DataNascita,
        Kind::Persona,
    ];

    /// The text that replaces an item of this kind.
    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::CodiceFiscale => "[CODICE_FISCALE]",
            Kind::PartitaIva => "[PARTITA_IVA]",
            Kind::Iban => "[IBAN]",
            Kind::Email => "[EMAIL]",
            Kind::Telefono => "[TELEFONO]",
            Kind::DataNascita => "[DATA_NASCITA]",
            Kind::Persona => "[PERSONA]",
        }
    }
}

/// A redacted text and what was taken out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    pub text: String,
    /// one entry per replaced item, in order of appearance
    pub found: Vec<Kind>,
}

/// Replaces the personal data in `text` with typed placeholders.
///
/// Never panics, runs in roughly linear time, and is idempotent: redacting a redacted text
/// returns it unchanged.
pub fn redact(text: &str) -> Redacted {
    redact_gated(text, true)
}

/// [`redact`]; `gated: false` runs every stage whatever the text holds, to check that skipping
/// them changes nothing.
fn redact_gated(text: &str, gated: bool) -> Redacted {
    let material = Material::of(text);
    if gated && !material.any() {
        return Redacted {
            text: text.to_owned(),
            found: Vec::new(),
        };
    }
    let mut doc = Doc {
        text: text.to_owned(),
        marks: Vec::new(),
    };
    // Placeholders add no digit, `@`, 16-character word or name cue, so the original text
    // decides for every stage.
    if !gated || material.digits || material.at || material.sixteen {
        doc.stage(find_strong);
    }
    if !gated || material.digits {
        doc.stage(find_partite_iva);
    }
    if !gated || material.name_cues {
        // the earlier stages rarely replace anything: then `material` has the text lowercased
        doc.stage(|current| {
            let lower = if current == text {
                Cow::Borrowed(material.lower.as_str())
            } else {
                Cow::Owned(lowercase(current))
            };
            find_persons_in(current, &lower, true)
        });
    }
    doc.stage(find_birth_dates);
    doc.stage(find_phones);
    doc.marks.sort_by_key(|m| m.0);
    Redacted {
        text: doc.text,
        found: doc.marks.into_iter().map(|(_, kind)| kind).collect(),
    }
}

/// Cue words (lowercase) of the stage-3 regexes, one list per regex: at least one of a regex's
/// cues is in every text it can match.
const INTRO_CUES: &[&str] = &[
    "chiamo",
    "nome",
    "name",
    "sottoscritt",
    "nominativo",
    "firmat",
    "cognome",
];
const WEAK_INTRO_CUES: &[&str] = &[
    "sono",
    "i am",
    "i'm",
    "i’m",
    "mio",
    "mia",
    "suo",
    "sua",
    "nostr",
    "figli",
    "vedov",
    "coniuge",
    "moglie",
    "marito",
    "madre",
    "padre",
    "genitore",
    "erede",
    "nipote",
    "intestat",
    "a nome",
    "per conto",
    "richiedente",
    "signor",
    "defunt",
];
const TITLE_CUES: &[&str] = &[
    "sig", "dott", "dr", "avv", "prof", "ing.", "rag.", "geom.", "mr", "ms.",
];
const CLOSING_CUES: &[&str] = &[
    "salut",
    "cordial",
    "distint",
    "fede",
    "grazie",
    "ringrazi",
    "regards",
    "thank",
    "sincerely",
    "firma",
];

/// What a text holds that some detector needs, found with cheap tests so that the regular
/// expressions (costly to build, and the bulk of a cold start) are built and run only when a
/// detector could match: codici fiscali need a 16-character word, IBANs, partite IVA, phones
/// and dates need digits, e-mails an `@`, names one of the name cues ([`INTRO_CUES`],
/// [`WEAK_INTRO_CUES`], [`TITLE_CUES`], [`CLOSING_CUES`]).
struct Material {
    digits: bool,
    at: bool,
    sixteen: bool,
    name_cues: bool,
    /// the text, lowercased
    lower: String,
}

impl Material {
    fn of(text: &str) -> Self {
        // One pass over the bytes. A 16-character word is a run of exactly 16 ASCII letters
        // and digits between characters that are neither: every byte of a longer character
        // is 0x80 or more, so it ends a run as the character would.
        let (mut digits, mut at, mut sixteen) = (false, false, false);
        let mut run = 0usize;
        for &b in text.as_bytes() {
            if b.is_ascii_alphanumeric() {
                run += 1;
                digits |= b.is_ascii_digit();
            } else {
                sixteen |= run == 16;
                run = 0;
                at |= b == b'@';
            }
        }
        sixteen |= run == 16;
        let lower = lowercase(text);
        Material {
            digits,
            at,
            sixteen,
            name_cues: NAME_CUES.is_match(&lower),
            lower,
        }
    }

    fn any(&self) -> bool {
        self.digits || self.at || self.sixteen || self.name_cues
    }
}

/// The cue lists of the name regexes, in this order everywhere below.
const CUE_LISTS: [&[&str]; 4] = [INTRO_CUES, WEAK_INTRO_CUES, TITLE_CUES, CLOSING_CUES];

/// Every name cue of [`CUE_LISTS`], found in one pass over the text instead of one search per
/// cue.
static NAME_CUES: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(CUE_LISTS.concat()).expect("valid built-in cues"));

/// For each of [`CUE_LISTS`], an automaton of its one-word cues.
static ONE_WORD_CUES: LazyLock<[AhoCorasick; 4]> = LazyLock::new(|| {
    CUE_LISTS.map(|list| {
        AhoCorasick::new(list.iter().filter(|cue| !cue.contains(' '))).expect("valid built-in cues")
    })
});

/// For each of [`CUE_LISTS`], its cues of two words ("a nome"), split at the space: split once
/// here, not for every word of every request.
static TWO_WORD_CUES: LazyLock<[Vec<(&'static str, &'static str)>; 4]> = LazyLock::new(|| {
    CUE_LISTS.map(|list| list.iter().filter_map(|cue| cue.split_once(' ')).collect())
});

/// One of [`CUE_LISTS`], by position: the cues of one name regex.
#[derive(Clone, Copy)]
struct Cues(usize);

const INTRO_SET: Cues = Cues(0);
const WEAK_INTRO_SET: Cues = Cues(1);
const TITLE_SET: Cues = Cues(2);
const CLOSING_SET: Cues = Cues(3);

impl Cues {
    #[cfg(test)]
    fn list(self) -> &'static [&'static str] {
        CUE_LISTS[self.0]
    }

    fn one_word(self) -> &'static AhoCorasick {
        &ONE_WORD_CUES[self.0]
    }

    /// The cues of two words ("a nome"), split at the space.
    fn two_words(self) -> &'static [(&'static str, &'static str)] {
        &TWO_WORD_CUES[self.0]
    }
}

/// For each list of [`NAME_CUES`], whether one of its cues occurs in `lower` (overlapping
/// matches, so that a cue inside another, "nome" in "a nome", is seen too).
fn cues_present(lower: &str) -> [bool; 4] {
    let ends = CUE_LISTS.map(<[&str]>::len);
    let mut present = [false; 4];
    for m in NAME_CUES.find_overlapping_iter(lower) {
        let mut pattern = m.pattern().as_usize();
        let mut rank = 0;
        while pattern >= ends[rank] {
            pattern -= ends[rank];
            rank += 1;
        }
        present[rank] = true;
    }
    present
}

// ---------------------------------------------------------------------------------------------
// Pipeline
// ---------------------------------------------------------------------------------------------

/// A byte range of the current text to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    kind: Kind,
}

impl Span {
    fn new(start: usize, end: usize, kind: Kind) -> Self {
        Span { start, end, kind }
    }
}

/// The text being redacted and where the placeholders written so far start.
struct Doc {
    text: String,
    marks: Vec<(usize, Kind)>,
}

impl Doc {
    /// Runs one detector on the current text and writes its placeholders. Overlapping matches
    /// are merged into one, of the kind of the leftmost-longest (so that no leftover of a
    /// discarded match is found on a second pass); matches touching an earlier placeholder are
    /// dropped.
    fn stage(&mut self, find: impl FnOnce(&str) -> Vec<Span>) {
        let mut spans = find(&self.text);
        if spans.is_empty() {
            return;
        }
        spans.retain(|s| {
            s.start < s.end
                && self.text.is_char_boundary(s.start)
                && self.text.is_char_boundary(s.end)
        });
        spans.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
        for s in spans {
            match merged.last_mut() {
                Some(last) if s.start < last.end => last.end = last.end.max(s.end),
                _ => merged.push(s),
            }
        }
        self.marks.sort_by_key(|m| m.0);
        let mut mi = 0;
        merged.retain(|s| {
            while mi < self.marks.len()
                && self.marks[mi].0 + self.marks[mi].1.placeholder().len() <= s.start
            {
                mi += 1;
            }
            mi == self.marks.len() || self.marks[mi].0 >= s.end
        });
        self.apply(&merged);
    }

    /// Replaces the (sorted, disjoint) spans with their placeholders, keeping the marks right.
    fn apply(&mut self, spans: &[Span]) {
        if spans.is_empty() {
            return;
        }
        let old = std::mem::take(&mut self.text);
        let old_marks = std::mem::take(&mut self.marks);
        let mut out = String::with_capacity(old.len() + 16 * spans.len());
        let mut marks = Vec::with_capacity(old_marks.len() + spans.len());
        let mut mi = 0;
        let mut last = 0;
        for s in spans {
            copy_segment(
                &mut out, &old, last, s.start, &old_marks, &mut mi, &mut marks,
            );
            if out.chars().next_back().is_some_and(needs_space) {
                out.push(' ');
            }
            marks.push((out.len(), s.kind));
            out.push_str(s.kind.placeholder());
            if old[s.end..].chars().next().is_some_and(needs_space) {
                out.push(' ');
            }
            last = s.end;
        }
        copy_segment(
            &mut out,
            &old,
            last,
            old.len(),
            &old_marks,
            &mut mi,
            &mut marks,
        );
        self.text = out;
        self.marks = marks;
    }
}

/// Copies `old[from..to]` to `out`, moving the marks that lie in it.
fn copy_segment(
    out: &mut String,
    old: &str,
    from: usize,
    to: usize,
    old_marks: &[(usize, Kind)],
    mi: &mut usize,
    marks: &mut Vec<(usize, Kind)>,
) {
    let base = out.len();
    while *mi < old_marks.len() && old_marks[*mi].0 < to {
        let (pos, kind) = old_marks[*mi];
        marks.push((base + pos.saturating_sub(from), kind));
        *mi += 1;
    }
    out.push_str(&old[from..to]);
}

/// Characters a placeholder must not be glued to.
fn needs_space(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '[' || c == ']'
}

// ---------------------------------------------------------------------------------------------
// Small text helpers
// ---------------------------------------------------------------------------------------------

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn char_before(text: &str, pos: usize) -> Option<char> {
    text[..pos].chars().next_back()
}

fn char_after(text: &str, pos: usize) -> Option<char> {
    text[pos..].chars().next()
}

/// True when a letter, digit or underscore comes right before `pos`.
fn glued_left(text: &str, pos: usize) -> bool {
    char_before(text, pos).is_some_and(is_word_char)
}

/// True when a letter, digit or underscore comes right at `pos`.
fn glued_right(text: &str, pos: usize) -> bool {
    char_after(text, pos).is_some_and(is_word_char)
}

fn is_hspace(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\u{A0}'
}

/// The position after the horizontal spaces starting at `pos`.
fn skip_hspace(text: &str, pos: usize) -> usize {
    pos + text[pos..]
        .find(|c: char| !is_hspace(c))
        .unwrap_or(text.len() - pos)
}

/// `text.to_lowercase()`, with runs of ASCII lowercased in bulk: std's walks every character
/// after the first that is not ASCII.
fn lowercase(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    // the lowercase of Σ depends on its neighbours, which std alone looks at
    if text.contains('Σ') {
        return text.to_lowercase();
    }
    let mut lower = String::with_capacity(text.len());
    crate::text::for_each_run(text, |run, ascii| {
        if ascii {
            crate::text::push_ascii_lowercase(run, &mut lower);
        } else {
            lower.extend(run.chars().flat_map(char::to_lowercase));
        }
    });
    lower
}

fn lower_word(word: &str) -> String {
    word.chars()
        .map(|c| if c == '’' { '\'' } else { c })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The set of the whitespace-separated words of `words`.
fn word_set(words: &'static str) -> HashSet<&'static str> {
    words.split_whitespace().collect()
}

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid built-in regex")
}

/// Maximal runs of ASCII letters and digits: the material of codici fiscali, IBANs, partite IVA.
/// (The regex `[A-Za-z0-9]+`, read byte by byte: no byte of a multi-byte character is ASCII.)
fn ascii_tokens(text: &str) -> Vec<(usize, usize)> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, b) in text.bytes().enumerate() {
        match (b.is_ascii_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                tokens.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        tokens.push((s, text.len()));
    }
    tokens
}

// ---------------------------------------------------------------------------------------------
// Stage 1: codici fiscali, IBANs, e-mail addresses
// ---------------------------------------------------------------------------------------------

fn find_strong(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let tokens = ascii_tokens(text);
    let bytes = text.as_bytes();
    for (i, &(s, e)) in tokens.iter().enumerate() {
        if glued_left(text, s) {
            continue;
        }
        if e - s == 16 && !glued_right(text, e) && codice_fiscale_valid(&bytes[s..e]) {
            spans.push(Span::new(s, e, Kind::CodiceFiscale));
        }
        if let Some(end) = iban_at(text, &tokens, i) {
            spans.push(Span::new(s, end, Kind::Iban));
        }
    }
    for (at, _) in text.match_indices('@') {
        if let Some((start, end)) = email_around(text, at) {
            spans.push(Span::new(start, end, Kind::Email));
        }
    }
    spans
}

/// Longest local part looked at, in characters (the standard allows 64).
const EMAIL_LOCAL_MAX: usize = 128;

/// The e-mail address around the `@` at byte `at`, if any: the local part is the run of letters,
/// digits and `_ . % + -` before it, from its first letter or digit; the domain runs up to its
/// last label of two letters or more, the top-level domain ("x@pec.it.IT60…" ends after "it").
fn email_around(text: &str, at: usize) -> Option<(usize, usize)> {
    let local_char = |c: char| c.is_alphanumeric() || "_.%+-".contains(c);
    let mut start = at;
    for (n, (i, c)) in text[..at].char_indices().rev().enumerate() {
        if !local_char(c) || n == EMAIL_LOCAL_MAX {
            break;
        }
        start = i;
    }
    start += text[start..at]
        .find(char::is_alphanumeric)
        .unwrap_or(at - start);
    if start == at {
        return None;
    }
    let domain_len = text[at + 1..]
        .find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '.'))
        .unwrap_or(text.len() - at - 1);
    let mut end = None;
    let mut offset = at + 1;
    for (i, label) in text[at + 1..at + 1 + domain_len].split('.').enumerate() {
        if label.is_empty() {
            break;
        }
        if i > 0 && label.chars().count() >= 2 && label.chars().all(char::is_alphabetic) {
            end = Some(offset + label.len());
        }
        offset += label.len() + 1;
    }
    let end = end?;
    (!char_after(text, end).is_some_and(char::is_alphanumeric)).then_some((start, end))
}

/// Letters that replace the digits 0–9 in an omocodic codice fiscale.
const OMOCODIA: &[u8; 10] = b"LMNPQRSTUV";
/// Month letters of a codice fiscale, January to December.
const CF_MONTHS: &[u8; 12] = b"ABCDEHLMPRST";
/// Value of the characters in odd positions (1st, 3rd, …) for the check character, A to Z; a
/// digit is worth what the letter with the same index is (0 as A, 1 as B, …).
const CF_ODD: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/// The official check character of the first 15 characters of a codice fiscale (uppercase
/// ASCII letters and digits), or `None` for other characters.
fn codice_fiscale_check(first15: &[u8]) -> Option<u8> {
    let mut sum = 0;
    for (i, &c) in first15.iter().enumerate() {
        let index = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'Z' => c - b'A',
            _ => return None,
        } as usize;
        // Positions are counted from 1: index 0 is the first, odd, position.
        sum += if i % 2 == 0 {
            CF_ODD[index]
        } else {
            index as u32
        };
    }
    Some(b'A' + (sum % 26) as u8)
}

/// A 16-character codice fiscale with the right shape (omocodia allowed) and check character.
fn codice_fiscale_valid(cf: &[u8]) -> bool {
    if cf.len() != 16 {
        return false;
    }
    let cf: Vec<u8> = cf.iter().map(u8::to_ascii_uppercase).collect();
    let digit_like = |c: u8| c.is_ascii_digit() || OMOCODIA.contains(&c);
    let shape = cf.iter().enumerate().all(|(i, &c)| match i {
        0..=5 | 11 | 15 => c.is_ascii_uppercase(),
        6 | 7 | 9 | 10 | 12 | 13 | 14 => digit_like(c),
        8 => CF_MONTHS.contains(&c),
        _ => false,
    });
    shape && codice_fiscale_check(&cf[..15]) == Some(cf[15])
}

/// IBAN countries and their IBAN length (`None`: length not known here, any length accepted).
const IBAN_COUNTRIES: &[(&[u8; 2], Option<usize>)] = &[
    (b"AD", Some(24)),
    (b"AE", Some(23)),
    (b"AL", Some(28)),
    (b"AO", None),
    (b"AT", Some(20)),
    (b"AZ", Some(28)),
    (b"BA", Some(20)),
    (b"BE", Some(16)),
    (b"BF", None),
    (b"BG", Some(22)),
    (b"BH", Some(22)),
    (b"BI", Some(27)),
    (b"BJ", None),
    (b"BR", Some(29)),
    (b"BY", Some(28)),
    (b"CF", None),
    (b"CG", None),
    (b"CH", Some(21)),
    (b"CI", None),
    (b"CM", None),
    (b"CR", Some(22)),
    (b"CV", None),
    (b"CY", Some(28)),
    (b"CZ", Some(24)),
    (b"DE", Some(22)),
    (b"DJ", Some(27)),
    (b"DK", Some(18)),
    (b"DO", Some(28)),
    (b"DZ", None),
    (b"EE", Some(20)),
    (b"EG", Some(29)),
    (b"ES", Some(24)),
    (b"FI", Some(18)),
    (b"FK", Some(18)),
    (b"FO", Some(18)),
    (b"FR", Some(27)),
    (b"GA", None),
    (b"GB", Some(22)),
    (b"GE", Some(22)),
    (b"GI", Some(23)),
    (b"GL", Some(18)),
    (b"GQ", None),
    (b"GR", Some(27)),
    (b"GT", Some(28)),
    (b"GW", None),
    (b"HN", Some(28)),
    (b"HR", Some(21)),
    (b"HU", Some(28)),
    (b"IE", Some(22)),
    (b"IL", Some(23)),
    (b"IQ", Some(23)),
    (b"IR", None),
    (b"IS", Some(26)),
    (b"IT", Some(27)),
    (b"JO", Some(30)),
    (b"KM", None),
    (b"KW", Some(30)),
    (b"KZ", Some(20)),
    (b"LB", Some(28)),
    (b"LC", Some(32)),
    (b"LI", Some(21)),
    (b"LT", Some(20)),
    (b"LU", Some(20)),
    (b"LV", Some(21)),
    (b"LY", Some(25)),
    (b"MA", None),
    (b"MC", Some(27)),
    (b"MD", Some(24)),
    (b"ME", Some(22)),
    (b"MG", None),
    (b"MK", Some(19)),
    (b"ML", None),
    (b"MN", Some(20)),
    (b"MR", Some(27)),
    (b"MT", Some(31)),
    (b"MU", Some(30)),
    (b"MZ", None),
    (b"NE", None),
    (b"NI", Some(28)),
    (b"NL", Some(18)),
    (b"NO", Some(15)),
    (b"OM", Some(23)),
    (b"PK", Some(24)),
    (b"PL", Some(28)),
    (b"PS", Some(29)),
    (b"PT", Some(25)),
    (b"QA", Some(29)),
    (b"RO", Some(24)),
    (b"RS", Some(22)),
    (b"RU", Some(33)),
    (b"SA", Some(24)),
    (b"SC", Some(31)),
    (b"SD", Some(18)),
    (b"SE", Some(24)),
    (b"SI", Some(19)),
    (b"SK", Some(24)),
    (b"SM", Some(27)),
    (b"SN", None),
    (b"SO", Some(23)),
    (b"ST", Some(25)),
    (b"SV", Some(28)),
    (b"TD", None),
    (b"TG", None),
    (b"TL", Some(23)),
    (b"TN", Some(24)),
    (b"TR", Some(26)),
    (b"UA", Some(29)),
    (b"VA", Some(22)),
    (b"VG", Some(24)),
    (b"XK", Some(20)),
    (b"YE", Some(30)),
];

const IBAN_MIN: usize = 15;
const IBAN_MAX: usize = 34;

/// ISO 13616 check: the IBAN (uppercase ASCII, no spaces) rotated by four, read as a number with
/// A = 10 … Z = 35, leaves 1 modulo 97.
fn iban_mod97(iban: &[u8]) -> bool {
    if iban.len() < 5 {
        return false;
    }
    let mut rest: u32 = 0;
    for &c in iban[4..].iter().chain(&iban[..4]) {
        rest = match c {
            b'0'..=b'9' => (rest * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => (rest * 100 + u32::from(c - b'A') + 10) % 97,
            _ => return false,
        };
    }
    rest == 1
}

/// Separators accepted between the groups of an IBAN.
fn iban_gap(gap: &str) -> bool {
    matches!(gap, " " | "  " | "\t" | "\u{A0}" | "-")
}

/// The end of the IBAN that starts at token `i`, if any. Following tokens (groups) are taken
/// while they can belong to an IBAN; among the candidate ends the one giving the country's IBAN
/// length is preferred, then the longest valid one.
fn iban_at(text: &str, tokens: &[(usize, usize)], i: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let (s, _) = tokens[i];
    let (c0, c1) = (*bytes.get(s)?, *bytes.get(s + 1)?);
    if !c0.is_ascii_alphabetic() || !c1.is_ascii_alphabetic() {
        return None;
    }
    let code = [c0.to_ascii_uppercase(), c1.to_ascii_uppercase()];
    let expected = IBAN_COUNTRIES.iter().find(|(c, _)| **c == code)?.1;
    let mut buf: Vec<u8> = Vec::with_capacity(IBAN_MAX);
    let mut upper: Option<bool> = None;
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    for k in i..tokens.len() {
        let (ts, te) = tokens[k];
        let token = &bytes[ts..te];
        let has_upper = token.iter().any(u8::is_ascii_uppercase);
        let has_lower = token.iter().any(u8::is_ascii_lowercase);
        if k > i {
            if !iban_gap(&text[tokens[k - 1].1..ts]) {
                break;
            }
            if token.len() > 4 && !token.iter().any(u8::is_ascii_digit) {
                break;
            }
            // Groups are written in one case: "IT60 X054 per" stops before "per".
            if (upper == Some(true) && has_lower) || (upper == Some(false) && has_upper) {
                break;
            }
        }
        if buf.len() + token.len() > IBAN_MAX {
            break;
        }
        buf.extend(token.iter().map(u8::to_ascii_uppercase));
        if buf.len() >= 4 && !(buf[2].is_ascii_digit() && buf[3].is_ascii_digit()) {
            return None;
        }
        if upper.is_none() && (has_upper || has_lower) && !(has_upper && has_lower) {
            upper = Some(has_upper);
        }
        if glued_right(text, te) {
            break;
        }
        if buf.len() >= IBAN_MIN {
            candidates.push((buf.len(), te));
        }
    }
    if let Some(len) = expected
        && let Some(&(_, end)) = candidates
            .iter()
            .find(|&&(l, _)| l == len && iban_mod97(&buf[..l]))
    {
        return Some(end);
    }
    // Any other length: the longest valid one, if its account part is mostly digits (every
    // published format is), so that a code followed by short words is not taken for an IBAN.
    candidates
        .iter()
        .rev()
        .find(|&&(l, _)| {
            let digits = buf[4..l].iter().filter(|c| c.is_ascii_digit()).count();
            2 * digits >= l - 4 && iban_mod97(&buf[..l])
        })
        .map(|&(_, end)| end)
}

// ---------------------------------------------------------------------------------------------
// Stage 2: partite IVA
// ---------------------------------------------------------------------------------------------

/// Italian VAT number check: digits in odd positions as they are, digits in even positions
/// doubled (minus 9 above 9); the last digit brings the sum to a multiple of 10.
fn partita_iva_valid(digits: &[u8]) -> bool {
    if digits.len() != 11 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if digits.iter().all(|&d| d == b'0') {
        return false;
    }
    let mut sum = 0;
    for (i, &d) in digits[..10].iter().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    (10 - sum % 10) % 10 == u32::from(digits[10] - b'0')
}

fn find_partite_iva(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let tokens = ascii_tokens(text);
    let bytes = text.as_bytes();
    for (i, &(s, e)) in tokens.iter().enumerate() {
        if glued_left(text, s) || glued_right(text, e) {
            continue;
        }
        let token = &bytes[s..e];
        let digits = match token.len() {
            11 => token,
            13 if token[..2].eq_ignore_ascii_case(b"IT") => &token[2..],
            _ => continue,
        };
        if !partita_iva_valid(digits) {
            continue;
        }
        let mut start = s;
        if token.len() == 11 && i > 0 {
            let (ps, pe) = tokens[i - 1];
            if &bytes[ps..pe] == b"IT"
                && !glued_left(text, ps)
                && matches!(&text[pe..s], " " | "\u{A0}")
            {
                start = ps;
            }
        }
        // The cue is read before the digits (an "IT" prefix counts as one of the words), so
        // that it does not change if a later stage takes that "IT" for something else.
        match cue_before(text, s + token.len() - digits.len()) {
            Some(Cue::Negative) => continue,
            // "tel. 06123456789": leave it to the phone stage.
            Some(Cue::Phone) if matches!(digits[0], b'0' | b'3') => continue,
            _ => {}
        }
        spans.push(Span::new(start, e, Kind::PartitaIva));
    }
    spans
}

// ---------------------------------------------------------------------------------------------
// Context cues for numbers
// ---------------------------------------------------------------------------------------------

/// What the words just before a number say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cue {
    /// A protocol, practice, law, article, amount… number: not personal data.
    Negative,
    /// A phone number ("tel.", "cellulare", …).
    Phone,
    /// A VAT number ("P.IVA", "VAT").
    Vat,
}

/// Words announcing a number that is not a phone number.
static NEGATIVE_CUES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    word_set(
        "\
        protocollo prot protocolli pratica pratiche ticket matricola fattura ricevuta legge lgs
        dlgs decreto dpr dpcm art artt articolo articoli comma circolare messaggio codice cod
        pin iban cap sentenza ricorso rg verbale delibera raccomandata rif riferimento
        identificativo id progressivo conto cc euro eur importo cro trn posizione isee dsu
        modello mod ordinanza determina repertorio allegato sr41 sr43 protocollata",
    )
});

/// Words announcing a phone number.
static PHONE_CUES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    word_set(
        "\
        tel telef telefono telefonico telefonica telefonicamente cell cel cellulare cellulari
        mobile recapito recapiti chiamare chiamatemi chiamarmi richiamare richiamatemi
        richiamarmi contattare contattarmi contattatemi ricontattare ricontattarmi whatsapp fax
        phone telephone call sms",
    )
});

/// Words announcing a VAT number.
const VAT_CUES: &[&str] = &["iva", "piva", "vat"];
/// "n.", "numero"…: with "domanda", a practice number.
const NUMBER_WORDS: &[&str] = &["n", "nr", "num", "numero", "no"];

/// Looks at the (up to) four words before `pos`, nearest first.
fn cue_before(text: &str, pos: usize) -> Option<Cue> {
    let mut words: Vec<(usize, usize)> = Vec::with_capacity(4);
    let mut word_end: Option<usize> = None;
    let mut chars = text[..pos].char_indices().rev();
    loop {
        let next = chars.next();
        match next {
            Some((i, c)) if is_word_char(c) => {
                if word_end.is_none() {
                    word_end = Some(i + c.len_utf8());
                }
            }
            _ => {
                if let Some(we) = word_end.take() {
                    let ws = next.map_or(0, |(i, c)| i + c.len_utf8());
                    words.push((ws, we));
                    if words.len() == 4 {
                        break;
                    }
                }
                if next.is_none() {
                    break;
                }
            }
        }
    }
    let lowered: Vec<String> = words
        .iter()
        .map(|&(s, e)| lower_word(&text[s..e]))
        .collect();
    let has_number_word = lowered.iter().any(|w| NUMBER_WORDS.contains(&w.as_str()));
    for (k, w) in lowered.iter().enumerate() {
        let w = w.as_str();
        if PHONE_CUES.contains(w) {
            return Some(Cue::Phone);
        }
        if NEGATIVE_CUES.contains(w) {
            return Some(Cue::Negative);
        }
        if VAT_CUES.contains(&w) {
            return Some(Cue::Vat);
        }
        if w == "domanda" && has_number_word {
            return Some(Cue::Negative);
        }
        // "INPS.0031.2021.0012345": a protocol number.
        if k == 0 && w == "inps" && &text[words[0].1..pos] == "." {
            return Some(Cue::Negative);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Stage 3: people's names
// ---------------------------------------------------------------------------------------------

/// A regex that opens with `\b` and a letter in every alternative, run only where such a match
/// can begin: at the start of a word, as the regex reads words (`\w`). Anchored there, it finds
/// the same leftmost-first matches as a scan of the whole text. With Unicode `\b` the lazy DFA
/// gives up at the first non-ASCII byte, so on a text with accents a scan ran the backtracker
/// from every position of the text; an anchored search runs only over the few characters a
/// match could take.
struct WordStartRegex {
    regex: regex_automata::meta::Regex,
    #[cfg(test)]
    pattern: String,
}

impl WordStartRegex {
    fn new(pattern: &str) -> Self {
        WordStartRegex {
            regex: regex_automata::meta::Regex::new(pattern).expect("valid built-in regex"),
            #[cfg(test)]
            pattern: pattern.to_string(),
        }
    }

    /// The matches in `text`, leftmost first and not overlapping, with their groups.
    fn captures_iter(&self, text: &str) -> Vec<Captures> {
        let mut found = Vec::new();
        let mut caps = self.regex.create_captures();
        self.at_word_starts(text, |input| {
            self.regex.search_captures(input, &mut caps);
            let end = caps.get_match().map(|m| m.end());
            if end.is_some() {
                found.push(std::mem::replace(&mut caps, self.regex.create_captures()));
            }
            end
        });
        found
    }

    /// The matches in `text`, leftmost first and not overlapping.
    fn find_iter(&self, text: &str) -> Vec<regex_automata::Match> {
        let mut found = Vec::new();
        self.at_word_starts(text, |input| {
            let m = self.regex.search(input)?;
            found.push(m);
            Some(m.end())
        });
        found
    }

    /// Calls `search` with an anchored input at each word start that no match found so far
    /// covers; `search` returns the end of the match it found there, if any.
    fn at_word_starts(&self, text: &str, mut search: impl FnMut(&Input) -> Option<usize>) {
        let mut from = 0;
        let mut after_word = false;
        for (i, c) in text.char_indices() {
            let word = crate::text::is_regex_word_char(c);
            if word && !after_word && i >= from {
                let input = Input::new(text).range(i..).anchored(Anchored::Yes);
                if let Some(end) = search(&input) {
                    from = end;
                }
            }
            after_word = word;
        }
    }
}

/// Phrases that introduce a name. `lower`: phrases after which a lowercase name is believed too
/// ("mi chiamo mario rossi").
static INTRO: LazyLock<WordStartRegex> = LazyLock::new(|| {
    WordStartRegex::new(
        r"(?i)\b(?:(?P<lower>mi[ \t]+chiamo|il[ \t]+mio[ \t]+nome[ \t]+(?:è|é|e['’`]?)|my[ \t]+name[ \t]+is)|(?:(?:il|la|lo|io|i|le|noi)[ \t]+)?sottoscritt[oaie](?:[ \t]*/[ \t]*[oaie]|[ \t]*\([oaie]\))?|nome[ \t]+e[ \t]+cognome|cognome[ \t]+e[ \t]+nome|nominativo|firmato|(?:nome|cognome)[ \t]*:)",
    )
});

/// Weaker introductions: relatives ("mia moglie", "figlio di"), "intestato a", "sono", "I am".
/// Only Title-case names are believed after them (not ALL CAPS, where "MIA MADRE PERCEPISCE"
/// would look like a name); after `two` ("sono Mario Rossi") at least two name words.
static WEAK_INTRO: LazyLock<WordStartRegex> = LazyLock::new(|| {
    WordStartRegex::new(
        r"(?i)\b(?:(?P<two>(?:io[ \t]+)?sono|i[ \t]+am|i['’]m)|(?P<rel>(?:mi[oa]|suo|sua|nostr[oa])[ \t]+(?:figli[oa]|moglie|marito|madre|padre|mamma|papà|fratello|sorella|compagn[oa]|convivente|nonn[oa]|zi[oa]|nipote|suocer[oa]|cognat[oa]|genero|nuora|coniuge|datore[ \t]+di[ \t]+lavoro|datrice[ \t]+di[ \t]+lavoro))|(?:figli[oa]|vedov[oa]|coniuge|moglie|marito|madre|padre|genitore|erede|nipote)[ \t]+(?:di|del|della|dello)|intestat[oaie][ \t]+a|a[ \t]+nome[ \t]+di|per[ \t]+conto[ \t]+di|(?:il|la)[ \t]+richiedente|(?:il|la)[ \t]+signor[ea]?|(?:il|la)[ \t]+defunt[oa])\b",
    )
});

const TITLES: &str = r"sig\.ra|sig\.na|sigg\.|sig\.|signora|signorina|signor|sig|dott\.ssa|dottoressa|dott\.|dottor|dott|dr\.ssa|dr\.|dr|avv\.to|avv\.|avvocato|avv|prof\.ssa|prof\.|professoressa|professor|prof|ing\.|rag\.|geom\.|mr\.|mr|mrs\.|mrs|ms\.";

/// Courtesy and professional titles, anywhere.
static TITLE: LazyLock<WordStartRegex> =
    LazyLock::new(|| WordStartRegex::new(&format!(r"(?i)\b(?:{TITLES})")));
/// The same, at the start of the haystack.
static TITLE_AT: LazyLock<Regex> = LazyLock::new(|| compile(&format!(r"(?i)^(?:{TITLES})")));

/// Closing formulas after which a signature may follow.
static CLOSING: LazyLock<WordStartRegex> = LazyLock::new(|| {
    WordStartRegex::new(
        r"(?i)\b(?:distinti[ \t]+saluti|cordiali[ \t]+saluti|saluti[ \t]+cordiali|cordiali[ \t]+salute|cordialità|cordialmente|distintamente|un[ \t]+cordiale[ \t]+saluto|un[ \t]+saluto|cari[ \t]+saluti|saluti|in[ \t]+fede|grazie(?:[ \t]+(?:mille|anticipatamente|in[ \t]+anticipo|ancora|infinite))?|vi[ \t]+ringrazio|ringrazio(?:[ \t]+anticipatamente)?|best[ \t]+regards|kind[ \t]+regards|regards|thank[ \t]+you|thanks|sincerely|firma)\b",
    )
});

/// One word of a name: letters (and combining marks), inner apostrophes and hyphens.
static NAME_WORD: LazyLock<Regex> =
    LazyLock::new(|| compile(r"^[\p{L}\p{M}]+(?:['’\-][\p{L}\p{M}]+)*"));

/// Particles inside surnames ("De Luca", "La Rosa", "van Basten"), lowercase.
static PARTICLES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    word_set(
        "\
        de di da del della dello dei degli delle dal dalla lo la li le van von der den du dos
        mac st san santa santo",
    )
});

/// Particles that also count when written in lowercase.
const LOWER_PARTICLES: &[&str] = &["de", "van", "von", "der", "den", "du", "dos"];

/// Words that end a name: keywords that follow names in requests, function words and frequent
/// verbs, greetings and closings, institutions, roles, titles, months, English function words,
/// words of mail-client footers and forwarded headers ("Inviato dal mio smartphone", "Messaggio
/// originale"), which follow the text on the same line when a form or app has flattened its
/// lines (lowercase, apostrophes as ').
static NAME_STOP: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    word_set(
        "\
        nato nata nati nate residente residenti domiciliato domiciliata codice fiscale cf c
        chiede chiedo chiedono richiede dichiara dichiaro comunica espone premesso in qualità
        qualita titolare dipendente cognome nome tel telefono cell cellulare email mail pec iban
        piva iva partita matricola pratica protocollo prot ticket domanda n nr numero via viale
        piazza corso e ed o od a ad al allo alla ai agli alle con per su sul sulla che chi il i
        gli un uno una nel nella nei negli dai ma se non ho ha hanno sono sei è e' era ero sto
        sta abito vivo lavoro vorrei volevo voglio scrivo avrei faccio devo posso mi ti ci si vi
        io tu lui lei noi voi loro mio mia suo sua questo questa come quando dove perché perche
        anche già gia sempre ancora oggi ieri domani qui tramite presso ex fu tutti buongiorno
        buonasera buona buon salve ciao gentile gentili gentilissimo gentilissima gentilissimi
        spett spettabile egregio egregi egregia caro cara cari grazie saluti saluto distinti
        cordiali cordialmente distintamente mille arrivederci anticipatamente attendo resto fede
        firma firmato inps inail istituto sede ufficio uffici ente patronato caf direzione
        direttore direttrice responsabile funzionario operatore operatrice presidente stato
        italia repubblica comune regione provincia ministero agenzia entrate azienda ditta
        società societa srl spa snc sas coop cooperativa studio lavoratore lavoratrice
        lavoratori pensionato pensionata disoccupato disoccupata richiedente cittadino cittadina
        genitore madre padre figlio figlia marito moglie commercialista consulente medico
        avvocato oggetto richiesta sollecito ricorso naspi dis coll isee rdc adi cig cigo cigs
        fis cud cu modello allegato allegati nessuno niente tutto ok tante tanto tantissime
        davvero infinite infinitamente cuore molte anticipo buonissima giornata serata lavoro
        attenzione disponibilità sig sigg sigra signor signore signora signorina dott dottor
        dottore dottoressa dr avv avvocato prof professore professoressa ing ingegnere rag
        ragioniere geom geometra mr mrs ms egr gent gentilissimo spett.le spettle gennaio
        febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre
        lunedì martedì mercoledì giovedì venerdì sabato domenica the and am is from born living
        my of dear hello thanks regards best kind sincerely i'm im to at inviato inviata
        inoltrato inoltrata messaggio originale smartphone iphone ipad android sent
        lavora lavorano lavorava lavoravano fa fanno faceva facevano fatto vive vivono viveva
        prende prendono prendeva compie compiuto deve devono doveva vuole vogliono vorrebbe
        può puo possono potrebbe va vanno andava stata stati state abbiamo avete aveva avevano
        stanno stava stavano erano siamo siete passati passato questi queste quei quel quello
        quella stessa stesso stessi due tre",
    )
});

/// Words of origin (nationalities, peoples, faiths), lowercase, that follow "sono", "I am" or
/// "mia moglie" as a description, not as a name ("I am Sri Lankan", "mia moglie Rumena").
/// Italian adjectives are written as stems: "marocchin" stands for marocchino, -a, -i, -e,
/// "albanes" for albanese, -i. Surnames and given names that are also such words ("Russo",
/// "Greco", "Cristiana") are taken out: after an introduction they are a name first.
static ORIGINS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    const ITALIAN_O: &str = "\
        italian marocchin rumen ucrain filippin indian pakistan egizian nigerian tunisin
        peruvian ecuadorian moldav srilankan polacc brasilian russ macedon bulgar serb
        kosovar eritre somal etiop argentin colombian venezuelan dominican cuban tedesc spagnol
        american britannic capoverdian georgian turc afghan sirian irachen iranian algerin
        egizi gambian malian ivorian bosniac croat grec belg svizzer austriac musulman cristian
        ortodoss sikh cattolic bolivian cilen messican europe african asiatic latinoamerican
        sudamerican";
    const ITALIAN_E: &str = "\
        albanes senegales cines frances ingles bangles bengales singales irlandes scozzes
        giappones vietnamit thailandes cingales burkinab ghanes portoghes camerunens congoles
        sudanes nepales olandes";
    const OTHERS: &str = "\
        albanian romanian moroccan chinese ukrainian filipino filipina filipinos indian
        bangladeshi pakistani egyptian nigerian senegalese tunisian peruvian ecuadorian
        ecuadorean moldovan sri sinhalese tamil ghanaian polish brazilian russian eritrean
        somali ethiopian british english irish scottish welsh american canadian australian
        german french spanish portuguese italian gambian malian ivorian cameroonian congolese
        sudanese afghan syrian iraqi iranian turkish georgian kosovar serbian macedonian
        bulgarian punjabi sikh muslim christian catholic dominican colombian venezuelan
        argentinian argentine cuban bolivian chilean mexican dutch belgian swiss austrian greek
        croatian bosnian kenyan ugandan nepali nepalese vietnamese thai japanese korean libyan
        algerian guinean togolese beninese european african asian cape verdean lankan";
    let mut words = HashSet::new();
    for stem in ITALIAN_O.split_whitespace() {
        words.extend(["o", "a", "i", "e"].map(|end| format!("{stem}{end}")));
        // "tedesc" → tedeschi, tedesche; "belg" → belghe (unused forms are harmless)
        if stem.ends_with(['c', 'g']) {
            words.extend(["hi", "he"].map(|end| format!("{stem}{end}")));
        }
    }
    for stem in ITALIAN_E.split_whitespace() {
        words.extend(["e", "i"].map(|end| format!("{stem}{end}")));
    }
    words.extend(OTHERS.split_whitespace().map(str::to_string));
    // Common Italian surnames and given names that are also words of origin: a name first.
    const NAMES: &str = "\
        russo russi greco greci tedesco francese inglese albanese italiano spagnolo turco
        polacco olandese portoghese svizzero cristiano cristiana christian georgiana argentina
        indiana german thai tedeschi turchi spagnoli albanesi";
    for name in NAMES.split_whitespace() {
        words.remove(name);
    }
    words
});

/// True when every word of `span` is a word of origin ([`ORIGINS`]): "Sri Lankan", "Albanese
/// Ortodosso" describe; "Russo Giuseppe" (a surname that is also a nationality, then a first
/// name) names.
fn only_origin_words(span: &str) -> bool {
    span.split(|c: char| !(c.is_alphabetic() || matches!(c, '\'' | '’' | '-')))
        .filter(|w| !w.is_empty())
        .all(|w| ORIGINS.contains(&lower_word(w)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WordClass {
    /// Capitalised (or all-caps) word that can be part of a name.
    Name,
    /// Lowercase word: a name only right after "mi chiamo" and the like.
    Lower,
    /// A surname particle, or an initial: part of a name only if a name word follows.
    Pending,
    /// Ends the name.
    Stop,
}

/// Words that end a name (lowercase). Cue words too: the name stage must not hide them from the
/// number stages before it.
fn is_name_stop(lower: &str) -> bool {
    NAME_STOP.contains(lower)
        || NEGATIVE_CUES.contains(lower)
        || PHONE_CUES.contains(lower)
        || NUMBER_WORDS.contains(&lower)
        || VAT_CUES.contains(&lower)
}

fn classify_word(word: &str, next: Option<char>) -> WordClass {
    let lower = lower_word(word);
    let first = word.chars().next().unwrap_or(' ');
    if PARTICLES.contains(lower.as_str())
        && (first.is_uppercase() || LOWER_PARTICLES.contains(&lower.as_str()))
    {
        return WordClass::Pending;
    }
    if is_name_stop(&lower) {
        return WordClass::Stop;
    }
    // "Rossi-Bianchi" yes, "Mario-protocollo" no.
    if lower.contains(['-', '\'']) && lower.split(['-', '\'']).any(is_name_stop) {
        return WordClass::Stop;
    }
    if first.is_uppercase() {
        if word.chars().count() == 1 {
            return if next == Some('.') {
                WordClass::Pending
            } else {
                WordClass::Stop
            };
        }
        return WordClass::Name;
    }
    // "d'Amico", "dell'Acqua", "Giuseppe dall'Ara" (a lowercase "dall'" that would start a
    // name after a weak introduction is "from": see [`parse_name`]).
    if let Some((head, tail)) = word.split_once(['\'', '’'])
        && matches!(
            lower_word(head).as_str(),
            "d" | "de" | "dell" | "dall" | "degl" | "l"
        )
        && tail.chars().next().is_some_and(char::is_uppercase)
    {
        return WordClass::Name;
    }
    if first.is_lowercase() {
        WordClass::Lower
    } else {
        WordClass::Stop
    }
}

/// Which words [`parse_name`] believes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NameRule {
    /// Lowercase words too (up to two), as in "mi chiamo mario rossi".
    allow_lower: bool,
    /// Only Title-case words ("Rossi", not "ROSSI").
    title_case: bool,
    /// Fewest name words.
    min_names: usize,
}

const NAME_STRONG: NameRule = NameRule {
    allow_lower: false,
    title_case: false,
    min_names: 1,
};

/// Reads the name that starts at `start`: up to four name words, separated by spaces, with
/// particles and initials between them. Returns its byte range.
fn parse_name(text: &str, start: usize, rule: NameRule) -> Option<(usize, usize)> {
    let allow_lower = rule.allow_lower;
    let mut p = start;
    let mut end = None;
    let mut names = 0;
    let mut lowers = 0;
    for _ in 0..8 {
        let Some(m) = NAME_WORD.find(&text[p..]) else {
            break;
        };
        let word_end = p + m.end();
        let next = char_after(text, word_end);
        let class = classify_word(m.as_str(), next);
        let word_end = match class {
            WordClass::Pending if next == Some('.') => word_end + 1,
            _ => word_end,
        };
        // A word glued to digits or underscores is no name.
        if glued_right(text, word_end) {
            break;
        }
        // "mia suocera dall'Albania": where from, not a surname ("Dall'Ara", "Giuseppe dall'Ara")
        let from = rule.title_case
            && names == 0
            && (m.as_str().starts_with("dall'") || m.as_str().starts_with("dall’"));
        match class {
            WordClass::Stop => break,
            WordClass::Name if from => break,
            WordClass::Name => {
                if names == 4 || (rule.title_case && !m.as_str().chars().any(char::is_lowercase)) {
                    break;
                }
                names += 1;
                end = Some(word_end);
            }
            WordClass::Lower => {
                if !allow_lower || lowers == 2 || names == 4 {
                    break;
                }
                lowers += 1;
                names += 1;
                end = Some(word_end);
            }
            WordClass::Pending => {
                // An initial must be followed by a space ("C.F." is no initial).
                if text[..word_end].ends_with('.')
                    && !char_after(text, word_end).is_some_and(is_hspace)
                {
                    break;
                }
            }
        }
        let q = skip_hspace(text, word_end);
        if q == word_end || q >= text.len() {
            break;
        }
        p = q;
    }
    if names < rule.min_names {
        return None;
    }
    end.map(|e| (start, e))
}

/// If a title ("Sig.", "Dott.ssa", …) starts at `pos`, the position after it and its spaces.
fn skip_title_at(text: &str, pos: usize) -> Option<usize> {
    let m = TITLE_AT.find(&text[pos..])?;
    title_end(text, pos + m.end())
}

/// Checks what follows a title ending at `end`; returns where the name would start.
fn title_end(text: &str, end: usize) -> Option<usize> {
    let next = char_after(text, end)?;
    let dotted = text[..end].ends_with('.');
    if is_hspace(next) {
        Some(skip_hspace(text, end))
    } else if dotted && next.is_uppercase() {
        Some(end)
    } else {
        None
    }
}

/// Start offset of the `n`-th last non-empty line (0 when there are fewer).
fn tail_lines_start(text: &str, n: usize) -> usize {
    let mut end = text.len();
    let mut count = 0;
    loop {
        let start = text[..end].rfind('\n').map_or(0, |i| i + 1);
        if !text[start..end].trim().is_empty() {
            count += 1;
            if count == n {
                return start;
            }
        }
        if start == 0 {
            return 0;
        }
        end = start - 1;
    }
}

/// The names in `text` (the persons stage on its own, for tests).
#[cfg(test)]
fn find_persons(text: &str) -> Vec<Span> {
    find_persons_in(text, &lowercase(text), true)
}

/// The names in `text`, with `lower` = `text` lowercased; `gated: false` runs every name regex
/// whose cue is present, to check that the [`cue_before_capital`] gate never changes the
/// result.
fn find_persons_in(text: &str, lower: &str, gated: bool) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut push = |range: Option<(usize, usize)>| {
        if let Some((s, e)) = range {
            spans.push(Span::new(s, e, Kind::Persona));
        }
    };
    // Introduced names.
    // Each regex is built and run only when one of its cue words is in the text.
    let present = cues_present(lower);
    let cued = |cues: &Cues| present[cues.0];
    let words = Words::new(text, lower);
    let intro = cued(&INTRO_SET)
        .then(|| INTRO.captures_iter(text))
        .into_iter()
        .flatten();
    for caps in intro {
        let m = caps.get_match().expect("whole match");
        let allow_lower = caps.get_group_by_name("lower").is_some();
        let colon = text[m.range()].ends_with(':');
        let mut p = m.end();
        if !colon && glued_right(text, p) {
            continue;
        }
        let q = skip_hspace(text, p);
        let mut moved = q > p || colon;
        p = q;
        if text[p..].starts_with(':') {
            p = skip_hspace(text, p + 1);
            moved = true;
        }
        if !moved {
            continue;
        }
        if let Some(after_title) = skip_title_at(text, p) {
            p = after_title;
        }
        let rule = NameRule {
            allow_lower,
            ..NAME_STRONG
        };
        push(parse_name(text, p, rule));
    }
    let weak = (cued(&WEAK_INTRO_SET)
        && (!gated || cue_before_capital(&words, &WEAK_INTRO_SET, WEAK_INTRO_REACH)))
    .then(|| WEAK_INTRO.captures_iter(text))
    .into_iter()
    .flatten();
    for caps in weak {
        let m = caps.get_match().expect("whole match");
        let p = skip_hspace(text, m.end());
        if p == m.end() {
            continue;
        }
        let rule = NameRule {
            allow_lower: false,
            title_case: true,
            min_names: if caps.get_group_by_name("two").is_some() {
                2
            } else {
                1
            },
        };
        // A title after the introduction is dealt with by the title rule below; "I am Sri
        // Lankan" describes, it does not name.
        if skip_title_at(text, p).is_none() {
            // only "sono", "I am" and "mia moglie" can be followed by a description
            let describes =
                caps.get_group_by_name("two").is_some() || caps.get_group_by_name("rel").is_some();
            push(
                parse_name(text, p, rule)
                    .filter(|&(s, e)| !(describes && only_origin_words(&text[s..e]))),
            );
        }
    }
    // Titles.
    let titles = (cued(&TITLE_SET)
        && (!gated || cue_before_capital(&words, &TITLE_SET, TITLE_REACH)))
    .then(|| TITLE.find_iter(text))
    .into_iter()
    .flatten();
    for m in titles {
        if let Some(p) = title_end(text, m.end()) {
            push(parse_name(text, p, NAME_STRONG));
        }
    }
    // Signatures at the end of the message.
    let closing_zone = tail_lines_start(text, 5);
    let name_zone = tail_lines_start(text, 4);
    // closings are looked for in the last lines only, so the gate reads those
    let tail = &text[closing_zone..];
    let closings = (cued(&CLOSING_SET)
        && (!gated || {
            let tail_lower = lowercase(tail);
            cue_before_capital(&Words::new(tail, &tail_lower), &CLOSING_SET, CLOSING_REACH)
        }))
    .then(|| CLOSING.find_iter(&text[closing_zone..]))
    .into_iter()
    .flatten();
    for m in closings {
        let after = closing_zone + m.end();
        let skipped = text[after..]
            .find(|c: char| !(is_hspace(c) || ".,!:;-–\r\n".contains(c)))
            .unwrap_or(text.len() - after);
        let own_line = text[after..after + skipped].contains('\n');
        let mut p = after + skipped;
        if p < name_zone || p >= text.len() {
            continue;
        }
        if let Some(after_title) = skip_title_at(text, p) {
            p = after_title;
        }
        let Some((s, e)) = parse_name(text, p, NAME_STRONG) else {
            continue;
        };
        let rest = text[e..].trim_start_matches(is_hspace);
        let rest_end = rest
            .strip_prefix(['.', '!'])
            .unwrap_or(rest)
            .trim_start_matches(is_hspace);
        let line_ends = rest_end.is_empty()
            || rest_end.starts_with(['\n', '\r'])
            || starts_with_footer(rest_end);
        let separated = own_line && rest.starts_with([',', ';', '(', '-', '–', '|', '/']);
        if line_ends || separated {
            push(Some((s, e)));
        }
    }
    spans
}

/// Whether `text` begins with a mail client's footer or a forwarded message's header, which
/// ends a signature's line as a line break would ("Cordiali saluti Mario Rossi Inviato da
/// iPhone", from a form or app that flattened the message's lines).
fn starts_with_footer(text: &str) -> bool {
    const FOOTERS: &[&str] = &[
        "inviato da",
        "inviata da",
        "sent from",
        "inoltrato da",
        "messaggio originale",
        "-----",
    ];
    let head: String = text.chars().take(24).flat_map(char::to_lowercase).collect();
    FOOTERS.iter().any(|f| head.starts_with(f))
}

/// How far after a cue the name it introduces can begin.
#[derive(Clone, Copy)]
struct NameReach {
    /// Words after the cue's word within which the name begins.
    words: usize,
    /// The words before the name are plain words (letters and apostrophes only), as in the weak
    /// introductions' regex ("mia datrice di lavoro Anna"): punctuation breaks the chain.
    plain_between: bool,
}

/// A name is read over at most eight words (`parse_name`), lowercase particles and initials
/// first ("de van Luca"). Weak introductions span at most four words ("mia datrice di lavoro"):
/// three after the cue's word, then the name's eight, and a margin.
const WEAK_INTRO_REACH: NameReach = NameReach {
    words: 12,
    plain_between: true,
};
/// A title is followed by the name, perhaps after the rest of the title ("Sig. ra").
const TITLE_REACH: NameReach = NameReach {
    words: 10,
    plain_between: false,
};
/// A closing formula spans at most four words ("grazie in anticipo ancora"), then perhaps a
/// title of two, then the name; punctuation and line breaks may come between.
const CLOSING_REACH: NameReach = NameReach {
    words: 15,
    plain_between: false,
};

/// A text's whitespace-separated words, as written and lowercased (as many: lowercasing never
/// makes or removes whitespace).
struct Words<'a> {
    written: Vec<&'a str>,
    lower: Vec<&'a str>,
    lower_text: &'a str,
}

impl<'a> Words<'a> {
    /// `lower` is `text.to_lowercase()`.
    fn new(text: &'a str, lower: &'a str) -> Self {
        if text.is_ascii() && lower.is_ascii() && lower.len() == text.len() {
            // an ASCII text's lowercase has its words at the same offsets: split once
            let written: Vec<&str> = text.split_whitespace().collect();
            let base = text.as_ptr() as usize;
            let lower_words = written
                .iter()
                .map(|w| {
                    let start = w.as_ptr() as usize - base;
                    &lower[start..start + w.len()]
                })
                .collect();
            return Words {
                written,
                lower: lower_words,
                lower_text: lower,
            };
        }
        Words {
            written: text.split_whitespace().collect(),
            lower: lower.split_whitespace().collect(),
            lower_text: lower,
        }
    }

    /// Indices of the words that hold one of `cues` (a one-word cue anywhere in the word; a
    /// two-word cue ending this word and starting the next), in order.
    fn with_cue(&self, cues: &Cues) -> Vec<usize> {
        let base = self.lower_text.as_ptr() as usize;
        let starts: Vec<usize> = self
            .lower
            .iter()
            .map(|w| w.as_ptr() as usize - base)
            .collect();
        // a one-word cue has no whitespace, so each match lies inside one word
        let mut found: Vec<usize> = cues
            .one_word()
            .find_iter(self.lower_text)
            .map(|m| starts.partition_point(|&s| s <= m.start()) - 1)
            .collect();
        for (i, word) in self.lower.iter().enumerate() {
            let next = self.lower.get(i + 1);
            if cues.two_words().iter().any(|&(head, tail)| {
                word.ends_with(head) && next.is_some_and(|n| n.starts_with(tail))
            }) {
                found.push(i);
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// True when one of `cues` is followed, within `reach`, by a word with a letter that is not
/// lowercase (anywhere: "dell'Acqua", "d'Amico"). After the weak introductions, titles and closing formulas only capitalised names
/// are believed, so without such a word their regex cannot find a name: it is neither built
/// nor run (building it is most of a cold start's redaction time).
fn cue_before_capital(words: &Words, cues: &Cues, reach: NameReach) -> bool {
    let capitalised = |word: &str| word.chars().any(|c| c.is_alphabetic() && !c.is_lowercase());
    let plain = |word: &str| {
        word.chars()
            .all(|c| c.is_alphabetic() || matches!(c, '\'' | '’' | '\u{300}'..='\u{36f}'))
    };
    let written = &words.written;
    let cued = words.with_cue(cues);
    if cued.is_empty() {
        return false;
    }
    // a word is read only when a cue reaches it, and once however many cues do
    let mut read: Vec<Option<(bool, bool)>> = vec![None; written.len()];
    let mut capital_plain = |j: usize| {
        *read[j].get_or_insert_with(|| {
            let word = written[j];
            (capitalised(word), reach.plain_between && plain(word))
        })
    };
    cued.into_iter().any(|i| {
        // the cue's own word counts past its first letter ("Sig.Rossi", "figlio:Marco")
        if written[i]
            .chars()
            .skip(1)
            .any(|c| c.is_alphabetic() && !c.is_lowercase())
        {
            return true;
        }
        for j in (i + 1..written.len()).take(reach.words) {
            let (capital, plain) = capital_plain(j);
            if capital {
                return true;
            }
            if reach.plain_between && !plain {
                return false;
            }
        }
        false
    })
}

// ---------------------------------------------------------------------------------------------
// Stage 4: dates of birth
// ---------------------------------------------------------------------------------------------

static BIRTH_DATE: LazyLock<Regex> = LazyLock::new(|| {
    let month = r"(?:gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre|january|february|march|april|may|june|july|august|september|october|november|december|genn?|febb?|mar|apr|mag|giu|lug|ago|sett?|ott|nov|dic|jan|jun|jul|aug|sept?|oct|dec)";
    let date = format!(
        r"(?P<date>[0-9]{{1,2}}[ \t]?[/.\-][ \t]?[0-9]{{1,2}}[ \t]?[/.\-][ \t]?(?:[0-9]{{4}}|[0-9]{{2}})|[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}|[0-9]{{1,2}}(?:°|º|st|nd|rd|th)?[ \t]+(?i:{month})\.?(?:[ \t]+(?i:del))?[ \t]+[0-9]{{4}}|(?i:{month})\.?[ \t]+[0-9]{{1,2}}(?:st|nd|rd|th)?,?[ \t]+[0-9]{{4}})"
    );
    // A birthplace: capitalised words with particles and a province, or one lowercase word.
    let place = r"(?:(?:\p{Lu}[\p{L}\p{M}'’.\-]*|\([A-Za-z]{2}\))(?:[ \t]+(?:\p{Lu}[\p{L}\p{M}'’.\-]*|di|de|dei|del|della|delle|dello|sul|sulla|sull['’][\p{L}]+|al|in|\([A-Za-z]{2}\))){0,5}|\p{Ll}[\p{L}\p{M}'’]*(?:[ \t]+\([A-Za-z]{2}\))?)";
    let context = format!(
        r"(?:\b(?i:nat[oaie])(?:[ \t]*/[ \t]*[oaie]|[ \t]*\([oaie]\))?(?:[ \t]+(?i:a|ad|in)[ \t]+{place})?[ \t]*,?[ \t]+(?:(?i:il[ \t]+giorno|il|in[ \t]+data(?:[ \t]+del)?|l['’]|addì|on)[ \t:]*)?|\b(?i:data[ \t]+e[ \t]+luogo[ \t]+di[ \t]+nascita|luogo[ \t]+e[ \t]+data[ \t]+di[ \t]+nascita|data[ \t]+(?:di[ \t]+)?nascita|nascita|date[ \t]+of[ \t]+birth|birth[ \t]?date|dob|d\.[ \t]?n\.|d/n)[ \t]*[:\-]?[ \t]*(?:{place}[ \t]*,[ \t]*)?(?:(?i:il|del|on)[ \t]+)?|\b(?i:born)(?:[ \t]+(?i:in)[ \t]+{place})?[ \t]*,?[ \t]+(?:(?i:on)[ \t]+)?)"
    );
    compile(&format!("{context}{date}"))
});

fn find_birth_dates(text: &str) -> Vec<Span> {
    // every match has a digit and a birth word: skip the (costly to build) regex otherwise
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let lower = lowercase(text);
    let cue = ["nat", "nascita", "born", "birth", "dob", "d.", "d/n"]
        .iter()
        .any(|c| lower.contains(c));
    if !cue {
        return Vec::new();
    }
    BIRTH_DATE
        .captures_iter(text)
        .filter_map(|caps| caps.name("date"))
        .filter(|d| !glued_right(text, d.end()) && !glued_left(text, d.start()))
        .map(|d| Span::new(d.start(), d.end(), Kind::DataNascita))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Stage 5: phone numbers
// ---------------------------------------------------------------------------------------------

/// A run of digit groups with their separators, possibly after an international prefix or an
/// area code in brackets.
static PHONE_RUN: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?:(?P<it>\([ \t]?(?:\+|00)?[ \t]?39[ \t]?\))[ \t\u{A0}]?|(?P<area>\(0[0-9]{1,3}\))[ \t\u{A0}]?|(?P<plus>\+)[ \t]?)?[0-9]+(?:(?:[ \t\u{A0}]?[./\-][ \t\u{A0}]?|[ \t\u{A0}]{1,2})[0-9]+)*",
    )
});

/// Public INPS contact-centre numbers: not personal data.
const INPS_NUMBERS: &[&str] = &["803164", "06164164"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    None,
    /// "(+39)", "(0039)".
    Italy,
    /// "+" and a country code in the digits.
    Plus,
}

/// Digit groups joined by punctuation ("06.1234.5678"); chunks are separated by spaces.
#[derive(Debug, Clone)]
struct Chunk {
    start: usize,
    end: usize,
    groups: Vec<(usize, usize)>,
    punct: Option<char>,
    usable: bool,
}

impl Chunk {
    /// How many digits the chunk holds.
    fn digit_count(&self) -> usize {
        self.groups.iter().map(|&(s, e)| e - s).sum()
    }
}

fn digits_of(text: &str, groups: &[(usize, usize)]) -> String {
    groups.iter().map(|&(s, e)| &text[s..e]).collect()
}

fn num(s: &str) -> u32 {
    s.parse().unwrap_or(u32::MAX)
}

fn is_year(s: &str) -> bool {
    s.len() == 4 && (s.starts_with("19") || s.starts_with("20"))
}

/// A chunk written like a date ("03/05/2021", "2021-05-03", "05/2021").
fn date_like(text: &str, groups: &[(usize, usize)]) -> bool {
    let g: Vec<&str> = groups.iter().map(|&(s, e)| &text[s..e]).collect();
    match g.as_slice() {
        [d, m, y] => {
            (d.len() <= 2
                && (1..=31).contains(&num(d))
                && m.len() <= 2
                && (1..=12).contains(&num(m))
                && (y.len() == 2 || y.len() == 4))
                || (y.len() <= 2 && m.len() <= 2 && d.len() == 4)
        }
        [m, y] => m.len() <= 4 && is_year(y),
        _ => false,
    }
}

/// Splits a phone run into chunks.
fn phone_chunks(text: &str, from: usize, to: usize) -> Vec<Chunk> {
    let mut chunks: Vec<Chunk> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = from;
    let mut prev_end: Option<usize> = None;
    while i < to {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let s = i;
        while i < to && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let group = (s, i);
        let sep = prev_end.map(|pe| &text[pe..s]);
        let punct: Vec<char> = sep
            .map(|sep| sep.chars().filter(|c| "./-".contains(*c)).collect())
            .unwrap_or_default();
        match chunks.last_mut() {
            Some(chunk)
                if !punct.is_empty() && !sep.is_some_and(|sep| sep.contains(['(', ')'])) =>
            {
                let p = punct[0];
                if punct.iter().any(|&c| c != p) || chunk.punct.is_some_and(|q| q != p) {
                    chunk.usable = false;
                }
                chunk.punct = Some(p);
                chunk.groups.push(group);
                chunk.end = i;
            }
            _ => chunks.push(Chunk {
                start: s,
                end: i,
                groups: vec![group],
                punct: None,
                usable: true,
            }),
        }
        prev_end = Some(i);
    }
    for chunk in &mut chunks {
        if chunk.groups.iter().any(|&(s, e)| e - s < 2) || date_like(text, &chunk.groups) {
            chunk.usable = false;
        }
    }
    chunks
}

/// True when the text after a number says it is an amount or a percentage.
fn money_after(text: &str, end: usize) -> bool {
    let rest = text[end..].trim_start_matches(is_hspace);
    if rest.starts_with(['€', '%', '$', '£']) {
        return true;
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphabetic())
        .take(6)
        .flat_map(char::to_lowercase)
        .collect();
    matches!(word.as_str(), "euro" | "eur" | "euri")
}

/// True when a currency symbol comes just before a number.
fn money_before(text: &str, start: usize) -> bool {
    text[..start]
        .trim_end_matches(is_hspace)
        .ends_with(['€', '$', '£'])
}

/// Whether the chunks `span` (with the run's prefix when it starts the run) form a phone number.
fn phone_shape(text: &str, chunks: &[Chunk], prefix: Prefix) -> bool {
    let puncts: HashSet<char> = chunks.iter().filter_map(|c| c.punct).collect();
    if puncts.len() > 1 {
        return false;
    }
    // Dates written with spaces: "03 05 2021", "05 2021".
    let singles: Vec<&str> = chunks
        .iter()
        .filter(|c| c.groups.len() == 1)
        .map(|c| &text[c.start..c.end])
        .collect();
    if singles.len() == chunks.len() {
        match singles.as_slice() {
            [d, m, y] if d.len() <= 2 && m.len() <= 2 && is_year(y) => return false,
            [m, y] if m.len() <= 2 && is_year(y) => return false,
            _ => {}
        }
    }
    let groups: Vec<(usize, usize)> = chunks.iter().flat_map(|c| c.groups.clone()).collect();
    let digits = digits_of(text, &groups);
    let national: &str = match prefix {
        Prefix::Italy => &digits,
        Prefix::Plus => match digits.strip_prefix("39") {
            Some(rest) => rest,
            None => return (8..=15).contains(&digits.len()),
        },
        Prefix::None => digits.strip_prefix("0039").unwrap_or(&digits),
    };
    if INPS_NUMBERS.contains(&national) {
        return false;
    }
    let bytes = national.as_bytes();
    match bytes.first() {
        Some(b'3') => (9..=10).contains(&bytes.len()),
        Some(b'0') => (6..=11).contains(&bytes.len()) && bytes.get(1) != Some(&b'0'),
        _ => false,
    }
}

fn find_phones(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return spans;
    }
    for caps in PHONE_RUN.captures_iter(text) {
        let m = caps.get(0).expect("whole match");
        let (prefix, digits_from) = if let Some(it) = caps.name("it") {
            (Prefix::Italy, it.end())
        } else if let Some(plus) = caps.name("plus") {
            (Prefix::Plus, plus.end())
        } else {
            (Prefix::None, m.start())
        };
        let mut chunks = phone_chunks(text, digits_from, m.end());
        let Some(last) = chunks.len().checked_sub(1) else {
            continue;
        };
        // Glued to letters on the left ("X054 2811 …", the groups of a mistyped IBAN or some
        // other code): none of it is a phone ("+" and "(" are boundaries themselves). After the
        // decimal point of an amount ("1,5 …"), the first chunk is not.
        let before = char_before(text, m.start());
        let starts_with_digit = m.as_str().starts_with(|c: char| c.is_ascii_digit());
        if before.is_some_and(is_word_char) && starts_with_digit {
            continue;
        }
        let decimal_before = starts_with_digit
            && matches!(before, Some(',' | '.'))
            && text[..m.start() - 1]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_digit());
        if decimal_before {
            chunks[0].usable = false;
        }
        let after = &text[m.end()..];
        let decimal_after = after.starts_with([',', '.'])
            && after[1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit());
        // "[03/02 09:12]": the hour of a chat's time stamp (one or two digits, a colon, two
        // digits), not the end of a phone number
        let minutes = after.as_bytes();
        let hour_after = chunks[last].digit_count() <= 2
            && minutes.len() >= 3
            && minutes[0] == b':'
            && minutes[1..3].iter().all(u8::is_ascii_digit)
            && minutes.get(3).is_none_or(|b| !b.is_ascii_digit())
            // alone, or after the day and month ("03/02 09:12"), not after a phone's digit pairs
            && (last == 0 || chunks[last - 1].punct.is_some());
        if glued_right(text, m.end()) || decimal_after || hour_after {
            chunks[last].usable = false;
        }
        let mut i = 0;
        while i < chunks.len() {
            if !chunks[i].usable {
                i += 1;
                continue;
            }
            let run_prefix = if i == 0 { prefix } else { Prefix::None };
            let start = if i == 0 { m.start() } else { chunks[i].start };
            let mut ends = Vec::new();
            let mut count = 0;
            for (j, chunk) in chunks.iter().enumerate().skip(i) {
                if !chunk.usable {
                    break;
                }
                count += chunk.digit_count();
                if count > 17 {
                    break;
                }
                ends.push(j);
            }
            let found = ends.iter().rev().copied().find(|&j| {
                phone_shape(text, &chunks[i..=j], run_prefix) && !money_after(text, chunks[j].end)
            });
            match found {
                Some(j)
                    if cue_before(text, start).is_none_or(|c| c == Cue::Phone)
                        && !money_before(text, start) =>
                {
                    spans.push(Span::new(start, chunks[j].end, Kind::Telefono));
                    i = j + 1;
                }
                _ => i += 1,
            }
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use Kind::*;
    use proptest::prelude::*;

    #[test]
    fn title_case_verbs_after_a_relative_are_no_name() {
        // older people on a tablet Capitalise Every Word
        for text in [
            "Mio Figlio Lavora In Un Bar. Gli Spetta Qualcosa",
            "Mia Figlia Fa La Commessa E Prende Poco",
            "Mia Suocera Vive Sola Con 350 Euro",
            "Mio Nipote Compie 21 Anni A Maggio",
        ] {
            assert_eq!(redact(text).text, text);
        }
        assert_eq!(
            redact("Mio Figlio Marco Lavora In Un Bar").text,
            "Mio Figlio [PERSONA] Lavora In Un Bar"
        );
    }

    #[test]
    fn name_regexes_are_skipped_only_without_a_capital_after_the_cue() {
        let gate = |t: &str, cues: &Cues, reach: NameReach| {
            let lower = t.to_lowercase();
            cue_before_capital(&Words::new(t, &lower), cues, reach)
        };
        let run = |t: &str| gate(t, &WEAK_INTRO_SET, WEAK_INTRO_REACH);
        assert!(!run(
            "Mio figlio ha bisogno della patente. Quanto si aspetta?"
        ));
        assert!(!run("sono disoccupato da marzo"));
        assert!(run("sono Mario e scrivo per mia madre"));
        assert!(run("mia madre, la signora   Anna Bianchi"));
        assert!(run("scrivo a nome\tdi\nGiulia"));
        assert!(run("mia datrice di lavoro de Luca"));
        assert!(run("figlio:Marco"));
        assert!(run("MIO FIGLIO MARCO"));
        assert!(!run(""));
        let titles = |t: &str| gate(t, &TITLE_SET, TITLE_REACH);
        assert!(titles("Sig.Rossi"));
        assert!(titles("il dott. Verdi"));
        assert!(!titles("il dott. mi ha detto di scrivere"));
        let closing = |t: &str| gate(t, &CLOSING_SET, CLOSING_REACH);
        assert!(closing("Cordiali saluti,\n\nMario Rossi"));
        assert!(!closing("grazie mille e buona giornata"));
        assert!(!run("sono disoccupato, Roma mi sembra lontana"));
        assert!(run("per conto di mia sorella Lucia"));
    }

    #[test]
    fn the_name_gate_keeps_elided_surnames_and_long_particle_runs() {
        // found by review: capitals after an apostrophe, and particles beyond the first reach
        for text in [
            "Ho parlato con il dott. dell'Acqua ieri",
            "mia moglie d'Amico è malata",
            "grazie mille\nd'Amico",
            "Cordiali saluti, l'Abbate",
            "Sono la figlia del Sig. dell'Orto e chiedo la reversibilità",
            "scrivo per mia datrice di lavoro de van von der den du Rossi che non paga",
        ] {
            let found = find_persons(text);
            assert_eq!(
                found,
                find_persons_in(text, &lowercase(text), false),
                "{text}"
            );
            assert!(!found.is_empty(), "{text}");
        }
    }

    #[test]
    fn the_name_gate_changes_nothing_on_the_shipped_requests() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for file in ["data/requests.jsonl", "data/test.jsonl"] {
            for line in std::fs::read_to_string(root.join(file)).unwrap().lines() {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                let text = value["text"].as_str().unwrap();
                assert_eq!(
                    find_persons(text),
                    find_persons_in(text, &lowercase(text), false),
                    "{text}"
                );
                checked += 1;
            }
        }
        assert!(checked > 4000);
    }

    /// (sentence, kinds found in order, personal data that must be gone)
    type Positive = (&'static str, &'static [Kind], &'static [&'static str]);

    fn check_positives(kind: Kind, cases: &[Positive]) {
        assert!(
            cases.len() >= 15,
            "{kind:?}: only {} positive cases",
            cases.len()
        );
        for &(text, kinds, gone) in cases {
            assert!(kinds.contains(&kind), "{text}: case lists no {kind:?}");
            let r = redact(text);
            assert_eq!(r.found, kinds, "{text}\n→ {}", r.text);
            for datum in gone {
                assert!(
                    !r.text.contains(datum),
                    "{text}\n→ {} still has {datum}",
                    r.text
                );
            }
            for k in kinds {
                assert!(r.text.contains(k.placeholder()), "{text}\n→ {}", r.text);
            }
            assert_eq!(redact(&r.text).text, r.text, "not idempotent: {text}");
        }
    }

    fn check_negatives(kind: Kind, cases: &[&str]) {
        assert!(
            cases.len() >= 15,
            "{kind:?}: only {} negative cases",
            cases.len()
        );
        for &text in cases {
            let r = redact(text);
            assert_eq!(r.text, text, "{kind:?} negative changed");
            assert!(r.found.is_empty(), "{text}: {:?}", r.found);
        }
    }

    // ---- helpers computing fake, valid identifiers ----

    fn cf_with_check(first15: &str) -> String {
        let upper = first15.to_ascii_uppercase();
        let check = codice_fiscale_check(upper.as_bytes()).expect("ASCII letters and digits");
        format!("{upper}{}", check as char)
    }

    fn iban_with_check(country: &str, bban: &str) -> String {
        let probe = format!("{country}00{bban}").to_ascii_uppercase();
        let rotated: Vec<u8> = probe.bytes().skip(4).chain(probe.bytes().take(4)).collect();
        let mut rest: u32 = 0;
        for c in rotated {
            rest = match c {
                b'0'..=b'9' => (rest * 10 + u32::from(c - b'0')) % 97,
                _ => (rest * 100 + u32::from(c - b'A') + 10) % 97,
            };
        }
        format!("{}{:02}{}", country, 98 - rest, bban.to_ascii_uppercase())
    }

    fn spaced(iban: &str) -> String {
        iban.as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn fake_data_used_in_the_tables_is_valid() {
        for cf in [
            "RSSMRA80A01H501U",
            "VRDGPP65C12F205I",
            "BNCLRA72M45H501H",
            "DLCNMR58T62A662N",
            "RSSMRA80A01H5LMX",
            "RSSMRAUPALMHRQTI",
            "FRRLCU90E15L219A",
            "SPSNNA85S55F839S",
            "CSTFNC77H20D612C",
            "GLLMRC01B28G273W",
            "MRNSFN69P41C351O",
            "RCCPLA48L10A944N",
            "PRSLSN93D51H703F",
            "TRNGNN55A01Z404W",
            "BRNCHR83R63E506S",
            "CLMDNL70M12L736Z",
            "ZNNLCA99T70B354Q",
        ] {
            assert!(codice_fiscale_valid(cf.as_bytes()), "{cf}");
            assert_eq!(cf_with_check(&cf[..15]), cf);
        }
        for cf in [
            "RSSMRA80A01H501X",
            "VRDGPP65C12F205A",
            "RSSMRA80Z01H501U",
            "RSSMRA80A01H501",
        ] {
            assert!(!codice_fiscale_valid(cf.as_bytes()), "{cf}");
        }
        for iban in [
            "IT60X0542811101000000123456",
            "GB82WEST12345698765432",
            "DE89370400440532013000",
            "FR1420041010050500013M02606",
            "ES9121000418450200051332",
            "NL91ABNA0417164300",
            "BE68539007547034",
            "CH9300762011623852957",
            "AT611904300234573201",
            "IT66A0306909606100000012345",
            "IT48Z0200802435000104428964",
            "SM75X0606709800000060123456",
            "PT50000201231234567890154",
            "MT84MALT011000012345MTLCAST001S",
            "NO9386011117947",
            "PL61109010140000071219812874",
            "IE29AIBK93115212345678",
            "LU280019400644750000",
            "DK5000400440116243",
        ] {
            assert!(iban_mod97(iban.as_bytes()), "{iban}");
            assert_eq!(iban_with_check(&iban[..2], &iban[4..]), iban);
        }
        for iban in ["IT61X0542811101000000123456", "GB82WEST12345698765433"] {
            assert!(!iban_mod97(iban.as_bytes()), "{iban}");
        }
        for piva in [
            "12345678903",
            "01234567897",
            "07732140566",
            "02456781232",
            "10123456781",
            "03456789019",
            "06001234563",
            "09876543217",
            "11223344554",
            "05312400129",
            "02678912342",
            "01567812340",
            "08881234093",
            "04848484848",
            "02123456788",
        ] {
            assert!(partita_iva_valid(piva.as_bytes()), "{piva}");
        }
        for piva in ["12345678901", "00000000000", "0123456789", "1234567890a"] {
            assert!(!partita_iva_valid(piva.as_bytes()), "{piva}");
        }
    }

    // ---- codice fiscale ----

    #[test]
    fn codice_fiscale_table() {
        check_positives(
            CodiceFiscale,
            &[
                (
                    "Il mio codice fiscale è RSSMRA80A01H501U, potete verificare la NASpI?",
                    &[CodiceFiscale],
                    &["RSSMRA80A01H501U"],
                ),
                (
                    "Allego il documento, C.F.: VRDGPP65C12F205I.",
                    &[CodiceFiscale],
                    &["VRDGPP65C12F205I"],
                ),
                (
                    "codice fiscale bnclra72m45h501h, la domanda naspi l'ho fatta a marzo",
                    &[CodiceFiscale],
                    &["bnclra72m45h501h"],
                ),
                (
                    "Richiedente CF:DLCNMR58T62A662N, pratica di assegno unico",
                    &[CodiceFiscale],
                    &["DLCNMR58T62A662N"],
                ),
                (
                    "Il codice fiscale di mio figlio è RSSMRA80A01H5LMX perché c'era un caso di omocodia.",
                    &[CodiceFiscale],
                    &["RSSMRA80A01H5LMX"],
                ),
                (
                    "Vi scrivo per conto di mia madre (FRRLCU90E15L219A) che non riceve la pensione.",
                    &[CodiceFiscale],
                    &["FRRLCU90E15L219A"],
                ),
                (
                    "codice fiscale SpsNna85S55F839s scritto male sul modulo ma è questo",
                    &[CodiceFiscale],
                    &["SpsNna85S55F839s"],
                ),
                (
                    "IL MIO CODICE FISCALE È CSTFNC77H20D612C E NON RIESCO AD ACCEDERE",
                    &[CodiceFiscale],
                    &["CSTFNC77H20D612C"],
                ),
                (
                    "Mio CF GLLMRC01B28G273W, quello di mia moglie MRNSFN69P41C351O.",
                    &[CodiceFiscale, CodiceFiscale],
                    &["GLLMRC01B28G273W", "MRNSFN69P41C351O"],
                ),
                (
                    "Dati del richiedente:\nRCCPLA48L10A944N\nResidente a Bologna",
                    &[CodiceFiscale],
                    &["RCCPLA48L10A944N"],
                ),
                (
                    "Il codice fiscale n. PRSLSN93D51H703F risulta già registrato.",
                    &[CodiceFiscale],
                    &["PRSLSN93D51H703F"],
                ),
                (
                    "Per l'assegno sociale di mio padre «TRNGNN55A01Z404W» serve altro?",
                    &[CodiceFiscale],
                    &["TRNGNN55A01Z404W"],
                ),
                (
                    "Codice: BRNCHR83R63E506S; domanda di maternità presentata a gennaio.",
                    &[CodiceFiscale],
                    &["BRNCHR83R63E506S"],
                ),
                (
                    "In caso di omocodia totale il codice diventa RSSMRAUPALMHRQTI, è corretto?",
                    &[CodiceFiscale],
                    &["RSSMRAUPALMHRQTI"],
                ),
                (
                    "cf ZNNLCA99T70B354Q grazie mille per la risposta",
                    &[CodiceFiscale],
                    &["ZNNLCA99T70B354Q"],
                ),
                (
                    "Il cedolino intestato a CLMDNL70M12L736Z non è arrivato.",
                    &[CodiceFiscale],
                    &["CLMDNL70M12L736Z"],
                ),
            ],
        );
        check_negatives(
            CodiceFiscale,
            &[
                "Il mio codice fiscale è RSSMRA80A01H501X, ma il sistema dice che è errato.",
                "Ho scritto solo RSSMRA80A01H501 perché l'ultima lettera non si legge.",
                "Il codice VRDGPP65C12F205A viene rifiutato dal portale.",
                "Il modello SR41 del mese di aprile non è stato trasmesso.",
                "Non trovo il codice fiscale nel fascicolo previdenziale.",
                "RICHIESTA URGENTE DISOCCUPAZIONE AGRICOLA ANNO PRECEDENTE",
                "Il codice della prestazione è ABCDEF12G34H567I secondo la lettera.",
                "La sigla CIGO e la sigla CIGS indicano due casse integrazioni diverse.",
                "Mi avete mandato la comunicazione precipitevolissimevolmente sbagliata.",
                "Il mio username è MARIOROSSI1980XY ma non entra.",
                "Codice attività ATECO 47.11.40, ditta individuale.",
                "Ho ricevuto un SMS con il codice OTP 123456 ma è scaduto.",
                "Il PIN dispositivo non funziona più dopo l'aggiornamento.",
                "Vorrei sapere se la RDCARDFAMIGLIAXX va rinnovata.",
                "Sul cedolino c'è scritto TRATTENUTAIRPEF2 senza spiegazioni.",
                "Il codice RSSMRA80Z01H501U ha il mese sbagliato.",
            ],
        );
    }

    // ---- partita IVA ----

    #[test]
    fn partita_iva_table() {
        check_positives(
            PartitaIva,
            &[
                (
                    "Sono titolare di ditta individuale, P.IVA 12345678903, e chiedo l'indennità.",
                    &[PartitaIva],
                    &["12345678903"],
                ),
                (
                    "La mia partita iva n. 01234567897 è stata chiusa a dicembre.",
                    &[PartitaIva],
                    &["01234567897"],
                ),
                (
                    "VAT number IT07732140566, freelance translator registered in Italy.",
                    &[PartitaIva],
                    &["07732140566"],
                ),
                (
                    "Partita IVA IT 02456781232 regime forfettario.",
                    &[PartitaIva],
                    &["02456781232"],
                ),
                (
                    "P. IVA: 10123456781 – gestione separata, chiedo l'ISCRO.",
                    &[PartitaIva],
                    &["10123456781"],
                ),
                (
                    "La mia partita IVA (03456789019) risulta ancora aperta.",
                    &[PartitaIva],
                    &["03456789019"],
                ),
                (
                    "p.iva 06001234563 aperta nel 2019 come artigiano",
                    &[PartitaIva],
                    &["06001234563"],
                ),
                (
                    "Lavoro con partita iva 09876543217 come commerciante.",
                    &[PartitaIva],
                    &["09876543217"],
                ),
                ("Partita IVA: 11223344554.", &[PartitaIva], &["11223344554"]),
                (
                    "codice fiscale/partita IVA 05312400129 della mia impresa",
                    &[PartitaIva],
                    &["05312400129"],
                ),
                (
                    "PARTITA IVA 02678912342 CONTRIBUTI ARTIGIANI NON PAGATI",
                    &[PartitaIva],
                    &["02678912342"],
                ),
                (
                    "Forfettario con P.IVA 01567812340 dal 2021, ho diritto alla maternità?",
                    &[PartitaIva],
                    &["01567812340"],
                ),
                (
                    "Due attività: P.IVA 08881234093 e P.IVA 04848484848.",
                    &[PartitaIva, PartitaIva],
                    &["08881234093", "04848484848"],
                ),
                (
                    "Fatturo con la 02123456788 da anni e vorrei la pensione.",
                    &[PartitaIva],
                    &["02123456788"],
                ),
                (
                    "piva it12345678903 iscritta alla gestione commercianti",
                    &[PartitaIva],
                    &["12345678903"],
                ),
                (
                    "P.IVA:01234567897, contributi IVS da rateizzare",
                    &[PartitaIva],
                    &["01234567897"],
                ),
            ],
        );
        check_negatives(
            PartitaIva,
            &[
                "La mia P.IVA 12345678901 non viene accettata dal portale.",
                "La pratica n. 12345678903 è in istruttoria da tre mesi.",
                "Numero di protocollo 01234567897 del mese scorso.",
                "Ticket 10123456781 aperto al contact center, nessuna risposta.",
                "Il codice 1234567890 non compare nel cassetto previdenziale.",
                "Il riferimento 123456789012 è quello della raccomandata.",
                "Domanda n. 03456789019 respinta senza motivazione.",
                "Il numero INPS.12345678903 è quello della comunicazione.",
                "Ho la matricola 09876543217 ma non so cosa sia.",
                "Non ho ancora aperto la partita IVA, ho solo un contratto.",
                "La P.IVA 00000000000 compare per errore nel modulo.",
                "La fattura 11223344554 è stata pagata in ritardo.",
                "Il codice pratica 05312400129 non corrisponde.",
                "P.IVA 0123456789 (mi manca una cifra, la controllo).",
                "Importo di 12.345.678,90 euro mai ricevuto dall'azienda.",
                "Nel 2023 ho fatturato 45.000 euro con la partita IVA.",
            ],
        );
    }

    // ---- IBAN ----

    #[test]
    fn iban_table() {
        check_positives(
            Iban,
            &[
                (
                    "Il mio IBAN è IT60X0542811101000000123456, accreditate lì la NASpI.",
                    &[Iban],
                    &["IT60X0542811101000000123456"],
                ),
                (
                    "IBAN IT60 X054 2811 1010 0000 0123 456 GRAZIE",
                    &[Iban],
                    &["X054 2811", "0123 456"],
                ),
                (
                    "Conto in Inghilterra: GB82 WEST 1234 5698 7654 32, posso ricevere la pensione?",
                    &[Iban],
                    &["GB82", "5698 7654"],
                ),
                (
                    "Ho un conto tedesco DE89370400440532013000 per l'assegno.",
                    &[Iban],
                    &["DE89370400440532013000"],
                ),
                (
                    "Vivo in Francia, IBAN FR14 2004 1010 0505 0001 3M02 606.",
                    &[Iban],
                    &["FR14", "3M02 606"],
                ),
                (
                    "iban es9121000418450200051332 (conto spagnolo)",
                    &[Iban],
                    &["es9121000418450200051332"],
                ),
                (
                    "Nuovo conto: NL91ABNA0417164300. Vi prego di aggiornarlo.",
                    &[Iban],
                    &["NL91ABNA0417164300"],
                ),
                (
                    "BE68 5390 0754 7034 è il conto belga di mia figlia",
                    &[Iban],
                    &["BE68 5390", "7034"],
                ),
                (
                    "Pensione svizzera su CH9300762011623852957?",
                    &[Iban],
                    &["CH9300762011623852957"],
                ),
                (
                    "IBAN austriaco AT61 1904 3002 3457 3201 per il rimborso",
                    &[Iban],
                    &["AT61 1904", "3457 3201"],
                ),
                (
                    "IBAN: IT 66 A 03069 09606 100000012345 intestato a me",
                    &[Iban],
                    &["03069 09606", "100000012345"],
                ),
                (
                    "Ho cambiato banca, il nuovo è IT48Z0200802435000104428964 dal mese di maggio.",
                    &[Iban],
                    &["IT48Z0200802435000104428964"],
                ),
                (
                    "Conto a San Marino SM75X0606709800000060123456, va bene?",
                    &[Iban],
                    &["SM75X0606709800000060123456"],
                ),
                (
                    "pt50 0002 0123 1234 5678 9015 4 è il mio conto portoghese",
                    &[Iban],
                    &["pt50", "9015 4"],
                ),
                (
                    "Malta: MT84MALT011000012345MTLCAST001S.",
                    &[Iban],
                    &["MT84MALT011000012345MTLCAST001S"],
                ),
                (
                    "Due conti: NO9386011117947 e PL61109010140000071219812874.",
                    &[Iban, Iban],
                    &["NO9386011117947", "PL61109010140000071219812874"],
                ),
                (
                    "IBAN IE29-AIBK-9311-5212-3456-78 per l'accredito",
                    &[Iban],
                    &["AIBK-9311"],
                ),
            ],
        );
        check_negatives(
            Iban,
            &[
                "Il mio IBAN IT61X0542811101000000123456 viene rifiutato, cosa faccio?",
                "IBAN IT60 X054 2811 1010 0000 0123 457 (forse ho sbagliato una cifra)",
                "Non ho ancora comunicato l'IBAN per l'accredito dell'assegno.",
                "Il conto GB82WEST1234569876543 non è valido secondo la banca.",
                "Il codice XX60X0542811101000000123456 compare nella lettera.",
                "Il modello SR41 2023 0001 è stato inviato dal datore.",
                "IT60 non è un codice completo, manca il resto.",
                "Ho cambiato IBAN a gennaio 2024 e la NASpI non arriva.",
                "Il mio IBAN lo trovate nel modulo SR163 allegato.",
                "Coordinate: ABI 03069 CAB 09606, banca Intesa.",
                "DE89 3704 0044 0532 0130 01 è sbagliato di una cifra.",
                "Il conto BE68 5390 0754 7035 risulta chiuso.",
                "IBAN: IT60-X054-2811 (il resto non lo ricordo).",
                "DE 2024 ha cambiato sede l'ufficio di zona?",
                "Italia e Spagna hanno accordi sulla pensione?",
                "Ho ricevuto il bonifico con causale AT 2024 RATA 12 ARRETRATI.",
            ],
        );
    }

    // ---- e-mail ----

    #[test]
    fn email_table() {
        check_positives(
            Email,
            &[
                (
                    "Rispondetemi a nome.cognome@pec.it per favore.",
                    &[Email],
                    &["nome.cognome@pec.it"],
                ),
                (
                    "La mia PEC è x@legalmail.it.",
                    &[Email],
                    &["x@legalmail.it"],
                ),
                (
                    "scrivetemi su mario.rossi@gmail.com che non ho la pec",
                    &[Email],
                    &["mario.rossi@gmail.com"],
                ),
                (
                    "EMAIL: MARIO.ROSSI@LIBERO.IT",
                    &[Email],
                    &["MARIO.ROSSI@LIBERO.IT"],
                ),
                (
                    "Contatto: anna_bianchi85@yahoo.it, disponibile la mattina.",
                    &[Email],
                    &["anna_bianchi85@yahoo.it"],
                ),
                (
                    "Il mio commercialista (l.verdi@studio-verdi.it) ha inviato la domanda.",
                    &[Email],
                    &["l.verdi@studio-verdi.it"],
                ),
                (
                    "Per favore aggiornate l'indirizzo <info+naspi@example.org>.",
                    &[Email],
                    &["info+naspi@example.org"],
                ),
                (
                    "La PEC ditta.rossi@pec.ditta-rossi.it non riceve le vostre notifiche.",
                    &[Email],
                    &["ditta.rossi@pec.ditta-rossi.it"],
                ),
                (
                    "mail f.esposito@hotmail.com",
                    &[Email],
                    &["f.esposito@hotmail.com"],
                ),
                (
                    "Ho scritto da luca-rossi@tiscali.it ma nessuno risponde.",
                    &[Email],
                    &["luca-rossi@tiscali.it"],
                ),
                (
                    "Inviate a: maria.d.amico@outlook.it;",
                    &[Email],
                    &["maria.d.amico@outlook.it"],
                ),
                (
                    "email: josé.garcía@correo.es (sono spagnolo, lavoro in Italia)",
                    &[Email],
                    &["josé.garcía@correo.es"],
                ),
                (
                    "Due indirizzi: a.b@c.de e pippo@poste.it.",
                    &[Email, Email],
                    &["a.b@c.de", "pippo@poste.it"],
                ),
                (
                    "Rispondete alla mia PEC giuseppe.verdi@postacert.it grazie",
                    &[Email],
                    &["giuseppe.verdi@postacert.it"],
                ),
                ("(email: anna@virgilio.it)", &[Email], &["anna@virgilio.it"]),
                (
                    "Recapito email\nsara.neri@icloud.com\nGrazie",
                    &[Email],
                    &["sara.neri@icloud.com"],
                ),
            ],
        );
        check_negatives(
            Email,
            &[
                "Ho scritto a @INPS_it su Twitter ma nessuno risponde.",
                "La mia email è mario punto rossi chiocciola gmail punto com.",
                "L'email di conferma non è mai arrivata.",
                "La PEC è stata inviata all'indirizzo indicato sul sito.",
                "Il mio nome utente è mario.rossi ma la password non va.",
                "Ho trovato tutto su www.inps.it nella sezione prestazioni.",
                "Ho scritto a nome@dominio ma è tornata indietro.",
                "L'indirizzo a@b.c è quello che mi hanno dato, sembra sbagliato.",
                "Scrivere all'indirizzo @ indicato nella lettera?",
                "Il modulo dice mail@ e poi niente.",
                "La comunicazione via PEC ha valore legale?",
                "Posso usare la mail del patronato per la domanda?",
                "Il prezzo era 3@5 euro al chilo, ma non c'entra.",
                "La casella x@y.123 non esiste.",
                "Ho inviato una e-mail il mese scorso senza risposta.",
                "Serve lo SPID o basta la posta elettronica certificata?",
            ],
        );
    }

    // ---- phone numbers ----

    #[test]
    fn telefono_table() {
        check_positives(
            Telefono,
            &[
                (
                    "Potete richiamarmi al 333 123 4567?",
                    &[Telefono],
                    &["333 123 4567"],
                ),
                (
                    "cell. 333-1234567, sono disponibile dopo le 17.",
                    &[Telefono],
                    &["333-1234567"],
                ),
                (
                    "Il numero dell'ufficio è 06.1234.5678.",
                    &[Telefono],
                    &["06.1234.5678"],
                ),
                (
                    "Mio recapito: +39 347 12 34 567",
                    &[Telefono],
                    &["347 12 34 567"],
                ),
                (
                    "Chiamatemi allo 0039 02 12345678 in orario d'ufficio.",
                    &[Telefono],
                    &["02 12345678"],
                ),
                ("tel.3331234567", &[Telefono], &["3331234567"]),
                (
                    "Il mio cellulare è 3471234567, rispondo sempre.",
                    &[Telefono],
                    &["3471234567"],
                ),
                (
                    "Numero fisso 0812345678, chiedete di Anna.",
                    &[Telefono],
                    &["0812345678"],
                ),
                (
                    "Recapito telefonico (+39) 320 987 6543.",
                    &[Telefono],
                    &["320 987 6543"],
                ),
                (
                    "TEL 0612345678 OPPURE 3209876543",
                    &[Telefono, Telefono],
                    &["0612345678", "3209876543"],
                ),
                (
                    "Contattatemi al +393201234567 su WhatsApp.",
                    &[Telefono],
                    &["3201234567"],
                ),
                (
                    "Il numero di casa è (06) 1234567.",
                    &[Telefono],
                    &["1234567"],
                ),
                (
                    "telefono 011/5551234 dalle 9 alle 13",
                    &[Telefono],
                    &["5551234"],
                ),
                (
                    "Sono raggiungibile al 389 555 12 34 tutti i giorni.",
                    &[Telefono],
                    &["555 12 34"],
                ),
                ("Fax 02-87654321 dello studio.", &[Telefono], &["87654321"]),
                (
                    "Vivo in Germania, telefono +49 30 1234567 per ricontattarmi.",
                    &[Telefono],
                    &["1234567"],
                ),
                (
                    "Per ogni chiarimento 0039 333 1234567.",
                    &[Telefono],
                    &["333 1234567"],
                ),
                // a colon and two digits after a phone: no hour unless after a date
                (
                    "Il mio numero è 0471 123456:10 interno",
                    &[Telefono],
                    &["123456"],
                ),
                ("tel 333 123 45 67:15", &[Telefono], &["123 45"]),
            ],
        );
        check_negatives(
            Telefono,
            &[
                "Ho ricevuto 1.200 euro invece di 1.500 euro.",
                "L'importo è di € 600 al mese per sei mesi.",
                "Mi hanno accreditato 1.234,56 euro il mese scorso.",
                "Sono stato licenziato il 03/05/2021 e ho fatto domanda subito.",
                "La lettera è datata 03.05.2021 e il termine era 3-5-2021.",
                "Nel 2021 e nel 2022 ho lavorato solo sei mesi.",
                "Chiedo i permessi della legge 104, ai sensi della legge 104/1992.",
                "Congedo straordinario ex d.lgs 151/2001, art. 42 comma 5.",
                "Il numero di protocollo è 0612345678, me lo avete dato voi.",
                "La pratica 3331234567 risulta sospesa.",
                "Domanda n. 0812345678 presentata tramite patronato.",
                "Il protocollo INPS.0031.2021.0123456 non è leggibile.",
                "Ho aperto il ticket 3471234567 senza risposta.",
                "Ho chiamato il contact center 803 164 e anche lo 06 164 164 da cellulare.",
                "Orario di apertura 08.30-12.30 dal lunedì al venerdì.",
                "La scadenza è il 05/2024, poi non si può più fare.",
                "Ho un ISEE di 18.000 euro e due figli a carico.",
                "Il CAP è 00184 e il civico è 12.",
                "Il cedolino di 03 05 2021 non è mai arrivato.",
                "[31/01 17:58] responsabile: ci vediamo lunedì?\n[03/02 09:12] responsabile: no",
            ],
        );
    }

    // ---- dates of birth ----

    #[test]
    fn data_nascita_table() {
        check_positives(
            DataNascita,
            &[
                (
                    "Sono nato il 12/03/1960 e ho 35 anni di contributi.",
                    &[DataNascita],
                    &["12/03/1960"],
                ),
                (
                    "Mia madre è nata il 3 marzo 1955, può avere l'assegno sociale?",
                    &[DataNascita],
                    &["3 marzo 1955"],
                ),
                (
                    "Nato a Bari il 3 marzo 1955, chiedo la pensione di vecchiaia.",
                    &[DataNascita],
                    &["3 marzo 1955"],
                ),
                (
                    "data di nascita: 12-03-1960",
                    &[DataNascita],
                    &["12-03-1960"],
                ),
                (
                    "Data nascita 01.01.1970 e residenza a Napoli.",
                    &[DataNascita],
                    &["01.01.1970"],
                ),
                (
                    "Born on 12 March 1960 in London, I worked in Italy for 10 years.",
                    &[DataNascita],
                    &["12 March 1960"],
                ),
                ("d.n. 12/03/60", &[DataNascita], &["12/03/60"]),
                (
                    "Mia figlia è nata il 1° giugno 2023 e chiedo il bonus asilo nido.",
                    &[DataNascita],
                    &["1° giugno 2023"],
                ),
                (
                    "nata a Reggio Calabria (RC) il 15/07/1962",
                    &[DataNascita],
                    &["15/07/1962"],
                ),
                (
                    "NATO A ROMA IL 12/03/1960 CHIEDE LA PENSIONE",
                    &[DataNascita],
                    &["12/03/1960"],
                ),
                ("nato/a il 22/11/1985", &[DataNascita], &["22/11/1985"]),
                (
                    "Nata a Sant'Agata di Militello, il 4 aprile 1971.",
                    &[DataNascita],
                    &["4 aprile 1971"],
                ),
                (
                    "luogo e data di nascita: Palermo, 30/06/1958",
                    &[DataNascita],
                    &["30/06/1958"],
                ),
                (
                    "I was born March 12, 1960 and moved to Italy later.",
                    &[DataNascita],
                    &["March 12, 1960"],
                ),
                (
                    "Il bambino è nato in data 05/09/2024, quando arriva l'assegno unico?",
                    &[DataNascita],
                    &["05/09/2024"],
                ),
                (
                    "nato a roma il 2 febbraio 1961",
                    &[DataNascita],
                    &["2 febbraio 1961"],
                ),
                ("Date of birth: 1975-04-23", &[DataNascita], &["1975-04-23"]),
            ],
        );
        check_negatives(
            DataNascita,
            &[
                "Sono stato licenziato il 3 marzo 2024 e ho fatto domanda di NASpI.",
                "Sono nata nel 1958 e ho lavorato 30 anni.",
                "La domanda è stata presentata il 12/03/2024.",
                "Il contratto è scaduto il 31-12-2023.",
                "Mio figlio è nato a marzo, cosa devo fare per l'assegno unico?",
                "Dalla nascita di mio figlio non ho più lavorato.",
                "Il pagamento del 15 gennaio 2024 non è arrivato.",
                "Sono nato a Bari e licenziato il 3 marzo 2024 dopo vent'anni.",
                "La data di scadenza era il 30/06/2024.",
                "Assunto il 01.09.2019, dimesso il 15.02.2024.",
                "Il bonus nascite è stato pagato a luglio.",
                "Ho compiuto 67 anni il mese scorso, quando arriva la pensione?",
                "Il natale scorso, il 25/12/2023, avete chiuso gli uffici.",
                "Il congedo parentale va chiesto entro il 12° anno di età.",
                "La visita medica è fissata per il 3 marzo 2025.",
                "Dal 1 gennaio 2024 cambia l'importo dell'assegno.",
            ],
        );
    }

    // ---- people's names ----

    #[test]
    fn persona_table() {
        check_positives(
            Persona,
            &[
                (
                    "Buongiorno, mi chiamo Mario Rossi e vorrei sapere della NASpI.",
                    &[Persona],
                    &["Mario", "Rossi"],
                ),
                (
                    "Il sottoscritto Mario Rossi, nato a Bari, chiede la pensione.",
                    &[Persona],
                    &["Mario", "Rossi"],
                ),
                (
                    "La sottoscritta Anna Maria De Luca, residente a Napoli, chiede l'assegno.",
                    &[Persona],
                    &["Anna", "Maria", "De Luca"],
                ),
                (
                    "io sottoscritto Giuseppe Verdi chiede il rimborso",
                    &[Persona],
                    &["Giuseppe", "Verdi"],
                ),
                (
                    "Il/la sottoscritto/a Lucia Ferrari dichiara quanto segue.",
                    &[Persona],
                    &["Lucia", "Ferrari"],
                ),
                (
                    "Il mio nome è Francesca Esposito e lavoro come colf.",
                    &[Persona],
                    &["Francesca", "Esposito"],
                ),
                (
                    "My name is John Smith and I worked in Italy.",
                    &[Persona],
                    &["John", "Smith"],
                ),
                (
                    "Gentile Sig.ra Bianchi, le scrivo per la pratica.",
                    &[Persona],
                    &["Bianchi"],
                ),
                (
                    "Ho parlato con il Dott. Colombo del patronato.",
                    &[Persona],
                    &["Colombo"],
                ),
                (
                    "Distinti saluti\nGiuseppe Verdi",
                    &[Persona],
                    &["Giuseppe", "Verdi"],
                ),
                (
                    "Attendo una risposta. Cordiali saluti, Maria D'Amico",
                    &[Persona],
                    &["Maria", "D'Amico"],
                ),
                (
                    "Vorrei sapere quando arriva il pagamento.\nGrazie\nMARIO ROSSI",
                    &[Persona],
                    &["MARIO", "ROSSI"],
                ),
                (
                    "IL SOTTOSCRITTO MARIO ROSSI NATO A ROMA CHIEDE LA DISOCCUPAZIONE",
                    &[Persona],
                    &["MARIO", "ROSSI"],
                ),
                (
                    "ciao mi chiamo luca bianchi e ho perso il lavoro",
                    &[Persona],
                    &["luca", "bianchi"],
                ),
                ("In fede\nElena Russo", &[Persona], &["Elena", "Russo"]),
                (
                    "Sono la Signora Gallo, vedova, e chiedo la reversibilità.",
                    &[Persona],
                    &["Gallo"],
                ),
                (
                    "Nome e cognome: Paolo Greco",
                    &[Persona],
                    &["Paolo", "Greco"],
                ),
                (
                    "Il sottoscritto Sig. Marco Bruno chiede informazioni.",
                    &[Persona],
                    &["Marco", "Bruno"],
                ),
                (
                    "Buongiorno, sono Chiara Lombardi e aspetto la NASpI.",
                    &[Persona],
                    &["Chiara", "Lombardi"],
                ),
                // a surname that is also a nationality, with a first name
                (
                    "Sono Russo Giuseppe, nato in Calabria, e chiedo la pensione.",
                    &[Persona],
                    &["Russo", "Giuseppe"],
                ),
                (
                    "Mia moglie Greco Anna fa la badante.",
                    &[Persona],
                    &["Greco", "Anna"],
                ),
                // alone, too: a surname or a given name first
                ("Mia moglie Greco fa la badante.", &[Persona], &["Greco"]),
                ("Il conto è intestato a Russo.", &[Persona], &["Russo"]),
                (
                    "Sono la vedova di Russo e chiedo la reversibilità.",
                    &[Persona],
                    &["Russo"],
                ),
                (
                    "Mia figlia Cristiana ha diritto all'assegno unico?",
                    &[Persona],
                    &["Cristiana"],
                ),
                // a lowercase "dall'" inside a name, or after a title, is a surname
                (
                    "Sig. dall'Ara ha firmato la domanda.",
                    &[Persona],
                    &["dall'Ara"],
                ),
                (
                    "Sono Giuseppe dall'Oglio, pensionato.",
                    &[Persona],
                    &["Giuseppe", "dall'Oglio"],
                ),
                (
                    "Mia madre Rosa Conti percepisce la pensione di reversibilità.",
                    &[Persona],
                    &["Rosa Conti"],
                ),
                (
                    "Il conto è intestato a Luca Verdi, mio figlio.",
                    &[Persona],
                    &["Luca", "Verdi"],
                ),
                (
                    "Il sottoscritto Mario Rossi, genitore di Luca Rossi, chiede il bonus.",
                    &[Persona, Persona],
                    &["Mario", "Luca"],
                ),
            ],
        );
        check_negatives(
            Persona,
            &[
                "Il sottoscritto, licenziato il 3 marzo 2024, chiede la NASpI.",
                "Buongiorno, Vorrei sapere se l'INPS di Roma paga ad agosto.",
                "La sottoscritta chiede di conoscere lo stato della pratica.",
                "Distinti saluti.",
                "Grazie mille per la disponibilità.",
                "Grazie INPS",
                "Cordiali saluti\nUfficio Personale",
                "Grazie, Buona giornata a tutti.",
                "Saluti da Roma e grazie ancora.",
                "Mi chiamo, per così dire, disoccupato da due anni.",
                "Il sottoscritto dipendente della ditta chiede la cassa integrazione.",
                "Spett.le INPS, il sottoscritto rappresenta quanto segue. Distinti saluti.",
                "Gentile Signora, la domanda è stata inoltrata.",
                "In Italia la NASpI spetta a chi perde il lavoro.",
                "Roma, Milano e Napoli hanno sedi INPS aperte il sabato?",
                "Ho letto su Facebook che l'Assegno Unico aumenta.",
                "Vi ringrazio anticipatamente.\nIn attesa di riscontro",
                "Sono Stato licenziato a marzo e sono disoccupato.",
                "SONO RIMASTO SENZA LAVORO E MIA MADRE PERCEPISCE LA PENSIONE.",
                "Ci sono Novità sulla mia domanda?",
                "Grazie Tante",
                "Grazie Di Cuore",
                // a mail client's footer after a relative, in a message whose lines were flattened
                "una badante per mio padre Inviato dal mio smartphone Samsung",
                "e mia madre  Inoltrato da: [mittente]",
                "per mio marito Messaggio originale Da: [mittente]",
                // origins describe, they do not name
                "I am Sri Lankan domestic worker, my employer did not pay",
                "Sono Marocchino Musulmano e lavoro in un cantiere.",
                "Mia moglie Ucraina fa la badante.",
                "I'm Cape Verdean and my contract ended",
                "dopo è arrivata mia suocera dall'Albania a vivere con noi",
            ],
        );
        // a footer word ends the name before it
        let r = redact("per mio padre Mario Rossi Inviato dal mio smartphone");
        assert_eq!(r.text, "per mio padre [PERSONA] Inviato dal mio smartphone");
        // and a signature before a footer, on one flattened line
        for text in [
            "Cordiali saluti Mario Rossi Inviato da iPhone",
            "Grazie, Anna Bianchi -----Messaggio originale----- Da: [mittente]",
            "Distinti saluti\nLuca Verdi Sent from my phone",
        ] {
            let r = redact(text);
            assert_eq!(r.found, [Persona], "{text} → {}", r.text);
            assert!(r.text.contains("[PERSONA] "), "{text} → {}", r.text);
        }
    }

    // ---- placement, order, robustness ----

    #[test]
    fn found_is_in_order_of_appearance() {
        let r = redact(
            "Il sottoscritto Mario Rossi, nato il 12/03/1960, C.F. RSSMRA80A01H501U, \
             tel. 3331234567, email mario.rossi@pec.it, IBAN IT60X0542811101000000123456, \
             P.IVA 12345678903.",
        );
        assert_eq!(
            r.found,
            [
                Persona,
                DataNascita,
                CodiceFiscale,
                Telefono,
                Email,
                Iban,
                PartitaIva
            ]
        );
        assert_eq!(
            r.text,
            "Il sottoscritto [PERSONA], nato il [DATA_NASCITA], C.F. [CODICE_FISCALE], \
             tel. [TELEFONO], email [EMAIL], IBAN [IBAN], P.IVA [PARTITA_IVA]."
        );
    }

    #[test]
    fn placeholders_and_serde_names() {
        let kinds = Kind::ALL;
        let names: Vec<String> = kinds
            .iter()
            .map(|k| serde_json::to_string(k).unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "\"codice_fiscale\"",
                "\"partita_iva\"",
                "\"iban\"",
                "\"email\"",
                "\"telefono\"",
                "\"data_nascita\"",
                "\"persona\""
            ]
        );
        let placeholders: Vec<&str> = kinds.iter().map(|k| k.placeholder()).collect();
        assert_eq!(
            placeholders,
            [
                "[CODICE_FISCALE]",
                "[PARTITA_IVA]",
                "[IBAN]",
                "[EMAIL]",
                "[TELEFONO]",
                "[DATA_NASCITA]",
                "[PERSONA]"
            ]
        );
    }

    #[test]
    fn placeholders_are_never_glued() {
        let r = redact("tel.3331234567;cf:RSSMRA80A01H501U/mail:a.b@pec.it");
        assert_eq!(r.text, "tel.[TELEFONO];cf:[CODICE_FISCALE]/mail:[EMAIL]");
        // Two items separated only by a space each get their own placeholder.
        let r = redact("RSSMRA80A01H501U VRDGPP65C12F205I");
        assert_eq!(r.text, "[CODICE_FISCALE] [CODICE_FISCALE]");
        assert_eq!(r.found.len(), 2);
    }

    #[test]
    fn control_characters_and_odd_unicode() {
        let r = redact("\0RSSMRA80A01H501U\0 tel\u{0}3331234567 \u{FEFF}ok 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 İstanbul");
        assert_eq!(r.found, [CodiceFiscale, Telefono]);
        assert!(!r.text.contains("RSSMRA80A01H501U") && !r.text.contains("3331234567"));
        // Letters right next to the data: not split apart.
        assert!(redact("àRSSMRA80A01H501U").found.is_empty());
        assert!(redact("RSSMRA80A01H501Uè").found.is_empty());
        for text in [
            "",
            " ",
            "\n\n",
            "[PERSONA]",
            "@",
            "+",
            "(+39)",
            "Sig.",
            "Grazie\n",
            "nato il",
        ] {
            let r = redact(text);
            assert_eq!(r.text, text);
            assert!(r.found.is_empty());
        }
    }

    #[test]
    fn huge_inputs_are_fast() {
        let started = std::time::Instant::now();
        let inputs = [
            "3331234567 ".repeat(100_000),
            "1 ".repeat(500_000),
            "a".repeat(1 << 20),
            "Grazie Mario Rossi ".repeat(55_000),
            "IT60 ".repeat(200_000),
            "x@".repeat(500_000),
            "nato il ".repeat(130_000),
            "Sig. ".repeat(200_000),
            ".".repeat(1 << 20),
            format!("{}RSSMRA80A01H501U", "\n".repeat(1 << 20)),
            "il sottoscritto Mario De De De De ".repeat(30_000),
            "0".repeat(1 << 20),
            "€ 1.200,00 / ".repeat(80_000),
        ];
        let founds: Vec<usize> = inputs
            .iter()
            .map(|input| redact(input).found.len())
            .collect();
        assert_eq!(founds[0], 100_000);
        assert_eq!(founds[7], 0, "titles alone are no names");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "too slow: {:?}",
            started.elapsed()
        );
    }

    // ---- property tests ----

    const WORDS: &[&str] = &[
        "buongiorno",
        "vorrei",
        "sapere",
        "quando",
        "arriva",
        "la",
        "NASpI",
        "il",
        "mio",
        "codice",
        "fiscale",
        "è",
        "Grazie",
        "per",
        "domanda",
        "di",
        "pensione",
        "assegno",
        "unico",
        "ho",
        "perso",
        "lavoro",
        "mese",
        "scorso",
        "Cordiali",
        "saluti",
        "conto",
        "corrente",
        "IBAN",
        "accredito",
        "INPS",
        "pratica",
        "ancora",
        "in",
        "attesa",
        "CF",
        "cf:",
        "codice:",
        "(",
        ")",
        ",",
        ".",
        "\n",
        "Roma",
        "Milano",
        "madre",
        "figlio",
    ];

    fn sentence(max: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(WORDS), 0..max).prop_map(|w| w.join(" "))
    }

    /// Random valid codice fiscale: random letters, date and place, random omocodia
    /// substitutions, computed check character, random case.
    fn codice_fiscale() -> impl Strategy<Value = String> {
        (
            "[A-Z]{6}",
            0u32..100,
            0usize..12,
            prop_oneof![1u32..=31, 41u32..=71],
            "[A-Z]",
            0u32..1000,
            prop::bits::u8::masked(0x7f),
            prop::collection::vec(any::<bool>(), 16),
        )
            .prop_map(|(letters, year, month, day, place, town, omocodia, case)| {
                let mut cf: Vec<u8> = format!(
                    "{letters}{year:02}{}{day:02}{place}{town:03}",
                    CF_MONTHS[month] as char
                )
                .into_bytes();
                for (bit, pos) in [6, 7, 9, 10, 12, 13, 14].into_iter().enumerate() {
                    if omocodia & (1 << bit) != 0 {
                        cf[pos] = OMOCODIA[usize::from(cf[pos] - b'0')];
                    }
                }
                let cf = cf_with_check(std::str::from_utf8(&cf).unwrap());
                cf.chars()
                    .zip(case)
                    .map(|(c, lower)| if lower { c.to_ascii_lowercase() } else { c })
                    .collect()
            })
    }

    const IBAN_FORMATS: &[(&str, usize)] = &[
        ("IT", 27),
        ("SM", 27),
        ("DE", 22),
        ("GB", 22),
        ("FR", 27),
        ("ES", 24),
        ("NL", 18),
        ("BE", 16),
        ("CH", 21),
        ("AT", 20),
        ("PT", 25),
        ("MT", 31),
        ("NO", 15),
        ("PL", 28),
        ("IE", 22),
        ("LU", 20),
        ("DK", 18),
        ("GR", 27),
        ("RO", 24),
        ("HR", 21),
        ("LC", 32),
        ("RU", 33),
        ("BR", 29),
        ("SA", 24),
        ("TR", 26),
    ];

    /// Random valid IBAN: country and length from the registry, random alphanumeric BBAN,
    /// computed check digits; compact or in groups of four, upper or lower case.
    fn iban() -> impl Strategy<Value = (String, String)> {
        (
            prop::sample::select(IBAN_FORMATS),
            prop::collection::vec(
                prop_oneof![3 => prop::char::range('0', '9'), 1 => prop::char::range('A', 'Z')],
                30,
            ),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|((country, len), chars, grouped, lower)| {
                let bban: String = chars[..len - 4].iter().collect();
                let compact = iban_with_check(country, &bban);
                let mut written = if grouped {
                    spaced(&compact)
                } else {
                    compact.clone()
                };
                if lower {
                    written = written.to_ascii_lowercase();
                }
                (compact, written)
            })
    }

    proptest! {
        #[test]
        fn ascii_tokens_are_the_regex_runs(text in "[a-zA-Z0-9 àéÉß€\\-.@\n]{0,40}") {
            let regex = compile(r"[A-Za-z0-9]+");
            let expected: Vec<(usize, usize)> =
                regex.find_iter(&text).map(|m| (m.start(), m.end())).collect();
            prop_assert_eq!(ascii_tokens(&text), expected);
        }

        #[test]
        fn valid_codici_fiscali_are_always_caught(
            before in sentence(12),
            cf in codice_fiscale(),
            sep in prop::sample::select(&[" ", ": ", " (", "\n", ", "][..]),
            after in sentence(12),
        ) {
            let text = format!("{before}{sep}{cf} {after}");
            let r = redact(&text);
            prop_assert!(r.found.contains(&CodiceFiscale), "{text} → {}", r.text);
            prop_assert!(!r.text.to_ascii_uppercase().contains(&cf.to_ascii_uppercase()));
        }

        #[test]
        fn valid_ibans_are_always_caught(
            before in sentence(12),
            (compact, written) in iban(),
            after in sentence(12),
        ) {
            let text = format!("{before} {written} {after}");
            let r = redact(&text);
            prop_assert_eq!(r.found.iter().filter(|&&k| k == Iban).count(), 1, "{} → {}", text, r.text);
            let upper = r.text.to_ascii_uppercase();
            prop_assert!(!upper.contains(&compact) && !upper.contains(&spaced(&compact)));
            prop_assert!(!upper.contains(&compact[4..12]), "{} → {}", text, r.text);
        }

        #[test]
        fn material_is_what_its_definitions_find(
            text in prop_oneof![soup(), sentence(40), "[a-zA-Z0-9@àé€ß\t\n .]{0,40}"],
        ) {
            let m = Material::of(&text);
            prop_assert_eq!(m.digits, text.bytes().any(|b| b.is_ascii_digit()));
            prop_assert_eq!(m.at, text.contains('@'));
            prop_assert_eq!(
                m.sixteen,
                text.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w.len() == 16)
            );
            prop_assert_eq!(m.lower, text.to_lowercase());
        }

        #[test]
        fn words_are_split_at_white_space(
            text in prop_oneof![soup(), sentence(40), "[a-zA-Zé \t\n\r\u{b}\u{c}\u{85}\u{a0}]{0,40}"],
        ) {
            let lower = text.to_lowercase();
            let words = Words::new(&text, &lower);
            prop_assert_eq!(&words.written, &text.split_whitespace().collect::<Vec<_>>());
            prop_assert_eq!(&words.lower, &lower.split_whitespace().collect::<Vec<_>>());
        }

        #[test]
        fn the_name_gate_changes_nothing(text in prop_oneof![soup(), sentence(40)]) {
            prop_assert_eq!(find_persons(&text), find_persons_in(&text, &lowercase(&text), false));
        }

        #[test]
        fn lowercase_is_to_lowercase(text in prop_oneof![soup(), sentence(40), "[A-Za-z .]{0,30}", "[A-Za-zÀÈÉÌÒÙàèéìòùİẞΣσς'’ .]{0,30}"]) {
            prop_assert_eq!(lowercase(&text), text.to_lowercase());
        }

        #[test]
        fn cue_automata_find_what_substring_searches_find(text in prop_oneof![soup(), sentence(40)]) {
            let lower = text.to_lowercase();
            let words = Words::new(&text, &lower);
            for cues in [&INTRO_SET, &WEAK_INTRO_SET, &TITLE_SET, &CLOSING_SET] {
                prop_assert_eq!(
                    cues_present(&lower)[cues.0],
                    cues.list().iter().any(|c| lower.contains(c))
                );
                let naive: Vec<usize> = (0..words.lower.len())
                    .filter(|&i| {
                        cues.list().iter().any(|cue| match cue.split_once(' ') {
                            Some((head, tail)) => {
                                words.lower[i].ends_with(head)
                                    && words.lower.get(i + 1).is_some_and(|n| n.starts_with(tail))
                            }
                            None => words.lower[i].contains(cue),
                        })
                    })
                    .collect();
                prop_assert_eq!(words.with_cue(cues), naive, "{}", text);
            }
        }

        #[test]
        fn the_stage_gates_change_nothing(text in prop_oneof![soup(), sentence(40)]) {
            prop_assert_eq!(redact_gated(&text, true), redact_gated(&text, false));
        }

        #[test]
        fn never_panics_and_is_idempotent(text in any::<String>()) {
            let once = redact(&text);
            let twice = redact(&once.text);
            prop_assert_eq!(&twice.text, &once.text);
            prop_assert!(twice.found.is_empty());
        }
    }

    /// Pieces that exercise every detector and their negative contexts.
    const PIECES: &[&str] = &[
        "Il sottoscritto",
        "mi chiamo",
        "Mario",
        "ROSSI",
        "De",
        "D'Amico",
        "d'Amico",
        "dell'Acqua",
        "l'Abbate",
        "van",
        "von der",
        "du",
        "luca",
        "Sig.",
        "Dott.ssa",
        "nato",
        "nata a Bari",
        "il",
        "12/03/1960",
        "3 marzo 1955",
        "data di nascita:",
        "3331234567",
        "333",
        "123",
        "4567",
        "06",
        "164",
        "803",
        "+39",
        "(+39)",
        "0039",
        "02",
        "12345678",
        "protocollo",
        "pratica",
        "n.",
        "domanda",
        "ticket",
        "INPS.",
        "tel.",
        "cell",
        "IT60",
        "X054",
        "2811",
        "1010",
        "0000",
        "0123",
        "456",
        "RSSMRA80A01H501U",
        "IT",
        "IT60X0542811101000000123456",
        "12345678903",
        "P.IVA",
        "mario.rossi@pec.it",
        "@",
        "pec.it",
        "Distinti saluti",
        "Grazie",
        "In fede",
        "€",
        "euro",
        "1.200",
        "1.234,56",
        "legge",
        "104/1992",
        "[PERSONA]",
        "[TELEFONO]",
        "GRAZIE",
        "C.F.",
        "chiede",
        "residente",
        "e",
        "0612345678",
        "a",
        "Roma",
        "03/05/2021",
        "05/2024",
        "x",
        "_",
        "7",
        "Cordiali saluti",
        "VAT",
        "IT 01234567897",
        "it",
        "%",
        "56",
        "born on",
        "12 March 1960",
        "d.n.",
        "sottoscritto/a",
        "(06)",
        "1234567",
        "nato a Roma il",
        "Anna Maria",
        "La",
        "Rosa",
        "DE89",
        "3704",
        "0044",
        "0532",
        "0130",
        "00",
        "GB82WEST12345698765432",
        "x@legalmail.it",
        "RSSMRA80A01H5LMX",
        "mi chiamo mario",
        "my name is",
        "MARIO",
        "NATO",
        "IL",
        "12/03/60",
        "marzo",
        "1955",
        "Salve",
        "Dr",
        "Mr",
        "O'Neill",
        "Ø",
        "é",
        "٣",
        "三",
        "sono",
        "mia madre",
        "intestato a",
        "figlio di",
        "Tante",
        "I am",
        "Sri",
        "Lankan",
        "Russo",
        "dall'Albania",
        "09:12",
        "[03/02",
    ];
    const GLUE: &[&str] = &[
        " ", " ", " ", "", "\n", ", ", ".", "-", "/", ":", "\t", "  ", "'", "(", ")", "+", "@",
        "_", "\u{a0}", ";", "\r\n", "–",
    ];

    fn soup() -> impl Strategy<Value = String> {
        prop::collection::vec(
            (prop::sample::select(PIECES), prop::sample::select(GLUE)),
            0..30,
        )
        .prop_map(|parts| parts.into_iter().flat_map(|(p, g)| [p, g]).collect())
    }

    fn count_placeholders(text: &str) -> usize {
        Kind::ALL
            .iter()
            .map(|k| text.matches(k.placeholder()).count())
            .sum()
    }

    /// Placeholders with a letter or digit right before or after them.
    fn glued_placeholders(text: &str) -> usize {
        Kind::ALL
            .iter()
            .flat_map(|k| {
                let p = k.placeholder();
                text.match_indices(p).filter(move |&(i, _)| {
                    char_before(text, i).is_some_and(char::is_alphanumeric)
                        || char_after(text, i + p.len()).is_some_and(char::is_alphanumeric)
                })
            })
            .count()
    }

    /// Pieces of text around the name regexes' cues: the cues themselves in several cases,
    /// word characters that are not ASCII (accents, marks, the long s and the Kelvin sign that
    /// `(?i)` folds to "s" and "k", digits of other scripts) and characters that are not word
    /// characters for the regex but are for Rust ("²", "½").
    const CUE_SOUP: &[&str] = &[
        "mi chiamo",
        "MI CHIAMO",
        "il mio nome è",
        "nome:",
        "cognome e nome",
        "sottoscritta",
        "Sono",
        "io sono",
        "i'm",
        "I’m",
        "mia madre",
        "figlio di",
        "papà",
        "a nome di",
        "il signore",
        "Sig.ra",
        "sig",
        "dott.",
        "Dr",
        "mr",
        "saluti",
        "Cordialità",
        "grazie mille",
        "grazie",
        "ringrazio anticipatamente",
        "thank you",
        "firma",
        "ſono",
        "\u{212a}ind regards",
        "é",
        "à",
        "\u{301}",
        "ß",
        "²",
        "½",
        "٣",
        "_",
        "’",
        "'",
        "Mario",
        "x",
        "1",
        "un",
    ];
    const CUE_GLUE: &[&str] = &["", " ", "  ", "\t", "\n", ", ", ": ", ".", "-", "/", "("];

    fn cue_soup() -> impl Strategy<Value = String> {
        prop::collection::vec(
            (
                prop::sample::select(CUE_SOUP),
                prop::sample::select(CUE_GLUE),
            ),
            0..14,
        )
        .prop_map(|parts| parts.into_iter().flat_map(|(p, g)| [p, g]).collect())
    }

    /// Every match of a [`WordStartRegex`], and each group's span, as the `regex` crate's scan
    /// of the whole text finds them.
    fn same_as_a_scan(
        regex: &WordStartRegex,
        scan: &Regex,
        text: &str,
    ) -> Result<(), TestCaseError> {
        let expected: Vec<Vec<Option<(usize, usize)>>> = scan
            .captures_iter(text)
            .map(|c| c.iter().map(|g| g.map(|m| (m.start(), m.end()))).collect())
            .collect();
        let found: Vec<Vec<Option<(usize, usize)>>> = regex
            .captures_iter(text)
            .iter()
            .map(|c| {
                (0..c.group_len())
                    .map(|i| c.get_group(i).map(|s| (s.start, s.end)))
                    .collect()
            })
            .collect();
        prop_assert_eq!(found, expected, "{:?}", text);
        let expected: Vec<(usize, usize)> =
            scan.find_iter(text).map(|m| (m.start(), m.end())).collect();
        let found: Vec<(usize, usize)> = regex
            .find_iter(text)
            .iter()
            .map(|m| (m.start(), m.end()))
            .collect();
        prop_assert_eq!(found, expected, "{:?}", text);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn name_regexes_at_word_starts_find_what_a_scan_finds(text in cue_soup()) {
            // what makes word starts the only places a match can begin
            for regex in [&*INTRO, &*WEAK_INTRO, &*TITLE, &*CLOSING] {
                prop_assert!(regex.pattern.starts_with(r"(?i)\b(?:"), "{}", regex.pattern);
            }
            static SCANS: LazyLock<Vec<(&WordStartRegex, Regex)>> = LazyLock::new(|| {
                [&*INTRO, &*WEAK_INTRO, &*TITLE, &*CLOSING]
                    .map(|regex| (regex, compile(&regex.pattern)))
                    .into()
            });
            for (regex, scan) in SCANS.iter() {
                same_as_a_scan(regex, scan, &text)?;
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn mixed_data_is_idempotent_and_accounted_for(text in soup()) {
            let once = redact(&text);
            let twice = redact(&once.text);
            prop_assert_eq!(&twice.text, &once.text, "input: {:?}", text);
            prop_assert_eq!(
                count_placeholders(&once.text),
                count_placeholders(&text) + once.found.len(),
                "input: {:?} → {:?}", text, once.text
            );
            prop_assert!(
                glued_placeholders(&once.text) <= glued_placeholders(&text),
                "glued placeholder in {:?}", once.text
            );
        }
    }
}
