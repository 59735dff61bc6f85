//! Input files: their names as the user wrote them and their text.

use std::path::PathBuf;

/// Where a source came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// A file on disk; `path` is how it is shown in messages (relative when the user gave a
    /// relative path).
    File(PathBuf),
    /// Standard input.
    Stdin,
}

/// One input file and its text.
#[derive(Debug, Clone)]
pub struct Source {
    pub origin: Origin,
    pub text: String,
}

impl Source {
    /// The name used in messages: the path as given, or `<stdin>`.
    pub fn name(&self) -> String {
        match &self.origin {
            Origin::File(path) => path.display().to_string(),
            Origin::Stdin => "<stdin>".to_owned(),
        }
    }

    pub fn path(&self) -> Option<&std::path::Path> {
        match &self.origin {
            Origin::File(path) => Some(path),
            Origin::Stdin => None,
        }
    }
}
