"""Rate limits on the auth routes: fixed windows counted in MongoDB, 429 with Retry-After."""

from __future__ import annotations

from server.security.ratelimit import hit
from server.security.tokens import digest
from tests.server.test_auth_helpers import app_client, fresh_rate_window, login, register, staff


def test_hit_allows_the_limit_then_refuses_until_the_window_ends(mongo):
    now = 60 * 16_667 + 20.0  # 20 s into a 60 s window
    results = [hit(mongo.db, "test", "k", 3, 60, now=now) for _ in range(5)]
    assert results == [(True, 0)] * 3 + [(False, 40)] * 2
    assert hit(mongo.db, "test", "other key", 3, 60, now=now) == (True, 0)
    assert hit(mongo.db, "other scope", "k", 3, 60, now=now) == (True, 0)
    assert hit(mongo.db, "test", "k", 3, 60, now=now + 40) == (True, 0)  # the next window


def test_hit_keeps_no_clear_keys_and_lets_the_ttl_clean_up(mongo):
    hit(mongo.db, "login", "ann@example.com", 5, 60, now=600.0)
    doc = mongo.db.rate_limits.find_one({})
    assert "ann@example.com" not in str(doc) and digest("ann@example.com") in doc["_id"]
    assert doc["expires_at"].timestamp() >= 660


def test_a_limit_of_zero_switches_the_check_off(mongo):
    assert all(hit(mongo.db, "off", "k", 0, 60)[0] for _ in range(3))


def test_too_many_logins_for_one_account_get_429_with_retry_after(settings, mongo):
    staff(mongo.db, "ann@example.com")
    fresh_rate_window()
    with app_client(settings, auth_rate_per_minute_account=3, login_max_failures=100) as client:
        statuses = [login(client, "ann@example.com", "wrong password!").status_code
                    for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        limited = login(client, "ann@example.com")  # even the right password must wait
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert login(client, "ben@example.com").status_code == 401  # another account is free


def test_too_many_requests_from_one_address_get_429(settings, mongo):
    fresh_rate_window()
    with app_client(settings, auth_rate_per_minute_ip=2) as client:
        statuses = [register(client, f"user{i}@example.com").status_code for i in range(3)]
        assert statuses == [201, 201, 429]
        assert mongo.db.users.find_one({"email": "user2@example.com"}) is None
        # Each action has its own budget: a login from the same address still goes through.
        assert login(client, "user0@example.com").status_code == 403  # unverified, not limited


def test_every_auth_action_is_limited(settings):
    fresh_rate_window()
    with app_client(settings, auth_rate_per_minute_ip=1) as client:
        calls = [("/api/v1/auth/verify-email", {"token": "A" * 43}),
                 ("/api/v1/auth/refresh", {"refresh_token": "A" * 43}),
                 ("/api/v1/auth/password-reset", {"email": "a@example.com"}),
                 ("/api/v1/auth/password-reset/confirm", {"token": "A" * 43,
                                                          "password": "long enough pw"})]
        for path, body in calls:
            client.post(path, json=body)
            assert client.post(path, json=body).status_code == 429, path


def test_the_counters_are_shared_by_every_app_instance(settings, mongo):
    """Two app instances (as two workers) on one database count together."""
    staff(mongo.db, "cat@example.com")
    overrides = {"auth_rate_per_minute_account": 4, "login_max_failures": 100}
    fresh_rate_window()
    with app_client(settings, **overrides) as first, app_client(settings, **overrides) as second:
        statuses = [login(first if i % 2 else second, "cat@example.com", "wrong!").status_code
                    for i in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
