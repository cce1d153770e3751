//! golive: tells a team integrating the Octopus Cards API whether its integration
//! is ready for production, and if not, exactly what is wrong and how to fix it.
//!
//! Data flows one way: manifest text -> [`checks::Manifest`] (the loader in
//! [`manifest`], given the kind table [`checks::KINDS`]) -> planned checks ->
//! findings -> [`report::Report`] -> renderers -> [`exit::Exit`]. ARCHITECTURE.md
//! is the map. The binary in
//! `main.rs` only parses arguments and calls [`cmd::run`]; [`cmd`] holds one file
//! per subcommand and is the only module that prints or reads the process
//! environment for its own settings. Nothing else imports it.

pub mod allowlist;
pub mod checks;
pub mod cli;
pub mod cmd;
pub mod codes;
pub mod duration;
pub mod exit;
pub mod faultplan;
pub mod finding;
pub mod ksuid;
pub mod manifest;
pub mod measure;
pub mod netclass;
pub mod octopus;
pub mod proxy;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod secret;
pub mod sim;
pub mod text;
pub mod tier;
pub mod tls;
pub mod watch;
pub mod webhook;
