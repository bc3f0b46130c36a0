#!/usr/bin/env python3
"""Known answers for the block body encoding and root (docs/protocol.md, "Block body").

Independent of the Rust code: it follows the document with the `blake3` PyPI package only.
Run from this folder:  pip install blake3 && python3 body.py > body.json

Inputs: body_evidence.txt holds two canonical evidence encodings (764 bytes each, hex, one a
line): equivocations of two test farmers of verifier/tests/common at height 1. They are only
inputs here; the script derives their ids, the sorted body encodings and the roots.
"""
import json
import struct

from blake3 import blake3

BODY_TAG = b"masspoc/v1/body"
EVIDENCE_TAG = b"masspoc/v1/evidence"
EVIDENCE_LEN = 764


def evidence_id(enc: bytes) -> bytes:
    return blake3(EVIDENCE_TAG + enc).digest()


def encode(evidence: list, payload: bytes) -> bytes:
    # u16le(n) || evidence sorted by id ascending || u32le(len) || payload
    ordered = sorted(evidence, key=evidence_id)
    out = struct.pack("<H", len(ordered))
    for e in ordered:
        assert len(e) == EVIDENCE_LEN
        out += e
    return out + struct.pack("<I", len(payload)) + payload


def root(enc: bytes) -> bytes:
    return blake3(BODY_TAG + enc).digest()


def main() -> None:
    with open("body_evidence.txt") as f:
        ev = [bytes.fromhex(line.strip()) for line in f if line.strip()]
    cases = [
        ("empty", [], b""),
        ("payload only", [], b"masspoc payload"),
        ("one evidence", [0], b""),
        ("two evidence given out of order", [1, 0], b"\x01\x02\x03"),
    ]
    out = {
        "evidence_ids": [evidence_id(e).hex() for e in ev],
        "cases": [],
    }
    for name, idx, payload in cases:
        enc = encode([ev[i] for i in idx], payload)
        out["cases"].append(
            {
                "name": name,
                "evidence_inputs": idx,
                "payload_hex": payload.hex(),
                "encoding_hex": enc.hex(),
                "root_hex": root(enc).hex(),
            }
        )
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
