"""Declaring API endpoints once: the same pydantic schemas validate requests, shape responses and write the OpenAPI document.

An endpoint is a plain function decorated with `endpoint(...)`; the decorator parses and
validates the JSON body and the query string, authenticates (bearer token, or the browser's
session plus a CSRF header for unsafe methods), applies the rate limits, and serializes what
the function returns. Every error is a problem+json answer.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, g, json, request
from flask_babel import gettext as _, refresh
from flask_login import current_user
from flask_wtf.csrf import ValidationError as CsrfInvalid
from flask_wtf.csrf import validate_csrf
from pydantic import BaseModel, ValidationError

from storefront import throttle
from storefront.accounts.models import User
from storefront.accounts.tokens import ApiToken, find_token
from storefront.problems import problem_response

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class Access(StrEnum):
    #: Anyone; a signed-in caller is known (e.g. the commission rate they would earn).
    PUBLIC = "public"
    USER = "user"
    OPERATOR = "operator"


class ApiProblem(Exception):
    """Raised by endpoints and services' adapters: becomes a problem+json answer."""

    def __init__(self, status: int, detail: str, *, errors: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        # A lazily translated message becomes text in the caller's language here.
        self.status, self.detail, self.errors, self.headers = status, str(detail), errors, headers


@dataclass(frozen=True)
class Reply:
    """An endpoint's answer when the status is not the endpoint's usual one (200 vs 201, say)."""

    body: BaseModel | None
    status: int


@dataclass(frozen=True)
class Endpoint:
    method: str
    rule: str
    view: Callable[..., Any]
    summary: str
    tag: str
    access: Access
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    responses: dict[int, type[BaseModel] | None]
    description: str = ""
    path_params: dict[str, str] = field(default_factory=dict)

    @property
    def openapi_path(self) -> str:
        return re.sub(r"<(?:(\w+):)?(\w+)>", r"{\2}", self.rule)


REGISTRY: list[Endpoint] = []
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def caller() -> User | None:
    return g.get("api_user")


def require_caller() -> User:
    user = caller()
    if user is None:
        raise ApiProblem(401, _("Send `Authorization: Bearer <token>` (POST /api/v1/auth/tokens gives one)."))
    return user


def current_token() -> ApiToken | None:
    return g.get("api_token")


def _authenticate(access: Access) -> None:
    header = request.headers.get("Authorization", "")
    g.api_user, g.api_token = None, None
    if header:
        scheme, _space, token = header.partition(" ")
        found = find_token(token.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise ApiProblem(401, _("That bearer token is not valid (revoked, mistyped, or not a Vitrine token)."),
                             headers={"WWW-Authenticate": 'Bearer realm="vitrine"'})
        g.api_user, g.api_token = found.user, found
    elif current_user.is_authenticated:
        if request.method in UNSAFE_METHODS:
            try:
                validate_csrf(request.headers.get("X-CSRFToken", ""))
            except CsrfInvalid:
                raise ApiProblem(403, _("Signed in by cookie: send the page's CSRF token in the X-CSRFToken header, "
                                        "or use a bearer token.")) from None
        g.api_user = current_user._get_current_object()
    if g.api_user is not None:
        # The caller's own language and time zone now beat Accept-Language, even if one was picked already.
        refresh()
    if access is not Access.PUBLIC and g.api_user is None:
        raise ApiProblem(401, _("Send `Authorization: Bearer <token>` (POST /api/v1/auth/tokens gives one)."),
                         headers={"WWW-Authenticate": 'Bearer realm="vitrine"'})
    if access is Access.OPERATOR and not g.api_user.is_operator:
        raise ApiProblem(403, _("This is for the store's operators."))


def _over_limit(namespace: str, value: str) -> None:
    limit = current_app.config["API_RATE_LIMIT"]
    if not throttle.allow(limit, namespace, value):
        raise ApiProblem(429, _("Too many requests (the limit is %(limit)s); wait a minute.", limit=limit), headers={"Retry-After": "60"})


def _field_errors(error: ValidationError, where: str) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(part) for part in issue["loc"]) or where,
         "pointer": "/" + "/".join(str(part) for part in issue["loc"]), "detail": issue["msg"]}
        for issue in error.errors(include_url=False)
    ]


def _parse_body(model: type[BaseModel]) -> BaseModel:
    if request.mimetype != "application/json":
        raise ApiProblem(415, _("Send the body as JSON with `Content-Type: application/json`."))
    try:
        raw = json.loads(request.get_data(as_text=True) or "null")
    except ValueError as error:
        raise ApiProblem(400, _("The body is not valid JSON: %(error)s.", error=error)) from None
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise ApiProblem(422, _("Some fields are missing or wrong; see `errors`."), errors=_field_errors(error, "body")) from None


def _parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise ApiProblem(400, _("Some query parameters are wrong; see `errors`."), errors=_field_errors(error, "query")) from None


def _respond(result: Any, status: int) -> Response:
    if isinstance(result, Reply):
        result, status = result.body, result.status
    if result is None:
        return Response(status=204 if status in (200, 204) else status)
    return Response(result.model_dump_json(), status=status, mimetype="application/json")


def endpoint(
    blueprint: Blueprint, method: str, rule: str, *, summary: str, tag: str, access: Access = Access.PUBLIC,
    body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
    responses: dict[int, type[BaseModel] | None] | None = None, description: str = "",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `view` at `rule` (Flask syntax, e.g. "/products/<int:product_id>"); the first response is the usual one."""
    answers = responses or {200: None}
    usual_status = next(iter(answers))

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def handle(**path: Any) -> Response:
            try:
                # Every request counts against its network, even one that fails to authenticate.
                _over_limit("api-ip", throttle.network_of(request.remote_addr))
                _authenticate(access)
                if (token := current_token()) is not None:
                    _over_limit("api-token", str(token.id))
                kwargs = dict(path)
                if body is not None:
                    kwargs["body"] = _parse_body(body)
                if query is not None:
                    kwargs["query"] = _parse_query(query)
                return _respond(view(**kwargs), usual_status)
            except ApiProblem as problem:
                from storefront.extensions import db

                db.session.rollback()
                return problem_response(problem.status, problem.detail, errors=problem.errors, headers=problem.headers)

        blueprint.add_url_rule(rule, view.__name__, handle, methods=[method])
        REGISTRY.append(Endpoint(
            method=method.lower(), rule=blueprint.url_prefix + rule if blueprint.url_prefix else rule, view=view,
            summary=summary, tag=tag, access=access, body=body, query=query, responses=answers, description=description,
            path_params={name: converter or "string" for converter, name in _PARAM.findall(rule)},
        ))
        return handle

    return register
