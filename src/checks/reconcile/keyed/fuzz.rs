//! Fuzzing FHIR JSON values through normalization: any JSON value, and
//! numbers written as FHIR servers write them (huge exponents, long
//! fractions), in every column class, must come out as canonical text or
//! as themselves, never panic. The long pass is `bench/fuzz.sh`.

use proptest::prelude::*;
use serde_json::Value;

use super::json_values::canonical;
use super::normalize::Class;

fn class() -> impl Strategy<Value = Class> {
    prop_oneof![
        Just(Class::Int),
        (0u32..40).prop_map(Class::Decimal),
        Just(Class::Float),
        Just(Class::Bool),
        Just(Class::Date),
        (0u32..12).prop_map(Class::Timestamp),
        Just(Class::Uuid),
        Just(Class::Char),
        Just(Class::Text),
    ]
}

/// Numeric text as a server may send it, bounded exponents only: the
/// unbounded ones are `huge_exponents_are_refused_quickly` below.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        ("-?[0-9]{1,30}", "[0-9]{0,30}", -300i32..300).prop_map(|(i, f, e)| format!("{i}.{f}e{e}")),
        "\\PC{0,24}",
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        number_text().prop_map(Value::String),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,12})?(Z|[+-][0-9]{2}:[0-9]{2})?"
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{1,4}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_json_value_in_any_class_is_canonical_text_or_null(v in value(), c in class()) {
        let out = canonical(Some(&v), c, &[]);
        prop_assert_eq!(out.is_none(), v.is_null());
    }
}

#[test]
fn huge_exponents_are_refused_quickly() {
    for text in [
        "1e2147483647",
        "-1e2147483647",
        "1e-2147483648",
        "9.99e999999999",
    ] {
        let started = std::time::Instant::now();
        let _ = canonical(Some(&Value::String(text.into())), Class::Decimal(2), &[]);
        assert!(
            started.elapsed() < std::time::Duration::from_millis(100),
            "{text}"
        );
    }
}
