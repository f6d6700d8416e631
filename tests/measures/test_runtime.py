"""Runtime evidence statuses on small literal inputs: the entry point inventory's trust."""

import pandas as pd

from analysis.core import frames
from analysis.core.config import parse_config
from analysis.core.evidence import State
from analysis.core.frames import Mined, SourceFrames
from analysis.measures.runtime import inventory_status

CONFIG = parse_config({"contexts": {"dcim": {"paths": ["netbox/dcim/**"]}}}, "seams.yml")


def mined(routes, counts=None):
    frame = frames.conform(pd.DataFrame({"kind": "route", "name": routes, "path": "netbox/dcim/urls.py",
                                         "line": range(1, len(routes) + 1), "framework": "django"}), "entry_points")
    return Mined.of({"entry_points": SourceFrames({"entry_points": frame}, 1, 0, [], counts or {})})


def test_an_inventory_that_followed_too_little_is_not_measurable():
    status = inventory_status(CONFIG, mined(["/dcim/sites/"], {"route_includes": 409, "route_includes_followed": 159}))
    assert status.state is State.NOT_MEASURABLE
    assert "followed 159 of 409" in status.reason and "(39%, min_entry_point_inventory_followed = 0.8)" in status.reason
    lenient = CONFIG.with_thresholds(min_entry_point_inventory_followed=0.3)
    assert inventory_status(lenient, mined(["/a/"], {"route_includes": 409, "route_includes_followed": 159})).state is State.MEASURED


def test_an_inventory_with_nothing_to_follow_or_everything_followed_is_measured():
    assert inventory_status(CONFIG, mined(["/a/", "/b/"])).reason == "2 entry points in the code"
    status = inventory_status(CONFIG, mined(["/a/"], {"route_includes": 10, "route_includes_followed": 9}))
    assert status.state is State.MEASURED and status.reason.endswith("9 of 10 include() calls and router registrations followed")


def test_no_inventory_is_not_measured():
    assert inventory_status(CONFIG, mined([])).state is State.NOT_MEASURED
    assert inventory_status(CONFIG, Mined.of({})).state is State.NOT_MEASURED
