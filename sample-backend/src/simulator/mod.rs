//! The Dwolla simulator.
