"""Bad input never reaches a 500. Schemathesis generates requests from the OpenAPI schema (its
examples, boundary and negative cases, random data, call sequences) against a real server, as
an API key holding every scope and as a signed-in agent; every answer must be documented, of
the declared type and shape, and never a server error. The cases it found are kept below as
regression tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from api.app import create_app
from assistant import identity
from tests.helpers import free_port, local_client, make_settings, shopper_token

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance"


@pytest.fixture
def live(fresh_shop):
    """The API on a real socket, the LLM off (the fuzzer is after the API, not prose)."""
    from tests.test_browser import serve

    fresh_shop.settings = make_settings(fresh_shop.settings.data_dir, llm_enabled=False)
    port = free_port()
    server = serve(create_app(fresh_shop.settings, fresh_shop), port)
    yield f"http://127.0.0.1:{port}", fresh_shop
    server.should_exit = True


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_schema_violation(live):
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")
    if cli is None:
        pytest.skip("schemathesis is not installed (make test installs the test extras)")
    base, shop = live
    # every scope but admin: maintenance routes are fuzzed for validation and refusal, not run
    # (a fuzzed `train` with 500 epochs or an index rebuild would only measure patience)
    key = identity.create_api_key(shop.store, "fuzz", [s for s in identity.SCOPES if s != "admin"])
    agent = identity.open_agent_session(shop.store, "fuzzer")
    args = [
        cli,
        "run",
        f"{base}/openapi.json",
        "-H",
        f"Authorization: Bearer {key}",
        "-H",
        f"Cookie: sa_agent={agent}; sa_csrf=fuzz",
        "-H",
        "X-CSRF-Token: fuzz",
        "--checks",
        CHECKS,
        "--exclude-path-regex",
        "^/v1/sessions/",  # a conversation's event stream stays open by design
        "--max-examples",
        "30",
        "--request-timeout",
        "60",
        "--seed",
        "20",
        "-w",
        "1",
    ]
    run = subprocess.run(args, capture_output=True, text=True, timeout=900, env={**os.environ, "NO_COLOR": "1"})
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


@pytest.mark.parametrize(
    "path,body,fragment",
    [
        ("/v1/events", {"user_id": "u01", "product_id": "coffee-01a", "kind": "purchase", "ts": "0001-01-01T00:00:00"}, "between 1970"),
        ("/v1/events", {"user_id": "u01", "product_id": "coffee-01a", "kind": "purchase", "ts": "2999-01-01T00:00:00"}, "between 1970"),
        ("/v1/events", {"user_id": "u01", "product_id": "coffee-01a", "kind": "purchase", "value": 1e308 * 10}, "value"),
        ("/v1/recommendations", {"constraints": {"price_max": float("nan")}}, "price_max"),
        ("/v1/recommendations", {"constraints": {"price_min": -5}}, "price_min"),
        ("/v1/recommendations", {"constraints": {"ranges": {"battery": [10]}}}, "ranges"),
        ("/v1/recommendations", {"constraints": {"attributes": {"\x1a.": ["x"]}}}, "attribute name"),
        ("/v1/chat", {"message": "hi", "stream": 0}, "stream"),
    ],
)
def test_fuzz_found_inputs_get_clear_422s(fresh_shop, path, body, fragment):
    with local_client(create_app(fresh_shop.settings, fresh_shop)) as c:
        r = c.post(path, content=_json(body), headers={"Content-Type": "application/json", **shopper_token(fresh_shop, "u01")})
    assert r.status_code == 422 and fragment in r.json()["error"]["message"], r.text


def _json(body) -> str:
    import json

    return json.dumps(body)  # NaN and Infinity as Python writes them: JSON clients can send them too


def test_a_body_that_is_not_json_is_a_400_in_the_usual_shape(fresh_shop):
    with local_client(create_app(fresh_shop.settings, fresh_shop)) as c:
        r = c.post("/v1/recommendations", content=b"\xff/", headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["message"]
        assert c.get("/v1/no-such-route").json()["error"]["code"] == 404
        assert c.delete("/v1/chat").json()["error"]["code"] == 405


def test_a_time_with_a_zone_is_stored_as_utc_and_ranks_with_the_rest(fresh_shop):
    with local_client(create_app(fresh_shop.settings, fresh_shop)) as c:
        me = shopper_token(fresh_shop, "u01")
        r = c.post(
            "/v1/events", json={"user_id": "u01", "product_id": "coffee-01a", "kind": "view", "ts": "2026-11-01T10:00:00+02:00"}, headers=me
        )
        assert r.status_code == 201
        assert c.post("/v1/recommendations", json={"k": 3}, headers=me).status_code == 200
    assert any(e.ts.isoformat() == "2026-11-01T08:00:00" for e in fresh_shop.store.history("u01", 500))
