//! The findings of the second adversarial review (issue 23), each pinned by
//! a test that the earlier main failed — through every channel it applies
//! to — and each ending with the host still serving and the chain the
//! attack left verifying (or, where the attack is on the chain itself,
//! `audit verify` naming it).

mod audience;
mod budgets;
mod http2;
mod interrupted;
mod memory;
mod partition;
mod records;
mod split_view;
mod webhooks;
mod workloads;

pub(crate) use crate::hardening::{call, echo, still_serves_and_verifies};
