//! sportello's patch: the multinomial regression fitted on a sparse feature matrix.
//!
//! The problem is the one [`MultiLogisticRegression`](crate::MultiLogisticRegression) solves on
//! a dense matrix (the same loss, gradient, solver, memo and fitted model); only the two products
//! with the matrix, `X · W` and `Xᵀ · D`, run over its non-zero entries. sportello's rows hold a
//! few hundred non-zero entries among thousands of columns, so these products cost a small
//! fraction of the dense ones, and the matrix takes a small fraction of the memory.
//!
//! Each entry of a product is one sum in a fixed order (`X · W` row by row over the row's
//! entries, `Xᵀ · D` column by column over the column's), whatever the number of threads, so a
//! fit gives the same weights on any machine.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use std::convert::TryFrom;

use crate::argmin_param::ArgminParam;
use crate::error::{Error, Result};
use crate::float::Float;
use crate::{
    convert_params, label_classes_multi, log_softmax, multi_logistic_grad_from,
    multi_logistic_loss_from, Evaluation, LBFGSType2, LogisticRegressionParams,
    LogisticRegressionValidParams, Memo, MultiFittedLogisticRegression, SolvableProblem,
};
use argmin::core::{CostFunction, Gradient};
use linfa::ParamGuard;
use ndarray::Ix2;

/// Rows (or columns) handed to a thread at a time in the products.
const CHUNK: usize = 512;

/// A matrix of `f32` or `f64` kept by its non-zero entries, both row by row and column by column
/// (each product reads the matrix in the order of its output).
#[derive(Debug, Clone, PartialEq)]
pub struct SparseMatrix<F> {
    nrows: usize,
    ncols: usize,
    /// Row `i`'s entries are `row_cols[row_starts[i]..row_starts[i + 1]]` and their values.
    row_starts: Vec<usize>,
    row_cols: Vec<u32>,
    row_values: Vec<F>,
    /// Column `j`'s entries are `col_rows[col_starts[j]..col_starts[j + 1]]`, in row order.
    col_starts: Vec<usize>,
    col_rows: Vec<u32>,
    col_values: Vec<F>,
}

impl<F: linfa::Float> SparseMatrix<F> {
    /// The matrix of `ncols` columns with these rows, each a list of (column, value). A column
    /// that comes twice in a row counts with the sum of its values. Errors on a column out of
    /// range or a value that is not finite.
    pub fn from_rows<R, E>(ncols: usize, rows: R) -> Result<Self>
    where
        R: IntoIterator<Item = E>,
        E: IntoIterator<Item = (usize, F)>,
    {
        if u32::try_from(ncols).is_err() {
            return Err(Error::SparseMatrixTooLarge);
        }
        let mut row_starts = vec![0];
        let mut row_cols = Vec::new();
        let mut row_values = Vec::new();
        for row in rows {
            for (column, value) in row {
                if column >= ncols {
                    return Err(Error::SparseColumnOutOfRange { column, ncols });
                }
                if !value.is_finite() {
                    return Err(Error::InvalidValues);
                }
                row_cols.push(column as u32);
                row_values.push(value);
            }
            row_starts.push(row_cols.len());
        }
        let nrows = row_starts.len() - 1;
        if u32::try_from(nrows).is_err() {
            return Err(Error::SparseMatrixTooLarge);
        }
        // the same entries by column: count, then place them row after row
        let mut col_starts = vec![0usize; ncols + 1];
        for &column in &row_cols {
            col_starts[column as usize + 1] += 1;
        }
        for j in 0..ncols {
            col_starts[j + 1] += col_starts[j];
        }
        let mut next = col_starts[..ncols].to_vec();
        let mut col_rows = vec![0u32; row_cols.len()];
        let mut col_values = vec![F::zero(); row_cols.len()];
        for i in 0..nrows {
            for k in row_starts[i]..row_starts[i + 1] {
                let column = row_cols[k] as usize;
                col_rows[next[column]] = i as u32;
                col_values[next[column]] = row_values[k];
                next[column] += 1;
            }
        }
        Ok(SparseMatrix {
            nrows,
            ncols,
            row_starts,
            row_cols,
            row_values,
            col_starts,
            col_rows,
            col_values,
        })
    }

    pub fn nrows(&self) -> usize {
        self.nrows
    }

    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// Non-zero entries (as given: a column repeated in a row counts each time).
    pub fn entries(&self) -> usize {
        self.row_cols.len()
    }

    /// The matrix with its zeros.
    pub fn to_dense(&self) -> Array2<F> {
        let mut dense = Array2::zeros((self.nrows, self.ncols));
        for i in 0..self.nrows {
            for k in self.row_starts[i]..self.row_starts[i + 1] {
                dense[[i, self.row_cols[k] as usize]] += self.row_values[k];
            }
        }
        dense
    }
}

impl<F: Float> SparseMatrix<F> {
    /// `X · W`, `W` of `ncols` rows.
    fn dot(&self, w: ArrayView2<F>) -> Array2<F> {
        let k = w.ncols();
        let w = w.as_standard_layout();
        let w = w.as_slice().expect("standard layout");
        let mut out = vec![F::zero(); self.nrows * k];
        if k > 0 {
            out.par_chunks_mut(CHUNK * k)
                .enumerate()
                .for_each(|(chunk, block)| {
                    for (r, sums) in block.chunks_mut(k).enumerate() {
                        let i = chunk * CHUNK + r;
                        let entries = self.row_starts[i]..self.row_starts[i + 1];
                        for (&j, &v) in self.row_cols[entries.clone()]
                            .iter()
                            .zip(&self.row_values[entries])
                        {
                            let weights = &w[j as usize * k..][..k];
                            for (sum, &weight) in sums.iter_mut().zip(weights) {
                                *sum += v * weight;
                            }
                        }
                    }
                });
        }
        Array2::from_shape_vec((self.nrows, k), out).expect("nrows × k values")
    }

    /// `Xᵀ · D`, `D` of `nrows` rows.
    fn t_dot(&self, d: &Array2<F>) -> Array2<F> {
        let k = d.ncols();
        let d = d.as_standard_layout();
        let d = d.as_slice().expect("standard layout");
        let mut out = vec![F::zero(); self.ncols * k];
        if k > 0 {
            out.par_chunks_mut(CHUNK * k)
                .enumerate()
                .for_each(|(chunk, block)| {
                    for (c, sums) in block.chunks_mut(k).enumerate() {
                        let j = chunk * CHUNK + c;
                        let entries = self.col_starts[j]..self.col_starts[j + 1];
                        for (&i, &v) in self.col_rows[entries.clone()]
                            .iter()
                            .zip(&self.col_values[entries])
                        {
                            let residuals = &d[i as usize * k..][..k];
                            for (sum, &residual) in sums.iter_mut().zip(residuals) {
                                *sum += v * residual;
                            }
                        }
                    }
                });
        }
        Array2::from_shape_vec((self.ncols, k), out).expect("ncols × k values")
    }

    /// `log softmax(X · W + b)`, `w` holding `W` and then the intercept `b` if it has one more
    /// row than `X` has columns.
    fn log_prob(&self, w: &Array2<F>) -> Array2<F> {
        let (params, intercept) = convert_params(self.ncols, w);
        log_softmax(self.dot(params) + intercept)
    }
}

/// The multinomial problem on a [`SparseMatrix`], for argmin.
struct SparseProblem<'a, F: Float> {
    x: &'a SparseMatrix<F>,
    target: Array2<F>,
    alpha: F,
    memo: Memo<F>,
}

impl<F: Float> CostFunction for SparseProblem<'_, F> {
    type Param = ArgminParam<F, Ix2>;
    type Output = F;

    fn cost(&self, p: &Self::Param) -> std::result::Result<Self::Output, argmin::core::Error> {
        let w = p.as_array();
        let cost = self.memo.at(
            w,
            || self.x.log_prob(w),
            |at| {
                multi_logistic_loss_from(self.x.ncols, &at.log_prob, &self.target, self.alpha, w)
            },
        );
        Ok(cost)
    }
}

impl<F: Float> Gradient for SparseProblem<'_, F> {
    type Param = ArgminParam<F, Ix2>;
    type Gradient = ArgminParam<F, Ix2>;

    fn gradient(&self, p: &Self::Param) -> std::result::Result<Self::Param, argmin::core::Error> {
        let w = p.as_array();
        let grad = self.memo.at(
            w,
            || self.x.log_prob(w),
            |at| {
                let Evaluation { log_prob, grad, .. } = at;
                grad.get_or_insert_with(|| {
                    multi_logistic_grad_from(
                        self.x.ncols,
                        |d| self.x.t_dot(d),
                        log_prob.clone(),
                        &self.target,
                        self.alpha,
                        w,
                    )
                })
                .clone()
            },
        );
        Ok(ArgminParam(grad))
    }
}

impl<F: Float> SolvableProblem<F, Ix2> for SparseProblem<'_, F> {
    type Solver = LBFGSType2<F>;
}

impl<F: Float> LogisticRegressionParams<F, Ix2> {
    /// Checks the parameters, then fits the multinomial regression on the rows of `x` with the
    /// classes `y` (one per row), as [`linfa::traits::Fit::fit`] does on a dense matrix.
    pub fn fit_sparse(
        &self,
        x: &SparseMatrix<F>,
        y: &[usize],
    ) -> Result<MultiFittedLogisticRegression<F, usize>> {
        self.check_ref()?.fit_sparse(x, y)
    }
}

impl<F: Float> LogisticRegressionValidParams<F, Ix2> {
    /// [`LogisticRegressionParams::fit_sparse`] with the parameters checked.
    pub fn fit_sparse(
        &self,
        x: &SparseMatrix<F>,
        y: &[usize],
    ) -> Result<MultiFittedLogisticRegression<F, usize>> {
        let (classes, target) = label_classes_multi(ndarray::Array1::from(y.to_vec()))?;
        if x.nrows() != target.nrows() {
            return Err(Error::MismatchedShapes(x.nrows(), target.nrows()));
        }
        self.validate_init_dims(x.ncols(), Some(classes.len()))?;
        let problem = SparseProblem {
            x,
            target,
            alpha: self.alpha,
            memo: Memo::new(),
        };
        self.fit_multi(problem, x.ncols(), classes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::MultiLogisticRegression;
    use linfa::prelude::*;
    use ndarray::{array, Array1};

    /// A small dense matrix with zeros, and the same as sparse rows (one column given twice).
    fn matrices() -> (Array2<f64>, SparseMatrix<f64>) {
        let dense = array![
            [0.0, 1.0, 0.0, 2.0],
            [3.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0],
            [0.5, 0.0, 4.0, 1.0],
            [0.0, 2.0, 1.0, 0.0],
        ];
        let rows = vec![
            vec![(3, 2.0), (1, 1.0)],
            vec![(0, 1.0), (0, 2.0)],
            vec![],
            vec![(0, 0.5), (2, 4.0), (3, 1.0)],
            vec![(1, 2.0), (2, 1.0)],
        ];
        (dense, SparseMatrix::from_rows(4, rows).unwrap())
    }

    #[test]
    fn products_are_the_dense_ones() {
        let (dense, sparse) = matrices();
        let w = array![[1.0, -2.0], [0.5, 3.0], [-1.0, 0.25], [2.0, 1.0]];
        assert_eq!(sparse.dot(w.view()), dense.dot(&w));
        let d = array![[1.0, 0.0], [-1.0, 2.0], [3.0, 3.0], [0.5, -0.5], [2.0, 1.0]];
        assert_eq!(sparse.t_dot(&d), dense.t().dot(&d));
        // a transposed view of the weights reads the same
        let wt = w.t().to_owned();
        assert_eq!(sparse.dot(wt.t()), dense.dot(&w));
        assert_eq!((sparse.nrows(), sparse.ncols(), sparse.entries()), (5, 4, 9));
        assert_eq!(sparse.to_dense(), dense);
    }

    #[test]
    fn products_over_several_chunks_are_the_dense_ones_on_any_number_of_threads() {
        // more rows and columns than two chunks, a few entries per row
        let (nrows, ncols, k) = (3 * CHUNK + 17, 2 * CHUNK + 5, 3);
        let mut state = 11u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        let rows: Vec<Vec<(usize, f64)>> = (0..nrows)
            .map(|_| {
                (0..next() % 9)
                    .map(|_| (next() % ncols, (next() % 1000) as f64 / 250.0 - 2.0))
                    .collect()
            })
            .collect();
        let x = SparseMatrix::from_rows(ncols, rows).unwrap();
        let dense = x.to_dense();
        let w = Array2::from_shape_fn((ncols, k), |(i, j)| ((i * 7 + j * 3) % 11) as f64 - 5.0);
        let d = Array2::from_shape_fn((nrows, k), |(i, j)| ((i * 5 + j) % 13) as f64 / 4.0 - 1.5);
        let close = |a: &Array2<f64>, b: &Array2<f64>| {
            a.shape() == b.shape() && a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-9)
        };
        let on_threads = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| (x.dot(w.view()), x.t_dot(&d)))
        };
        let (xw, xtd) = on_threads(1);
        assert!(close(&xw, &dense.dot(&w)));
        assert!(close(&xtd, &dense.t().dot(&d)));
        // bit for bit the same on more threads
        assert_eq!(on_threads(3), (xw, xtd));
    }

    #[test]
    fn bad_entries_are_refused() {
        let out_of_range = SparseMatrix::<f64>::from_rows(2, vec![vec![(2, 1.0)]]);
        assert!(matches!(
            out_of_range,
            Err(Error::SparseColumnOutOfRange {
                column: 2,
                ncols: 2
            })
        ));
        let nan = SparseMatrix::<f32>::from_rows(2, vec![vec![(0, f32::NAN)]]);
        assert!(matches!(nan, Err(Error::InvalidValues)));
        let (_, x) = matrices();
        let fit = MultiLogisticRegression::<f64>::default().fit_sparse(&x, &[0, 1]);
        assert!(matches!(fit, Err(Error::MismatchedShapes(5, 2))));
    }

    #[test]
    fn the_sparse_fit_is_the_dense_fit() {
        let (dense, sparse) = matrices();
        let y = [0usize, 1, 2, 1, 0];
        let regression = MultiLogisticRegression::<f64>::default()
            .alpha(0.1)
            .max_iterations(50);
        let by_dense = regression
            .fit(&Dataset::new(dense, Array1::from(y.to_vec())))
            .unwrap();
        let by_sparse = regression.fit_sparse(&sparse, &y).unwrap();
        assert_eq!(by_sparse.classes(), by_dense.classes());
        // the sums run in another order, so the optimum is the same to rounding
        let close = |a: &Array2<f64>, b: &Array2<f64>| {
            a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-6)
        };
        assert!(close(by_sparse.params(), by_dense.params()));
        let (a, b) = (by_sparse.intercept(), by_dense.intercept());
        assert!(a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-6));
        // and it starts from given weights
        let start = by_dense.params().clone();
        let mut init = Array2::zeros((5, 3));
        init.slice_mut(ndarray::s![..4, ..]).assign(&start);
        init.row_mut(4).assign(by_dense.intercept());
        let warm = regression
            .clone()
            .initial_params(init.clone())
            .max_iterations(1)
            .fit_sparse(&sparse, &y)
            .unwrap();
        assert!(close(warm.params(), by_dense.params()));
        let wrong = regression
            .initial_params(init.slice(ndarray::s![..4, ..]).to_owned())
            .fit_sparse(&sparse, &y);
        assert!(matches!(
            wrong,
            Err(Error::InitialParameterFeaturesMismatch { .. })
        ));
    }
}
