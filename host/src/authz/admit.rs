//! The first layers of authorization — the task token (signature, time
//! window, the host's maximum lifetime, revocation), its agent, and the
//! stop buttons — and the check, before a held call runs, that none of them
//! has changed meanwhile.

use chrono::{DateTime, Utc};

use crate::authz::{Authz, Denied, Grant, Known, Refusal, TaskToken};
use crate::config::Agent;
use crate::state::StopState;

impl Authz {
    /// The first layers: the token (signature, time window, lifetime,
    /// revocation), its agent, and the stop buttons (halt, quarantine).
    ///
    /// # Errors
    ///
    /// [`Denied`] naming the layer.
    pub async fn admit_token<'r>(
        &'r self,
        token: &str,
        stops: &StopState,
        now: DateTime<Utc>,
    ) -> Result<(TaskToken, &'r Agent), Box<Denied<'r>>> {
        let token_text = token;
        let t = self.check_token(token, stops, now).await.map_err(|e| {
            let (refusal, token) = *e;
            // A token refused for its time or revocation still names its
            // agent: the record says whose it was.
            let agent = token.as_ref().and_then(|t| self.config.agent(&t.agent));
            // One that did not verify: the task it claimed, marked so.
            let claimed = match token {
                None => crate::authz::token::claimed(token_text),
                Some(_) => None,
            };
            Box::new(Denied {
                args: None,
                shadow: None,
                refusal,
                known: Known {
                    token,
                    agent,
                    plugin: None,
                    claimed,
                },
            })
        })?;
        let Some(agent) = self.config.agent(&t.agent) else {
            return Err(Box::new(Denied {
                args: None,
                shadow: None,
                refusal: Refusal::AgentGrant {
                    agent: t.agent.clone(),
                    tool: "any tool".into(),
                },
                known: Known {
                    token: Some(t),
                    ..Known::default()
                },
            }));
        };
        if let Some(r) = stopped(stops, Stoppable::agent(&agent.id)) {
            return Err(Box::new(Denied {
                args: None,
                shadow: None,
                refusal: r,
                known: Known {
                    token: Some(t),
                    agent: Some(agent),
                    ..Known::default()
                },
            }));
        }
        Ok((t, agent))
    }

    /// Check a presented token: signature, time window (with the allowed
    /// skew) and the host's maximum lifetime, revocation. A token whose
    /// signature verified is returned with the refusal.
    async fn check_token(
        &self,
        token: &str,
        stops: &StopState,
        now: DateTime<Utc>,
    ) -> Result<TaskToken, Box<(Refusal, Option<TaskToken>)>> {
        if token.trim().is_empty() {
            return Err(Box::new((
                Refusal::Token(
                    "no task token presented (use --token or WARRANT_TOKEN, or Authorization: Bearer)"
                        .into(),
                ),
                None,
            )));
        }
        let t = self
            .decode_bearer(token, now)
            .await
            .map_err(|r| Box::new((r, None)))?;
        let skew = i64::try_from(self.config.clock_skew.as_secs()).unwrap_or(0);
        let max = i64::try_from(self.config.max_token_ttl.as_secs()).unwrap_or(i64::MAX);
        let now_s = now.timestamp();
        if let Some(r) = key_stopped(&t, stops, skew) {
            return Err(Box::new((r, Some(t))));
        }
        let time = |why: String, t: TaskToken| {
            Err(Box::new((
                Refusal::TokenTime {
                    token_id: t.id.clone(),
                    why,
                },
                Some(t),
            )))
        };
        if t.exp.saturating_sub(t.nbf.min(t.iat)) > max.saturating_add(skew) {
            let why = format!(
                "it is valid for {}s, longer than this host's maximum token lifetime of {} (host.max-token-ttl)",
                t.exp.saturating_sub(t.nbf.min(t.iat)),
                crate::vocab::Span(self.config.max_token_ttl)
            );
            return time(why, t);
        }
        if now_s + skew < t.nbf {
            return time(format!("not valid before {}", fmt_time(t.nbf)), t);
        }
        if now_s - skew >= t.exp {
            return time(format!("expired at {}", fmt_time(t.exp)), t);
        }
        let revoked = Stoppable {
            token: Some(&t.id),
            ..Stoppable::default()
        };
        if let Some(r) = stopped(stops, revoked) {
            return Err(Box::new((r, Some(t))));
        }
        Ok(t)
    }

    /// Whether a call that was allowed (and perhaps held) may still run
    /// now: its token neither revoked nor expired, its agent not
    /// quarantined, the host not halted, its plugin not disabled.
    ///
    /// # Errors
    ///
    /// The [`Refusal`] that now applies.
    pub fn recheck(
        &self,
        grant: &Grant<'_>,
        stops: &StopState,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        let skew = i64::try_from(self.config.clock_skew.as_secs()).unwrap_or(0);
        if now.timestamp() - skew >= grant.token.exp {
            return Err(Refusal::TokenTime {
                token_id: grant.token.id.clone(),
                why: format!("expired at {}", fmt_time(grant.token.exp)),
            });
        }
        if let Some(r) = key_stopped(&grant.token, stops, skew) {
            return Err(r);
        }
        let all = Stoppable {
            token: Some(&grant.token.id),
            agent: Some(&grant.agent.id),
            plugin: Some(grant.plugin.id()),
        };
        stopped(stops, all).map_or(Ok(()), Err)
    }
}

/// What the stop buttons are checked against: a call's task token, its
/// agent (and with it the host's halt), its plugin — as far as known.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stoppable<'a> {
    /// The task token's id: revoked?
    pub token: Option<&'a str>,
    /// The agent: the host halted, or the agent quarantined?
    pub agent: Option<&'a str>,
    /// The plugin: disabled?
    pub plugin: Option<&'a str>,
}

impl<'a> Stoppable<'a> {
    /// An agent's calls: halt and quarantine.
    pub fn agent(agent: &'a str) -> Self {
        Self {
            agent: Some(agent),
            ..Self::default()
        }
    }
}

/// The refusal the stop buttons give `on` now, if any: revocation, halt,
/// quarantine, disable, in that order — the one place they are enforced,
/// before a call (each as its subject becomes known), after it waited for
/// an approval, on a token exchange and on the calls in flight.
pub fn stopped(s: &StopState, on: Stoppable<'_>) -> Option<Refusal> {
    if let Some(id) = on.token
        && let Some(r) = s.tokens.get(id)
    {
        return Some(Refusal::Revoked {
            token_id: id.to_owned(),
            by: r.by.clone(),
            reason: r.reason.clone(),
        });
    }
    if let Some(agent) = on.agent {
        if let Some(h) = &s.halted {
            return Some(Refusal::Halted {
                by: h.by.clone(),
                reason: h.reason.clone(),
            });
        }
        if let Some(q) = s.agents.get(agent) {
            return Some(Refusal::Quarantined {
                agent: agent.to_owned(),
                by: q.by.clone(),
                reason: q.reason.clone(),
            });
        }
    }
    let plugin = on.plugin?;
    s.plugins.get(plugin).map(|d| Refusal::PluginDisabled {
        plugin: plugin.to_owned(),
        by: d.by.clone(),
        reason: d.reason.clone(),
    })
}

/// The refusal of a token whose key was revoked, or rotated out before
/// the token was signed (give or take the allowed skew).
fn key_stopped(t: &TaskToken, s: &StopState, skew: i64) -> Option<Refusal> {
    let kid = t.kid.as_deref()?;
    if let Some(r) = s.revoked_keys.get(kid) {
        return Some(Refusal::Token(format!(
            "the token is signed by key {kid}, revoked by {}: {}",
            r.by, r.reason
        )));
    }
    let r = s.retired_keys.get(kid)?;
    (t.iat.saturating_sub(skew) > r.at / 1000).then(|| {
        Refusal::Token(format!(
            "the token is signed by key {kid} after it was rotated out at {} (by {})",
            fmt_time(r.at / 1000),
            r.by
        ))
    })
}

fn fmt_time(secs: i64) -> String {
    DateTime::<Utc>::from_timestamp(secs, 0).map_or_else(|| secs.to_string(), |t| t.to_rfc3339())
}
