//! Names declared in one section and used in another (clinics, checks,
//! notifiers), checked while the using section is read: the loader reads
//! the declarations first and hands their names over here. Also what the
//! names being read belong to ("category"), for messages.

use std::cell::RefCell;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::Name;
use super::de::recover;

thread_local! {
    /// What the names being read name ("category"), for messages.
    static WHAT: std::cell::Cell<&'static str> = const { std::cell::Cell::new("") };
}

/// Reads with `what` as the thing names and labels belong to, for messages.
pub(crate) fn naming<T>(what: &'static str, read: impl FnOnce() -> T) -> T {
    let previous = WHAT.replace(what);
    let out = read();
    WHAT.set(previous);
    out
}

pub(crate) fn what() -> &'static str {
    WHAT.get()
}

/// The names declared elsewhere in the file, for references to be checked
/// while they are read (the loader reads declarations first).
#[derive(Default)]
pub(crate) struct Known {
    pub clinics: Vec<String>,
    pub checks: Vec<String>,
    /// `[notifiers.NAME]`
    pub notifiers: Vec<String>,
    /// Whether mail can leave: `[smtp]` or `[outbox] mail_dir`.
    pub mail_route: bool,
    /// `[sources.NAME]` with a database url, and those with a FHIR base.
    pub sql_sources: Vec<String>,
    pub fhir_sources: Vec<String>,
    /// Whether `[smtp]` is written.
    pub smtp: bool,
}

thread_local! {
    static KNOWN: RefCell<Known> = RefCell::new(Known::default());
}

/// Runs `read` with `known` as the names references may use.
pub(crate) fn with_known<T>(known: Known, read: impl FnOnce() -> T) -> T {
    let previous = KNOWN.replace(known);
    let out = read();
    KNOWN.set(previous);
    out
}

pub(crate) fn known<T>(look: impl FnOnce(&Known) -> T) -> T {
    KNOWN.with_borrow(look)
}

/// Clinics named by id, each declared in `[[clinics]]`.
pub(crate) fn clinic_refs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Name>, D::Error> {
    known_clinics(Vec::<Spanned<Name>>::deserialize(d)?)
}

/// Keeps the names declared in `among`, recording the others with what
/// `unknown` says (an empty name is a recorded mistake already).
fn among<E: serde::de::Error>(
    names: Vec<Spanned<Name>>,
    among: impl Fn(&Known) -> &Vec<String>,
    unknown: impl Fn(&Name) -> (String, String),
) -> Result<Vec<Name>, E> {
    let mut out = Vec::new();
    for n in names {
        let declared = known(|k| among(k).iter().any(|c| c == n.get_ref().as_str()));
        if declared || n.get_ref().as_str().is_empty() {
            out.push(n.into_inner());
            continue;
        }
        let (message, hint) = unknown(n.get_ref());
        recover::<(), E>(n.span(), message, Some(&hint), ())?;
    }
    Ok(out)
}

/// Keeps the clinics declared in `[[clinics]]`, recording the others.
pub(crate) fn known_clinics<E: serde::de::Error>(
    names: Vec<Spanned<Name>>,
) -> Result<Vec<Name>, E> {
    among(
        names,
        |k| &k.clinics,
        |n| {
            let list = KNOWN.with_borrow(|k| k.clinics.join(", "));
            let list = if list.is_empty() {
                "none are".into()
            } else {
                list
            };
            let hint = format!("clinics are declared in [[clinics]]: {list}");
            (format!("unknown clinic `{n}`"), hint)
        },
    )
}

/// Checks named by name, each a `[[reconcile]]`, `[[documents]]`,
/// `[[workflows]]` or `[[integrity]]` check.
pub(crate) fn check_refs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Name>, D::Error> {
    among(
        Vec::<Spanned<Name>>::deserialize(d)?,
        |k| &k.checks,
        |n| {
            let hint = "name a [[reconcile]], [[documents]], [[workflows]] or [[integrity]] check";
            (format!("unknown check `{n}`"), hint.to_string())
        },
    )
}

/// Notifiers named by name, each declared as `[notifiers.NAME]`.
pub(crate) fn notifier_refs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Name>, D::Error> {
    among(
        Vec::<Spanned<Name>>::deserialize(d)?,
        |k| &k.notifiers,
        |n| {
            let hint = "declare it as [notifiers.NAME]".to_string();
            (format!("no notifier is named `{n}`"), hint)
        },
    )
}

/// Names as written that must each be declared in `among`; `unknown` says
/// what to write instead. Keeps the declared ones.
pub(crate) fn declared<E: serde::de::Error>(
    names: &[Spanned<String>],
    among: impl Fn(&Known) -> &Vec<String>,
    unknown: impl Fn(&str) -> (String, Option<&'static str>),
) -> Result<Vec<Name>, E> {
    let mut out = Vec::new();
    for n in names {
        if !known(|k| among(k).contains(n.get_ref())) {
            let (message, hint) = unknown(n.get_ref());
            recover::<(), E>(n.span(), message, hint, ())?;
        } else if let Ok(name) = Name::parse(n.get_ref()) {
            // A declared name that is not valid is reported where it is declared.
            out.push(name);
        }
    }
    Ok(out)
}
