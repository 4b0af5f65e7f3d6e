//! Command-line tests, one module per subcommand, all in one test binary.

mod check_data;
mod classify;
mod evaluate;
mod redact;
mod train;
mod util;
