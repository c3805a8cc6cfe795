//! Binary responses: streaming, file names, saving without ever leaving a partial file.
pub mod filename;
