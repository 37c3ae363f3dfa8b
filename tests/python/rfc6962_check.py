"""An independent check of warrant's transparency log, written from RFC 9162
(sections 2.1.1, 2.1.3.2 and 2.1.4.2) and C2SP tlog-checkpoint, sharing no
code with warrant:

  rfc6962_check.py roots AUDIT_JSONL CHECKPOINTS_JSONL
      every checkpoint note's root equals the Merkle tree hash of the
      chain's record hashes, recomputed from the definition
  rfc6962_check.py inclusion EVIDENCE_JSON
      every record's inclusion proof in its chain's checkpoint
  rfc6962_check.py consistency PROVE_JSON
      a consistency proof between two checkpoints (`warrant audit prove --from`)

Prints what it checked; exits 1 on the first failure.
"""
import base64
import hashlib
import json
import sys


def H(b):
    return hashlib.sha256(b).digest()


def leaf(record_hash_hex):
    return H(b"\x00" + bytes.fromhex(record_hash_hex))


def mth(leaves):
    """RFC 9162 2.1.1: the Merkle Tree Hash of a list of leaf hashes."""
    n = len(leaves)
    if n == 0:
        return H(b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return H(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def note(text):
    origin, size, root = text.split("\n")[:3]
    return origin, int(size), base64.b64decode(root)


def verify_inclusion(index, size, leaf_hash, proof, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = H(b"\x01" + p + r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = H(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, proof):
    if first == second:
        return not proof and first_hash == second_hash
    if first & (first - 1) == 0:
        proof = [first_hash] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    if not proof:
        return False
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = H(b"\x01" + c + fr)
            sr = H(b"\x01" + c + sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = H(b"\x01" + sr + c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    mode = sys.argv[1]
    if mode == "roots":
        hashes = [json.loads(l)["hash"] for l in open(sys.argv[2]) if l.strip()]
        leaves = [leaf(h) for h in hashes]
        n = 0
        for line in open(sys.argv[3]):
            cp = json.loads(line)
            if "note" not in cp:
                continue
            _, size, root = note(cp["note"])
            if mth(leaves[:size]) != root:
                fail(f"the note of size {size} has a root the records do not make")
            n += 1
        if n == 0:
            fail("no checkpoint note")
        print(f"roots: {n} checkpoint note(s) match the tree of {len(leaves)} records")
    elif mode == "inclusion":
        ev = json.load(open(sys.argv[2]))
        n = 0
        for chain in ev["chains"]:
            _, size, root = note(chain["checkpoint"])
            for p in chain["records"]:
                r = p["record"]
                proof = [base64.b64decode(x) for x in p["proof"]]
                if not verify_inclusion(r["seq"] - 1, size, leaf(r["hash"]), proof, root):
                    fail(f"record {r['seq']} is not included in the tree of {size}")
                n += 1
        print(f"inclusion: {n} record proof(s) verify")
    elif mode == "consistency":
        pr = json.load(open(sys.argv[2]))
        _, old, old_root = note(pr["old_checkpoint"])
        _, new, new_root = note(pr["checkpoint"])
        proof = [base64.b64decode(x) for x in pr["proof"]]
        if not verify_consistency(old, new, old_root, new_root, proof):
            fail(f"the tree of {new} does not extend the tree of {old}")
        print(f"consistency: the tree of {new} extends the tree of {old}")
    else:
        fail("mode: roots, inclusion or consistency")


if __name__ == "__main__":
    main()
