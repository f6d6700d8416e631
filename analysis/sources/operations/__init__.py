"""Logs kept by people about running the monolith: incidents, infrastructure costs and
delivered changes (features, tickets). Each is an optional CSV file named in the config
(``sources.incidents``, ``sources.costs``, ``sources.delivered``); every one reads with the
rules of :mod:`analysis.sources.records`. The migration scorecard
(:mod:`analysis.measures.scorecard`) reads their frames; a log not given is missing evidence,
never zero.

| log | module | frame |
|---|---|---|
| ``incidents`` | :mod:`analysis.sources.operations.incidents` | ``incidents`` |
| ``costs`` | :mod:`analysis.sources.operations.costs` | ``costs`` |
| ``delivered`` | :mod:`analysis.sources.operations.delivered` | ``delivered`` |
"""

from analysis.sources.operations.costs import mine_costs, parse_costs_csv
from analysis.sources.operations.delivered import mine_delivered, parse_delivered_csv
from analysis.sources.operations.incidents import mine_incidents, parse_incidents_csv

__all__ = ["mine_costs", "mine_delivered", "mine_incidents", "parse_costs_csv", "parse_delivered_csv", "parse_incidents_csv"]
