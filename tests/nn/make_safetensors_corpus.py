#!/usr/bin/env python3
"""Writes tests/fuzz/corpus/safetensors: valid and hostile safetensors files
for the fuzz target tests/fuzz/fuzz_safetensors.c (replayed by meson test).

  python3 tests/nn/make_safetensors_corpus.py [OUT_DIR]

Plain Python (struct, json); the output is deterministic.
"""
import json, os, struct, sys

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "fuzz", "corpus", "safetensors")
os.makedirs(out, exist_ok=True)
SIZES = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "U8": 1, "BOOL": 1, "F64": 8, "I32": 4}


def header_bytes(h, pad=True):
    b = h if isinstance(h, bytes) else json.dumps(h, separators=(",", ":")).encode()
    if pad:
        b += b" " * (-len(b) % 8)
    return b


def image(h, data=b"", pad=True, n=None):
    hb = header_bytes(h, pad)
    return struct.pack("<Q", len(hb) if n is None else n) + hb + data


def valid(tensors, meta=True):
    """tensors: [(name, dtype, shape)] -> (header dict, data) laid out in order"""
    h = {"__metadata__": {"format": "pt"}} if meta else {}
    data, off = b"", 0
    for i, (name, dt, shape) in enumerate(tensors):
        n = SIZES[dt]
        for d in shape:
            n *= d
        h[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + n]}
        data += bytes((i * 37 + k * 11) % 251 for k in range(n))
        off += n
    return h, data


cases = {}
h, d = valid([("a.weight", "F32", [2, 3]), ("a.bias", "F32", [3]), ("h", "F16", [5]),
              ("bf", "BF16", [2, 2]), ("ids", "I64", [1, 4]), ("s", "F32", []), ("z", "F32", [0, 7])])
cases["ok_mixed"] = image(h, d)
cases["ok_unaligned"] = image(h, d, pad=False)
cases["ok_empty"] = image({})
cases["ok_metadata_only"] = image({"__metadata__": {"format": "pt", "x": "y"}})
h1, d1 = valid([("w", "F32", [4, 4])], meta=False)
cases["ok_single"] = image(h1, d1)
cases["truncated_length"] = b"\x10\x00\x00"
cases["truncated_header"] = image(h, d)[:40]
cases["truncated_data"] = image(h, d)[:-3]
cases["extra_data"] = image(h, d) + b"\x00" * 5
cases["huge_n"] = struct.pack("<Q", 100000001) + b"{}"
cases["max_n"] = b"\xff" * 8 + b"{}"
cases["n_past_end"] = struct.pack("<Q", 64) + b"{}      "
cases["n_zero"] = struct.pack("<Q", 0)
cases["bad_json"] = image(b'{"a":{"dtype":"F32",', pad=False)
cases["json_array"] = image(b"[1,2,3]")
cases["json_trailing"] = image(b'{}x')
cases["json_nul"] = image(b'{"a\x00":1}')
cases["json_utf8_bad"] = image(b'{"\xff\xfe":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}')
cases["dup_key"] = image(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                         b'"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b"\0" * 4)
cases["overlap"] = image({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                          "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12)
cases["same_offsets"] = image({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                               "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4)
cases["gap"] = image({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                      "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}, b"\0" * 12)
cases["gap_at_start"] = image({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8)
cases["negative_shape"] = image({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4)
cases["huge_shape"] = image({"a": {"dtype": "F32", "shape": [2**62, 2**62], "data_offsets": [0, 4]}}, b"\0" * 4)
cases["huge_shape_bytes"] = image({"a": {"dtype": "F64", "shape": [2**61], "data_offsets": [0, 8]}}, b"\0" * 8)
cases["bigint_shape"] = image(b'{"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,4]}}', b"\0" * 4)
cases["float_shape"] = image({"a": {"dtype": "F32", "shape": [1.0], "data_offsets": [0, 4]}}, b"\0" * 4)
cases["many_dims"] = image({"a": {"dtype": "U8", "shape": [1] * 20, "data_offsets": [0, 1]}}, b"\0")
cases["wrong_dtype"] = image({"a": {"dtype": "Q4_K", "shape": [1], "data_offsets": [0, 1]}}, b"\0")
cases["dtype_not_string"] = image({"a": {"dtype": 4, "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4)
cases["size_mismatch"] = image({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8)
cases["offsets_reversed"] = image({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, b"\0" * 4)
cases["offsets_past_buffer"] = image({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8)
cases["offsets_one"] = image({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}, b"\0" * 4)
cases["offsets_negative"] = image({"a": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}, b"\0" * 4)
cases["offsets_huge"] = image({"a": {"dtype": "F32", "shape": [1], "data_offsets": [2**63 - 4, 2**63 - 1]}}, b"\0" * 4)
cases["metadata_int"] = image({"__metadata__": {"format": 1}})
cases["metadata_list"] = image({"__metadata__": ["pt"]})
cases["entry_not_object"] = image({"a": [0, 4]}, b"\0" * 4)
cases["missing_shape"] = image({"a": {"dtype": "F32", "data_offsets": [0, 4]}}, b"\0" * 4)
cases["unsupported_only"] = image(*valid([("pos", "I64", [1, 3]), ("m", "BOOL", [3])]))

for name, data in cases.items():
    with open(os.path.join(out, name + ".safetensors"), "wb") as f:
        f.write(data)
print(f"{len(cases)} files in {out}")
