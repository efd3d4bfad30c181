//! How a probable pair came about, read from the rule's `lineage` column
//! (the legacy record each row was migrated from): a legacy record loaded
//! twice is the migration's fault and fixed in its load, a duplicate the
//! legacy system already held is old news carried over, and a pair with a
//! record registered since go-live is the registration desk's, the one a
//! stabilization criterion watches.

use crate::results::MigrationClasses;

use super::person::Person;

/// Where a pair's duplicate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    CreatedByMigration,
    PreExisting,
    SinceGoLive,
}

/// The origin of a pair of rows, by their legacy records.
pub fn origin(a: &Person, b: &Person) -> Origin {
    match (&a.lineage, &b.lineage) {
        (Some(x), Some(y)) if x == y => Origin::CreatedByMigration,
        (Some(_), Some(_)) => Origin::PreExisting,
        _ => Origin::SinceGoLive,
    }
}

/// Counts pairs by origin.
pub fn count(origins: impl IntoIterator<Item = Origin>) -> MigrationClasses {
    let mut c = MigrationClasses::default();
    for o in origins {
        let n = match o {
            Origin::CreatedByMigration => &mut c.created_by_migration,
            Origin::PreExisting => &mut c.pre_existing,
            Origin::SinceGoLive => &mut c.since_go_live,
        };
        *n += 1;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(lineage: Option<&str>) -> Person {
        Person {
            lineage: lineage.map(str::to_string),
            ..Person::default()
        }
    }

    #[test]
    fn pairs_are_told_apart_by_their_legacy_records() {
        let (a, b, new) = (row(Some("7")), row(Some("8")), row(None));
        assert_eq!(origin(&a, &row(Some("7"))), Origin::CreatedByMigration);
        assert_eq!(origin(&a, &b), Origin::PreExisting);
        assert_eq!(origin(&a, &new), Origin::SinceGoLive);
        assert_eq!(origin(&new, &row(None)), Origin::SinceGoLive);
        let c = count([
            Origin::PreExisting,
            Origin::PreExisting,
            Origin::SinceGoLive,
        ]);
        assert_eq!(
            (c.created_by_migration, c.pre_existing, c.since_go_live),
            (0, 2, 1)
        );
    }
}
