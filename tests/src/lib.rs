//! Test support for the lark-openapi workspace: a faithful fake of the Lark Open API.
//!
//! See [`fake`] for what the fake serves and how to script faults; everything
//! in it is re-exported here.

#![warn(missing_docs)]

pub mod fake;
pub use fake::*;
