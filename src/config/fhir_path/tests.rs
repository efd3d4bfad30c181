use super::*;
use serde_json::json;

fn at(path: &str, v: &Value) -> Option<Value> {
    FhirPath::parse(path).unwrap().get(v).cloned()
}

#[test]
fn no_index_means_the_first_item_at_every_level() {
    let p = json!({"resourceType": "Patient", "id": "p1", "birthDate": "1980-05-02",
        "name": [{"family": "Ng", "given": ["Ann", "B"]}, {"family": "Old", "given": ["Z"]}],
        "telecom": [{"system": "phone", "value": "555-0100"}, {"system": "email", "value": "a@b"}],
        "identifier": [{"system": "urn:mrn", "value": "M1"}]});
    assert_eq!(at("birthDate", &p), Some(json!("1980-05-02")));
    assert_eq!(at("name.given", &p), Some(json!("Ann")), "nested list");
    assert_eq!(at("name.family", &p), Some(json!("Ng")));
    assert_eq!(at("name[1].given", &p), Some(json!("Z")));
    assert_eq!(at("name.given[1]", &p), Some(json!("B")));
    assert_eq!(at("name[0].given[0]", &p), Some(json!("Ann")));
    assert_eq!(at("telecom.value", &p), Some(json!("555-0100")));
    assert_eq!(at("telecom[1].value", &p), Some(json!("a@b")));
    assert_eq!(at("identifier.value", &p), Some(json!("M1")));
    assert_eq!(
        at("name", &p),
        Some(json!({"family": "Ng", "given": ["Ann", "B"]}))
    );
    assert_eq!(
        at("birthDate[0]", &p),
        Some(json!("1980-05-02")),
        "one value is a list of one"
    );
}

#[test]
fn a_path_that_selects_nothing_is_none() {
    let p = json!({"name": [{"family": "Ng", "given": []}], "gender": null, "telecom": []});
    for path in [
        "name[1].family",
        "name.given",
        "name.given[3]",
        "gender2",
        "telecom.value",
        "birthDate[1]",
        "name.family.x",
        "extension('urn:x').valueCode",
    ] {
        assert_eq!(at(path, &p), None, "{path}");
    }
    // JSON null is a value the caller reads as NULL.
    assert_eq!(at("gender", &p), Some(Value::Null));
}

#[test]
fn choice_types_and_extensions_by_url() {
    let race = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
    let sex = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex";
    let o = json!({"resourceType": "Observation", "valueQuantity": {"value": 72.5, "unit": "kg"},
        "component": [{"valueString": "left arm"}],
        "extension": [{"url": race, "extension": [{"url": "text", "valueString": "Asian"}]},
                      {"url": sex, "valueCode": "F"}]});
    assert_eq!(at("valueQuantity.value", &o), Some(json!(72.5)));
    assert_eq!(at("valueString", &o), None);
    assert_eq!(at("component.valueString", &o), Some(json!("left arm")));
    assert_eq!(
        at(&format!("extension('{sex}').valueCode"), &o),
        Some(json!("F"))
    );
    assert_eq!(
        at(
            &format!("extension('{race}').extension('text').valueString"),
            &o
        ),
        Some(json!("Asian"))
    );
    assert_eq!(at("extension('http://other').valueCode", &o), None);
    assert_eq!(at("extension[1].valueCode", &o), Some(json!("F")));
    assert_eq!(
        FhirPath::parse(&format!("extension('{sex}').valueCode"))
            .unwrap()
            .root(),
        Some("extension")
    );
}

#[test]
fn bundles_and_lists() {
    let bundle =
        json!({"total": 2, "entry": [{"resource": {"id": "x"}}, {"resource": {"id": "y"}}]});
    let id = FhirPath::parse("entry[0].resource.id").unwrap();
    assert_eq!(id.get(&bundle), Some(&json!("x")));
    assert_eq!(id.root(), Some("entry"));
    assert_eq!(at("entry.resource.id", &bundle), Some(json!("x")));
    assert_eq!(
        at("entry[2].resource.id", &bundle),
        None,
        "index past the end"
    );
    let list = json!([{"id": "a"}, {"id": "b"}]);
    assert_eq!(at("[1].id", &list), Some(json!("b")));
    assert_eq!(FhirPath::parse("[1].id").unwrap().root(), None);
}

#[test]
fn bad_paths_say_why() {
    for bad in [
        "",
        "name[x]",
        "name[0",
        "a..b",
        "na me",
        ".",
        "a.[0]",
        "name.",
        "name[-1]",
        "extension(http://x)",
        "extension('')",
        "where('x')",
        "extension('a').",
        "extension('a'",
    ] {
        let e = FhirPath::parse(bad).unwrap_err();
        assert!(e.to_string().contains("is not a path"), "{bad}: {e}");
    }
}
