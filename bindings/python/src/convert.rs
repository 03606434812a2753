//! Python values to and from JSON values, and seconds to `Duration`.

use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

use crate::error::invalid;

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
    /// An int beyond the 64-bit range; holds its decimal digits.
    BigInt(String),
    /// NaN or an infinity; holds its repr.
    NonFinite(String),
    /// A str that is not valid Unicode (a lone surrogate); holds its repr.
    NotUnicode(String),
    TooDeep,
}

/// The JSON value of each positional argument; `field` names them in errors.
pub fn json_arguments(field: &str, arguments: &Bound<'_, PyTuple>) -> PyResult<Vec<Value>> {
    arguments
        .iter()
        .enumerate()
        .map(|(index, item)| to_json(&item, 0).map_err(|e| describe(field, &format!("{field}[{index}]"), e)))
        .collect()
}

/// The JSON object of a `dict[str, JSON]`; `field` names it in errors.
pub fn json_object(field: &str, dict: &Bound<'_, PyDict>) -> PyResult<Map<String, Value>> {
    object(dict, 0).map_err(|e| describe(field, field, e))
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
                 use dict, list, tuple, str, int, float, bool or None"
        )),
        Problem::KeyType(name) => PyTypeError::new_err(format!(
            "{place}: dict keys must be str, got a key of type {name}"
        )),
        Problem::BigInt(digits) => invalid(
            field,
            format!(
                "{place}: int {digits} does not fit in 64 bits \
                     (JSON numbers here range from -2**63 to 2**64-1); send it as a str"
            ),
        ),
        Problem::NotUnicode(text) => invalid(
            field,
            format!("{place}: str {text} holds a lone surrogate, which JSON text cannot carry"),
        ),
        Problem::NonFinite(number) => invalid(
            field,
            format!("{place}: float {number} has no JSON form (only finite numbers do)"),
        ),
        Problem::TooDeep => invalid(
            field,
            format!("{place}: nested deeper than {MAX_DEPTH} levels (or contains itself)"),
        ),
    }
}

fn to_json(value: &Bound<'_, PyAny>, depth: usize) -> Result<Value, NotJson> {
    let fail = |problem| NotJson {
        path: Vec::new(),
        problem,
    };
    if depth > MAX_DEPTH {
        return Err(fail(Problem::TooDeep));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: True is an int in Python.
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if let Ok(int) = value.cast::<PyInt>() {
        if let Ok(small) = int.extract::<i64>() {
            return Ok(small.into());
        }
        if let Ok(large) = int.extract::<u64>() {
            return Ok(large.into());
        }
        return Err(fail(Problem::BigInt(int.to_string())));
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        let number = float.value();
        return Number::from_f64(number)
            .map(Value::Number)
            .ok_or_else(|| fail(Problem::NonFinite(repr(value))));
    }
    if let Ok(text) = value.cast::<PyString>() {
        return text
            .to_str()
            .map(|s| Value::String(s.to_owned()))
            .map_err(|_| fail(Problem::NotUnicode(repr(value))));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        return object(dict, depth).map(Value::Object);
    }
    if let Ok(list) = value.cast::<PyList>() {
        return sequence(list.iter(), depth);
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        return sequence(tuple.iter(), depth);
    }
    Err(fail(Problem::Type(type_name(value))))
}

fn object(dict: &Bound<'_, PyDict>, depth: usize) -> Result<Map<String, Value>, NotJson> {
    let mut map = Map::with_capacity(dict.len());
    for (key, item) in dict.iter() {
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
        let item = to_json(&item, depth + 1).map_err(|mut e| {
            e.path.push(format!("[{name:?}]"));
            e
        })?;
        map.insert(name.to_owned(), item);
    }
    Ok(map)
}

fn sequence<'py>(
    items: impl ExactSizeIterator<Item = Bound<'py, PyAny>>,
    depth: usize,
) -> Result<Value, NotJson> {
    let mut array = Vec::with_capacity(items.len());
    for (index, item) in items.enumerate() {
        array.push(to_json(&item, depth + 1).map_err(|mut e| {
            e.path.push(format!("[{index}]"));
            e
        })?);
    }
    Ok(Value::Array(array))
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
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        invalid(
            field,
            format!("{field} must be a finite number of seconds, 0 or more; got {seconds}"),
        )
    })
}
