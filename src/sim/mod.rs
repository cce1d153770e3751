//! The Octopus API simulator.

pub mod scenario;

pub use scenario::Scenario;
