"""Read-only checks against the target before the first call that changes data. Does I/O.

A run first reads what every row depends on: the companies the account reaches (List_GetAll:
credentials, endpoint, TLS, and whether the company is one of them), the company's address
(its country decides BSN or personnummer), its current period (past-dated changes), and its
employees. Anything wrong here is wrong for every row, so it stops the run (FatalError, exit 2)
with the reason, before anything was sent. The reads retry a few times quickly, not with the
run's long backoff: a target that does not answer now is reported now.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import anyio

from bulkimport.backend import Backend, BackendOperation, SchemaViolation, Transport
from bulkimport.config import Country, RetryPolicy
from bulkimport.directory import EmployeeDirectory
from bulkimport.errors import ConfigError, ProtocolError, RetryableError, RowFault
from bulkimport.guards import CompanyPeriod
from bulkimport.model import NmbrsId
from bulkimport.reconcile import EmployeeEntry
from bulkimport.retry import call_with_retries

QUICK_RETRY: Final = RetryPolicy(max_attempts=3, base_delay=0.2, max_delay=1.0)


@dataclass(frozen=True, slots=True)
class TargetFacts:
    """What the pre-flight learnt of the company; the run is checked against it."""

    company_id: NmbrsId
    company_name: str
    country: Country
    period: CompanyPeriod
    employees: tuple[EmployeeEntry, ...]
    notes: tuple[str, ...]  # things the user should know, printed before anything is sent

    @property
    def employee_numbers(self) -> dict[int, NmbrsId]:
        """Employee number -> EmployeeId of the employees that have a number."""
        return {entry.number: entry.id for entry in self.employees if entry.number}


def decide_country(
    company_id: NmbrsId, iso_code: str | None, requested: Country | None, default: Country
) -> tuple[Country, str | None]:
    """The company's country from its address, and a note when it had to be assumed.

    An explicit request that contradicts the company is refused: identity numbers checked by
    the wrong country's rule would all be refused, or worse, accepted.
    """
    code = (iso_code or "").strip().upper()
    if code in Country.__members__:
        country = Country(code)
        if requested is not None and requested is not country:
            raise ConfigError(
                f"company {company_id} is in {country.value} (its address), but the run asks "
                f"for {requested.value}: leave the country out, or check the company id"
            )
        return country, None
    assumed = requested or default
    shown = f"{code!r}" if code else "no country"
    return assumed, (
        f"company {company_id}'s address shows {shown}: identity numbers and postal codes "
        f"are checked as {assumed.value}"
    )


async def check_target(
    transport: Transport,
    backend: Backend,
    company_id: NmbrsId,
    *,
    target: str,
    requested_country: Country | None,
    default_country: Country,
    seed: int | None = None,
) -> TargetFacts:
    """Read the facts the run needs, or raise FatalError naming what is wrong with the target."""
    rng = random.Random(seed)

    async def read(operation: BackendOperation, values: Mapping[str, Any]) -> Any:
        return await _read(transport, operation, values, target=target, rng=rng)

    # The reads are independent, so they go out together (the run's first writes wait for the
    # slowest, not for their sum), and are judged in the order a person would check them: an
    # unknown company explains the other reads' faults, not the other way round.
    settled = await _settle(
        companies=lambda: backend.list_companies(read),
        country_code=lambda: backend.company_country_code(read, company_id),
        period=lambda: backend.current_period(read, company_id),
        employees=lambda: EmployeeDirectory(read, backend.employee_lister()).refresh(company_id),
    )
    listed = settled.value("companies")
    company_name = listed.get(company_id)
    if company_name is None:
        raise ConfigError(_unknown_company(company_id, listed, target))
    country, note = decide_country(
        company_id, settled.value("country_code"), requested_country, default_country
    )
    try:
        period = settled.value("period")
    except ValueError as exc:
        raise ConfigError(f"{target}: Company_GetCurrentPeriod for {company_id}: {exc}") from exc
    employees = settled.value("employees")
    return TargetFacts(
        company_id=company_id,
        company_name=company_name,
        country=country,
        period=period,
        employees=employees,
        notes=(note,) if note else (),
    )


@dataclass(frozen=True, slots=True)
class _Settled:
    """The outcome of reads that ran side by side: each one's value or its exception."""

    values: Mapping[str, Any]
    failures: Mapping[str, Exception]

    def value(self, name: str) -> Any:
        """The read's value, or its exception raised now."""
        if name in self.failures:
            raise self.failures[name]
        return self.values[name]


async def _settle(**reads: Callable[[], Awaitable[Any]]) -> _Settled:
    """Run `reads` concurrently to the end, keeping each one's exception instead of cancelling
    the others with it (a task group would, and would raise them all as a group)."""
    values: dict[str, Any] = {}
    failures: dict[str, Exception] = {}

    async def keep(name: str, read: Callable[[], Awaitable[Any]]) -> None:
        try:
            values[name] = await read()
        except Exception as exc:  # judged in order by the caller
            failures[name] = exc

    async with anyio.create_task_group() as group:
        for name, read in reads.items():
            group.start_soon(keep, name, read)
    return _Settled(values, failures)


async def _read(
    transport: Transport,
    operation: BackendOperation,
    values: Mapping[str, Any],
    *,
    target: str,
    rng: random.Random,
) -> Any:
    """One read, retried quickly; every failure becomes a FatalError that names the target."""
    attempts = 0

    def count(attempt: int) -> None:
        nonlocal attempts
        attempts = attempt

    try:
        outcome = await call_with_retries(
            transport, operation, values, policy=QUICK_RETRY, rng=rng, on_attempt=count
        )
    except RetryableError as exc:  # AuthenticationError and ConfigError pass through as they are
        raise ConfigError(
            f"cannot reach {target} (checked before sending anything, {attempts} "
            f"attempt{'s' if attempts != 1 else ''}): {exc}"
        ) from exc
    except (ProtocolError, SchemaViolation) as exc:
        raise ConfigError(f"{target} does not answer as Nmbrs SOAP does: {exc}") from exc
    except RowFault as exc:
        raise ConfigError(f"{target} refused a read before anything was sent: {exc}") from exc
    return outcome.value


def _unknown_company(company_id: NmbrsId, listed: Mapping[NmbrsId, Any], target: str) -> str:
    shown = ", ".join(str(key) for key in sorted(listed)[:10])
    more = f" and {len(listed) - 10} more" if len(listed) > 10 else ""
    reachable = f"it reaches {shown}{more}" if listed else "it reaches no company"
    return (
        f"company {company_id} is not one this account can reach at {target} ({reachable}): "
        "check --company and the credentials; nothing was sent"
    )


def pick_company(given: NmbrsId, companies: Sequence[tuple[NmbrsId, str, str]]) -> NmbrsId:
    """The company id `given` names among `companies` (id, number, name): the id itself, the
    company number, or the exact name. Pure.

    Raises:
        ConfigError: no company or several match (the candidates are named).
    """
    text = str(given).strip()
    found = [c for c in companies if str(c[0]).lower() == text.lower()]
    found = (
        found or [c for c in companies if c[1] == text] or [c for c in companies if c[2] == text]
    )
    if len(found) == 1:
        return found[0][0]
    if not found:
        listed = ", ".join(f"{name!r} (number {number})" for _, number, name in companies[:10])
        raise ConfigError(
            f"no company {text!r} (give its id, number or exact name; the login reaches "
            f"{listed or 'no company'}); nothing was sent"
        )
    candidates = ", ".join(f"{company_id} (number {number})" for company_id, number, _ in found)
    raise ConfigError(f"company {text!r} is ambiguous: {candidates}; give its id")
