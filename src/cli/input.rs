//! The flags every command takes to say what to read, and within which limits.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::Config;
use crate::index::host::{DEFAULT_CLUSTER_DOMAIN, Scope};
use crate::load::{self, Exclude, Input, Limits, LoadError, LoadOptions};

#[derive(Debug, Args)]
pub struct InputFlags {
    /// Files or directories to read (`-` for standard input; standard input when none given
    /// and it is not a terminal).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Read files that .gitignore/.ignore exclude.
    #[arg(long)]
    pub no_ignore: bool,

    /// Read what git would commit: the files git tracks plus staged additions, with their
    /// content from the index, not the work tree (untracked files are not read). For hooks.
    #[arg(long, visible_alias = "tracked")]
    pub git: bool,

    /// Leave out of directory walks what this gitignore-style glob matches, relative to the
    /// current directory (repeatable; also `exclude:` in the configuration file).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Largest file read, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_file_bytes)]
    pub max_file_size: u64,

    /// Most nodes aliases may add to one document.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_alias_nodes)]
    pub max_alias_nodes: usize,

    /// Deepest nesting of a document.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_depth)]
    pub max_depth: usize,

    /// Most documents in one file.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_documents)]
    pub max_documents: usize,

    /// The namespace of documents that name none, as with `kubectl apply -n` (without it
    /// their namespace is unknown, and routes whose meaning depends on it are left alone).
    #[arg(short, long, value_name = "NAMESPACE", value_parser = dns_label)]
    pub namespace: Option<String>,

    /// The cluster's DNS domain: hosts `svc.ns.svc.<domain>` name Services; hosts of any
    /// other domain never do.
    #[arg(long, value_name = "DOMAIN", default_value = DEFAULT_CLUSTER_DOMAIN, value_parser = dns_domain)]
    pub cluster_domain: String,
}

/// A namespace name: an RFC 1123 label.
fn dns_label(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text.len() <= 63
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-');
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{text}` is not a namespace name (lower-case letters, digits and `-`, at most 63)"
        ))
    }
}

/// A DNS domain: labels joined by dots (`cluster.local`).
fn dns_domain(text: &str) -> Result<String, String> {
    let text = text.trim_end_matches('.');
    if !text.is_empty() && text.split('.').all(|label| dns_label(label).is_ok()) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{text}` is not a DNS domain such as cluster.local"
        ))
    }
}

impl InputFlags {
    /// How names resolve: the cluster domain and the namespace of documents without one.
    pub fn scope(&self) -> Scope {
        Scope {
            cluster_domain: self.cluster_domain.clone(),
            namespace: self.namespace.clone(),
        }
    }

    /// How to read the inputs: the flags, and the `exclude:` of the configuration file read
    /// (`config`: its path and contents), whose globs are relative to its folder.
    pub fn load_options(&self, config: Option<(&Path, &Config)>) -> Result<LoadOptions, LoadError> {
        let mut exclude = Vec::new();
        if !self.exclude.is_empty() {
            exclude.push(Exclude {
                root: PathBuf::from("."),
                globs: self.exclude.clone(),
            });
        }
        if let Some((path, config)) = config
            && !config.exclude.is_empty()
        {
            exclude.push(Exclude {
                root: path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
                    .to_path_buf(),
                globs: config.exclude.clone(),
            });
        }
        let git = if self.git {
            if self.paths.is_empty() || self.paths.iter().any(|p| p.as_os_str() == "-") {
                return Err(LoadError::Git {
                    message: "--git reads files from git's index, not standard input; give paths (e.g. .)".to_owned(),
                });
            }
            let index = load::git::GitIndex::read(&self.paths, |path| {
                load::is_manifest_file(path)
                    || path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("kustomization.") || n == "Kustomization")
            })?;
            Some(std::sync::Arc::new(index))
        } else {
            None
        };
        Ok(LoadOptions {
            git,
            exclude,
            limits: Limits {
                max_file_bytes: self.max_file_size,
                max_alias_nodes: self.max_alias_nodes,
                max_depth: self.max_depth,
                max_documents: self.max_documents,
            },
            respect_ignore_files: !self.no_ignore,
        })
    }

    /// The inputs named on the command line.
    pub fn inputs(&self, stdin_is_terminal: bool) -> Vec<Input> {
        if self.paths.is_empty() {
            return if stdin_is_terminal {
                Vec::new()
            } else {
                vec![Input::Stdin]
            };
        }
        self.paths
            .iter()
            .map(|p| {
                if p.as_os_str() == "-" {
                    Input::Stdin
                } else {
                    Input::Path(p.clone())
                }
            })
            .collect()
    }
}

/// Prints, as notes, what directory walks under `inputs` skipped and why (for `-v`).
pub fn print_skipped(inputs: &[Input], options: &LoadOptions, stderr: &mut dyn Write) {
    for skipped in load::skipped_files(inputs, options) {
        let _ = writeln!(
            stderr,
            "note: skipped {}: {}",
            skipped.path.display(),
            skipped.reason
        );
    }
}
