//! A documents check's `kinds`: each kind name label-safe, at least one.

use std::collections::BTreeMap;

use super::super::super::Name;
use super::super::super::errors::Collector;
use super::super::super::raw::RawDocuments;

pub(super) fn kinds(c: &mut Collector, raw: &RawDocuments) -> Option<BTreeMap<Name, Vec<String>>> {
    let Some(kinds) = &raw.kinds else {
        c.at(
            raw.name.span(),
            format!("check `{}` needs `kinds`", raw.name.get_ref()),
            Some("map each document kind to the inventory values that mean it, such as kinds = { referral = [\"57133-1\"], lab_report = [\"11502-2\"] }"),
        );
        return None;
    };
    if kinds.get_ref().is_empty() {
        c.at(kinds.span(), "`kinds` is empty", None);
        return None;
    }
    let mut out = BTreeMap::new();
    let mut ok = true;
    for (k, values) in kinds.get_ref() {
        match Name::parse(k) {
            Ok(n) => {
                out.insert(n, values.clone());
            }
            Err(e) => {
                c.at(
                    kinds.span(),
                    format!("kind name {e}"),
                    Some("kind names label the check's metrics"),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}
