import textwrap

import pytest

from analysis.core.config import load_config, parse_config
from analysis.core.errors import ConfigError
from analysis.core.settings import THRESHOLDS


def write(tmp_path, text, name="seams.yml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_minimal_config_gets_defaults(tmp_path):
    (tmp_path / "repo").mkdir()
    cfg = load_config(write(tmp_path, """
        name: shop
        sources:
          git: {repository: repo}
        contexts:
          billing: {paths: ["shop/billing/**"], tables: [billing_invoice]}
    """))
    assert cfg.name == "shop"
    assert cfg.git.repository == (tmp_path / "repo").resolve()
    assert cfg.imports is None and cfg.sql == () and cfg.traces == ()
    assert cfg.context_names == ("billing",)
    assert cfg.thresholds["recent_days"] == THRESHOLDS["recent_days"].default


def test_every_problem_is_reported_once_with_file_and_key(tmp_path):
    path = write(tmp_path, """
        sources:
          git: {repository: missing-dir}
          sql: [{path: nope.log, format: oracle-trace}]
        contexts:
          a: {paths: "x/**", colour: red}
          b: {}
        thresholds: {recent_days: "ninety", bogus: 1}
        teams: {t1: [ann], t2: [ann]}
    """)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert str(path) in msg
    for key in ("sources.git.repository", "sources.sql[0].path", "sources.sql[0].format", "contexts.a.colour",
                "contexts.b", "thresholds.recent_days", "thresholds.bogus", "teams.t2"):
        assert key in msg, key
    assert "postgres-stderr" in msg  # what was expected
    assert len(err.value.problems) == 8


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.yml")
    with pytest.raises(ConfigError, match=r"valid YAML \(found a syntax error at line \d+"):
        load_config(write(tmp_path, "contexts:\n  a: [unclosed\n"))


def test_not_a_mapping_and_no_contexts(tmp_path):
    with pytest.raises(ConfigError, match=r"\(top level\)"):
        load_config(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(ConfigError, match="contexts"):
        parse_config({"name": "x"}, tmp_path / "c.yml")


def test_table_owned_twice_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="also owned by a"):
        parse_config({"contexts": {"a": {"tables": ["t"]}, "b": {"tables": ["t"]}}}, tmp_path / "c.yml")


def test_a_table_owned_twice_under_two_spellings_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="also owned by a"):
        parse_config({"contexts": {"a": {"tables": ["audit_log"]}, "b": {"tables": ["Public.Audit_Log"]}}}, tmp_path / "c.yml")
    # another schema is another table
    parse_config({"contexts": {"a": {"tables": ["orders"]}, "b": {"tables": ["billing.orders"]}}}, tmp_path / "c.yml")


def test_shared_tables_are_validated_and_default_to_djangos_own(tmp_path):
    from analysis.core.config import DEFAULT_SHARED_TABLES

    plain = parse_config({"contexts": {"a": {"paths": ["a/**"]}}}, tmp_path / "c.yml")
    assert plain.shared_tables is None and plain.shared_table_globs == DEFAULT_SHARED_TABLES == ("django_*", "auth_*")
    none = parse_config({"contexts": {"a": {"paths": ["a/**"]}}, "shared_tables": []}, tmp_path / "c.yml")
    assert none.shared_tables == () and none.shared_table_globs == ()
    given = parse_config({"contexts": {"a": {"paths": ["a/**"]}, "kernel": {"tables": ["extras_tag"], "role": "shared"}},
                          "shared_tables": ["Django_*", "extras_tag", "extras_customfield*"]}, tmp_path / "c.yml")
    assert given.shared_table_globs == ("django_*", "extras_tag", "extras_customfield*")
    with pytest.raises(ConfigError) as err:
        parse_config({"contexts": {"a": {"tables": ["public.orders"]}}, "shared_tables": ["orders", "", 3]}, tmp_path / "c.yml")
    assert [p.key for p in err.value.problems] == ["shared_tables"]  # not a list of texts
    with pytest.raises(ConfigError, match=r"shared_tables\[1\].*declared by a"):
        parse_config({"contexts": {"a": {"tables": ["public.orders"]}}, "shared_tables": ["django_*", "orders"]}, tmp_path / "c.yml")


def test_threshold_range_checked(tmp_path):
    with pytest.raises(ConfigError, match="thresholds.cross_context_change_share: expected a number from 0 to 1"):
        parse_config({"contexts": {"a": {"tables": ["t"]}}, "thresholds": {"cross_context_change_share": 2}}, tmp_path / "c.yml")


def test_with_thresholds_rejects_unknown(tmp_path):
    cfg = parse_config({"contexts": {"a": {"tables": ["t"]}}}, tmp_path / "c.yml")
    assert cfg.with_thresholds(recent_days=30).thresholds["recent_days"] == 30
    with pytest.raises(ConfigError):
        cfg.with_thresholds(nope=1)


def test_live_pg_stat_statements_needs_a_dsn_and_no_file(tmp_path):
    path = write(tmp_path, """
        sources:
          sql: [{format: pg-stat-statements-live}]
        contexts:
          a: {paths: ["x/**"]}
    """)
    with pytest.raises(ConfigError, match=r"sources\.sql\[0\]\.dsn: expected a PostgreSQL connection string"):
        load_config(path)
    cfg = load_config(write(tmp_path, """
        sources:
          sql: [{format: pg-stat-statements-live, dsn: "host=127.0.0.1 dbname=shop"}]
        contexts:
          a: {paths: ["x/**"]}
    """))
    assert cfg.sql[0].dsn == "host=127.0.0.1 dbname=shop"
    # errors of the live source name it by its place in the config, never "-" nor the dsn
    assert str(cfg.sql[0].path) == "sources.sql[0] (pg_stat_statements, live)"


def test_the_cache_lives_beside_the_config_file_whatever_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("SEAMS_CACHE_DIR", raising=False)
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "seams.yml").write_text("contexts: {a: {paths: ['a/**']}}\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_config(folder / "seams.yml").cache_dir == (folder / ".seams-cache").resolve()
    (folder / "seams.yml").write_text("contexts: {a: {paths: ['a/**']}}\ncache_dir: ../shared-cache\n", encoding="utf-8")
    assert load_config(folder / "seams.yml").cache_dir == (tmp_path / "shared-cache").resolve()
    monkeypatch.setenv("SEAMS_CACHE_DIR", str(tmp_path / "from-env"))
    assert load_config(folder / "seams.yml").cache_dir == (tmp_path / "from-env").resolve()


def test_codemaat_team_map_joins_the_teams_and_grouping_is_refused(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "teams.csv").write_text("author,team\nAnn,payments\nbo@example.com,catalog\n", encoding="utf-8")
    config = parse_config({"sources": {"git": {"repository": "repo", "team_map": "teams.csv"}},
                           "teams": {"payments": ["Cy"]}, "contexts": {"a": {"paths": ["a/**"]}}}, tmp_path / "seams.yml")
    assert dict(config.teams) == {"Cy": "payments", "Ann": "payments", "bo@example.com": "catalog"}
    (tmp_path / "teams.csv").write_text("author,team\nCy,catalog\n,\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        parse_config({"sources": {"git": {"repository": "repo", "team_map": "teams.csv", "grouping": "layers.txt"}},
                      "teams": {"payments": ["Cy"]}, "contexts": {"a": {"paths": ["a/**"]}}}, tmp_path / "seams.yml")
    text = str(err.value)
    assert "sources.git.team_map line 2: expected each author in one team (found 'Cy' also in payments)" in text
    assert "sources.git.team_map line 3: expected an author and a team" in text
    assert "sources.git.grouping: expected no such key: declare contexts by their paths instead" in text


# --- values YAML reads in its own way, and inputs built to hurt ---------------------------

def one_problem(path) -> str:
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert len(err.value.problems) == 1, err.value.problems
    return str(err.value)


@pytest.mark.parametrize("since", ["2024-13-45", "2024-02-30", "2024-01-01T99:00:00", "yesterday"])
def test_an_impossible_date_is_one_config_error(tmp_path, since):
    (tmp_path / "repo").mkdir()
    path = write(tmp_path, f"sources:\n  git: {{repository: repo, since: {since}}}\ncontexts:\n  a: {{paths: ['a/**']}}\n")
    message = one_problem(path)
    assert str(path) in message and "sources.git.since" in message and "an ISO date" in message


def test_dates_and_timestamps_still_read(tmp_path):
    (tmp_path / "repo").mkdir()
    for since in ("2024-01-31", "'2024-01-31'", "2024-01-31T10:00:00Z", "2024-01-31 10:00:00"):
        path = write(tmp_path, f"sources:\n  git: {{repository: repo, since: {since}}}\ncontexts:\n  a: {{paths: ['a/**']}}\n")
        assert str(load_config(path).git.since) == "2024-01-31"


@pytest.mark.parametrize("key, value", [
    ("sources.git.churn_days", ".inf"), ("sources.git.churn_days", ".nan"), ("sources.git.churn_days", "-.inf"),
    ("thresholds.recent_days", ".nan"), ("thresholds.min_commits_recent", ".inf"), ("weights.boundary_clarity", ".nan"),
    ("sources.imports.max_file_bytes", ".inf"),
])
def test_infinite_and_not_a_number_values_are_config_errors(tmp_path, key, value):
    (tmp_path / "repo").mkdir()
    section, name = key.rsplit(".", 1)
    if section.startswith("sources."):
        kind = section.split(".")[1]
        body = f"sources:\n  {kind}: {{repository: repo, {name}: {value}}}\n"
    else:
        body = f"{section}: {{{name}: {value}}}\n"
    message = one_problem(write(tmp_path, body + "contexts:\n  a: {paths: ['a/**']}\n"))
    assert key in message and "a finite number" in message


def test_an_alias_bomb_is_refused_quickly_and_cheaply(tmp_path):
    import time
    import tracemalloc

    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 10)]
    path = write(tmp_path, "\n".join(lines) + "\ncontexts: *a9\nname: *a9\nthresholds: {recent_days: *a9}\n")
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ConfigError) as err:
        load_config(path)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 5 and peak < 50_000_000
    assert len(str(err.value)) < 20_000 and "contexts" in str(err.value)


def test_a_context_defined_twice_is_an_error(tmp_path):
    path = write(tmp_path, """\
        contexts:
          billing: {paths: ["shop/billing/**"]}
          orders: {paths: ["shop/orders/**"]}
          billing: {paths: ["shop/payments/**"]}
    """)
    message = one_problem(path)
    assert "contexts.billing" in message and "once" in message and "line 4" in message and "line 2" in message


def test_duplicate_keys_anywhere_are_errors_with_their_lines(tmp_path):
    path = write(tmp_path, """\
        name: a
        contexts:
          a: {paths: ["a/**"], paths: ["b/**"]}
        name: b
    """)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    keys = sorted(p.key for p in err.value.problems)
    assert keys == ["contexts.a.paths", "name"]


def test_a_python_tag_is_refused_and_named(tmp_path, capsys):
    path = write(tmp_path, """\
        contexts:
          a: {paths: ["a/**"]}
        name: !!python/object/apply:os.system ["echo PWNED"]
    """)
    message = one_problem(path)
    assert "!!python/object/apply:os.system" in message and "line 3" in message
    assert "syntax error" not in message and "nothing was run" in message
    assert "PWNED" not in capsys.readouterr().out


def test_a_bad_value_is_named_without_its_secret(tmp_path):
    path = write(tmp_path, """\
        contexts:
          a: {paths: ["a/**"], role: "sk_live_shopfront_9Qx7Lm2Pz8Kd4Rt6"}
        sources:
          sql: [{path: "x.log", format: "margaret.hale@example.test"}]
    """)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert "contexts.a.role" in message and "sources.sql[0].format" in message
    assert "sk_live_shopfront_9Qx7Lm2Pz8Kd4Rt6" not in message and "margaret.hale@example.test" not in message


def test_depends_on_names_declared_contexts_other_than_itself_without_a_cycle(tmp_path):
    cfg = load_config(write(tmp_path, """
        contexts:
          a: {paths: ["a/**"], depends_on: [b]}
          b: {paths: ["b/**"], depends_on: []}
          c: {paths: ["c/**"]}
    """))
    assert [c.depends_on for c in cfg.contexts] == [("b",), (), None]
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, """
            contexts:
              a: {paths: ["a/**"], depends_on: [b, z, a]}
              b: {paths: ["b/**"], depends_on: [c]}
              c: {paths: ["c/**"], depends_on: [a]}
              d: {paths: ["d/**"], depends_on: x/**}
        """, name="bad.yml"))
    msg = str(err.value)
    assert "contexts.a.depends_on: expected names of declared contexts (a, b, c, d) (found 'z')" in msg
    assert "contexts.a.depends_on: expected other contexts than its own (found 'a')" in msg
    assert "expected declared dependencies without a cycle (found the cycle a -> b -> c -> a)" in msg
    assert len(err.value.problems) == 4  # d's single text is read as a list naming an unknown context


def test_operations_logs_and_the_scorecard_block(tmp_path):
    for name in ("incidents.csv", "costs.csv"):
        (tmp_path / name).write_text("x\n", encoding="utf-8")
    cfg = load_config(write(tmp_path, """
        sources:
          incidents: incidents.csv
          costs: costs.csv
        contexts:
          billing: {paths: ["billing/**"]}
        scorecard:
          period: week
          events: [{date: 2025-06-01, label: billing extracted, context: billing}, {date: 2025-01-01}]
    """))
    assert cfg.incidents.path == (tmp_path / "incidents.csv").resolve() and cfg.incidents.kind == "incidents"
    assert cfg.delivered is None and cfg.scorecard.period == "week"
    assert [(e.date.isoformat(), e.label, e.context) for e in cfg.scorecard.events] == [
        ("2025-01-01", "2025-01-01", None), ("2025-06-01", "billing extracted", "billing")]
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, """
            sources:
              delivered: missing.csv
            contexts:
              billing: {paths: ["billing/**"]}
            scorecard:
              period: sprint
              events: [{date: someday}, {label: no date}, {date: 2025-01-01, context: shipping}]
              colour: red
        """, name="bad.yml"))
    msg = str(err.value)
    for key in ("sources.delivered", "scorecard.period", "scorecard.events[0].date", "scorecard.events[1].date",
                "scorecard.events[2].context", "scorecard.colour"):
        assert key in msg, key
