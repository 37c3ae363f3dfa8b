//! The checks the catalogue's controls name: each reads the rules in force
//! (the loaded host) and the chain's counts, and says how well it holds,
//! why, and what shows it.

use crate::assure::Status::{Met, NotMet, Partly};
use crate::assure::chain::ChainFacts;
use crate::assure::people;
use crate::assure::{Outcome, share};
use crate::authz::{PolicyCase, PolicyDecision, tool_matches};
use crate::config::GovernanceMode;
use crate::mediation::Loaded;
use crate::vocab::Impact;

/// Every check a control may name.
pub(super) const CHECKS: &[&str] = &[
    "separate-owners",
    "short-lived-credentials",
    "high-impact-approval",
    "audit-chain",
    "stop-buttons",
    "workload-identities",
    "signed-rules",
    "signed-plugins",
    "ceilings",
    "four-eyes",
    "sender-constrained",
    "rates-and-budgets",
];

/// Run check `name`.
pub(super) fn run(name: &str, l: &Loaded, chain: &ChainFacts) -> Outcome {
    match name {
        "separate-owners" => people::owners(l),
        "short-lived-credentials" => people::credentials(l, chain),
        "high-impact-approval" => approval(l, chain),
        "audit-chain" => audit(l, chain),
        "stop-buttons" => people::stops(l, chain),
        "workload-identities" => people::workloads(l),
        "signed-rules" => rules(l, chain),
        "signed-plugins" => plugins(l),
        "ceilings" => ceilings(l),
        "four-eyes" => people::four_eyes(l, chain),
        "sender-constrained" => people::dpop(l),
        "rates-and-budgets" => limits(l),
        other => (NotMet, format!("no check named {other}"), Vec::new()),
    }
}

fn approval(l: &Loaded, chain: &ChainFacts) -> Outcome {
    let facts = |tool: &str| {
        l.registry.resolve(tool).map(|(p, t)| {
            let owner = p
                .action_owners
                .get(&t.name)
                .cloned()
                .unwrap_or_else(|| t.action_owner.clone());
            (t.impact.as_str().to_owned(), owner)
        })
    };
    let (mut held, mut open, mut ev) = (0usize, 0usize, Vec::new());
    for a in &l.config.agents {
        for p in l.registry.plugins() {
            let m = p.manifest.manifest();
            for t in m.tools.iter().filter(|t| t.impact == Impact::High) {
                let tool = format!("{}.{}", m.plugin.id, t.name);
                if !a.tools.iter().any(|pat| tool_matches(pat, &tool)) {
                    continue;
                }
                let case = PolicyCase::probe(&a.id, &tool);
                let o = l.authz.policy().run_case(&case, &facts);
                match &o.decision {
                    PolicyDecision::NeedsApproval { policies } => {
                        held += 1;
                        ev.push(format!(
                            "{tool} for {}: held for approval by {}",
                            a.id,
                            policies.join(", ")
                        ));
                    }
                    PolicyDecision::Deny { policies, .. } => {
                        held += 1;
                        ev.push(format!(
                            "{tool} for {}: denied by {}",
                            a.id,
                            policies.join(", ")
                        ));
                    }
                    PolicyDecision::Allow { .. } => {
                        open += 1;
                        ev.push(format!("{tool} for {}: ALLOWED without an approval", a.id));
                    }
                }
            }
        }
    }
    let (allowed, approved) = chain.high_allowed;
    ev.push(format!(
        "in the chain: {allowed} high-impact call(s) allowed, {approved} on a named human's approval; {} approval(s) signed and verified",
        chain.signed.get("approval.approved").copied().unwrap_or(0)
    ));
    let n = held + open;
    (
        if n == 0 { Met } else { share(held, n) },
        format!("every high-impact tool needs an approval: {held} of {n}"),
        ev,
    )
}

fn audit(l: &Loaded, chain: &ChainFacts) -> Outcome {
    let a = &l.config.audit;
    let mut ev = vec![format!(
        "[audit] arguments recorded up to {} bytes",
        a.arguments
    )];
    let verified = match &chain.verified {
        Ok(n) => {
            ev.push(format!("the chain verifies: {n} records"));
            true
        }
        Err(why) => {
            ev.push(format!("the chain does NOT verify: {why}"));
            false
        }
    };
    for w in &a.witnesses {
        ev.push(format!("[[audit.witnesses]] {} at {}", w.name, w.url));
    }
    for (w, n) in &chain.cosigned {
        ev.push(format!("checkpoints cosigned by {w} up to record {n}"));
    }
    let status = match (
        verified,
        a.witnesses.is_empty() && a.witness.is_none(),
        a.arguments > 0,
    ) {
        (false, _, _) => NotMet,
        (true, false, true) => Met,
        _ => Partly,
    };
    (status, "one tamper-evident chain, witnessed".into(), ev)
}

fn rules(l: &Loaded, chain: &ChainFacts) -> Outcome {
    let g = &l.config.governance;
    let ev = vec![
        format!(
            "[governance] {} mode, {} governor(s), threshold {}",
            g.mode.as_str(),
            g.governors.len(),
            g.threshold
        ),
        format!(
            "{} release(s) of the rules applied in the chain",
            chain.n("config.applied")
        ),
    ];
    let status = match (g.mode, g.threshold) {
        (GovernanceMode::Signed, t) if t >= 2 => Met,
        (GovernanceMode::Signed, _) => Partly,
        _ => NotMet,
    };
    (
        status,
        format!("the rules are {} releases", g.mode.as_str()),
        ev,
    )
}

fn plugins(l: &Loaded) -> Outcome {
    let mut ev: Vec<String> = l
        .registry
        .plugins()
        .map(|p| {
            let m = p.manifest.manifest();
            format!(
                "{} {}: signed by {}",
                m.plugin.id,
                m.plugin.version,
                p.manifest.signer().unwrap_or("nobody (unsigned)")
            )
        })
        .collect();
    let signed = l
        .registry
        .plugins()
        .filter(|p| p.manifest.signer().is_some())
        .count();
    let n = l.registry.plugins().count();
    ev.extend(
        l.registry
            .refusals()
            .iter()
            .map(|r| format!("REFUSED: {}", r.error)),
    );
    let status = if l.registry.refusals().is_empty() {
        share(signed, n)
    } else {
        Partly.max(share(signed, n))
    };
    (
        status,
        format!("{signed} of {n} plugins signed by trusted publishers"),
        ev,
    )
}

fn ceilings(l: &Loaded) -> Outcome {
    let c = &l.config.file.ceilings;
    let set = [("files", c.files.is_some()), ("http", c.http.is_some())];
    let ev = set
        .iter()
        .map(|(k, s)| format!("[ceilings] {k}: {}", if *s { "set" } else { "not set" }))
        .collect();
    let n = set.iter().filter(|(_, s)| *s).count();
    (
        share(n, 2),
        format!("{n} of 2 ceilings set (files, http)"),
        ev,
    )
}

fn limits(l: &Loaded) -> Outcome {
    let agents = &l.config.agents;
    let rated = agents.iter().filter(|a| a.rate.is_some()).count();
    let budgets = l.config.budgets.len();
    let mut ev: Vec<String> = agents
        .iter()
        .map(|a| {
            format!(
                "[[agents]] {}: rate {}",
                a.id,
                a.rate.as_ref().map_or("none", |r| r.text.as_str())
            )
        })
        .collect();
    ev.push(format!("{budgets} budget(s)"));
    let status = match (share(rated, agents.len()), budgets) {
        (Met, b) if b > 0 => Met,
        (NotMet, 0) => NotMet,
        _ => Partly,
    };
    (
        status,
        format!(
            "{rated} of {} agents rate-limited; {budgets} budget(s)",
            agents.len()
        ),
        ev,
    )
}
