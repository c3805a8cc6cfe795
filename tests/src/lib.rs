//! Test support for the lark-openapi workspace: a faithful, spec-driven fake of the Lark
//! Open API, and the harness the generated end-to-end tests run on.
//!
//! See [`fake`] for what the fake serves and how to script faults (everything in it is
//! re-exported here), [`harness`] for the per-endpoint checks, and [`redis`] for a real
//! `redis-server` started per test (installed when missing).

#![warn(missing_docs)]

pub mod fake;
pub mod harness;
pub mod redis;
pub use fake::*;
