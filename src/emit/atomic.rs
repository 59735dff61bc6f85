//! All-or-nothing writes: every file goes to a temporary file beside its target first, and
//! only when all of them are written are they renamed into place.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Why the output could not be written. Nothing was changed when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Returned when a file or directory cannot be created or written.
    #[error("{path}: cannot write: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Returned when a target is a symbolic link, which could point out of the tree.
    #[error("{path}: is a symbolic link; rolloutify does not write through links")]
    Symlink { path: String },
    /// Returned when an output path would land outside the output directory.
    #[error("{path}: would be written outside {root}")]
    OutsideTree { path: String, root: String },
}

impl WriteError {
    pub fn hint(&self) -> &'static str {
        match self {
            WriteError::Io { .. } => {
                "check that the directory exists and is writable; nothing was written"
            }
            WriteError::Symlink { .. } => {
                "replace the link by the file it points to, or write elsewhere with -o DIR"
            }
            WriteError::OutsideTree { .. } => {
                "give input paths inside the current directory when writing with -o"
            }
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes every `(path, text)` pair, or none of them.
pub fn write_all(files: &[(PathBuf, String)]) -> Result<(), WriteError> {
    let batch = Batch::default();
    for (target, text) in files {
        batch.stage(target, text)?;
    }
    batch.commit()
}

/// Files staged for one all-or-nothing write, from any number of threads: each goes to a
/// temporary file beside its target at once, and nothing is changed until [`Batch::commit`].
/// A batch dropped without committing removes what it staged.
#[derive(Debug, Default)]
pub struct Batch {
    /// Each target and the temporary file that holds its new text.
    staged: Mutex<BTreeMap<PathBuf, PathBuf>>,
}

impl Batch {
    /// Stages `text` for `target`, in place of what was staged for it before.
    pub fn stage(&self, target: &Path, text: &str) -> Result<(), WriteError> {
        let temporary = stage(target, text)?;
        let replaced = self
            .staged
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(target.to_path_buf(), temporary);
        if let Some(replaced) = replaced {
            let _ = std::fs::remove_file(replaced);
        }
        Ok(())
    }

    /// How many files are staged.
    pub fn len(&self) -> usize {
        self.staged
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether nothing is staged.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Puts every staged file in place, or (if one cannot be) none.
    pub fn commit(self) -> Result<(), WriteError> {
        self.commit_with(&mut |from, to| std::fs::rename(from, to))
    }

    /// [`Batch::commit`] with the rename step given, so that a test can make it fail half-way.
    fn commit_with(
        self,
        rename: &mut dyn FnMut(&Path, &Path) -> std::io::Result<()>,
    ) -> Result<(), WriteError> {
        let staged: Vec<(PathBuf, PathBuf)> =
            std::mem::take(&mut *self.staged.lock().unwrap_or_else(PoisonError::into_inner))
                .into_iter()
                .map(|(target, temporary)| (temporary, target))
                .collect();
        // Each target that exists is moved aside before its new text takes its place, so
        // that a rename failing half-way can put every file back as it was.
        let mut committed: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
        let mut failure = None;
        for (temporary, target) in &staged {
            let backup = if target.exists() {
                let backup = temporary.with_extension("old");
                if let Err(source) = rename(target, &backup) {
                    failure = Some((target.clone(), source));
                    break;
                }
                Some(backup)
            } else {
                None
            };
            if let Err(source) = rename(temporary, target) {
                if let Some(backup) = &backup {
                    let _ = std::fs::rename(backup, target);
                }
                failure = Some((target.clone(), source));
                break;
            }
            committed.push((target.clone(), backup));
        }
        if let Some((path, source)) = failure {
            for (target, backup) in committed.iter().rev() {
                match backup {
                    Some(backup) => {
                        let _ = std::fs::rename(backup, target);
                    }
                    None => {
                        let _ = std::fs::remove_file(target);
                    }
                }
            }
            for (temporary, _) in &staged {
                let _ = std::fs::remove_file(temporary);
            }
            return Err(WriteError::Io {
                path: path.display().to_string(),
                source,
            });
        }
        for (_, backup) in committed {
            if let Some(backup) = backup {
                let _ = std::fs::remove_file(backup);
            }
        }
        Ok(())
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        let staged = self
            .staged
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        for temporary in staged.values() {
            let _ = std::fs::remove_file(temporary);
        }
    }
}

/// Writes `text` to a new temporary file beside `target` (with its permissions); its path.
fn stage(target: &Path, text: &str) -> Result<PathBuf, WriteError> {
    if std::fs::symlink_metadata(target).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(WriteError::Symlink {
            path: target.display().to_string(),
        });
    }
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&directory).map_err(io(&directory))?;
    let mut temporary = tempfile::Builder::new()
        .prefix(".rolloutify-")
        .suffix(".tmp")
        .tempfile_in(&directory)
        .map_err(io(target))?;
    temporary.write_all(text.as_bytes()).map_err(io(target))?;
    temporary.as_file().sync_all().map_err(io(target))?;
    if let Ok(metadata) = std::fs::metadata(target) {
        let _ = std::fs::set_permissions(temporary.path(), metadata.permissions());
    }
    let (_, path) = temporary.keep().map_err(|e| WriteError::Io {
        path: target.display().to_string(),
        source: e.error,
    })?;
    Ok(path)
}

/// The path under `root` that mirrors `input` (a relative path inside the current directory).
pub fn mirrored(root: &Path, input: &Path) -> Result<PathBuf, WriteError> {
    let outside = || WriteError::OutsideTree {
        path: input.display().to_string(),
        root: root.display().to_string(),
    };
    let relative = if input.is_absolute() {
        let cwd = std::env::current_dir().map_err(io(input))?;
        input
            .strip_prefix(&cwd)
            .map_err(|_| outside())?
            .to_path_buf()
    } else {
        input.to_path_buf()
    };
    let mut out = root.to_path_buf();
    for component in relative.components() {
        match component {
            std::path::Component::Normal(part) => out.push(part),
            std::path::Component::CurDir => {}
            _ => return Err(outside()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_after_some_renames_puts_every_file_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for i in 0..5 {
            let path = dir.path().join(format!("{i}.yaml"));
            if i != 3 {
                std::fs::write(&path, format!("old {i}\n")).unwrap();
            }
            files.push((path, format!("new {i}\n")));
        }
        let before: Vec<Option<String>> = files
            .iter()
            .map(|(p, _)| std::fs::read_to_string(p).ok())
            .collect();
        // Fail on the 7th rename: files 0–2 (and the new 3) are in place by then.
        let mut renames = 0;
        let mut failing = |from: &Path, to: &Path| {
            renames += 1;
            if renames == 7 {
                return Err(std::io::Error::other("injected failure"));
            }
            std::fs::rename(from, to)
        };
        let batch = Batch::default();
        for (target, text) in &files {
            batch.stage(target, text).unwrap();
        }
        let error = batch.commit_with(&mut failing).unwrap_err();
        assert!(error.to_string().contains("injected failure"), "{error}");
        assert!(renames >= 7);
        let after: Vec<Option<String>> = files
            .iter()
            .map(|(p, _)| std::fs::read_to_string(p).ok())
            .collect();
        assert_eq!(after, before);
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["0.yaml", "1.yaml", "2.yaml", "4.yaml"], "leftovers");
        // Without the failure, everything lands.
        write_all(&files).unwrap();
        for (path, text) in &files {
            assert_eq!(&std::fs::read_to_string(path).unwrap(), text);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 5);
    }

    #[test]
    fn a_batch_keeps_the_last_text_per_file_and_leaves_nothing_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.yaml");
        std::fs::write(&target, "old\n").unwrap();
        let batch = Batch::default();
        batch.stage(&target, "first\n").unwrap();
        batch.stage(&target, "second\n").unwrap();
        batch.stage(&dir.path().join("sub/b.yaml"), "b\n").unwrap();
        assert_eq!(batch.len(), 2);
        drop(batch);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old\n");
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .chain(std::fs::read_dir(dir.path().join("sub")).unwrap())
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, ["a.yaml", "sub"], "leftovers");
        let batch = Batch::default();
        batch.stage(&target, "first\n").unwrap();
        batch.stage(&target, "second\n").unwrap();
        batch.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "second\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn writes_everything_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("a.yaml");
        std::fs::write(&good, "old\n").unwrap();
        let blocked = dir.path().join("file-not-dir");
        std::fs::write(&blocked, "x").unwrap();
        let files = vec![
            (good.clone(), "new\n".to_owned()),
            (blocked.join("b.yaml"), "b\n".to_owned()),
        ];
        assert!(write_all(&files).is_err());
        assert_eq!(std::fs::read_to_string(&good).unwrap(), "old\n");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 2);
        write_all(&files[..1]).unwrap();
        assert_eq!(std::fs::read_to_string(&good).unwrap(), "new\n");
    }

    #[test]
    fn mirrors_inside_the_root_only() {
        let root = Path::new("out");
        assert_eq!(
            mirrored(root, Path::new("./apps/web.yaml")).unwrap(),
            Path::new("out/apps/web.yaml")
        );
        assert!(mirrored(root, Path::new("../x.yaml")).is_err());
    }
}
