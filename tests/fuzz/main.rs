//! Fuzzing on stable Rust: property tests (proptest) over every parser of
//! outside input that the library exposes, each as the daemon meets it.
//!
//! CI runs a short pass (proptest's 256 cases per target, or
//! `PROPTEST_CASES`); `bench/fuzz.sh` runs the long pass (1,000,000 cases
//! per target by default). A case fails on a panic, on a hang past its
//! timeout, or where a target states a property.

mod config;
mod forms;
mod remote;

use std::sync::OnceLock;

/// One runtime for every case of every async target (servers stay up).
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}
