//! Sorting rows on disk with bounded memory, for sides that cannot sort
//! themselves (FHIR searches and exports come in the server's order).
//! Rows are buffered up to a byte budget, each full buffer is sorted and
//! written to a temporary file as a run, and the runs are merged by key.
//! The files live in a fresh folder under the configured one, removed when
//! the [`Spill`] or its [`Sorted`] reader is dropped: at the end of a run,
//! on an error, and when a run is cancelled (its future dropped).

use std::cmp::Ordering;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use super::merge::cmp_keys;
use super::plan::KeyKind;
use crate::sources::{SourceError, TextRow};

/// What the allocator adds to each heap block (its header, and rounding up
/// to 16 bytes), so the budget counts what the rows really take.
const HEAP_BLOCK: usize = 16;
/// Bytes of the `Vec` a row is, in the buffer.
const ROW_SLOT: usize = 24;
/// Bytes of one `Option<String>` inside a row.
const VALUE_SLOT: usize = 24;
/// Read buffer per run file while merging, at most and at least: the
/// buffers share the budget, so many runs get smaller ones.
const RUN_BUFFER_MAX: usize = 64 * 1024;
const RUN_BUFFER_MIN: usize = 4 * 1024;
/// Runs merged at once. More, and the runs so far are merged into one
/// first: the merge's buffers and its per-row scan stay bounded whatever
/// the side holds.
const MAX_RUNS: usize = 32;

/// Rows being collected; sorted in memory while they fit the budget.
pub struct Spill {
    dir: Option<tempfile::TempDir>,
    parent: std::path::PathBuf,
    runs: Vec<File>,
    buf: Vec<TextRow>,
    bytes: usize,
    budget: usize,
    kinds: Vec<KeyKind>,
}

fn io_error(e: io::Error) -> SourceError {
    SourceError::Shape(format!("sorting on disk: {e}"))
}

/// Heap bytes of one allocation of `n` bytes.
fn block(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n + HEAP_BLOCK).next_multiple_of(HEAP_BLOCK)
    }
}

/// What a row takes in memory: its slot in the buffer, its values' block,
/// and each text's own block (by capacity, not length).
fn row_bytes(row: &TextRow) -> usize {
    ROW_SLOT
        + block(row.capacity() * VALUE_SLOT)
        + row
            .iter()
            .map(|v| v.as_ref().map_or(0, |s| block(s.capacity())))
            .sum::<usize>()
}

impl Spill {
    /// Rows of `kinds.len()` key parts first, sorted with at most about
    /// `budget` bytes in memory, spilling under `parent`.
    pub fn new(parent: &Path, budget: usize, kinds: &[KeyKind]) -> Spill {
        Spill {
            dir: None,
            parent: parent.to_path_buf(),
            runs: Vec::new(),
            buf: Vec::new(),
            bytes: 0,
            budget,
            kinds: kinds.to_vec(),
        }
    }

    fn cmp(&self, a: &TextRow, b: &TextRow) -> Ordering {
        let k = self.kinds.len();
        cmp_keys(&self.kinds, &a[..k], &b[..k])
    }

    pub fn push(&mut self, row: TextRow) -> Result<(), SourceError> {
        self.bytes = self.bytes.saturating_add(row_bytes(&row));
        self.buf.push(row);
        if self.bytes >= self.budget {
            self.write_run().map_err(io_error)?;
        }
        Ok(())
    }

    /// Sorts the buffer and writes it as one run file.
    fn write_run(&mut self) -> io::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.sort_by(|a, b| self.cmp(a, b));
        self.bytes = 0;
        let mut file = tempfile::tempfile_in(self.dir()?)?;
        let mut w = BufWriter::new(&mut file);
        for row in &buf {
            write_row(&mut w, row)?;
        }
        w.flush()?;
        drop(w);
        std::io::Seek::rewind(&mut file)?;
        self.runs.push(file);
        if self.runs.len() >= MAX_RUNS {
            self.compact()?;
        }
        Ok(())
    }

    /// Merges every run so far into one run file.
    fn compact(&mut self) -> io::Result<()> {
        let runs = std::mem::take(&mut self.runs);
        let merged = open_runs(runs, self.budget, &self.kinds)?;
        let mut file = tempfile::tempfile_in(self.dir()?)?;
        let mut w = BufWriter::new(&mut file);
        for row in merged {
            let row = row.map_err(|e| io::Error::other(e.to_string()))?;
            write_row(&mut w, &row)?;
        }
        w.flush()?;
        drop(w);
        std::io::Seek::rewind(&mut file)?;
        self.runs.push(file);
        Ok(())
    }

    /// The run folder, made on first use.
    fn dir(&mut self) -> io::Result<std::path::PathBuf> {
        if self.dir.is_none() {
            std::fs::create_dir_all(&self.parent)?;
            let dir = tempfile::Builder::new()
                .prefix("hypercare-sort-")
                .tempdir_in(&self.parent)?;
            self.dir = Some(dir);
        }
        Ok(self
            .dir
            .as_ref()
            .map(|d| d.path().to_path_buf())
            .unwrap_or_default())
    }

    /// How many runs went to disk (0: everything fit in memory).
    #[cfg(test)]
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// The rows in key order.
    pub fn finish(mut self) -> Result<Sorted, SourceError> {
        if self.runs.is_empty() {
            let mut buf = std::mem::take(&mut self.buf);
            buf.sort_by(|a, b| self.cmp(a, b));
            return Ok(Sorted::Memory(buf.into_iter()));
        }
        if !self.buf.is_empty() {
            self.write_run().map_err(io_error)?;
        }
        let runs = std::mem::take(&mut self.runs);
        let merged = open_runs(runs, self.budget, &self.kinds).map_err(io_error)?;
        match merged {
            Sorted::Disk { readers, kinds, .. } => Ok(Sorted::Disk {
                readers,
                kinds,
                _dir: self.dir.take(),
            }),
            memory => Ok(memory),
        }
    }
}

/// A merge of run files, each read through a share of the budget.
fn open_runs(runs: Vec<File>, budget: usize, kinds: &[KeyKind]) -> io::Result<Sorted> {
    let share = (budget / runs.len().max(1)).clamp(RUN_BUFFER_MIN, RUN_BUFFER_MAX);
    let mut readers = Vec::with_capacity(runs.len());
    for f in runs {
        let mut r = BufReader::with_capacity(share, f);
        let head = read_row(&mut r)?;
        readers.push((r, head));
    }
    Ok(Sorted::Disk {
        readers,
        kinds: kinds.to_vec(),
        _dir: None,
    })
}

/// Sorted rows, from memory or merged from the run files.
pub enum Sorted {
    Memory(std::vec::IntoIter<TextRow>),
    Disk {
        readers: Vec<(BufReader<File>, Option<TextRow>)>,
        kinds: Vec<KeyKind>,
        /// Held so the folder lives as long as the reader.
        _dir: Option<tempfile::TempDir>,
    },
}

impl Iterator for Sorted {
    type Item = Result<TextRow, SourceError>;

    /// The smallest head among the runs (a linear scan: runs are few,
    /// each holds the budget's worth of rows).
    fn next(&mut self) -> Option<Self::Item> {
        let (readers, kinds) = match self {
            Sorted::Memory(rows) => return rows.next().map(Ok),
            Sorted::Disk { readers, kinds, .. } => (readers, kinds),
        };
        let k = kinds.len();
        let mut best: Option<usize> = None;
        for (i, (_, head)) in readers.iter().enumerate() {
            let Some(row) = head else { continue };
            let smaller = best.is_none_or(|b| {
                let other = readers[b].1.as_ref().map(|r| &r[..k]).unwrap_or(&[]);
                cmp_keys(kinds, &row[..k], other).is_lt()
            });
            if smaller {
                best = Some(i);
            }
        }
        let (reader, head) = &mut readers[best?];
        let next = match read_row(reader) {
            Ok(n) => n,
            Err(e) => return Some(Err(io_error(e))),
        };
        std::mem::replace(head, next).map(Ok)
    }
}

/// A row as its value count, then per value a flag byte and a length.
fn write_row(w: &mut impl Write, row: &TextRow) -> io::Result<()> {
    w.write_all(&(row.len() as u32).to_le_bytes())?;
    for v in row {
        match v {
            None => w.write_all(&[0])?,
            Some(s) => {
                w.write_all(&[1])?;
                w.write_all(&(s.len() as u32).to_le_bytes())?;
                w.write_all(s.as_bytes())?;
            }
        }
    }
    Ok(())
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// The next row of a run, `None` at its end. The files are our own.
fn read_row(r: &mut impl Read) -> io::Result<Option<TextRow>> {
    let n = match read_u32(r) {
        Ok(n) => n as usize,
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut row = Vec::with_capacity(n);
    for _ in 0..n {
        let mut flag = [0u8; 1];
        r.read_exact(&mut flag)?;
        if flag[0] == 0 {
            row.push(None);
            continue;
        }
        let mut s = vec![0u8; read_u32(r)? as usize];
        r.read_exact(&mut s)?;
        let s = String::from_utf8(s).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        row.push(Some(s));
    }
    Ok(Some(row))
}

#[cfg(test)]
mod tests;
