#!/usr/bin/env python3
"""Turns the AIDA CoNLL-YAGO files of ../shared/data/el into what libner's
KB tools read.

    aida_prepare.py SHARED_DATA_DIR OUT_DIR

Writes, in OUT_DIR:
  entities.jsonl  one entity per Wikipedia title of the TRAIN alias table:
                  {"id": title, "name": title with spaces, "type": the CoNLL
                  label most of its train mentions carry, "frequency": train
                  mentions}
  aliases.tsv     alias<TAB>entity_id<TAB>prior, from aida_train_alias_table.tsv
                  (priors as given: count / all mentions of the alias, NIL
                  included)
  train.jsonl     one CoNLL document a line: {"text": tokens joined by spaces,
  dev.jsonl       sentences by "\\n", "entities": [[start, end, label, kb_id]]}
                  (code points; label: the CoNLL gold label of the mention's
                  first token, "" for O; kb_id null for --NME--)

Only the train split feeds the KB; dev (testa) is only read for its texts and
gold mentions.
"""
import collections
import csv
import json
import os
import sys

csv.field_size_limit(1 << 30)


def read_conll(path):
    """Documents as lists of sentences of (token, label)."""
    docs, doc, sent = [], None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("-DOCSTART-"):
                if sent:
                    doc.append(sent)
                    sent = []
                doc = []
                docs.append(doc)
                continue
            if not line.strip():
                if sent:
                    doc.append(sent)
                    sent = []
                continue
            cols = line.split(" ")
            sent.append((cols[0], cols[-1]))
    if sent:
        doc.append(sent)
    return docs


def doc_text(doc):
    """Text and per-token (start, end, label) in code points."""
    parts, toks, pos = [], [], 0
    for si, sent in enumerate(doc):
        if si:
            parts.append("\n")
            pos += 1
        for ti, (tok, lab) in enumerate(sent):
            if ti:
                parts.append(" ")
                pos += 1
            toks.append((pos, pos + len(tok), lab))
            parts.append(tok)
            pos += len(tok)
    return "".join(parts), toks


def read_mentions(path):
    by_doc = collections.defaultdict(list)
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            by_doc[int(r["doc"])].append(r)
    return by_doc


def label_of(lab):
    return "" if lab == "O" else lab.split("-", 1)[1]


def write_docs(conll, mentions, out):
    docs = read_conll(conll)
    by_doc = read_mentions(mentions)
    types = collections.defaultdict(collections.Counter)
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        for di, doc in enumerate(docs):
            text, toks = doc_text(doc)
            ents = []
            for m in by_doc.get(di, []):
                a, b = int(m["doc_tok_start"]), int(m["doc_tok_end"])
                s, e = toks[a][0], toks[b - 1][1]
                title = m["wikipedia_title"]
                gold = None if title == "--NME--" else title
                lab = label_of(toks[a][2])
                ents.append([s, e, lab, gold])
                if gold and lab:
                    types[gold][lab] += 1
                n += 1
            f.write(json.dumps({"text": text, "entities": ents},
                               ensure_ascii=False) + "\n")
    return types, n


def main():
    data, out = sys.argv[1], sys.argv[2]
    el = os.path.join(data, "el")
    os.makedirs(out, exist_ok=True)
    types, ntrain = write_docs(os.path.join(data, "conll2003", "eng.train"),
                               os.path.join(el, "aida_train_mentions.tsv"),
                               os.path.join(out, "train.jsonl"))
    _, ndev = write_docs(os.path.join(data, "conll2003", "eng.testa"),
                         os.path.join(el, "aida_testa_mentions.tsv"),
                         os.path.join(out, "dev.jsonl"))
    freq = collections.Counter()
    rows = []
    with open(os.path.join(el, "aida_train_alias_table.tsv"), encoding="utf-8",
              newline="") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows.append((r["alias"], r["wikipedia_title"], r["prior"]))
            freq[r["wikipedia_title"]] += int(r["count"])
    with open(os.path.join(out, "entities.jsonl"), "w", encoding="utf-8") as f:
        for title in sorted(freq):
            t = types.get(title)
            f.write(json.dumps({"id": title, "name": title.replace("_", " "),
                                "type": t.most_common(1)[0][0] if t else None,
                                "frequency": freq[title]},
                               ensure_ascii=False) + "\n")
    with open(os.path.join(out, "aliases.tsv"), "w", encoding="utf-8") as f:
        f.write("alias\tentity_id\tprior\n")
        for alias, title, prior in rows:
            f.write("%s\t%s\t%s\n" % (alias, title, prior))
    print("aida_prepare: %d entities, %d alias rows, %d train and %d dev mentions"
          % (len(freq), len(rows), ntrain, ndev), file=sys.stderr)


if __name__ == "__main__":
    main()
