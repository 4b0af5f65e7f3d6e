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

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

/// Kinds of personal data, in the order placeholders are documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
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
    let mut doc = Doc {
        text: text.to_owned(),
        marks: Vec::new(),
    };
    doc.stage(find_strong);
    doc.stage(find_partite_iva);
    doc.stage(find_persons);
    doc.stage(find_birth_dates);
    doc.stage(find_phones);
    doc.marks.sort_by_key(|m| m.0);
    Redacted {
        text: doc.text,
        found: doc.marks.into_iter().map(|(_, kind)| kind).collect(),
    }
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
    /// are resolved leftmost-longest; matches touching an earlier placeholder are dropped.
    fn stage(&mut self, find: fn(&str) -> Vec<Span>) {
        let mut spans = find(&self.text);
        if spans.is_empty() {
            return;
        }
        spans.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        self.marks.sort_by_key(|m| m.0);
        let mut chosen = Vec::with_capacity(spans.len());
        let mut last_end = 0;
        let mut mi = 0;
        for s in spans {
            if s.start < last_end
                || s.start >= s.end
                || !self.text.is_char_boundary(s.start)
                || !self.text.is_char_boundary(s.end)
            {
                continue;
            }
            while mi < self.marks.len()
                && self.marks[mi].0 + self.marks[mi].1.placeholder().len() <= s.start
            {
                mi += 1;
            }
            if mi < self.marks.len() && self.marks[mi].0 < s.end {
                continue;
            }
            last_end = s.end;
            chosen.push(s);
        }
        self.apply(&chosen);
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
            copy_segment(&mut out, &old, last, s.start, &old_marks, &mut mi, &mut marks);
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
        copy_segment(&mut out, &old, last, old.len(), &old_marks, &mut mi, &mut marks);
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

fn lower_word(word: &str) -> String {
    word.chars()
        .map(|c| if c == '’' { '\'' } else { c })
        .flat_map(char::to_lowercase)
        .collect()
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid built-in regex")
}

/// Maximal runs of ASCII letters and digits: the material of codici fiscali, IBANs, partite IVA.
static ASCII_TOKEN: LazyLock<Regex> = LazyLock::new(|| regex(r"[A-Za-z0-9]+"));

fn ascii_tokens(text: &str) -> Vec<(usize, usize)> {
    ASCII_TOKEN
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Stage 1: codici fiscali, IBANs, e-mail addresses
// ---------------------------------------------------------------------------------------------

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"[\p{L}\p{N}_.%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)+")
});

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
    for m in EMAIL.find_iter(text) {
        let (local, domain) = m.as_str().split_once('@').unwrap_or(("", ""));
        let tld = domain.rsplit('.').next().unwrap_or("");
        if local.chars().any(char::is_alphanumeric)
            && tld.chars().count() >= 2
            && tld.chars().all(char::is_alphabetic)
            && !glued_right(text, m.end())
        {
            spans.push(Span::new(m.start(), m.end(), Kind::Email));
        }
    }
    spans
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
            if &bytes[ps..pe] == b"IT" && !glued_left(text, ps) && matches!(&text[pe..s], " " | "\u{A0}")
            {
                start = ps;
            }
        }
        match cue_before(text, start) {
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
    [
        "protocollo", "prot", "protocolli", "pratica", "pratiche", "ticket", "matricola",
        "fattura", "ricevuta", "legge", "lgs", "dlgs", "decreto", "dpr", "dpcm", "art", "artt",
        "articolo", "articoli", "comma", "circolare", "messaggio", "codice", "cod", "pin",
        "iban", "cap", "sentenza", "ricorso", "rg", "verbale", "delibera", "raccomandata", "rif",
        "riferimento", "identificativo", "id", "progressivo", "conto", "cc", "euro", "eur",
        "importo", "cro", "trn", "posizione", "isee", "dsu", "modello", "mod", "ordinanza",
        "determina", "repertorio", "allegato", "sr41", "sr43", "protocollata",
    ]
    .into_iter()
    .collect()
});

/// Words announcing a phone number.
static PHONE_CUES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    [
        "tel", "telef", "telefono", "telefonico", "telefonica", "telefonicamente", "cell", "cel",
        "cellulare", "cellulari", "mobile", "recapito", "recapiti", "chiamare", "chiamatemi",
        "chiamarmi", "richiamare", "richiamatemi", "richiamarmi", "contattare", "contattarmi",
        "contattatemi", "ricontattare", "ricontattarmi", "whatsapp", "fax", "phone", "telephone",
        "call", "sms",
    ]
    .into_iter()
    .collect()
});

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
    let lowered: Vec<String> = words.iter().map(|&(s, e)| lower_word(&text[s..e])).collect();
    let has_number_word = lowered
        .iter()
        .any(|w| matches!(w.as_str(), "n" | "nr" | "num" | "numero" | "no"));
    for (k, w) in lowered.iter().enumerate() {
        let w = w.as_str();
        if PHONE_CUES.contains(w) {
            return Some(Cue::Phone);
        }
        if NEGATIVE_CUES.contains(w) {
            return Some(Cue::Negative);
        }
        if matches!(w, "iva" | "piva" | "vat") {
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

/// Phrases that introduce a name. `lower`: phrases after which a lowercase name is believed too
/// ("mi chiamo mario rossi").
static INTRO: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b(?:(?P<lower>mi[ \t]+chiamo|il[ \t]+mio[ \t]+nome[ \t]+(?:è|é|e['’`]?)|my[ \t]+name[ \t]+is)|(?:(?:il|la|lo|io|i|le|noi)[ \t]+)?sottoscritt[oaie](?:[ \t]*/[ \t]*[oaie]|[ \t]*\([oaie]\))?|nome[ \t]+e[ \t]+cognome|cognome[ \t]+e[ \t]+nome|nominativo|firmato|(?:nome|cognome)[ \t]*:)",
    )
});

const TITLES: &str = r"sig\.ra|sig\.na|sigg\.|sig\.|signora|signorina|signor|sig|dott\.ssa|dottoressa|dott\.|dottor|dott|dr\.ssa|dr\.|dr|avv\.to|avv\.|avvocato|avv|prof\.ssa|prof\.|professoressa|professor|prof|ing\.|rag\.|geom\.|mr\.|mr|mrs\.|mrs|ms\.";

/// Courtesy and professional titles, anywhere.
static TITLE: LazyLock<Regex> = LazyLock::new(|| regex(&format!(r"(?i)\b(?:{TITLES})")));
/// The same, at the start of the haystack.
static TITLE_AT: LazyLock<Regex> = LazyLock::new(|| regex(&format!(r"(?i)^(?:{TITLES})")));

/// Closing formulas after which a signature may follow.
static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b(?:distinti[ \t]+saluti|cordiali[ \t]+saluti|saluti[ \t]+cordiali|cordiali[ \t]+salute|cordialità|cordialmente|distintamente|un[ \t]+cordiale[ \t]+saluto|un[ \t]+saluto|cari[ \t]+saluti|saluti|in[ \t]+fede|grazie(?:[ \t]+(?:mille|anticipatamente|in[ \t]+anticipo|ancora|infinite))?|vi[ \t]+ringrazio|ringrazio(?:[ \t]+anticipatamente)?|best[ \t]+regards|kind[ \t]+regards|regards|thank[ \t]+you|thanks|sincerely|firma)\b",
    )
});

/// One word of a name: letters (and combining marks), inner apostrophes and hyphens.
static NAME_WORD: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^[\p{L}\p{M}]+(?:['’\-][\p{L}\p{M}]+)*"));

/// Particles inside surnames ("De Luca", "La Rosa", "van Basten"), lowercase.
static PARTICLES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    [
        "de", "di", "da", "del", "della", "dello", "dei", "degli", "delle", "dal", "dalla",
        "lo", "la", "li", "le", "van", "von", "der", "den", "du", "dos", "mac", "st", "san",
        "santa", "santo",
    ]
    .into_iter()
    .collect()
});

/// Particles that also count when written in lowercase.
const LOWER_PARTICLES: &[&str] = &["de", "van", "von", "der", "den", "du", "dos"];

/// Words that end a name: keywords that follow names in requests, function words, greetings,
/// institutions, roles, months… (lowercase, apostrophes as ').
static NAME_STOP: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    [
        // What follows a name in a request.
        "nato", "nata", "nati", "nate", "residente", "residenti", "domiciliato", "domiciliata",
        "codice", "fiscale", "cf", "c", "chiede", "chiedo", "chiedono", "richiede", "dichiara",
        "dichiaro", "comunica", "espone", "premesso", "in", "qualità", "qualita", "titolare",
        "dipendente", "cognome", "nome", "tel", "telefono", "cell", "cellulare", "email", "mail",
        "pec", "iban", "piva", "iva", "partita", "matricola", "pratica", "protocollo", "prot",
        "ticket", "domanda", "n", "nr", "numero", "via", "viale", "piazza", "corso",
        // Function words and frequent verbs.
        "e", "ed", "o", "od", "a", "ad", "al", "allo", "alla", "ai", "agli", "alle", "con", "per",
        "su", "sul", "sulla", "che", "chi", "il", "i", "gli", "un", "uno", "una", "nel", "nella",
        "nei", "negli", "dai", "ma", "se", "non", "ho", "ha", "hanno", "sono", "sei", "è", "e'",
        "era", "ero", "sto", "sta", "abito", "vivo", "lavoro", "vorrei", "volevo", "voglio",
        "scrivo", "avrei", "faccio", "devo", "posso", "mi", "ti", "ci", "si", "vi", "io", "tu",
        "lui", "lei", "noi", "voi", "loro", "mio", "mia", "suo", "sua", "questo", "questa",
        "come", "quando", "dove", "perché", "perche", "anche", "già", "gia", "sempre", "ancora",
        "oggi", "ieri", "domani", "qui", "tramite", "presso", "ex", "fu", "tutti",
        // Greetings, closings, institutions, roles.
        "buongiorno", "buonasera", "buona", "buon", "salve", "ciao", "gentile", "gentili",
        "gentilissimo", "gentilissima", "gentilissimi", "spett", "spettabile", "egregio",
        "egregi", "egregia", "caro", "cara", "cari", "grazie", "saluti", "saluto", "distinti",
        "cordiali", "cordialmente", "distintamente", "mille", "arrivederci", "anticipatamente",
        "attendo", "resto", "fede", "firma", "firmato", "inps", "inail", "istituto", "sede",
        "ufficio", "uffici", "ente", "patronato", "caf", "direzione", "direttore", "direttrice",
        "responsabile", "funzionario", "operatore", "operatrice", "presidente", "stato",
        "italia", "repubblica", "comune", "regione", "provincia", "ministero", "agenzia",
        "entrate", "azienda", "ditta", "società", "societa", "srl", "spa", "snc", "sas", "coop",
        "cooperativa", "studio", "lavoratore", "lavoratrice", "lavoratori", "pensionato",
        "pensionata", "disoccupato", "disoccupata", "richiedente", "cittadino", "cittadina",
        "genitore", "madre", "padre", "figlio", "figlia", "marito", "moglie", "commercialista",
        "consulente", "medico", "avvocato", "oggetto", "richiesta", "sollecito", "ricorso",
        "naspi", "dis", "coll", "isee", "rdc", "adi", "cig", "cigo", "cigs", "fis", "cud", "cu",
        "modello", "allegato", "allegati", "nessuno", "niente", "tutto", "ok",
        // Calendar.
        "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
        "settembre", "ottobre", "novembre", "dicembre", "lunedì", "martedì", "mercoledì",
        "giovedì", "venerdì", "sabato", "domenica",
        // English.
        "the", "and", "am", "is", "from", "born", "living", "my", "of", "dear", "hello", "thanks",
        "regards", "best", "kind", "sincerely", "i'm", "im", "to", "at",
    ]
    .into_iter()
    .collect()
});

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

fn classify_word(word: &str, next: Option<char>) -> WordClass {
    let lower = lower_word(word);
    let first = word.chars().next().unwrap_or(' ');
    if PARTICLES.contains(lower.as_str())
        && (first.is_uppercase() || LOWER_PARTICLES.contains(&lower.as_str()))
    {
        return WordClass::Pending;
    }
    if NAME_STOP.contains(lower.as_str()) {
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
    // "d'Amico", "dell'Acqua".
    if let Some((head, tail)) = word.split_once(['\'', '’'])
        && matches!(lower_word(head).as_str(), "d" | "de" | "dell" | "dall" | "degl" | "l")
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

/// Reads the name that starts at `start`: up to four name words, separated by spaces, with
/// particles and initials between them. Returns its byte range.
fn parse_name(text: &str, start: usize, allow_lower: bool) -> Option<(usize, usize)> {
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
        match class {
            WordClass::Stop => break,
            WordClass::Name => {
                if names == 4 {
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

fn find_persons(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut push = |range: Option<(usize, usize)>| {
        if let Some((s, e)) = range {
            spans.push(Span::new(s, e, Kind::Persona));
        }
    };
    // Introduced names.
    for caps in INTRO.captures_iter(text) {
        let m = caps.get(0).expect("whole match");
        let allow_lower = caps.name("lower").is_some();
        let mut p = m.end();
        if !m.as_str().ends_with(':') && glued_right(text, p) {
            continue;
        }
        let q = skip_hspace(text, p);
        let mut moved = q > p || m.as_str().ends_with(':');
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
        push(parse_name(text, p, allow_lower));
    }
    // Titles.
    for m in TITLE.find_iter(text) {
        if let Some(p) = title_end(text, m.end()) {
            push(parse_name(text, p, false));
        }
    }
    // Signatures at the end of the message.
    let closing_zone = tail_lines_start(text, 5);
    let name_zone = tail_lines_start(text, 4);
    for m in CLOSING.find_iter(&text[closing_zone..]) {
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
        let Some((s, e)) = parse_name(text, p, false) else {
            continue;
        };
        let rest = text[e..].trim_start_matches(is_hspace);
        let rest_end = rest
            .strip_prefix(['.', '!'])
            .unwrap_or(rest)
            .trim_start_matches(is_hspace);
        let line_ends = rest_end.is_empty() || rest_end.starts_with(['\n', '\r']);
        let separated = own_line && rest.starts_with([',', ';', '(', '-', '–', '|', '/']);
        if line_ends || separated {
            push(Some((s, e)));
        }
    }
    spans
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
    regex(&format!("{context}{date}"))
});

fn find_birth_dates(text: &str) -> Vec<Span> {
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
    regex(
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
        [m, y] => m.len() <= 2 && is_year(y),
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
            Some(chunk) if !punct.is_empty() && !sep.is_some_and(|sep| sep.contains(['(', ')'])) => {
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
        // other code): none of it is a phone. After the decimal point of an amount ("1,5 …"),
        // the first chunk is not.
        let before = char_before(text, m.start());
        if before.is_some_and(is_word_char) {
            continue;
        }
        let decimal_before = matches!(before, Some(',' | '.'))
            && text[..m.start() - 1]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_digit());
        if decimal_before {
            chunks[0].usable = false;
        }
        let after = &text[m.end()..];
        let decimal_after = after.starts_with([',', '.'])
            && after[1..].chars().next().is_some_and(|c| c.is_ascii_digit());
        if glued_right(text, m.end()) || decimal_after {
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
                count += chunk.groups.iter().map(|&(s, e)| e - s).sum::<usize>();
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

