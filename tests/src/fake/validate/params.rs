//! Path and query parameters.

use std::collections::HashMap;

use lark_codegen::model::{ParamDef, VersionModel};

use super::value::check_text;

/// Every path parameter present and non-empty, of its type.
pub(crate) fn check_path(
    params: &[ParamDef],
    path: &HashMap<String, String>,
    v: &VersionModel,
) -> Result<(), String> {
    for p in params {
        let at = format!("path.{}", p.wire);
        match path.get(&p.wire).map(String::as_str) {
            None | Some("") => return Err(format!("{at} is empty")),
            Some(value) => check_text(value, &p.ty, &at, v)?,
        }
    }
    Ok(())
}

/// Required parameters present and non-empty, values of their type (enums closed), a
/// key given more than once only when the parameter is `repeated`. Unknown keys are
/// ignored.
pub(crate) fn check_query(
    params: &[ParamDef],
    query: &[(String, String)],
    v: &VersionModel,
) -> Result<(), String> {
    for p in params {
        let at = format!("query.{}", p.wire);
        let values: Vec<&str> = query
            .iter()
            .filter(|(k, _)| *k == p.wire)
            .map(|(_, v)| v.as_str())
            .collect();
        if values.is_empty() {
            if p.required {
                return Err(format!("{at} is required"));
            }
            continue;
        }
        if values.len() > 1 && !p.repeated {
            return Err(format!(
                "{at} is given {} times but takes one value",
                values.len()
            ));
        }
        for value in values {
            if value.is_empty() && p.required {
                return Err(format!("{at} is empty"));
            }
            check_text(value, &p.ty, &at, v)?;
        }
    }
    Ok(())
}
