//! Staff feedback, black-box: the form, triage pages, the API, the demo and
//! a real browser.

mod admin_api;
mod fixtures;
mod form;
