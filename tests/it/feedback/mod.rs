//! Staff feedback, black-box: the form, triage pages, the API, the demo and
//! a real browser.

mod admin;
mod api;
mod browser;
mod config_and_demo;
pub(crate) mod fixtures;
mod form;
mod guard;
mod known;
mod known_browser;
mod known_signals;
mod webdriver;
