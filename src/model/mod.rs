//! The classifier: tokenizer + features + linfa's multinomial logistic regression + calibration,
//! trained together by [`Classifier::fit`] and saved together by [`Classifier::save`].

mod columns;
mod hyperparams;
mod io;
mod linear;

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use columns::ColumnGroups;
pub use hyperparams::ClassifierParams;
pub use io::{FORMAT_VERSION, MANIFEST_FILE, MODEL_FILE, TOKENIZER_FILE, sha256_hex};
pub use linear::Linear;

use crate::calibration::{self, Calibration, ThresholdChoice};
use crate::catalog::Catalog;
use crate::data::Example;
use crate::error::{Error, Result};
use crate::eval::{self, Metrics};
use crate::features::{FeatureSpace, Float, Occurrence, SparseRow};
use crate::redact::{Kind, redact};
use crate::text::{Analysis, TextAnalyzer};

/// What training learnt about its own quality, from cross-validation on the training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// SHA-256 of the training file's bytes.
    pub data_sha256: String,
    pub examples: usize,
    /// Examples per service, in label order.
    pub per_service: Vec<usize>,
    /// Training requests that contained personal data (redacted before anything else), and how
    /// many items of each kind were found.
    pub examples_with_personal_data: usize,
    pub personal_data: BTreeMap<Kind, usize>,
    /// Tokens in the trained tokenizer's vocabulary.
    pub tokenizer_vocab: usize,
    /// Columns of the feature vectors.
    pub feature_width: usize,
    /// Folds of the calibration cross-validation (fewer than asked when a service is small).
    pub cv_folds: usize,
    /// Out-of-fold accuracy and macro-F1 of cross-validation.
    pub cv_accuracy: f64,
    pub cv_macro_f1: f64,
    /// Expected calibration error of out-of-fold confidences, before and after calibration
    /// (temperature and coverage).
    pub cv_ece_before: f64,
    pub cv_ece_after: f64,
    /// What the chosen threshold gives on the out-of-fold predictions.
    pub threshold_choice: ThresholdChoice,
    /// Times a regression fit (calibration folds and final) stalled and its solver was tried
    /// again, at another feature scale or in f64 (see `ATTEMPTS`), counted once per restart.
    #[serde(default)]
    pub solver_refits: usize,
    /// Fits whose solver stalled at every scale and in f64 (the attempt with the lowest loss was
    /// kept): the model is then weaker than it should be.
    #[serde(default)]
    pub solver_stalled: usize,
}

/// A trained classifier.
#[derive(Debug, Clone)]
pub struct Classifier {
    labels: Vec<String>,
    catalog: Catalog,
    analyzer: TextAnalyzer,
    features: FeatureSpace,
    linear: Linear,
    calibration: Calibration,
    params: ClassifierParams,
    summary: TrainingSummary,
    /// Each column's mean weight over the services, for [`Classifier::explain`]; computed at
    /// its first use.
    column_means: OnceLock<Vec<f64>>,
}

/// The classifier's view of one request.
#[derive(Debug, Clone)]
pub struct Scores {
    /// Calibrated probability of each service, in label order; finite, summing to 1.
    pub probabilities: Vec<f64>,
    /// The regression's raw scores (before temperature scaling and softmax).
    pub logits: Vec<f64>,
    /// True when the request was longer than the length cap and only its start was read.
    pub truncated: bool,
    /// The share of the request's content words that some feature comes from, 0–1 (see
    /// [`FeatureSpace::word_coverage`]).
    pub word_coverage: f64,
    /// The request as read: cleaned, its personal data redacted.
    pub(crate) text: String,
    analysis: Analysis,
    occurrences: Vec<Occurrence>,
    row: SparseRow,
}

impl Scores {
    /// The request's words in their normal form (lowercase, no accents), in order.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.analysis.words.iter().map(|word| &**word)
    }

    /// Label indices by decreasing probability.
    pub fn ranking(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.probabilities.len()).collect();
        order.sort_by(|&a, &b| {
            self.probabilities[b]
                .total_cmp(&self.probabilities[a])
                .then(a.cmp(&b))
        });
        order
    }

    /// The most likely label: `ranking()[0]`, without sorting the others (the same order: the
    /// highest by `total_cmp`, the lowest index among equals).
    pub fn best(&self) -> usize {
        top(&self.probabilities).0
    }

    /// True when no word of the request is known to the model.
    pub fn is_unknown(&self) -> bool {
        self.row.is_empty()
    }

    /// Number of words in the request.
    pub fn word_count(&self) -> usize {
        self.analysis.words.len()
    }
}

/// Stages of training, reported as they start.
pub trait TrainObserver: Sync {
    /// A stage starts; `step` counts from 1 to `steps`.
    fn stage(&self, _name: &str, _step: usize, _steps: usize) {}
    /// Asked between stages: returning true stops training with [`Error::Interrupted`].
    fn cancelled(&self) -> bool {
        false
    }
}

/// An observer that reports nothing and never cancels.
pub struct Quiet;
impl TrainObserver for Quiet {}

fn check_cancel(observer: &dyn TrainObserver) -> Result<()> {
    if observer.cancelled() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

thread_local! {
    /// For [`Classifier::explain`]: per column, how many of a request's occurrences have it,
    /// then each one's share of the column's contribution (all 0 between requests).
    static SHARE_OF_COLUMN: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How a fit can be attempted: linfa's solver in f32 at four scales of the features (alpha and
/// the weights are rescaled so that the objective and its optimum stay the same), then once in
/// f64 (at twice the memory and time, so only last). linfa's L-BFGS used to stall often: its
/// log-softmax subtracted the largest logit of the whole matrix, not each row's, so a request
/// whose logits all lay far below it got a wrong loss and gradient, and after a few iterations
/// the solver stopped ("search direction must be a descent direction") without an error. The
/// vendored linfa now subtracts each row's maximum (`vendor/linfa-logistic/PATCH.md`); on the
/// 79,960 shipped requests at 12,288 columns, every attempt from zero (f32 at scales 1 and 2 on
/// both folds, f64 in a trial) stalled after 15 or 16 iterations before the fix, and no fit
/// stalls after it. The attempts stay as
/// a safeguard. They follow [`attempt_order`]: first the f32 attempt that converged from its own
/// start in the previous fit of the same training. A stalled point can trap the next attempts,
/// so the second attempt starts afresh (from zero, or for the final fit from the folds'
/// averaged weights); later ones go on from the best point (the lowest loss so far), which
/// rescued fits that had stalled at every scale from zero.
const ATTEMPTS: [(Precision, Float); 5] = [
    (Precision::Single, 1.0),
    (Precision::Single, 2.0),
    (Precision::Single, 1.5),
    (Precision::Single, 4.0),
    (Precision::Double, 1.0),
];

/// The attempts of one fit, as indices into [`ATTEMPTS`]: `first` (the attempt that converged
/// in the previous fit of the same training), then the others in order.
fn attempt_order(first: Option<usize>) -> impl Iterator<Item = usize> {
    first
        .into_iter()
        .chain((0..ATTEMPTS.len()).filter(move |&i| Some(i) != first))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Precision {
    Single,
    Double,
}

/// A fit has stalled when the norm of its objective's gradient is still more than this share of
/// the norm at zero weights (measured with [`Linear::objective`]). On the 79,960 shipped
/// requests the folds' fits end at 0.0006 and 0.0012 and the final fit at 0.003; before the
/// log-softmax fix stalled fits ended at 0.12 to 0.21, and one at 0.099, which the earlier
/// bound of 0.1 took for converged (its fold's loss was 2.4 times the converged one's).
const STALLED_GRADIENT: f64 = 0.05;

/// How a fit went: how many times the solver stalled and was tried again at another scale, and
/// whether even the last attempt stalled (the attempt with the lowest loss is kept).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct FitOutcome {
    refits: usize,
    stalled: bool,
    /// The f32 attempt (index into [`ATTEMPTS`]) that converged from the fit's own start, which
    /// the next fit of the same training tries first; `None` when the fit stalled, or converged
    /// only from the best point of earlier attempts or in f64 (which stays the last resort).
    converged_with: Option<usize>,
}

/// One attempt of [`fit_linear`]: linfa's solver in the float type `$float` on the merged sparse
/// matrix times `scale`, started from `from` (or zero), with a fresh L-BFGS history; the model of the
/// original columns, or an error. The matrix lives only for the attempt, so two attempts'
/// matrices never coexist. A macro rather than a generic function because linfa-logistic's
/// float trait is private.
macro_rules! fit_attempt {
    ($float:ty, $n_services:expr, $groups:expr, $rows:expr, $y:expr, $params:expr, $scale:expr, $from:expr) => {{
        let (groups, params, scale): (&ColumnGroups, &ClassifierParams, Float) =
            ($groups, $params, $scale);
        let mut regression = MultiLogisticRegression::<$float>::default()
            .alpha(params.alpha as $float * <$float>::from(scale * scale))
            .max_iterations(params.max_iterations)
            .gradient_tolerance(params.gradient_tolerance as $float);
        if let Some(from) = $from {
            let start = groups.linfa_params(from, scale).mapv(<$float>::from);
            regression = regression.initial_params(start);
        }
        groups
            .sparse::<$float>($rows, scale)
            .and_then(|records| regression.fit_sparse(&records, $y).map_err(Error::from))
            .and_then(|fit| {
                let merged =
                    Linear::from_linfa(fit.classes(), fit.params(), fit.intercept(), $n_services)?;
                Ok(groups.unmerge(merged, scale))
            })
    }};
}

/// Where a fit starts: `init`, other weights of the same columns, is where the attempts that
/// start afresh start (zero without it); `first` is the attempt to try first (see
/// [`attempt_order`]).
#[derive(Debug, Clone, Copy, Default)]
struct Start<'a> {
    init: Option<&'a Linear>,
    first: Option<usize>,
}

/// Fits linfa's multinomial logistic regression on sparse rows of `width` columns, identical
/// columns merged (see [`columns`]), from `start`. A stalled solver goes on with the next
/// attempt, afresh or from the best point so far, always with a fresh L-BFGS history. Each
/// attempt builds its own sparse matrix (in its precision and scale), dropped after it.
/// A stall can come early (on 24,110 requests scale 1 stalled after 4.6 s where a fit takes
/// 14 s) or late (21 s on the benchmark's synthetic set, where a fit takes 6 s).
fn fit_linear(
    n_services: usize,
    width: usize,
    rows: &[SparseRow],
    y: &[usize],
    params: &ClassifierParams,
    start: Start,
) -> Result<(Linear, FitOutcome)> {
    let Start { init, first } = start;
    let groups = ColumnGroups::find(rows, width);
    let at_zero = Linear::zeros(width, n_services)
        .objective(rows, y, params.alpha)
        .gradient_norm;
    let mut best: Option<(Linear, f64)> = None;
    let mut attempts = 0;
    for index in attempt_order(first) {
        let (precision, scale) = ATTEMPTS[index];
        attempts += 1;
        // the first two attempts start from `init`, later ones from the best point so far
        let from = if attempts <= 2 {
            init
        } else {
            best.as_ref().map(|(linear, _)| linear).or(init)
        };
        let fitted = match precision {
            Precision::Single => {
                fit_attempt!(f32, n_services, &groups, rows, y, params, scale, from)
            }
            Precision::Double => {
                fit_attempt!(f64, n_services, &groups, rows, y, params, scale, from)
            }
        }?;
        let objective = fitted.objective(rows, y, params.alpha);
        let converged = objective.gradient_norm <= STALLED_GRADIENT * at_zero;
        // keeps a converged fit, or else the lowest loss so far
        if converged || best.as_ref().is_none_or(|(_, loss)| objective.loss < *loss) {
            best = Some((fitted, objective.loss));
        }
        if converged && let Some((linear, _)) = best {
            let outcome = FitOutcome {
                refits: attempts - 1,
                stalled: false,
                converged_with: (attempts <= 2 && precision == Precision::Single).then_some(index),
            };
            return Ok((linear, outcome));
        }
    }
    let (linear, _) = best.ok_or_else(|| Error::InvalidParam("no fit to keep".into()))?;
    let outcome = FitOutcome {
        refits: attempts - 1,
        stalled: true,
        converged_with: None,
    };
    Ok((linear, outcome))
}

impl Classifier {
    /// Trains a classifier on `examples` (already validated against `catalog`).
    ///
    /// Steps: train the tokenizer; analyse every request; cross-validate (features and
    /// regression refitted on each fold) to get out-of-fold scores; fit the temperature, the
    /// coverage exponent and the abstention threshold on them; fit the final features and
    /// regression on all the data.
    pub fn fit(
        examples: &[Example],
        catalog: &Catalog,
        params: &ClassifierParams,
        data_sha256: String,
        observer: &dyn TrainObserver,
    ) -> Result<Self> {
        params.validate()?;
        let labels = catalog.labels();
        let index: HashMap<&str, usize> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str(), i))
            .collect();
        let mut y = Vec::with_capacity(examples.len());
        for e in examples {
            let label = index.get(e.label.as_str()).ok_or_else(|| {
                Error::Dataset(format!("line {}: unknown label `{}`", e.line, e.label))
            })?;
            y.push(*label);
        }
        let per_service: Vec<usize> = (0..labels.len())
            .map(|l| y.iter().filter(|&&t| t == l).count())
            .collect();
        // Every service needs an example in each calibration fold; small data sets get fewer
        // folds (at least two) rather than a refusal.
        let smallest = per_service.iter().copied().min().unwrap_or(0);
        if smallest < 2 {
            let l = per_service.iter().position(|&n| n == smallest).unwrap_or(0);
            return Err(Error::Dataset(format!(
                "service `{}` has {smallest} examples; each service needs at least 2 \
                 (and ideally 100 or more)",
                labels[l]
            )));
        }
        let n_folds = params.calibration_folds.min(smallest);
        let steps = n_folds + 3;
        observer.stage("training the tokenizer", 1, steps);
        // Personal data is replaced by placeholders before the tokenizer, the features or any
        // file sees the texts.
        let redacted: Vec<crate::redact::Redacted> = examples
            .par_iter()
            .map(|e| redact(&crate::text::clean(&e.text).text))
            .collect();
        let examples_with_personal_data = redacted.iter().filter(|r| !r.found.is_empty()).count();
        let mut personal_data: BTreeMap<Kind, usize> = BTreeMap::new();
        for kind in redacted.iter().flat_map(|r| &r.found) {
            *personal_data.entry(*kind).or_default() += 1;
        }
        let texts: Vec<&str> = redacted.iter().map(|r| r.text.as_str()).collect();
        let analyzer = TextAnalyzer::train(&texts, params.tokenizer)?;
        check_cancel(observer)?;
        observer.stage("analysing the requests", 2, steps);
        let analyses: Vec<Analysis> = texts
            .par_iter()
            .map(|t| analyzer.analyze(t))
            .collect::<Result<_>>()?;
        check_cancel(observer)?;

        // Out-of-fold logits from cross-validation, for the figures and the calibration.
        let folds = eval::stratified_folds(&y, n_folds, params.seed);
        // per fold: (example index, out-of-fold logits) of its held-out examples
        struct Fold {
            /// (example, its logits, its word coverage)
            logits: Vec<(usize, Vec<f64>, f64)>,
            space: FeatureSpace,
            linear: Linear,
            outcome: FitOutcome,
        }
        let run_fold = |fold: usize, first: Option<usize>| -> Result<Fold> {
            observer.stage("cross-validating", 3 + fold, steps);
            check_cancel(observer)?;
            let train: Vec<usize> = (0..y.len()).filter(|&i| folds[i] != fold).collect();
            let test: Vec<usize> = (0..y.len()).filter(|&i| folds[i] == fold).collect();
            let train_docs: Vec<&Analysis> = train.iter().map(|&i| &analyses[i]).collect();
            let train_y: Vec<usize> = train.iter().map(|&i| y[i]).collect();
            let (space, rows) =
                FeatureSpace::fit_with_rows(&train_docs, &train_y, labels.len(), params.features)?;
            let (linear, outcome) = fit_linear(
                labels.len(),
                space.width(),
                &rows,
                &train_y,
                params,
                Start { init: None, first },
            )?;
            let logits = test
                .iter()
                .map(|&i| {
                    let occurrences = space.occurrences(&analyses[i]);
                    let coverage = FeatureSpace::word_coverage(&analyses[i], &occurrences);
                    (i, linear.logits(&space.vector(&occurrences)), coverage)
                })
                .collect();
            Ok(Fold {
                logits,
                space,
                linear,
                outcome,
            })
        };
        // Folds run one at a time, each fit's products on both cores; each fit tries first the
        // attempt that converged in the fit before it.
        let mut fold_models: Vec<Fold> = Vec::with_capacity(n_folds);
        let mut first = None;
        for fold in 0..n_folds {
            let model = run_fold(fold, first)?;
            first = model.outcome.converged_with.or(first);
            fold_models.push(model);
        }
        let mut oof: Vec<Vec<f64>> = vec![Vec::new(); y.len()];
        let mut oof_coverage: Vec<f64> = vec![1.0; y.len()];
        for fold in &fold_models {
            for (i, z, coverage) in &fold.logits {
                oof[*i] = z.clone();
                oof_coverage[*i] = *coverage;
            }
        }
        check_cancel(observer)?;
        let fitted = calibration::fit_calibration(&oof, &oof_coverage, &y);
        let raw_top: Vec<(usize, f64)> = oof
            .iter()
            .map(|z| top(&calibration::softmax(z, 1.0)))
            .collect();
        let cal_top: Vec<(usize, f64)> = oof
            .iter()
            .zip(&oof_coverage)
            .map(|(z, &coverage)| top(&fitted.probabilities(z, coverage)))
            .collect();
        let correct: Vec<bool> = cal_top.iter().zip(&y).map(|((p, _), t)| p == t).collect();
        let (ece_before, _) = eval::calibration_error(
            &raw_top.iter().map(|t| t.1).collect::<Vec<_>>(),
            &correct,
            10,
        );
        let confidences: Vec<f64> = cal_top.iter().map(|t| t.1).collect();
        let (ece_after, _) = eval::calibration_error(&confidences, &correct, 10);
        let threshold_choice =
            calibration::choose_threshold(&confidences, &correct, params.target_precision);
        let predicted: Vec<usize> = cal_top.iter().map(|t| t.0).collect();
        let cv: Metrics = eval::metrics(&labels, &y, &predicted);

        observer.stage("fitting the final model", steps, steps);
        let all_docs: Vec<&Analysis> = analyses.iter().collect();
        let (space, rows) =
            FeatureSpace::fit_with_rows(&all_docs, &y, labels.len(), params.features)?;
        // The final fit starts from the folds' models, averaged term by term, so it needs fewer
        // iterations than a fit from zero (README, "How it works").
        let folds_view: Vec<(&FeatureSpace, &Linear)> =
            fold_models.iter().map(|f| (&f.space, &f.linear)).collect();
        let start = average_weights(&space, &folds_view);
        let final_params = ClassifierParams {
            max_iterations: params.final_iterations(),
            ..params.clone()
        };
        let (linear, final_outcome) = fit_linear(
            labels.len(),
            space.width(),
            &rows,
            &y,
            &final_params,
            Start {
                init: Some(&start),
                first,
            },
        )?;
        let outcomes: Vec<FitOutcome> = fold_models
            .iter()
            .map(|f| f.outcome)
            .chain([final_outcome])
            .collect();
        check_cancel(observer)?;
        let summary = TrainingSummary {
            data_sha256,
            examples: examples.len(),
            per_service,
            examples_with_personal_data,
            personal_data,
            tokenizer_vocab: analyzer.vocab_size(),
            feature_width: space.width(),
            cv_folds: n_folds,
            cv_accuracy: cv.accuracy,
            cv_macro_f1: cv.macro_f1,
            cv_ece_before: ece_before,
            cv_ece_after: ece_after,
            threshold_choice,
            solver_refits: outcomes.iter().map(|o| o.refits).sum(),
            solver_stalled: outcomes.iter().filter(|o| o.stalled).count(),
        };
        let classifier = Classifier {
            labels,
            catalog: catalog.clone(),
            analyzer,
            features: space,
            linear,
            calibration: Calibration {
                threshold: threshold_choice.threshold,
                ..fitted
            },
            params: params.clone(),
            summary,
            column_means: OnceLock::new(),
        };
        classifier.check()?;
        Ok(classifier)
    }

    /// Checks that the parts fit together (shapes, labels, finite numbers): run after fitting
    /// and after loading, so prediction can never index out of bounds or produce NaN.
    fn check(&self) -> Result<()> {
        let problem = |m: String| Err(Error::InvalidInput(m));
        let w = &self.linear.weights;
        if w.nrows() != self.features.width() || w.ncols() != self.labels.len() {
            return problem(format!(
                "weights are {}×{}, expected {}×{}",
                w.nrows(),
                w.ncols(),
                self.features.width(),
                self.labels.len()
            ));
        }
        if self.linear.intercept.len() != self.labels.len() {
            return problem("intercept has the wrong length".into());
        }
        if w.iter()
            .chain(self.linear.intercept.iter())
            .any(|v| !v.is_finite())
        {
            return problem("weights are not all finite".into());
        }
        let Calibration {
            temperature,
            threshold,
            coverage_exponent,
        } = self.calibration;
        if !(temperature.is_finite()
            && (1.0 / temperature).is_finite()
            && temperature > 0.0
            && (0.0..=1.0).contains(&threshold)
            && (0.0..=calibration::MAX_COVERAGE_EXPONENT).contains(&coverage_exponent))
        {
            return problem(format!(
                "calibration out of range (temperature {temperature}, threshold {threshold}, \
                 coverage exponent {coverage_exponent})"
            ));
        }
        if self.catalog.labels() != self.labels {
            return problem("the model's services differ from its catalogue".into());
        }
        Ok(())
    }

    /// Scores one request (its personal data redacted first).
    pub fn score(&self, text: &str) -> Result<Scores> {
        let cleaned = crate::text::clean(text);
        let text = redact(&cleaned.text).text;
        self.score_redacted(text, cleaned.truncated)
    }

    /// [`Classifier::score`] of a text already cleaned and redacted, such as a part of
    /// [`Scores::text`]; `truncated` tells whether it was cut to the length cap.
    pub(crate) fn score_redacted(&self, text: String, truncated: bool) -> Result<Scores> {
        let analysis = self.analyzer.analyze(&text)?;
        let occurrences = self.features.occurrences(&analysis);
        Ok(self.scores_of(text, truncated, analysis, occurrences))
    }

    /// [`Classifier::score_redacted`] of a part of a request already scored (`whole`), such as
    /// one of the [`crate::recommend::segments`] of [`Scores::text`], with the same result.
    ///
    /// When the part's words and pieces are a run of the whole's (found from word `*from` on,
    /// then from the start; `*from` is moved past it), its occurrences are the whole's inside
    /// that run, renumbered, and are not looked up again: every term comes from one word, or
    /// from a word and the next one that is not a politeness formula, and both are in the run
    /// exactly when they are in the part. Otherwise the part is scored on its own.
    pub(crate) fn score_part(
        &self,
        whole: &Scores,
        text: String,
        from: &mut usize,
    ) -> Result<Scores> {
        let analysis = self.analyzer.analyze(&text)?;
        let occurrences = match whole.analysis.find_run(&analysis, *from) {
            Some(start) => {
                let end = start + analysis.words.len();
                *from = end;
                let (start, end) = (start as u32, end as u32);
                // occurrences come in the order of their first words
                let all = &whole.occurrences;
                debug_assert!(all.is_sorted_by_key(|o| o.first_word));
                let first = all.partition_point(|o| o.first_word < start);
                let after = first + all[first..].partition_point(|o| o.first_word < end);
                all[first..after]
                    .iter()
                    .filter(|o| o.last_word < end)
                    .map(|o| Occurrence {
                        column: o.column,
                        first_word: o.first_word - start,
                        last_word: o.last_word - start,
                    })
                    .collect()
            }
            None => self.features.occurrences(&analysis),
        };
        Ok(self.scores_of(text, whole.truncated, analysis, occurrences))
    }

    /// The scores of an analysed request from the columns of its terms.
    fn scores_of(
        &self,
        text: String,
        truncated: bool,
        analysis: Analysis,
        occurrences: Vec<Occurrence>,
    ) -> Scores {
        let row = self.features.vector(&occurrences);
        let z = self.linear.logits(&row);
        let word_coverage = FeatureSpace::word_coverage(&analysis, &occurrences);
        let probabilities = self.calibration.probabilities(&z, word_coverage);
        Scores {
            probabilities,
            logits: z,
            truncated,
            word_coverage,
            text,
            analysis,
            occurrences,
            row,
        }
    }

    /// The words of the request that pushed most towards `label`, strongest first, as
    /// (word, weight) with weight in calibrated logit units (the request's coverage factor and
    /// temperature applied). Only content words ([`crate::stopwords::is_content_word`]); at most
    /// `max` words.
    ///
    /// # Panics
    /// If `label` is not one of this model's services, or `scores` come from a model with more
    /// columns.
    pub fn explain(&self, scores: &Scores, label: usize, max: usize) -> Vec<(String, f64)> {
        let w = &self.linear.weights;
        let n = self.labels.len() as f64;
        let row = &scores.row;
        let factor = self.calibration.coverage_factor(scores.word_coverage);
        // each entry's contribution to the service's logit, relative to the mean over services
        let means = self.column_means.get_or_init(|| {
            w.rows()
                .into_iter()
                .map(|weights| weights.iter().map(|&v| v as f64).sum::<f64>() / n)
                .collect()
        });
        let contribution = |col: usize, value: Float| {
            value as f64 * (w[[col, label]] as f64 - means[col]) * factor
                / self.calibration.temperature
        };
        // checked first, so that scores of another model panic before the scratch is touched
        assert!(
            label < w.ncols() && row.iter().all(|&(col, _)| (col as usize) < w.nrows()),
            "the scores or the service are not this model's"
        );
        let mut per_word = vec![0.0f64; scores.analysis.words.len()];
        SHARE_OF_COLUMN.with_borrow_mut(|share_of| {
            // the row is sorted by column, and holds the column of every occurrence
            let needed = row.last().map_or(0, |&(col, _)| col as usize + 1);
            if share_of.len() < needed {
                share_of.resize(needed, 0.0);
            }
            // how many occurrences share each column, then each one's share of its contribution
            for o in &scores.occurrences {
                if let Some(count) = share_of.get_mut(o.column as usize) {
                    *count += 1.0;
                }
            }
            for &(col, value) in row {
                let col = col as usize;
                let count = share_of[col];
                // most columns occur once (x / 1 is x: skipping the division changes no bit)
                let contribution = contribution(col, value);
                share_of[col] = if count == 1.0 {
                    contribution
                } else {
                    contribution / count
                };
            }
            // The occurrences come by first word, most of them a word's own: the current word's
            // sum is kept in a local, not added through memory one occurrence at a time (the
            // same additions in the same order).
            let mut current: Option<(usize, f64)> = None;
            for o in &scores.occurrences {
                let Some(&share) = share_of.get(o.column as usize) else {
                    continue;
                };
                let (first, last) = (o.first_word as usize, o.last_word as usize);
                let sum = match &mut current {
                    Some((word, sum)) if *word == first => sum,
                    _ => {
                        if let Some((word, sum)) = current {
                            per_word[word] = sum;
                        }
                        &mut current.insert((first, per_word[first])).1
                    }
                };
                // a word pair counts for both its words (not for formulas skipped between them)
                if first == last {
                    *sum += share;
                } else {
                    *sum += share / 2.0;
                    per_word[last] += share / 2.0;
                }
            }
            if let Some((word, sum)) = current {
                per_word[word] = sum;
            }
            // by the occurrences, which name every column of the row: all back to 0 whatever
            // the scores
            for o in &scores.occurrences {
                if let Some(share) = share_of.get_mut(o.column as usize) {
                    *share = 0.0;
                }
            }
        });
        let mut by_word: FxHashMap<&str, f64> =
            FxHashMap::with_capacity_and_hasher(per_word.len(), Default::default());
        for (i, (word, weight)) in scores.analysis.words.iter().zip(per_word).enumerate() {
            if !scores.analysis.kind(i).content {
                continue;
            }
            *by_word.entry(&**word).or_default() += weight;
        }
        let mut ranked: Vec<(&str, f64)> = by_word
            .into_iter()
            .filter(|&(_, weight)| weight > 1e-6)
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        ranked.truncate(max);
        let mut ranked: Vec<(String, f64)> = ranked
            .into_iter()
            .map(|(word, weight)| (word.to_string(), weight))
            .collect();
        as_written(&scores.text, &mut ranked);
        ranked
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn calibration(&self) -> Calibration {
        self.calibration
    }

    pub fn params(&self) -> &ClassifierParams {
        &self.params
    }

    pub fn summary(&self) -> &TrainingSummary {
        &self.summary
    }

    /// Replaces the catalogue answers (same services required).
    pub fn with_catalog(mut self, catalog: Catalog) -> Result<Self> {
        if catalog.labels() != self.labels {
            return Err(Error::InvalidInput(format!(
                "the catalogue lists services [{}] but the model was trained on [{}]",
                catalog.labels().join(", "),
                self.labels.join(", ")
            )));
        }
        self.catalog = catalog;
        Ok(self)
    }
}

/// Weights for `space` averaged over models of other spaces, term by term (a term a model does
/// not have counts as weight 0 in it).
fn average_weights(space: &FeatureSpace, models: &[(&FeatureSpace, &Linear)]) -> Linear {
    let services = models.first().map_or(0, |(_, l)| l.intercept.len());
    let mut weights = Array2::<Float>::zeros((space.width(), services));
    let mut intercept = Array1::<Float>::zeros(services);
    let share = 1.0 / models.len().max(1) as Float;
    for (other, linear) in models {
        for (column, term) in space.terms().iter().enumerate() {
            // the term's own weights only: a tail column stands for many terms
            if let Some(c) = other.vocabulary_column(term) {
                weights
                    .row_mut(column)
                    .scaled_add(share, &linear.weights.row(c as usize));
            }
        }
        intercept.scaled_add(share, &linear.intercept);
    }
    Linear { weights, intercept }
}

/// Gives the explained words as the request wrote them, in lowercase ("reversibilità",
/// "kündigung" rather than the normal forms "reversibilita", "kundigung"): each term becomes the
/// first word of `text` that folds to it; a term no word folds to stays as it is. ASCII words
/// are their own normal form, so only the others are folded.
fn as_written(text: &str, terms: &mut [(String, f64)]) {
    if text.is_ascii() {
        return;
    }
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_ascii() {
            continue;
        }
        let folded = crate::text::fold(word);
        for (term, _) in terms.iter_mut() {
            if *term == folded {
                *term = word.to_lowercase();
            }
        }
    }
}

/// Index and value of the largest probability, in [`Scores::ranking`]'s order: the highest by
/// `total_cmp`, the lowest index among equals.
fn top(p: &[f64]) -> (usize, f64) {
    p.iter()
        .copied()
        .enumerate()
        .skip(1)
        .fold((0, p[0]), |best, (i, v)| {
            if v.total_cmp(&best.1).is_gt() {
                (i, v)
            } else {
                best
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 300 sparse rows of 40 columns in 3 classes, each class slightly favouring its own columns.
    fn separable_rows() -> (Vec<SparseRow>, Vec<usize>) {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) as usize
        };
        (0..300)
            .map(|i| {
                let class = i % 3;
                let mut row: SparseRow = (0..6)
                    .map(|k| {
                        // one term in six from the class's own block of 13 columns
                        let column = if k > 0 {
                            next() % 40
                        } else {
                            class * 13 + next() % 13
                        };
                        (column as u32, 1.0)
                    })
                    .collect();
                row.sort_by_key(|&(c, _)| c);
                row.dedup_by_key(|&mut (c, _)| c);
                (row, class)
            })
            .unzip()
    }

    #[test]
    fn best_is_the_first_of_the_ranking() {
        for probabilities in [
            vec![0.2, 0.5, 0.3],
            vec![0.4, 0.4, 0.2],
            vec![0.1, 0.45, 0.45],
            vec![0.0, 0.0, 1.0],
            vec![1.0],
            // not reachable from a model, but the order is the same
            vec![0.3, f64::NAN, 0.7],
            vec![-0.0, 0.0],
        ] {
            let scores = Scores {
                probabilities,
                logits: Vec::new(),
                truncated: false,
                word_coverage: 1.0,
                text: String::new(),
                analysis: crate::text::Analysis::default(),
                occurrences: Vec::new(),
                row: Vec::new(),
            };
            assert_eq!(
                scores.best(),
                scores.ranking()[0],
                "{:?}",
                scores.probabilities
            );
        }
    }

    #[test]
    fn the_attempt_that_converged_last_goes_first() {
        assert_eq!(attempt_order(None).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert_eq!(attempt_order(Some(1)).collect::<Vec<_>>(), [1, 0, 2, 3, 4]);
        assert_eq!(attempt_order(Some(4)).collect::<Vec<_>>(), [4, 0, 1, 2, 3]);
    }

    #[test]
    fn the_next_fit_starts_with_the_attempt_that_converged() {
        let (rows, y) = separable_rows();
        let params = ClassifierParams::default().alpha(1e-2);
        let (_, outcome) = fit_linear(3, 40, &rows, &y, &params, Start::default()).unwrap();
        assert_eq!((outcome.refits, outcome.converged_with), (0, Some(0)));
        // told to, it starts at scale 2, and reports that one
        let (_, outcome) = fit_linear(
            3,
            40,
            &rows,
            &y,
            &params,
            Start {
                init: None,
                first: Some(1),
            },
        )
        .unwrap();
        assert_eq!((outcome.refits, outcome.converged_with), (0, Some(1)));
    }

    #[test]
    fn an_unfinished_fit_is_carried_on_by_the_later_attempts() {
        let (rows, y) = separable_rows();
        let alpha = 1e-4;
        let loss = |linear: &Linear| linear.objective(&rows, &y, alpha).loss;
        // Two iterations per attempt leave the solver short of the optimum, which the stall
        // check cannot tell from a stall, so further attempts are made.
        let params = ClassifierParams {
            max_iterations: 2,
            ..ClassifierParams::default().alpha(alpha)
        };
        let (chained, outcome) = fit_linear(3, 40, &rows, &y, &params, Start::default()).unwrap();
        assert!(outcome.refits >= 1);
        // the optimum, from a fit left to converge
        let converging = ClassifierParams {
            max_iterations: 100,
            ..params.clone()
        };
        let (optimum, outcome) =
            fit_linear(3, 40, &rows, &y, &converging, Start::default()).unwrap();
        assert_eq!(outcome.refits, 0);
        // one attempt of two iterations, as the first one runs it
        let groups = ColumnGroups::find(&rows, 40);
        let no_start: Option<&Linear> = None;
        let single: Result<Linear> =
            fit_attempt!(f32, 3, &groups, &rows, &y, &params, ATTEMPTS[0].1, no_start);
        let single = single.unwrap();
        // The attempts that go on from the best point so far end much nearer the optimum than
        // one attempt; if every attempt started again from zero, one attempt's excess would stay.
        let (chained_excess, single_excess) = (
            loss(&chained) - loss(&optimum),
            loss(&single) - loss(&optimum),
        );
        assert!(single_excess > 1.0, "{single_excess}");
        assert!(
            chained_excess < 0.25 * single_excess,
            "chained {chained_excess}, one attempt {single_excess}"
        );
    }

    /// Each part of a request scored from the whole's occurrences ([`Classifier::score_part`])
    /// gets what scoring it on its own gives, bit for bit; and the quick path is the one taken.
    #[test]
    fn parts_scored_from_the_whole_match_parts_scored_alone() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let model = Classifier::load(&root.join("models")).unwrap();
        let mut texts: Vec<String> =
            crate::data::load_examples(&root.join("data/test.jsonl"), model.labels())
                .unwrap()
                .into_iter()
                .map(|e| e.text)
                .collect();
        for file in ["multi_intent.jsonl", "single_intent_control.jsonl"] {
            let lines = std::fs::read_to_string(root.join("tests/data").join(file)).unwrap();
            for line in lines.lines() {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                texts.push(value["text"].as_str().unwrap().to_string());
            }
        }
        // a part whose words come twice; a formula at the end of a part, which a word pair of
        // the whole jumps over; a placeholder
        texts.push("Vorrei la NASpI. Vorrei la NASpI? E la pensione di mia madre?".into());
        texts.push("Ho perso il lavoro, grazie. E poi volevo sapere dell'assegno".into());
        texts.push("Scrivo per Mario Rossi, mario@example.com: e la cassa integrazione?".into());
        let (mut parts, mut found) = (0, 0);
        for text in &texts {
            let whole = model.score(text).unwrap();
            let mut from = 0;
            for part in crate::recommend::segments(&whole.text) {
                let alone = model
                    .score_redacted(part.text.clone(), whole.truncated)
                    .unwrap();
                parts += 1;
                found += usize::from(whole.analysis.find_run(&alone.analysis, from).is_some());
                let derived = model.score_part(&whole, part.text, &mut from).unwrap();
                assert_eq!(derived.occurrences, alone.occurrences, "{text}");
                assert_eq!(derived.row, alone.row, "{text}");
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&derived.logits), bits(&alone.logits), "{text}");
                assert_eq!(bits(&derived.probabilities), bits(&alone.probabilities));
                assert_eq!(
                    derived.word_coverage.to_bits(),
                    alone.word_coverage.to_bits()
                );
                assert_eq!(derived.analysis, alone.analysis);
            }
        }
        assert!(parts > 1500, "{parts} parts");
        assert_eq!(found, parts, "parts not found among the whole's words");
    }

    /// [`Classifier::explain`] by its definition: each occurrence takes an equal share of its
    /// column's contribution, a pair's share is split between its two words, and the words'
    /// sums are added up by word.
    fn explain_by_definition(
        model: &Classifier,
        scores: &Scores,
        label: usize,
        max: usize,
    ) -> Vec<(String, f64)> {
        let w = &model.linear.weights;
        let n = model.labels.len() as f64;
        let factor = model.calibration.coverage_factor(scores.word_coverage);
        let mut counts: FxHashMap<u32, f64> = FxHashMap::default();
        for o in &scores.occurrences {
            *counts.entry(o.column).or_default() += 1.0;
        }
        let mut per_word = vec![0.0f64; scores.analysis.words.len()];
        for o in &scores.occurrences {
            let col = o.column as usize;
            let value = scores.row.iter().find(|&&(c, _)| c == o.column).unwrap().1;
            let mean = w.row(col).iter().map(|&v| v as f64).sum::<f64>() / n;
            let contribution = value as f64 * (w[[col, label]] as f64 - mean) * factor
                / model.calibration.temperature;
            let share = contribution / counts[&o.column];
            let (first, last) = (o.first_word as usize, o.last_word as usize);
            if first == last {
                per_word[first] += share;
            } else {
                per_word[first] += share / 2.0;
                per_word[last] += share / 2.0;
            }
        }
        let mut by_word: Vec<(String, f64)> = Vec::new();
        for (i, word) in scores.analysis.words.iter().enumerate() {
            if !scores.analysis.kind(i).content {
                continue;
            }
            match by_word.iter_mut().find(|(w, _)| **w == **word) {
                Some((_, sum)) => *sum += per_word[i],
                None => by_word.push((word.to_string(), per_word[i])),
            }
        }
        by_word.retain(|&(_, weight)| weight > 1e-6);
        by_word.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        by_word.truncate(max);
        as_written(&scores.text, &mut by_word);
        by_word
    }

    #[test]
    fn explanations_follow_their_definition_for_every_service() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let model = Classifier::load(&root.join("models")).unwrap();
        let examples =
            crate::data::load_examples(&root.join("data/test.jsonl"), model.labels()).unwrap();
        let bits = |e: &[(String, f64)]| -> Vec<(String, u64)> {
            e.iter().map(|(t, w)| (t.clone(), w.to_bits())).collect()
        };
        let mut explained = 0;
        // every request explained towards every service, one after the other on one thread,
        // so that what one explanation leaves in the scratch would show in the next
        for example in examples.iter().step_by(4) {
            let scores = model.score(&example.text).unwrap();
            for label in 0..model.labels().len() {
                // every word with a positive weight, not only the strongest
                let got = model.explain(&scores, label, usize::MAX);
                assert_eq!(
                    bits(&got),
                    bits(&explain_by_definition(&model, &scores, label, usize::MAX)),
                    "{}",
                    example.text
                );
                explained += usize::from(!got.is_empty());
            }
        }
        assert!(explained > 500, "only {explained} explanations had words");
    }
}
