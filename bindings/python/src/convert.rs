//! Python values to and from JSON values, and seconds to `Duration`.

use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

use signalr_rest::settings::Convention;

use crate::error::{invalid, to_py_err};

/// Deepest nesting accepted in an argument; also what stops a list that contains itself.
pub const MAX_DEPTH: usize = 100;
/// Steps of the path to a bad value shown in an error; deeper ones end in `...`.
const MAX_PATH_SHOWN: usize = 8;

/// Why a Python value is not JSON, and where in the argument it sits.
struct NotJson {
    path: Vec<String>,
    problem: Problem,
}

enum Problem {
    /// The type has no JSON form; holds the type's name.
    Type(String),
    /// A dict key that is not a str; holds the key's type name.
    KeyType(String),
    /// An int Python will not write out (over its digit limit); holds why.
    IntDigits(String),
    /// NaN or an infinity (float or Decimal); holds its repr.
    NonFinite(String),
    /// A str that is not valid Unicode (a lone surrogate); holds its repr.
    NotUnicode(String),
    TooDeep,
}

/// The JSON array text of the positional arguments; `field` names them in errors. Ints keep
/// every digit and `decimal.Decimal` values are written as their exact decimal text, so
/// numbers reach clients as written; dict keys keep their order.
pub fn json_arguments(field: &str, arguments: &Bound<'_, PyTuple>) -> PyResult<String> {
    let mut out = String::from("[");
    for (index, item) in arguments.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_json(&item, 0, &mut out).map_err(|e| describe(field, &format!("{field}[{index}]"), e))?;
    }
    out.push(']');
    Ok(out)
}

/// The JSON text of one value, written as send arguments are; `field` names it in errors.
pub fn json_value(field: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    let mut out = String::new();
    write_json(value, 0, &mut out).map_err(|e| describe(field, field, e))?;
    Ok(out)
}

/// The JSON object of a `dict[str, JSON]`; `field` names it in errors.
pub fn json_object(field: &str, dict: &Bound<'_, PyDict>) -> PyResult<Map<String, Value>> {
    let mut text = String::new();
    write_object(dict, 0, &mut text).map_err(|e| describe(field, field, e))?;
    serde_json::from_str(&text).map_err(|e| invalid(field, format!("{field}: {e}")))
}

/// `TypeError` (no JSON form) or `InvalidArgumentError` (a value JSON cannot hold) naming the
/// offending value and where it sits: `place` (e.g. `arguments[1]`) then the path inside it.
fn describe(field: &str, place: &str, e: NotJson) -> PyErr {
    let mut steps: Vec<&str> = e.path.iter().rev().map(String::as_str).collect();
    if steps.len() > MAX_PATH_SHOWN {
        steps.truncate(MAX_PATH_SHOWN);
        steps.push("...");
    }
    let place = format!("{place}{}", steps.concat());
    match e.problem {
        Problem::Type(name) => PyTypeError::new_err(format!(
            "{place}: object of type {name} is not JSON-serialisable; \
                 use dict, list, tuple, str, int, float, decimal.Decimal, bool or None"
        )),
        Problem::KeyType(name) => PyTypeError::new_err(format!(
            "{place}: dict keys must be str, got a key of type {name}"
        )),
        Problem::IntDigits(why) => invalid(field, format!("{place}: int cannot be written out: {why}")),
        Problem::NotUnicode(text) => invalid(
            field,
            format!("{place}: str {text} holds a lone surrogate, which JSON text cannot carry"),
        ),
        Problem::NonFinite(number) => invalid(
            field,
            format!("{place}: {number} has no JSON form (only finite numbers do)"),
        ),
        Problem::TooDeep => invalid(
            field,
            format!("{place}: nested deeper than {MAX_DEPTH} levels (or contains itself)"),
        ),
    }
}

fn write_json(value: &Bound<'_, PyAny>, depth: usize, out: &mut String) -> Result<(), NotJson> {
    let fail = |problem| NotJson {
        path: Vec::new(),
        problem,
    };
    if depth > MAX_DEPTH {
        return Err(fail(Problem::TooDeep));
    }
    if value.is_none() {
        out.push_str("null");
        return Ok(());
    }
    // bool before int: True is an int in Python.
    if let Ok(flag) = value.cast::<PyBool>() {
        out.push_str(if flag.is_true() { "true" } else { "false" });
        return Ok(());
    }
    if let Ok(int) = value.cast::<PyInt>() {
        if let Ok(small) = int.extract::<i64>() {
            out.push_str(&small.to_string());
            return Ok(());
        }
        let digits = int.str().map_err(|e| fail(Problem::IntDigits(e.to_string())))?;
        out.push_str(&digits.to_string_lossy());
        return Ok(());
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        let number = Number::from_f64(float.value()).ok_or_else(|| fail(Problem::NonFinite(repr(value))))?;
        out.push_str(&number.to_string());
        return Ok(());
    }
    if let Ok(text) = value.cast::<PyString>() {
        let text = text
            .to_str()
            .map_err(|_| fail(Problem::NotUnicode(repr(value))))?;
        out.push_str(&Value::from(text).to_string());
        return Ok(());
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        return write_object(dict, depth, out);
    }
    if let Ok(list) = value.cast::<PyList>() {
        return write_sequence(list.iter(), depth, out);
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        return write_sequence(tuple.iter(), depth, out);
    }
    let name = type_name(value);
    if name == "decimal.Decimal" {
        let finite = value
            .call_method0("is_finite")
            .and_then(|f| f.is_truthy())
            .unwrap_or(false);
        if !finite {
            return Err(fail(Problem::NonFinite(repr(value))));
        }
        let text = value.str().map_err(|_| fail(Problem::Type(name.clone())))?;
        out.push_str(&text.to_string_lossy());
        return Ok(());
    }
    Err(fail(Problem::Type(name)))
}

fn write_object(dict: &Bound<'_, PyDict>, depth: usize, out: &mut String) -> Result<(), NotJson> {
    out.push('{');
    for (index, (key, item)) in dict.iter().enumerate() {
        let at_key = |problem| NotJson {
            path: vec![format!("[{}]", repr(&key))],
            problem,
        };
        let name = match key.cast::<PyString>() {
            Ok(name) => name
                .to_str()
                .map_err(|_| at_key(Problem::NotUnicode(repr(&key))))?,
            Err(_) => return Err(at_key(Problem::KeyType(type_name(&key)))),
        };
        if index > 0 {
            out.push(',');
        }
        out.push_str(&Value::from(name).to_string());
        out.push(':');
        write_json(&item, depth + 1, out).map_err(|mut e| {
            e.path.push(format!("[{name:?}]"));
            e
        })?;
    }
    out.push('}');
    Ok(())
}

fn write_sequence<'py>(
    items: impl ExactSizeIterator<Item = Bound<'py, PyAny>>,
    depth: usize,
    out: &mut String,
) -> Result<(), NotJson> {
    out.push('[');
    for (index, item) in items.enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_json(&item, depth + 1, out).map_err(|mut e| {
            e.path.push(format!("[{index}]"));
            e
        })?;
    }
    out.push(']');
    Ok(())
}

/// `module.QualName` of a value's type (just `QualName` for builtins).
fn type_name(value: &Bound<'_, PyAny>) -> String {
    let kind = value.get_type();
    let name = kind
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    match kind.module().map(|m| m.to_string()) {
        Ok(module) if module != "builtins" => format!("{module}.{name}"),
        _ => name,
    }
}

fn repr(value: &Bound<'_, PyAny>) -> String {
    value.repr().map(|r| r.to_string()).unwrap_or_else(|_| "?".into())
}

/// The Python value of JSON text, read by Python's own `json` module so that object key order
/// and every integer's digits are kept.
pub fn py_json<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// A `Duration` of `seconds`, refusing negative, NaN and too large values; `field` names it.
pub fn duration(field: &str, seconds: f64) -> PyResult<Duration> {
    Convention::SNAKE_SECONDS
        .duration(field, seconds)
        .map_err(to_py_err)
}
