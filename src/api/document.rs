//! The OpenAPI document as served at `/openapi.json` and committed: poem-openapi's, made
//! valid OpenAPI 3.0 where it is not, plus what it can not say.

use serde_json::{Map, Value};

use super::openapi;
use crate::service::Service;

/// The document, pretty-printed.
pub fn document(service: Service) -> String {
    let mut document: Value = serde_json::from_str(&openapi(service).spec())
        .unwrap_or_else(|err| unreachable!("poem-openapi writes JSON: {err}"));
    // No operation takes credentials: a write carries its own signature among its parameters.
    document["security"] = Value::Array(Vec::new());
    let schemas = document["components"]["schemas"].clone();
    typed_nullable_references(&mut document, &schemas);
    examples_without_absent_fields(&mut document["components"]["schemas"]);
    serde_json::to_string_pretty(&document)
        .unwrap_or_else(|err| unreachable!("a JSON value serializes: {err}"))
}

/// poem-openapi writes an optional referenced schema as `allOf: [{$ref}, {description,
/// nullable}]` with `nullable` and no `type`, which OpenAPI 3.0 leaves meaningless: the
/// inner item goes (its description is repeated outside) and the outer one gets the type of
/// the schema it refers to.
fn typed_nullable_references(node: &mut Value, schemas: &Value) {
    match node {
        Value::Object(object) => {
            if object.get("nullable") == Some(&Value::Bool(true)) && !object.contains_key("type") {
                if let Some(Value::Array(all_of)) = object.get_mut("allOf") {
                    all_of.retain(|item| item.get("$ref").is_some());
                    let kind = all_of
                        .first()
                        .and_then(|item| item["$ref"].as_str())
                        .and_then(|reference| reference.rsplit('/').next())
                        .and_then(|name| schemas[name].get("type").cloned());
                    if let Some(kind) = kind {
                        object.insert("type".into(), kind);
                    }
                }
            }
            object
                .values_mut()
                .for_each(|child| typed_nullable_references(child, schemas));
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|child| typed_nullable_references(child, schemas)),
        _ => {}
    }
}

/// An example of a schema shows an absent optional field as `null`, which its schema does
/// not allow: such fields are left out of the example, as they are left out of the wire.
/// A `null` stays only where the field is a nullable plain type: through `allOf`, OpenAPI
/// 3.0 validators hold a `null` to the referenced object schema.
fn examples_without_absent_fields(schemas: &mut Value) {
    let Some(schemas) = schemas.as_object_mut() else {
        return;
    };
    for schema in schemas.values_mut() {
        let nullable: Vec<String> = schema["properties"]
            .as_object()
            .map(|properties| {
                properties
                    .iter()
                    .filter(|(_, property)| {
                        property["nullable"] == Value::Bool(true) && property.get("allOf").is_none()
                    })
                    .map(|(name, _)| name.clone())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(Value::Object(example)) = schema.get_mut("example") {
            drop_absent(example, &nullable);
        }
    }
}

fn drop_absent(example: &mut Map<String, Value>, nullable: &[String]) {
    example.retain(|field, value| !value.is_null() || nullable.contains(field));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{examples_without_absent_fields, typed_nullable_references};

    #[test]
    fn an_optional_reference_gets_its_type_and_loses_the_untyped_item() {
        let schemas = json!({"Block": {"type": "object"}});
        let mut property = json!({
            "allOf": [{"$ref": "#/components/schemas/Block"}, {"description": "d", "nullable": true}],
            "description": "d",
            "nullable": true
        });
        typed_nullable_references(&mut property, &schemas);
        assert_eq!(
            property,
            json!({
                "allOf": [{"$ref": "#/components/schemas/Block"}],
                "description": "d",
                "nullable": true,
                "type": "object"
            })
        );
    }

    #[test]
    fn examples_keep_null_only_where_the_schema_allows_it() {
        let mut schemas = json!({"Params": {
            "properties": {
                "owner": {"type": "string"},
                "note": {"type": "string", "nullable": true},
                "block": {"allOf": [{"$ref": "#/x"}], "nullable": true, "type": "object"}
            },
            "example": {"key": "k", "owner": null, "note": null, "block": null}
        }});
        examples_without_absent_fields(&mut schemas);
        assert_eq!(
            schemas["Params"]["example"],
            json!({"key": "k", "note": null})
        );
    }
}
