//! The fitted linear layer: the coefficients linfa's `MultiLogisticRegression` learnt, in a form
//! that loads fast (the weights are stored as little-endian f32 bytes in base64, so a cold
//! start does not parse ~90,000 decimal numbers).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use linfa_logistic::MultiFittedLogisticRegression;
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
    /// Takes the coefficients of a linfa fit whose classes are `0..n_services`.
    pub fn from_linfa(
        fitted: &MultiFittedLogisticRegression<Float, usize>,
        n_services: usize,
    ) -> Result<Self> {
        if fitted.classes() != (0..n_services).collect::<Vec<_>>().as_slice() {
            return Err(Error::InvalidInput(format!(
                "the regression learnt {} classes, expected {n_services}",
                fitted.classes().len()
            )));
        }
        Ok(Linear {
            weights: fitted.params().clone(),
            intercept: fitted.intercept().clone(),
        })
    }

    /// Logits of one sparse row: intercept + x·W.
    pub fn logits(&self, row: &SparseRow) -> Vec<f64> {
        let mut z: Vec<f64> = self.intercept.iter().map(|&b| b as f64).collect();
        for &(col, v) in row {
            for (zk, &w) in z.iter_mut().zip(self.weights.row(col as usize)) {
                *zk += (v * w) as f64;
            }
        }
        z
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    features: usize,
    services: usize,
    intercept: Vec<Float>,
    /// Row-major `features × services` f32 values, little-endian, base64.
    weights_f32le: String,
}

impl Serialize for Linear {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = self.weights.iter().flat_map(|w| w.to_le_bytes()).collect();
        Stored {
            features: self.weights.nrows(),
            services: self.weights.ncols(),
            intercept: self.intercept.to_vec(),
            weights_f32le: STANDARD.encode(bytes),
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
