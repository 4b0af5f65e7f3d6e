//! sportello reads a citizen's free-text request to INPS and recommends the benefit service
//! that applies, with a calibrated confidence, the words that drove the decision, and what to do
//! next, in a simple or a detailed register.
//!
//! The pipeline, in order:
//! 1. [`text`]: clean the request and tokenize it with a HuggingFace BPE tokenizer trained on the
//!    training texts (normalisation of Unicode, case, accents and apostrophes included);
//! 2. [`features`]: words, word pairs, subword pieces and character n-grams → TF-IDF vectors of
//!    bounded width (`ndarray`);
//! 3. [`model`]: linfa's multinomial logistic regression, with temperature calibration and an
//!    abstention threshold fitted by cross-validation ([`calibration`]);
//! 4. [`recommend`]: the service, alternatives, reasons and the answer from the [`catalog`].
//!
//! ```no_run
//! use sportello::{Classifier, RecommendOptions};
//! let model = Classifier::load(std::path::Path::new("models"))?;
//! let rec = model.recommend("Mi hanno licenziato, posso avere la disoccupazione?", &RecommendOptions::default())?;
//! println!("{} ({:.0}%)", rec.service, rec.confidence * 100.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod calibration;
pub mod catalog;
pub mod data;
pub mod error;
pub mod eval;
pub mod features;
pub mod language;
pub mod model;
pub mod recommend;
pub mod redact;
pub mod report;
pub mod stopwords;
pub mod style;
pub mod tail;
pub mod text;

pub use catalog::Catalog;
pub use error::{Error, Result};
pub use language::Language;
pub use model::{Classifier, ClassifierParams};
pub use recommend::{RecommendOptions, Recommendation};
pub use style::Style;
