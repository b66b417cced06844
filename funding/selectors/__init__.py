"""Reads of tiers, pools, proposals, the ledger, forecasts and progress, one module per topic.
Nothing here writes. The names are re-exported here so `from funding.selectors import …` keeps
working."""

from funding.selectors.allocation_plan import *  # noqa: F403
from funding.selectors.forecast import *  # noqa: F403
from funding.selectors.ledger import *  # noqa: F403
from funding.selectors.progress import *  # noqa: F403
from funding.selectors.standing import *  # noqa: F403
from funding.selectors.target_plan import *  # noqa: F403
