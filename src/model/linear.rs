//! The fitted linear layer: the coefficients linfa's `MultiLogisticRegression` learnt, in a form
//! that loads fast (the weights are stored as little-endian f32 bytes in base64, so a cold
//! start does not parse ~90,000 decimal numbers).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::features::{Float, SparseRow};

/// Weights (`features × services`) and intercepts of a multinomial logistic regression.
#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    pub weights: Array2<Float>,
    pub intercept: Array1<Float>,
}

impl Linear {
    /// Takes the coefficients of a linfa fit, in f32 or f64 (rounded to f32), whose classes are
    /// `0..n_services`.
    pub fn from_linfa<F: linfa::Float>(
        classes: &[usize],
        weights: &Array2<F>,
        intercept: &Array1<F>,
        n_services: usize,
    ) -> Result<Self> {
        if classes != (0..n_services).collect::<Vec<_>>().as_slice() {
            return Err(Error::InvalidInput(format!(
                "the regression learnt {} classes, expected {n_services}",
                classes.len()
            )));
        }
        let to_float = <Float as linfa::Float>::cast::<F>;
        Ok(Linear {
            // in the standard layout whatever linfa's was, as a loaded model's is
            weights: Array2::from_shape_fn(weights.raw_dim(), |at| to_float(weights[at])),
            intercept: intercept.mapv(to_float),
        })
    }

    /// Logits of one sparse row: intercept + x·W.
    pub fn logits(&self, row: &SparseRow) -> Vec<f64> {
        // a column's weights are one contiguous run in the standard (row-major) layout, which
        // every trained or loaded model has (borrowed then; copied for other layouts)
        let weights = self.weights.as_standard_layout();
        let all = weights.as_slice().expect("a standard layout is contiguous");
        let services = weights.ncols();
        // With the number of services known when compiling, the sum stays in registers and
        // the services of a column are added together; each logit's sum is the same.
        macro_rules! with_services {
            ($($n:literal)*) => {
                match services {
                    $($n => logits_of::<$n>(&self.intercept, all, row).to_vec(),)*
                    _ => logits_any(&self.intercept, all, services, row),
                }
            };
        }
        with_services!(2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
    }
}

/// [`Linear::logits`] for `N` services.
fn logits_of<const N: usize>(
    intercept: &Array1<Float>,
    all: &[Float],
    row: &SparseRow,
) -> [f64; N] {
    let mut z = [0.0f64; N];
    for (zk, &b) in z.iter_mut().zip(intercept) {
        *zk = b as f64;
    }
    for &(col, v) in row {
        let start = col as usize * N;
        let w: &[Float; N] = all[start..start + N]
            .try_into()
            .expect("a column has N weights");
        for k in 0..N {
            z[k] += (v * w[k]) as f64;
        }
    }
    z
}

/// [`Linear::logits`] for any number of services.
fn logits_any(
    intercept: &Array1<Float>,
    all: &[Float],
    services: usize,
    row: &SparseRow,
) -> Vec<f64> {
    let mut z: Vec<f64> = intercept.iter().map(|&b| b as f64).collect();
    for &(col, v) in row {
        let start = col as usize * services;
        for (zk, &w) in z.iter_mut().zip(&all[start..start + services]) {
            *zk += (v * w) as f64;
        }
    }
    z
}

/// The regression's objective at some weights, on sparse rows: what linfa minimises.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    /// Σ −log p(true label) + alpha/2 ‖W‖² (the intercept is not penalised).
    pub loss: f64,
    /// Euclidean norm of the gradient over the weights and the intercept.
    pub gradient_norm: f64,
}

impl Linear {
    /// Zero weights and intercepts: where linfa's solver starts without a warm start.
    pub fn zeros(features: usize, services: usize) -> Self {
        Linear {
            weights: Array2::zeros((features, services)),
            intercept: Array1::zeros(services),
        }
    }

    /// The objective linfa minimises, and its gradient's norm, at these weights: one pass over
    /// the sparse rows, so a fit can be checked for a stalled solver.
    pub fn objective(&self, rows: &[SparseRow], y: &[usize], alpha: f64) -> Objective {
        let services = self.intercept.len();
        let mut grad_w = Array2::<f64>::zeros(self.weights.dim());
        let mut grad_b = vec![0.0f64; services];
        let mut loss = 0.0;
        for (row, &truth) in rows.iter().zip(y) {
            let z = self.logits(row);
            let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = z.iter().map(|&v| (v - max).exp()).sum();
            let log_norm = max + sum.ln();
            loss += log_norm - z[truth];
            for (k, &zk) in z.iter().enumerate() {
                let d = (zk - log_norm).exp() - if k == truth { 1.0 } else { 0.0 };
                grad_b[k] += d;
                for &(col, v) in row {
                    grad_w[[col as usize, k]] += v as f64 * d;
                }
            }
        }
        let mut squared = grad_b.iter().map(|g| g * g).sum::<f64>();
        for (g, &w) in grad_w.iter().zip(&self.weights) {
            let w = w as f64;
            loss += 0.5 * alpha * w * w;
            let g = g + alpha * w;
            squared += g * g;
        }
        Objective {
            loss,
            gradient_norm: squared.sqrt(),
        }
    }
}

/// Borrows the base64 text from the model file's bytes instead of copying it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored<'a> {
    features: usize,
    services: usize,
    intercept: Vec<Float>,
    /// Row-major `features × services` f32 values, little-endian, base64.
    #[serde(borrow)]
    weights_f32le: std::borrow::Cow<'a, str>,
}

impl Serialize for Linear {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = self.weights.iter().flat_map(|w| w.to_le_bytes()).collect();
        Stored {
            features: self.weights.nrows(),
            services: self.weights.ncols(),
            intercept: self.intercept.to_vec(),
            weights_f32le: STANDARD.encode(bytes).into(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Linear {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let stored = Stored::deserialize(deserializer)?;
        let bytes = STANDARD
            .decode(stored.weights_f32le.as_bytes())
            .map_err(|e| D::Error::custom(format!("weights are not base64: {e}")))?;
        let expected = stored
            .features
            .checked_mul(stored.services)
            .and_then(|n| n.checked_mul(4));
        if expected != Some(bytes.len()) || stored.intercept.len() != stored.services {
            return Err(D::Error::custom(format!(
                "weights have {} bytes and {} intercepts for {} × {}",
                bytes.len(),
                stored.intercept.len(),
                stored.features,
                stored.services
            )));
        }
        let values: Vec<Float> = bytes
            .chunks_exact(4)
            .map(|c| Float::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let weights = Array2::from_shape_vec((stored.features, stored.services), values)
            .map_err(|e| D::Error::custom(e.to_string()))?;
        Ok(Linear {
            weights,
            intercept: Array1::from(stored.intercept),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logits_are_the_sums_in_order_for_any_number_of_services() {
        // the sizes compiled for, one either side, and the generic sum, which is the definition
        for services in 1..=18 {
            let features = 5;
            let weights = Array2::from_shape_fn((features, services), |(f, k)| {
                ((f * 7 + k * 13) % 11) as Float / 3.0 - 1.7
            });
            let intercept = Array1::from_shape_fn(services, |k| k as Float * 0.1 - 0.35);
            let row: SparseRow = vec![(0, 0.3), (2, 1.1), (3, -0.7), (4, 0.05)];
            let linear = Linear { weights, intercept };
            let z = linear.logits(&row);
            let mut expected: Vec<f64> = linear.intercept.iter().map(|&b| b as f64).collect();
            for &(col, v) in &row {
                for (k, e) in expected.iter_mut().enumerate() {
                    *e += (v * linear.weights[[col as usize, k]]) as f64;
                }
            }
            assert_eq!(z, expected, "{services} services");
        }
    }

    #[test]
    fn logits_are_the_same_in_either_weight_layout() {
        let weights =
            Array2::from_shape_vec((3, 2), vec![0.5, -0.25, 0.0, 1.0, -1.5, 0.75]).unwrap();
        let row: SparseRow = vec![(0, 1.0), (2, 0.5)];
        let by_hand = [0.1 + 0.5 - 0.75, -0.2 - 0.25 + 0.375];
        let mut column_major = Array2::zeros(ndarray::ShapeBuilder::f(weights.raw_dim()));
        column_major.assign(&weights);
        assert!(column_major.as_slice().is_none());
        let [z, z_column_major] = [weights, column_major].map(|weights| {
            Linear {
                weights,
                intercept: Array1::from(vec![0.1, -0.2]),
            }
            .logits(&row)
        });
        assert!(
            z.iter().zip(&by_hand).all(|(a, b)| (a - b).abs() < 1e-6),
            "{z:?}"
        );
        assert_eq!(z, z_column_major);
    }

    #[test]
    fn objective_matches_its_definition_and_finite_differences() {
        let linear = Linear {
            weights: Array2::from_shape_vec((3, 2), vec![0.5, -0.25, 0.0, 1.0, -1.5, 0.75])
                .unwrap(),
            intercept: Array1::from(vec![0.1, -0.2]),
        };
        let rows: Vec<SparseRow> = vec![vec![(0, 1.0), (2, 0.5)], vec![(1, 2.0)], vec![]];
        let y = [0, 1, 1];
        let alpha = 0.3;
        let o = linear.objective(&rows, &y, alpha);
        // loss by hand: Σ log Σ exp z − z_true, plus alpha/2 ‖W‖²
        let by_hand: f64 = rows
            .iter()
            .zip(y)
            .map(|(r, t)| {
                let z = linear.logits(r);
                z.iter().map(|v| v.exp()).sum::<f64>().ln() - z[t]
            })
            .sum::<f64>()
            + 0.5 * alpha * linear.weights.iter().map(|&w| (w * w) as f64).sum::<f64>();
        assert!((o.loss - by_hand).abs() < 1e-9, "{} {by_hand}", o.loss);
        // gradient norm from central differences over every weight and intercept
        let h = 1e-3f32;
        let mut squared = 0.0;
        for i in 0..linear.weights.len() + linear.intercept.len() {
            let nudged = |d: f32| {
                let mut l = linear.clone();
                if i < l.weights.len() {
                    l.weights.as_slice_mut().unwrap()[i] += d;
                } else {
                    l.intercept[i - linear.weights.len()] += d;
                }
                l.objective(&rows, &y, alpha).loss
            };
            let g = (nudged(h) - nudged(-h)) / (2.0 * h as f64);
            squared += g * g;
        }
        assert!(
            (o.gradient_norm - squared.sqrt()).abs() < 1e-3,
            "{} {}",
            o.gradient_norm,
            squared.sqrt()
        );
        // at zero weights the gradient is not zero (labels are not uniform)
        assert!(
            Linear::zeros(3, 2)
                .objective(&rows, &y, alpha)
                .gradient_norm
                > 0.1
        );
    }

    #[test]
    fn roundtrips_exactly_and_rejects_wrong_sizes() {
        let linear = Linear {
            weights: Array2::from_shape_vec(
                (2, 3),
                vec![0.1, -2.5, 3.0e-7, f32::MIN_POSITIVE, 7.0, -0.0],
            )
            .unwrap(),
            intercept: Array1::from(vec![1.0, 2.0, 3.0]),
        };
        let json = serde_json::to_string(&linear).unwrap();
        let back: Linear = serde_json::from_str(&json).unwrap();
        assert_eq!(back, linear);
        assert_eq!(
            back.logits(&vec![(1, 2.0)]),
            vec![1.0 + 2.0 * f32::MIN_POSITIVE as f64, 16.0, 3.0]
        );
        let wrong = json.replace("\"features\":2", "\"features\":3");
        assert!(serde_json::from_str::<Linear>(&wrong).is_err());
        let not_base64 = json.replace("weights_f32le\":\"", "weights_f32le\":\"%%");
        assert!(serde_json::from_str::<Linear>(&not_base64).is_err());
    }
}
