//! The `hypercare` binary: parse the command line, hand over to the library.
#![forbid(unsafe_code)]

/// mimalloc returns freed memory to the OS far better than glibc's malloc
/// does with many threads (each SQLite connection has a worker thread):
/// measured idle RSS on the demo halves with it (see bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    hypercare::cli::main()
}
