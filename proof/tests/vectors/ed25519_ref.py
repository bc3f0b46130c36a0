"""Pure-Python edwards25519 arithmetic and ECVRF-EDWARDS25519-SHA512-TAI, for derive.py.

Written from the text of RFC 8032 section 5.1 (field, point addition in extended coordinates,
strict decoding 5.1.3, encoding 5.1.2, key generation 5.1.5) and RFC 9381 sections 5.1, 5.4.1.1,
5.4.2.2, 5.4.3 and 5.2 (prove, try-and-increment, nonce, challenge, proof_to_hash), using only
Python integers and hashlib. It never calls the Rust code. `self_check()` replays RFC 9381
Appendix B.3 example 16 so that a slip here cannot go unnoticed.
"""
import hashlib

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493


def inv(x):
    return pow(x, P - 2, P)


D = -121665 * inv(121666) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def add(a, b):
    """Point addition in extended coordinates (X, Y, Z, T), RFC 8032 section 5.1.4."""
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % P
    bb = (y1 + x1) * (y2 + x2) % P
    cc = t1 * 2 * D * t2 % P
    dd = z1 * 2 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


IDENTITY = (0, 1, 1, 0)


def mul(s, pt):
    """Double-and-add scalar multiplication."""
    q = IDENTITY
    while s > 0:
        if s & 1:
            q = add(q, pt)
        pt = add(pt, pt)
        s >>= 1
    return q


def equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def recover_x(y, sign):
    """RFC 8032 section 5.1.3 steps 1-4; None when the decoding fails."""
    if y >= P:
        return None
    x2 = (y * y - 1) * inv(D * y * y + 1) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if x & 1 != sign:
        x = P - x
    return x


def decode(s):
    """Strict decoding (rejects y >= p and x = 0 with the sign bit set): a point or None."""
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def encode(pt):
    zi = inv(pt[2])
    x, y = pt[0] * zi % P, pt[1] * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


GY = 4 * inv(5) % P
B = (recover_x(GY, 0), GY, 1, recover_x(GY, 0) * GY % P)


def small_order(pt):
    return equal(mul(8, pt), IDENTITY)


def clamp(h32):
    a = int.from_bytes(h32, "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a


def ed25519_public(seed):
    """RFC 8032 section 5.1.5: the public key of a 32-byte seed, and its (unreduced) scalar."""
    a = clamp(hashlib.sha512(seed).digest()[:32])
    return encode(mul(a, B)), a


SUITE = b"\x03"


def encode_to_curve(salt, alpha):
    """RFC 9381 section 5.4.1.1 (try-and-increment), salt = PK_string."""
    for ctr in range(256):
        h = hashlib.sha512(SUITE + b"\x01" + salt + alpha + bytes([ctr, 0])).digest()
        pt = decode(h[:32])
        if pt is not None:
            pt = mul(8, pt)
            if not equal(pt, IDENTITY):
                return pt
    raise ValueError("no point in 256 tries")


def vrf_prove(x, nonce_key, alpha):
    """RFC 9381 section 5.1 with the nonce of section 5.4.2.2: returns (pi, beta)."""
    y_str = encode(mul(x, B))
    h = encode_to_curve(y_str, alpha)
    h_str = encode(h)
    gamma = mul(x, h)
    k = int.from_bytes(hashlib.sha512(nonce_key + h_str).digest(), "little") % L
    c_hash = hashlib.sha512(SUITE + b"\x02" + y_str + h_str + encode(gamma) + encode(mul(k, B))
                            + encode(mul(k, h)) + b"\x00").digest()
    c = int.from_bytes(c_hash[:16], "little")
    s = (k + c * x) % L
    pi = encode(gamma) + c.to_bytes(16, "little") + s.to_bytes(32, "little")
    beta = hashlib.sha512(SUITE + b"\x03" + encode(mul(8, gamma)) + b"\x00").digest()
    return pi, beta


def self_check():
    """RFC 9381 Appendix B.3 example 16 (SK, PK, empty alpha, pi, beta) through this module."""
    sk = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    pk, a = ed25519_public(sk)
    assert pk.hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    pi, beta = vrf_prove(a % L, hashlib.sha512(sk).digest()[32:], b"")
    assert pi.hex() == ("8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f"
                        "26f8a57ccaed74ee1b190bed1f479d9727d2d0f9b005a6e456a35d4fb0daab12"
                        "68a1b0db10836d9826a528ca76567805")
    assert beta.hex() == ("90cf1df3b703cce59e2a35b925d411164068269d7b2d29f3301c03dd757876ff"
                          "66b71dda49d2de59d03450451af026798e8f81cd2e333de5cdf4f3e140fdd8ae")
