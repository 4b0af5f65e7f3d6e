//! Human-readable and JSON output of every subcommand, written to standard output.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use sportello::data::DataReport;
use sportello::eval::{CrossValidation, Evaluation};
use sportello::recommend::Recommendation;
use sportello::{Classifier, Language};

fn percent(p: f64) -> String {
    format!("{:.0}%", p * 100.0)
}

fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// The words around the answer, in each language an answer can be in.
struct Words {
    to_operator: &'static str,
    most_likely: &'static str,
    threshold: &'static str,
    candidates: &'static str,
    recommended: &'static str,
    confidence: &'static str,
    because: &'static str,
    also: &'static str,
    also_why: &'static str,
    warning: &'static str,
    what_to_do: &'static str,
    official_page: &'static str,
    alternatives: &'static str,
    truncated: &'static str,
}

const ITALIAN: Words = Words {
    to_operator: "Richiesta da passare a un operatore: nessun servizio è abbastanza probabile",
    most_likely: "il più probabile è al",
    threshold: "la soglia è",
    candidates: "Servizi candidati",
    recommended: "Servizio consigliato",
    confidence: "fiducia",
    because: "Perché",
    also: "Anche",
    also_why: "la richiesta sembra riguardare anche questo",
    warning: "Attenzione",
    what_to_do: "Cosa fare",
    official_page: "Pagina ufficiale",
    alternatives: "Alternative",
    truncated: "richiesta molto lunga: è stato letto solo l'inizio",
};

const GERMAN: Words = Words {
    to_operator: "Anfrage an eine Sachbearbeiterin oder einen Sachbearbeiter weiterleiten: keine \
                  Leistung ist wahrscheinlich genug",
    most_likely: "die wahrscheinlichste liegt bei",
    threshold: "die Schwelle ist",
    candidates: "Mögliche Leistungen",
    recommended: "Empfohlene Leistung",
    confidence: "Sicherheit",
    because: "Gründe",
    also: "Auch",
    also_why: "die Anfrage scheint auch dies zu betreffen",
    warning: "Achtung",
    what_to_do: "Was tun",
    official_page: "Offizielle Seite",
    alternatives: "Alternativen",
    truncated: "sehr lange Anfrage: nur der Anfang wurde gelesen",
};

const ENGLISH: Words = Words {
    to_operator: "Request for an operator: no service is likely enough",
    most_likely: "the most likely is at",
    threshold: "the threshold is",
    candidates: "Candidate services",
    recommended: "Recommended service",
    confidence: "confidence",
    because: "Why",
    also: "Also",
    also_why: "the request seems to be about this too",
    warning: "Note",
    what_to_do: "What to do",
    official_page: "Official page",
    alternatives: "Alternatives",
    truncated: "very long request: only its beginning was read",
};

const FRENCH: Words = Words {
    to_operator: "Demande à transmettre à un opérateur : aucun service n'est assez probable",
    most_likely: "le plus probable est à",
    threshold: "le seuil est",
    candidates: "Services possibles",
    recommended: "Service conseillé",
    confidence: "confiance",
    because: "Pourquoi",
    also: "Aussi",
    also_why: "la demande semble concerner aussi ceci",
    warning: "Attention",
    what_to_do: "Que faire",
    official_page: "Page officielle",
    alternatives: "Autres services",
    truncated: "demande très longue : seul le début a été lu",
};

const SPANISH: Words = Words {
    to_operator: "Solicitud para un operador: ningún servicio es lo bastante probable",
    most_likely: "el más probable está al",
    threshold: "el umbral es",
    candidates: "Servicios posibles",
    recommended: "Servicio recomendado",
    confidence: "confianza",
    because: "Por qué",
    also: "También",
    also_why: "la solicitud parece referirse también a esto",
    warning: "Atención",
    what_to_do: "Qué hacer",
    official_page: "Página oficial",
    alternatives: "Alternativas",
    truncated: "solicitud muy larga: solo se leyó el principio",
};

const PORTUGUESE: Words = Words {
    to_operator: "Pedido para um operador: nenhum serviço é provável o suficiente",
    most_likely: "o mais provável está em",
    threshold: "o limiar é",
    candidates: "Serviços possíveis",
    recommended: "Serviço recomendado",
    confidence: "confiança",
    because: "Porquê",
    also: "Também",
    also_why: "o pedido parece referir-se também a isto",
    warning: "Atenção",
    what_to_do: "O que fazer",
    official_page: "Página oficial",
    alternatives: "Alternativas",
    truncated: "pedido muito longo: só o início foi lido",
};

/// The words around an answer in `language`.
fn words(language: Language) -> &'static Words {
    match language {
        Language::It => &ITALIAN,
        Language::De => &GERMAN,
        Language::En => &ENGLISH,
        Language::Fr => &FRENCH,
        Language::Es => &SPANISH,
        Language::Pt => &PORTUGUESE,
    }
}

/// One recommendation for a person at a terminal, in the language of its answer.
pub fn write_recommendation(out: &mut impl Write, r: &Recommendation) -> std::io::Result<()> {
    let w = words(r.language);
    if r.abstained {
        writeln!(
            out,
            "{} ({} {}, {} {}).",
            w.to_operator,
            w.most_likely,
            percent(r.confidence),
            w.threshold,
            percent(r.threshold)
        )?;
        writeln!(out, "{}:", w.candidates)?;
        writeln!(
            out,
            "  - {} ({}): {}",
            r.name,
            r.service,
            percent(r.confidence)
        )?;
        for a in &r.alternatives {
            writeln!(
                out,
                "  - {} ({}): {}",
                a.name,
                a.service,
                percent(a.confidence)
            )?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "{}: {} ({}), {} {}",
        w.recommended,
        r.name,
        r.service,
        w.confidence,
        percent(r.confidence)
    )?;
    if !r.explanation.is_empty() {
        let terms: Vec<&str> = r.explanation.iter().map(|e| e.term.as_str()).collect();
        writeln!(out, "{}: {}", w.because, terms.join(", "))?;
    }
    if let Some(s) = &r.secondary {
        writeln!(
            out,
            "{}: {} ({}), {} — {}",
            w.also,
            s.name,
            s.service,
            percent(s.confidence),
            w.also_why
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}", r.answer.text.trim())?;
    if !r.answer.active {
        writeln!(out, "{}: {}", w.warning, r.answer.status_note)?;
    }
    writeln!(out)?;
    writeln!(out, "{}:", w.what_to_do)?;
    for (i, step) in r.answer.next_steps.iter().enumerate() {
        writeln!(out, "  {}. {step}", i + 1)?;
    }
    writeln!(out, "{}: {}", w.official_page, r.answer.url)?;
    if !r.alternatives.is_empty() {
        let alts: Vec<String> = r
            .alternatives
            .iter()
            .map(|a| format!("{} ({})", a.service, percent(a.confidence)))
            .collect();
        writeln!(out, "{}: {}", w.alternatives, alts.join(", "))?;
    }
    if r.truncated {
        writeln!(out, "({})", w.truncated)?;
    }
    Ok(())
}

#[derive(Serialize)]
struct TrainSummaryJson<'a> {
    out: &'a Path,
    seconds: f64,
    services: Vec<(&'a str, usize)>,
    #[serde(flatten)]
    summary: &'a sportello::model::TrainingSummary,
    temperature: f64,
    coverage_exponent: f64,
    threshold: f64,
}

pub fn print_train_summary(
    c: &Classifier,
    out_dir: &Path,
    seconds: f64,
    json: bool,
) -> anyhow::Result<()> {
    let s = c.summary();
    let services: Vec<(&str, usize)> = c
        .labels()
        .iter()
        .map(String::as_str)
        .zip(s.per_service.iter().copied())
        .collect();
    let cal = c.calibration();
    if json {
        return print_json(&TrainSummaryJson {
            out: out_dir,
            seconds,
            services,
            summary: s,
            temperature: cal.temperature,
            coverage_exponent: cal.coverage_exponent,
            threshold: cal.threshold,
        });
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(
        out,
        "Trained on {} examples in {seconds:.1} s → {}",
        s.examples,
        out_dir.display()
    )?;
    for (label, n) in &services {
        writeln!(out, "  {label:<22} {n:>5}")?;
    }
    if s.examples_with_personal_data > 0 {
        let kinds: Vec<String> = s
            .personal_data
            .iter()
            .map(|(kind, n)| format!("{} {n}", kind.placeholder()))
            .collect();
        writeln!(
            out,
            "Personal data redacted before training in {} examples: {}",
            s.examples_with_personal_data,
            kinds.join(", ")
        )?;
    } else {
        writeln!(out, "No personal data found in the training examples")?;
    }
    writeln!(
        out,
        "Tokenizer vocabulary: {} tokens; feature width: {}",
        s.tokenizer_vocab, s.feature_width
    )?;
    writeln!(
        out,
        "Cross-validation ({} folds, out-of-fold): accuracy {:.3}, macro-F1 {:.3}",
        s.cv_folds, s.cv_accuracy, s.cv_macro_f1
    )?;
    writeln!(
        out,
        "Calibration: temperature {:.3}, coverage exponent {}; expected calibration error \
         {:.3} → {:.3}",
        cal.temperature, cal.coverage_exponent, s.cv_ece_before, s.cv_ece_after
    )?;
    if s.solver_stalled > 0 {
        writeln!(
            out,
            "sportello: warning: the regression solver stalled at every feature scale and in f64 in {} \
             of the {} fits; the model is weaker than it should be (try other --alpha or more \
             --max-iterations)",
            s.solver_stalled,
            s.cv_folds + 1
        )?;
    } else if s.solver_refits > 0 {
        writeln!(
            out,
            "Solver: stalled {} time(s) and was tried again at another feature scale (or in f64)",
            s.solver_refits
        )?;
    }
    let t = &s.threshold_choice;
    if t.reached {
        writeln!(
            out,
            "Abstention threshold {:.3}: answered requests reach precision {:.3} with coverage {:.1}% \
             (target {:.2}); the rest go to an operator",
            t.threshold,
            t.precision,
            t.coverage * 100.0,
            c.params().target_precision
        )?;
    } else {
        writeln!(
            out,
            "sportello: warning: no threshold reaches precision {:.2}; every request will go to an operator \
             unless --threshold is given",
            c.params().target_precision
        )?;
    }
    Ok(())
}

fn write_evaluation(out: &mut impl Write, e: &Evaluation) -> std::io::Result<()> {
    let m = &e.metrics;
    writeln!(out, "Examples: {}", e.examples)?;
    writeln!(
        out,
        "Accuracy: {:.3}   macro-F1: {:.3}",
        m.accuracy, m.macro_f1
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<22} {:>9} {:>7} {:>6} {:>8}",
        "service", "precision", "recall", "F1", "support"
    )?;
    for s in &m.per_service {
        writeln!(
            out,
            "{:<22} {:>9.3} {:>7.3} {:>6.3} {:>8}",
            s.service, s.precision, s.recall, s.f1, s.support
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Confusion matrix (rows: truth, columns: predicted)")?;
    let short: Vec<String> = m
        .labels
        .iter()
        .map(|l| l.chars().take(5).collect())
        .collect();
    write!(out, "{:<22}", "")?;
    for s in &short {
        write!(out, " {s:>5}")?;
    }
    writeln!(out)?;
    for (label, row) in m.labels.iter().zip(&m.confusion) {
        write!(out, "{label:<22}")?;
        for v in row {
            write!(out, " {v:>5}")?;
        }
        writeln!(out)?;
    }
    writeln!(out)?;
    match e.threshold {
        Some(t) => writeln!(out, "Abstention threshold: {t:.3}")?,
        None => writeln!(out, "Abstention threshold: each fold's own")?,
    }
    writeln!(
        out,
        "Answered: {} ({:.1}%), accuracy on answered {:.3}; to an operator: {}",
        e.answered,
        e.coverage * 100.0,
        e.answered_accuracy,
        e.to_operator
    )?;
    writeln!(
        out,
        "Expected calibration error: {:.3} (without calibration: {:.3})",
        e.ece, e.ece_uncalibrated
    )?;
    writeln!(
        out,
        "Out of scope: recall {:.3}; confidently given a benefit: {} of {}",
        e.out_of_scope_recall, e.out_of_scope_confident_wrong, e.out_of_scope_total
    )?;
    Ok(())
}

pub fn print_evaluation(e: &Evaluation, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(e);
    }
    let stdout = std::io::stdout();
    write_evaluation(&mut stdout.lock(), e)?;
    Ok(())
}

pub fn print_cross_validation(cv: &CrossValidation, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(cv);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let folds: Vec<String> = cv.fold_macro_f1.iter().map(|f| format!("{f:.3}")).collect();
    writeln!(
        out,
        "{}-fold cross-validation; macro-F1 per fold: {}",
        cv.folds,
        folds.join(" ")
    )?;
    writeln!(out, "Pooled held-out predictions:")?;
    write_evaluation(&mut out, &cv.pooled)?;
    Ok(())
}

pub fn print_data_report(r: &DataReport, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(r);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "Examples: {}", r.examples)?;
    for (label, n) in &r.per_service {
        writeln!(out, "  {label:<22} {n:>5}")?;
    }
    for (line, reason) in &r.invalid {
        writeln!(out, "invalid: line {line}: {reason}")?;
    }
    for (a, b) in &r.duplicates {
        writeln!(out, "duplicate: lines {a} and {b}")?;
    }
    for (a, b) in &r.conflicts {
        writeln!(out, "same text, two labels: lines {a} and {b}")?;
    }
    for (a, b, s) in &r.near_duplicates {
        writeln!(out, "near-duplicate ({s:.2}): lines {a} and {b}")?;
    }
    for (a, b, s) in &r.overlaps {
        writeln!(out, "in both files ({s:.2}): line {a} here, line {b} there")?;
    }
    writeln!(
        out,
        "{} invalid, {} duplicates, {} conflicts, {} near-duplicates, {} overlaps",
        r.invalid.len(),
        r.duplicates.len(),
        r.conflicts.len(),
        r.near_duplicates.len(),
        r.overlaps.len()
    )?;
    Ok(())
}
