use thiserror::Error;
pub type Result<T> = std::result::Result<T, Error>;

#[derive(Error, Debug)]
pub enum Error {
    #[error(transparent)]
    LinfaError(#[from] linfa::Error),
    #[error("More than two classes for logistic regression")]
    TooManyClasses,
    #[error("Fewer than two classes for logistic regression")]
    TooFewClasses,
    #[error(transparent)]
    ArgMinError(#[from] argmin::core::Error),
    #[error("Expected `x` and `y` to have same number of rows, got {0} != {1}")]
    MismatchedShapes(usize, usize),
    #[error("Values must be finite and not `Inf`, `-Inf` or `NaN`")]
    InvalidValues,
    #[error("Rows of initial parameter ({rows}) must be the same as the number of features ({n_features})")]
    InitialParameterFeaturesMismatch { rows: usize, n_features: usize },
    #[error("Columns of initial parameter ({cols}) must be the same as the number of classes ({n_classes})")]
    InitialParameterClassesMismatch { cols: usize, n_classes: usize },

    #[error("gradient_tolerance must be a positive, finite number")]
    InvalidGradientTolerance,
    #[error("alpha must be a positive, finite number")]
    InvalidAlpha,
    #[error("Initial parameters must be finite")]
    InvalidInitialParameters,
    /// sportello's patch: an entry of a sparse matrix past its last column.
    #[error("Column {column} of a sparse matrix of {ncols} columns")]
    SparseColumnOutOfRange { column: usize, ncols: usize },
    /// sportello's patch: a sparse matrix's rows and columns are numbered in 32 bits.
    #[error("A sparse matrix may have at most 2^32 - 1 rows and columns")]
    SparseMatrixTooLarge,
}
