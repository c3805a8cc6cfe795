//! Spec loading, validation and emission.
