//! An event's data as its record stores it, serialised straight from the
//! typed event (no `serde_json::Value` in between): what the writer's
//! canonical serialiser (`vocab::canon`) reads.

use serde::{Serialize, Serializer};

use super::Event;

/// The `data` of `event`'s record: the same fields as [`Event::data`].
#[derive(Debug, Clone, Copy)]
pub struct Data<'a>(pub &'a Event);

impl Serialize for Data<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Event::Call(x) => x.serialize(s),
            Event::CallDecided(x) => x.serialize(s),
            Event::CallCompleted(x) => x.serialize(s),
            Event::CallInterrupted(x) => x.serialize(s),
            Event::PolicyShadow(x) => x.serialize(s),
            Event::ApprovalRequested(x) => x.serialize(s),
            Event::ApprovalApproved(x) => x.serialize(s),
            Event::ApprovalDenied(x) => x.serialize(s),
            Event::TokenIssued(x) => x.serialize(s),
            Event::TokenExchanged(x) => x.serialize(s),
            Event::ExchangeRefused(x) => x.serialize(s),
            Event::TokenRevoked(x) => x.serialize(s),
            Event::AgentQuarantined(x) => x.serialize(s),
            Event::AgentReleased(x) => x.serialize(s),
            Event::HostHalted(x) => x.serialize(s),
            Event::HostResumed(x) => x.serialize(s),
            Event::PluginDisabled(x) => x.serialize(s),
            Event::PluginEnabled(x) => x.serialize(s),
            Event::PluginLoaded(x) => x.serialize(s),
            Event::PluginRefused(x) => x.serialize(s),
            Event::VersionReset(x) => x.serialize(s),
            Event::ReloadRequested(x) => x.serialize(s),
            Event::ConfigReloaded(x) => x.serialize(s),
            Event::ConfigApplied(x) => x.serialize(s),
            Event::ConfigRefused(x) => x.serialize(s),
            Event::AuditRecovered(x) => x.serialize(s),
            Event::SessionOpened(x) => x.serialize(s),
            Event::SessionClosed(x) => x.serialize(s),
        }
    }
}
