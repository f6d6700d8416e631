"""The package's public names are imported when first used: a reader does not load the pipeline."""

import subprocess
import sys

import analysis


def test_every_public_name_resolves_to_its_home():
    from analysis.core.config import load_config
    from analysis.pipeline import run

    assert analysis.run is run
    assert analysis.load_config is load_config
    for name in analysis.__all__:
        assert getattr(analysis, name) is not None
    assert set(analysis.__all__) <= set(dir(analysis))


def test_an_unknown_name_is_an_attribute_error_and_submodules_still_import():
    try:
        analysis.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")
    from analysis import pipeline

    assert pipeline.run is analysis.run


def test_importing_the_sql_reader_loads_neither_the_pipeline_nor_the_outputs():
    code = ("import sys, analysis.sources.sql.miner; "
            "print(sorted(m for m in sys.modules if m == 'analysis.pipeline' or m.startswith(('analysis.outputs', 'analysis.measures', "
            "'plotly', 'matplotlib', 'nbconvert', 'networkx', 'igraph'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
