"""The ratchet: tiny entry lists in, the gate's verdict out."""

from analysis.decisions.gate import Entry, compare, pair_counts, ratchet, ratchet_dependencies

RULES = ("import", "cycle", "write_shared_table", "cross_context_join")


def imp(subject: str, count: int = 1, source: str = "a", target: str = "b", rule: str = "import") -> Entry:
    return Entry(rule, source, target, subject, count)


def test_nothing_new_passes_and_a_new_or_grown_entry_fails():
    base = [imp("a.x -> b.y"), imp("a.z -> b.y", 2)]
    assert compare(base, base, RULES).passed
    result = compare([*base, imp("a.w -> b.y")], base, RULES)
    assert not result.passed and [e.subject for e in result.new] == ["a.w -> b.y"]
    grown = compare([imp("a.x -> b.y"), imp("a.z -> b.y", 3)], base, RULES)
    assert not grown.passed and grown.grown == ((imp("a.z -> b.y", 3), 2),)


def test_stale_and_shrunk_entries_tighten_the_baseline_without_failing():
    base = [imp("a.x -> b.y"), imp("a.z -> b.y", 2)]
    result = compare([imp("a.z -> b.y", 1)], base, RULES)
    assert result.passed and result.tightened
    assert result.stale == (imp("a.x -> b.y"),) and result.shrunk == ((imp("a.z -> b.y", 1), 2),)
    update = ratchet(result, [imp("a.z -> b.y", 1)])
    assert not update.refused and update.entries == (imp("a.z -> b.y", 1),)


def test_growth_is_refused_unless_forced():
    base = [imp("a.x -> b.y")]
    now = [imp("a.x -> b.y"), imp("a.w -> b.y")]
    result = compare(now, base, RULES)
    assert ratchet(result, now).refused
    forced = ratchet(result, now, force=True)
    assert not forced.refused and forced.entries == tuple(sorted(now))
    assert forced.accepted_growth == ("import a -> b: a.w -> b.y",)


def test_without_a_baseline_everything_is_new_and_the_first_baseline_is_today():
    now = [imp("a.x -> b.y")]
    result = compare(now, None, RULES)
    assert not result.passed and not result.has_baseline and result.new == tuple(now)
    assert ratchet(result, now).entries == tuple(now)


def test_rules_not_checked_keep_their_baseline_entries():
    table = Entry("write_shared_table", "a", "b", "orders", 1)
    base = [imp("a.x -> b.y"), table]
    result = compare([imp("a.x -> b.y")], base, ("import", "cycle"))
    assert result.passed and result.unchecked == (table,) and not result.stale
    assert table in ratchet(result, [imp("a.x -> b.y")]).entries


def test_dependencies_ratchet_and_a_context_the_baseline_does_not_know_starts_from_today():
    measured = {"a": ["b", "c"], "d": ["a"], "e": []}
    deps, gained = ratchet_dependencies(measured, {"a": ["b"], "e": ["a"]}, ["a", "d", "e"])
    assert deps == {"a": ["b"], "d": ["a"], "e": []} and gained == ["a -> c"]
    forced, _ = ratchet_dependencies(measured, {"a": ["b"]}, ["a"], force=True)
    assert forced == {"a": ["b", "c"]}


def test_pair_counts_and_the_unowned_table():
    entries = [imp("a.x -> b.y"), imp("b.x -> a.y", source="b", target="a", rule="cycle"),
               Entry("write_shared_table", "a", None, "audit", 1)]
    assert pair_counts(entries) == {"a -> (no owner)": {"write_shared_table": 1}, "a -> b": {"import": 1}, "b -> a": {"cycle": 1}}
