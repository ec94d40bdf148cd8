"""What the OpenAPI description learns from the routes' dependencies.

A body read by ``json_body`` is not a FastAPI body parameter, so its request
body, its model and its 413 are written here; a route that counts against a
rate limit sends the X-RateLimit-* headers with every answer, so each of its
answers documents them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from backend.api.body import MAX_BODY_BYTES
from backend.api.errors import answers, rate_limit_headers

_REF = "#/components/schemas/{model}"


def _calls(route: APIRoute) -> Iterator[Callable[..., Any]]:
    """Every dependency callable of ``route``, however deep."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call is not None:
            yield dep.call
        stack.extend(dep.dependencies)


def _body_of(route: APIRoute) -> tuple[type[BaseModel], int] | None:
    for call in _calls(route):
        model = getattr(call, "body_model", None)
        if model is not None:
            return model, int(getattr(call, "max_bytes", MAX_BODY_BYTES))
    return None


def _error_answer(status: int) -> dict[str, Any]:
    """``answers(status)`` as it reads in the description (the model as a reference)."""
    spec = dict(answers(status)[status])
    model: type[BaseModel] = spec.pop("model")
    spec["content"] = {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}}
    return spec


def complete(routers: list[APIRouter], schema: dict[str, Any]) -> None:
    """Add to ``schema`` the request bodies that ``routers`` read with ``json_body``, and the
    rate-limit headers of their limited routes."""
    bodies: list[tuple[APIRoute, type[BaseModel], int]] = []
    limited: list[APIRoute] = []
    for route in (r for router in routers for r in router.routes):
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        body = _body_of(route)
        if body is not None:
            bodies.append((route, *body))
        if any(getattr(call, "rate_limited", False) for call in _calls(route)):
            limited.append(route)
    models = sorted({model for _r, model, _n in bodies}, key=lambda m: m.__name__)
    _refs, defs = models_json_schema([(m, "validation") for m in models], ref_template=_REF)
    schema.setdefault("components", {}).setdefault("schemas", {}).update(defs.get("$defs", {}))
    too_large = _error_answer(413)
    for route, model, max_bytes in bodies:
        for operation in _operations(schema, route):
            operation["requestBody"] = {
                "description": f"JSON (UTF-8), at most {max_bytes} bytes",
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}
                },
            }
            # A route that says more about its 413 (submit: its arguments too) keeps its own.
            operation["responses"].setdefault("413", copy.deepcopy(too_large))
            operation["responses"] = dict(sorted(operation["responses"].items()))
    for route in limited:
        for operation in _operations(schema, route):
            for answer in operation["responses"].values():
                answer["headers"] = {**answer.get("headers", {}), **rate_limit_headers()}


def _operations(schema: dict[str, Any], route: APIRoute) -> Iterator[dict[str, Any]]:
    for method in sorted(route.methods or ()):
        yield schema["paths"][route.path_format][method.lower()]
