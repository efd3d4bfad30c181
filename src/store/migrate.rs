//! Embedded migrations, one list per backend, applied at start.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::{Pool, Store, StoreError};

const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "runs",
        include_str!("../../migrations/sqlite/0001_runs.sql"),
    ),
    (
        2,
        "feedback",
        include_str!("../../migrations/sqlite/0002_feedback.sql"),
    ),
    (
        3,
        "documents",
        include_str!("../../migrations/sqlite/0003_documents.sql"),
    ),
    (
        4,
        "alerts",
        include_str!("../../migrations/sqlite/0004_alerts.sql"),
    ),
    (
        5,
        "stabilization",
        include_str!("../../migrations/sqlite/0005_stabilization.sql"),
    ),
    (
        7,
        "one_running_run",
        include_str!("../../migrations/sqlite/0007_one_running_run.sql"),
    ),
    (
        9,
        "known_issues",
        include_str!("../../migrations/sqlite/0009_known_issues.sql"),
    ),
    (
        10,
        "not_duplicates",
        include_str!("../../migrations/sqlite/0010_not_duplicates.sql"),
    ),
];
const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "runs",
        include_str!("../../migrations/postgres/0001_runs.sql"),
    ),
    (
        2,
        "feedback",
        include_str!("../../migrations/postgres/0002_feedback.sql"),
    ),
    (
        3,
        "documents",
        include_str!("../../migrations/postgres/0003_documents.sql"),
    ),
    (
        4,
        "alerts",
        include_str!("../../migrations/postgres/0004_alerts.sql"),
    ),
    (
        5,
        "stabilization",
        include_str!("../../migrations/postgres/0005_stabilization.sql"),
    ),
    (
        7,
        "one_running_run",
        include_str!("../../migrations/postgres/0007_one_running_run.sql"),
    ),
    (
        9,
        "known_issues",
        include_str!("../../migrations/postgres/0009_known_issues.sql"),
    ),
    (
        10,
        "not_duplicates",
        include_str!("../../migrations/postgres/0010_not_duplicates.sql"),
    ),
];

fn migrator(list: &[(i64, &'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        list.iter()
            .map(|(version, name, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*name),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

impl Store {
    pub(super) async fn migrate(&self) -> Result<(), StoreError> {
        let result = match &self.pool {
            Pool::Sqlite(p) => migrator(SQLITE).run(p).await,
            Pool::Postgres(p) => migrator(POSTGRES).run(p).await,
        };
        result.map_err(|e| StoreError::Migrate(e.to_string()))
    }
}
