"""The benchmarks' transactional tests start from the migrated reference data, as the suite's do."""

from tests.conftest import _reference_data_in_transactional_tests  # noqa: F401 - an autouse fixture
