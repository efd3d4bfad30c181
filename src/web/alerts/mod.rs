//! `/admin/alerts` and `/api/v1/alerts`, `/api/v1/silences`: alert
//! instances and silences for people (a page with a form) and for
//! integrations (JSON), sharing one silence validation.

pub mod api;
pub mod page;
pub mod silences;
mod view;
