#!/usr/bin/env python3
"""The exported set of libner.so is exactly the NER_API functions of the
public headers (every include/ner/*.h), all named ner_*, all under the NER_0.1 version node."""
import glob
import os
import re
import subprocess
import sys


lib, include_dir = sys.argv[1:3]
headers = sorted(glob.glob(os.path.join(include_dir, "ner", "*.h")))
out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                     capture_output=True, text=True).stdout
exported = {}
for line in out.splitlines():
    parts = line.split()
    if len(parts) < 3:
        continue
    name = parts[2]
    base, _, version = name.partition("@")
    if base == "NER_0.1":  # the version node itself
        continue
    exported[base] = version.lstrip("@")

declared = set()
for h in headers:
    text = open(h, encoding="utf-8").read()
    declared |= set(re.findall(r"NER_API\s[^;(]*?\b(ner_\w+)\s*\(", text))

bad = []
for name, version in sorted(exported.items()):
    if not name.startswith("ner_"):
        bad.append(f"exported symbol outside the ner_ namespace: {name}")
    elif name not in declared:
        bad.append(f"exported but not declared NER_API in a public header: {name}")
    if version != "NER_0.1":
        bad.append(f"{name} has version node '{version}', expected NER_0.1")
for name in sorted(declared - set(exported)):
    bad.append(f"declared NER_API but not exported: {name}")
if len(declared) < 50:
    bad.append(f"only {len(declared)} NER_API declarations found: the header scan is broken")
for b in bad:
    print(b)
print(f"{len(exported)} exported, {len(declared)} declared, {len(bad)} problems")
sys.exit(1 if bad else 0)
