#!/usr/bin/env python3
"""`ner render` and `ner evaluate --html`, opened in headless Chromium: the
DOM Chromium builds must have the marks where the entities are.  Screenshots
go to $RENDER_OUT_DIR (the build's tests/tools) for people to look at."""
import json
import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser

import pytest

NER = os.environ.get("NER_EXE", "ner")
OUT_DIR = os.environ.get("RENDER_OUT_DIR") or tempfile.gettempdir()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync"]

TEXTS = [
    "Elon Musk sold $4 billion of Tesla stock on January 15, 2025.",
    'Zoë <b>&amp;</b> "Marie Curie" met José in Zürich — mail a.b@example.com '
    "or see www.example.org 😀 café",
    "Ange\u0301la Merkel visited Paris & Berlin with Barack Obama.",
    # a raw CR would reach the DOM as LF: the page writes it as &#13;
    "line one with Angela Merkel\r\n\tand Emmanuel Macron in Lyon <script>x</script>\x01",
]


def ner(args, stdin=None):
    p = subprocess.run([NER] + args, input=stdin, capture_output=True, timeout=300)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


# ------------------------------------------------------------------ DOM

VOID = {"meta", "br", "img", "link", "hr", "input", "wbr", "col", "area", "base",
        "source", "track", "embed", "param"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def cls(self):
        return (self.attrs.get("class") or "").split()

    def text(self, skip=lambda n: False):
        out = []
        for c in self.children:
            if isinstance(c, str):
                out.append(c)
            elif not skip(c):
                out.append(c.text(skip))
        return "".join(out)

    def find_all(self, pred):
        for c in self.children:
            if isinstance(c, Node):
                if pred(c):
                    yield c
                yield from c.find_all(pred)


class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.cur = Node("#root", {}, None)

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(html):
    b = TreeBuilder()
    b.feed(html)
    b.close()
    return b.root


def by_class(name):
    return lambda n: name in n.cls()


def is_label(n):
    return "label" in n.cls()


# ------------------------------------------------------------- Chromium

def chromium(page, tmp, what, shot=None):
    """The DOM of page after Chromium parsed it (--dump-dom), and a
    screenshot to shot when given."""
    if not CHROMIUM:
        pytest.skip("chromium is not installed (apt-get install chromium; "
                    "scripts/deps.sh installs it)")
    url = "file://" + os.path.abspath(page)
    profile = tempfile.mkdtemp(prefix=f"chromium-{what}-", dir=tmp)
    base = [CHROMIUM] + CHROME_FLAGS + [f"--user-data-dir={profile}"]
    p = subprocess.run(base + ["--dump-dom", url], capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")[-2000:]
    # bytes, decoded by hand: text mode would turn a CR into LF
    dom = p.stdout.decode("utf-8")
    assert "<body>" in dom, dom[:500]
    if shot:
        profile2 = tempfile.mkdtemp(prefix=f"chromium-{what}-shot-", dir=tmp)
        s = subprocess.run([CHROMIUM] + CHROME_FLAGS + [f"--user-data-dir={profile2}",
                            f"--screenshot={shot}", "--window-size=1200,1600", url],
                           capture_output=True, timeout=60)
        assert s.returncode == 0, s.stderr.decode("utf-8", "replace")[-2000:]
        with open(shot, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", shot
        print(f"\nscreenshot of {what}: {shot}")
    return parse(dom)


# ------------------------------------------------------------------ render

def check_doc_section(sec, rec):
    """The marks of a rendered doc against the record it was made from."""
    text = rec["text"]
    body = next(sec.find_all(by_class("text")))
    assert body.text(skip=is_label) == text
    marks = list(body.find_all(lambda n: n.tag == "mark" and "ent" in n.cls()))
    ents = rec.get("ents", [])
    assert len(marks) == len(ents), (len(marks), ents)
    for m, e in zip(marks, sorted(ents, key=lambda e: e["start"])):
        s, t = int(m.attrs["data-start"]), int(m.attrs["data-end"])
        assert (s, t, m.attrs["data-label"]) == (e["start"], e["end"], e["label"])
        assert m.text(skip=is_label) == text[s:t] == e["text"]
        label = next(m.find_all(is_label))
        assert label.text() == e["label"]
        title = m.attrs["title"]
        assert title.startswith(e["label"]), title
        if "score" in e:
            assert f" {e['score']:.2f}" in title, title
        if e.get("kb_id"):
            assert title.endswith(f" kb:{e['kb_id']}"), title
    for name, spans in (rec.get("spans") or {}).items():
        groups = [g for g in sec.find_all(by_class("group"))
                  if g.attrs.get("data-group") == name]
        if not spans:
            continue
        assert len(groups) == 1, name
        gtext = next(groups[0].find_all(by_class("gtext")))
        assert gtext.text() == text   # bars hold no text
        pieces = {}
        for seg in gtext.find_all(by_class("seg")):
            for bar in seg.find_all(by_class("bar")):
                key = (int(bar.attrs["data-start"]), int(bar.attrs["data-end"]),
                       bar.attrs["data-label"])
                pieces.setdefault(key, []).append(seg.text())
        want = {(s["start"], s["end"], s["label"]) for s in spans}
        assert set(pieces) == want, (pieces, want)
        for (s, t, _), segs in pieces.items():
            assert "".join(segs) == text[s:t]


def test_render_run_output(tmp_path):
    inp = tmp_path / "docs.jsonl"
    inp.write_text("".join(json.dumps({"id": i, "text": t}) + "\n"
                           for i, t in enumerate(TEXTS)), encoding="utf-8")
    runs = tmp_path / "run.jsonl"
    rc, _, err = ner(["run", "--spans", "--input-format", "jsonl", "--input", str(inp),
                      "--output", str(runs)])
    assert rc == 0, err
    recs = [json.loads(l) for l in runs.read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in recs] == TEXTS
    assert sum(len(r["ents"]) for r in recs) >= 6, recs   # something to look at
    # a hand-made record: a linked entity, an overlapping span group, and the
    # training format's "entities"
    extra = [
        {"text": "Douglas Adams wrote it.",
         "ents": [{"start": 0, "end": 13, "label": "PER", "text": "Douglas Adams",
                   "score": 0.97, "kb_id": "Q42", "kb_score": 0.9}],
         "spans": {"cands": [{"start": 0, "end": 7, "label": "PER"},
                             {"start": 0, "end": 13, "label": "PER"},
                             {"start": 8, "end": 22, "label": "X<&>"}]}},
        {"text": "Tom & Jerry 😀 <i>", "entities": [[0, 3, "PER"], [6, 11, "PER"],
                                                  [14, 17, "TAG"]]},
    ]
    with open(runs, "a", encoding="utf-8") as f:
        for r in extra:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    extra[1]["ents"] = [{"start": s, "end": e, "label": l, "text": extra[1]["text"][s:e]}
                        for s, e, l in extra[1]["entities"]]
    recs += extra
    page = tmp_path / "page.html"
    rc, _, err = ner(["render", "--input", str(runs), "--output", str(page)])
    assert rc == 0, err
    raw = page.read_text(encoding="utf-8")
    assert "<script>" not in raw and "<b>" not in raw and "<i>" not in raw
    assert "http" not in raw.split("<body>")[0]   # nothing fetched

    root = chromium(page, tmp_path, "render", os.path.join(OUT_DIR, "render.png"))
    assert not list(root.find_all(lambda n: n.tag in ("b", "i", "script")))
    secs = list(root.find_all(lambda n: n.tag == "section" and "doc" in n.cls()))
    assert [int(s.attrs["data-line"]) for s in secs] == list(range(1, len(recs) + 1))
    for sec, rec in zip(secs, recs):
        check_doc_section(sec, rec)
    titles = [m.attrs["title"] for m in root.find_all(lambda n: n.tag == "mark")]
    assert "PER 0.97 kb:Q42" in titles
    # one colour per label: the same label always gets the same background
    colours = {}
    for m in root.find_all(lambda n: n.tag == "mark"):
        colours.setdefault(m.attrs["data-label"], set()).add(m.attrs["style"])
    assert all(len(c) == 1 for c in colours.values()), colours
    legend = next(root.find_all(by_class("legend")))
    assert {s.attrs["data-label"] for s in legend.find_all(lambda n: n.tag == "span")} \
        == set(colours)


def test_render_runs_the_pipeline(tmp_path):
    """Lines with only "text" go through the pipeline, span groups included:
    the same marks as `ner run` finds."""
    text = "Angela Merkel met Barack Obama in Berlin; write to x@y.com <3"
    rc, out, err = ner(["run", "--spans"], stdin=text.encode())
    assert rc == 0, err
    want = json.loads(out)
    page = tmp_path / "p.html"
    rc, _, err = ner(["render", "--output", str(page)],
                     stdin=(json.dumps({"text": text}) + "\n").encode())
    assert rc == 0, err
    root = chromium(page, tmp_path, "render-pipeline")
    sec = next(root.find_all(lambda n: n.tag == "section"))
    check_doc_section(sec, want)
    assert want["spans"].get("ruler"), want   # the e-mail rule's group is drawn


def test_render_bad_input():
    """Bad lines are named on stderr and shown in the page; good ones still
    render; no chromium needed."""
    lines = [
        '{"text": "ab", "ents": [{"start": 0, "end": 3, "label": "X"}]}',
        # byte offsets by mistake: "Li" is bytes [5, 7), code points [4, 6)
        '{"text": "Zoë Lin", "ents": [{"start": 5, "end": 7, "label": "PER", "text": "Li"}]}',
        '{"text": "abcd", "ents": [[0, 2, "A"], [1, 3, "B"]]}',
        'not json',
        '{"line": 5, "error": "line 5: no \\"text\\" string field"}',
        '{"text": "fine <ok>", "ents": []}',
    ]
    rc, out, err = ner(["render"], stdin=("\n".join(lines) + "\n").encode())
    assert rc == 1, err
    assert "line 1:" in err and "[0, 3)" in err and "2 code points" in err, err
    assert "line 2:" in err and "code points, not bytes" in err, err
    assert "line 3:" in err and "overlap" in err, err
    assert "line 4:" in err and "malformed JSON" in err, err
    root = parse(out)
    errs = {int(s.attrs["data-line"]) for s in root.find_all(by_class("error"))
            if s.tag == "section"}
    assert errs == {1, 2, 3, 4, 5}, errs
    good = [s for s in root.find_all(by_class("doc")) if "error" not in s.cls()]
    assert len(good) == 1 and next(good[0].find_all(by_class("text"))).text() == "fine <ok>"
    rc, _, err = ner(["render", "--bogus", "x"])
    assert rc == 2 and "--bogus" in err


# --------------------------------------------------------------- evaluate

# One of each error category, predicted by an entity ruler:
#   Alice Smith PER       right                   New York LOC  right
#   Bob PER  (gold Bob Jones PER)      boundary
#   Paris ORG (gold Paris LOC)         type
#   Monday DATE (no gold)              spurious
#   Ängel PER (gold Ängel & Co ORG)    boundary_type
#   Zoë Weiß PER (no prediction)       missing
DOCS = [
    ('Alice Smith met Bob Jones in Paris on Monday "<&>".',
     [("Alice Smith", "PER"), ("Bob Jones", "PER"), ("Paris", "LOC")]),
    ("Ängel & Co hired Zoë Weiß in New York 😀.",
     [("Ängel & Co", "ORG"), ("Zoë Weiß", "PER"), ("New York", "LOC")]),
]
PATTERNS = [{"label": "PER", "pattern": "Alice Smith"}, {"label": "PER", "pattern": "Bob"},
            {"label": "ORG", "pattern": "Paris"}, {"label": "DATE", "pattern": "Monday"},
            {"label": "PER", "pattern": "Ängel"}, {"label": "LOC", "pattern": "New York"}]


def span(doc, sub, label):
    s = DOCS[doc][0].index(sub)
    return (label, s, s + len(sub), sub)


EXPECT_EXAMPLES = {
    "boundary": (span(0, "Bob Jones", "PER"), span(0, "Bob", "PER")),
    "type": (span(0, "Paris", "LOC"), span(0, "Paris", "ORG")),
    "spurious": (None, span(0, "Monday", "DATE")),
    "boundary_type": (span(1, "Ängel & Co", "ORG"), span(1, "Ängel", "PER")),
    "missing": (span(1, "Zoë Weiß", "PER"), None),
}
# label: P, R, F1, tp, fp, fn
EXPECT_TABLE = {
    "PER": (1 / 3, 1 / 3, 1 / 3, 1, 2, 2),
    "LOC": (1.0, 0.5, 2 / 3, 1, 0, 1),
    "ORG": (0.0, 0.0, 0.0, 0, 1, 1),
    "DATE": (0.0, 0.0, 0.0, 0, 1, 0),
    "(micro)": (1 / 3, 1 / 3, 1 / 3, 2, 4, 4),
}
EXPECT_CONFUSION = {("PER", "PER"): 2, ("LOC", "LOC"): 1, ("LOC", "ORG"): 1,
                    ("ORG", "PER"): 1, ("O", "DATE"): 1, ("PER", "O"): 1}


def make_eval_files(tmp):
    model = tmp / "ruler-model"
    model.mkdir()
    (model / "pipeline.json").write_text(json.dumps({
        "lang": "en", "labels": ["PER", "ORG", "LOC", "DATE"],
        "components": [
            {"name": "tokenizer", "factory": "tokenizer", "config": {"lang": "en"}},
            {"name": "entity_ruler", "factory": "entity_ruler",
             "config": {"patterns": PATTERNS}}]}, ensure_ascii=False), encoding="utf-8")
    gold = tmp / "gold.jsonl"
    with open(gold, "w", encoding="utf-8") as f:
        for text, ents in DOCS:
            es = [[text.index(t), text.index(t) + len(t), l] for t, l in ents]
            f.write(json.dumps({"text": text, "entities": es}, ensure_ascii=False) + "\n")
    return model, gold


def mark_of(cell):
    marks = list(cell.find_all(lambda n: n.tag == "mark"))
    assert len(marks) <= 1
    if not marks:
        return None
    m = marks[0]
    return (m.attrs["data-label"], int(m.attrs["data-start"]), int(m.attrs["data-end"]),
            m.text(skip=is_label))


def test_evaluate_html(tmp_path):
    model, gold = make_eval_files(tmp_path)
    report = tmp_path / "report.html"
    rc, out, err = ner(["evaluate", "--model", str(model), "--data", str(gold),
                        "--json", "--html", str(report)])
    assert rc == 0, err
    js = json.loads(out)
    assert js["errors"] == {k: 1 for k in EXPECT_EXAMPLES}, js["errors"]

    root = chromium(report, tmp_path, "evaluate", os.path.join(OUT_DIR, "report.png"))
    table = next(root.find_all(lambda n: n.attrs.get("id") == "per-label"))
    rows = {}
    for tr in table.find_all(lambda n: n.tag == "tr" and "data-label" in n.attrs):
        cells = {td.attrs["data-k"]: td.text() for td in tr.find_all(
            lambda n: n.tag == "td" and "data-k" in n.attrs)}
        rows[tr.attrs["data-label"]] = cells
    assert set(rows) == set(EXPECT_TABLE), rows
    for label, (p, r, f, tp, fp, fn) in EXPECT_TABLE.items():
        c = rows[label]
        assert [float(c[k]) for k in "prf"] == pytest.approx([p, r, f], abs=6e-5), (label, c)
        assert [int(c[k]) for k in ("tp", "fp", "fn")] == [tp, fp, fn], (label, c)

    conf = next(root.find_all(lambda n: n.attrs.get("id") == "confusion"))
    cells = {(td.attrs["data-gold"], td.attrs["data-pred"]): int(td.text())
             for td in conf.find_all(lambda n: n.tag == "td")}
    nonzero = {k: v for k, v in cells.items() if v}
    assert nonzero == EXPECT_CONFUSION, nonzero

    counts = next(root.find_all(lambda n: n.attrs.get("id") == "error-counts"))
    got = {tr.attrs["data-category"]: int(next(tr.find_all(lambda n: n.tag == "td")).text())
           for tr in counts.find_all(lambda n: n.tag == "tr")}
    assert got == {k: 1 for k in EXPECT_EXAMPLES}, got
    for sec in root.find_all(lambda n: n.tag == "section" and "cat" in n.cls()):
        cat = sec.attrs["data-category"]
        exs = list(sec.find_all(by_class("example")))
        assert len(exs) == 1, cat
        g = next(exs[0].find_all(by_class("gold")))
        p = next(exs[0].find_all(by_class("pred")))
        assert (mark_of(g), mark_of(p)) == EXPECT_EXAMPLES[cat], cat
        # gold and predicted side by side over the same context
        assert g.text(skip=lambda n: is_label(n) or "none" in n.cls()) == \
            p.text(skip=lambda n: is_label(n) or "none" in n.cls())
        doc = DOCS[int(exs[0].attrs["data-doc"])][0]
        ctx = g.text(skip=lambda n: is_label(n) or "none" in n.cls())
        assert ctx in doc
        # the excerpt is cut between words, not inside one
        at = doc.find(ctx)
        assert at == 0 or doc[at - 1].isspace(), (cat, ctx)
        assert at + len(ctx) == len(doc) or doc[at + len(ctx)].isspace(), (cat, ctx)
