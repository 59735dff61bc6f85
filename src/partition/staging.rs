//! Where rendered documents wait for the merge. Parts finish in any order and the stream is
//! printed only when all have, so the rendered text waits somewhere: in an unnamed temporary
//! file (deleted by the system when the run ends, as `sort` spills), so that memory does not
//! grow with the output, or in memory when no temporary file can be made.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::{Mutex, PoisonError};

/// Bytes read back at once: documents staged one after another are read together.
const READ_WINDOW: usize = 1 << 20;

/// Bytes gathered before they are written: one system call for many small texts.
const WRITE_BUFFER: usize = 1 << 20;

/// A place for rendered text, appended to from many threads and read back in any order.
#[derive(Debug)]
pub struct Staging {
    store: Mutex<Store>,
}

#[derive(Debug)]
enum Store {
    File { file: BufWriter<File>, len: u64 },
    Memory(Vec<u8>),
}

/// Where one text was staged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: u64,
    pub len: u64,
}

impl Staging {
    /// Staging in a temporary file, or in memory if none can be made.
    pub fn new() -> Staging {
        match tempfile::tempfile() {
            Ok(file) => Staging {
                store: Mutex::new(Store::File {
                    file: BufWriter::with_capacity(WRITE_BUFFER, file),
                    len: 0,
                }),
            },
            Err(_) => Staging::in_memory(),
        }
    }

    /// Staging in memory.
    pub fn in_memory() -> Staging {
        Staging {
            store: Mutex::new(Store::Memory(Vec::new())),
        }
    }

    /// Appends `bytes`; where they start.
    pub fn append(&self, bytes: &[u8]) -> io::Result<u64> {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *store {
            Store::File { file, len } => {
                let start = *len;
                file.write_all(bytes)?;
                *len += bytes.len() as u64;
                Ok(start)
            }
            Store::Memory(memory) => {
                let start = memory.len() as u64;
                memory.extend_from_slice(bytes);
                Ok(start)
            }
        }
    }

    /// A reader that gives staged texts back.
    pub fn reader(&self) -> Reader<'_> {
        Reader {
            staging: self,
            window: Vec::new(),
            window_start: 0,
        }
    }
}

impl Default for Staging {
    fn default() -> Self {
        Staging::new()
    }
}

/// Reads staged texts, a window of the file at a time.
pub struct Reader<'a> {
    staging: &'a Staging,
    window: Vec<u8>,
    window_start: u64,
}

impl Reader<'_> {
    /// Writes the text staged at `span` to `out`.
    pub fn copy(&mut self, span: Span, out: &mut dyn Write) -> io::Result<()> {
        let mut store = self
            .staging
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (file, staged) = match &mut *store {
            Store::Memory(memory) => {
                let bytes = usize::try_from(span.start)
                    .ok()
                    .zip(usize::try_from(span.start + span.len).ok())
                    .and_then(|(start, end)| memory.get(start..end))
                    .ok_or_else(|| out_of_range(span))?;
                return out.write_all(bytes);
            }
            Store::File { file, len } => {
                // What is still buffered is written before anything is read back.
                file.flush()?;
                (file.get_mut(), *len)
            }
        };
        if span.start + span.len > staged {
            return Err(out_of_range(span));
        }
        let window_end = self.window_start + self.window.len() as u64;
        if span.start < self.window_start || span.start + span.len > window_end {
            // Read from here on: what was staged next is likely printed next.
            let want = (span.len as usize).max(READ_WINDOW);
            let available = (staged - span.start) as usize;
            self.window.resize(want.min(available), 0);
            file.seek(SeekFrom::Start(span.start))?;
            file.read_exact(&mut self.window)?;
            self.window_start = span.start;
        }
        let from = (span.start - self.window_start) as usize;
        out.write_all(&self.window[from..from + span.len as usize])
    }
}

fn out_of_range(span: Span) -> io::Error {
    io::Error::other(format!(
        "staged output {}..{} is missing",
        span.start,
        span.start + span.len
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(staging: &Staging) {
        let texts: Vec<Vec<u8>> = (0..300)
            .map(|i| format!("document {i}\n").repeat(i * 37).into_bytes())
            .collect();
        let spans: Vec<Span> = texts
            .iter()
            .map(|text| Span {
                start: staging.append(text).expect("staged"),
                len: text.len() as u64,
            })
            .collect();
        // Backwards, forwards and skipping: every text comes back whole.
        let order: Vec<usize> = (0..300)
            .rev()
            .chain(0..300)
            .chain((0..300).step_by(7))
            .collect();
        let mut reader = staging.reader();
        for i in order {
            let mut out = Vec::new();
            reader.copy(spans[i], &mut out).expect("read back");
            assert_eq!(out, texts[i], "text {i}");
        }
        let beyond = Span {
            start: spans[299].start,
            len: spans[299].len + 1,
        };
        assert!(reader.copy(beyond, &mut Vec::new()).is_err());
    }

    #[test]
    fn a_file_gives_back_what_was_staged() {
        round_trip(&Staging::new());
    }

    #[test]
    fn memory_gives_back_what_was_staged() {
        round_trip(&Staging::in_memory());
    }
}
