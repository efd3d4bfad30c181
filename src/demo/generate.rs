//! Synthetic legacy and target EHR databases with known discrepancies.
//!
//! Every name, date and identifier is made up from a fixed seed. What the
//! migration "lost" on purpose:
//! - clinic `east`: 8 % of its active patients and their encounters never
//!   reached the target (their appointments and documents did: orphans);
//! - clinic `east`, too: 40 % of its 2019 encounters were lost in one failed
//!   batch (north, south, west and pediatrics lose nothing, so each clinic is
//!   judged on its own figures);
//! - soft-deleted legacy patients (2 %) were rightly not migrated.
//!
//! The data-quality problems the integrity checks find are planted by
//! `integrity_data.rs`.

use std::path::Path;

use super::db::{Db, LEGACY_SCHEMA, TARGET_SCHEMA, V};
use super::facts::{CLINICS, DemoFacts, PATIENTS, PROVIDERS};
use super::integrity_data::{self, Person};
use super::patients::{FIRST, LAST, Rows, patient, pick};

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
    let (users, practitioners) = providers(&mut rng, &mut facts);
    legacy
        .insert("users", "id,fname,lname,npi,active", users)
        .await?;
    target
        .insert("practitioner", "id,legacy_id,name,npi", practitioners)
        .await?;
    let mut rows = Rows::default();
    let mut previous: Option<Person> = None;
    for pid in 1..=PATIENTS as i64 {
        previous = Some(patient(
            &mut rng,
            pid,
            previous.as_ref(),
            &mut rows,
            &mut facts,
        ));
    }
    write(&mut legacy, &mut target, &mut rows).await?;
    insert_extra(&mut target, seed, &rows.migrated_pids, &mut facts).await?;
    legacy.commit().await?;
    target.commit().await?;
    Ok(facts)
}

/// Legacy users and the target's practitioners (active users only).
fn providers(rng: &mut fastrand::Rng, facts: &mut DemoFacts) -> (Vec<Vec<V>>, Vec<Vec<V>>) {
    let mut users = Vec::new();
    let mut practitioners = Vec::new();
    for id in 1..=PROVIDERS as i64 {
        let (f, l) = (pick(rng, &FIRST), pick(rng, &LAST));
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
    (users, practitioners)
}

/// Writes the drawn rows into both databases.
async fn write(legacy: &mut Db, target: &mut Db, rows: &mut Rows) -> anyhow::Result<()> {
    let take = std::mem::take::<Vec<Vec<V>>>;
    let legacy_tables = [
        (
            "patient_data",
            "pid,pubpid,fname,lname,DOB,sex,clinic,deleted",
            take(&mut rows.legacy_patients),
        ),
        (
            "form_encounter",
            "id,pid,date,clinic,provider_id,reason",
            take(&mut rows.legacy_encounters),
        ),
        (
            "calendar_events",
            "pc_eid,pc_pid,pc_eventDate,clinic,provider_id",
            take(&mut rows.legacy_appointments),
        ),
        (
            "documents",
            "id,foreign_id,kind,url,mimetype,size,hash,deleted",
            take(&mut rows.legacy_documents),
        ),
    ];
    for (table, cols, r) in legacy_tables {
        legacy.insert(table, cols, r).await?;
    }
    let target_tables = [
        (
            "patient",
            "id,mrn,family,given,birth_date,gender,clinic_id",
            take(&mut rows.target_patients),
        ),
        (
            "encounter",
            "id,patient_id,period_start,clinic_id,practitioner_id",
            take(&mut rows.target_encounters),
        ),
        (
            "appointment",
            "id,patient_id,start,clinic_id",
            take(&mut rows.target_appointments),
        ),
        (
            "document_reference",
            "id,patient_id,kind,url,content_type,size,hash",
            take(&mut rows.target_documents),
        ),
    ];
    for (table, cols, r) in target_tables {
        target.insert(table, cols, r).await?;
    }
    Ok(())
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
        .insert("condition", "id,patient_id,code,legacy_code", conditions)
        .await?;
    let map = extra
        .code_map
        .into_iter()
        .map(|(legacy, icd)| vec![V::T(legacy), V::T(icd)])
        .collect();
    target.insert("code_map", "legacy_code,icd10", map).await?;
    let feed = extra
        .feed
        .into_iter()
        .map(|(id, at)| vec![V::I(id), V::T(at)])
        .collect();
    target
        .insert("lab_feed_message", "id,received_at", feed)
        .await
}
