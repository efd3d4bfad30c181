//! The `hypercare` binary: parse the command line, hand over to the library.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    hypercare::cli::main()
}
