"""bulkimport: employee data into Nmbrs payroll in bulk, at the rate limit, row by row accounted.

The public API is what `__all__` lists; everything else may change.
"""

from importlib.metadata import PackageNotFoundError, version

from bulkimport.config import Country, Credentials, Environment, RetryPolicy, TransportSettings
from bulkimport.errors import (
    AuthenticationError,
    BulkImportError,
    FatalError,
    RetryableError,
    RowError,
    TransportError,
)
from bulkimport.job import ImportJob, ImportOutcome, run_job
from bulkimport.model import (
    Call,
    RowPlan,
    RowResult,
    RowStatus,
    SourceInfo,
    SourceRow,
)

try:
    __version__ = version("bulkimport")
except PackageNotFoundError:  # pragma: no cover - running from a tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "AuthenticationError",
    "BulkImportError",
    "Call",
    "Country",
    "Credentials",
    "Environment",
    "FatalError",
    "ImportJob",
    "ImportOutcome",
    "RetryPolicy",
    "RetryableError",
    "RowError",
    "RowPlan",
    "RowResult",
    "RowStatus",
    "SourceInfo",
    "SourceRow",
    "TransportError",
    "TransportSettings",
    "__version__",
    "run_job",
]
