"""The HTTP API as clients see it (FastAPI TestClient over the real shop)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.helpers import agent_login, local_client, make_settings, shopper_token


@pytest.fixture
def client(demo_shop):
    with local_client(create_app(demo_shop.settings, demo_shop)) as c:
        yield c


@pytest.fixture
def fresh_client(fresh_shop):
    with local_client(create_app(fresh_shop.settings, fresh_shop)) as c:
        yield c


def sse(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [ln for ln in block.split("\n") if ln]
        event = next((ln[6:].strip() for ln in lines if ln.startswith("event:")), None)
        data = "".join(ln[5:].strip() for ln in lines if ln.startswith("data:"))
        if event and data:
            out.append((event, json.loads(data)))
    return out


def test_chat_streams_cards_then_tokens_then_done(client, demo_shop):
    with client.stream("POST", "/v1/chat", json={"message": "a quiet keyboard under $100"}, headers=shopper_token(demo_shop, "u02")) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = sse(r.read().decode())
    kinds = [e for e, _ in events]
    assert kinds[0] == "cards" and kinds[-1] == "done" and "token" in kinds
    assert events[0][1]["items"][0]["reasons"][0]["evidence"]


def test_chat_json_variant_and_session_follow_up(client):
    first = client.post("/v1/chat", json={"message": "running shoes under $150", "stream": False}).json()
    assert first["items"] and first["text"]
    second = client.post("/v1/chat", json={"message": "cheaper", "session_id": first["session_id"], "stream": False}).json()
    assert second["intent"] == "refine" and all(i["product"]["price"] < 150 for i in second["items"])


@pytest.mark.parametrize(
    "body,fragment",
    [
        ({}, "message: Field required"),
        ({"message": ""}, "message: String should have at least 1 character"),
        ({"message": "hi", "session_id": "../../etc"}, "session_id"),
    ],
)
def test_bad_chat_requests_get_clear_422s(client, body, fragment):
    r = client.post("/v1/chat", json=body)
    assert r.status_code == 422 and fragment in r.json()["error"]["message"]


def test_recommendations_have_reasons_with_evidence(client, demo_shop):
    r = client.post("/v1/recommendations", json={"user_id": "u03", "k": 4, "max_per_category": 2}, headers=shopper_token(demo_shop, "u03"))
    items = r.json()["items"]
    assert r.status_code == 200 and len(items) == 4
    assert all(reason["evidence"] for it in items for reason in it["reasons"])
    cats = [it["product"]["category"] for it in items]
    assert max(cats.count(c) for c in cats) <= 2


def test_unknown_product_is_a_404_with_a_message(client, demo_shop):
    r = client.get("/v1/products/no-such-thing/review-summary")
    assert r.status_code == 404 and "no-such-thing" in r.json()["error"]["message"]
    r = client.post(
        "/v1/events", json={"user_id": "u01", "product_id": "no-such-thing", "kind": "view"}, headers=shopper_token(demo_shop, "u01")
    )
    assert r.status_code == 404


def test_review_summary_endpoint(client):
    r = client.get("/v1/products/headphon-01a/review-summary")
    body = r.json()
    assert r.status_code == 200 and body["likes"] and all(p["review_ids"] for p in body["likes"])


def test_a_purchase_changes_the_next_recommendation_at_once(fresh_client, fresh_shop):
    ask, me = {"user_id": "new-shopper", "k": 5}, shopper_token(fresh_shop, "new-shopper")
    before = [i["product"]["id"] for i in fresh_client.post("/v1/recommendations", json=ask, headers=me).json()["items"]]
    for pid in ("coffee-01a", "coffee-04a"):
        r = fresh_client.post("/v1/events", json={"user_id": "new-shopper", "product_id": pid, "kind": "purchase"}, headers=me)
        assert r.status_code == 201 and r.json()["stored"]
    after = fresh_client.post("/v1/recommendations", json=ask, headers=me).json()["items"]
    assert [i["product"]["id"] for i in after] != before
    assert sum(i["product"]["category"] == "Home > Kitchen > Coffee" for i in after) >= 3
    bought = {"user_id": "new-shopper", "product_id": "coffee-01a", "kind": "purchase", "ts": "2026-01-01T00:00:00"}
    again = fresh_client.post("/v1/events", json=bought, headers=me)
    assert again.json()["stored"] is True
    dup = fresh_client.post("/v1/events", json=bought, headers=me)
    assert dup.json()["stored"] is False


def test_rate_limit_answers_429_with_retry_after(demo_shop):
    settings = make_settings(demo_shop.settings.data_dir, rate_limit_per_minute=6)
    with TestClient(create_app(settings, demo_shop)) as c:
        codes = [c.get("/v1/products/keyboard-01a").status_code for _ in range(10)]
        r = c.get("/v1/products/keyboard-01a")
    assert codes[0] == 200 and 429 in codes
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1 and "retry" in r.json()["error"]["message"]


def test_agent_console_requires_login(client):
    assert client.get("/agent", follow_redirects=False).status_code == 303
    assert client.get("/agent/api/customers/u01").status_code == 401
    assert agent_login(client, "sam", "wrong").status_code == 401
    r = agent_login(client, "sam", "agent")
    assert r.status_code == 303
    page = client.get("/agent")
    assert page.status_code == 200 and "Signed in as sam" in page.text
    history = client.get("/agent/api/customers/u01").json()["history"]
    assert history and {"kind", "title", "ts"} <= set(history[0])


def test_openapi_and_pages(client):
    assert "/v1/chat" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "/static/widget.js" in page.text


def test_retried_events_are_stored_once(fresh_client, fresh_shop):
    me = shopper_token(fresh_shop, "u07")
    before = fresh_shop.store.count_events()
    body = {"user_id": "u07", "product_id": "coffee-01a", "kind": "purchase"}
    first = fresh_client.post("/v1/events", json={**body, "id": "order-77-line-1"}, headers=me).json()
    retry = fresh_client.post("/v1/events", json={**body, "id": "order-77-line-1"}, headers=me).json()
    assert first["stored"] and not retry["stored"] and first["event_id"] == retry["event_id"]
    keyed = [fresh_client.post("/v1/events", json=body, headers={**me, "Idempotency-Key": "k-1"}).json()["stored"] for _ in range(3)]
    assert keyed == [True, False, False]
    bare = [fresh_client.post("/v1/events", json={**body, "kind": "view"}, headers=me).json()["stored"] for _ in range(2)]
    assert bare == [True, False]  # the same event again within the minute is a retry
    assert fresh_shop.store.count_events() == before + 3


def test_the_console_finds_customers_by_id_or_name_a_page_at_a_time(client):
    agent_login(client, "sam", "agent")
    page = client.get("/agent/api/customers", params={"limit": 5}).json()
    assert len(page["customers"]) == 5 and page["total"] >= 24
    rest = client.get("/agent/api/customers", params={"limit": 5, "offset": 5}).json()["customers"]
    assert not {c["id"] for c in rest} & {c["id"] for c in page["customers"]}
    chloe = client.get("/agent/api/customers", params={"q": "chloe"}).json()
    assert [c["id"] for c in chloe["customers"]] == ["u03"] and chloe["total"] == 1


def test_visitors_are_not_customers(fresh_client, fresh_shop):
    before = fresh_shop.store.count_users()
    for n in range(3):
        fresh_client.post("/v1/chat", json={"message": "a french press", "stream": False}, headers={"X-Visitor-Id": f"v_{n:032d}"})
    assert fresh_shop.store.count_users() == before


def test_the_api_docs_need_no_internet(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "cdn." not in page.text and "jsdelivr" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/static-offline-docs/{asset}" in page.text
        assert client.get(f"/static-offline-docs/{asset}").status_code == 200
    redoc = client.get("/redoc")
    assert redoc.status_code == 200 and "/static-offline-docs/redoc.standalone.js" in redoc.text


def test_feedback_on_an_answer_is_stored_once_per_answer_and_counted(fresh_client):
    me, stranger = {"X-Visitor-Id": "v_" + "a" * 20}, {"X-Visitor-Id": "v_" + "b" * 20}
    turn = fresh_client.post("/v1/chat", json={"message": "trail running shoes", "stream": False}, headers=me).json()
    assert turn["answer_id"]
    vote = {"session_id": turn["session_id"], "answer_id": turn["answer_id"], "value": "down"}
    assert fresh_client.post("/v1/feedback", json=vote, headers=stranger).status_code == 404  # not their conversation
    assert fresh_client.post("/v1/feedback", json={**vote, "value": "meh"}, headers=me).status_code == 422
    assert fresh_client.post("/v1/feedback", json=vote, headers=me).status_code == 201
    assert fresh_client.post("/v1/feedback", json={**vote, "value": "up"}, headers=me).status_code == 201  # changed their mind
    assert fresh_client.get("/healthz").json()["feedback"] == {"up": 1, "down": 0}


def test_not_interested_takes_a_product_out_of_the_conversation(fresh_client, fresh_shop):
    me, stranger = {"X-Visitor-Id": "v_" + "c" * 20}, {"X-Visitor-Id": "v_" + "d" * 20}
    first = fresh_client.post("/v1/chat", json={"message": "trail running shoes", "stream": False}, headers=me).json()
    gone = first["items"][0]["product"]["id"]
    path = f"/v1/sessions/{first['session_id']}/dismiss"
    assert fresh_client.post(path, json={"product_id": gone}, headers=stranger).status_code == 404
    assert fresh_client.post(path, json={"product_id": "no-such-product"}, headers=me).status_code == 404
    r = fresh_client.post(path, json={"product_id": gone}, headers=me)
    assert r.status_code == 200 and gone in r.json()["dismissed"]
    for follow_up in ("show me more", "trail running shoes", "more like #2"):
        turn = fresh_client.post("/v1/chat", json={"message": follow_up, "session_id": first["session_id"], "stream": False}, headers=me)
        assert gone not in [it["product"]["id"] for it in turn.json()["items"]], follow_up
    # "start over" forgets it with everything else
    fresh_client.post("/v1/chat", json={"message": "start over", "session_id": first["session_id"], "stream": False}, headers=me)
    again = fresh_client.post(
        "/v1/chat", json={"message": "trail running shoes", "session_id": first["session_id"], "stream": False}, headers=me
    )
    assert gone in [it["product"]["id"] for it in again.json()["items"]]


def test_a_signed_in_shoppers_dismissal_is_recorded(fresh_client, fresh_shop):
    headers = shopper_token(fresh_shop, "u02")
    first = fresh_client.post("/v1/chat", json={"message": "a waterproof jacket", "stream": False}, headers=headers).json()
    gone = first["items"][0]["product"]["id"]
    fresh_client.post(f"/v1/sessions/{first['session_id']}/dismiss", json={"product_id": gone}, headers=headers)
    assert [e.kind for e in fresh_shop.store.history("u02") if e.product_id == gone][-1] == "dismiss"


def test_demo_products_have_pictures_and_pages_of_their_own(client):
    turn = client.post("/v1/chat", json={"message": "a quiet keyboard", "stream": False}).json()
    product = turn["items"][0]["product"]
    assert product["image_url"].startswith("/demo/images/") and product["url"].startswith("/demo/products/")
    image = client.get(product["image_url"])
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg+xml") and "<svg" in image.text
    page = client.get(product["url"])
    assert page.status_code == 200 and f'data-product="{product["id"]}"' in page.text and product["title"] in page.text
    assert client.get("/demo/images/no-such-product.svg").status_code == 404


def test_every_language_has_every_word_of_the_pages():
    from api.locale import tables

    english = set(tables()["en"])
    for lang, words in tables().items():
        assert set(words) == english, f"{lang}: missing {sorted(english - set(words))}, extra {sorted(set(words) - english)}"


def test_the_pages_language_follows_accept_language_with_its_weights():
    from api.locale import preferred

    assert preferred("fr-CH, de;q=0.9, en;q=0.8") == ["fr", "de", "en"]
    assert preferred("en;q=0.2, de-AT;q=0.7") == ["de", "en"]
    assert preferred("de;q=0, en") == ["en"]
    assert preferred("") == []
