"""The OpenAPI document: every status a route can answer, and how created objects link on.

The error statuses are read from what each route depends on, once, here, instead of being
copied onto every route: a role guard can answer 401 and 403, any route that reads a token 401,
a required `If-Match` 412 and 428 (one honoured only when sent, 412), an object named in the
path 404 (and 412 when it is changed), a body 400 (unreadable) and 413, the database 503, and
every route 422 (an unknown query parameter).
Routes add what only their service knows (a 409) with `responses=`. Every error is described as
`application/problem+json` with the one `Problem` schema.

Creating operations carry OpenAPI links to what can be done next with the object they created,
and item operations to the others on the same item (with its new `ETag`), so that generated
clients and stateful test tools can follow create, read, update and delete.
"""

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from app.core.concurrency import conditional_if_match
from app.core.deps import get_database, get_session
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.guards import RoleGuard, optional_principal

PROBLEM_REF = "#/components/schemas/Problem"
ITEM_METHODS = ("get", "patch", "delete", "post")

DESCRIPTIONS = {
    400: "The body cannot be read: not UTF-8 JSON, or broken multipart",
    401: "No valid bearer token: missing, expired, revoked or the account is inactive",
    403: "The caller's role may not do this",
    404: "Not found, or not visible to this caller (another State's object is 404, never 403)",
    409: "Conflicts with the object's current state",
    412: "The object changed meanwhile (`If-Match` is not its `ETag`, or another request got "
    "there first): reload and retry",
    413: "The request body is larger than MAX_BODY_BYTES (MAX_UPLOAD_BYTES for uploads)",
    422: "The request is not valid; `errors` names each failing field",
    428: "`If-Match` is required: send the `ETag` of the version being changed",
    503: "The database is unavailable; retry after `Retry-After` seconds",
}
HEADERS = {
    401: {"WWW-Authenticate": "`Bearer`"},
    429: {"Retry-After": "Seconds to wait before retrying"},
    503: {"Retry-After": "Seconds to wait before retrying"},
}
# Headers of successful answers, by when they are sent.
REQUEST_ID = {"X-Request-ID": "The request's id, also in the logs (yours if you sent a sane one)"}
RATE_LIMIT = {
    "RateLimit": "e.g. `limit=600, remaining=599, reset=42`",
    "RateLimit-Policy": "The limit and its window, e.g. `600;w=60`",
}
ETAG = {"ETag": "The object's version; send it back in `If-Match` to change it"}
CREATED = {"Location": "Where the created object is read"}
REPLAYED = {"Idempotent-Replayed": "`true` when the answer replays an earlier request's"}
SECURITY_SCHEME = "OAuth2PasswordBearer"


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str | None


class Problem(BaseModel):
    """An RFC 9457 problem document. Extension members appear only where they apply."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI reference naming the problem, e.g. `/problems/not-found`")
    title: str
    status: int
    detail: str
    instance: str | None = Field(default=None, description="The request path")
    request_id: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="Invalid fields (422)")
    allowed: list[str] | None = Field(default=None, description="Moves open now (409)")
    current_etag: str | None = Field(default=None, description="The current ETag (412)")
    error: str | None = Field(default=None, description="RFC 6749 error code (token endpoint)")


def conflict(description: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route whose service can refuse with 409 (described as a problem)."""
    return {409: {"description": description}}


def refusal(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for another status only the route's service knows it can answer."""
    return {status: {"description": description}}


def install_openapi(app: FastAPI) -> None:
    """Complete the app's OpenAPI document once, when it is first built."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            _declare_problems(app, document)
            _declare_security(app, document)
            _declare_headers(app, document)
            _name_enum_members(document)
            _add_links(document)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for child in dependant.dependencies:
        yield from _dependants(child)


def error_statuses(route: APIRoute) -> set[int]:
    """The error statuses a route can answer, from its dependencies and parameters. Every
    route can answer 422: an unknown query parameter is refused everywhere."""
    statuses = {int(code) for code in route.responses if str(code).isdigit()} | {422}
    headers: set[str] = set()
    for dependant in _dependants(route.dependant):
        if isinstance(dependant.call, RoleGuard):
            statuses |= {401, 403}
        elif dependant.call is optional_principal:
            statuses.add(401)
        elif dependant.call in (get_session, get_database):
            statuses.add(503)
        elif dependant.call is conditional_if_match:
            statuses.add(412)  # honoured when sent, never required: no 428
            continue
        headers |= {field.alias.lower() for field in dependant.header_params}
    if route.dependant.path_params:
        statuses.add(404)
        if route.methods - {"GET", "HEAD"}:
            statuses.add(412)  # a change can lose the race for a versioned row
    if "if-match" in headers:
        statuses |= {412, 428}
    if route.body_field is not None:
        statuses |= {400, 413}
    return {status for status in statuses if status >= 400}


def _problem_response(status: int, existing: dict[str, Any]) -> dict[str, Any]:
    response = dict(existing)
    response.setdefault("description", DESCRIPTIONS.get(status, "Error"))
    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}
    for name, text in HEADERS.get(status, {}).items():
        response.setdefault("headers", {}).setdefault(
            name, {"description": text, "schema": {"type": "string"}}
        )
    return response


def _declare_problems(app: FastAPI, document: dict[str, Any]) -> None:
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods:
            operation = document["paths"][route.path_format][method.lower()]
            responses = operation["responses"]
            for status in error_statuses(route):
                key = str(status)
                if status == 422 and _is_fastapi_validation(responses.get(key)):
                    responses.pop(key)  # FastAPI's own 422 describes a body we never send
                responses[key] = _problem_response(status, responses.get(key, {}))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem


def _declare_security(app: FastAPI, document: dict[str, Any]) -> None:
    """A role guard requires a token; signing in and health checks read none; every other
    operation is public and takes a token if one is sent (the caller then sees what its role
    may). That last case is the document's default, so that an operation without its own
    `security` declares it: generators then let such operations be called with or without
    credentials, and Swagger UI sends them when you have authorised."""
    document["security"] = [{}, {SECURITY_SCHEME: []}]
    for route, operation in _operations(app, document):
        calls = [dependant.call for dependant in _dependants(route.dependant)]
        if any(isinstance(call, RoleGuard) for call in calls):
            operation["security"] = [{SECURITY_SCHEME: []}]
        elif any(call is optional_principal for call in calls):
            operation.pop("security", None)
        else:
            operation["security"] = []


def _declare_headers(app: FastAPI, document: dict[str, Any]) -> None:
    """Every header a client needs to read, on the answers that carry it."""
    schemas = document.get("components", {}).get("schemas", {})
    for _route, operation in _operations(app, document):
        responses = operation["responses"]
        limited = "429" in responses
        takes_key = any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
        for status, response in responses.items():
            headers = dict(REQUEST_ID)
            if limited:
                headers |= RATE_LIMIT
            if status in ("201", "202"):
                headers |= CREATED | (REPLAYED if takes_key else {})
            if status in ("200", "201") and _is_versioned(response, schemas):
                headers |= ETAG
            for name, text in headers.items():
                response.setdefault("headers", {}).setdefault(
                    name, {"description": text, "schema": {"type": "string"}}
                )


def _is_versioned(response: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """The answer is one object with a `version` (its ETag), not a list of them."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    refs = [schema.get("$ref")] + [option.get("$ref") for option in schema.get("anyOf", [])]
    names = [ref.rsplit("/", 1)[1] for ref in refs if ref]
    return bool(names) and all("version" in schemas.get(n, {}).get("properties", {}) for n in names)


def _name_enum_members(document: dict[str, Any]) -> None:
    """Generators name enum members after their values: give `-priority` the name
    `PRIORITY_DESCENDING` rather than `VALUE_2`."""

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            values = node.get("enum")
            if isinstance(values, list) and any(str(v).startswith("-") for v in values):
                node["x-enum-varnames"] = [
                    f"{str(v)[1:]}_descending".upper() if str(v).startswith("-") else str(v).upper()
                    for v in values
                ]
            for child in node.values():
                visit(child)
        elif isinstance(node, list):
            for child in node:
                visit(child)

    visit(document["paths"])


def _operations(app: FastAPI, document: dict[str, Any]) -> Iterator[tuple[APIRoute, Any]]:
    for route in app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in route.methods:
                yield route, document["paths"][route.path_format][method.lower()]


def _is_fastapi_validation(response: dict[str, Any] | None) -> bool:
    return bool(response) and "application/json" in (response or {}).get("content", {})


def _item_operations(document: dict[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    """(path, operation) under `prefix/{param}`: the item itself and what hangs off it."""
    for path, item in document["paths"].items():
        rest = path.removeprefix(prefix + "/")
        if rest == path or not rest.startswith("{"):
            continue
        for method in ITEM_METHODS:
            if method in item:
                yield path, item[method]


def _link(
    target: dict[str, Any], item_param: str, item_value: str, source_path: str
) -> dict[str, Any]:
    parameters: dict[str, str] = {}
    for parameter in target.get("parameters", []):
        name, where = parameter["name"], parameter["in"]
        if where == "path" and name == item_param:
            parameters[f"path.{name}"] = item_value
        elif where == "path" and "{" + name + "}" in source_path:
            parameters[f"path.{name}"] = f"$request.path.{name}"
        elif where == "header" and name.lower() == "if-match":
            parameters[f"header.{name}"] = "$response.header.ETag"
    return {"operationId": target["operationId"], "parameters": parameters}


def _add_links(document: dict[str, Any]) -> None:
    for path, item in list(document["paths"].items()):
        for method, operation in item.items():
            responses = operation.get("responses", {})
            created = next((s for s in ("201", "202") if s in responses), None)
            if method == "post" and created is not None:
                # The created (or queued) object is reached at `path/{its id}`; a revision by
                # its number.
                for target_path, target in _item_operations(document, path):
                    param = target_path.removeprefix(path + "/{").split("}", 1)[0]
                    field = "number" if param == "number" else "id"
                    link = _link(target, param, f"$response.body#/{field}", path)
                    responses[created].setdefault("links", {})[target["operationId"]] = link
            elif "200" in responses and method != "get" and "{" in path:
                # After a change, the same item can be read, changed again or deleted.
                prefix, rest = path.split("/{", 1)
                param = rest.split("}", 1)[0]
                item_path = f"{prefix}/{{{param}}}"
                for target_path, target in _item_operations(document, prefix):
                    if target_path == item_path or target_path.startswith(item_path + "/"):
                        link = _link(target, param, f"$request.path.{param}", path)
                        responses["200"].setdefault("links", {})[target["operationId"]] = link
