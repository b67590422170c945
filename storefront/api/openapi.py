"""The OpenAPI 3.1 document, generated from the registered endpoints and their pydantic schemas."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from storefront.api.framework import REGISTRY, Access, Endpoint

REF = "#/components/schemas/{model}"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
        "request_id": {"type": "string", "description": "This request's id (also in the X-Request-ID header), for support."},
        "errors": {"type": "array", "items": {"type": "object", "required": ["field", "pointer", "detail"], "properties": {
            "field": {"type": "string"}, "pointer": {"type": "string"}, "detail": {"type": "string"},
        }}},
    },
}
PATH_TYPES = {"int": {"type": "integer", "minimum": 0}, "string": {"type": "string"}}


def _models() -> list[tuple[type[BaseModel], str]]:
    seen: dict[tuple[type[BaseModel], str], None] = {}
    for item in REGISTRY:
        if item.body is not None:
            seen[(item.body, "validation")] = None
        for model in item.responses.values():
            if model is not None:
                seen[(model, "serialization")] = None
    return list(seen)


def _query_parameters(item: Endpoint, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    if item.query is None:
        return []
    schema = item.query.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": {k: v for k, v in prop.items() if k != "title"},
         **({"description": prop["description"]} if "description" in prop else {})}
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(item: Endpoint, refs: dict[tuple[type[BaseModel], str], dict[str, Any]], schemas: dict[str, Any]) -> dict[str, Any]:
    problem = {"description": "A problem (RFC 9457).", "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}}}
    responses: dict[str, Any] = {}
    for status, model in item.responses.items():
        if model is None:
            responses[str(status)] = {"description": "No content." if status == 204 else "Done."}
        else:
            responses[str(status)] = {"description": model.__doc__.strip().splitlines()[0] if model.__doc__ else "Done.",
                                      "content": {"application/json": {"schema": refs[(model, "serialization")]}}}
    responses["default"] = problem
    operation: dict[str, Any] = {
        "operationId": item.view.__name__, "summary": item.summary, "tags": [item.tag], "responses": responses,
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": PATH_TYPES.get(kind, {"type": "string"})}
            for name, kind in item.path_params.items()
        ] + _query_parameters(item, schemas),
    }
    if item.description:
        operation["description"] = item.description
    if item.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": refs[(item.body, "validation")]}}}
    operation["security"] = [{"bearer": []}] if item.access is not Access.PUBLIC else [{}, {"bearer": []}]
    return operation


def document(server_url: str, prefix: str) -> dict[str, Any]:
    """Paths are relative to the server URL, which ends with the API's prefix."""
    refs, defs = models_json_schema(_models(), ref_template=REF)
    schemas = dict(defs.get("$defs", {}))
    schemas["Problem"] = PROBLEM_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for item in REGISTRY:
        paths.setdefault(item.openapi_path.removeprefix(prefix), {})[item.method] = _operation(item, refs, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Vitrine API", "version": "1", "description": (
            "Everything a curator, a buyer and an operator can do on the site. Authenticate with "
            "`Authorization: Bearer <token>` from POST /api/v1/auth/tokens. Errors are application/problem+json."
        )},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
