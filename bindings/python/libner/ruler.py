"""EntityRuler: the Python face of an "entity_ruler" component.

    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns([{"label": "ORG", "pattern": "Apple"},
                        {"label": "GPE", "pattern": [{"LOWER": "san"},
                                                     {"LOWER": "francisco"}]}])
    ruler = nlp.get_pipe("entity_ruler")   # e.g. the default pipeline's

A built C pipeline is immutable, so add_patterns rebuilds it (see
libner.pipeline): the new patterns join the component's inline "patterns"
config; a ruler that came from a pipeline folder keeps its folder's
patterns.jsonl and gets the new ones after them.  A failed add_patterns
(a bad pattern) raises libner.Error and leaves the pipeline as it was.
The object holds its pipeline and the component's name; it compares equal
to the name (as add_pipe's return value does for other factories).
"""

import collections.abc
import json

__all__ = ["EntityRuler"]


class EntityRuler:
    """An entity_ruler component of a Pipeline."""

    __slots__ = ("_nlp", "name")

    def __init__(self, nlp, name):
        self._nlp = nlp
        self.name = name

    factory = "entity_ruler"

    def add_patterns(self, patterns):
        """Adds patterns in spaCy's EntityRuler format (a list of dicts:
        {"label", "pattern": str or [token specs], "id"?}) or libner's
        {"label", "regex"}; rebuilds the pipeline."""
        if isinstance(patterns, (str, bytes, collections.abc.Mapping)) or \
                not isinstance(patterns, collections.abc.Iterable):
            raise TypeError("patterns must be a list of dicts")
        pats = []
        for p in patterns:
            if not isinstance(p, collections.abc.Mapping):
                raise TypeError("each pattern must be a dict, not %s"
                                % type(p).__name__)
            pats.append(json.loads(json.dumps(dict(p), ensure_ascii=False)))
        if pats:
            self._nlp._ruler_add_patterns(self.name, pats)

    @property
    def patterns(self):
        """Every pattern of the ruler: its folder's patterns.jsonl (for a
        ruler loaded from a folder), then its inline ones."""
        return self._nlp._ruler_patterns(self.name)

    @property
    def labels(self):
        """The labels of its patterns, in order of first use."""
        seen = []
        for p in self.patterns:
            if p.get("label") not in seen:
                seen.append(p.get("label"))
        return tuple(seen)

    def __len__(self):
        return len(self.patterns)

    def __contains__(self, label):
        return label in self.labels

    def __eq__(self, other):
        if isinstance(other, EntityRuler):
            return other._nlp is self._nlp and other.name == self.name
        if isinstance(other, str):
            return other == self.name
        return NotImplemented

    def __hash__(self):
        return hash(self.name)

    def __str__(self):
        return self.name

    def __repr__(self):
        return "<libner.EntityRuler %r>" % self.name
