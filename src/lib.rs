//! rolloutify: move Kubernetes Deployments behind Istio to Argo Rollouts canaries, offline
//! and deterministically.
//!
//! The data flows through one module per step:
//! [`load`] (files → documents with positions) → [`index`] (resources and their references)
//! → [`plan`] (what to convert, with which settings) → [`convert`] (the new and rewritten
//! resources) → [`emit`] (YAML/JSON text, files written atomically). [`cli`] maps the command
//! line onto these steps.

pub mod cli;
pub mod config;
pub mod convert;
pub mod diff;
pub mod emit;
pub mod finding;
pub mod index;
pub mod load;
pub mod plan;
pub mod report;
pub mod validate;
pub mod yaml11;
