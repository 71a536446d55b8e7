"""Several worker processes serve one database and agree: lockout and token revocation live in
MongoDB, not in any worker's memory."""

from __future__ import annotations

import json

import pymongo
import pytest
import requests

from server.users.service import create_user

PASSWORD = "correct-horse-battery"


def _fresh(method: str, url: str, **kwargs) -> requests.Response:
    # A new connection per request, so the kernel spreads them over the workers.
    with requests.Session() as session:
        session.headers["Connection"] = "close"
        return session.request(method, url, timeout=30, **kwargs)


def _pids_serving(server, request_ids: set[str]) -> set[int]:
    pids = set()
    for line in server.log().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("request_id") in request_ids and "pid" in entry:
            pids.add(entry["pid"])
    return pids


@pytest.mark.slow
def test_two_workers_agree_on_lockout_and_revocation(server_factory, mongo_uri):
    # Rate limits raised so that they do not answer before the lockout does.
    server = server_factory(workers=2, TILLPOINT_AUTH_RATE_PER_MINUTE_ACCOUNT="100",
                            TILLPOINT_AUTH_RATE_PER_MINUTE_IP="1000")
    db = pymongo.MongoClient(mongo_uri, tz_aware=True)[server_factory.database]
    create_user(db, email="kim@shop.example", role="cashier", password=PASSWORD, verified=True,
                actor="test", ip=None, rounds=4)
    login = server.url("/api/v1/auth/login")

    token = _fresh("POST", login, json={"email": "kim@shop.example", "password": PASSWORD}).json()
    me = server.url("/api/v1/auth/me")
    ids = set()
    for n in range(16):
        ids.add(f"rev-before-{n}")
        answer = _fresh("GET", me, headers={"Authorization": f"Bearer {token['access_token']}",
                                            "X-Request-ID": f"rev-before-{n}"})
        assert answer.status_code == 200
    assert _fresh("POST", server.url("/api/v1/auth/logout"),
                  headers={"Authorization": f"Bearer {token['access_token']}"},
                  json={"refresh_token": token["refresh_token"]}).status_code == 204
    for n in range(16):
        ids.add(f"rev-after-{n}")
        answer = _fresh("GET", me, headers={"Authorization": f"Bearer {token['access_token']}",
                                            "X-Request-ID": f"rev-after-{n}"})
        assert answer.status_code == 401, answer.text
    refreshed = _fresh("POST", server.url("/api/v1/auth/refresh"),
                       json={"refresh_token": token["refresh_token"]})
    assert refreshed.status_code == 401

    for n in range(5):
        ids.add(f"lock-{n}")
        bad = _fresh("POST", login, json={"email": "kim@shop.example", "password": "wrong-password-x"},
                     headers={"X-Request-ID": f"lock-{n}"})
        assert bad.status_code == 401, bad.text
    for n in range(6):
        ids.add(f"locked-{n}")
        refused = _fresh("POST", login, json={"email": "kim@shop.example", "password": PASSWORD},
                         headers={"X-Request-ID": f"locked-{n}"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_locked"

    assert len(_pids_serving(server, ids)) == 2, "both workers must have served these requests"
