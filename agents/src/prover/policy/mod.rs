//! Per-mechanism policies and their pure state machines (one file per mechanism family).

pub mod election;
pub mod tree;
