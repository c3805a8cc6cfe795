//! Sending requests: URL building, the prepared call, one attempt, the send loop, error
//! bodies, bounded reads, retries, deadlines.
pub(crate) mod attempt;
pub(crate) mod deadline;
pub(crate) mod path;
pub(crate) mod prepared;
pub mod read;
pub(crate) mod redirect;
pub mod retry;
pub(crate) mod send;
