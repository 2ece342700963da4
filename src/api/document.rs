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
    plain_references(&mut document);
    form_schemas_of_their_own(&mut document);
    request_id_on_every_operation(&mut document);
    examples_without_absent_fields(&mut document["components"]["schemas"]);
    serde_json::to_string_pretty(&document)
        .unwrap_or_else(|err| unreachable!("a JSON value serializes: {err}"))
}

/// poem-openapi writes an optional referenced schema as `allOf: [{$ref}, {description,
/// nullable}]` with `nullable` and no `type`: meaningless in OpenAPI 3.0, and linters refuse
/// `nullable` without `type`, while generators given a `type` beside `allOf` lose the null.
/// It becomes `anyOf: [{$ref}, {type, nullable, enum: [null]}]`, the 3.0 spelling of "this
/// schema or null" that linters accept and generators read as `X | None`.
fn typed_nullable_references(node: &mut Value, schemas: &Value) {
    match node {
        Value::Object(object) => {
            let untyped_nullable =
                object.get("nullable") == Some(&Value::Bool(true)) && !object.contains_key("type");
            if untyped_nullable {
                if let Some(Value::Array(all_of)) = object.remove("allOf") {
                    let references: Vec<Value> = all_of
                        .into_iter()
                        .filter(|item| item.get("$ref").is_some())
                        .collect();
                    let kind = references
                        .first()
                        .and_then(|item| item["$ref"].as_str())
                        .and_then(|reference| reference.rsplit('/').next())
                        .and_then(|name| schemas[name].get("type").cloned())
                        .unwrap_or_else(|| Value::String("object".into()));
                    let mut any_of = references;
                    any_of
                        .push(serde_json::json!({"type": kind, "nullable": true, "enum": [null]}));
                    object.remove("nullable");
                    object.insert("anyOf".into(), Value::Array(any_of));
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

/// poem-openapi writes a described reference as `allOf: [{$ref}, {description}]`; client
/// generators that can only take `allOf` of objects drop the whole schema when the
/// reference is an enum (ErrorBody's `code`), so it becomes the plain reference (the
/// referenced schema carries its own description).
fn plain_references(node: &mut Value) {
    match node {
        Value::Object(object) => {
            let plain = match object.get("allOf") {
                Some(Value::Array(all_of)) if object.get("nullable").is_none() => {
                    let references: Vec<&Value> = all_of
                        .iter()
                        .filter(|item| item.get("$ref").is_some())
                        .collect();
                    let only_described = all_of.iter().all(|item| {
                        item.get("$ref").is_some()
                            || item
                                .as_object()
                                .is_some_and(|o| o.keys().all(|k| k == "description"))
                    });
                    (references.len() == 1 && only_described).then(|| references[0].clone())
                }
                _ => None,
            };
            if let Some(reference) = plain {
                *node = reference;
                return;
            }
            object.values_mut().for_each(plain_references);
        }
        Value::Array(items) => items.iter_mut().for_each(plain_references),
        _ => {}
    }
}

/// A body accepted as JSON and as a form names the same schema under both media types, which
/// client generators take for one body sent two ways (openapi-python-client generates a
/// `put` that fails on import): the form gets a copy of its own, `<Name>Form`, of each schema
/// it names, whether one schema or a `oneOf` of them.
fn form_schemas_of_their_own(document: &mut Value) {
    const FORM: &str = "application/x-www-form-urlencoded";
    const PREFIX: &str = "#/components/schemas/";
    let mut copies = std::collections::BTreeSet::new();
    for operation in operations_mut(document) {
        // get_mut, not indexing: indexing a missing key would write a null there.
        let Some(content) = operation
            .get_mut("requestBody")
            .and_then(|body| body.get_mut("content"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let Some(form_schema) = content.get(FORM).map(|media| media["schema"].clone()) else {
            continue;
        };
        let shared = content
            .iter()
            .any(|(kind, media)| kind != FORM && media["schema"] == form_schema);
        if !shared {
            continue;
        }
        for reference in schema_references_mut(&mut content[FORM]["schema"]) {
            let Some(name) = reference.as_str().and_then(|r| r.strip_prefix(PREFIX)) else {
                continue;
            };
            let name = name.to_owned();
            *reference = Value::String(format!("{PREFIX}{name}Form"));
            copies.insert(name);
        }
    }
    let schemas = &mut document["components"]["schemas"];
    for name in copies {
        let mut copy = schemas[&name].clone();
        copy["title"] = Value::String(format!("{name}Form"));
        schemas[format!("{name}Form")] = copy;
    }
}

/// The `$ref` values of a schema that is a reference or a `oneOf` of references.
fn schema_references_mut(schema: &mut Value) -> Vec<&mut Value> {
    match schema.as_object_mut() {
        Some(object) if object.contains_key("$ref") => object.get_mut("$ref").into_iter().collect(),
        Some(object) => object
            .get_mut("oneOf")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter_map(|item| item.get_mut("$ref"))
            .collect(),
        None => Vec::new(),
    }
}

/// Every route takes the caller's `X-Request-Id` (observe.rs): declared once as a component
/// and referenced by each operation, so a client can send it.
fn request_id_on_every_operation(document: &mut Value) {
    document["components"]["parameters"]["RequestId"] = serde_json::json!({
        "name": "X-Request-Id",
        "in": "header",
        "required": false,
        "description": "The caller's id for this request, carried by the server's logs and \
            answered in `X-Request-Id`; one of 1-64 letters, digits, `-`, `_` or `.` is kept, \
            anything else is replaced by a fresh id.",
        "schema": {"type": "string"}
    });
    let reference = serde_json::json!({"$ref": "#/components/parameters/RequestId"});
    for operation in operations_mut(document) {
        let parameters = operation
            .entry("parameters")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(parameters) = parameters.as_array_mut() {
            parameters.push(reference.clone());
        }
    }
}

/// Every operation object of the document's paths.
fn operations_mut(document: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    document["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(Value::as_object_mut)
}

/// An example of a schema shows an absent optional field as `null`, which its schema does
/// not allow: such fields are left out of the example, as they are left out of the wire.
/// A `null` stays where the field may be null: a nullable plain type, or a reference with a
/// null alternative.
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
                    .filter(|(_, property)| may_be_null(property))
                    .map(|(name, _)| name.clone())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(Value::Object(example)) = schema.get_mut("example") {
            drop_absent(example, &nullable);
        }
    }
}

fn may_be_null(property: &Value) -> bool {
    let alternatives = property["anyOf"].as_array().into_iter().flatten();
    (property["nullable"] == Value::Bool(true) && property.get("allOf").is_none())
        || alternatives
            .into_iter()
            .any(|alternative| alternative["nullable"] == Value::Bool(true))
}

fn drop_absent(example: &mut Map<String, Value>, nullable: &[String]) {
    example.retain(|field, value| !value.is_null() || nullable.contains(field));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{
        examples_without_absent_fields, form_schemas_of_their_own, plain_references,
        typed_nullable_references,
    };

    #[test]
    fn a_form_gets_its_own_copy_of_each_shape_it_shares_with_json() {
        let shapes = json!({"oneOf": [
            {"$ref": "#/components/schemas/Seed"}, {"$ref": "#/components/schemas/Rein"}
        ]});
        let mut document = json!({
            "paths": {"/put": {"post": {"requestBody": {"content": {
                "application/json": {"schema": shapes},
                "application/x-www-form-urlencoded": {"schema": shapes}
            }}}}},
            "components": {"schemas": {"Seed": {"type": "object"}, "Rein": {"type": "object"}}}
        });
        form_schemas_of_their_own(&mut document);
        let content = &document["paths"]["/put"]["post"]["requestBody"]["content"];
        assert_eq!(content["application/json"]["schema"], shapes);
        assert_eq!(
            content["application/x-www-form-urlencoded"]["schema"],
            json!({"oneOf": [
                {"$ref": "#/components/schemas/SeedForm"},
                {"$ref": "#/components/schemas/ReinForm"}
            ]})
        );
        let schemas = &document["components"]["schemas"];
        assert_eq!(
            schemas["SeedForm"],
            json!({"type": "object", "title": "SeedForm"})
        );
        assert_eq!(
            schemas["ReinForm"],
            json!({"type": "object", "title": "ReinForm"})
        );
    }

    #[test]
    fn a_described_reference_becomes_the_plain_reference() {
        let mut schema = json!({"properties": {"code": {
            "allOf": [{"$ref": "#/components/schemas/ErrorCode"}, {"description": "d"}],
            "description": "d"
        }}});
        plain_references(&mut schema);
        assert_eq!(
            schema,
            json!({"properties": {"code": {"$ref": "#/components/schemas/ErrorCode"}}})
        );
    }

    #[test]
    fn an_optional_reference_becomes_the_reference_or_a_typed_null() {
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
                "anyOf": [
                    {"$ref": "#/components/schemas/Block"},
                    {"type": "object", "nullable": true, "enum": [null]}
                ],
                "description": "d"
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
