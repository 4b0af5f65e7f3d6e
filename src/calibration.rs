//! Calibration: turning scores into probabilities that mean what they say, and choosing the
//! confidence below which a request goes to an operator.
//!
//! Both are fitted on out-of-fold predictions of cross-validation, never on the examples a model
//! was trained on (those it would score too confidently).

use serde::{Deserialize, Serialize};

/// The fitted calibration stored with a model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Logits are divided by this before the softmax (temperature scaling).
    pub temperature: f64,
    /// Below this calibrated confidence the request is sent to an operator.
    pub threshold: f64,
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            temperature: 1.0,
            threshold: 0.5,
        }
    }
}

/// Softmax of `logits / temperature`, computed stably.
pub fn softmax(logits: &[f64], temperature: f64) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = logits
        .iter()
        .map(|&z| ((z - max) / temperature).exp())
        .collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Mean negative log-likelihood of the true labels at a temperature.
pub fn negative_log_likelihood(logits: &[Vec<f64>], truth: &[usize], temperature: f64) -> f64 {
    let total: f64 = logits
        .iter()
        .zip(truth)
        .map(|(z, &t)| -softmax(z, temperature)[t].max(1e-300).ln())
        .sum();
    total / logits.len().max(1) as f64
}

/// The temperature that minimises the negative log-likelihood (golden-section search over
/// log T in [ln 0.05, ln 20]; the likelihood is unimodal in T).
pub fn fit_temperature(logits: &[Vec<f64>], truth: &[usize]) -> f64 {
    if logits.is_empty() {
        return 1.0;
    }
    let f = |log_t: f64| negative_log_likelihood(logits, truth, log_t.exp());
    let (mut a, mut b) = (0.05f64.ln(), 20f64.ln());
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - ratio * (b - a);
    let mut d = a + ratio * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..60 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - ratio * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + ratio * (b - a);
            fd = f(d);
        }
    }
    ((a + b) / 2.0).exp()
}

/// A confidence threshold and what it gives on the data it was chosen on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThresholdChoice {
    pub threshold: f64,
    /// Precision of the requests at or above the threshold.
    pub precision: f64,
    /// Share of requests at or above the threshold.
    pub coverage: f64,
    /// True when the target precision was reached.
    pub reached: bool,
}

/// The lowest threshold whose answered requests (confidence ≥ threshold) reach
/// `target_precision`, i.e. the one that sends the fewest requests to an operator.
pub fn choose_threshold(
    confidences: &[f64],
    correct: &[bool],
    target_precision: f64,
) -> ThresholdChoice {
    let mut order: Vec<usize> = (0..confidences.len()).collect();
    order.sort_by(|&a, &b| confidences[b].total_cmp(&confidences[a]));
    let mut best: Option<(usize, usize)> = None; // (answered, correct)
    let mut right = 0;
    for (k, &i) in order.iter().enumerate() {
        right += correct[i] as usize;
        let answered = k + 1;
        // only cut between distinct confidences: a threshold cannot split ties
        let at_boundary = order
            .get(k + 1)
            .is_none_or(|&next| confidences[next] < confidences[i]);
        if at_boundary && right as f64 >= target_precision * answered as f64 {
            best = Some((answered, right));
        }
    }
    let n = confidences.len().max(1) as f64;
    match best {
        Some((answered, right)) => ThresholdChoice {
            threshold: confidences[order[answered - 1]],
            precision: right as f64 / answered as f64,
            coverage: answered as f64 / n,
            reached: true,
        },
        None => ThresholdChoice {
            threshold: 1.0,
            precision: 0.0,
            coverage: 0.0,
            reached: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_temperature_flattens() {
        let p = softmax(&[2.0, 1.0, 0.0], 1.0);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let flat = softmax(&[2.0, 1.0, 0.0], 10.0);
        assert!(flat[0] < p[0]);
        let p = softmax(&[1000.0, -1000.0], 1.0);
        assert!(p[0].is_finite() && p[1].is_finite());
    }

    #[test]
    fn temperature_corrects_overconfidence() {
        // logits say 99.995% but the top class is right only 3 times out of 4
        let logits = vec![vec![10.0, 0.0]; 4];
        let truth = [0, 0, 0, 1];
        let t = fit_temperature(&logits, &truth);
        let p = softmax(&logits[0], t)[0];
        assert!((p - 0.75).abs() < 0.01, "calibrated p = {p}, T = {t}");
    }

    #[test]
    fn threshold_reaches_the_target_with_most_coverage() {
        let conf = [0.99, 0.95, 0.9, 0.8, 0.6, 0.4];
        let ok = [true, true, true, true, false, false];
        let choice = choose_threshold(&conf, &ok, 0.95);
        assert_eq!(choice.threshold, 0.8);
        assert!((choice.coverage - 4.0 / 6.0).abs() < 1e-12);
        assert!(choice.reached);
        let none = choose_threshold(&[0.9], &[false], 0.95);
        assert!(!none.reached);
        assert_eq!(none.threshold, 1.0);
    }
}
