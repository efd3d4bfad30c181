//! A registration desk's patient table, shaped like OpenEMR's
//! `patient_data` (fname, lname, DOB, sex, phone_home, postal_code,
//! street): a background of distinct patients, with each kind of duplicate
//! a desk makes and each classic trap planted under its own ids.

/// Planted duplicate pairs: (what, first id, second id).
pub const DUPLICATES: &[(&str, i64, i64)] = &[
    ("typo in given name", 1001, 1002),
    ("typo in family name", 1003, 1004),
    ("nickname", 1005, 1006),
    ("day and month swapped", 1007, 1008),
    ("married name", 1009, 1010),
    ("missing phone", 1011, 1012),
    ("case and spacing", 1013, 1014),
];

/// Planted pairs that are two people: (what, first id, second id).
pub const TRAPS: &[(&str, i64, i64)] = &[
    ("twins of either sex", 1101, 1102),
    ("twin sisters", 1103, 1104),
    ("Jr and Sr at one address", 1105, 1106),
    ("father and son, no suffix", 1107, 1108),
    ("common name, other date and address", 1109, 1110),
    ("common name, other date and address", 1111, 1112),
];

const PLANTED: &str = "
(1001, 'Katherine', 'Moreno', '1984-03-12', 'Female', '(617) 555-2001', '02139', '12 Elm Street'),
(1002, 'Katherin', 'Moreno', '1984-03-12', 'Female', '617-555-2001', '02139', '12 Elm St'),
(1003, 'Jonathan', 'Whitaker', '1969-11-02', 'Male', '617-555-2003', '02140', '4 Oak Avenue'),
(1004, 'Jonathan', 'Whittaker', '1969-11-02', 'Male', '617-555-2003', '02140', '4 Oak Ave'),
(1005, 'Robert', 'Lindqvist', '1958-07-21', 'Male', '617-555-2005', '02141', '88 Pine Road'),
(1006, 'Bob', 'Lindqvist', '1958-07-21', 'Male', '617-555-2005', '02141', '88 Pine Rd'),
(1007, 'Priya', 'Raman', '1975-04-09', 'Female', '617-555-2007', '02142', '5 Birch Lane'),
(1008, 'Priya', 'Raman', '1975-09-04', 'Female', '617-555-2007', '02142', '5 Birch Lane'),
(1009, 'Emily', 'Carter', '1991-01-30', 'Female', '617-555-2009', '02143', '17 Cedar Court'),
(1010, 'Emily', 'Novak', '1991-01-30', 'Female', '617-555-2009', '02143', '17 Cedar Court'),
(1011, 'Tomasz', 'Kowalski', '1966-05-17', 'Male', '617-555-2011', '02144', '9 Maple Drive'),
(1012, 'Tomasz', 'Kowalski', '1966-05-17', 'Male', NULL, '02144', '9 Maple Drive'),
(1013, 'Mary Ann', 'O''Neil', '1949-12-24', 'Female', '617-555-2013', '02145', '3 Willow Place'),
(1014, 'MARYANN', ' oneil ', '1949-12-24', 'Female', '6175552013', '02145', '3 willow place'),
(1101, 'Ashley', 'Brooks', '2010-06-01', 'Female', '617-555-2101', '02146', '21 Spruce Street'),
(1102, 'Austin', 'Brooks', '2010-06-01', 'Male', '617-555-2101', '02146', '21 Spruce Street'),
(1103, 'Emma', 'Delgado', '2015-03-03', 'Female', '617-555-2103', '02147', '6 Aspen Way'),
(1104, 'Olivia', 'Delgado', '2015-03-03', 'Female', '617-555-2103', '02147', '6 Aspen Way'),
(1105, 'Michael', 'Grant Sr', '1955-02-14', 'Male', '617-555-2105', '02148', '40 Hill Road'),
(1106, 'Michael', 'Grant Jr', '1982-07-30', 'Male', '617-555-2105', '02148', '40 Hill Road'),
(1107, 'David', 'Ortiz', '1950-10-10', 'Male', '617-555-2107', '02149', '2 Lake Drive'),
(1108, 'David', 'Ortiz', '1979-05-05', 'Male', '617-555-2107', '02149', '2 Lake Drive'),
(1109, 'John', 'Smith', '1980-05-05', 'Male', '617-555-2109', '02150', '11 Main Street'),
(1110, 'John', 'Smith', '1983-11-20', 'Male', '212-555-2110', '10001', '700 Broadway'),
(1111, 'Maria', 'Garcia', '1977-08-15', 'Female', '617-555-2111', '02151', '8 River Road'),
(1112, 'Maria', 'Garcia', '1972-02-21', 'Female', '305-555-2112', '33101', '90 Ocean Drive')";

const MALE: &[&str] = &[
    "James", "John", "Michael", "William", "David", "Joseph", "Thomas", "Charles", "Daniel",
    "Matthew", "Anthony", "Mark", "Steven", "Paul", "Andrew", "Joshua", "Kevin", "Brian", "George",
    "Edward",
];
const FEMALE: &[&str] = &[
    "Mary", "Patricia", "Jennifer", "Linda", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
    "Nancy", "Lisa", "Betty", "Sandra", "Ashley", "Donna", "Carol", "Michelle", "Laura", "Maria",
    "Helen",
];
const FAMILY: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
];
const STREETS: &[&str] = &[
    "Elm",
    "Oak",
    "Pine",
    "Maple",
    "Cedar",
    "Main",
    "Park",
    "Washington",
];

/// The background: `n` distinct patients drawn from common US names,
/// seeded (the same rows every run).
fn background(n: i64) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(21);
    (1..=n)
        .map(|i| {
            let (given, sex) = if rng.bool() {
                (MALE[rng.usize(..MALE.len())], "Male")
            } else {
                (FEMALE[rng.usize(..FEMALE.len())], "Female")
            };
            let family = FAMILY[rng.usize(..FAMILY.len())];
            let day = chrono::NaiveDate::from_ymd_opt(1930, 1, 1).unwrap()
                + chrono::Duration::days(rng.i64(0..32_800));
            format!(
                "({i}, '{given}', '{family}', '{day}', '{sex}', '617-555-{:04}', '0{:04}', '{} {} Street')",
                i,
                2200 + rng.u32(0..40),
                rng.u32(1..400),
                STREETS[rng.usize(..STREETS.len())]
            )
        })
        .collect()
}

pub const SCHEMA: &str = "CREATE TABLE reg_desk_patient_data (pid INT PRIMARY KEY, \
    fname VARCHAR(64), lname VARCHAR(64), DOB DATE, sex VARCHAR(16), phone_home VARCHAR(32), \
    postal_code VARCHAR(10), street VARCHAR(128))";

/// The insert statement: 600 background patients and the planted rows.
pub fn rows() -> String {
    let mut all = background(600);
    all.push(PLANTED.trim().to_string());
    format!(
        "INSERT INTO reg_desk_patient_data VALUES {}",
        all.join(",\n")
    )
}

/// The rule as the docs show it: the shortest form.
pub fn config(url: &str) -> String {
    format!(
        r#"[sources.ehr]
url = "{url}"

[[integrity]]
name = "registration_desk"
schedule = "0 0 * * * *"
from = "ehr"
sample_keys = 100

[[integrity.rules]]
name = "probable_duplicate_patients"
kind = "probable_duplicates"
table = "reg_desk_patient_data"
key = "pid"
person = {{ given = "fname", family = "lname", birth_date = "DOB", sex = "sex", phone = "phone_home", postal_code = "postal_code", address = "street" }}

# The same table with the twins and birth-date vetoes left out.
[[integrity.rules]]
name = "sex_and_suffix_vetoes_only"
kind = "probable_duplicates"
table = "reg_desk_patient_data"
key = "pid"
person = {{ given = "fname", family = "lname", birth_date = "DOB", sex = "sex", phone = "phone_home", postal_code = "postal_code", address = "street" }}
vetoes = ["sex", "suffix"]
"#
    )
}
