"""The OpenAPI description is the contract: every answer the live backend gives fits it.

Schemathesis generates requests from /openapi.json (examples, coverage, fuzzing
and stateful sequences that feed one answer's ids into the next request) and
runs every check on the answers: no 500, each status code, content type, header
and body as documented, invalid input refused, valid input accepted, Allow
headers right. It runs as an admin and as a viewer, against a backend of this
module's own whose rate limits are far out of the way (ROOMY): with the
default tiers most calls would soon answer 429, which is documented but tests
nothing else. The few checks beside it pin what the run relies on.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from taskdeck_dev.stack import running_alertmanager
from tests.conftest import ROOMY, TOKENS, Server, running_backend, running_redis
from tests.helpers import api

pytestmark = pytest.mark.integration

SCHEMATHESIS = Path(sys.executable).with_name("st")
CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 100  # per operation and phase: the whole module takes about a minute
RUN_DEADLINE_S = 150


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    run_dir = tmp_path_factory.mktemp("contract")
    with running_redis(run_dir) as redis, running_alertmanager(run_dir) as alertmanager:
        env = {**ROOMY, "TASKDECK_ALERTMANAGER_URL": alertmanager.url}  # the silence routes
        with running_backend(run_dir, redis.url, env) as server:
            yield server


@pytest.fixture(scope="module")
def openapi(backend: Server) -> dict[str, Any]:
    reply = httpx.get(f"{backend.url}/openapi.json", timeout=10)
    reply.raise_for_status()
    schema: dict[str, Any] = reply.json()
    return schema


def test_every_route_documents_its_answers_and_the_bearer_scheme(openapi: dict[str, Any]) -> None:
    assert openapi["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    for path, operations in openapi["paths"].items():
        for method, op in operations.items():
            answers = op["responses"]
            success = [s for s in answers if s.startswith("2")]
            assert success, f"{method} {path} documents no success"
            for status in success:
                assert answers[status].get("content"), f"{method} {path} {status} has no body"
            if path.startswith("/api/"):
                assert {"401", "429"} <= set(answers), f"{method} {path}"
                assert op["security"] == [{"HTTPBearer": []}], f"{method} {path}"
                assert "Retry-After" in answers["429"]["headers"]
                # a failed authentication counts against a limit, and says where it stands
                assert "X-RateLimit-Remaining" in answers["401"]["headers"], f"{method} {path}"
            if "requestBody" in op:  # read only up to a size, and refused beyond it
                assert "413" in answers, f"{method} {path}"
                assert "at most" in op["requestBody"]["description"]
            if "X-RateLimit-Limit" in answers.get("200", answers.get("202", {})).get("headers", {}):
                # a limited route: every answer says where the caller stands
                for status, answer in answers.items():
                    assert answer["headers"]["X-RateLimit-Remaining"]["required"], status
            for status, answer in answers.items():
                if status.startswith(("4", "5")):
                    body = answer["content"]["application/json"]["schema"]
                    assert body["$ref"].endswith(("/ErrorBody", "/TooManyRequestsBody")), status
    bulk = openapi["paths"]["/api/v1/actions/bulk"]["post"]["responses"]
    assert {"200", "202", "400", "403", "404", "409", "413", "422"} <= set(bulk)
    limited = [f"{m} {p}" for p, ops in openapi["paths"].items() for m, op in ops.items()
               if "X-RateLimit-Limit" in op["responses"].get("401", {}).get("headers", {})
               and "X-RateLimit-Limit" in op["responses"].get("403", {}).get("headers", {})]  # fmt: skip
    changing = [f"{m} {p}" for p, ops in openapi["paths"].items() for m in ops
                if p.startswith("/api/") and m in ("post", "put", "patch", "delete")]  # fmt: skip
    assert len(changing) >= 8 and sorted(limited) == sorted(changing)  # every change is limited
    assert set(openapi["paths"]["/metrics"]["get"]["responses"]["200"]["content"]) == {"text/plain"}
    assert "/health" in openapi["paths"]


def test_errors_of_the_framework_answer_the_one_error_shape(backend: Server) -> None:
    with api(backend.url, "admin") as admin:
        unknown = admin.get("/api/v1/nothing-here")
        assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
        wrong = admin.delete("/api/v1/tasks")
        assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"
        assert wrong.headers["allow"] == "GET, HEAD, POST"  # both routes on the path
        for body in (b"{not json", b"\xff\xfe"):
            bad = admin.post(
                "/api/v1/tasks/x/cancel",
                content=body,
                headers={"Content-Type": "application/json"},
            )
            assert bad.status_code == 400, bad.text
            assert bad.json()["error"] == "bad_body" and "JSON" in bad.json()["detail"]
        invalid = admin.post("/api/v1/tasks/x/cancel", json={"reason": " "})
        assert invalid.status_code == 422
        assert set(invalid.json()) == {"error", "detail"}
        assert "reason" in invalid.json()["detail"]


def test_whole_numbers_are_integers_but_fractions_and_strings_are_not(backend: Server) -> None:
    with api(backend.url, "admin") as admin:
        ok = admin.put("/api/v1/quotas/contract-user", json={"limit": 7.0, "reason": "test"})
        assert ok.status_code == 200 and ok.json()["limit"] == 7
        for limit in (7.5, "7", True):
            reply = admin.put("/api/v1/quotas/contract-user", json={"limit": limit, "reason": "t"})
            assert reply.status_code == 422, limit


@pytest.mark.timeout(RUN_DEADLINE_S + 30)
@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_schemathesis_finds_no_mismatch(backend: Server, role: str, tmp_path: Path) -> None:
    argv = [
        str(SCHEMATHESIS), "--config-file", str(CONFIG), "--no-color",
        "run", f"{backend.url}/openapi.json",
        "--header", f"Authorization: Bearer {TOKENS[role]}",
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", "20261123",
        "--workers", "1",
        "--generation-database", "none",
        "--request-timeout", "10",
    ]  # fmt: skip
    run = subprocess.run(
        argv, cwd=tmp_path, capture_output=True, text=True, timeout=RUN_DEADLINE_S, check=False
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    # "No issues found", or only warnings (a viewer's calls to act answer 403 only).
    verdict = [line for line in report.splitlines() if line.startswith("=====")][-1]
    assert "failure" not in verdict and "error" not in verdict, report[-6000:]
    assert "✅ Stateful" in report, report[-3000:]  # the stateful phase ran, and passed
