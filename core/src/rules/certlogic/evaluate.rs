//! Evaluation of CertLogic expressions (CertLogic specification 1.3.3).
//!
//! Each operation node is checked for form before its operands are evaluated; an invalid or
//! ill-typed expression is an error, never a guess. Errors name the operation and the kinds
//! of values found, never data values (the data is a health certificate).

use std::borrow::Cow;
use std::cell::Cell;

use serde_json::Value as Json;

use super::date_time::{DateTime, TimeUnit};
use super::value::Value;

/// Expressions nest at most this deep; real rules nest under ten.
pub const MAX_DEPTH: usize = 64;

/// Why an expression cannot be evaluated (never the data's values).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CertLogicError {
    /// The explanation.
    pub message: String,
}

fn error<T>(message: impl Into<String>) -> Result<T, CertLogicError> {
    Err(CertLogicError { message: message.into() })
}

/// Work units one evaluation may spend: one per operation evaluated, plus one per value
/// element an operation builds or copies. Real rules spend a few hundred (a vaccination rule
/// with a value-set lookup about 600); nested `reduce`s over literal arrays, which grow
/// exponentially, stop here after a few milliseconds instead of running for minutes.
pub const DEFAULT_STEP_BUDGET: u64 = 200_000;
/// Elements one value may hold: a value set has a few hundred codes; an accumulator that
/// doubles at each `reduce` step stops here long before it costs memory.
pub const MAX_VALUE_ELEMENTS: usize = 100_000;

/// What an evaluation may still spend.
#[derive(Debug)]
pub struct Budget {
    remaining: Cell<u64>,
    limit: u64,
}

impl Budget {
    /// A budget of `steps`.
    pub fn new(steps: u64) -> Self {
        Self { remaining: Cell::new(steps), limit: steps }
    }

    /// Steps used so far.
    pub fn spent(&self) -> u64 {
        self.limit - self.remaining.get()
    }

    fn charge(&self, steps: u64) -> Result<(), CertLogicError> {
        match self.remaining.get().checked_sub(steps) {
            Some(left) => {
                self.remaining.set(left);
                Ok(())
            }
            None => {
                self.remaining.set(0);
                error(format!("the expression exceeded its evaluation budget of {} steps", self.limit))
            }
        }
    }

    /// Charges for a value an operation built or copied, refusing oversized ones.
    fn charge_value<'a>(&self, value: Value<'a>) -> Result<Value<'a>, CertLogicError> {
        let elements = value.elements();
        if elements > MAX_VALUE_ELEMENTS {
            return error(format!("a value of more than {MAX_VALUE_ELEMENTS} elements was built"));
        }
        self.charge(elements as u64)?;
        Ok(value)
    }
}

/// Evaluates `expression` against the data context `data`, within [`DEFAULT_STEP_BUDGET`].
pub fn evaluate<'a>(expression: &'a Json, data: &Value<'a>) -> Result<Value<'a>, CertLogicError> {
    evaluate_with_budget(expression, data, &Budget::new(DEFAULT_STEP_BUDGET))
}

/// Evaluates within `budget`; an exhausted budget is an error like any other.
pub fn evaluate_with_budget<'a>(
    expression: &'a Json,
    data: &Value<'a>,
    budget: &Budget,
) -> Result<Value<'a>, CertLogicError> {
    evaluate_at(expression, data, 0, budget)
}

fn evaluate_at<'a>(
    expression: &'a Json,
    data: &Value<'a>,
    depth: usize,
    budget: &Budget,
) -> Result<Value<'a>, CertLogicError> {
    if depth > MAX_DEPTH {
        return error(format!("expression nests deeper than {MAX_DEPTH} levels"));
    }
    budget.charge(1)?;
    match expression {
        Json::String(text) => Ok(Value::Text(Cow::Borrowed(text))),
        Json::Bool(flag) => Ok(Value::Bool(*flag)),
        Json::Number(number) => match number.as_i64() {
            Some(integer) => Ok(Value::Integer(integer)),
            None => error(format!("{number} is a non-integer number")),
        },
        Json::Null => error("invalid CertLogic expression"),
        Json::Array(items) => {
            let items = items
                .iter()
                .map(|item| evaluate_at(item, data, depth + 1, budget))
                .collect::<Result<_, _>>()
                .map(Value::Array)?;
            budget.charge_value(items)
        }
        Json::Object(entries) => {
            let mut entries = entries.iter();
            let (Some((operator, operands)), None) = (entries.next(), entries.next()) else {
                return error(format!(
                    "expression object must have exactly one key, but it has {}",
                    expression.as_object().map_or(0, |object| object.len())
                ));
            };
            if operator == "var" {
                return budget.charge_value(var(operands, data)?);
            }
            let operands = match operands {
                Json::Array(operands) if !operands.is_empty() => operands.as_slice(),
                _ => return error("operation not of the form { \"<operator>\": [ <values...> ] }"),
            };
            operation(operator, operands, data, depth + 1, budget)
        }
    }
}

/// A `var` path: `""` is the whole context, otherwise fragments separated by periods.
pub fn var<'a>(path: &'a Json, data: &Value<'a>) -> Result<Value<'a>, CertLogicError> {
    let Json::String(path) = path else {
        return error("not of the form { \"var\": \"<path>\" }");
    };
    if path.is_empty() {
        return Ok(data.clone());
    }
    if !valid_path(path) {
        return error(format!("data access path doesn't have a valid format: {path}"));
    }
    let mut current = data.clone();
    for fragment in path.split('.') {
        if current == Value::Null {
            return Ok(Value::Null);
        }
        current = current.child(fragment);
    }
    Ok(current)
}

/// Paths are non-empty fragments separated by single periods (`x.0.y`, not `x.` or `x..y`).
pub fn valid_path(path: &str) -> bool {
    path.split('.').all(|fragment| !fragment.is_empty())
}

fn arity(operator: &str, operands: &[Json], allowed: &[usize]) -> Result<(), CertLogicError> {
    if allowed.contains(&operands.len()) {
        Ok(())
    } else {
        let expected = allowed.iter().map(ToString::to_string).collect::<Vec<_>>().join(" or ");
        error(format!("an \"{operator}\"-operation must have {expected} operands, but it has {}", operands.len()))
    }
}

/// Where an operation is evaluated: the data context, the nesting depth, the budget.
struct Scope<'a, 'b> {
    data: &'b Value<'a>,
    depth: usize,
    budget: &'b Budget,
}

impl<'a> Scope<'a, '_> {
    fn eval(&self, operand: &'a Json) -> Result<Value<'a>, CertLogicError> {
        evaluate_at(operand, self.data, self.depth, self.budget)
    }
}

type Evaluated<'a> = Result<Value<'a>, CertLogicError>;

fn operation<'a>(
    operator: &str,
    operands: &'a [Json],
    data: &Value<'a>,
    depth: usize,
    budget: &Budget,
) -> Evaluated<'a> {
    let scope = Scope { data, depth, budget };
    match operator {
        "if" => if_then_else(operator, operands, &scope),
        "!" => not(operator, operands, &scope),
        "and" => and(operands, &scope),
        "===" => strict_equality(operator, operands, &scope),
        "in" => contained_in(operator, operands, &scope),
        "+" => plus(operator, operands, &scope),
        "<" | ">" | "<=" | ">=" => integer_comparison(operator, operands, &scope),
        "after" | "before" | "not-after" | "not-before" => date_time_comparison(operator, operands, &scope),
        "plusTime" => plus_time(operator, operands, &scope),
        "dccDateOfBirth" => dcc_date_of_birth(operator, operands, &scope),
        "extractFromUVCI" => extract_from_uvci_operation(operator, operands, &scope),
        "reduce" => reduce(operator, operands, &scope),
        other => error(format!("unrecognised operator: \"{other}\"")),
    }
}

fn if_then_else<'a>(operator: &str, operands: &'a [Json], scope: &Scope<'a, '_>) -> Evaluated<'a> {
    arity(operator, operands, &[3])?;
    let [guard, then, otherwise] = operands else { return error("an \"if\"-operation must have 3 operands") };
    match scope.eval(guard)?.truthiness() {
        Some(true) => scope.eval(then),
        Some(false) => scope.eval(otherwise),
        None => error("if-guard evaluates to something neither truthy, nor falsy"),
    }
}

fn not<'a>(operator: &str, operands: &'a [Json], scope: &Scope<'a, '_>) -> Evaluated<'a> {
    arity(operator, operands, &[1])?;
    match scope.eval(operands.first().unwrap_or(&Json::Null))?.truthiness() {
        Some(truthy) => Ok(Value::Bool(!truthy)),
        None => error("operand of ! evaluates to something neither truthy, nor falsy"),
    }
}

fn and<'a>(operands: &'a [Json], scope: &Scope<'a, '_>) -> Evaluated<'a> {
    if operands.len() < 2 {
        return error(format!("an \"and\"-operation must have at least 2 operands, but it has {}", operands.len()));
    }
    let mut last = Value::Null;
    for operand in operands {
        let value = scope.eval(operand)?;
        match value.truthiness() {
            Some(false) => return Ok(value),
            Some(true) => last = value,
            None => return error("all operands of an \"and\" operation must be either truthy or falsy"),
        }
    }
    Ok(last)
}

fn strict_equality<'a>(operator: &str, operands: &'a [Json], scope: &Scope<'a, '_>) -> Evaluated<'a> {
    arity(operator, operands, &[2])?;
    let (left, right) = two(operands, scope)?;
    Ok(Value::Bool(left.strictly_equals(&right)))
}

fn contained_in<'a>(operator: &str, operands: &'a [Json], scope: &Scope<'a, '_>) -> Evaluated<'a> {
    arity(operator, operands, &[2])?;
    let (needle, haystack) = two(operands, scope)?;
    let Some(items) = haystack.array_items() else {
        return error("right-hand side of an \"in\" operation must be an array");
    };
    scope.budget.charge(items.len() as u64)?;
    Ok(Value::Bool(items.iter().any(|item| needle.strictly_equals(item))))
}

fn plus<'a>(operator: &str, operands: &'a [Json], scope: &Scope<'a, '_>) -> Evaluated<'a> {
    arity(operator, operands, &[2])?;
    match two(operands, scope)? {
        (Value::Integer(left), Value::Integer(right)) => left
            .checked_add(right)
            .map(Value::Integer)
            .ok_or(CertLogicError { message: "integer overflow in +".into() }),
        _ => error("operands of this operation must both be integers"),
    }
}

fn integer_comparison<'a>(operator: &str, operands: &'a [Json], scope: &Scope<'a, '_>) -> Evaluated<'a> {
    arity(operator, operands, &[2, 3])?;
    let mut integers = Vec::with_capacity(operands.len());
    for operand in operands {
        match scope.eval(operand)? {
            Value::Integer(integer) => integers.push(integer),
            other => {
                return error(format!(
                    "all operands of a comparison operation must be of integer type, found {}",
                    other.kind()
                ));
            }
        }
    }
    Ok(Value::Bool(chain_holds(operator, &integers)))
}

fn date_time_comparison<'a>(operator: &str, operands: &'a [Json], scope: &Scope<'a, '_>) -> Evaluated<'a> {
    arity(operator, operands, &[2, 3])?;
    let mut instants = Vec::with_capacity(operands.len());
    for operand in operands {
        match scope.eval(operand)? {
            Value::DateTime(date_time) => instants.push(date_time.0),
            other => {
                return error(format!(
                    "all operands of a date-time comparison must be date-times, found {}",
                    other.kind()
                ));
            }
        }
    }
    let integer_operator = match operator {
        "after" => ">",
        "before" => "<",
        "not-after" => "<=",
        _ => ">=",
    };
    Ok(Value::Bool(chain_holds(integer_operator, &instants)))
}

fn plus_time<'a>(operator: &str, operands: &'a [Json], scope: &Scope<'a, '_>) -> Evaluated<'a> {
    arity(operator, operands, &[3])?;
    let [date_time, amount, unit] = operands else {
        return error("a \"plusTime\"-operation must have 3 operands");
    };
    let Some(unit) = unit.as_str().and_then(TimeUnit::parse) else {
        return error("\"plusTime\" time unit must be one of \"year\", \"month\", \"day\", \"hour\"");
    };
    let Some(amount) = amount.as_i64() else {
        return error("\"plusTime\" amount must be an integer");
    };
    let text = match scope.eval(date_time)? {
        Value::Text(text) => text,
        other => {
            return error(format!("date-time operand of \"plusTime\" must be a string, found {}", other.kind()));
        }
    };
    let parsed = DateTime::parse(&text).ok_or_else(|| CertLogicError {
        message: format!("\"plusTime\" operand{} is not a date(-time) in an allowed format", field_of(date_time)),
    })?;
    parsed
        .plus(amount, unit)
        .map(Value::DateTime)
        .ok_or(CertLogicError { message: "\"plusTime\" result is out of range".into() })
}

fn dcc_date_of_birth<'a>(operator: &str, operands: &'a [Json], scope: &Scope<'a, '_>) -> Evaluated<'a> {
    arity(operator, operands, &[1])?;
    let operand = operands.first().unwrap_or(&Json::Null);
    match scope.eval(operand)? {
        Value::Text(text) => DateTime::from_date_of_birth(&text).map(Value::DateTime).ok_or_else(|| CertLogicError {
            message: format!("\"dccDateOfBirth\" operand{} is not YYYY, YYYY-MM or YYYY-MM-DD", field_of(operand)),
        }),
        other => error(format!("operand of \"dccDateOfBirth\" must be a string, found {}", other.kind())),
    }
}

fn extract_from_uvci_operation<'a>(operator: &str, operands: &'a [Json], scope: &Scope<'a, '_>) -> Evaluated<'a> {
    arity(operator, operands, &[2])?;
    let [uvci, index] = operands else { return error("an \"extractFromUVCI\"-operation must have 2 operands") };
    let Some(index) = index.as_i64() else {
        return error("index of \"extractFromUVCI\" must be an integer");
    };
    match scope.eval(uvci)? {
        Value::Null => Ok(Value::Null),
        Value::Text(text) => Ok(extract_from_uvci(&text, index)
            .map_or(Value::Null, |fragment| Value::Text(Cow::Owned(fragment.to_owned())))),
        other => error(format!("\"extractFromUVCI\" operand must be a string or null, found {}", other.kind())),
    }
}

fn reduce<'a>(operator: &str, operands: &'a [Json], scope: &Scope<'a, '_>) -> Evaluated<'a> {
    arity(operator, operands, &[3])?;
    let [list, lambda, initial] = operands else { return error("a \"reduce\"-operation must have 3 operands") };
    let list = scope.eval(list)?;
    let mut accumulator = scope.eval(initial)?;
    if list == Value::Null {
        return Ok(accumulator);
    }
    let Some(items) = list.array_items() else {
        return error(format!("operand of \"reduce\" must be an array, found {}", list.kind()));
    };
    scope.budget.charge(items.len() as u64)?;
    for current in items {
        let context =
            Value::Object(vec![(Cow::Borrowed("current"), current), (Cow::Borrowed("accumulator"), accumulator)]);
        accumulator = evaluate_at(lambda, &context, scope.depth, scope.budget)?;
    }
    Ok(accumulator)
}

/// " payload.v.0.dt" when the operand reads a field: an error then names what the issuer
/// wrote oddly (never its value, which may be personal data).
fn field_of(operand: &Json) -> String {
    match operand.get("var").and_then(Json::as_str) {
        Some(path) => format!(" {path}"),
        None => String::new(),
    }
}

fn two<'a>(operands: &'a [Json], scope: &Scope<'a, '_>) -> Result<(Value<'a>, Value<'a>), CertLogicError> {
    match operands {
        [left, right] => Ok((scope.eval(left)?, scope.eval(right)?)),
        _ => error("this operation must have 2 operands"),
    }
}

/// `a op b` (binary) or `a op b and b op c` (ternary).
fn chain_holds(operator: &str, values: &[i64]) -> bool {
    values.windows(2).all(|pair| match (operator, pair) {
        ("<", [a, b]) => a < b,
        (">", [a, b]) => a > b,
        ("<=", [a, b]) => a <= b,
        (">=", [a, b]) => a >= b,
        _ => false,
    })
}

/// The fragment at `index` of a UCI split on `/`, `#` and `:`, ignoring a `URN:UVCI:` prefix.
pub fn extract_from_uvci(uvci: &str, index: i64) -> Option<&str> {
    let body = uvci.strip_prefix("URN:UVCI:").unwrap_or(uvci);
    let index = usize::try_from(index).ok()?;
    body.split(['/', '#', ':']).nth(index)
}
