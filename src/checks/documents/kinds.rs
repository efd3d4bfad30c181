//! Document kinds: the configured kind names (metric labels) and the
//! inventory values that map to each. A value no kind claims is `_other`.

use std::collections::{BTreeMap, HashMap};

use crate::config::Name;
use crate::config::documents::OTHER_KIND;

pub(crate) struct KindMap {
    /// Kind names in config order, then `_other`.
    names: Vec<String>,
    by_value: HashMap<String, u16>,
}

impl KindMap {
    pub fn new(kinds: &BTreeMap<Name, Vec<String>>) -> KindMap {
        let mut names = Vec::with_capacity(kinds.len() + 1);
        let mut by_value = HashMap::new();
        for (i, (name, values)) in kinds.iter().enumerate() {
            names.push(name.to_string());
            // The kind's own name maps to it as well.
            by_value.insert(name.to_string(), i as u16);
            for v in values {
                by_value.insert(v.trim().to_ascii_lowercase(), i as u16);
            }
        }
        names.push(OTHER_KIND.to_string());
        KindMap { names, by_value }
    }

    /// The kind of one inventory value; `None` for a blank value (metadata missing).
    pub fn of(&self, value: Option<&str>) -> Option<u16> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        Some(self.lookup(v).unwrap_or(self.other()))
    }

    /// The first of several values (FHIR codings) that maps to a kind.
    pub fn of_any<'a>(&self, values: impl IntoIterator<Item = &'a str>) -> Option<u16> {
        let mut any = false;
        for v in values.into_iter().map(str::trim).filter(|v| !v.is_empty()) {
            any = true;
            if let Some(k) = self.lookup(v) {
                return Some(k);
            }
        }
        any.then_some(self.other())
    }

    fn lookup(&self, v: &str) -> Option<u16> {
        self.by_value
            .get(v)
            .or_else(|| self.by_value.get(&v.to_ascii_lowercase()))
            .copied()
    }

    pub fn other(&self) -> u16 {
        (self.names.len() - 1) as u16
    }

    pub fn count(&self) -> usize {
        self.names.len()
    }

    pub fn name(&self, k: u16) -> &str {
        &self.names[usize::from(k)]
    }
}
