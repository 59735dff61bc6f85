//! Bounds on what one run reads, so that hostile or broken input fails fast instead of
//! exhausting memory or time.

/// Limits applied while reading input. The defaults fit any real manifest repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest file read, in bytes.
    pub max_file_bytes: u64,
    /// Most nodes that aliases may add to one document.
    pub max_alias_nodes: usize,
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most documents in one file.
    pub max_documents: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 64 * 1024 * 1024,
            max_alias_nodes: 100_000,
            max_depth: 256,
            max_documents: 100_000,
        }
    }
}
