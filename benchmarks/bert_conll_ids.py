#!/usr/bin/env python3
"""CoNLL dev sentences as wordpiece ids for `bench_bert --eval` (entity F1 of a
model through libner's encoder alone, tokenised exactly as
../shared/peers/train_mini_bert.py tokenises them for its --check).

  /usr/bin/python3 benchmarks/bert_conll_ids.py MODEL_DIR OUT.json [SHARED_DIR]

Writes {"labels": [...], "sents": [{"ids": [...], "starts": [...], "gold": [...]}]}:
ids with [CLS]/[SEP], starts = each word's first-piece index, gold = IOB2 tags
(IOB1 converted).  The corpus stays outside the repository: write OUT under /tmp.
"""
import json, os, sys

model_dir, out = sys.argv[1], sys.argv[2]
shared = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), "..", "..", "shared")
sys.path.insert(0, os.path.join(shared, "peers"))
import make_bert as mb  # noqa: E402
import train_mini_bert as tm  # noqa: E402

vocab = mb.read_vocab(os.path.join(model_dir, "vocab.txt"))
dev = tm.read_conll(os.path.join(shared, "data", "conll2003", "eng.testa"))
sents = []
for words, tags in dev:
    ids, _, starts = tm.encode((words, tags), vocab)
    sents.append({"ids": ids, "starts": starts, "gold": tags[:len(starts)]})
with open(out, "w") as f:
    json.dump({"labels": tm.LABELS, "sents": sents}, f, separators=(",", ":"))
print(json.dumps({"out": out, "sentences": len(sents)}))
