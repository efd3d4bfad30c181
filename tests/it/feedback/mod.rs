//! Staff feedback, black-box: the form, triage pages, the API, the demo and
//! a real browser.

mod admin;
mod api;
mod browser;
mod config_and_demo;
mod fixtures;
mod form;
mod webdriver;
