//! The download example (`examples/download.rs`) as a binary of this package: the
//! integration tests that signal a download mid-way run it as `cargo test` built it for
//! them (`CARGO_BIN_EXE_download-example`), instead of asking cargo to build the example
//! again with other features.

#[path = "../../examples/download.rs"]
mod example;

fn main() -> std::process::ExitCode {
    example::main()
}
