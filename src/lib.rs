//! rolloutify: move Kubernetes Deployments behind Istio to Argo Rollouts canaries, offline
//! and deterministically.
//!
//! The data flows through one module per step:
//! [`load`] (files → documents with positions) → [`index`] (resources and their references)
//! → [`plan`] (what to convert, with which settings) → [`convert`] (the new and rewritten
//! resources) → [`validate`] (the controller's and Istio's rules, schemas) → [`emit`]
//! (YAML/JSON text, files edited and written atomically) and [`diff`] (patches, summaries).
//! At the edge, [`report`] renders findings for their consumers, [`cli`] maps the command
//! line onto these steps, and [`plugin`] runs them inside kustomize and KRM function hosts.
//! [`partition`] runs the same steps part by part on large trees, so that memory follows
//! the largest part, not the whole input. [`config`] reads the `Rolloutify` file,
//! [`finding`] is what every step reports, and [`yaml11`] is how Kubernetes reads a plain
//! scalar.

pub mod analysis_run;
pub mod cli;
pub mod config;
pub mod convert;
pub mod diff;
pub mod emit;
pub mod finding;
pub mod index;
pub mod load;
pub mod partition;
pub mod plan;
pub mod plugin;
pub mod report;
pub mod validate;
pub mod yaml11;
