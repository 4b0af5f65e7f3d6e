//! Training settings, checked before any work is done.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::features::FeatureParams;
use crate::text::TokenizerParams;

/// Everything `train` can be told. Build with [`ClassifierParams::default`] and the setters;
/// [`ClassifierParams::validate`] runs before fitting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierParams {
    pub tokenizer: TokenizerParams,
    pub features: FeatureParams,
    /// L2 penalty of the logistic regression. linfa's loss is a sum over requests, so the same
    /// alpha regularises less as the data grows; defaults to `0.1`.
    pub alpha: f64,
    /// L-BFGS iterations at most of one attempt; defaults to `150` (see the README: 80 gave a
    /// cross-validated macro-F1 of 0.956, 150 0.957, where the folds converge). A fit that stalls
    /// is tried again in up to four more attempts of as many iterations.
    pub max_iterations: u64,
    /// L-BFGS iterations at most of the final fit, which starts from the cross-validation
    /// models (never more than `max_iterations`); defaults to `75` (`25` for a model file
    /// written before this was stored).
    #[serde(default = "default_final_iterations")]
    pub final_iterations: u64,
    /// Stop when the gradient norm is below this; defaults to `1e-3`.
    pub gradient_tolerance: f64,
    /// Folds of the cross-validation that fits the calibration and the threshold; defaults to `2`
    /// (3 folds trained 55 % slower, for the same accuracy on unseen requests and a slightly
    /// lower calibration error on them, 0.016 against 0.022: see the README). Fewer are used when
    /// a service has fewer examples than folds.
    pub calibration_folds: usize,
    /// Precision that answered requests should reach; the abstention threshold is chosen from
    /// cross-validation to reach it; defaults to `0.95`.
    pub target_precision: f64,
    /// Seed of the fold assignment; defaults to `2020` (the year of the report).
    pub seed: u64,
}

fn default_final_iterations() -> u64 {
    25
}

impl Default for ClassifierParams {
    fn default() -> Self {
        ClassifierParams {
            tokenizer: TokenizerParams::default(),
            features: FeatureParams::default(),
            alpha: 0.1,
            max_iterations: 150,
            final_iterations: 75,
            gradient_tolerance: 1e-3,
            calibration_folds: 2,
            target_precision: 0.95,
            seed: 2020,
        }
    }
}

impl ClassifierParams {
    /// Iterations of the final fit.
    pub fn final_iterations(&self) -> u64 {
        self.final_iterations.min(self.max_iterations)
    }

    /// Sets the L2 penalty; defaults to `0.1`.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Sets the width of the feature vectors; defaults to `12288`.
    pub fn max_features(mut self, width: usize) -> Self {
        self.features.max_features = width;
        self
    }

    /// Sets the number of calibration folds; defaults to `2`.
    pub fn calibration_folds(mut self, folds: usize) -> Self {
        self.calibration_folds = folds;
        self
    }

    /// Sets the precision target of answered requests; defaults to `0.95`.
    pub fn target_precision(mut self, precision: f64) -> Self {
        self.target_precision = precision;
        self
    }

    /// Checks every setting, naming the one that is wrong.
    pub fn validate(&self) -> Result<()> {
        // the solver works in f32 and multiplies alpha by up to 16 (the fit scales, squared)
        if !self.alpha.is_finite() || !(0.0..=1e9).contains(&self.alpha) {
            return Err(Error::InvalidParam(format!(
                "alpha must be a number from 0 to 1e9 (got {})",
                self.alpha
            )));
        }
        if self.max_iterations == 0 || self.final_iterations == 0 {
            return Err(Error::InvalidParam(
                "max_iterations and final_iterations must be at least 1".into(),
            ));
        }
        if !self.gradient_tolerance.is_finite() || self.gradient_tolerance <= 0.0 {
            return Err(Error::InvalidParam(format!(
                "gradient_tolerance must be > 0 (got {})",
                self.gradient_tolerance
            )));
        }
        if !(2..=20).contains(&self.calibration_folds) {
            return Err(Error::InvalidParam(format!(
                "calibration folds must be between 2 and 20 (got {})",
                self.calibration_folds
            )));
        }
        if !(self.target_precision > 0.0 && self.target_precision <= 1.0) {
            return Err(Error::InvalidParam(format!(
                "target precision must be in (0, 1] (got {})",
                self.target_precision
            )));
        }
        self.features.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        ClassifierParams::default().validate().unwrap();
        let err = ClassifierParams::default()
            .alpha(f64::NAN)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("alpha"));
        let err = ClassifierParams::default()
            .calibration_folds(1)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("folds"));
        let err = ClassifierParams::default()
            .target_precision(1.5)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("precision"));
        let err = ClassifierParams::default()
            .max_features(0)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("max_features"));
    }
}
