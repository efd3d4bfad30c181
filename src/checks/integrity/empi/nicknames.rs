//! Nickname equivalence (Bob for Robert) from a shipped table:
//! `nicknames.csv` is `names.csv` of github.com/carltonnorthern/nicknames
//! (commit 21d7505, Apache License 2.0, see `nicknames.LICENSE`): rows
//! `name,has_nickname,nickname`, lower case, US English.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

const TABLE: &str = include_str!("nicknames.csv");

/// The table read once: direct pairs both ways, and for every name the
/// pure formal names (never themselves a nickname) it belongs to. The
/// table lists old forms both ways (`bill` has nickname `robert`), so only
/// pure formal names join two nicknames: Bob and Rob through Robert, but
/// never Robert and William through Bill.
struct Table {
    direct: HashSet<(&'static str, &'static str)>,
    formal: HashMap<&'static str, Vec<&'static str>>,
}

static NICKNAMES: LazyLock<Table> = LazyLock::new(|| {
    let rows: Vec<(&str, &str)> = TABLE
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.trim().split(',');
            let (name, _, nick) = (cols.next()?, cols.next()?, cols.next()?);
            Some((name, nick))
        })
        .collect();
    let nicknames: HashSet<&str> = rows.iter().map(|(_, n)| *n).collect();
    let mut direct = HashSet::new();
    let mut formal: HashMap<&str, Vec<&str>> = HashMap::new();
    for (name, nick) in &rows {
        direct.insert((*name, *nick));
        direct.insert((*nick, *name));
        if !nicknames.contains(name) {
            formal.entry(*nick).or_default().push(*name);
        }
    }
    Table { direct, formal }
});

/// Whether two (lower-case, letters-only) given names can name one person:
/// one is a nickname of the other, or both of one formal name.
pub fn equivalent(a: &str, b: &str) -> bool {
    let t = &*NICKNAMES;
    if t.direct.contains(&(a, b)) {
        return true;
    }
    match (t.formal.get(a), t.formal.get(b)) {
        (Some(x), Some(y)) => x.iter().any(|f| y.contains(f)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames_of_one_formal_name_are_equivalent() {
        assert!(equivalent("robert", "bob"));
        assert!(equivalent("bob", "rob"));
        assert!(equivalent("william", "bill"));
        assert!(equivalent("elizabeth", "liz"));
        assert!(!equivalent("robert", "william"));
        assert!(!equivalent("zzz", "bob"));
    }
}
