"""The served OpenAPI document describes the errors as they are really sent:
application/problem+json with a Problem body, on every 4xx and 5xx response."""
from __future__ import annotations

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code"}


def _deref(document: dict, node: dict) -> dict:
    """Follow a local ``$ref`` (``#/components/...``) to what it names."""
    while "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _error_responses(document: dict):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if status == "default" or int(status) >= 400:
                    yield f"{method.upper()} {path} {status}", _deref(document, response)


def _problem_schema(document: dict, response: dict) -> dict:
    return _deref(document, response["content"]["application/problem+json"]["schema"])


def test_every_error_response_is_documented_as_problem_json(client):
    document = client.get("/api/v1/openapi.json").get_json()
    errors = list(_error_responses(document))
    assert len(errors) > len(document["paths"])  # every operation has at least "default"
    for where, response in errors:
        assert set(response.get("content", {})) == {"application/problem+json"}, where
        schema = _problem_schema(document, response)
        assert set(schema["required"]) == PROBLEM_MEMBERS, where
        assert schema["properties"]["status"]["type"] == "integer", where
        assert "errors" in schema["properties"], where


def test_guarded_routes_document_401_and_403(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, method in (("/api/v1/counters/{counter_id}/call-next", "post"),
                         ("/api/v1/check-ins", "post"), ("/api/v1/tickets", "post")):
        responses = document["paths"][path][method]["responses"]
        assert {"401", "403"} <= set(responses), path
    assert "401" not in document["paths"]["/api/v1/locations"]["get"]["responses"]


def test_what_is_sent_matches_what_is_documented(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schema = _problem_schema(document, _deref(document, document["components"]["responses"]["DEFAULT_ERROR"]))
    types = {"string": str, "integer": int, "object": dict}
    for response in (client.get("/api/v1/availability"),  # 422 invalid, with "errors"
                     client.post("/api/v1/tickets", json={}),  # 401
                     client.get("/api/v1/reservations/NOPE?token=x")):  # 404
        assert response.status_code >= 400
        assert response.mimetype == "application/problem+json"
        body = response.get_json()
        assert PROBLEM_MEMBERS <= set(body)
        for name, value in body.items():
            if name in schema["properties"]:
                assert isinstance(value, types[schema["properties"][name]["type"]]), name


def test_an_optional_body_is_documented_as_optional(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    # Cancelling a ticket takes an optional reason: no body at all is fine (and answers 200).
    assert paths["/api/v1/tickets/{ticket_id}/cancel"]["post"]["requestBody"]["required"] is False
    assert paths["/api/v1/tickets/{ticket_id}/prioritise"]["post"]["requestBody"]["required"] is True
