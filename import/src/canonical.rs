//! The canonical text of spec files: pretty-printed JSON, 2-space indent, keys in the order
//! of the struct fields in `spec.rs`, defaults left out, trailing newline. The same specs
//! give the same bytes, every time.

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use lark_codegen::spec::{
    CatalogueEntry, EndpointSpec, EnumValue, ErrorCatalogue, ErrorRow, Field, ObjectType,
    Pagination, PathParam, QueryParam, RateLimit, RequestBody, Response, TypesFile,
};

/// The canonical text of an endpoint spec.
pub fn endpoint(spec: &EndpointSpec) -> String {
    text(&C(spec))
}

/// The canonical text of `types.json`.
pub fn types_file(types: &TypesFile) -> String {
    text(&C(types))
}

/// The canonical text of `errors.json`.
pub fn catalogue(errors: &ErrorCatalogue) -> String {
    text(&C(errors))
}

fn text<T: Serialize>(value: &T) -> String {
    let mut out = serde_json::to_string_pretty(value).expect("spec structs serialize");
    out.push('\n');
    out
}

/// A spec struct, serialized in canonical form.
struct C<'a, T>(&'a T);

/// Writes the fields given, leaving out the `None`s.
macro_rules! fields {
    ($s:ident; $($key:literal => $value:expr),* $(,)?) => {
        $( if let Some(v) = $value { $s.serialize_field($key, &v)?; } )*
    };
}

fn some<T>(v: &T) -> Option<&T> {
    Some(v)
}

fn non_empty<T>(v: &[T]) -> Option<&[T]> {
    (!v.is_empty()).then_some(v)
}

fn list<'a, T>(v: &'a [T]) -> Vec<C<'a, T>> {
    v.iter().map(C).collect()
}

impl Serialize for C<'_, EndpointSpec> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut s = ser.serialize_struct("EndpointSpec", 20)?;
        fields!(s;
            "id" => some(&e.id),
            "summary" => some(&e.summary),
            "description" => e.description.as_ref(),
            "doc_url" => some(&e.doc_url),
            "http_method" => some(&e.http_method),
            "path" => some(&e.path),
            "path_params" => non_empty(&e.path_params).map(list),
            "query_params" => non_empty(&e.query_params).map(list),
            "access_tokens" => some(&e.access_tokens),
            "app_types" => some(&e.app_types),
            "scopes_any_of" => non_empty(&e.scopes_any_of),
            "rate_limit" => e.rate_limit.as_ref().map(C),
            "idempotent" => e.idempotent,
            "idempotency_key" => e.idempotency_key.as_ref(),
            "invalid_request_code" => e.invalid_request_code,
            "types" => (!e.types.is_empty()).then_some(Types(&e.types)),
            "request_body" => some(&C(&e.request_body)),
            "response" => some(&C(&e.response)),
            "pagination" => e.pagination.as_ref().map(C),
            "errors" => some(&list(&e.errors)),
        );
        s.end()
    }
}

impl Serialize for C<'_, PathParam> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut s = ser.serialize_struct("PathParam", 5)?;
        fields!(s;
            "name" => some(&p.name),
            "type" => some(&p.ty),
            "description" => some(&p.description),
            "allowed_chars" => p.allowed_chars.as_ref(),
            "example" => p.example.as_ref(),
        );
        s.end()
    }
}

impl Serialize for C<'_, QueryParam> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let q = self.0;
        let mut s = ser.serialize_struct("QueryParam", 9)?;
        fields!(s;
            "name" => some(&q.name),
            "rust_name" => q.rust_name.as_ref(),
            "type" => some(&q.ty),
            "required" => some(&q.required),
            "repeated" => q.repeated.then_some(true),
            "description" => some(&q.description),
            "enum" => q.enum_values.as_deref().map(list),
            "enum_type_name" => q.enum_type_name.as_ref(),
            "example" => q.example.as_ref(),
        );
        s.end()
    }
}

impl Serialize for C<'_, EnumValue> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        let mut s = ser.serialize_struct("EnumValue", 3)?;
        fields!(s;
            "value" => some(&v.value),
            "rust_name" => v.rust_name.as_ref(),
            "description" => some(&v.description),
        );
        s.end()
    }
}

impl Serialize for C<'_, RateLimit> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut s = ser.serialize_struct("RateLimit", 2)?;
        fields!(s;
            "per_minute" => r.per_minute,
            "per_second" => r.per_second,
        );
        s.end()
    }
}

/// A name → object type map, in name order.
struct Types<'a>(&'a std::collections::BTreeMap<String, ObjectType>);

impl Serialize for Types<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut m = ser.serialize_map(Some(self.0.len()))?;
        for (name, object) in self.0 {
            m.serialize_entry(name, &C(object))?;
        }
        m.end()
    }
}

impl Serialize for C<'_, ObjectType> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let o = self.0;
        let mut s = ser.serialize_struct("ObjectType", 2)?;
        fields!(s;
            "description" => some(&o.description),
            "fields" => some(&list(&o.fields)),
        );
        s.end()
    }
}

impl Serialize for C<'_, Field> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut s = ser.serialize_struct("Field", 11)?;
        fields!(s;
            "name" => some(&f.name),
            "rust_name" => f.rust_name.as_ref(),
            "type" => some(&f.ty),
            "required" => some(&f.required),
            "description" => f.description.as_ref(),
            "enum" => f.enum_values.as_deref().map(list),
            "enum_type_name" => f.enum_type_name.as_ref(),
            "max_bytes" => f.max_bytes,
            "example" => f.example.as_ref(),
            "message_content" => f.message_content.as_ref(),
            "secret" => f.secret.then_some(&true),
        );
        s.end()
    }
}

impl Serialize for C<'_, RequestBody> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut s = ser.serialize_struct("RequestBody", 2)?;
        match self.0 {
            RequestBody::None => s.serialize_field("kind", "none")?,
            RequestBody::Json { fields } => {
                s.serialize_field("kind", "json")?;
                s.serialize_field("fields", &list(fields))?;
            }
            RequestBody::Multipart { fields } => {
                s.serialize_field("kind", "multipart")?;
                s.serialize_field("fields", &list(fields))?;
            }
        }
        s.end()
    }
}

impl Serialize for C<'_, Response> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut s = ser.serialize_struct("Response", 2)?;
        match self.0 {
            Response::Binary { max_bytes } => {
                s.serialize_field("kind", "binary")?;
                s.serialize_field("max_bytes", max_bytes)?;
            }
            Response::Json { data_fields } => {
                s.serialize_field("kind", "json")?;
                s.serialize_field("data_fields", &list(data_fields))?;
            }
            Response::Empty => s.serialize_field("kind", "empty")?,
            Response::Flat { fields } => {
                s.serialize_field("kind", "flat")?;
                s.serialize_field("fields", &list(fields))?;
            }
        }
        s.end()
    }
}

impl Serialize for C<'_, Pagination> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut s = ser.serialize_struct("Pagination", 5)?;
        fields!(s;
            "request_token" => some(&p.request_token),
            "request_size" => p.request_size.as_ref(),
            "response_token" => some(&p.response_token),
            "has_more" => some(&p.has_more),
            "items" => some(&p.items),
        );
        s.end()
    }
}

impl Serialize for C<'_, ErrorRow> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut s = ser.serialize_struct("ErrorRow", 7)?;
        fields!(s;
            "http_status" => some(&r.http_status),
            "code" => some(&r.code),
            "name" => r.name.as_ref(),
            "server_message" => some(&r.server_message),
            "meaning" => r.meaning.as_ref(),
            "advice" => r.advice.as_ref(),
            "retryable" => r.retryable,
        );
        s.end()
    }
}

impl Serialize for C<'_, TypesFile> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut s = ser.serialize_struct("TypesFile", 1)?;
        s.serialize_field("types", &Types(&self.0.types))?;
        s.end()
    }
}

impl Serialize for C<'_, ErrorCatalogue> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut s = ser.serialize_struct("ErrorCatalogue", 1)?;
        s.serialize_field("errors", &list(&self.0.errors))?;
        s.end()
    }
}

impl Serialize for C<'_, CatalogueEntry> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut s = ser.serialize_struct("CatalogueEntry", 5)?;
        s.serialize_field("code", &e.code)?;
        s.serialize_field("name", &e.name)?;
        s.serialize_field("meaning", &e.meaning)?;
        s.serialize_field("advice", &e.advice)?;
        s.serialize_field("retryable", &e.retryable)?;
        s.end()
    }
}
