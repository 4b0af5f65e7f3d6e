//! Labelled requests: reading and validating `{"text": ..., "label": ...}` JSON Lines files.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// One labelled request, with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub text: String,
    pub label: String,
    pub line: usize,
}

#[derive(Deserialize)]
struct RawExample {
    text: Option<serde_json::Value>,
    label: Option<serde_json::Value>,
}

/// A key under which two texts count as the same request: lowercase, accents and punctuation
/// ignored, whitespace collapsed.
pub fn duplicate_key(text: &str) -> String {
    crate::text::fold(text)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads a labelled file and checks every line: valid JSON, a non-empty `text`, a `label` among
/// `labels`, no request twice. All problems are reported at once, each with its line number.
/// Files ending in `.csv` are read as CSV with a header naming the `text` and `label` columns;
/// anything else as JSON Lines.
pub fn load_examples(path: &Path, labels: &[String]) -> Result<Vec<Example>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    examples_from_bytes(&bytes, path, labels)
}

/// As [`load_examples`], from the file's bytes already read (`path` names it in messages and
/// tells the format by its extension).
pub fn examples_from_bytes(bytes: &[u8], path: &Path, labels: &[String]) -> Result<Vec<Example>> {
    let scanned = if is_csv(path) {
        scan_csv(bytes, path, labels)?
    } else {
        scan(bytes, path, labels)?
    };
    check_scan(scanned, path)
}

/// As [`load_examples`] for JSON Lines from any reader (`path` names it in messages).
pub fn read_examples(reader: impl BufRead, path: &Path, labels: &[String]) -> Result<Vec<Example>> {
    check_scan(scan(reader, path, labels)?, path)
}

fn is_csv(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// Turns line problems, duplicates and conflicts into one error listing them all.
fn check_scan(scanned: Scan, path: &Path) -> Result<Vec<Example>> {
    let Scan {
        examples,
        mut problems,
    } = scanned;
    let mut seen: HashMap<String, (usize, &str)> = HashMap::new();
    for e in &examples {
        let key = duplicate_key(&e.text);
        match seen.get(&key) {
            Some((first, first_label)) if *first_label == e.label => {
                problems.push((e.line, format!("duplicate of line {first}")));
            }
            Some((first, first_label)) => problems.push((
                e.line,
                format!(
                    "same text as line {first} but labelled `{}` there `{first_label}`",
                    e.label
                ),
            )),
            None => {
                seen.insert(key, (e.line, &e.label));
            }
        }
    }
    problems.sort_by_key(|p| p.0);
    if let Some((line, _)) = problems.first() {
        let mut message = problems
            .iter()
            .take(20)
            .map(|(l, m)| format!("line {l}: {m}"))
            .collect::<Vec<_>>()
            .join("; ");
        if problems.len() > 20 {
            message.push_str(&format!("; and {} more", problems.len() - 20));
        }
        return Err(Error::Data {
            path: PathBuf::from(path),
            line: *line,
            message: format!("{} problem(s): {message}", problems.len()),
        });
    }
    if examples.is_empty() {
        return Err(Error::Data {
            path: PathBuf::from(path),
            line: 0,
            message: "no examples".into(),
        });
    }
    Ok(examples)
}

/// The readable examples of a file and the problems of the others (line, reason).
#[derive(Debug, Default)]
pub struct Scan {
    pub examples: Vec<Example>,
    pub problems: Vec<(usize, String)>,
}

/// Reads a CSV file with a header row naming the `text` and `label` columns (others ignored).
pub fn scan_csv(bytes: &[u8], path: &Path, labels: &[String]) -> Result<Scan> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader.headers().map_err(|e| Error::Data {
        path: PathBuf::from(path),
        line: 1,
        message: format!("cannot read the CSV header: {e}"),
    })?;
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(text_col), Some(label_col)) = (column("text"), column("label")) else {
        return Err(Error::Data {
            path: PathBuf::from(path),
            line: 1,
            message: "the CSV header must name a `text` and a `label` column".into(),
        });
    };
    let mut out = Scan::default();
    for record in reader.byte_records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                out.problems.push((line, format!("not valid CSV: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let field = |i: usize| {
            record
                .get(i)
                .map(|b| std::str::from_utf8(b).map(str::to_string))
        };
        let (text, label) = match (field(text_col), field(label_col)) {
            (Some(Ok(t)), Some(Ok(l))) => (t, l),
            (Some(Err(_)), _) | (_, Some(Err(_))) => {
                out.problems.push((line, "not valid UTF-8".into()));
                continue;
            }
            _ => {
                out.problems
                    .push((line, "missing `text` or `label` field".into()));
                continue;
            }
        };
        match check_fields(text, label, labels) {
            Ok((text, label)) => out.examples.push(Example { text, label, line }),
            Err(message) => out.problems.push((line, message)),
        }
    }
    Ok(out)
}

/// Reads every line it can; lines that are not valid examples become problems, not errors.
pub fn scan(reader: impl BufRead, path: &Path, labels: &[String]) -> Result<Scan> {
    let mut out = Scan::default();
    for (index, line) in reader.split(b'\n').enumerate() {
        let line_no = index + 1;
        let bytes = line.map_err(|e| Error::io(path, e))?;
        let Ok(line) = String::from_utf8(bytes) else {
            out.problems.push((line_no, "not valid UTF-8".into()));
            continue;
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match parse_line(line, labels) {
            Ok((text, label)) => out.examples.push(Example {
                text,
                label,
                line: line_no,
            }),
            Err(message) => out.problems.push((line_no, message)),
        }
    }
    Ok(out)
}

fn parse_line(line: &str, labels: &[String]) -> std::result::Result<(String, String), String> {
    let raw: RawExample =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let text = match raw.text {
        Some(serde_json::Value::String(s)) => s,
        Some(_) => return Err("`text` must be a string".into()),
        None => return Err("missing `text`".into()),
    };
    let label = match raw.label {
        Some(serde_json::Value::String(s)) => s,
        Some(_) => return Err("`label` must be a string".into()),
        None => return Err("missing `label`".into()),
    };
    check_fields(text, label, labels)
}

/// Checks a text and its label, whatever the file format.
fn check_fields(
    text: String,
    label: String,
    labels: &[String],
) -> std::result::Result<(String, String), String> {
    if crate::text::is_blank(&text) {
        return Err("empty `text`".into());
    }
    if !labels.contains(&label) {
        return Err(format!(
            "unknown label `{label}` (expected one of: {})",
            labels.join(", ")
        ));
    }
    Ok((text, label))
}

/// Number of examples of each label, in the order of `labels`.
pub fn label_counts(examples: &[Example], labels: &[String]) -> Vec<usize> {
    labels
        .iter()
        .map(|l| examples.iter().filter(|e| &e.label == l).count())
        .collect()
}

/// What `check-data` found in one file (and, optionally, against a second one).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DataReport {
    pub examples: usize,
    /// (service, examples) in catalogue order.
    pub per_service: Vec<(String, usize)>,
    /// Lines that are not valid examples: (line, reason).
    pub invalid: Vec<(usize, String)>,
    /// Pairs of lines with the same text (case, accents, punctuation ignored) and the same label.
    pub duplicates: Vec<(usize, usize)>,
    /// Pairs of lines with the same text under two labels.
    pub conflicts: Vec<(usize, usize)>,
    /// Pairs of lines whose words overlap almost entirely (Jaccard ≥ [`NEAR_DUPLICATE`]).
    pub near_duplicates: Vec<(usize, usize, f64)>,
    /// Pairs (line here, line in the other file) that are the same or nearly the same text.
    pub overlaps: Vec<(usize, usize, f64)>,
}

impl DataReport {
    /// True when nothing needs fixing (near-duplicates within a file are only a warning).
    pub fn is_clean(&self) -> bool {
        self.invalid.is_empty()
            && self.duplicates.is_empty()
            && self.conflicts.is_empty()
            && self.overlaps.is_empty()
    }
}

/// Word-set similarity from which two requests count as near-duplicates.
pub const NEAR_DUPLICATE: f64 = 0.8;

/// Sorted, deduplicated hashes of the words of a text.
fn word_set(text: &str) -> Vec<u64> {
    use std::hash::{Hash, Hasher};
    let mut set: Vec<u64> = duplicate_key(text)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect();
    set.sort_unstable();
    set.dedup();
    set
}

fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    if union == 0 {
        1.0
    } else {
        common as f64 / union as f64
    }
}

/// Near-duplicate pairs between two lists of word sets (or within one, when `same` is true).
/// Very short texts (under 4 distinct words) are compared exactly only.
fn similar_pairs(a: &[Vec<u64>], b: &[Vec<u64>], same: bool) -> Vec<(usize, usize, f64)> {
    let mut pairs = Vec::new();
    for (i, x) in a.iter().enumerate() {
        let start = if same { i + 1 } else { 0 };
        for (j, y) in b.iter().enumerate().skip(start) {
            let (small, large) = (x.len().min(y.len()), x.len().max(y.len()));
            // Jaccard ≤ small / large: skip pairs that cannot reach the bar
            if small < 4 || (small as f64) < NEAR_DUPLICATE * large as f64 {
                continue;
            }
            let similarity = jaccard(x, y);
            if similarity >= NEAR_DUPLICATE {
                pairs.push((i, j, similarity));
            }
        }
    }
    pairs
}

/// Checks `path` (and its overlap with `against`, if given).
pub fn check_files(path: &Path, against: Option<&Path>, labels: &[String]) -> Result<DataReport> {
    let open = |p: &Path| -> Result<Scan> {
        let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
        if is_csv(p) {
            scan_csv(&bytes, p, labels)
        } else {
            scan(bytes.as_slice(), p, labels)
        }
    };
    let main = open(path)?;
    let ex = &main.examples;
    let mut duplicates = Vec::new();
    let mut conflicts = Vec::new();
    let mut first_of: HashMap<String, usize> = HashMap::new();
    for (i, e) in ex.iter().enumerate() {
        match first_of.get(&duplicate_key(&e.text)) {
            Some(&f) if ex[f].label == e.label => duplicates.push((ex[f].line, e.line)),
            Some(&f) => conflicts.push((ex[f].line, e.line)),
            None => {
                first_of.insert(duplicate_key(&e.text), i);
            }
        }
    }
    let sets: Vec<Vec<u64>> = ex.iter().map(|e| word_set(&e.text)).collect();
    let near_duplicates = similar_pairs(&sets, &sets, true)
        .into_iter()
        .filter(|&(i, j, _)| duplicate_key(&ex[i].text) != duplicate_key(&ex[j].text))
        .map(|(i, j, s)| (ex[i].line, ex[j].line, s))
        .collect();
    let mut overlaps = Vec::new();
    if let Some(other_path) = against {
        let other = open(other_path)?;
        let other_sets: Vec<Vec<u64>> = other.examples.iter().map(|e| word_set(&e.text)).collect();
        let other_keys: HashMap<String, usize> = other
            .examples
            .iter()
            .map(|e| (duplicate_key(&e.text), e.line))
            .collect();
        for e in ex {
            if let Some(&line) = other_keys.get(&duplicate_key(&e.text)) {
                overlaps.push((e.line, line, 1.0));
            }
        }
        for (i, j, s) in similar_pairs(&sets, &other_sets, false) {
            if s < 1.0 || !overlaps.iter().any(|o| o.0 == ex[i].line) {
                overlaps.push((ex[i].line, other.examples[j].line, s));
            }
        }
        overlaps.sort_by_key(|o| (o.0, o.1));
        overlaps.dedup_by_key(|o| (o.0, o.1));
    }
    Ok(DataReport {
        examples: ex.len(),
        per_service: labels
            .iter()
            .cloned()
            .zip(label_counts(ex, labels))
            .collect(),
        invalid: main.problems,
        duplicates,
        conflicts,
        near_duplicates,
        overlaps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        vec!["naspi".into(), "pensione".into()]
    }

    fn read(text: &str) -> Result<Vec<Example>> {
        read_examples(text.as_bytes(), Path::new("t.jsonl"), &labels())
    }

    #[test]
    fn reads_valid_lines_and_skips_blank_ones() {
        let ex = read("{\"text\":\"ho perso il lavoro\",\"label\":\"naspi\"}\n\n{\"text\":\"la pensione\",\"label\":\"pensione\",\"id\":3}\n").unwrap();
        assert_eq!(ex.len(), 2);
        assert_eq!(ex[1].line, 3);
        assert_eq!(label_counts(&ex, &labels()), vec![1, 1]);
    }

    #[test]
    fn reports_every_problem_with_its_line() {
        let err = read(concat!(
            "{\"text\":\"ok\",\"label\":\"naspi\"}\n",
            "not json\n",
            "{\"text\":\"  \",\"label\":\"naspi\"}\n",
            "{\"text\":\"altro\",\"label\":\"bonus\"}\n",
            "{\"text\":\"OK!\",\"label\":\"naspi\"}\n",
            "{\"text\":\"ok\",\"label\":\"pensione\"}\n",
            "{\"label\":\"naspi\"}\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 2: not a JSON object"), "{err}");
        assert!(err.contains("line 3: empty `text`"), "{err}");
        assert!(err.contains("line 4: unknown label `bonus`"), "{err}");
        assert!(err.contains("line 5: duplicate of line 1"), "{err}");
        assert!(err.contains("line 6: same text as line 1"), "{err}");
        assert!(err.contains("line 7: missing `text`"), "{err}");
    }

    #[test]
    fn reads_csv_with_a_header() {
        let csv = "id,text,label\n1,\"ho perso il lavoro, e ora?\",naspi\n2,la pensione,pensione\n3,ciao,bonus\n";
        let err = examples_from_bytes(csv.as_bytes(), Path::new("d.csv"), &labels()).unwrap_err();
        assert!(
            err.to_string().contains("line 4: unknown label `bonus`"),
            "{err}"
        );
        let ok = examples_from_bytes(
            &csv.as_bytes()[..csv.len() - 13],
            Path::new("d.csv"),
            &labels(),
        )
        .unwrap();
        assert_eq!(ok[0].text, "ho perso il lavoro, e ora?");
        assert_eq!(ok[1].line, 3);
        let no_header = examples_from_bytes(b"a,b\n", Path::new("d.csv"), &labels()).unwrap_err();
        assert!(no_header.to_string().contains("header"));
    }

    #[test]
    fn invalid_utf8_is_a_line_error() {
        let bytes: &[u8] = b"{\"text\":\"a\xff\",\"label\":\"naspi\"}\n";
        let err = read_examples(bytes, Path::new("t"), &labels()).unwrap_err();
        assert!(err.to_string().contains("line 1: not valid UTF-8"));
    }

    #[test]
    fn check_files_finds_near_duplicates_conflicts_and_overlaps() {
        let dir = tempfile::tempdir().unwrap();
        let train = dir.path().join("train.jsonl");
        let test = dir.path().join("test.jsonl");
        std::fs::write(
            &train,
            concat!(
                "{\"text\":\"ho perso il lavoro a marzo cosa faccio\",\"label\":\"naspi\"}\n",
                "{\"text\":\"ho perso il lavoro a marzo, cosa faccio adesso\",\"label\":\"naspi\"}\n",
                "{\"text\":\"Ho perso il lavoro a marzo cosa faccio!\",\"label\":\"pensione\"}\n",
                "{\"text\":\"quando arriva la pensione\",\"label\":\"pensione\"}\n",
                "oops\n",
            ),
        )
        .unwrap();
        std::fs::write(
            &test,
            "{\"text\":\"Quando arriva la pensione?\",\"label\":\"pensione\"}\n",
        )
        .unwrap();
        let report = check_files(&train, Some(&test), &labels()).unwrap();
        assert_eq!(
            report.per_service,
            vec![("naspi".into(), 2), ("pensione".into(), 2)]
        );
        assert_eq!(report.conflicts, vec![(1, 3)]);
        assert!(
            report
                .near_duplicates
                .iter()
                .any(|&(a, b, _)| (a, b) == (1, 2))
        );
        assert_eq!(report.overlaps.len(), 1);
        assert_eq!((report.overlaps[0].0, report.overlaps[0].1), (4, 1));
        assert_eq!(report.invalid.len(), 1);
        assert!(!report.is_clean());
    }

    #[test]
    fn duplicate_key_ignores_case_accents_and_punctuation() {
        assert_eq!(
            duplicate_key("Perché  NON è arrivata?!"),
            "perche non e arrivata"
        );
    }
}
