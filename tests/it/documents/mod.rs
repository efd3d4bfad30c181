//! `[[documents]]` checks against real storage on loopback: an HTTP server
//! and a folder with a planted failure of every reason (each must be found
//! once, with its reason, and no good document reported), a FHIR server
//! whose inventory pages and relative `Binary/…` urls must be followed, an
//! S3-compatible server, and the rotation ledger through the store.

mod daemon;
mod demo;
mod fhir;
mod fixtures;
mod folder;
mod http;
mod huge;
mod rotation;
mod s3;
