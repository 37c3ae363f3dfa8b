//! The demo's rules: a release signed by the example governors. On first
//! run (and whenever the example config changes) the walkthrough shows the
//! loop a real change takes — review (diff), sign (each governor), apply.

use std::path::PathBuf;

use crate::HostConfig;

use crate::config::create_state_dir_governor_keys;
use crate::operator::rules::RulesDesk;
use crate::vocab::safe;

/// Put the release the example config makes in force, signed by the demo's
/// example governors, showing each step; or say which is in force.
pub(super) async fn in_force(config: &HostConfig) -> anyhow::Result<()> {
    let governors: Vec<(String, PathBuf)> = create_state_dir_governor_keys(&config.path)?;
    let mut desk = RulesDesk::open(&config.path)?;
    // The rules as the demo means them (`--authors` enables the examples it
    // built), not only as the file says.
    desk.files = config.clone();
    let keeper = desk.keeper()?;
    let c = keeper.candidate(&desk.files).await?;
    if let Some(cur) = c.current.as_ref().filter(|_| c.unchanged) {
        out!(
            "   the rules in force: {} — signed releases; `warrant config status` says by whom",
            cur.reference()
        );
        return Ok(());
    }
    out!(
        "   the rules in {} become release {} ({}); review — `warrant config diff`:",
        config.path.display(),
        c.release.version,
        &c.release.digest()[..19]
    );
    for change in c.diff.changes.iter().take(12) {
        out!(
            "     {} {}",
            if change.narrows { "-" } else { "+" },
            safe(change.text.lines().next().unwrap_or_default())
        );
    }
    if governors.is_empty() {
        out!(
            "   no example governor keys in the state directory: sign it with `warrant config sign`"
        );
        return Ok(());
    }
    for (name, key) in &governors {
        let file = crate::keys::read_key_file(key)?;
        let (now, _) = keeper.sign(&desk.files, &file).await?;
        out!(
            "   sign — {name} (`warrant config sign --key {}`): {} of {} signatures",
            key.display(),
            now.signers.len(),
            now.needed
        );
    }
    let r = keeper.apply(&desk.files, &[], "apply").await?;
    out!(
        "   apply — `warrant config apply`: {r} is in force; the audit chain records it with both signatures"
    );
    Ok(())
}
