//! Two sources: each side streams one row per key in key-byte order (the
//! databases group and sort), and the merge walks both at once, holding one
//! row of each side, the capped key lists and the latency counts, so memory
//! stays bounded however many items the window holds.

use std::cmp::Ordering;

use futures_util::{Stream, StreamExt};

use super::sql::Window;
use super::tally::Tally;
use crate::sources::{SourceError, TextRow};

/// Which side a failure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    From,
    To,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::From => "from",
            Side::To => "to",
        }
    }
}

/// A side's failure, with the side it came from.
pub type SideError = (Side, SourceError);

/// One event: its key, first time, and clinic (when the side has one).
struct Event {
    key: String,
    at: i64,
    clinic: Option<Option<String>>,
}

/// One key's arrivals: first and last time, how many.
struct Arrival {
    key: String,
    first: i64,
    count: u64,
    last: i64,
}

fn shape(side: Side, what: &str) -> SideError {
    (side, SourceError::Shape(format!("{what} is not a number")))
}

fn int(side: Side, cell: Option<&Option<String>>, what: &str) -> Result<i64, SideError> {
    cell.and_then(|c| c.as_deref())
        .and_then(|c| c.trim().parse::<i64>().ok())
        .ok_or_else(|| shape(side, what))
}

fn key(side: Side, row: &TextRow) -> Result<String, SideError> {
    row.first()
        .cloned()
        .flatten()
        .ok_or_else(|| (side, SourceError::Shape("a key is NULL".into())))
}

/// Reads a side's next row, refusing keys out of byte order (a merge of
/// misordered sides would report wrong classes, not fail).
async fn next<S>(
    rows: &mut S,
    side: Side,
    last: &mut Option<String>,
) -> Result<Option<TextRow>, SideError>
where
    S: Stream<Item = Result<TextRow, SourceError>> + Unpin,
{
    let Some(row) = rows.next().await else {
        return Ok(None);
    };
    let row = row.map_err(|e| (side, e))?;
    let k = key(side, &row)?;
    if last
        .as_deref()
        .is_some_and(|l| l.as_bytes() >= k.as_bytes())
    {
        let message = "rows are not in key order: is the key column's collation binary?";
        return Err((side, SourceError::Shape(message.into())));
    }
    *last = Some(k);
    Ok(Some(row))
}

fn event(row: TextRow, clinic: bool) -> Result<Event, SideError> {
    Ok(Event {
        at: int(Side::From, row.get(1), "`at`")?,
        clinic: clinic.then(|| row.get(2).cloned().flatten()),
        key: key(Side::From, &row)?,
    })
}

fn arrival(row: TextRow) -> Result<Arrival, SideError> {
    Ok(Arrival {
        first: int(Side::To, row.get(1), "`at`")?,
        count: u64::try_from(int(Side::To, row.get(2), "the count")?).unwrap_or(0),
        last: int(Side::To, row.get(3), "`at`")?,
        key: key(Side::To, &row)?,
    })
}

/// Merges events and arrivals (each one row per key, in key-byte order).
pub async fn merge<E, A>(
    tally: &mut Tally,
    mut events: E,
    mut arrivals: A,
    clinic: bool,
    w: &Window,
) -> Result<(), SideError>
where
    E: Stream<Item = Result<TextRow, SourceError>> + Unpin,
    A: Stream<Item = Result<TextRow, SourceError>> + Unpin,
{
    let (mut last_e, mut last_a) = (None, None);
    let mut e = next(&mut events, Side::From, &mut last_e)
        .await?
        .map(|r| event(r, clinic))
        .transpose()?;
    let mut a = next(&mut arrivals, Side::To, &mut last_a)
        .await?
        .map(arrival)
        .transpose()?;
    loop {
        let order = match (&e, &a) {
            (None, None) => return Ok(()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => x.key.as_bytes().cmp(y.key.as_bytes()),
        };
        if order.is_le()
            && let Some(ev) = e.take()
        {
            let first = a.as_ref().filter(|_| order.is_eq()).map(|a| a.first);
            judge(tally, &ev, first, w);
            e = next(&mut events, Side::From, &mut last_e)
                .await?
                .map(|r| event(r, clinic))
                .transpose()?;
        }
        if order.is_ge()
            && let Some(ar) = a.take()
        {
            arrived(tally, &ar, order.is_eq(), w);
            a = next(&mut arrivals, Side::To, &mut last_a)
                .await?
                .map(arrival)
                .transpose()?;
        }
    }
}

/// An event in the read window is judged only when it is in the look-back
/// window itself; the earlier ones only vouch for their arrivals.
fn judge(tally: &mut Tally, ev: &Event, arrival: Option<i64>, w: &Window) {
    if ev.at >= w.start_ms {
        let clinic = ev.clinic.as_ref().map(|c| c.as_deref());
        tally.event(&ev.key, ev.at, clinic, arrival, w);
    }
}

fn arrived(tally: &mut Tally, ar: &Arrival, has_event: bool, w: &Window) {
    if ar.last < w.start_ms {
        return;
    }
    if !has_event {
        tally.unexpected(&ar.key, ar.first);
    }
    if ar.count > 1 {
        tally.details.duplicated += 1;
    }
}
