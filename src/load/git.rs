//! `--git`: read what git would commit — the files git tracks plus staged additions, with
//! their content from the index, not the work tree. Untracked files are not read.
//!
//! This runs the `git` binary (`git ls-files -s -z` for the index entries, one
//! `git cat-file --batch` for their content) instead of linking a git library such as `gix`:
//! where the hooks run, git is there by definition (pre-commit drives it), the binary reads
//! every index format and extension the user's git writes (split index, sparse checkout,
//! `skip-worktree`) exactly as the commit will, and the crate gains no dependency tree that
//! doubles its build on a 2-core machine. Two processes per run cost a few milliseconds.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use super::LoadError;

/// The index entries under the paths of a run, and the content of those that may be read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GitIndex {
    /// Every regular file in the index (stage 0), relative to the current directory, sorted.
    pub files: Vec<PathBuf>,
    /// The content in the index of the files that may be read (YAML, JSON, kustomizations).
    blobs: HashMap<PathBuf, Vec<u8>>,
}

fn git_error(message: String) -> LoadError {
    LoadError::Git { message }
}

impl GitIndex {
    /// Reads the index entries under `paths` (relative to the current directory) and the
    /// content of those `wanted` accepts and of the files `paths` name, by running `git` in
    /// the current directory.
    pub fn read(paths: &[PathBuf], wanted: impl Fn(&Path) -> bool) -> Result<GitIndex, LoadError> {
        let output = Command::new("git")
            .args(["--literal-pathspecs", "ls-files", "--stage", "-z", "--"])
            .args(paths)
            .stdin(Stdio::null())
            .output()
            .map_err(|error| git_error(format!("cannot run git: {error}")))?;
        if !output.status.success() {
            return Err(git_error(format!(
                "git ls-files failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        let mut files = Vec::new();
        let mut objects = Vec::new();
        let mut conflicted = Vec::new();
        for entry in output.stdout.split(|&b| b == 0).filter(|e| !e.is_empty()) {
            // `<mode> <object> <stage>\t<path>`
            let text = String::from_utf8_lossy(entry);
            let Some((meta, path)) = text.split_once('\t') else {
                continue;
            };
            let mut meta = meta.split(' ');
            let (Some(mode), Some(object), Some(stage)) = (meta.next(), meta.next(), meta.next())
            else {
                continue;
            };
            let path = PathBuf::from(path);
            if stage != "0" {
                conflicted.push(path);
                continue;
            }
            // Regular files only: not symbolic links (120000) or submodules (160000).
            if !matches!(mode, "100644" | "100755") {
                continue;
            }
            if wanted(&path) || paths.iter().any(|p| normal(p) == path) {
                objects.push((path.clone(), object.to_owned()));
            }
            files.push(path);
        }
        if let Some(path) = conflicted.first() {
            return Err(git_error(format!(
                "{} has merge conflicts in the index; resolve them (git add) first",
                path.display()
            )));
        }
        files.sort();
        files.dedup();
        let blobs = cat_files(objects)?;
        Ok(GitIndex { files, blobs })
    }

    /// The content the index holds for `path`.
    pub fn blob(&self, path: &Path) -> Option<&[u8]> {
        self.blobs.get(&normal(path)).map(Vec::as_slice)
    }

    /// Whether the index holds `path`.
    pub fn contains(&self, path: &Path) -> bool {
        let path = normal(path);
        self.files
            .binary_search_by(|f| f.as_path().cmp(&path))
            .is_ok()
    }

    /// The files under `dir` (or `dir` itself when it is a file), in sorted order.
    pub fn under<'a>(&'a self, dir: &Path) -> impl Iterator<Item = &'a PathBuf> + 'a {
        let dir = normal(dir);
        self.files
            .iter()
            .filter(move |file| normal(file).starts_with(&dir))
    }
}

/// A path without `.` components (`./a/b` is `a/b`, `.` is empty).
fn normal(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// The content of `objects` from one `git cat-file --batch`.
fn cat_files(objects: Vec<(PathBuf, String)>) -> Result<HashMap<PathBuf, Vec<u8>>, LoadError> {
    if objects.is_empty() {
        return Ok(HashMap::new());
    }
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| git_error(format!("cannot run git cat-file: {error}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| git_error("git cat-file has no input".to_owned()))?;
    let request: String = objects.iter().map(|(_, id)| format!("{id}\n")).collect();
    // Written from another thread: git answers while it reads, and a full pipe either way
    // would stop both.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| git_error("git cat-file has no output".to_owned()))?;
    let mut reader = BufReader::new(stdout);
    let mut blobs = HashMap::with_capacity(objects.len());
    for (path, id) in objects {
        let mut header = String::new();
        reader
            .read_line(&mut header)
            .map_err(|error| git_error(format!("reading git cat-file: {error}")))?;
        // `<object> blob <size>`, or `<object> missing`.
        let mut fields = header.split_whitespace();
        let size = match (fields.next(), fields.next(), fields.next()) {
            (Some(_), Some("blob"), Some(size)) => size.parse::<usize>().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            git_error(format!(
                "{}: git cat-file cannot read object {id}: {}",
                path.display(),
                header.trim()
            ))
        })?;
        let mut content = vec![0; size + 1];
        reader
            .read_exact(&mut content)
            .map_err(|error| git_error(format!("reading git cat-file: {error}")))?;
        content.pop(); // the newline after the content
        blobs.insert(path, content);
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(blobs)
}
