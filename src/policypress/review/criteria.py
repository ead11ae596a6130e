"""Criteria compared as a tree by content, as a reviewer reads them.

Numbers are what providers cite, but they are positions, not identities: inserting
I.E.1.b renumbers I.E.1.b-d. So criteria are paired by their words first — identical
words where they survive (when several criteria read the same, e.g. "One of the
following:", the one whose sub-criteria and parent match best), then similar words
(helped by the parent and sub-criteria already paired), then what is left at the same
number under the same parent (a criterion rewritten in place). What stays unpaired was
inserted or deleted. A paired criterion whose parent changed, or that left its order
among its siblings (outside the longest run that kept its order), *moved*; one whose
number changed only because of others was *renumbered*. Every old number that now
names another criterion is listed as an ``AnchorShift``: ``#criterion-I-E-1-c`` in a
denial letter or another page lands somewhere else.
"""

from __future__ import annotations

import difflib
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from policypress.model.numbering import criterion_anchor
from policypress.model.policy import Criterion
from policypress.model.rules import worded_logic
from policypress.model.targets import iter_numbered_criteria
from policypress.review.quantities import ThresholdChange, threshold_changes
from policypress.review.text import PARAGRAPH_MATCH_RATIO, TextChange, Texts, similarity, source_text

COVERED = frozenset({"medically_necessary"})
NOT_COVERED = frozenset({"not_medically_necessary", "investigational"})

CriterionChangeKind = Literal["added", "removed", "changed", "moved", "renumbered"]

SHORT_WORDS = 12
"""Words of a criterion quoted where a report names it (anchor tables, warnings)."""


@dataclass(frozen=True)
class CriterionChange:
    """One criterion inserted, deleted, edited, moved or renumbered.

    ``number`` is the head number (the base number for a removed criterion); ``old_number``
    the base number of a paired criterion. ``changed`` means its words, determination or
    logic changed (it may also have moved: ``moved``); ``moved`` and ``renumbered`` mean
    only its place or number changed.
    """

    number: str
    change: CriterionChangeKind
    old_determination: str | None
    new_determination: str | None
    text: TextChange | None
    """The text as added/removed, or its redline; ``None`` when the words stayed."""
    old_requires: str | int | None = None
    new_requires: str | int | None = None
    """How the sub-criteria combine (``all``, ``one``, ``each``, or at least N), before and after: the
    ``requires`` field, or what the criterion's words say when it has none."""
    old_number: str | None = None
    moved: bool = False
    """Placed under another parent, or out of its order among its siblings."""
    old_parent: str | None = None
    new_parent: str | None = None
    """The parent criteria's numbers (``None``: top level), for a moved or added criterion."""
    after: str | None = None
    """The head number of the criterion just before it under the same parent (``None``: first)."""
    swapped_with: str | None = None
    """The head number of the sibling it traded places with."""
    thresholds: tuple[ThresholdChange, ...] = ()
    sub_criteria: int = 0
    """How many criteria sit under it (for an added, removed or moved criterion)."""

    @property
    def renumbered(self) -> bool:
        return self.old_number is not None and self.old_number != self.number

    @property
    def requires_changed(self) -> bool:
        """The sub-criteria combine otherwise (both sides say how: a first sub-list is not a change of logic)."""
        known = self.old_requires is not None and self.new_requires is not None
        return self.old_number is not None and known and self.old_requires != self.new_requires

    @property
    def determination_changed(self) -> bool:
        return self.old_number is not None and self.old_determination != self.new_determination

    @property
    def direction(self) -> str | None:
        """``coverage expanded`` / ``coverage restricted`` when the determination crosses the line."""
        if not self.determination_changed:
            return None
        if self.old_determination in NOT_COVERED and self.new_determination in COVERED:
            return "coverage expanded"
        if self.old_determination in COVERED and self.new_determination in NOT_COVERED:
            return "coverage restricted"
        return None


@dataclass(frozen=True)
class AnchorShift:
    """An old criterion number that now lands elsewhere: what it named, where that went, what it names now."""

    number: str
    anchor: str
    was: str
    """The first words of the criterion it named."""
    now_at: str | None
    """Where that criterion is now (``None``: deleted)."""
    now: str | None
    """The first words of the criterion the number names now (``None``: no criterion has it)."""
    now_was: str | None = None
    """The base number of the criterion the number names now (``None``: inserted)."""


@dataclass(frozen=True)
class CriteriaDiff:
    changes: tuple[CriterionChange, ...]
    shifts: tuple[AnchorShift, ...]
    renumbering: dict[str, str]
    """Base number -> head number, for every paired criterion whose number changed."""


@dataclass(frozen=True)
class _Node:
    number: str
    criterion: Criterion
    parent: int | None
    words: str
    """The criterion's own words and notes, as compared (citations as keys)."""
    below: tuple[int, ...]
    """Indexes of its direct sub-criteria."""
    size: int
    """How many criteria sit under it, at any depth."""


def _nodes(criteria: tuple[Criterion, ...]) -> list[_Node]:
    flat = list(iter_numbered_criteria(criteria))
    index_of = {number: i for i, (number, _, _) in enumerate(flat)}
    parents = [index_of.get(number.rpartition(".")[0]) if "." in number else None for number, _, _ in flat]
    below: list[list[int]] = [[] for _ in flat]
    sizes = [0] * len(flat)
    for i, parent in enumerate(parents):
        if parent is not None:
            below[parent].append(i)
    for i in reversed(range(len(flat))):  # children come after their parent in page order
        parent = parents[i]
        if parent is not None:
            sizes[parent] += 1 + sizes[i]
    return [
        _Node(number, criterion, parents[i], own_words(criterion), tuple(below[i]), sizes[i])
        for i, (number, criterion, _path) in enumerate(flat)
    ]


def own_words(criterion: Criterion) -> str:
    """A criterion's own text and the notes after its sub-list, as compared."""
    return source_text(" ".join((criterion.text, *criterion.notes)))


def logic(criterion: Criterion) -> str | int | None:
    """How a criterion's sub-criteria combine: its ``requires``, else what its words say."""
    if criterion.requires is not None:
        return criterion.requires
    return worded_logic(criterion.text) if criterion.criteria else None


class _Matching:
    """Base index <-> head index, built in passes of decreasing certainty."""

    def __init__(self, old: list[_Node], new: list[_Node]) -> None:
        self.old, self.new = old, new
        self.forward: dict[int, int] = {}
        self.backward: dict[int, int] = {}

    def pair(self, i: int, j: int) -> None:
        self.forward[i] = j
        self.backward[j] = i

    def parents_agree(self, i: int, j: int) -> bool:
        was, now = self.old[i].parent, self.new[j].parent
        return (was is None and now is None) or (was is not None and self.forward.get(was) == now)

    def children_overlap(self, i: int, j: int) -> float:
        below_old, below_new = self.old[i].below, set(self.new[j].below)
        if not below_old or not below_new:
            return 0.0
        shared = sum(1 for child in below_old if self.forward.get(child) in below_new)
        return shared / max(len(below_old), len(below_new))

    def subtree_words(self, nodes: list[_Node], index: int) -> str:
        return " ".join(nodes[child].words for child in nodes[index].below)

    def greedy(self, scored: list[tuple[float, int, int]]) -> None:
        for _score, i, j in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
            if i not in self.forward and j not in self.backward:
                self.pair(i, j)


MAX_PAIRS = 10_000
"""Unpaired criteria pairs beyond which only criteria at the same depth are compared by words."""
MAX_RATIOS = 10_000
"""Full word comparisons one review of a policy's criteria may make (about a second); past it, what is
left unpaired counts as inserted and deleted, so a policy rewritten throughout cannot stall the review."""


class _WordSimilarity:
    """Word similarity of base and head criteria, each pair computed once, cheap upper bounds first."""

    def __init__(self, old: list[_Node], new: list[_Node]) -> None:
        self.old = [node.words.split() for node in old]
        self.new = [node.words.split() for node in new]
        self.known: dict[tuple[int, int], float] = {}
        self.bounds: dict[tuple[int, int], float] = {}
        self.budget = MAX_RATIOS
        self.matchers: dict[int, difflib.SequenceMatcher[str]] = {}

    def of(self, i: int, j: int, needed: float) -> float:
        """The similarity, or 0 when it is surely below ``needed``."""
        if (i, j) in self.known:
            return self.known[(i, j)]
        a, b = self.old[i], self.new[j]
        if not a or not b or 2 * min(len(a), len(b)) / (len(a) + len(b)) < needed:
            return 0.0
        matcher = self.matchers.get(j)
        if matcher is None:
            matcher = self.matchers[j] = difflib.SequenceMatcher(None, autojunk=False)
            matcher.set_seq2(b)
        bound = self.bounds.get((i, j))
        if bound is None:
            matcher.set_seq1(a)
            bound = self.bounds[(i, j)] = matcher.quick_ratio()
        if self.budget <= 0 or bound < needed:
            return 0.0
        matcher.set_seq1(a)
        self.budget -= 1
        value = self.known[(i, j)] = matcher.ratio()
        return value


def match_criteria(old: list[_Node], new: list[_Node]) -> dict[int, int]:
    """Base index -> head index of the criteria that are the same criterion on both sides."""
    matching = _Matching(old, new)
    by_words: dict[str, tuple[list[int], list[int]]] = {}
    for i, node in enumerate(old):
        by_words.setdefault(node.words, ([], []))[0].append(i)
    for j, node in enumerate(new):
        by_words.setdefault(node.words, ([], []))[1].append(j)
    # 1. identical words; several alike are told apart by their sub-criteria, parent and number
    scored: list[tuple[float, int, int]] = []
    for olds, news in by_words.values():
        if len(olds) == 1 and len(news) == 1:
            matching.pair(olds[0], news[0])
            continue
        for i in olds:
            below = matching.subtree_words(old, i)
            for j in news:
                context = similarity(below, matching.subtree_words(new, j)) if below else 0.0
                parent_old, parent_new = old[i].parent, new[j].parent
                same_parent = (parent_old is None) == (parent_new is None) and (
                    parent_old is None or parent_new is None or old[parent_old].words == new[parent_new].words
                )
                scored.append((2 * context + same_parent + 0.5 * (old[i].number == new[j].number), i, j))
    matching.greedy(scored)
    # 2. similar words, or the same sub-criteria under a reworded lead-in; parents and numbers break ties
    lonely_old = [i for i in range(len(old)) if i not in matching.forward]
    lonely_new = [j for j in range(len(new)) if j not in matching.backward]
    same_depth_only = len(lonely_old) * len(lonely_new) > MAX_PAIRS
    words = _WordSimilarity(old, new)
    for _round in range(2):  # a second round sees the parents the first one paired
        scored = []
        for i in lonely_old:
            if i in matching.forward:
                continue
            for j in lonely_new:
                if j in matching.backward:
                    continue
                was, now = old[i], new[j]
                if same_depth_only and was.number.count(".") != now.number.count("."):
                    continue
                children = matching.children_overlap(i, j)
                alike = words.of(i, j, 0.0 if children >= 0.5 else PARAGRAPH_MATCH_RATIO)
                if alike < PARAGRAPH_MATCH_RATIO and children < 0.5:
                    continue
                score = alike + children + 0.3 * matching.parents_agree(i, j) + 0.1 * (was.number == now.number)
                scored.append((score, i, j))
        matching.greedy(scored)
    # 3. what is left at the same number under the same parent was rewritten in place
    new_at = {node.number: j for j, node in enumerate(new)}
    for i, was in enumerate(old):
        j = new_at.get(was.number)
        if i not in matching.forward and j is not None and j not in matching.backward and matching.parents_agree(i, j):
            matching.pair(i, j)
    return matching.forward


def _longest_ordered(sequence: Sequence[int]) -> set[int]:
    """Positions of a longest strictly increasing subsequence (the siblings that kept their order)."""
    tails: list[int] = []
    tail_at: list[int] = []
    previous = [-1] * len(sequence)
    for position, value in enumerate(sequence):
        k = bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_at.append(position)
        else:
            tails[k] = value
            tail_at[k] = position
        previous[position] = tail_at[k - 1] if k else -1
    kept: set[int] = set()
    position = tail_at[-1] if tail_at else -1
    while position != -1:
        kept.add(position)
        position = previous[position]
    return kept


def _short(words: str) -> str:
    split = words.split()
    return " ".join(split[:SHORT_WORDS]) + (" …" if len(split) > SHORT_WORDS else "")


@dataclass(frozen=True)
class _Alignment:
    old: list[_Node]
    new: list[_Node]
    forward: dict[int, int]
    backward: dict[int, int]
    moved: set[int]
    """Head indexes of paired criteria placed elsewhere."""
    swaps: dict[int, int]
    """Head index -> head index of the sibling it traded places with."""

    def removed_position(self, i: int) -> int:
        """Where a deleted criterion stands in head order: after the pair of the last paired criterion before it."""
        return max((self.forward[k] for k in range(i) if k in self.forward), default=-1)


def _align(old: tuple[Criterion, ...], new: tuple[Criterion, ...]) -> _Alignment:
    old_nodes, new_nodes = _nodes(old), _nodes(new)
    forward = match_criteria(old_nodes, new_nodes)
    backward = {j: i for i, j in forward.items()}
    # a paired criterion moved when its parent is no longer its parent's pair, or it left its siblings' order
    moved: set[int] = set()
    for i, j in forward.items():
        was_parent = old_nodes[i].parent
        now_parent = new_nodes[j].parent
        if (was_parent is None) != (now_parent is None) or (
            was_parent is not None and forward.get(was_parent) != now_parent
        ):
            moved.add(j)
    groups: dict[int | None, list[int]] = {}
    for j, node in enumerate(new_nodes):
        if j in backward and j not in moved:
            groups.setdefault(node.parent, []).append(j)
    for siblings in groups.values():
        kept = _longest_ordered([backward[j] for j in siblings])
        moved.update(j for position, j in enumerate(siblings) if position not in kept)
    swaps: dict[int, int] = {}
    for j in list(moved):
        was_number = old_nodes[backward[j]].number
        other = next(
            (
                k
                for k in backward
                if k != j
                and new_nodes[k].parent == new_nodes[j].parent
                and new_nodes[k].number == was_number
                and old_nodes[backward[k]].number == new_nodes[j].number
            ),
            None,
        )
        if other is not None:
            swaps[j], swaps[other] = other, j
    moved.update(swaps.values())
    return _Alignment(old_nodes, new_nodes, forward, backward, moved, swaps)


@dataclass(frozen=True)
class AlignedCriterion:
    """A criterion of either side, in the order a redline prints them (a deleted one where it stood)."""

    old_number: str | None
    new_number: str | None
    old: Criterion | None
    new: Criterion | None
    depth: int
    moved: bool


def align_criteria(old: tuple[Criterion, ...], new: tuple[Criterion, ...]) -> list[AlignedCriterion]:
    """Every criterion of both sides once: paired ones in head order, inserted and deleted ones in place."""
    alignment = _align(old, new)
    rows: list[tuple[tuple[int, int, int], AlignedCriterion]] = []
    for j, now in enumerate(alignment.new):
        i = alignment.backward.get(j)
        was = alignment.old[i] if i is not None else None
        aligned = AlignedCriterion(
            was.number if was else None,
            now.number,
            was.criterion if was else None,
            now.criterion,
            now.number.count("."),
            j in alignment.moved,
        )
        rows.append(((j, 0, 0), aligned))
    for i, was in enumerate(alignment.old):
        if i not in alignment.forward:
            aligned = AlignedCriterion(was.number, None, was.criterion, None, was.number.count("."), False)
            rows.append(((alignment.removed_position(i), 1, i), aligned))
    return [aligned for _, aligned in sorted(rows, key=lambda row: row[0])]


def diff_criteria(old: tuple[Criterion, ...], new: tuple[Criterion, ...], texts: Texts | None = None) -> CriteriaDiff:
    """Criteria inserted, deleted, edited, moved and renumbered, in the head's page order."""
    texts = texts or Texts()
    alignment = _align(old, new)
    old_nodes, new_nodes = alignment.old, alignment.new
    forward, backward, moved, swaps = alignment.forward, alignment.backward, alignment.moved, alignment.swaps

    def parent_number(nodes: list[_Node], index: int) -> str | None:
        parent = nodes[index].parent
        return None if parent is None else nodes[parent].number

    ordered: list[tuple[tuple[int, int, int], CriterionChange]] = []
    for j, now in enumerate(new_nodes):
        i = backward.get(j)
        siblings = new_nodes[now.parent].below if now.parent is not None else _top(new_nodes)
        place = siblings.index(j)
        after = new_nodes[siblings[place - 1]].number if place else None
        if i is None:
            change = CriterionChange(
                now.number,
                "added",
                None,
                now.criterion.determination,
                texts.change(f"Criterion {now.number}", None, _words(now.criterion)),
                None,
                logic(now.criterion),
                new_parent=parent_number(new_nodes, j),
                after=after,
                sub_criteria=now.size,
            )
            ordered.append(((j, 0, 0), change))
            continue
        was = old_nodes[i]
        text = texts.change(f"Criterion {now.number}", _words(was.criterion), _words(now.criterion))
        edited = (
            text is not None
            or was.criterion.determination != now.criterion.determination
            or logic(was.criterion) != logic(now.criterion)
        )
        kind: CriterionChangeKind | None = (
            "changed" if edited else "moved" if j in moved else "renumbered" if was.number != now.number else None
        )
        if kind is None:
            continue
        change = CriterionChange(
            now.number,
            kind,
            was.criterion.determination,
            now.criterion.determination,
            text,
            logic(was.criterion),
            logic(now.criterion),
            old_number=was.number,
            moved=j in moved,
            old_parent=parent_number(old_nodes, i),
            new_parent=parent_number(new_nodes, j),
            after=after,
            swapped_with=new_nodes[swaps[j]].number if j in swaps else None,
            thresholds=threshold_changes(was.words, now.words) if text is not None else (),
            sub_criteria=now.size,
        )
        ordered.append(((j, 0, 0), change))
    for i, was in enumerate(old_nodes):
        if i in forward:
            continue
        change = CriterionChange(
            was.number,
            "removed",
            was.criterion.determination,
            None,
            texts.change(f"Criterion {was.number}", _words(was.criterion), None),
            logic(was.criterion),
            None,
            old_parent=parent_number(old_nodes, i),
            sub_criteria=was.size,
        )
        ordered.append(((alignment.removed_position(i), 1, i), change))
    ordered.sort(key=lambda item: item[0])
    renumbering = {old_nodes[i].number: new_nodes[j].number for i, j in forward.items()}
    renumbering = {a: b for a, b in renumbering.items() if a != b}
    return CriteriaDiff(tuple(c for _, c in ordered), _shifts(old_nodes, new_nodes, forward), renumbering)


def _top(nodes: list[_Node]) -> tuple[int, ...]:
    return tuple(j for j, node in enumerate(nodes) if node.parent is None)


def _words(criterion: Criterion) -> str:
    """A criterion's text and notes as written (the redline shows them as the page does)."""
    return " ".join((criterion.text, *criterion.notes))


def _shifts(old: list[_Node], new: list[_Node], forward: dict[int, int]) -> tuple[AnchorShift, ...]:
    """Every old number whose criterion is now elsewhere (or gone) while the number itself lives on or moved."""
    new_at = {node.number: j for j, node in enumerate(new)}
    backward = {j: i for i, j in forward.items()}
    shifts: list[AnchorShift] = []
    for i, was in enumerate(old):
        j = forward.get(i)
        if j is not None and new[j].number == was.number:
            continue
        here = new_at.get(was.number)
        if j is None and here is None:
            continue  # deleted, and no criterion took its number: the anchor lands nowhere, as it should
        now_was = old[backward[here]].number if here is not None and here in backward else None
        shifts.append(
            AnchorShift(
                was.number,
                criterion_anchor(was.number),
                _short(was.words),
                new[j].number if j is not None else None,
                _short(new[here].words) if here is not None else None,
                now_was,
            )
        )
    return tuple(shifts)
