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
    /// Logits are also multiplied by the request's word coverage (the share of its content
    /// words that some feature comes from, see [`crate::features::FeatureSpace::word_coverage`])
    /// to this power: a request the model reads only a word of, among many it has never seen,
    /// is not told apart as confidently as one it reads whole. 0 (models saved before it
    /// existed) leaves the logits as they are. At most [`MAX_COVERAGE_EXPONENT`].
    #[serde(default)]
    pub coverage_exponent: f64,
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            temperature: 1.0,
            threshold: 0.5,
            coverage_exponent: 0.0,
        }
    }
}

impl Calibration {
    /// What the logits of a request with this word coverage (0–1) are multiplied by before
    /// they are divided by the temperature: coverage^exponent.
    pub fn coverage_factor(&self, word_coverage: f64) -> f64 {
        coverage_factor(self.coverage_exponent, word_coverage)
    }

    /// The calibrated probabilities of a request's logits.
    pub fn probabilities(&self, logits: &[f64], word_coverage: f64) -> Vec<f64> {
        scaled_softmax(
            logits,
            self.coverage_factor(word_coverage),
            self.temperature,
        )
    }
}

/// The largest coverage exponent fitted (and accepted in a saved model).
pub const MAX_COVERAGE_EXPONENT: f64 = 2.0;

/// The least coverage the factor reads: a request with no word known has no features, and its
/// logits are the intercepts alone.
const MIN_COVERAGE: f64 = 0.01;

fn coverage_factor(exponent: f64, word_coverage: f64) -> f64 {
    word_coverage.clamp(MIN_COVERAGE, 1.0).powf(exponent)
}

/// Softmax of `logits / temperature`, computed stably.
pub fn softmax(logits: &[f64], temperature: f64) -> Vec<f64> {
    scaled_softmax(logits, 1.0, temperature)
}

/// Softmax of `logits · factor / temperature`, computed stably. A factor of 1 gives exactly
/// [`softmax`] at that temperature, as before coverage was read.
fn scaled_softmax(logits: &[f64], factor: f64, temperature: f64) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = logits
        .iter()
        .map(|&z| ((z - max) * factor / temperature).exp())
        .collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Mean negative log-likelihood of the true labels at a temperature.
#[cfg(test)]
fn negative_log_likelihood(logits: &[Vec<f64>], truth: &[usize], temperature: f64) -> f64 {
    let full = vec![1.0; logits.len()];
    scaled_nll(logits, &full, truth, temperature, 0.0)
}

/// The temperature that minimises the negative log-likelihood (golden-section search over
/// log T in [ln 0.05, ln 20]; the likelihood is unimodal in T).
#[cfg(test)]
fn fit_temperature(logits: &[Vec<f64>], truth: &[usize]) -> f64 {
    let full = vec![1.0; logits.len()];
    fit_temperature_at(logits, &full, truth, 0.0)
}

/// Coverage exponents tried by [`fit_calibration`].
const COVERAGE_EXPONENTS: [f64; 9] = [
    0.0,
    0.125,
    0.25,
    0.375,
    0.5,
    0.75,
    1.0,
    1.5,
    MAX_COVERAGE_EXPONENT,
];

/// The coverage exponent and temperature that together minimise the negative log-likelihood of
/// out-of-fold logits, each logit vector with its request's word coverage: for each exponent of a
/// grid the best temperature, then the best pair. The threshold is left at its default.
pub fn fit_calibration(logits: &[Vec<f64>], coverage: &[f64], truth: &[usize]) -> Calibration {
    use rayon::prelude::*;
    let (coverage_exponent, temperature, _) = COVERAGE_EXPONENTS
        .par_iter()
        .map(|&exponent| {
            let t = fit_temperature_at(logits, coverage, truth, exponent);
            let nll = scaled_nll(logits, coverage, truth, t, exponent);
            (exponent, t, nll)
        })
        .collect::<Vec<_>>()
        .into_iter()
        // the smallest exponent among equals: no change without evidence
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .expect("a grid of exponents");
    Calibration {
        temperature,
        coverage_exponent,
        ..Calibration::default()
    }
}

/// Mean negative log-likelihood with logits scaled by coverage^exponent / temperature.
fn scaled_nll(
    logits: &[Vec<f64>],
    coverage: &[f64],
    truth: &[usize],
    temperature: f64,
    exponent: f64,
) -> f64 {
    let total: f64 = logits
        .iter()
        .zip(coverage)
        .zip(truth)
        .map(|((z, &c), &t)| {
            -scaled_softmax(z, coverage_factor(exponent, c), temperature)[t]
                .max(1e-300)
                .ln()
        })
        .sum();
    total / logits.len().max(1) as f64
}

/// [`fit_temperature`] with logits also scaled by coverage^exponent.
fn fit_temperature_at(
    logits: &[Vec<f64>],
    coverage: &[f64],
    truth: &[usize],
    exponent: f64,
) -> f64 {
    if logits.is_empty() {
        return 1.0;
    }
    let f = |log_t: f64| scaled_nll(logits, coverage, truth, log_t.exp(), exponent);
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
    fn coverage_exponent_tempers_requests_read_in_part() {
        // the same logits, right 49 times in 50 on requests read whole and 1 in 2 on requests
        // of which the model knows a tenth of the words
        let mut logits = Vec::new();
        let mut coverage = Vec::new();
        let mut truth = Vec::new();
        for i in 0..200 {
            logits.push(vec![4.0, 0.0]);
            coverage.push(1.0);
            truth.push(usize::from(i % 50 == 0));
            logits.push(vec![4.0, 0.0]);
            coverage.push(0.1);
            truth.push(i % 2);
        }
        let fitted = fit_calibration(&logits, &coverage, &truth);
        assert!(fitted.coverage_exponent > 0.0, "{fitted:?}");
        let whole = fitted.probabilities(&[4.0, 0.0], 1.0)[0];
        let part = fitted.probabilities(&[4.0, 0.0], 0.1)[0];
        assert!(whole > 0.9 && part < 0.75, "{whole} {part}");
        // the likelihood it reaches is below temperature scaling's alone
        let t = fit_temperature(&logits, &truth);
        assert!(
            scaled_nll(
                &logits,
                &coverage,
                &truth,
                fitted.temperature,
                fitted.coverage_exponent
            ) < negative_log_likelihood(&logits, &truth, t)
        );
    }

    #[test]
    fn coverage_that_tells_nothing_leaves_temperature_scaling() {
        // right 3 times in 4 whatever the coverage
        let logits = vec![vec![10.0, 0.0]; 8];
        let coverage = [1.0, 0.2, 0.5, 0.9, 0.3, 1.0, 0.7, 0.4];
        let truth = [0, 0, 0, 1, 0, 1, 0, 0];
        let fitted = fit_calibration(&logits, &coverage, &truth);
        assert_eq!(fitted.coverage_exponent, 0.0);
        assert!((fitted.temperature - fit_temperature(&logits, &truth)).abs() < 1e-9);
        // and no exponent changes a request read whole
        let p = fitted.probabilities(&[10.0, 0.0], 1.0);
        assert_eq!(p, softmax(&[10.0, 0.0], fitted.temperature));
    }

    #[test]
    fn models_saved_before_the_coverage_exponent_load_without_it() {
        let old: Calibration =
            serde_json::from_str(r#"{"temperature": 0.9, "threshold": 0.2}"#).unwrap();
        assert_eq!(old.coverage_exponent, 0.0);
        // bit for bit what temperature scaling alone computed, at any coverage
        let before = |z: &[f64], t: f64| {
            let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let exps: Vec<f64> = z.iter().map(|&v| ((v - max) / t).exp()).collect();
            let sum: f64 = exps.iter().sum();
            exps.into_iter().map(|e| e / sum).collect::<Vec<_>>()
        };
        let logits = [3.7, -1.3, 0.123_456_789];
        for coverage in [0.0, 0.05, 0.5, 1.0] {
            assert_eq!(old.probabilities(&logits, coverage), before(&logits, 0.9));
        }
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
