//! The demo's fixed figures (clinics, document kinds, sizes) and what a
//! generation produced: read by the generator, the patients it draws, the
//! documents and the banner.

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
pub(super) const PATIENTS: usize = 6000;
pub(super) const PROVIDERS: usize = 40;

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
