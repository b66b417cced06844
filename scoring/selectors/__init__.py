"""Reads of metrics, GMV and scores that other apps rely on, one module per topic: scores
(the overall-score rule, standings, scorecards, explanations), facts (trailing GMV, criterion
inputs, uploads) and configuration (model versions). Nothing here writes. The names are
re-exported here so `from scoring.selectors import …` keeps working."""

from scoring.selectors.configuration import *  # noqa: F403
from scoring.selectors.facts import *  # noqa: F403
from scoring.selectors.scores import *  # noqa: F403
