//! The integration tests of the workspace, in one test binary: one link of the SDK and the
//! fake instead of one per file (the link is most of a test binary's build on 2 CPUs). Each
//! module is what was a file of its own under `tests/tests/`; `cargo test -p lark-tests
//! --test it e2e_downloads::` runs one of them. The golden-file tests (`codegen_snapshots`,
//! `spec_validation`) stay binaries of their own, so their snapshot names stay short.

mod support;

mod e2e_client;
mod e2e_downloads;
mod e2e_errors;
mod e2e_events_webhook;
mod e2e_events_ws;
mod e2e_fleet;
mod e2e_flows;
mod e2e_hardening;
mod e2e_hostile_auth;
mod e2e_hostile_body;
mod e2e_json_answers;
mod e2e_log_ids;
mod e2e_rate_limit;
mod e2e_raw;
mod e2e_retries;
mod e2e_saving;
mod e2e_sending;
mod e2e_shared_tokens;
mod e2e_tokens;
mod e2e_tracing;
mod events;
mod generated_up_to_date;
mod spec_shapes;
mod types_per_concept;

/// Every endpoint end to end against the spec-driven fake. The cases are generated from the
/// specs by `cargo xtask gen`; the checks are `lark_tests::harness`.
#[rustfmt::skip]
#[path = "../generated/endpoints.rs"]
mod endpoints;

/// Every endpoint's doc example compiles: the examples are generated from the specs by
/// `cargo xtask gen`.
#[rustfmt::skip]
#[path = "../generated/examples.rs"]
mod examples;
