//! SQL steps: a query on a configured source, timed around the query;
//! variables come from the first row's columns.

use std::collections::BTreeMap;
use std::time::Instant;

use super::judge::{count_problem, duration_problem, fail, failed};
use crate::config::workflows::{Extract, Step, Template};
use crate::results::{StepOutcome, StepResult, millis};
use crate::sources::{Cell, SourceError, SqlSource};

pub(super) async fn run(
    source: &SqlSource,
    step: &Step,
    sql: &str,
    params: &[Template],
    vars: &mut BTreeMap<String, String>,
) -> StepResult {
    let binds: Vec<String> = params
        .iter()
        .map(|t| t.render(vars, str::to_string))
        .collect();
    let clock = Instant::now();
    let res = tokio::time::timeout(step.timeout, source.rows_named(sql, &binds)).await;
    let took = clock.elapsed();
    let (columns, rows) = match res {
        Err(_) => return failed(step, StepOutcome::Timeout, Some(took), "timed out"),
        Ok(Err(SourceError::Timeout(_))) => {
            return failed(
                step,
                StepOutcome::Timeout,
                Some(took),
                "statement timed out",
            );
        }
        Ok(Err(SourceError::Connect(_))) => {
            return failed(
                step,
                StepOutcome::Connect,
                Some(took),
                "cannot connect to the source",
            );
        }
        Ok(Err(_)) => return failed(step, StepOutcome::Sql, Some(took), "query failed"),
        Ok(Ok(r)) => r,
    };
    let out = StepResult {
        name: step.name.to_string(),
        outcome: StepOutcome::Ok,
        duration_ms: Some(millis(took)),
        status: None,
        count: Some(rows.len() as u64),
        error: None,
    };
    if let Some(msg) = count_problem(&step.expect, out.count) {
        return fail(out, StepOutcome::Assertion, msg);
    }
    if let Some(msg) = duration_problem(&step.expect, took) {
        return fail(out, StepOutcome::Assertion, msg);
    }
    for (var, from) in &step.extract {
        let Extract::Column(col) = from else { continue };
        let value = columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(col))
            .and_then(|i| rows.first()?.get(i));
        match value {
            Some(Cell::Int(n)) => {
                vars.insert(var.clone(), n.to_string());
            }
            Some(Cell::Text(s)) => {
                vars.insert(var.clone(), s.clone());
            }
            _ => {
                return fail(
                    out,
                    StepOutcome::Extract,
                    format!("`{var}`: no value in column `{col}` of the first row"),
                );
            }
        }
    }
    out
}
