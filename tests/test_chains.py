from __future__ import annotations

from claims.chains import (
    ActorId,
    ChainReport,
    Link,
    RootGroup,
    analyse_chain,
    ancestors,
    chain_depth,
    is_under,
    roots,
    roots_all_under,
)

# Actor hierarchy of the seed case: ISIS publishes through its own channels.
PARENT_OF: dict[ActorId, ActorId | None] = {
    "saha-al-wagha": "isis",
    "al-naba": "isis",
    "amaq": "isis",
    "isis": None,
    "reuters": None,
    "enab-baladi": None,
    "times-of-israel": None,
    "charles-lister": "middle-east-institute",
    "middle-east-institute": None,
}

# The seed article relays ISIS claims it read on Saha al-Wagha and in al-Naba.
ISIS_LINKS = [
    Link("enab-article", via="saha-post"),
    Link("enab-article", via="naba-issue"),
]
ISIS_PUBLISHERS = {
    "enab-article": "enab-baladi",
    "saha-post": "saha-al-wagha",
    "naba-issue": "al-naba",
    "toi-post": "times-of-israel",
    "lister-post": "charles-lister",
}


def analyse_isis_claim(links: list[Link] = ISIS_LINKS) -> ChainReport:
    return analyse_chain(links, publisher_of=ISIS_PUBLISHERS, parent_of=PARENT_OF)


def group(*sources: object, publishers: tuple[object, ...] = ()) -> RootGroup:
    return RootGroup(sources=frozenset(sources), publishers=frozenset(publishers))


# Wire copies


def test_four_outlets_copying_one_wire_story_have_one_root_at_depth_one() -> None:
    links = [Link("reuters-story")] + [Link(f"outlet-{n}", via="reuters-story") for n in range(4)]
    publishers = {"reuters-story": "reuters"} | {f"outlet-{n}": f"paper-{n}" for n in range(4)}

    report = analyse_chain(links, publisher_of=publishers, parent_of=PARENT_OF)

    assert report.roots == frozenset({"reuters-story"})
    assert report.root_groups == (group("reuters-story", publishers=("reuters",)),)
    assert report.independent_root_count == 1
    assert report.depth == 1
    assert report.has_cycle is False


def test_a_wire_story_we_do_not_hold_is_still_the_one_root() -> None:
    links = [Link(f"outlet-{n}", via="reuters-placeholder") for n in range(4)]

    report = analyse_chain(
        links, publisher_of={"reuters-placeholder": "reuters"}, parent_of=PARENT_OF
    )

    assert report.roots == frozenset({"reuters-placeholder"})
    assert report.independent_root_count == 1
    assert report.depth == 1


def test_four_outlets_without_via_two_under_one_parent_are_three_independent_roots() -> None:
    links = [Link("naba-issue"), Link("amaq-post"), Link("reuters-story"), Link("enab-article")]
    publishers = {
        "naba-issue": "al-naba",
        "amaq-post": "amaq",
        "reuters-story": "reuters",
        "enab-article": "enab-baladi",
    }

    report = analyse_chain(links, publisher_of=publishers, parent_of=PARENT_OF)

    assert len(report.root_groups) == 4
    assert report.independent_root_count == 3
    assert report.depth == 0
    assert group("amaq-post", "naba-issue", publishers=("amaq", "al-naba")) in (
        report.independent_roots
    )


def test_an_outlet_and_its_parent_actor_are_one_independent_root() -> None:
    links = [Link("isis-statement"), Link("naba-issue")]
    publishers = {"isis-statement": "isis", "naba-issue": "al-naba"}

    report = analyse_chain(links, publisher_of=publishers, parent_of=PARENT_OF)

    assert report.independent_root_count == 1


def test_roots_with_unknown_publishers_stay_independent() -> None:
    links = [Link("leaflet-1"), Link("leaflet-2"), Link("reuters-story")]

    report = analyse_chain(links, publisher_of={"reuters-story": "reuters"}, parent_of=PARENT_OF)

    assert report.independent_root_count == 3


def test_two_sources_from_one_publisher_are_one_independent_root() -> None:
    links = [Link("reuters-morning"), Link("reuters-evening")]
    publishers = {"reuters-morning": "reuters", "reuters-evening": "reuters"}

    report = analyse_chain(links, publisher_of=publishers, parent_of={})

    assert len(report.root_groups) == 2
    assert report.independent_roots == (
        group("reuters-evening", "reuters-morning", publishers=("reuters",)),
    )


# The seed case: ISIS claims relayed by its own channels


def test_isis_claim_via_saha_al_wagha_and_al_naba_has_two_roots_and_one_independent_root() -> None:
    report = analyse_isis_claim()

    assert report.roots == frozenset({"saha-post", "naba-issue"})
    assert report.root_groups == (
        group("naba-issue", publishers=("al-naba",)),
        group("saha-post", publishers=("saha-al-wagha",)),
    )
    assert report.independent_roots == (
        group("naba-issue", "saha-post", publishers=("al-naba", "saha-al-wagha")),
    )
    assert report.depth == 1


def test_isis_claim_seen_only_through_isis_channels_has_all_roots_under_isis() -> None:
    report = analyse_isis_claim()

    assert roots_all_under(report, "isis", PARENT_OF) is True
    assert roots_all_under(report, "reuters", PARENT_OF) is False


def test_a_relay_of_a_relay_makes_the_chain_two_deep() -> None:
    links = [*ISIS_LINKS, Link("enab-article", via="toi-post"), Link("toi-post", via="lister-post")]

    report = analyse_isis_claim(links)

    assert report.depth == 2
    assert chain_depth(links) == 2
    assert report.roots == frozenset({"saha-post", "naba-issue", "lister-post"})
    assert report.independent_root_count == 2
    assert roots_all_under(report, "isis", PARENT_OF) is False


def test_one_root_with_unknown_publisher_means_not_all_roots_are_the_claimants() -> None:
    links = [*ISIS_LINKS, Link("enab-article", via="anonymous-channel")]

    report = analyse_isis_claim(links)

    assert roots_all_under(report, "isis", PARENT_OF) is False


def test_a_chain_without_roots_is_not_all_under_the_claimant() -> None:
    report = analyse_isis_claim([])

    assert roots_all_under(report, "isis", PARENT_OF) is False


# Circular reporting


def test_two_sources_citing_each_other_are_one_root_group_of_depth_zero() -> None:
    links = [Link("a", via="b"), Link("b", via="a")]

    report = analyse_chain(links, publisher_of={"a": "amaq", "b": "reuters"}, parent_of=PARENT_OF)

    assert report.roots == frozenset({"a", "b"})
    assert report.root_groups == (group("a", "b", publishers=("amaq", "reuters")),)
    assert report.independent_root_count == 1
    assert report.has_cycle is True
    assert report.depth == 0


def test_a_source_citing_a_circle_is_one_step_above_it() -> None:
    links = [Link("c", via="a"), Link("a", via="b"), Link("b", via="a")]

    report = analyse_chain(links, publisher_of={}, parent_of={})

    assert report.roots == frozenset({"a", "b"})
    assert report.depth == 1
    assert report.has_cycle is True


def test_a_circle_that_also_cites_outward_is_not_a_root() -> None:
    links = [Link("a", via="b"), Link("b", via="a"), Link("b", via="reuters-story")]

    report = analyse_chain(links, publisher_of={}, parent_of={})

    assert report.roots == frozenset({"reuters-story"})
    assert report.depth == 1
    assert report.has_cycle is True


def test_a_source_naming_itself_as_upstream_is_a_plain_root() -> None:
    report = analyse_chain([Link("a", via="a")], publisher_of={}, parent_of={})

    assert report.roots == frozenset({"a"})
    assert report.has_cycle is False
    assert report.depth == 0


def test_a_circle_of_isis_channels_counts_as_under_isis() -> None:
    links = [Link("saha-post", via="naba-issue"), Link("naba-issue", via="saha-post")]

    report = analyse_isis_claim(links)

    assert roots_all_under(report, "isis", PARENT_OF) is True


# Citations known from elsewhere


def test_a_root_citing_another_root_elsewhere_is_not_independent_of_it() -> None:
    links = [Link("outlet-a"), Link("outlet-b")]
    publishers = {"outlet-a": "paper-a", "outlet-b": "paper-b"}

    apart = analyse_chain(links, publisher_of=publishers, parent_of={})
    tied = analyse_chain(
        links, publisher_of=publishers, parent_of={}, citations=[("outlet-b", "outlet-a")]
    )

    assert apart.independent_root_count == 2
    assert tied.independent_root_count == 1
    assert tied.independent_roots == (
        group("outlet-a", "outlet-b", publishers=("paper-a", "paper-b")),
    )
    assert len(tied.root_groups) == 2


def test_roots_citing_each_other_through_a_third_source_are_not_independent() -> None:
    links = [Link("outlet-a"), Link("outlet-b")]

    report = analyse_chain(
        links,
        publisher_of={},
        parent_of={},
        citations=[("outlet-a", "blog-post"), ("blog-post", "outlet-b")],
    )

    assert report.independent_root_count == 1


def test_roots_sharing_an_upstream_source_elsewhere_are_not_independent() -> None:
    links = [Link("outlet-a"), Link("outlet-b")]

    report = analyse_chain(
        links,
        publisher_of={},
        parent_of={},
        citations=[("outlet-a", "reuters-story"), ("outlet-b", "reuters-story")],
    )

    assert report.independent_root_count == 1


def test_a_third_source_citing_two_roots_does_not_tie_them() -> None:
    links = [Link("outlet-a"), Link("outlet-b"), Link("aggregator", via="outlet-a")]

    report = analyse_chain(
        links,
        publisher_of={},
        parent_of={},
        citations=[("aggregator", "outlet-b")],
    )

    assert report.independent_root_count == 2


def test_a_root_citing_a_relay_of_another_root_is_not_independent_of_it() -> None:
    links = [Link("outlet-a"), Link("outlet-b"), Link("relay", via="outlet-b")]

    report = analyse_chain(links, publisher_of={}, parent_of={}, citations=[("outlet-a", "relay")])

    assert report.independent_root_count == 1


# Actor hierarchy


def test_ancestors_list_the_actor_first_then_its_parents() -> None:
    parent_of = {"amaq": "isis", "isis": "jihadist-movement"}

    assert ancestors("amaq", parent_of) == ("amaq", "isis", "jihadist-movement")
    assert ancestors("unlisted", parent_of) == ("unlisted",)
    assert ancestors(None, parent_of) == ()


def test_an_actor_is_under_itself_and_its_ancestors_but_not_its_children() -> None:
    assert is_under("al-naba", "isis", PARENT_OF) is True
    assert is_under("isis", "isis", PARENT_OF) is True
    assert is_under("isis", "al-naba", PARENT_OF) is False
    assert is_under("reuters", "isis", PARENT_OF) is False
    assert is_under(None, "isis", PARENT_OF) is False


def test_a_cyclic_actor_hierarchy_terminates() -> None:
    parent_of: dict[ActorId, ActorId | None] = {"x": "y", "y": "x"}

    assert ancestors("x", parent_of) == ("x", "y")
    assert is_under("x", "z", parent_of) is False
    report = analyse_chain(
        [Link("post-x"), Link("post-y"), Link("post-z")],
        publisher_of={"post-x": "x", "post-y": "y", "post-z": "z"},
        parent_of=parent_of,
    )
    assert report.independent_root_count == 2
    assert roots_all_under(report, "x", parent_of) is False


# Edge cases


def test_no_links_give_an_empty_report() -> None:
    report = analyse_chain([], publisher_of={}, parent_of={})

    assert report == ChainReport(
        roots=frozenset(),
        root_groups=(),
        independent_roots=(),
        depth=0,
        has_cycle=False,
    )
    assert report.independent_root_count == 0
    assert roots([]) == frozenset()
    assert chain_depth([]) == 0


def test_roots_alone_lists_every_uncited_source() -> None:
    links = [
        *ISIS_LINKS,
        Link("toi-post", via="lister-post"),
        Link("a", via="b"),
        Link("b", via="a"),
    ]

    assert roots(links) == frozenset({"saha-post", "naba-issue", "lister-post", "a", "b"})


def test_database_ids_work_as_source_and_actor_ids() -> None:
    links = [Link(1), Link(2, via=1), Link(3)]
    publisher_of: dict[int, int | None] = {1: 10, 2: 20, 3: 30}
    parent_of: dict[int, int | None] = {10: 99, 30: 99}

    report = analyse_chain(links, publisher_of=publisher_of, parent_of=parent_of)

    assert report.roots == frozenset({1, 3})
    assert report.independent_roots == (group(1, 3, publishers=(10, 30)),)
    assert roots_all_under(report, 99, parent_of) is True


def test_links_may_be_a_one_shot_iterator() -> None:
    links = iter(ISIS_LINKS)

    report = analyse_chain(links, publisher_of=ISIS_PUBLISHERS, parent_of=PARENT_OF)

    assert report.roots == frozenset({"saha-post", "naba-issue"})
    assert report.depth == 1


def test_order_of_root_groups_does_not_depend_on_input_order() -> None:
    links = [Link(11), Link(2), Link("b"), Link("a"), Link(3, via=2)]

    forward = analyse_chain(links, publisher_of={}, parent_of={})
    backward = analyse_chain(list(reversed(links)), publisher_of={}, parent_of={})

    assert forward == backward
    assert [sorted(map(str, g.sources)) for g in forward.root_groups] == [
        ["2"],
        ["11"],
        ["a"],
        ["b"],
    ]


# Size


def test_a_ten_thousand_source_relay_chain_is_analysed_without_recursion() -> None:
    links = [Link(n, via=n + 1) for n in range(10_000)]

    report = analyse_chain(links, publisher_of={}, parent_of={})

    assert report.roots == frozenset({10_000})
    assert report.depth == 10_000


def test_a_ten_thousand_source_circle_is_one_root_group() -> None:
    links = [Link(n, via=(n + 1) % 10_000) for n in range(10_000)]

    report = analyse_chain(links, publisher_of={}, parent_of={})

    assert len(report.root_groups) == 1
    assert len(report.roots) == 10_000
    assert report.depth == 0


def test_ten_thousand_outlets_copying_one_wire_story_have_one_root() -> None:
    links = [Link(f"outlet-{n}", via="reuters-story") for n in range(10_000)]

    report = analyse_chain(links, publisher_of={}, parent_of={})

    assert report.roots == frozenset({"reuters-story"})
    assert report.depth == 1


def test_ten_thousand_unrelated_roots_under_one_parent_are_one_independent_root() -> None:
    links = [Link(n) for n in range(10_000)]
    publishers = {n: f"channel-{n}" for n in range(10_000)}
    parent_of = {f"channel-{n}": "isis" for n in range(10_000)}
    citations = [(n, n + 1) for n in range(9_999)]

    report = analyse_chain(links, publisher_of=publishers, parent_of=parent_of, citations=citations)

    assert len(report.root_groups) == 10_000
    assert report.independent_root_count == 1
