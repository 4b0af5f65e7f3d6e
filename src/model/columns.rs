//! Identical feature columns merged before the fit, an exact reduction.
//!
//! Many selected terms occur in exactly the same requests with the same values (the character
//! n-grams of a rare word, for one): their columns are identical. With an L2 penalty the
//! optimum gives identical columns equal weights, so `m` identical columns `x` can be replaced
//! by one column `√m·x`: a weight `w'` on it predicts and costs the same as `w'/√m` on each of
//! the `m` (`m · (w'/√m) · x = w' · √m·x` and `m · (w'/√m)² = w'²`). The fit runs on the
//! narrower matrix and its weights are spread back.

use linfa_logistic::SparseMatrix;
use ndarray::{Array2, s};
use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::features::{Float, SparseRow};
use crate::model::linear::Linear;

/// The groups of identical columns of a training matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnGroups {
    /// Group of each original column.
    group_of: Vec<u32>,
    /// √(number of columns) of each group.
    scale: Vec<Float>,
}

impl ColumnGroups {
    /// Groups the `width` columns of `rows` (sparse, sorted by column) by their values.
    pub fn find(rows: &[SparseRow], width: usize) -> Self {
        // each column as its (row, value bits) entries, in row order
        let mut columns: Vec<Vec<(u32, u32)>> = vec![Vec::new(); width];
        for (i, row) in rows.iter().enumerate() {
            for &(col, v) in row {
                columns[col as usize].push((i as u32, v.to_bits()));
            }
        }
        let mut ids: FxHashMap<&[(u32, u32)], u32> = FxHashMap::default();
        let mut sizes: Vec<u32> = Vec::new();
        let group_of = columns
            .iter()
            .map(|entries| {
                let next = sizes.len() as u32;
                let id = *ids.entry(entries.as_slice()).or_insert(next);
                if id == next {
                    sizes.push(0);
                }
                sizes[id as usize] += 1;
                id
            })
            .collect();
        ColumnGroups {
            group_of,
            scale: sizes.iter().map(|&m| (m as Float).sqrt()).collect(),
        }
    }

    /// Columns after merging.
    pub fn width(&self) -> usize {
        self.scale.len()
    }

    /// The merged matrix times `scale`, one row per sparse row, for linfa's sparse fit: each
    /// group's value once (its members' values are identical), multiplied by √m.
    pub fn sparse<F: linfa::Float>(
        &self,
        rows: &[SparseRow],
        scale: Float,
    ) -> Result<SparseMatrix<F>> {
        // the first column of each group stands for it
        let mut first = vec![u32::MAX; self.width()];
        for (col, &g) in self.group_of.iter().enumerate().rev() {
            first[g as usize] = col as u32;
        }
        let merged = rows.iter().map(|row| {
            row.iter().filter_map(|&(col, v)| {
                let g = self.group_of[col as usize] as usize;
                // in F, so that an f64 fit gets its values at full precision
                (first[g] == col).then(|| (g, F::cast(v) * F::cast(self.scale[g]) * F::cast(scale)))
            })
        });
        SparseMatrix::from_rows(self.width(), merged).map_err(Error::from)
    }

    /// linfa's parameters (one row per merged column, then the intercept) that predict as
    /// `linear` does on the merged matrix multiplied by `scale`: the weights merged and divided
    /// by `scale`, the intercept as it is.
    pub fn linfa_params(&self, linear: &Linear, scale: Float) -> Array2<Float> {
        let services = linear.intercept.len();
        let mut params = Array2::zeros((self.width() + 1, services));
        params
            .slice_mut(s![..self.width(), ..])
            .assign(&(self.merge_weights(&linear.weights) / scale));
        params.row_mut(self.width()).assign(&linear.intercept);
        params
    }

    /// The model of the original columns from one fitted on the merged matrix multiplied by
    /// `scale`: the inverse of [`ColumnGroups::linfa_params`].
    pub fn unmerge(&self, fitted: Linear, scale: Float) -> Linear {
        Linear {
            weights: self.spread_weights(&(fitted.weights * scale)),
            intercept: fitted.intercept,
        }
    }

    /// Weights of the merged columns that predict as `weights` (original columns × services)
    /// do: each group's weights summed and divided by √m.
    pub fn merge_weights(&self, weights: &Array2<Float>) -> Array2<Float> {
        let mut merged = Array2::zeros((self.width(), weights.ncols()));
        for (col, row) in weights.rows().into_iter().enumerate() {
            let g = self.group_of[col] as usize;
            let mut target = merged.row_mut(g);
            target.scaled_add(1.0 / self.scale[g], &row);
        }
        merged
    }

    /// Weights of the original columns from those of the merged ones: `w'/√m` each.
    pub fn spread_weights(&self, merged: &Array2<Float>) -> Array2<Float> {
        let mut weights = Array2::zeros((self.group_of.len(), merged.ncols()));
        for (col, mut row) in weights.rows_mut().into_iter().enumerate() {
            let g = self.group_of[col] as usize;
            row.assign(&merged.row(g));
            row /= self.scale[g];
        }
        weights
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<SparseRow> {
        // columns 0 and 2 identical, 3 identical to neither (other value), 4 never occurs
        vec![
            vec![(0, 0.5), (1, 0.1), (2, 0.5)],
            vec![(1, 0.7), (3, 0.2)],
            vec![(0, 0.3), (2, 0.3), (3, 0.4)],
        ]
    }

    /// The merged matrix as a dense one.
    fn merged_dense(groups: &ColumnGroups, rows: &[SparseRow], scale: Float) -> Array2<Float> {
        groups.sparse::<Float>(rows, scale).unwrap().to_dense()
    }

    #[test]
    fn identical_columns_share_a_group() {
        let groups = ColumnGroups::find(&rows(), 5);
        assert_eq!(groups.group_of, [0, 1, 0, 2, 3]);
        assert_eq!(groups.width(), 4);
        let x = merged_dense(&groups, &rows(), 1.0);
        // the group's value once, times √2, not the sum of its two members'
        assert!((x[[0, 0]] - 0.5 * 2f32.sqrt()).abs() < 1e-6);
        assert!((x[[2, 0]] - 0.3 * 2f32.sqrt()).abs() < 1e-6);
        assert_eq!(x[[0, 1]], 0.1);
        assert_eq!(x[[1, 2]], 0.2);
        assert_eq!(x[[2, 3]], 0.0);
        assert_eq!(groups.sparse::<Float>(&rows(), 1.0).unwrap().entries(), 6);
        // in f64 the product is taken in f64: the same values to f32's precision
        let x64 = groups.sparse::<f64>(&rows(), 1.0).unwrap().to_dense();
        assert!(
            x64.iter()
                .zip(&x)
                .all(|(a, &b)| (a - f64::from(b)).abs() < 1e-7)
        );
        assert_eq!(x64[[2, 0]], f64::from(0.3f32) * f64::from(2f32.sqrt()));
        assert_eq!(merged_dense(&groups, &rows(), 4.0), x * 4.0);
    }

    #[test]
    fn the_sparse_fit_is_linfas_dense_fit() {
        use linfa::Dataset;
        use linfa::traits::Fit;
        use linfa_logistic::MultiLogisticRegression;
        // 400 requests of 120 columns, a few non-zero values each, three services
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        let rows: Vec<SparseRow> = (0..400)
            .map(|_| {
                let mut row: Vec<(u32, Float)> = (0..8)
                    .map(|_| ((next() % 120) as u32, (next() % 100) as Float / 100.0))
                    .collect();
                row.sort_by_key(|e| e.0);
                row.dedup_by_key(|e| e.0);
                row
            })
            .collect();
        let y: Vec<usize> = (0..400).map(|i| (i + rows[i].len()) % 3).collect();
        let groups = ColumnGroups::find(&rows, 120);
        let regression = MultiLogisticRegression::<f64>::default().max_iterations(30);
        let sparse = groups.sparse::<f64>(&rows, 1.0).unwrap();
        let by_sparse = regression.fit_sparse(&sparse, &y).unwrap();
        let dataset = Dataset::new(sparse.to_dense(), ndarray::Array1::from(y.clone()));
        let by_dense = regression.fit(&dataset).unwrap();
        // the same problem; its sums run in another order
        let close =
            |a: &Array2<f64>, b: &Array2<f64>| a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-6);
        assert!(close(by_sparse.params(), by_dense.params()));
        let (a, b) = (by_sparse.intercept(), by_dense.intercept());
        assert!(a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-6));
        assert!(by_sparse.params().iter().any(|&w| w.abs() > 0.1));
    }

    #[test]
    fn merged_weights_predict_and_cost_the_same() {
        let groups = ColumnGroups::find(&rows(), 5);
        let merged = Array2::from_shape_fn((groups.width(), 2), |(i, k)| i as Float - k as Float);
        let spread = groups.spread_weights(&merged);
        let full = {
            let mut x = Array2::<Float>::zeros((3, 5));
            for (i, row) in rows().iter().enumerate() {
                for &(c, v) in row {
                    x[[i, c as usize]] = v;
                }
            }
            x
        };
        let before = merged_dense(&groups, &rows(), 1.0).dot(&merged);
        let after = full.dot(&spread);
        assert!(before.iter().zip(&after).all(|(a, b)| (a - b).abs() < 1e-5));
        let norm = |w: &Array2<Float>| w.iter().map(|v| v * v).sum::<Float>();
        assert!((norm(&merged) - norm(&spread)).abs() < 1e-4);
        // and back: spreading then merging gives the merged weights again
        let again = groups.merge_weights(&spread);
        assert!(again.iter().zip(&merged).all(|(a, b)| (a - b).abs() < 1e-5));
    }

    #[test]
    fn linfa_params_at_any_scale_predict_as_the_model_and_come_back() {
        let groups = ColumnGroups::find(&rows(), 5);
        let linear = Linear {
            weights: Array2::from_shape_fn((5, 3), |(i, k)| 0.3 * i as Float - 0.7 * k as Float),
            intercept: ndarray::Array1::from(vec![0.5, -1.0, 0.25]),
        };
        for scale in [1.0, 1.5, 4.0] {
            let params = groups.linfa_params(&linear, scale);
            let x = merged_dense(&groups, &rows(), scale);
            let weights = params.slice(s![..groups.width(), ..]);
            let intercept = params.row(groups.width());
            for (i, row) in rows().iter().enumerate() {
                let on_merged = x.row(i).dot(&weights) + intercept;
                let original = linear.logits(row);
                for (a, b) in on_merged.iter().zip(&original) {
                    assert!((*a as f64 - b).abs() < 1e-5, "scale {scale}: {a} vs {b}");
                }
            }
            // linfa's weights back to the original columns predict the same again
            let fitted = Linear {
                weights: weights.to_owned(),
                intercept: intercept.to_owned(),
            };
            let back = groups.unmerge(fitted, scale);
            for row in rows() {
                for (a, b) in back.logits(&row).iter().zip(linear.logits(&row)) {
                    assert!((a - b).abs() < 1e-5, "scale {scale}: {a} vs {b}");
                }
            }
        }
    }
}
