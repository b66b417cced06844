"""factory-boy factories, one module per app; import them from here."""

from tests.factories.evaluations import *  # noqa: F403
from tests.factories.funding import *  # noqa: F403
from tests.factories.lifecycle import *  # noqa: F403
from tests.factories.providers import *  # noqa: F403
from tests.factories.scoring import *  # noqa: F403
from tests.factories.staff import *  # noqa: F403
