//! Every endpoint's doc example compiles: the examples are generated from the specs by
//! `cargo xtask gen` (see `generated/examples.rs`).

#[rustfmt::skip]
#[path = "generated/examples.rs"]
mod examples;
