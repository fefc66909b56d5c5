"""Source-chain analysis of one claim: the via graph of its appearances, its roots and how many
independent roots remain once publishers under one actor and sources that cite each other merge.

Pure standard library so rules and benchmarks use it without Django.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

SourceId: TypeAlias = Hashable
ActorId: TypeAlias = Hashable
# Mapping keys are invariant, so Mapping[Hashable, ...] would refuse a caller's dict[int, int];
# any key type is accepted because lookups only ever use source and actor ids.
PublisherOf: TypeAlias = Mapping[Any, ActorId | None]
ParentOf: TypeAlias = Mapping[Any, ActorId | None]

__all__ = [
    "ActorId",
    "ChainReport",
    "Link",
    "ParentOf",
    "PublisherOf",
    "RootGroup",
    "SourceId",
    "analyse_chain",
    "ancestors",
    "chain_depth",
    "is_under",
    "roots",
    "roots_all_under",
]


@dataclass(frozen=True)
class Link:
    """One appearance of the claim: `source` cites `via` for it, or nothing when `via` is None."""

    source: SourceId
    via: SourceId | None = None


@dataclass(frozen=True)
class RootGroup:
    """Sources that together form one root: a single uncited source or a circle citing itself."""

    sources: frozenset[SourceId]
    publishers: frozenset[ActorId]
    # Unknown publishers are kept apart from `publishers` so they never merge by hierarchy, yet
    # a partisan-only check can still tell that a root is not known to be the claimant's.
    has_unknown_publisher: bool = False


@dataclass(frozen=True)
class ChainReport:
    """What one claim's source chain tells the desk; `depth` counts a circle as a single step."""

    roots: frozenset[SourceId]
    root_groups: tuple[RootGroup, ...]
    independent_roots: tuple[RootGroup, ...]
    depth: int
    has_cycle: bool

    @property
    def independent_root_count(self) -> int:
        return len(self.independent_roots)


@dataclass(frozen=True)
class _Condensation:
    successors: dict[SourceId, list[SourceId]]
    # Tarjan emits components sinks first, so every component comes after all it points to.
    components: list[list[SourceId]]
    component_of: dict[SourceId, int]


def _successors(links: Iterable[Link]) -> dict[SourceId, list[SourceId]]:
    successors: dict[SourceId, dict[SourceId, None]] = {}
    for link in links:
        targets = successors.setdefault(link.source, {})
        if link.via is None:
            continue
        successors.setdefault(link.via, {})
        # A source naming itself as its upstream cites nothing new; treating it as a cycle
        # would report circular reporting where there is only a data-entry slip.
        if link.via != link.source:
            targets[link.via] = None
    return {node: list(targets) for node, targets in successors.items()}


def _strongly_connected(successors: Mapping[SourceId, list[SourceId]]) -> list[list[SourceId]]:
    # Iterative Tarjan: chains of many thousand relays must not hit the recursion limit.
    index: dict[SourceId, int] = {}
    lowlink: dict[SourceId, int] = {}
    on_stack: set[SourceId] = set()
    stack: list[SourceId] = []
    components: list[list[SourceId]] = []

    for start in successors:
        if start in index:
            continue
        index[start] = lowlink[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        work: list[tuple[SourceId, Iterator[SourceId]]] = [(start, iter(successors[start]))]
        while work:
            node, pending = work[-1]
            for target in pending:
                if target not in index:
                    index[target] = lowlink[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(successors[target])))
                    break
                if target in on_stack:
                    lowlink[node] = min(lowlink[node], index[target])
            else:
                work.pop()
                if work:
                    caller = work[-1][0]
                    lowlink[caller] = min(lowlink[caller], lowlink[node])
                if lowlink[node] == index[node]:
                    component: list[SourceId] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def _condense(links: Iterable[Link]) -> _Condensation:
    successors = _successors(links)
    components = _strongly_connected(successors)
    component_of = {
        member: number for number, component in enumerate(components) for member in component
    }
    return _Condensation(successors, components, component_of)


def _is_sink(graph: _Condensation, number: int) -> bool:
    return all(
        graph.component_of[target] == number
        for member in graph.components[number]
        for target in graph.successors[member]
    )


def _sink_components(graph: _Condensation) -> list[list[SourceId]]:
    return [
        component for number, component in enumerate(graph.components) if _is_sink(graph, number)
    ]


def _depth(graph: _Condensation) -> int:
    height: list[int] = []
    for number, component in enumerate(graph.components):
        below = [
            height[graph.component_of[target]] + 1
            for member in component
            for target in graph.successors[member]
            if graph.component_of[target] != number
        ]
        height.append(max(below, default=0))
    return max(height, default=0)


def _id_key(value: Hashable) -> tuple[int, int, str]:
    # Ids may mix ints and strings, which do not compare; ints sort numerically, the rest by repr.
    if isinstance(value, int) and not isinstance(value, bool):
        return (0, value, "")
    if isinstance(value, str):
        return (1, 0, value)
    return (2, 0, repr(value))


def _group_key(group: RootGroup) -> tuple[tuple[int, int, str], ...]:
    return tuple(sorted(_id_key(source) for source in group.sources))


def _sorted_groups(groups: Iterable[RootGroup]) -> tuple[RootGroup, ...]:
    return tuple(sorted(groups, key=_group_key))


def roots(links: Iterable[Link]) -> frozenset[SourceId]:
    """Every source that cites nothing upstream for the claim, counting circles as roots."""
    graph = _condense(links)
    return frozenset(member for component in _sink_components(graph) for member in component)


def chain_depth(links: Iterable[Link]) -> int:
    """Longest relay chain in edges, with each circle of citing sources counted as one step."""
    return _depth(_condense(links))


def ancestors(actor: ActorId | None, parent_of: ParentOf) -> tuple[ActorId, ...]:
    """The actor, its parent, its grandparent and so on; a cyclic hierarchy stops at the repeat."""
    chain: list[ActorId] = []
    seen: set[ActorId] = set()
    current = actor
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = parent_of.get(current)
    return tuple(chain)


def is_under(actor: ActorId | None, ancestor: ActorId | None, parent_of: ParentOf) -> bool:
    """True when `actor` is `ancestor` itself or one of its descendants."""
    return ancestor is not None and ancestor in ancestors(actor, parent_of)


class _Families:
    """Union-find over root-group numbers."""

    def __init__(self, size: int) -> None:
        self._parent = list(range(size))

    def find(self, item: int) -> int:
        while self._parent[item] != item:
            self._parent[item] = self._parent[self._parent[item]]
            item = self._parent[item]
        return item

    def union(self, first: int, second: int) -> None:
        first_root, second_root = self.find(first), self.find(second)
        if first_root != second_root:
            self._parent[max(first_root, second_root)] = min(first_root, second_root)


def _merge_by_hierarchy(
    groups: tuple[RootGroup, ...],
    families: _Families,
    parent_of: ParentOf,
) -> None:
    # Two groups sharing any ancestor (an actor counts as its own) meet at that ancestor's first
    # owner, which keeps the work linear in the total length of the ancestor walks.
    owner_of: dict[ActorId, int] = {}
    walks: dict[ActorId, tuple[ActorId, ...]] = {}
    for number, group in enumerate(groups):
        for publisher in group.publishers:
            if publisher not in walks:
                walks[publisher] = ancestors(publisher, parent_of)
            for actor in walks[publisher]:
                owner = owner_of.setdefault(actor, number)
                families.union(owner, number)


def _merge_by_citation(
    groups: tuple[RootGroup, ...],
    families: _Families,
    successors: Mapping[SourceId, list[SourceId]],
    citations: Iterable[tuple[SourceId, SourceId]],
) -> None:
    # Two roots depend on each other when one reaches the other along citations or both reach a
    # common upstream source. A third source citing both does not tie them: that is corroboration.
    upstream: dict[SourceId, list[SourceId]] = {
        node: list(targets) for node, targets in successors.items()
    }
    for citing, cited in citations:
        if citing != cited:
            upstream.setdefault(citing, []).append(cited)
    # Each source is explored once, by the first group to reach it; a later group that arrives
    # there joins that group's family instead of walking the same ground again.
    reached_by: dict[SourceId, int] = {}
    for number, group in enumerate(groups):
        queue: deque[SourceId] = deque(group.sources)
        while queue:
            source = queue.popleft()
            earlier = reached_by.get(source)
            if earlier is not None:
                families.union(earlier, number)
                continue
            reached_by[source] = number
            queue.extend(upstream.get(source, ()))


def _union_groups(members: list[RootGroup]) -> RootGroup:
    return RootGroup(
        sources=frozenset().union(*(group.sources for group in members)),
        publishers=frozenset().union(*(group.publishers for group in members)),
        has_unknown_publisher=any(group.has_unknown_publisher for group in members),
    )


def analyse_chain(
    links: Iterable[Link],
    *,
    publisher_of: PublisherOf,
    parent_of: ParentOf,
    citations: Iterable[tuple[SourceId, SourceId]] = (),
) -> ChainReport:
    """Roots, root groups, independent roots, depth and circularity of one claim's source chain.

    `citations` are source-to-source edges known from elsewhere (other claims, near-duplicate
    detection); pass a near-duplicate pair in both directions, as neither copy is the upstream.
    """
    graph = _condense(links)
    sinks = _sink_components(graph)

    groups: list[RootGroup] = []
    for component in sinks:
        known = [publisher_of.get(source) for source in component]
        groups.append(
            RootGroup(
                sources=frozenset(component),
                publishers=frozenset(actor for actor in known if actor is not None),
                has_unknown_publisher=any(actor is None for actor in known),
            )
        )
    root_groups = _sorted_groups(groups)

    families = _Families(len(root_groups))
    _merge_by_hierarchy(root_groups, families, parent_of)
    _merge_by_citation(root_groups, families, graph.successors, citations)
    merged: dict[int, list[RootGroup]] = {}
    for number, group in enumerate(root_groups):
        merged.setdefault(families.find(number), []).append(group)

    return ChainReport(
        roots=frozenset(member for component in sinks for member in component),
        root_groups=root_groups,
        independent_roots=_sorted_groups(_union_groups(members) for members in merged.values()),
        depth=_depth(graph),
        has_cycle=any(len(component) > 1 for component in graph.components),
    )


def roots_all_under(report: ChainReport, claimant: ActorId, parent_of: ParentOf) -> bool:
    """True when the chain has a root and every root is published by the claimant or an actor
    under it, so nothing outside the claimant's own apparatus carries the claim."""
    return bool(report.root_groups) and all(
        not group.has_unknown_publisher
        and bool(group.publishers)
        and all(is_under(publisher, claimant, parent_of) for publisher in group.publishers)
        for group in report.root_groups
    )


def chain_paths(links: Iterable[Link]) -> list[tuple[SourceId, ...]]:
    """Every path from a source that nobody cites for the claim down its via links, for display.

    A path stops where it would revisit a source, so a cycle shows once and ends."""
    link_list = list(links)
    successors = _successors(link_list)
    cited = {link.via for link in link_list if link.via is not None and link.via != link.source}
    heads = [s for s in successors if s not in cited] or list(successors)[:1]
    paths: list[tuple[SourceId, ...]] = []
    for head in sorted(heads, key=_id_key):
        stack: list[tuple[SourceId, ...]] = [(head,)]
        while stack:
            path = stack.pop()
            nexts = [n for n in successors.get(path[-1], []) if n not in path]
            if not nexts:
                paths.append(path)
            stack.extend((*path, n) for n in sorted(nexts, key=_id_key, reverse=True))
    return paths
