//! The checks about who is who and who may stop what: owners, credentials,
//! workload identities, stop buttons, four eyes, sender-constrained tokens.

use std::collections::BTreeMap;

use crate::assure::Status::{Met, NotMet, Partly};
use crate::assure::chain::ChainFacts;
use crate::assure::{Outcome, share};
use crate::config::Role;
use crate::mediation::Loaded;

pub(super) fn owners(l: &Loaded) -> Outcome {
    let mut ev = Vec::new();
    let agents = &l.config.agents;
    let ok = agents
        .iter()
        .filter(|a| {
            ev.push(format!(
                "[[agents]] {}: owner {}, model {} owned by {}",
                a.id, a.owner, a.model, a.model_owner
            ));
            !a.owner.is_empty() && !a.model_owner.is_empty() && a.owner != a.model_owner
        })
        .count();
    let tools: Vec<_> = l
        .registry
        .plugins()
        .flat_map(|p| {
            let m = p.manifest.manifest();
            m.tools.iter().map(move |t| {
                let owner = p.action_owners.get(&t.name).unwrap_or(&t.action_owner);
                (format!("{}.{}", m.plugin.id, t.name), owner.clone())
            })
        })
        .collect();
    let owned = tools.iter().filter(|(_, o)| !o.is_empty()).count();
    for (t, o) in &tools {
        ev.push(format!("tool {t}: action owner {o}"));
    }
    let status = share(ok, agents.len()).max(share(owned, tools.len()));
    (
        status,
        format!(
            "{ok} of {} agents have an owner apart from their model's owner; {owned} of {} tools name an action owner",
            agents.len(),
            tools.len()
        ),
        ev,
    )
}

pub(super) fn credentials(l: &Loaded, chain: &ChainFacts) -> Outcome {
    let ttl = l.config.max_token_ttl.as_secs();
    let mut ev = vec![format!("[host] max-token-ttl = {ttl} s")];
    if let Some(s) = chain.longest_token {
        ev.push(format!(
            "{} token(s) issued or exchanged in the chain; the longest lived {s} s",
            chain.n("token.issued") + chain.n("token.exchanged")
        ));
    }
    let status = match ttl {
        0..=3600 => Met,
        3601..=86_400 => Partly,
        _ => NotMet,
    };
    (status, format!("task tokens live at most {ttl} s"), ev)
}

pub(super) fn stops(l: &Loaded, chain: &ChainFacts) -> Outcome {
    let roles = [Role::Halt, Role::Revoke, Role::Quarantine];
    let mut ev = Vec::new();
    let held = roles
        .iter()
        .filter(|r| {
            let who: Vec<&str> = l
                .config
                .operators
                .iter()
                .filter(|o| o.roles.contains(r) && !o.keys.is_empty())
                .map(|o| o.name.as_str())
                .collect();
            ev.push(format!(
                "{}: {}",
                r.as_str(),
                if who.is_empty() {
                    "nobody".into()
                } else {
                    who.join(", ")
                }
            ));
            !who.is_empty()
        })
        .count();
    ev.push(format!(
        "in the chain: {} halt(s), {} quarantine(s), {} revocation(s)",
        chain.n("host.halted"),
        chain.n("agent.quarantined"),
        chain.n("token.revoked")
    ));
    (
        share(held, roles.len()),
        format!("{held} of 3 stop buttons have a named operator"),
        ev,
    )
}

pub(super) fn workloads(l: &Loaded) -> Outcome {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut bound = 0;
    for a in &l.config.file.agents {
        if !a.workload.is_empty() {
            bound += 1;
        }
        for w in &a.workload {
            let id = format!(
                "{} {}",
                w.issuer,
                w.subject
                    .as_deref()
                    .or(w.client_id.as_deref())
                    .unwrap_or("*")
            );
            seen.entry(id).or_default().push(a.id.clone());
        }
    }
    let shared: Vec<String> = seen
        .iter()
        .filter(|(_, a)| a.len() > 1)
        .map(|(w, a)| format!("workload {w} is shared by {}", a.join(" and ")))
        .collect();
    let mut ev: Vec<String> = seen
        .iter()
        .map(|(w, a)| format!("workload {w}: {}", a.join(", ")))
        .collect();
    ev.extend(shared.iter().cloned());
    let n = l.config.file.agents.len();
    let status = if !shared.is_empty() {
        NotMet
    } else if bound == n && n > 0 {
        Met
    } else {
        Partly
    };
    (
        status,
        if shared.is_empty() {
            format!("{bound} of {n} agents are bound to workload identities of their own")
        } else {
            format!(
                "{} workload identity(ies) shared between agents",
                shared.len()
            )
        },
        ev,
    )
}

pub(super) fn four_eyes(l: &Loaded, chain: &ChainFacts) -> Outcome {
    let on = l.config.approvals.four_eyes;
    (
        if on { Met } else { NotMet },
        format!(
            "four eyes is {}",
            if on { "required" } else { "not required" }
        ),
        vec![
            format!("[approvals] four-eyes = {on}"),
            format!("{} approval(s) in the chain", chain.n("approval.approved")),
        ],
    )
}

pub(super) fn dpop(l: &Loaded) -> Outcome {
    let agents = &l.config.agents;
    let bound = agents.iter().filter(|a| a.require_dpop).count();
    let ev = agents
        .iter()
        .map(|a| format!("[[agents]] {}: require-dpop = {}", a.id, a.require_dpop))
        .collect();
    (
        share(bound, agents.len()),
        format!("{bound} of {} agents need DPoP-bound tokens", agents.len()),
        ev,
    )
}
