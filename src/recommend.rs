//! From scores to a recommendation: the service, its confidence, the reasons, the answer in the
//! right register, the alternatives, and whether an operator should take over.

use serde::Serialize;

use crate::catalog::OUT_OF_SCOPE;
use crate::error::{Error, Result};
use crate::model::{Classifier, Scores};
use crate::style::{self, Style};

/// How to turn scores into a recommendation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecommendOptions {
    /// Services listed in all (the recommended one and the alternatives).
    pub top_k: usize,
    /// Confidence below which the request goes to an operator; `None` uses the model's own.
    pub threshold: Option<f64>,
    pub style: Style,
    /// Words in the explanation at most.
    pub max_explanation: usize,
}

impl Default for RecommendOptions {
    fn default() -> Self {
        RecommendOptions {
            top_k: 3,
            threshold: None,
            style: Style::Auto,
            max_explanation: 5,
        }
    }
}

impl RecommendOptions {
    pub fn validate(&self) -> Result<()> {
        if self.top_k == 0 || self.top_k > 50 {
            return Err(Error::InvalidParam(format!(
                "top-k must be between 1 and 50 (got {})",
                self.top_k
            )));
        }
        if let Some(t) = self.threshold {
            if !(0.0..=1.0).contains(&t) {
                return Err(Error::InvalidParam(format!(
                    "threshold must be between 0 and 1 (got {t})"
                )));
            }
        }
        Ok(())
    }
}

/// A service and its probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub service: String,
    pub name: String,
    pub confidence: f64,
}

/// A word that drove the decision and how much (calibrated logit units).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub term: String,
    pub weight: f64,
}

/// What the citizen is told.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub text: String,
    pub url: String,
    pub active: bool,
    pub status_note: String,
    pub next_steps: Vec<String>,
}

/// The recommendation for one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// The most likely service (also when abstaining).
    pub service: String,
    pub name: String,
    /// Calibrated probability of `service`, 0–1.
    pub confidence: f64,
    /// True when the confidence is below the threshold: an operator should take over.
    pub abstained: bool,
    pub threshold: f64,
    /// The next most likely services.
    pub alternatives: Vec<Candidate>,
    /// A second need the request also expresses, when the model sees one clearly.
    pub secondary: Option<Candidate>,
    /// Words that pushed towards `service`.
    pub explanation: Vec<Reason>,
    /// The register of `answer`.
    pub style: Style,
    pub answer: Answer,
    /// True when the request was longer than the length cap and only its start was read.
    pub truncated: bool,
}

/// A second service is shown when its probability is at least this…
const SECONDARY_MIN_PROBABILITY: f64 = 0.2;

impl Classifier {
    /// Scores a request and builds its recommendation.
    pub fn recommend(&self, text: &str, options: &RecommendOptions) -> Result<Recommendation> {
        options.validate()?;
        let scores = self.score(text)?;
        Ok(self.recommendation(text, &scores, options))
    }

    /// Builds the recommendation from scores already computed.
    pub fn recommendation(
        &self,
        text: &str,
        scores: &Scores,
        options: &RecommendOptions,
    ) -> Recommendation {
        let ranking = scores.ranking();
        let candidate = |i: usize| {
            let id = &self.labels()[i];
            Candidate {
                service: id.clone(),
                name: self
                    .catalog()
                    .get(id)
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                confidence: scores.probabilities[i],
            }
        };
        let best = ranking[0];
        let threshold = options.threshold.unwrap_or(self.calibration().threshold);
        let confidence = scores.probabilities[best];
        let abstained = scores.is_unknown() || confidence < threshold;
        let second = ranking.get(1).copied();
        let secondary = second
            .filter(|&i| {
                !abstained
                    && self.labels()[i] != OUT_OF_SCOPE
                    && self.labels()[best] != OUT_OF_SCOPE
                    && scores.probabilities[i] >= SECONDARY_MIN_PROBABILITY
            })
            .map(candidate);
        let explanation = self
            .explain(scores, best, options.max_explanation)
            .into_iter()
            .map(|(term, weight)| Reason { term, weight })
            .collect();
        let style = style::resolve(options.style, text, scores.word_count());
        let id = &self.labels()[best];
        let service = self
            .catalog()
            .get(id)
            .expect("catalogue checked against labels");
        let answer = Answer {
            text: match style {
                Style::Detailed => service.detailed.clone(),
                _ => service.simple.clone(),
            },
            url: service.url.clone(),
            active: service.active,
            status_note: service.status_note.clone(),
            next_steps: service.next_steps.clone(),
        };
        Recommendation {
            service: id.clone(),
            name: service.name.clone(),
            confidence,
            abstained,
            threshold,
            alternatives: ranking
                .iter()
                .skip(1)
                .take(options.top_k.saturating_sub(1))
                .map(|&i| candidate(i))
                .collect(),
            secondary,
            explanation,
            style,
            answer,
            truncated: scores.truncated,
        }
    }
}
