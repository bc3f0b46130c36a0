#!/usr/bin/env python3
"""Derives the known-answer vectors of docs/proof.md independently of the Rust code.

It re-implements DESIGN.md section 1 from the text, on the PyPI `blake3` package (the reference
BLAKE3 bindings; `pip install blake3`), and writes proof_vectors.json next to this file.
Run: python3 proof/tests/vectors/derive.py   (the Rust test `known_answers` reads the JSON).
Nothing here imports or runs the Rust code.

It also writes vrf_binding_vectors.json: the VRF key bound to a farmer key (docs/vrf.md), from
RFC 8032 key generation and point arithmetic written in pure Python (ed25519_ref.py, hashlib and
integers only), read by the Rust test `vrf_binding`.
"""
import hashlib
import json
import math
import os
from blake3 import blake3
import ed25519_ref as ed


def le64(b):
    return int.from_bytes(b[:8], "little")


def le32(b):
    return int.from_bytes(b[:4], "little")


def u64le(v):
    return v.to_bytes(8, "little")


def plot_id(farmer_pk, k, seed):
    return blake3(b"masspoc/v1/plot" + farmer_pk + bytes([k]) + seed).digest()


def p_value(pid, k, x):
    stream = blake3(b"P", key=pid).digest(length=8, seek=8 * x)
    return le64(stream) & ((1 << k) - 1)


def p_all(pid, k):
    s = blake3(b"P", key=pid).digest(length=8 << k)
    mask = (1 << k) - 1
    return [int.from_bytes(s[8 * i:8 * i + 8], "little") & mask for i in range(1 << k)]


def f_value(pid, k, x, xp):
    m = b"F" + u64le(x) + u64le(xp) + bytes(47)
    assert len(m) == 64
    return le64(blake3(m, key=pid).digest()) & ((1 << k) - 1)


def probe(pid, k, challenge):
    h = blake3(b"C" + challenge, key=pid).digest()
    return le32(h[0:4]), le64(h[8:16]) & ((1 << k) - 1)


def quality(pid, challenge, x, xp):
    return blake3(b"Q" + challenge + u64le(x) + u64le(xp), key=pid).digest()


def neg_log2_q32(u_bytes):
    """docs/proof.md 'Score', step by step, in Python integers."""
    u = max(int.from_bytes(u_bytes, "big"), 1)
    n = u.bit_length()
    m = u >> (n - 64) if n >= 64 else u << (64 - n)
    frac = 0
    for _ in range(32):
        m = (m * m) >> 63
        frac <<= 1
        if m >= 1 << 64:
            frac |= 1
            m >>= 1
    return (256 << 32) - (((n - 1) << 32) | frac)


def score(u_bytes, k):
    return (neg_log2_q32(u_bytes) << 64) // (k << k)


def all_pairs(pid, k):
    """Every valid pair (x, x') by brute force over all of P: P(x) < 2^(k-1), P(x') = P(x) XOR mask."""
    ps = p_all(pid, k)
    mask = (1 << k) - 1
    by_value = {}
    for x, v in enumerate(ps):
        by_value.setdefault(v, []).append(x)
    half = 1 << (k - 1)
    return [(x, xp) for x in range(1 << k) if ps[x] < half for xp in by_value.get(ps[x] ^ mask, [])]


def window_vectors(pid, k, sets):
    """DESIGN.md section 1, probe window: a proof answers a challenge with b probe bits iff
    F(x, x') >> b == z >> b. For each (b, challenges): every pair of the window, sorted by (F, x, x'),
    and the nearest pair below and above the window (which must be refused)."""
    pairs = sorted((f_value(pid, k, x, xp), x, xp) for x, xp in all_pairs(pid, k))
    out = []
    for b, count in sets:
        for i in range(count):
            c = blake3(b"window challenge" + u64le(b) + u64le(i)).digest()
            fw, z = probe(pid, k, c)
            lo = (z >> b) << b
            hi = lo + (1 << b) - 1
            inside = [list(p) for p in pairs if lo <= p[0] <= hi]
            below = [list(p) for p in pairs if p[0] < lo][-1:]
            above = [list(p) for p in pairs if p[0] > hi][:1]
            out.append({"challenge": c.hex(), "probe_bits": b, "z": z, "filter_word": fw,
                        "first": lo, "last": hi, "pairs": inside, "outside": below + above})
    return out


def main():
    out = {"source": "proof/tests/vectors/derive.py (PyPI blake3, independent of the Rust code)", "plots": []}
    for k, pk_byte, seed_byte in [(16, 0x11, 0xA0), (20, 0x22, 0xB0)]:
        farmer_pk = bytes((pk_byte + i) % 256 for i in range(32))
        seed = bytes((seed_byte + 3 * i) % 256 for i in range(32))
        pid = plot_id(farmer_pk, k, seed)
        mask = (1 << k) - 1
        xs = [0, 1, 7, 8, 9, 12345, mask]
        pairs = [(0, 1), (3, mask), (12345, 54321 & mask)]
        challenges = [bytes(32), bytes(range(32)), blake3(b"challenge").digest()]
        entry = {
            "farmer_pk": farmer_pk.hex(), "k": k, "plot_seed": seed.hex(), "plot_id": pid.hex(),
            "p": [[x, p_value(pid, k, x)] for x in xs],
            "f": [[x, xp, f_value(pid, k, x, xp)] for x, xp in pairs],
            "probe": [[c.hex(), *probe(pid, k, c)] for c in challenges],
            "quality": [[c.hex(), x, xp, quality(pid, c, x, xp).hex()] for c in challenges for x, xp in pairs[:1]],
        }
        if k == 16:
            # A real proof: the first valid pair by x, and the first challenge (counter-derived) that asks for it.
            ps = p_all(pid, k)
            by_value = {}
            for x, v in enumerate(ps):
                by_value.setdefault(v, []).append(x)
            half = 1 << (k - 1)
            x, xp = next((x, by_value[ps[x] ^ mask][0]) for x in range(1 << k)
                         if ps[x] < half and (ps[x] ^ mask) in by_value)
            assert p_value(pid, k, x) == ps[x]
            z = f_value(pid, k, x, xp)
            i = 0
            while True:
                c = blake3(b"vector challenge" + u64le(i)).digest()
                fw, zz = probe(pid, k, c)
                if zz == z:
                    break
                i += 1
            u = quality(pid, c, x, xp)
            encoded = farmer_pk + bytes([k]) + seed + u64le(x) + u64le(xp)
            entry["valid_proof"] = {
                "challenge": c.hex(), "x": x, "x_prime": xp, "z": z, "filter_word": fw,
                "quality": u.hex(), "neg_log2_q32": neg_log2_q32(u), "score": str(score(u, k)),
                "encoded": encoded.hex(),
            }
            # Sanity: the documented log algorithm is close to the real logarithm.
            real = (256 - math.log2(int.from_bytes(u, "big"))) * 2**32
            assert abs(real - neg_log2_q32(u)) < 64
        # Probe windows (b = 2 and 4 at k = 16; b = 8 at k = 20), from a brute-force list of all pairs.
        entry["windows"] = window_vectors(pid, k, [(2, 8), (4, 8)] if k == 16 else [(8, 3)])
        out["plots"].append(entry)
    out["neg_log2_q32"] = [[h.hex(), neg_log2_q32(h)] for h in
                           [bytes(32), b"\xff" * 32, bytes([0xC0]) + bytes(31), bytes(31) + b"\x01",
                            blake3(b"q1").digest(), bytes(20) + blake3(b"q2").digest()[:12]]]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "proof_vectors.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path)
    binding_vectors()


def bound_vrf_public(farmer_pk):
    """docs/vrf.md: point_to_string(A + t*B), t = SHA-512("masspoc/v1/vrf-tweak" || farmer_pk) mod L."""
    a = ed.decode(farmer_pk)
    if a is None:
        return None, "invalid"
    if ed.small_order(a):
        return None, "small_order"
    t = int.from_bytes(hashlib.sha512(b"masspoc/v1/vrf-tweak" + farmer_pk).digest(), "little") % ed.L
    return ed.encode(ed.add(a, ed.mul(t, ed.B))), t


def binding_vectors():
    ed.self_check()
    out = {"source": "proof/tests/vectors/derive.py + ed25519_ref.py (hashlib, PyPI blake3; independent of the Rust code)",
           "farmers": [], "keys": []}
    seeds = [bytes(32), bytes([0x42] * 32), bytes(range(32)), blake3(b"binding seed").digest()]
    for seed in seeds:
        farmer_pk, a = ed.ed25519_public(seed)
        vrf_pk, t = bound_vrf_public(farmer_pk)
        x = (a + t) % ed.L
        assert ed.encode(ed.mul(x, ed.B)) == vrf_pk
        nonce_key = blake3(seed, derive_key_context="masspoc/v1/vrf-nonce").digest()
        alpha = blake3(b"binding alpha" + seed).digest()
        pi, beta = ed.vrf_prove(x, nonce_key, alpha)
        out["farmers"].append({
            "seed": seed.hex(), "farmer_pk": farmer_pk.hex(), "tweak": t.to_bytes(32, "little").hex(),
            "vrf_pk": vrf_pk.hex(), "vrf_scalar": x.to_bytes(32, "little").hex(), "nonce_key": nonce_key.hex(),
            "alpha": alpha.hex(), "pi": pi.hex(), "beta": beta.hex(),
        })
    # Keys that are not plain ed25519 public keys: a point of order 8 (refused), a mixed-order key
    # (farmer_pk + that point: accepted, its own bound key), y = p (non-canonical), y = 2 (off the curve).
    t8 = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
    assert ed.small_order(ed.decode(t8)) and not ed.equal(ed.mul(4, ed.decode(t8)), ed.IDENTITY)
    mixed = ed.encode(ed.add(ed.decode(bytes.fromhex(out["farmers"][1]["farmer_pk"])), ed.decode(t8)))
    y_is_p = (2**255 - 19).to_bytes(32, "little")
    y_is_2 = (2).to_bytes(32, "little")
    for pk in [t8, mixed, y_is_p, y_is_2]:
        vrf_pk, why = bound_vrf_public(pk)
        out["keys"].append({"farmer_pk": pk.hex(), "vrf_pk": vrf_pk.hex() if vrf_pk else None,
                            "refused": None if vrf_pk else why})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vrf_binding_vectors.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
