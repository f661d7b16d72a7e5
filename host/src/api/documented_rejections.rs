//! The answers every route gives before its handler runs, added to the OpenAPI description.
//!
//! A handler's annotation lists what the handler itself answers; the extractors and layers in
//! front of it answer too, the same way for every route of a kind. Rather than repeat these
//! in each annotation (and forget one), [`add`] derives them from what the description
//! already says of the operation:
//! - a JSON body (axum's `Json`): 400 when it is not JSON, 415 when `Content-Type` is not
//!   `application/json`, and 422 when the body is a named type and the JSON does not fit it
//!   (a free-form body, `serde_json::Value`, takes any JSON: its handler names its own 422s);
//! - a multipart body: 400 when it is not `multipart/form-data` or a part is malformed;
//! - any body: 408 when it pauses past `BODY_READ_TIMEOUT_SECS`, 413 when it is over the size
//!   limit;
//! - a path or query parameter of a type other than text: 400 when it does not parse;
//! - a write (`POST`, `PUT`, `PATCH`, `DELETE`): 403 when a browser sends it from a foreign
//!   origin.
//!
//! An answer the annotation already lists keeps its own description.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, ResponseBuilder};

/// Adds the extractors' and layers' answers to every operation of `doc`.
pub fn add(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for (operation, writes) in [
            (&mut item.get, false),
            (&mut item.head, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.patch, true),
            (&mut item.delete, true),
        ] {
            if let Some(operation) = operation {
                add_to(operation, writes);
            }
        }
    }
}

fn add_to(operation: &mut Operation, writes: bool) {
    let mut answers: Vec<(&str, &str)> = Vec::new();
    if let Some(body) = &operation.request_body {
        if let Some(json) = body.content.get("application/json") {
            answers.push(("400", "The body is not JSON"));
            answers.push(("415", "`Content-Type` is not `application/json`"));
            if matches!(json.schema, Some(RefOr::Ref(_))) {
                answers.push((
                    "422",
                    "The JSON does not fit the body's schema (a missing field, a wrong type)",
                ));
            }
        }
        if body.content.contains_key("multipart/form-data") {
            answers.push((
                "400",
                "Not a `multipart/form-data` body, or a malformed part",
            ));
        }
        answers.push(("408", "The body paused past `BODY_READ_TIMEOUT_SECS`"));
        answers.push(("413", "The body is over the size limit"));
    }
    let typed_parameter = operation.parameters.iter().flatten().any(|p| {
        matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query)
            && p.schema.as_ref().is_some_and(|schema| {
                serde_json::to_value(schema)
                    .ok()
                    .is_some_and(|s| s.get("type").is_some_and(|t| t != "string"))
            })
    });
    if typed_parameter {
        answers.push(("400", "A path or query parameter is not of its type"));
    }
    if writes {
        answers.push((
            "403",
            "Sent by a browser from another origin than the server's or `ALLOWED_ORIGINS`",
        ));
    }
    // One answer per status, its causes joined.
    let mut merged: Vec<(&str, String)> = Vec::new();
    for (status, cause) in answers {
        match merged.iter_mut().find(|(s, _)| *s == status) {
            Some((_, description)) => {
                description.push_str("; or: ");
                description.push_str(cause);
            }
            None => merged.push((status, cause.to_owned())),
        }
    }
    let responses = &mut operation.responses.responses;
    for (status, description) in merged {
        if responses.contains_key(status) {
            continue;
        }
        let response = ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
            )
            .build();
        responses.insert(status.to_owned(), RefOr::T(response));
    }
}
