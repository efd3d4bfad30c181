//! Reading the rows of the pushed statement (`sql::pushed`) into the tally:
//! class counts per clinic and latency bucket, the unexpected and
//! duplicated counts, and the oldest keys of each class.

use super::merge::{Side, SideError};
use super::tally::Tally;
use crate::results::HandoffClass;
use crate::sources::{Cell, SourceError};

fn text(cell: Option<&Cell>) -> Option<String> {
    match cell? {
        Cell::Text(s) => Some(s.clone()),
        Cell::Int(n) => Some(n.to_string()),
        Cell::Null | Cell::Unsupported => None,
    }
}

fn int(cell: Option<&Cell>) -> Result<i64, SideError> {
    text(cell)
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| {
            (
                Side::From,
                SourceError::Shape("a count is not a number".into()),
            )
        })
}

fn class(tag: &str) -> Option<HandoffClass> {
    Some(match tag {
        "c" | "C" => HandoffClass::Completed,
        "l" | "L" => HandoffClass::Late,
        "p" => HandoffClass::Pending,
        "s" | "S" => HandoffClass::Stuck,
        _ => return None,
    })
}

/// Adds every row to the tally; `clinic`: whether the events name one.
pub fn read(tally: &mut Tally, rows: &[Vec<Cell>], clinic: bool) -> Result<(), SideError> {
    for row in rows {
        let tag = text(row.first()).unwrap_or_default();
        let n = int(row.get(3))?;
        match tag.as_str() {
            "u" => tally.details.unexpected = u64::try_from(n).unwrap_or(0),
            "d" => tally.details.duplicated = u64::try_from(n).unwrap_or(0),
            "U" => tally.unexpected_key(&text(row.get(2)).unwrap_or_default(), n),
            "S" | "L" => {
                let key = text(row.get(2)).unwrap_or_default();
                tally.key(class(&tag).unwrap_or(HandoffClass::Stuck), n, &key);
            }
            other => {
                let Some(class) = class(other) else {
                    let message = format!("unknown row tag `{other}`");
                    return Err((Side::From, SourceError::Shape(message)));
                };
                let latency = text(row.get(2)).and_then(|v| v.trim().parse::<i64>().ok());
                let place = text(row.get(1));
                let place = clinic.then_some(place.as_deref());
                tally.count(class, place, latency, u64::try_from(n).unwrap_or(0));
            }
        }
    }
    Ok(())
}
