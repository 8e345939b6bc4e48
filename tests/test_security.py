"""Nobody gets in where they don't belong: every route tried with another shopper's id, token
and session; API keys and their scopes; agent accounts (lock-out, CSRF, logout, idle expiry,
the audit log); the browser defences; the start-up refusal. (SECURITY.md is the threat model.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app, unsafe_to_serve
from assistant import identity
from tests.helpers import agent_login, local_client, make_settings, shopper_token

SECRET = "s" * 40


@pytest.fixture
def app_client(fresh_shop):
    with local_client(create_app(fresh_shop.settings, fresh_shop)) as c:
        yield c


def visitor(n: int) -> dict[str, str]:
    return {"X-Visitor-Id": f"v_{n:032d}"}


# ---- shopper tokens ------------------------------------------------------------------------------------
def test_a_token_vouches_for_one_shopper_until_it_expires():
    token = identity.sign_shopper("u03", SECRET, ttl_s=60, now=1000)
    assert identity.verify_shopper(token, SECRET, now=1030) == "u03"
    assert identity.verify_shopper(token, SECRET, now=1061) is None  # expired
    assert identity.verify_shopper(token, "another secret" * 3, now=1030) is None  # another store's
    uid, expires, mac = token.split(".")
    forged = identity.sign_shopper("u05", "guess", ttl_s=60, now=1000).split(".")[0]
    assert identity.verify_shopper(f"{forged}.{expires}.{mac}", SECRET, now=1030) is None  # id swapped
    assert identity.verify_shopper(f"{uid}.{int(expires) + 9999}.{mac}", SECRET, now=1030) is None  # expiry stretched
    assert identity.verify_shopper("u03", SECRET) is None and identity.verify_shopper("", SECRET) is None


@pytest.mark.parametrize(
    "path,body,scope",
    [
        ("/v1/recommendations", {"user_id": "u03", "k": 3}, "recommend"),
        ("/v1/events", {"user_id": "u03", "product_id": "coffee-01a", "kind": "purchase"}, "events"),
        ("/v1/chat", {"user_id": "u03", "message": "what did I buy last time?", "stream": False}, "chat"),
    ],
)
def test_acting_for_a_shopper_needs_their_token_or_a_scoped_key(app_client, fresh_shop, path, body, scope):
    nobody = app_client.post(path, json=body)
    assert nobody.status_code == 401 and "token" in nobody.json()["error"]["message"]
    someone_else = app_client.post(path, json=body, headers=shopper_token(fresh_shop, "u02"))
    assert someone_else.status_code == 403
    assert app_client.post(path, json=body, headers=visitor(1)).status_code == 401
    forged = {"X-Shopper-Token": identity.sign_shopper("u03", "not the store's secret" * 2)}
    assert app_client.post(path, json=body, headers=forged).status_code == 401
    expired = shopper_token(fresh_shop, "u03", ttl_s=-1)
    assert app_client.post(path, json=body, headers=expired).status_code == 401
    wrong_scope = identity.create_api_key(fresh_shop.store, "other", [s for s in identity.SCOPES if s != scope][:1])
    r = app_client.post(path, json=body, headers={"Authorization": f"Bearer {wrong_scope}"})
    assert r.status_code == 403 and scope in r.json()["error"]["message"]
    own = app_client.post(path, json=body, headers=shopper_token(fresh_shop, "u03"))
    assert own.status_code in (200, 201)
    key = identity.create_api_key(fresh_shop.store, "store backend", [scope])
    assert app_client.post(path, json=body, headers={"Authorization": f"Bearer {key}"}).status_code in (200, 201)
    assert fresh_shop.store.revoke_api_key(key.split("_")[1])
    assert app_client.post(path, json=body, headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_anonymous_recommendations_carry_no_ones_history(app_client, fresh_shop):
    items = app_client.post("/v1/recommendations", json={"k": 5}).json()["items"]
    assert items and not any(r["kind"] in ("history", "again") for i in items for r in i["reasons"])
    mine = app_client.post("/v1/recommendations", json={"k": 5}, headers=shopper_token(fresh_shop, "u03")).json()
    assert mine["user_id"] == "u03"  # the token alone names the shopper


def test_forged_purchases_cannot_move_a_shoppers_picks(app_client, fresh_shop):
    me = shopper_token(fresh_shop, "u05")
    before = app_client.post("/v1/recommendations", json={"user_id": "u05", "k": 4}, headers=me).json()["items"]
    for pid in ("coffee-01a", "coffee-04a", "coffee-08a"):
        body = {"user_id": "u05", "product_id": pid, "kind": "purchase"}
        assert app_client.post("/v1/events", json=body, headers=shopper_token(fresh_shop, "u02")).status_code == 403
        assert app_client.post("/v1/events", json=body, headers=visitor(7)).status_code == 401
    after = app_client.post("/v1/recommendations", json={"user_id": "u05", "k": 4}, headers=me).json()["items"]
    assert [i["product"]["id"] for i in after] == [i["product"]["id"] for i in before]


def test_a_conversation_continues_only_for_whoever_opened_it(app_client, fresh_shop):
    ask = {"message": "running shoes under $150", "stream": False}
    for owner, intruder in [
        (shopper_token(fresh_shop, "u02"), shopper_token(fresh_shop, "u03")),
        (shopper_token(fresh_shop, "u02"), visitor(2)),
        (visitor(1), visitor(2)),
        (visitor(1), {}),
        (visitor(1), {"Authorization": f"Bearer {identity.create_api_key(fresh_shop.store, 'svc', ['chat'])}"}),
    ]:
        first = app_client.post("/v1/chat", json=ask, headers=owner).json()
        sid = first["session_id"]
        stolen = app_client.post("/v1/chat", json={"message": "cheaper", "session_id": sid, "stream": False}, headers=intruder).json()
        assert stolen["session_id"] != sid  # a new conversation: nothing of the first carries over
        assert stolen["intent"] != "refine" and "150" not in str(stolen["constraints"])
        listen = app_client.get(f"/v1/sessions/{sid}/events", params={"visitor_id": intruder.get("X-Visitor-Id", "v_" + "9" * 32)})
        assert listen.status_code == 404
        mine = app_client.post("/v1/chat", json={"message": "cheaper", "session_id": sid, "stream": False}, headers=owner).json()
        assert mine["session_id"] == sid and mine["intent"] == "refine"


def test_a_shopper_token_cannot_open_another_shoppers_session_events(app_client, fresh_shop):
    first = app_client.post(
        "/v1/chat", json={"message": "a french press", "stream": False}, headers=shopper_token(fresh_shop, "u02")
    ).json()
    token = shopper_token(fresh_shop, "u03")["X-Shopper-Token"]
    r = app_client.get(f"/v1/sessions/{first['session_id']}/events", params={"shopper_token": token})
    assert r.status_code == 404


def test_a_malformed_visitor_id_is_a_clear_422(app_client):
    r = app_client.post("/v1/chat", json={"message": "hi", "stream": False}, headers={"X-Visitor-Id": "u03"})
    assert r.status_code == 422 and "v_" in r.json()["error"]["message"]


def test_api_keys_are_stored_hashed_and_shown_once(fresh_shop):
    key = identity.create_api_key(fresh_shop.store, "backend", ["recommend", "events"])
    key_id, secret = key.split("_", 2)[1:]
    row = fresh_shop.store.api_key(key_id)
    assert secret not in str(row) and row["key_hash"] != secret
    assert identity.check_api_key(fresh_shop.store, key).scopes == ("events", "recommend")
    assert identity.check_api_key(fresh_shop.store, key[:-1] + ("x" if key[-1] != "x" else "y")) is None
    assert all("key_hash" not in k for k in fresh_shop.store.api_keys())
    with pytest.raises(ValueError, match="unknown scope"):
        identity.create_api_key(fresh_shop.store, "x", ["superuser"])


# ---- agents ----------------------------------------------------------------------------------------------
@pytest.fixture
def accounts(fresh_shop):
    identity.add_agent(fresh_shop.store, "sam", "correct horse battery")
    return fresh_shop


def test_with_accounts_the_tryout_password_stops_working(app_client, accounts):
    assert agent_login(app_client, "sam", "agent").status_code == 401
    assert agent_login(app_client, "mallory", "agent").status_code == 401
    assert agent_login(app_client, "sam", "correct horse battery").status_code == 303


def test_the_tryout_password_works_only_from_this_machine_and_not_on_a_deployment(fresh_shop):
    app = create_app(fresh_shop.settings, fresh_shop)
    with TestClient(app, client=("203.0.113.9", 5000)) as remote:
        r = agent_login(remote)
        assert r.status_code == 401 and "agent add" in r.text
    with local_client(app) as proxied:  # a reverse proxy on this machine forwards someone else
        proxied.headers["X-Forwarded-For"] = "203.0.113.9"
        assert agent_login(proxied).status_code == 401
    with local_client(create_app(make_settings(fresh_shop.settings.data_dir, secret_key=SECRET), fresh_shop)) as deployed:
        assert agent_login(deployed).status_code == 401
    with local_client(app) as here:
        assert agent_login(here).status_code == 303


def test_wrong_passwords_lock_the_account(app_client, accounts):
    for _ in range(identity.LOCK_AFTER):
        assert agent_login(app_client, "sam", "wrong password").status_code == 401
    locked = agent_login(app_client, "sam", "correct horse battery")
    assert locked.status_code == 423 and "locked" in locked.text
    assert identity.check_login(accounts.store, "sam", "correct horse battery").locked


def test_password_guessing_is_throttled_per_address(app_client, accounts):
    codes = [agent_login(app_client, f"user{i}", "guess").status_code for i in range(30)]
    assert codes.count(429) >= 15 and "Too many attempts" in agent_login(app_client, "sam", "guess").text


def test_logins_and_console_changes_need_the_csrf_token(app_client, accounts):
    app_client.get("/agent/login")
    r = app_client.post("/agent/login", data={"name": "sam", "password": "correct horse battery", "csrf": "forged"})
    assert r.status_code == 403
    assert agent_login(app_client, "sam", "correct horse battery").status_code == 303
    assert app_client.post("/agent/api/customers/u03/forget").status_code == 403  # no CSRF header
    assert app_client.post("/agent/api/customers/u03/forget", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert accounts.store.get_user("u03") is not None


def test_logout_really_ends_the_session(app_client, accounts):
    agent_login(app_client, "sam", "correct horse battery")
    stolen = app_client.cookies.get("sa_agent")
    assert app_client.get("/agent/api/customers/u01").status_code == 200
    app_client.post("/agent/logout", data={"csrf": app_client.cookies.get("sa_csrf")})
    app_client.cookies.set("sa_agent", stolen)  # a copy of the cookie kept from before
    assert app_client.get("/agent/api/customers/u01").status_code == 401


def test_an_idle_console_signs_out(accounts):
    token = identity.open_agent_session(accounts.store, "sam")
    assert identity.agent_for(accounts.store, token) == "sam"
    assert identity.agent_for(accounts.store, token, idle=timedelta(seconds=-1)) is None
    assert identity.agent_for(accounts.store, token) is None  # expired for good, not only for that call


def test_console_cookies_are_httponly_samesite_and_secure_over_https(fresh_shop):
    with local_client(create_app(fresh_shop.settings, fresh_shop), base_url="https://shop.example") as c:
        r = agent_login(c)
        cookie = r.headers["set-cookie"]
        assert "sa_agent=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie
    with local_client(create_app(fresh_shop.settings, fresh_shop)) as c:
        assert "Secure" not in agent_login(c).headers["set-cookie"]  # plain http on this machine


def test_forged_or_old_console_cookies_are_refused(app_client):
    app_client.cookies.set("sa_agent", "eyJhZ2VudCI6ICJtYWxsb3J5In0=.forged.signature")
    assert app_client.get("/agent/api/customers/u03").status_code == 401
    assert app_client.get("/agent", follow_redirects=False).status_code == 303


def test_the_audit_log_names_who_looked_at_whom(app_client, accounts):
    agent_login(app_client, "sam", "correct horse battery")
    app_client.get("/agent/api/customers/u03")
    app_client.get("/agent/api/customers/u05/suggestions")
    log = app_client.get("/agent/api/audit").json()["log"]
    seen = {(e["actor"], e["action"], e["subject"]) for e in log}
    assert ("sam", "view customer", "u03") in seen and ("sam", "suggest for customer", "u05") in seen


def test_agent_passwords_need_some_length(fresh_shop):
    with pytest.raises(ValueError, match="10 characters"):
        identity.add_agent(fresh_shop.store, "sam", "short")
    identity.add_agent(fresh_shop.store, "sam", "long enough passphrase")
    assert "long enough" not in str(fresh_shop.store.agent("sam"))


# ---- the server refuses to be exposed with try-out settings ---------------------------------------------
def test_the_server_refuses_a_public_address_with_default_secrets(fresh_shop, tmp_path):
    loose = make_settings(tmp_path)
    assert unsafe_to_serve(loose, "127.0.0.1", fresh_shop) is None and unsafe_to_serve(loose, "localhost", fresh_shop) is None
    assert "SECRET_KEY" in unsafe_to_serve(loose, "0.0.0.0", fresh_shop)
    assert "SECRET_KEY" in unsafe_to_serve(make_settings(tmp_path, secret_key="change-me"), "0.0.0.0", fresh_shop)
    keyed = make_settings(tmp_path, secret_key=SECRET)
    assert "agent account" in unsafe_to_serve(keyed, "0.0.0.0", fresh_shop)
    behind_proxy = make_settings(tmp_path, trusted_proxies=["127.0.0.1"])
    assert "SECRET_KEY" in unsafe_to_serve(behind_proxy, "127.0.0.1", fresh_shop)  # the proxy makes loopback public
    identity.add_agent(fresh_shop.store, "sam", "correct horse battery")
    assert unsafe_to_serve(keyed, "0.0.0.0", fresh_shop) is None


# ---- the browser's defences --------------------------------------------------------------------------------
def test_cors_lets_the_stores_origins_in_and_no_one_else(fresh_shop):
    settings = make_settings(fresh_shop.settings.data_dir, cors_origins=["https://shop.example"])
    with TestClient(create_app(settings, fresh_shop)) as c:
        pre = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-shopper-token"}
        ok = c.options("/v1/chat", headers={"Origin": "https://shop.example", **pre})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://shop.example"
        assert "x-shopper-token" in ok.headers["access-control-allow-headers"].lower()
        bad = c.options("/v1/chat", headers={"Origin": "https://evil.example", **pre})
        assert bad.status_code == 400 and "access-control-allow-origin" not in bad.headers
        r = c.post(
            "/v1/chat", json={"message": "a french press", "stream": False}, headers={"Origin": "https://shop.example", **visitor(3)}
        )
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://shop.example"


def test_pages_carry_security_headers(app_client):
    for path in ("/", "/agent/login", "/v1/products/coffee-01a"):
        h = app_client.get(path).headers
        assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "frame-ancestors 'none'" in h["content-security-policy"] and "script-src 'self'" in h["content-security-policy"]
    widget = app_client.get("/static/widget.js").headers
    assert widget["cross-origin-resource-policy"] == "cross-origin"  # the widget loads on the store's own pages


def test_large_bodies_are_refused_with_413(fresh_shop):
    settings = make_settings(fresh_shop.settings.data_dir, max_body_bytes=2000, cors_origins=["https://shop.example"])
    with TestClient(create_app(settings, fresh_shop)) as c:
        r = c.post("/v1/chat", json={"message": "x" * 5000}, headers={"Origin": "https://shop.example"})
        assert r.status_code == 413 and "2000 bytes" in r.json()["error"]["message"]
        assert r.headers["access-control-allow-origin"] == "https://shop.example"  # the widget can read why

        def chunks():  # no Content-Length: the limit still holds while reading
            for _ in range(10):
                yield b"x" * 500

        r = c.post("/v1/chat", content=chunks(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413
        assert c.post("/v1/chat", json={"message": "a french press", "stream": False}, headers=visitor(4)).status_code == 200


def test_forwarded_for_is_believed_only_from_trusted_proxies(fresh_shop):
    direct = make_settings(fresh_shop.settings.data_dir, rate_limit_per_minute=6)
    with TestClient(create_app(direct, fresh_shop), client=("203.0.113.9", 5000)) as c:
        codes = [c.get("/v1/products/coffee-01a", headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(12)]
    assert 429 in codes  # rotating the header does not buy a new bucket
    proxied = make_settings(fresh_shop.settings.data_dir, rate_limit_per_minute=6, trusted_proxies=["127.0.0.1/32"])
    with TestClient(create_app(proxied, fresh_shop), client=("127.0.0.1", 5000)) as c:
        spread = [c.get("/v1/products/coffee-01a", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(12)]
        same = [c.get("/v1/products/coffee-01a", headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.77"}).status_code for _ in range(12)]
    assert 429 not in spread  # behind our proxy each shopper has their own bucket …
    assert 429 in same  # … and a prepended address does not escape it
