//! The reference app backend for iav-bridge and a Dwolla simulator.

pub mod backend;
pub mod simulator;
