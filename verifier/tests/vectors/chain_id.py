#!/usr/bin/env python3
"""Known answers for the chain id and genesis (docs/protocol.md §1, "Chain parameters and chain id").

Independent of the Rust code: it follows the document's encode(params) line with the `blake3`
PyPI package only. Run from this folder:  pip install blake3 && python3 chain_id.py > chain_id.json

Inputs: the parameter sets below (the test chain of verifier/tests/common, with the finality
parameters at their defaults and at other values, and the example of docs/protocol.md §13).
"""
import json
import struct

from blake3 import blake3

PARAMS = [
    {"name": "test chain", "beacon": "07" * 32, "genesis_time_ms": 1_700_000_000_000,
     "target_interval_ms": 2_000, "slot_ms": 12_000, "filter_bits": 0, "min_k": 16,
     "initial_difficulty": 2_000, "retarget_window": 16, "max_future_drift_ms": 15_000,
     "probe_bits": 0, "anchor_confirmations": 6, "finality_window": 48, "finality_depth": 32},
    {"name": "test chain", "beacon": "07" * 32, "genesis_time_ms": 1_700_000_000_000,
     "target_interval_ms": 2_000, "slot_ms": 12_000, "filter_bits": 0, "min_k": 16,
     "initial_difficulty": 2_000, "retarget_window": 16, "max_future_drift_ms": 15_000,
     "probe_bits": 0, "anchor_confirmations": 2, "finality_window": 3, "finality_depth": 4},
    {"name": "devnet-1",
     "beacon": "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
     "genesis_time_ms": 1764000000000, "target_interval_ms": 10000, "slot_ms": 60000,
     "filter_bits": 0, "min_k": 16, "initial_difficulty": 50000000, "retarget_window": 64,
     "max_future_drift_ms": 15000, "probe_bits": 6, "anchor_confirmations": 6,
     "finality_window": 48, "finality_depth": 32},
]


def encode(p: dict) -> bytes:
    name = p["name"].encode()
    return (bytes([len(name)]) + name + bytes.fromhex(p["beacon"])
            + struct.pack("<QQQ", p["genesis_time_ms"], p["target_interval_ms"], p["slot_ms"])
            + bytes([p["filter_bits"], p["min_k"]])
            + struct.pack("<QIQ", p["initial_difficulty"], p["retarget_window"],
                          p["max_future_drift_ms"])
            + bytes([p["probe_bits"]])
            + struct.pack("<III", p["anchor_confirmations"], p["finality_window"],
                          p["finality_depth"]))


def main() -> None:
    out = []
    for p in PARAMS:
        cid = blake3(b"masspoc/v1/chain" + encode(p)).digest()
        out.append({
            "params": p,
            "chain_id": cid.hex(),
            "genesis_hash": blake3(b"masspoc/v1/genesis" + cid).digest().hex(),
            "genesis_beta": blake3(b"masspoc/v1/genesis-beta" + cid).digest(length=64).hex(),
        })
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
