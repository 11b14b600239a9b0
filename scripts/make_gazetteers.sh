#!/bin/sh
# Regenerates the name lists (gazetteers) of the default English tagger:
#
#   models/en_default/tagger/gazetteers/ORG.companies.txt
#       from the npm package @cspell/dict-companies (MIT), fetched with
#       `npm pack` into a temporary folder
#   models/en_default/tagger/gazetteers/LOC.geonames.txt
#       from the GeoNames names in ../shared/data/el/geonames_names.tsv
#       (derived from Debian's libgeonames-common; CC BY 4.0)
#
#   scripts/make_gazetteers.sh [OUT_DIR]
#
# Only this script downloads anything: the lists it writes are committed,
# and building libner or the model (scripts/build_default_model.sh) reads
# them from the repository.  The filters also read the text (never the
# labels) of the CoNLL-2003 training split, ../shared/data/conll2003/eng.train
# (or $LIBNER_SHARED_DIR/data/...).  The output is the same on every run
# for the same package version and data.
#
# The company list is a spelling dictionary: one word a line, the words
# that company names are made of ("Tesla", "Hong", "Kong", "Bank", "The"),
# not whole names.  A word says "company" only if it is not also a place,
# an ordinary word or a name part the training text has often, so the
# filters, in order, drop:
#   1. comment and blank lines;
#   2. entries of fewer than 2 characters and entries without a capital
#      letter ("and", "of", "de", "com", "university");
#   3. all-caps entries of up to 5 characters: stock tickers (AAPL, TSLA,
#      MSFT) and short acronyms that a word list cannot tell from them
#      (US, UAE, AT; BMW goes too);
#   4. place names: an entry equal to the English name of a GeoNames
#      country, region or city, or to a word of a longer one (Amsterdam,
#      Texas; Hong, Kong, Zealand, Diego): the place reading dominates news;
#   5. ordinary words: an entry whose lowercase form the training text uses
#      in lowercase (Bank, Group, Energy, New, The, Target);
#   6. frequent words: an entry the training text has 5 or more times
#      (British, Dutch, Jones, Williams, Microsoft): the tagger learns these
#      from their own occurrences, and the frequent ones are mostly
#      nationalities and surnames; the list is for the names the training
#      data does not cover.
# The place list keeps every English GeoNames name (countries, regions,
# cities) but the one-word city names whose lowercase form the training
# text uses in lowercase (Reading, Mobile, Nice, Split, Best).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/models/en_default/tagger/gazetteers}
shared=${LIBNER_SHARED_DIR:-$root/../shared}
geo=$shared/data/el/geonames_names.tsv
train=$shared/data/conll2003/eng.train
pkg=@cspell/dict-companies
version=${CSPELL_COMPANIES_VERSION:-3.2.14}

for f in "$geo" "$train"; do
    [ -r "$f" ] || { echo "make_gazetteers: $f not found" >&2; exit 1; }
done
command -v npm >/dev/null || { echo "make_gazetteers: npm is needed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$pkg@$version" >/dev/null && tar xzf ./*.tgz)
mkdir -p "$out"
python3 - "$work/package" "$geo" "$train" "$out" <<'PY'
import json
import os
import re
import sys
from collections import Counter

pkgdir, geo, train, out = sys.argv[1:5]
meta = json.load(open(os.path.join(pkgdir, "package.json")))
licence = open(os.path.join(pkgdir, "LICENSE"), encoding="utf-8").read().strip()
words = open(os.path.join(pkgdir, "dict", "companies.txt"), encoding="utf-8").read().split("\n")

# the training text: token counts and the words it uses in lowercase
freq, lower = Counter(), set()
for line in open(train, encoding="utf-8"):
    p = line.split()
    if len(p) < 4 or p[0] == "-DOCSTART-":
        continue
    freq[p[0]] += 1
    if p[0].islower():
        lower.add(p[0])

# GeoNames: English names (id, kind, name_en, other_names)
places, place_words, loc, seen = set(), set(), [], set()
with open(geo, encoding="utf-8") as f:
    next(f)
    for line in f:
        cols = line.rstrip("\n").split("\t")
        kind, name = cols[1], cols[2].strip()
        if not name:
            continue
        places.add(name)
        place_words.update(w for w in re.split(r"[\s/()\-,]+", name) if w)
        if name in seen:
            continue
        if kind == "city" and " " not in name and name.lower() in lower:
            continue
        seen.add(name)
        loc.append(name)

ticker = re.compile(r"^[A-Z0-9&.\-]+$")
kept, dropped = set(), Counter()
for w in words:
    w = w.strip()
    if not w or w.startswith("#"):
        continue
    if len(w) < 2 or not re.search(r"[A-Z]", w):
        dropped["short or no capital"] += 1
    elif len(w) <= 5 and ticker.match(w):
        dropped["ticker or short acronym"] += 1
    elif w in places or w in place_words:
        dropped["place name"] += 1
    elif w.lower() in lower:
        dropped["ordinary word"] += 1
    elif freq[w] >= 5:
        dropped["frequent in the training text"] += 1
    else:
        kept.add(w)

def comment(text):
    return "".join("#" + (" " + l if l else "") + "\n" for l in text.split("\n"))

head = comment(
    "ORG gazetteer of the default English tagger: words of company names.\n"
    "Source: the npm package %s %s (%s licence), dict/companies.txt,\n"
    "filtered by scripts/make_gazetteers.sh (see there): %d of %d entries kept\n"
    "(dropped: %s).\n"
    "One name a line; lines starting with # are comments.\n\n"
    "The package's licence:\n\n%s" % (
        meta["name"], meta["version"], meta.get("license", "?"), len(kept),
        sum(1 for w in words if w.strip() and not w.startswith("#")),
        ", ".join("%d %s" % (v, k) for k, v in sorted(dropped.items())), licence))
with open(os.path.join(out, "ORG.companies.txt"), "w", encoding="utf-8") as f:
    f.write(head + "".join(w + "\n" for w in sorted(kept)))

head = comment(
    "LOC gazetteer of the default English tagger: place names.\n"
    "Source: GeoNames (geonames.org) place names, licensed under CC BY 4.0\n"
    "(https://creativecommons.org/licenses/by/4.0/), as shipped in the Debian\n"
    "package libgeonames-common 0.3.0-1 and merged into geonames_names.tsv\n"
    "(see shared/data/SOURCES.md).  Changes: only the English names of\n"
    "countries, regions and cities are kept, without the one-word city names\n"
    "that are ordinary lowercase words in the training text; %d names.\n"
    "One name a line; lines starting with # are comments." % len(loc))
with open(os.path.join(out, "LOC.geonames.txt"), "w", encoding="utf-8") as f:
    f.write(head + "".join(w + "\n" for w in sorted(loc)))
print("ORG.companies.txt: %d names (%s %s); LOC.geonames.txt: %d names" %
      (len(kept), meta["name"], meta["version"], len(loc)))
PY
