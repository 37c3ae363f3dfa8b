//! The tree against `tlog_tiles`' own, the witness's protocol answers, and
//! notes that carry a host's signature and a witness's cosignature.

use std::collections::HashMap;

use ed25519_dalek::SigningKey;
use tlog_tiles::{Hash, HashReader};

use super::note::{WitnessKey, add_cosignatures, open_checkpoint, origin_of_key, sign_checkpoint};
use super::tree::Frontier;
use super::witness::{Witness, WitnessError, WitnessedLog};

/// Stored hashes in memory, written as `tlog_tiles` says.
#[derive(Default)]
struct Mem(HashMap<u64, Hash>);

impl HashReader for Mem {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|i| {
                self.0
                    .get(i)
                    .copied()
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

fn tree(leaves: u64) -> (Mem, Vec<Hash>) {
    let (mut mem, mut roots) = (Mem::default(), Vec::new());
    for n in 0..leaves {
        let data = [n as u8; 32];
        let stored = tlog_tiles::stored_hashes(n, &data, &mem).unwrap();
        let base = tlog_tiles::stored_hash_index(0, n);
        for (k, h) in stored.into_iter().enumerate() {
            mem.0.insert(base + k as u64, h);
        }
        roots.push(tlog_tiles::tree_hash(n + 1, &mem).unwrap());
    }
    (mem, roots)
}

#[test]
fn the_frontier_makes_the_same_roots_as_the_stored_tree() {
    let (_, roots) = tree(70);
    let mut f = Frontier::default();
    for (n, want) in roots.iter().enumerate() {
        f.push(&[n as u8; 32]);
        assert_eq!(f.root(), *want, "size {}", n + 1);
    }
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn witness(log: &SigningKey, dir: &tempfile::TempDir) -> Witness {
    let state =
        cap_std::fs::Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority()).unwrap();
    Witness::new(
        "witness.test/w1",
        key(9),
        vec![WitnessedLog {
            origin: origin_of_key(&log.verifying_key()),
            key: log.verifying_key(),
        }],
        state,
    )
}

fn body(old: u64, proof: &[Hash], note: &str) -> String {
    use base64::Engine as _;
    let mut b = format!("old {old}\n");
    for h in proof {
        b.push_str(&base64::engine::general_purpose::STANDARD.encode(h.0));
        b.push('\n');
    }
    format!("{b}\n{note}")
}

#[test]
fn a_witness_cosigns_only_a_tree_that_extends_the_one_it_cosigned() {
    let log = key(7);
    let (mem, roots) = tree(20);
    let dir = tempfile::tempdir().unwrap();
    let w = witness(&log, &dir);
    let wk = WitnessKey {
        name: "witness.test/w1".into(),
        key: w.public_key(),
    };
    let note = |n: u64, root: Hash| sign_checkpoint(n, root, &log).unwrap();

    // First sight: old 0, no proof.
    let n8 = note(8, roots[7]);
    let cos = w.add_checkpoint(&body(0, &[], &n8), 1_700_000_000).unwrap();
    let witnessed = add_cosignatures(&n8, &cos, &wk).unwrap();
    let opened =
        open_checkpoint(&witnessed, &log.verifying_key(), std::slice::from_ref(&wk)).unwrap();
    assert_eq!((opened.size, opened.root), (8, roots[7]));
    assert_eq!(opened.witnessed_by, vec!["witness.test/w1".to_owned()]);
    // Without the witness's key the cosignature is ignored, not an error.
    let plain = open_checkpoint(&witnessed, &log.verifying_key(), &[]).unwrap();
    assert!(plain.witnessed_by.is_empty());

    // A stale old size: 409 with the size it holds.
    let n15 = note(15, roots[14]);
    assert_eq!(
        w.add_checkpoint(&body(0, &[], &n15), 1).unwrap_err(),
        WitnessError::Conflict(8)
    );
    // The extension, with its consistency proof: cosigned.
    let proof = tlog_tiles::prove_tree(15, 8, &mem).unwrap();
    w.add_checkpoint(&body(8, &proof, &n15), 2).unwrap();

    // A fork: a tree of 20 whose first 15 leaves differ. No proof from the
    // cosigned 15 verifies.
    let (fork_mem, fork_roots) = {
        let (mut mem, mut roots) = (Mem::default(), Vec::new());
        for n in 0..20u64 {
            let data = [if n == 3 { 0xee } else { n as u8 }; 32];
            let stored = tlog_tiles::stored_hashes(n, &data, &mem).unwrap();
            let base = tlog_tiles::stored_hash_index(0, n);
            for (k, h) in stored.into_iter().enumerate() {
                mem.0.insert(base + k as u64, h);
            }
            roots.push(tlog_tiles::tree_hash(n + 1, &mem).unwrap());
        }
        (mem, roots)
    };
    let fork = note(20, fork_roots[19]);
    let fork_proof = tlog_tiles::prove_tree(20, 15, &fork_mem).unwrap();
    assert_eq!(
        w.add_checkpoint(&body(15, &fork_proof, &fork), 3)
            .unwrap_err(),
        WitnessError::Inconsistent { old: 15, new: 20 }
    );
    // The same size with another root: a conflict.
    let other15 = note(15, fork_roots[14]);
    assert!(matches!(
        w.add_checkpoint(&body(15, &[], &other15), 4),
        Err(WitnessError::Conflict(15))
    ));
    // Another log's checkpoint, or one not signed by the log's key.
    let stranger = key(8);
    let theirs = sign_checkpoint(3, roots[2], &stranger).unwrap();
    assert!(matches!(
        w.add_checkpoint(&body(0, &[], &theirs), 5),
        Err(WitnessError::UnknownLog(_))
    ));
    let forged = sign_checkpoint(16, roots[15], &stranger).unwrap().replace(
        &origin_of_key(&stranger.verifying_key()),
        &origin_of_key(&log.verifying_key()),
    );
    assert!(matches!(
        w.add_checkpoint(&body(15, &[], &forged), 6),
        Err(WitnessError::NotSigned(_))
    ));
    assert_eq!(w.add_checkpoint("old 1\n", 7).unwrap_err().status(), 400);
    // The honest log goes on.
    let proof = tlog_tiles::prove_tree(20, 15, &mem).unwrap();
    w.add_checkpoint(&body(15, &proof, &note(20, roots[19])), 8)
        .unwrap();
}

#[test]
fn a_note_opens_only_under_its_hosts_key_and_origin() {
    let log = key(7);
    let (_, roots) = tree(3);
    let n = sign_checkpoint(3, roots[2], &log).unwrap();
    assert!(open_checkpoint(&n, &log.verifying_key(), &[]).is_ok());
    assert!(open_checkpoint(&n, &key(8).verifying_key(), &[]).is_err());
    let edited = n.replacen("\n3\n", "\n4\n", 1);
    assert!(open_checkpoint(&edited, &log.verifying_key(), &[]).is_err());
}
