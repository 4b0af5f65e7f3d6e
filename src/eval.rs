//! Evaluation: stratified folds, classification metrics and calibration measures.

use serde::Serialize;

/// Precision, recall and F1 of one service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelMetrics {
    pub service: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Number of requests of this service in the truth.
    pub support: usize,
}

/// How well predictions match the truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub accuracy: f64,
    pub macro_f1: f64,
    pub per_service: Vec<LabelMetrics>,
    /// `confusion[truth][predicted]`, in the order of `labels`.
    pub confusion: Vec<Vec<usize>>,
    pub labels: Vec<String>,
}

/// Computes the metrics of `predicted` against `truth` (label indices into `labels`).
/// Macro-F1 averages over the services present in the truth or in the predictions.
pub fn metrics(labels: &[String], truth: &[usize], predicted: &[usize]) -> Metrics {
    let n = labels.len();
    let mut confusion = vec![vec![0usize; n]; n];
    for (&t, &p) in truth.iter().zip(predicted) {
        confusion[t][p] += 1;
    }
    let correct: usize = (0..n).map(|i| confusion[i][i]).sum();
    let per_service: Vec<LabelMetrics> = (0..n)
        .map(|i| {
            let tp = confusion[i][i] as f64;
            let predicted_i: usize = (0..n).map(|t| confusion[t][i]).sum();
            let support: usize = confusion[i].iter().sum();
            let precision = ratio(tp, predicted_i as f64);
            let recall = ratio(tp, support as f64);
            let f1 = ratio(2.0 * precision * recall, precision + recall);
            LabelMetrics {
                service: labels[i].clone(),
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect();
    let present: Vec<&LabelMetrics> = per_service
        .iter()
        .enumerate()
        .filter(|(i, m)| m.support > 0 || (0..n).any(|t| confusion[t][*i] > 0))
        .map(|(_, m)| m)
        .collect();
    let macro_f1 = ratio(present.iter().map(|m| m.f1).sum(), present.len() as f64);
    Metrics {
        accuracy: ratio(correct as f64, truth.len() as f64),
        macro_f1,
        per_service,
        confusion,
        labels: labels.to_vec(),
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Assigns each example to one of `k` folds so that every label is spread evenly across folds.
/// Deterministic for a given `seed`.
pub fn stratified_folds(labels: &[usize], k: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    // shuffle with a fixed-seed generator, then deal each label's examples round-robin
    let mut state = seed;
    for i in (1..order.len()).rev() {
        let j = (splitmix64(&mut state) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    let mut folds = vec![0; labels.len()];
    let n_labels = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut next = vec![0usize; n_labels];
    for &i in &order {
        let label = labels[i];
        folds[i] = (next[label] + label) % k;
        next[label] += 1;
    }
    folds
}

/// A small, well-known pseudo-random generator (SplitMix64): enough for shuffling folds.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One bin of a reliability table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReliabilityBin {
    pub from: f64,
    pub to: f64,
    pub count: usize,
    pub mean_confidence: f64,
    pub accuracy: f64,
}

/// Expected calibration error of top-1 confidences (`bins` equal-width bins) and its table.
pub fn calibration_error(
    confidences: &[f64],
    correct: &[bool],
    bins: usize,
) -> (f64, Vec<ReliabilityBin>) {
    let mut table: Vec<ReliabilityBin> = (0..bins)
        .map(|b| ReliabilityBin {
            from: b as f64 / bins as f64,
            to: (b + 1) as f64 / bins as f64,
            count: 0,
            mean_confidence: 0.0,
            accuracy: 0.0,
        })
        .collect();
    for (&c, &ok) in confidences.iter().zip(correct) {
        let b = ((c * bins as f64) as usize).min(bins - 1);
        table[b].count += 1;
        table[b].mean_confidence += c;
        table[b].accuracy += ok as u8 as f64;
    }
    let n = confidences.len() as f64;
    let mut ece = 0.0;
    for bin in &mut table {
        if bin.count > 0 {
            bin.mean_confidence /= bin.count as f64;
            bin.accuracy /= bin.count as f64;
            ece += bin.count as f64 / n * (bin.accuracy - bin.mean_confidence).abs();
        }
    }
    (ece, table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_a_hand_computed_case() {
        let labels = vec!["a".to_string(), "b".to_string()];
        // truth a a b b, predicted a b b b
        let m = metrics(&labels, &[0, 0, 1, 1], &[0, 1, 1, 1]);
        assert_eq!(m.accuracy, 0.75);
        assert_eq!(m.confusion, vec![vec![1, 1], vec![0, 2]]);
        assert_eq!(m.per_service[0].precision, 1.0);
        assert_eq!(m.per_service[0].recall, 0.5);
        assert!((m.per_service[1].precision - 2.0 / 3.0).abs() < 1e-12);
        let f1_a = 2.0 * 0.5 / 1.5;
        let f1_b = 2.0 * (2.0 / 3.0) / (5.0 / 3.0);
        assert!((m.macro_f1 - (f1_a + f1_b) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn folds_are_stratified_and_deterministic() {
        let labels: Vec<usize> = (0..30).map(|i| i % 3).collect();
        let folds = stratified_folds(&labels, 5, 7);
        assert_eq!(folds, stratified_folds(&labels, 5, 7));
        for fold in 0..5 {
            for label in 0..3 {
                let n = (0..30)
                    .filter(|&i| folds[i] == fold && labels[i] == label)
                    .count();
                assert_eq!(n, 2, "fold {fold} label {label}");
            }
        }
    }

    #[test]
    fn calibration_error_of_perfect_and_overconfident_models() {
        let (ece, _) = calibration_error(&[1.0, 1.0], &[true, true], 10);
        assert!(ece.abs() < 1e-12);
        let (ece, table) =
            calibration_error(&[0.9, 0.9, 0.9, 0.9], &[true, false, true, false], 10);
        assert!((ece - 0.4).abs() < 1e-12);
        assert_eq!(table[9].count, 4);
    }
}

/// How a trained model does on labelled requests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub examples: usize,
    #[serde(flatten)]
    pub metrics: Metrics,
    /// Threshold used for abstention (none when pooled over cross-validation folds, where
    /// each fold's model used its own).
    pub threshold: Option<f64>,
    /// Requests answered (confidence at or above the threshold) and sent to an operator.
    pub answered: usize,
    pub to_operator: usize,
    /// answered / examples.
    pub coverage: f64,
    /// Accuracy on the answered requests only.
    pub answered_accuracy: f64,
    /// Expected calibration error of the top confidence (10 bins) and the reliability table.
    pub ece: f64,
    /// The same error without calibration (the regression's own softmax).
    pub ece_uncalibrated: f64,
    pub reliability: Vec<ReliabilityBin>,
    /// Recall of the out-of-scope service, and how many out-of-scope requests got a confident
    /// benefit label (the worst mistake: a citizen sent to the wrong office with assurance).
    pub out_of_scope_recall: f64,
    pub out_of_scope_confident_wrong: usize,
    pub out_of_scope_total: usize,
    /// Examples whose prediction was wrong, most confident first.
    pub mistakes: Vec<Mistake>,
}

/// One wrong prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mistake {
    pub line: usize,
    pub truth: String,
    pub predicted: String,
    pub confidence: f64,
    pub abstained: bool,
}

/// Scores every example with `classifier` and measures the results.
pub fn evaluate(
    classifier: &crate::Classifier,
    examples: &[crate::data::Example],
    threshold: Option<f64>,
) -> crate::Result<Evaluation> {
    use rayon::prelude::*;
    let labels = classifier.labels().to_vec();
    let threshold = threshold.unwrap_or(classifier.calibration().threshold);
    // (top service, calibrated confidence, abstained, confidence without calibration)
    let scored: Vec<(usize, f64, bool, f64)> = examples
        .par_iter()
        .map(|e| {
            let scores = classifier.score(&e.text)?;
            let best = scores.ranking()[0];
            let confidence = scores.probabilities[best];
            let raw = crate::calibration::softmax(&scores.logits, 1.0)[best];
            Ok((
                best,
                confidence,
                scores.is_unknown() || confidence < threshold,
                raw,
            ))
        })
        .collect::<crate::Result<_>>()?;
    let truth: Vec<usize> = examples
        .iter()
        .map(|e| labels.iter().position(|l| *l == e.label).unwrap_or(0))
        .collect();
    let predicted: Vec<usize> = scored.iter().map(|s| s.0).collect();
    let metrics = metrics(&labels, &truth, &predicted);
    let correct: Vec<bool> = truth.iter().zip(&predicted).map(|(t, p)| t == p).collect();
    let confidences: Vec<f64> = scored.iter().map(|s| s.1).collect();
    let (ece, reliability) = calibration_error(&confidences, &correct, 10);
    let raw: Vec<f64> = scored.iter().map(|s| s.3).collect();
    let (ece_uncalibrated, _) = calibration_error(&raw, &correct, 10);
    let answered_idx: Vec<usize> = (0..examples.len()).filter(|&i| !scored[i].2).collect();
    let answered_right = answered_idx.iter().filter(|&&i| correct[i]).count();
    let oos = labels
        .iter()
        .position(|l| l == crate::catalog::OUT_OF_SCOPE);
    let oos_idx: Vec<usize> = (0..examples.len())
        .filter(|&i| Some(truth[i]) == oos)
        .collect();
    let oos_confident_wrong = oos_idx
        .iter()
        .filter(|&&i| !correct[i] && !scored[i].2)
        .count();
    let mut mistakes: Vec<Mistake> = (0..examples.len())
        .filter(|&i| !correct[i])
        .map(|i| Mistake {
            line: examples[i].line,
            truth: labels[truth[i]].clone(),
            predicted: labels[predicted[i]].clone(),
            confidence: confidences[i],
            abstained: scored[i].2,
        })
        .collect();
    mistakes.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.line.cmp(&b.line))
    });
    Ok(Evaluation {
        examples: examples.len(),
        threshold: Some(threshold),
        answered: answered_idx.len(),
        to_operator: examples.len() - answered_idx.len(),
        coverage: ratio(answered_idx.len() as f64, examples.len() as f64),
        answered_accuracy: ratio(answered_right as f64, answered_idx.len() as f64),
        ece,
        ece_uncalibrated,
        reliability,
        out_of_scope_recall: oos.map_or(0.0, |o| metrics.per_service[o].recall),
        out_of_scope_confident_wrong: oos_confident_wrong,
        out_of_scope_total: oos_idx.len(),
        mistakes,
        metrics,
    })
}

/// Result of stratified K-fold cross-validation of training.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossValidation {
    pub folds: usize,
    /// Macro-F1 of each fold's held-out part.
    pub fold_macro_f1: Vec<f64>,
    /// All held-out predictions pooled.
    pub pooled: Evaluation,
}

/// Trains on K−1 folds and evaluates on the remaining one, K times.
pub fn cross_validate(
    examples: &[crate::data::Example],
    catalog: &crate::Catalog,
    params: &crate::ClassifierParams,
    folds: usize,
) -> crate::Result<CrossValidation> {
    if !(2..=20).contains(&folds) {
        return Err(crate::Error::InvalidParam(format!(
            "cross-validation needs 2 to 20 folds (got {folds})"
        )));
    }
    let labels = catalog.labels();
    let y: Vec<usize> = examples
        .iter()
        .map(|e| labels.iter().position(|l| *l == e.label).unwrap_or(0))
        .collect();
    let assignment = stratified_folds(&y, folds, params.seed ^ 0x5eed);
    let mut fold_macro_f1 = Vec::new();
    let mut pooled_examples = Vec::new();
    let mut pooled_eval: Vec<Evaluation> = Vec::new();
    for fold in 0..folds {
        let train: Vec<crate::data::Example> = examples
            .iter()
            .zip(&assignment)
            .filter(|(_, f)| **f != fold)
            .map(|(e, _)| e.clone())
            .collect();
        let test: Vec<crate::data::Example> = examples
            .iter()
            .zip(&assignment)
            .filter(|(_, f)| **f == fold)
            .map(|(e, _)| e.clone())
            .collect();
        let model =
            crate::Classifier::fit(&train, catalog, params, String::new(), &crate::model::Quiet)?;
        let evaluation = evaluate(&model, &test, None)?;
        fold_macro_f1.push(evaluation.metrics.macro_f1);
        pooled_examples.extend(test);
        pooled_eval.push(evaluation);
    }
    let pooled = pool(&labels, &pooled_eval, pooled_examples.len());
    Ok(CrossValidation {
        folds,
        fold_macro_f1,
        pooled,
    })
}

/// Combines per-fold evaluations into one (confusion matrices and counts add up).
fn pool(labels: &[String], parts: &[Evaluation], n: usize) -> Evaluation {
    let mut truth = Vec::new();
    let mut predicted = Vec::new();
    for part in parts {
        for (t, row) in part.metrics.confusion.iter().enumerate() {
            for (p, &count) in row.iter().enumerate() {
                truth.extend(std::iter::repeat_n(t, count));
                predicted.extend(std::iter::repeat_n(p, count));
            }
        }
    }
    let metrics = metrics(labels, &truth, &predicted);
    let sum = |f: &dyn Fn(&Evaluation) -> usize| parts.iter().map(f).sum::<usize>();
    let answered = sum(&|e| e.answered);
    let answered_right: f64 = parts
        .iter()
        .map(|e| e.answered_accuracy * e.answered as f64)
        .sum();
    let oos_total = sum(&|e| e.out_of_scope_total);
    let oos_recall_hits: f64 = parts
        .iter()
        .map(|e| e.out_of_scope_recall * e.out_of_scope_total as f64)
        .sum();
    let mut mistakes: Vec<Mistake> = parts.iter().flat_map(|e| e.mistakes.clone()).collect();
    mistakes.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.line.cmp(&b.line))
    });
    let mut reliability = parts[0].reliability.clone();
    for bin in &mut reliability {
        bin.count = 0;
        bin.mean_confidence = 0.0;
        bin.accuracy = 0.0;
    }
    for part in parts {
        for (acc, bin) in reliability.iter_mut().zip(&part.reliability) {
            acc.count += bin.count;
            acc.mean_confidence += bin.mean_confidence * bin.count as f64;
            acc.accuracy += bin.accuracy * bin.count as f64;
        }
    }
    let ece_uncalibrated = parts
        .iter()
        .map(|e| e.ece_uncalibrated * e.examples as f64)
        .sum::<f64>()
        / n.max(1) as f64;
    let mut ece = 0.0;
    for bin in &mut reliability {
        if bin.count > 0 {
            bin.mean_confidence /= bin.count as f64;
            bin.accuracy /= bin.count as f64;
            ece += bin.count as f64 / n as f64 * (bin.accuracy - bin.mean_confidence).abs();
        }
    }
    Evaluation {
        examples: n,
        threshold: None,
        answered,
        to_operator: n - answered,
        coverage: ratio(answered as f64, n as f64),
        answered_accuracy: ratio(answered_right, answered as f64),
        ece,
        ece_uncalibrated,
        reliability,
        out_of_scope_recall: ratio(oos_recall_hits, oos_total as f64),
        out_of_scope_confident_wrong: sum(&|e| e.out_of_scope_confident_wrong),
        out_of_scope_total: oos_total,
        mistakes,
        metrics,
    }
}
