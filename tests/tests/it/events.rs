//! Every event type end to end against the fake, by webhook and over the long connection.
//! The cases are generated from the event specs (see `generated/events.rs`); the checks are
//! `lark_tests::harness::events`.

#[rustfmt::skip]
mod generated {
    include!("../generated/events.rs");
}

use lark_tests::{default_spec_dir, EventCatalogue, EventKind};

/// One generated case per event spec: no spec is left without its end-to-end tests.
#[test]
fn every_event_spec_has_its_cases() {
    let catalogue = EventCatalogue::load(&default_spec_dir());
    assert!(
        catalogue.problems().is_empty(),
        "event specs the fake skipped: {:?}",
        catalogue.problems()
    );
    let types: Vec<&str> = catalogue.iter().map(|s| s.event_type.as_str()).collect();
    assert_eq!(
        generated::EVENT_CASES,
        catalogue.len(),
        "generated/events.rs has {} event cases, the specs have {} event types ({types:?}): run `cargo xtask gen`",
        generated::EVENT_CASES,
        catalogue.len()
    );
    let mut generated_types: Vec<&str> = generated::EVENT_TYPES.to_vec();
    generated_types.sort_unstable();
    assert_eq!(
        generated_types, types,
        "the generated cases' event types are the specs' (run `cargo xtask gen`)"
    );
    let callbacks = catalogue
        .iter()
        .filter(|s| s.kind == EventKind::Callback)
        .count();
    println!(
        "{} event cases, one per event spec, on both channels ({callbacks} of them callbacks)",
        generated::EVENT_CASES
    );
}
