"""Every input is bounded, and the bound is declared in /openapi.json where clients and fuzzers
read it: strings have a maxLength, lists a maxItems, maps a maxProperties, in every request body
(followed through the components it references) and every string parameter."""

from typing import Any

from fastapi.testclient import TestClient

from tests.core.test_problems import assert_problem

# Values of these types are bounded by what they are: an enum member, a UUID, a date. An uploaded
# file is bounded by MAX_UPLOAD_BYTES, checked as it arrives.
BOUNDED_FORMATS = frozenset({"uuid", "date", "date-time", "binary"})


def _bounded_by_type(schema: dict[str, Any]) -> bool:
    return (
        "enum" in schema
        or "const" in schema
        or schema.get("format") in BOUNDED_FORMATS
        or "contentMediaType" in schema
    )


class BoundsWalker:
    """Collects the places in a document's request inputs that have no declared bound."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components = document.get("components", {}).get("schemas", {})
        self.unbounded: list[str] = []
        self._visited: set[str] = set()

    def walk_document(self) -> list[str]:
        for path, item in self.document["paths"].items():
            for method, operation in item.items():
                where = f"{method.upper()} {path}"
                for parameter in operation.get("parameters", []):
                    self.parameter(parameter, where)
                body = operation.get("requestBody", {})
                for media in body.get("content", {}).values():
                    self.schema(media["schema"], f"{where} body")
        return self.unbounded

    def parameter(self, parameter: dict[str, Any], where: str) -> None:
        schema = parameter["schema"]
        for option in schema.get("anyOf", [schema]):
            if "$ref" in option:
                self.schema(option, where)
            elif option.get("type") == "string" and not self._string_bounded(option):
                self.unbounded.append(f"{where} {parameter['in']} {parameter['name']}")

    def schema(self, schema: dict[str, Any], where: str) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in self._visited:
                self._visited.add(name)
                self.schema(self.components[name], name)
            return
        for combinator in ("anyOf", "oneOf", "allOf"):
            for option in schema.get(combinator, []):
                self.schema(option, where)
        kind = schema.get("type")
        if kind == "string" and not self._string_bounded(schema):
            self.unbounded.append(f"{where}: string without maxLength")
        elif kind == "array":
            if "maxItems" not in schema:
                self.unbounded.append(f"{where}: array without maxItems")
            if "items" in schema:
                self.schema(schema["items"], f"{where}[]")
        for name, member in schema.get("properties", {}).items():
            self.schema(member, f"{where}.{name}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            if "maxProperties" not in schema:
                self.unbounded.append(f"{where}: map without maxProperties")
            self.schema(extra, f"{where}{{}}")
            if "propertyNames" in schema:
                self.schema(schema["propertyNames"], f"{where}{{key}}")

    @staticmethod
    def _string_bounded(schema: dict[str, Any]) -> bool:
        return "maxLength" in schema or _bounded_by_type(schema)


def test_every_request_input_declares_its_bound(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert BoundsWalker(document).walk_document() == []


def test_the_walker_finds_unbounded_inputs_wherever_they_hide() -> None:
    document = {
        "paths": {
            "/things": {
                "post": {
                    "parameters": [
                        {"in": "query", "name": "q", "schema": {"type": "string"}},
                        {"in": "query", "name": "ok", "schema": {"type": "string", "maxLength": 9}},
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "properties": {
                        "name": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}},
                        "parts": {
                            "type": "array",
                            "maxItems": 3,
                            "items": {"$ref": "#/components/schemas/Part"},
                        },
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "id": {"type": "string", "format": "uuid"},
                        "kind": {"type": "string", "enum": ["a", "b"]},
                    },
                },
                "Part": {"type": "object", "properties": {"note": {"type": "string"}}},
            }
        },
    }
    assert sorted(BoundsWalker(document).walk_document()) == [
        "POST /things query q",
        "Part.note: string without maxLength",
        "Thing.labels: map without maxProperties",
        "Thing.labels{}: string without maxLength",
        "Thing.name: string without maxLength",
        "Thing.tags: array without maxItems",
    ]


def test_page_size_is_declared_between_1_and_200_on_every_list(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    limits = [
        parameter["schema"]
        for item in document["paths"].values()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and parameter["name"] == "limit"
    ]
    assert limits
    assert all(schema["minimum"] == 1 and schema["maximum"] == 200 for schema in limits)


def test_batches_are_bounded_to_500_reports(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["ReportBatch"]["properties"]["items"]["maxItems"] == 500


def test_a_parameter_over_its_declared_length_is_422(client: TestClient) -> None:
    response = client.get("/api/v1/recommendations", params={"sdg": "16.100"})
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["loc"] == ["query", "sdg"]
