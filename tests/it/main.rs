//! Black-box tests: the binary and the library against real SQLite,
//! PostgreSQL and MariaDB, over real loopback HTTP.
//!
//! PostgreSQL and MariaDB tests run when `HYPERCARE_TEST_POSTGRES_URL` and
//! `HYPERCARE_TEST_MYSQL_URL` are set (each test makes a fresh database on
//! that server); otherwise they print that they were skipped. Under `CI=true`
//! a missing variable fails the test instead.

mod helpers;

mod alerts;
mod check_command;
mod clinics;
mod config_validation;
mod daemon;
mod demo;
mod deploy;
mod digests;
mod documents;
mod drift;
mod empi;
mod faults;
pub(crate) mod feedback;
mod fhir;
mod fhir_export_cancel;
mod fhir_keyed;
mod fhir_oauth;
mod fhir_server;
mod fhir_spill_cancel;
mod handoffs;
mod handoffs_native;
mod integrity;
mod keyed;
mod panels;
mod replicas;
mod scheduler_faults;
mod shutdown;
mod store;
mod supervision;
mod workflows;
