//! golive's integration tests: one test binary, one module per capability.
//!
//! Most tests run the real `golive` executable against servers on loopback (the
//! built-in simulator, raw TCP servers, webhook receivers), all on 127.0.0.1 or ::1,
//! port 0. Some call the library in process. The helpers they share live in
//! [`support`]; a helper nobody uses is deleted rather than allowed.
//!
//! One binary links faster than one per file, but its tests share a process: no test
//! sets an environment variable or the working directory of the test process (each
//! golive run gets its own environment and directory), and a test that must touch
//! process-wide state runs in a child process of its own ([`support::isolated`]).

mod support;

mod attestation;
mod bad_api;
mod check;
mod client_retry;
mod commands;
mod docs;
mod egress;
mod fuzz_inputs;
mod hostile;
mod init;
mod manifest_errors;
mod manifest_paths;
mod messages;
mod pipelines;
mod release;
mod report_file;
mod request_id;
mod retry_policy;
mod safety;
mod schema;
mod secrets;
mod sim_conformance;
mod sim_snippet;
mod standalone;
mod trust_properties;
mod validate_lints;
mod verbosity;
mod waivers;
mod walkthrough;
mod watch;
mod webhook;
mod webhook_send;
