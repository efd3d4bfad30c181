//! Synthetic legacy and target EHR databases with known discrepancies.
//!
//! Every name, date and identifier is made up from a fixed seed. What the
//! migration "lost" on purpose:
//! - clinic `east`: 8 % of its active patients and their encounters never
//!   reached the target (their appointments and documents did: orphans);
//! - clinic `south`: 40 % of its 2019 encounters were lost in one failed batch;
//! - soft-deleted legacy patients (2 %) were rightly not migrated.
//!
//! The data-quality problems the integrity checks find are planted by
//! `integrity_data.rs`.

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

use super::integrity_data::{self, Person};

pub const CLINICS: [&str; 5] = ["north", "south", "east", "west", "pediatrics"];
pub const DOCUMENT_KINDS: [&str; 7] = [
    "referral",
    "lab_report",
    "scanned_record",
    "signed_form",
    "insurance_document",
    "care_plan",
    "historical_attachment",
];
const FIRST: [&str; 16] = [
    "Ava", "Liam", "Maya", "Noah", "Iris", "Omar", "Lena", "Ravi", "Zoe", "Theo", "Nora", "Ezra",
    "Mila", "Jude", "Ines", "Kai",
];
const LAST: [&str; 16] = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Reyes",
    "Novak",
    "Haddad",
    "Brennan",
    "Ivanova",
    "Costa",
    "Mensah",
    "Weber",
    "Kowalski",
    "Duarte",
    "Sato",
    "Fischer",
];
const PATIENTS: usize = 6000;
const PROVIDERS: usize = 40;

/// What was generated, for the banner and for tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct DemoFacts {
    pub clinics: usize,
    pub patients: usize,
    pub encounters: usize,
    pub appointments: usize,
    pub documents: usize,
    pub east_patients_missing: usize,
    /// Target appointments and documents whose patient never reached the target.
    pub orphan_appointments: usize,
    pub orphan_documents: usize,
    /// Target encounters naming a provider the target has no practitioner for.
    pub orphan_encounter_practitioners: usize,
    /// Legacy appointments of soft-deleted patients.
    pub legacy_orphan_appointments: usize,
    /// Target practitioners with an NPI failing its check digit.
    pub invalid_npis: usize,
    /// Target conditions whose legacy code has no mapping.
    pub unmapped_conditions: usize,
    /// Target conditions whose code is not ICD-10-CM shaped.
    pub malformed_condition_codes: usize,
}

enum V {
    I(i64),
    T(String),
    /// NULL.
    N,
}

struct Db {
    conn: SqliteConnection,
}

impl Db {
    async fn create(path: &Path, schema: &str) -> anyhow::Result<Db> {
        let _ = std::fs::remove_file(path);
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true);
        let mut conn = SqliteConnection::connect_with(&opts)
            .await
            .with_context(|| format!("cannot create {}", path.display()))?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(schema.to_string()))
            .execute(&mut conn)
            .await?;
        sqlx::raw_sql("BEGIN").execute(&mut conn).await?;
        Ok(Db { conn })
    }

    /// Inserts rows in batches of multi-row VALUES.
    async fn insert(
        &mut self,
        table: &str,
        cols: &[&str],
        rows: Vec<Vec<V>>,
    ) -> anyhow::Result<()> {
        for chunk in rows.chunks(200) {
            let one = format!("({})", vec!["?"; cols.len()].join(","));
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES {}",
                cols.join(","),
                vec![one; chunk.len()].join(",")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                for v in row {
                    q = match v {
                        V::I(i) => q.bind(*i),
                        V::T(t) => q.bind(t.clone()),
                        V::N => q.bind(None::<String>),
                    };
                }
            }
            q.execute(&mut self.conn).await?;
        }
        Ok(())
    }

    async fn commit(mut self) -> anyhow::Result<()> {
        sqlx::raw_sql("COMMIT").execute(&mut self.conn).await?;
        self.conn.close().await?;
        Ok(())
    }
}

const LEGACY_SCHEMA: &str = "
CREATE TABLE users (id INTEGER PRIMARY KEY, fname TEXT, lname TEXT, npi TEXT, active INTEGER NOT NULL);
CREATE TABLE patient_data (pid INTEGER PRIMARY KEY, pubpid TEXT NOT NULL DEFAULT '', fname TEXT, lname TEXT,
  DOB TEXT, sex TEXT, clinic TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE form_encounter (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, date TEXT NOT NULL, clinic TEXT NOT NULL,
  provider_id INTEGER, reason TEXT);
CREATE TABLE calendar_events (pc_eid INTEGER PRIMARY KEY, pc_pid TEXT NOT NULL, pc_eventDate TEXT NOT NULL,
  clinic TEXT NOT NULL, provider_id INTEGER);
CREATE TABLE documents (id INTEGER PRIMARY KEY, foreign_id INTEGER NOT NULL, kind TEXT NOT NULL, url TEXT,
  mimetype TEXT, size INTEGER, hash TEXT, deleted INTEGER NOT NULL DEFAULT 0);";

const TARGET_SCHEMA: &str = "
CREATE TABLE practitioner (id INTEGER PRIMARY KEY, legacy_id INTEGER, name TEXT, npi TEXT);
CREATE TABLE patient (id INTEGER PRIMARY KEY, mrn TEXT NOT NULL, family TEXT, given TEXT, birth_date TEXT,
  gender TEXT, clinic_id TEXT NOT NULL);
CREATE TABLE encounter (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL, period_start TEXT NOT NULL,
  clinic_id TEXT NOT NULL, practitioner_id INTEGER);
CREATE TABLE appointment (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL, start TEXT NOT NULL, clinic_id TEXT NOT NULL);
CREATE TABLE document_reference (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL, kind TEXT NOT NULL, url TEXT,
  content_type TEXT, size INTEGER, hash TEXT);
CREATE TABLE condition (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL, code TEXT, legacy_code TEXT NOT NULL);
CREATE TABLE code_map (legacy_code TEXT PRIMARY KEY, icd10 TEXT NOT NULL);
CREATE TABLE lab_feed_message (id INTEGER PRIMARY KEY, received_at TEXT NOT NULL);";

fn pick<'a>(rng: &mut fastrand::Rng, from: &[&'a str]) -> &'a str {
    from[rng.usize(..from.len())]
}

fn date(rng: &mut fastrand::Rng, years: std::ops::Range<i64>) -> String {
    format!(
        "{}-{:02}-{:02}",
        rng.i64(years),
        rng.u8(1..=12),
        rng.u8(1..=28)
    )
}

/// Generates both databases (replacing any old files) from `seed`.
pub async fn generate(
    legacy_path: &Path,
    target_path: &Path,
    seed: u64,
) -> anyhow::Result<DemoFacts> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut legacy = Db::create(legacy_path, LEGACY_SCHEMA).await?;
    let mut target = Db::create(target_path, TARGET_SCHEMA).await?;
    let mut facts = DemoFacts {
        clinics: CLINICS.len(),
        ..Default::default()
    };

    let mut users = Vec::new();
    let mut practitioners = Vec::new();
    for id in 1..=PROVIDERS as i64 {
        let (f, l) = (pick(&mut rng, &FIRST), pick(&mut rng, &LAST));
        let npi = integrity_data::npi(id, &format!("1{:09}", rng.u32(..1_000_000_000)));
        let active = i64::from(id % 10 != 0);
        facts.invalid_npis +=
            usize::from(active == 1 && integrity_data::npi_is_planted_invalid(id));
        users.push(vec![
            V::I(id),
            V::T(f.into()),
            V::T(l.into()),
            V::T(npi.clone()),
            V::I(active),
        ]);
        if active == 1 {
            practitioners.push(vec![
                V::I(id),
                V::I(id),
                V::T(format!("{f} {l}")),
                V::T(npi),
            ]);
        }
    }
    legacy
        .insert("users", &["id", "fname", "lname", "npi", "active"], users)
        .await?;
    target
        .insert(
            "practitioner",
            &["id", "legacy_id", "name", "npi"],
            practitioners,
        )
        .await?;

    let (mut lp, mut tp, mut le, mut te, mut la, mut ta, mut ld, mut td) = (
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    );
    let (mut enc_id, mut appt_id, mut doc_id) = (0i64, 0i64, 0i64);
    let mut previous: Option<Person> = None;
    let mut migrated_pids = Vec::new();
    for pid in 1..=PATIENTS as i64 {
        let clinic = CLINICS[rng.usize(..CLINICS.len())];
        let deleted = rng.f32() < 0.02;
        let lost = !deleted && clinic == "east" && rng.f32() < 0.08;
        let migrated = !deleted && !lost;
        facts.patients += usize::from(!deleted);
        facts.east_patients_missing += usize::from(lost);
        let (f, l, dob) = (
            pick(&mut rng, &FIRST),
            pick(&mut rng, &LAST),
            date(&mut rng, 1935..2024),
        );
        let sex = if rng.bool() { "F" } else { "M" };
        let mrn = format!("{:08}", 10_000_000 + pid * 7);
        let drawn = Person {
            given: Some(f.into()),
            family: l.into(),
            birth_date: Some(dob),
        };
        let person = integrity_data::plant_patient(pid, drawn, previous.as_ref());
        let text = |v: &Option<String>| v.clone().map_or(V::N, V::T);
        lp.push(vec![
            V::I(pid),
            V::T(mrn.clone()),
            text(&person.given),
            V::T(person.family.clone()),
            text(&person.birth_date),
            V::T(sex.into()),
            V::T(clinic.into()),
            V::I(i64::from(deleted)),
        ]);
        if migrated {
            migrated_pids.push(pid);
            tp.push(vec![
                V::I(pid),
                V::T(mrn),
                V::T(person.family.clone()),
                text(&person.given),
                text(&person.birth_date),
                V::T(sex.into()),
                V::T(clinic.into()),
            ]);
        }
        previous = Some(person);
        for _ in 0..rng.usize(0..=8) {
            enc_id += 1;
            let when = format!(
                "{} {:02}:{:02}:00",
                date(&mut rng, 2015..2027),
                rng.u8(7..18),
                rng.u8(0..60)
            );
            let provider = rng.i64(1..=PROVIDERS as i64);
            le.push(vec![
                V::I(enc_id),
                V::I(pid),
                V::T(when.clone()),
                V::T(clinic.into()),
                V::I(provider),
                V::T("visit".into()),
            ]);
            facts.encounters += usize::from(!deleted);
            let batch_lost = clinic == "south" && when.starts_with("2019") && rng.f32() < 0.4;
            if migrated && !batch_lost {
                facts.orphan_encounter_practitioners += usize::from(provider % 10 == 0);
                te.push(vec![
                    V::I(enc_id),
                    V::I(pid),
                    V::T(when),
                    V::T(clinic.into()),
                    V::I(provider),
                ]);
            }
        }
        for _ in 0..rng.usize(0..=4) {
            appt_id += 1;
            let when = format!("{} 09:{:02}:00", date(&mut rng, 2026..2027), rng.u8(0..60));
            la.push(vec![
                V::I(appt_id),
                V::T(pid.to_string()),
                V::T(when.clone()),
                V::T(clinic.into()),
                V::I(rng.i64(1..=40)),
            ]);
            facts.appointments += usize::from(!deleted);
            facts.legacy_orphan_appointments += usize::from(deleted);
            facts.orphan_appointments += usize::from(lost);
            if !deleted {
                ta.push(vec![
                    V::I(appt_id),
                    V::I(pid),
                    V::T(when),
                    V::T(clinic.into()),
                ]);
            }
        }
        for _ in 0..rng.usize(0..=3) {
            doc_id += 1;
            let kind = pick(&mut rng, &DOCUMENT_KINDS);
            let size = rng.i64(2_000..400_000);
            let url = format!("/documents/{doc_id}.pdf");
            ld.push(vec![
                V::I(doc_id),
                V::I(pid),
                V::T(kind.into()),
                V::T(url.clone()),
                V::T("application/pdf".into()),
                V::I(size),
                V::T(String::new()),
                V::I(0),
            ]);
            facts.documents += usize::from(!deleted);
            facts.orphan_documents += usize::from(lost);
            if !deleted {
                td.push(vec![
                    V::I(doc_id),
                    V::I(pid),
                    V::T(kind.into()),
                    V::T(url),
                    V::T("application/pdf".into()),
                    V::I(size),
                    V::T(String::new()),
                ]);
            }
        }
    }
    legacy
        .insert(
            "patient_data",
            &[
                "pid", "pubpid", "fname", "lname", "DOB", "sex", "clinic", "deleted",
            ],
            lp,
        )
        .await?;
    legacy
        .insert(
            "form_encounter",
            &["id", "pid", "date", "clinic", "provider_id", "reason"],
            le,
        )
        .await?;
    legacy
        .insert(
            "calendar_events",
            &["pc_eid", "pc_pid", "pc_eventDate", "clinic", "provider_id"],
            la,
        )
        .await?;
    legacy
        .insert(
            "documents",
            &[
                "id",
                "foreign_id",
                "kind",
                "url",
                "mimetype",
                "size",
                "hash",
                "deleted",
            ],
            ld,
        )
        .await?;
    target
        .insert(
            "patient",
            &[
                "id",
                "mrn",
                "family",
                "given",
                "birth_date",
                "gender",
                "clinic_id",
            ],
            tp,
        )
        .await?;
    target
        .insert(
            "encounter",
            &[
                "id",
                "patient_id",
                "period_start",
                "clinic_id",
                "practitioner_id",
            ],
            te,
        )
        .await?;
    target
        .insert(
            "appointment",
            &["id", "patient_id", "start", "clinic_id"],
            ta,
        )
        .await?;
    target
        .insert(
            "document_reference",
            &[
                "id",
                "patient_id",
                "kind",
                "url",
                "content_type",
                "size",
                "hash",
            ],
            td,
        )
        .await?;
    insert_extra(&mut target, seed, &migrated_pids, &mut facts).await?;
    legacy.commit().await?;
    target.commit().await?;
    Ok(facts)
}

/// The target's conditions, code crosswalk and lab feed.
async fn insert_extra(
    target: &mut Db,
    seed: u64,
    migrated: &[i64],
    facts: &mut DemoFacts,
) -> anyhow::Result<()> {
    let extra = integrity_data::extra_target_rows(seed, migrated, chrono::Utc::now());
    facts.unmapped_conditions = extra.unmapped_conditions;
    facts.malformed_condition_codes = extra.malformed_codes;
    let conditions = extra
        .conditions
        .into_iter()
        .map(|(id, pid, code, legacy)| {
            vec![V::I(id), V::I(pid), code.map_or(V::N, V::T), V::T(legacy)]
        })
        .collect();
    target
        .insert(
            "condition",
            &["id", "patient_id", "code", "legacy_code"],
            conditions,
        )
        .await?;
    let map = extra
        .code_map
        .into_iter()
        .map(|(legacy, icd)| vec![V::T(legacy), V::T(icd)])
        .collect();
    target
        .insert("code_map", &["legacy_code", "icd10"], map)
        .await?;
    let feed = extra
        .feed
        .into_iter()
        .map(|(id, at)| vec![V::I(id), V::T(at)])
        .collect();
    target
        .insert("lab_feed_message", &["id", "received_at"], feed)
        .await
}
