//! Every endpoint end to end against the spec-driven fake. The cases are generated from the
//! specs by `cargo xtask gen` (see `generated/endpoints.rs`); the checks are
//! `lark_tests::harness`.

#[rustfmt::skip]
#[path = "generated/endpoints.rs"]
mod endpoints;
