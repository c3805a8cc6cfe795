//! Test support for the lark-openapi workspace: a faithful, spec-driven fake of the Lark
//! Open API, and the harness the generated end-to-end tests run on.
//!
//! See [`fake`] for what the fake serves and how to script faults (everything in it is
//! re-exported here), and [`harness`] for the per-endpoint checks.

#![warn(missing_docs)]

pub mod fake;
pub mod harness;
pub use fake::*;
