//! The demo's patients, drawn one at a time from the seeded generator, with
//! their encounters, appointments and documents in both systems, and what
//! the migration did to each (see `generate.rs` for the planted losses).
//! The order of draws is part of the demo: the same seed gives the same data.

use super::db::V;
use super::facts::{CLINICS, DOCUMENT_KINDS, DemoFacts, PROVIDERS};
use super::integrity_data::{self, Person};

pub(super) const FIRST: [&str; 16] = [
    "Ava", "Liam", "Maya", "Noah", "Iris", "Omar", "Lena", "Ravi", "Zoe", "Theo", "Nora", "Ezra",
    "Mila", "Jude", "Ines", "Kai",
];
pub(super) const LAST: [&str; 16] = [
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
pub(super) fn pick<'a>(rng: &mut fastrand::Rng, from: &[&'a str]) -> &'a str {
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

/// Rows drawn for each table, before they are written.
#[derive(Default)]
pub(super) struct Rows {
    pub legacy_patients: Vec<Vec<V>>,
    pub target_patients: Vec<Vec<V>>,
    pub legacy_encounters: Vec<Vec<V>>,
    pub target_encounters: Vec<Vec<V>>,
    pub legacy_appointments: Vec<Vec<V>>,
    pub target_appointments: Vec<Vec<V>>,
    pub legacy_documents: Vec<Vec<V>>,
    pub target_documents: Vec<Vec<V>>,
    /// The last encounter, appointment and document id given out.
    pub ids: (i64, i64, i64),
    pub migrated_pids: Vec<i64>,
}

/// One patient as drawn: where, and what the migration did with them.
struct Drawn<'a> {
    pid: i64,
    clinic: &'a str,
    deleted: bool,
    lost: bool,
}

impl Drawn<'_> {
    fn migrated(&self) -> bool {
        !self.deleted && !self.lost
    }
}

/// One legacy patient, migrated or not, with their encounters,
/// appointments and documents. Returns the person as planted.
pub(super) fn patient(
    rng: &mut fastrand::Rng,
    pid: i64,
    previous: Option<&Person>,
    rows: &mut Rows,
    facts: &mut DemoFacts,
) -> Person {
    let clinic = CLINICS[rng.usize(..CLINICS.len())];
    let deleted = rng.f32() < 0.02;
    let lost = !deleted && clinic == "east" && rng.f32() < 0.08;
    let d = Drawn {
        pid,
        clinic,
        deleted,
        lost,
    };
    facts.patients += usize::from(!deleted);
    facts.east_patients_missing += usize::from(lost);
    let (f, l, dob) = (pick(rng, &FIRST), pick(rng, &LAST), date(rng, 1935..2024));
    let sex = if rng.bool() { "F" } else { "M" };
    let mrn = format!("{:08}", 10_000_000 + pid * 7);
    let drawn = Person {
        given: Some(f.into()),
        family: l.into(),
        birth_date: Some(dob),
    };
    let person = integrity_data::plant_patient(pid, drawn, previous);
    let text = |v: &Option<String>| v.clone().map_or(V::N, V::T);
    rows.legacy_patients.push(vec![
        V::I(pid),
        V::T(mrn.clone()),
        text(&person.given),
        V::T(person.family.clone()),
        text(&person.birth_date),
        V::T(sex.into()),
        V::T(clinic.into()),
        V::I(i64::from(deleted)),
    ]);
    if d.migrated() {
        rows.migrated_pids.push(pid);
        rows.target_patients.push(vec![
            V::I(pid),
            V::T(mrn),
            V::T(person.family.clone()),
            text(&person.given),
            text(&person.birth_date),
            V::T(sex.into()),
            V::T(clinic.into()),
        ]);
    }
    encounters(rng, &d, rows, facts);
    appointments(rng, &d, rows, facts);
    documents(rng, &d, rows, facts);
    person
}

/// Encounters; east's 2019 batch partly lost on the way.
fn encounters(rng: &mut fastrand::Rng, d: &Drawn, rows: &mut Rows, facts: &mut DemoFacts) {
    for _ in 0..rng.usize(0..=8) {
        rows.ids.0 += 1;
        let id = rows.ids.0;
        let when = format!(
            "{} {:02}:{:02}:00",
            date(rng, 2015..2027),
            rng.u8(7..18),
            rng.u8(0..60)
        );
        let provider = rng.i64(1..=PROVIDERS as i64);
        rows.legacy_encounters.push(vec![
            V::I(id),
            V::I(d.pid),
            V::T(when.clone()),
            V::T(d.clinic.into()),
            V::I(provider),
            V::T("visit".into()),
        ]);
        facts.encounters += usize::from(!d.deleted);
        let batch_lost = d.clinic == "east" && when.starts_with("2019") && rng.f32() < 0.4;
        if d.migrated() && !batch_lost {
            facts.orphan_encounter_practitioners += usize::from(provider % 10 == 0);
            rows.target_encounters.push(vec![
                V::I(id),
                V::I(d.pid),
                V::T(when),
                V::T(d.clinic.into()),
                V::I(provider),
            ]);
        }
    }
}

/// Appointments: migrated even for lost patients (orphans in the target).
fn appointments(rng: &mut fastrand::Rng, d: &Drawn, rows: &mut Rows, facts: &mut DemoFacts) {
    for _ in 0..rng.usize(0..=4) {
        rows.ids.1 += 1;
        let id = rows.ids.1;
        let when = format!("{} 09:{:02}:00", date(rng, 2026..2027), rng.u8(0..60));
        rows.legacy_appointments.push(vec![
            V::I(id),
            V::T(d.pid.to_string()),
            V::T(when.clone()),
            V::T(d.clinic.into()),
            V::I(rng.i64(1..=40)),
        ]);
        facts.appointments += usize::from(!d.deleted);
        facts.legacy_orphan_appointments += usize::from(d.deleted);
        facts.orphan_appointments += usize::from(d.lost);
        if !d.deleted {
            rows.target_appointments.push(vec![
                V::I(id),
                V::I(d.pid),
                V::T(when),
                V::T(d.clinic.into()),
            ]);
        }
    }
}

/// Documents: migrated even for lost patients (orphans in the target).
fn documents(rng: &mut fastrand::Rng, d: &Drawn, rows: &mut Rows, facts: &mut DemoFacts) {
    for _ in 0..rng.usize(0..=3) {
        rows.ids.2 += 1;
        let id = rows.ids.2;
        let kind = pick(rng, &DOCUMENT_KINDS);
        let size = rng.i64(2_000..400_000);
        let url = format!("/documents/{id}.pdf");
        let row = |legacy: bool| {
            let mut r = vec![
                V::I(id),
                V::I(d.pid),
                V::T(kind.into()),
                V::T(url.clone()),
                V::T("application/pdf".into()),
                V::I(size),
                V::T(String::new()),
            ];
            if legacy {
                r.push(V::I(0));
            }
            r
        };
        rows.legacy_documents.push(row(true));
        facts.documents += usize::from(!d.deleted);
        facts.orphan_documents += usize::from(d.lost);
        if !d.deleted {
            rows.target_documents.push(row(false));
        }
    }
}
