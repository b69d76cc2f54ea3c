"""Fidelity: every REST request the client builds, for every shipped template, is valid by
Nmbrs' own OpenAPI document, checked with openapi-core (not with the emulator's validator).

The requests are the ones real runs send: each template's sample runs over REST against the
emulator on loopback, and every request leaving the transport is kept and validated.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from bulkimport.emulator import EmulatorConfig, RunningEmulator, running_emulator
from bulkimport.job import ImportJob, run_job
from bulkimport.nmbrs.rest import transport as rest_transport
from bulkimport.nmbrs.rest.codec import EncodedRequest
from bulkimport.nmbrs.rest.table import RestOperation
from bulkimport.nmbrs.rest.tokens import FileTokenStore
from tests.conftest import EMULATOR_PERIOD
from tests.test_rest_run import CLIENT, SAMPLES, TEMPLATES, log_in

ROOT: Final = Path(__file__).resolve().parents[3]
SPEC: Final = Path(
    os.environ.get("NMBRS_OPENAPI")
    or ROOT.parent / "shared" / "nmbrs" / "rest-openapi" / "nmbrs-openapi.yaml"
)
NMBRS_HOST: Final = "https://api.nmbrsapp.com"

pytestmark = pytest.mark.skipif(
    not SPEC.is_file(), reason=f"Nmbrs' OpenAPI document is not at {SPEC} (../shared is absent)"
)
openapi_core = pytest.importorskip("openapi_core")
datastructures = pytest.importorskip("werkzeug.datastructures")


@dataclass
class SpecRequest:
    """A request as openapi-core reads it, addressed to Nmbrs' host."""

    path: str
    method: str
    parameters: Any
    content_type: str
    body: bytes | None
    host_url: str = NMBRS_HOST


@pytest.fixture(scope="module")
def openapi() -> Any:
    config = openapi_core.Config(spec_validator_cls=None)
    return openapi_core.OpenAPI.from_file_path(str(SPEC), config=config)


@pytest.fixture
async def emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    directory = tmp_path / "tokens"
    monkeypatch.setenv("BULKIMPORT_TOKEN_DIR", str(directory))
    async with running_emulator(EmulatorConfig(current_period=EMULATOR_PERIOD, seed=1)) as running:
        await log_in(running, FileTokenStore(directory))
        yield running


def recording(monkeypatch: pytest.MonkeyPatch) -> list[SpecRequest]:
    """Keep every request the REST transport sends, as openapi-core wants to see it."""
    sent: list[SpecRequest] = []
    attempt = rest_transport.RestTransport._attempt

    async def record(
        self: rest_transport.RestTransport,
        operation: RestOperation,
        request: EncodedRequest,
        token: str,
    ) -> tuple[int, Any, float | None]:
        body = None if request.body is None else json.dumps(request.body).encode()
        headers = {"Authorization": f"Bearer {token}", "X-Subscription-Key": "key"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        sent.append(
            SpecRequest(
                path=request.path,
                method=operation.method.lower(),
                parameters=openapi_core.datatypes.RequestParameters(
                    query=datastructures.ImmutableMultiDict(dict(request.query)),
                    header=datastructures.Headers(headers),
                ),
                content_type="application/json" if body is not None else "",
                body=body,
            )
        )
        return await attempt(self, operation, request, token)

    monkeypatch.setattr(rest_transport.RestTransport, "_attempt", record)
    return sent


# openapi-core checks no OAuth2 tokens and warns so; the login's own tests cover them.
@pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")
@pytest.mark.parametrize(("template", "sample"), TEMPLATES, ids=[t for t, _ in TEMPLATES])
async def test_every_request_of_every_template_is_valid_by_the_document(
    emulator: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    openapi: Any,
    template: str,
    sample: str,
) -> None:
    sent = recording(monkeypatch)
    shutil.copy(SAMPLES / sample, tmp_path / sample)
    await run_job(
        ImportJob(
            input_path=tmp_path / sample,
            template=template,
            company_id="DEMO B.V.",
            endpoint=emulator.origin,
            api="rest",
            rest_client=CLIENT,
            xlsx_report=False,
            seed=1,
        )
    )
    writes = [request for request in sent if request.method in ("post", "put")]
    assert writes, "the sample sent no write"
    failures = [
        f"{request.method} {request.path}: {error}"
        for request in sent
        for error in openapi.iter_request_errors(request)
    ]
    assert failures == []
