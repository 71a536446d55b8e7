"""The RBAC matrix, derived from the app itself so that routes added later are covered:

- every route declares exactly one of ``require(PERMISSION)`` or ``public("why")``;
- for every route behind a permission and every role, the caller gets 403 exactly when the
  permission table denies that role, and never otherwise (nor a 401 or a crash);
- an anonymous caller gets 401 on every non-public route;
- a paired till's device credential gets 403 everywhere but DEVICE_SYNC and CATALOG_READ routes.

Calls carry an empty JSON object as body and random UUIDs as path parameters: permission checks
run before validation and lookups, so that is enough to reach them.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Callable, Iterator

from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # older FastAPI flattened included routers into app.routes
    def iter_route_contexts(routes):  # type: ignore[no-redef]
        return iter(routes)

from app.domain.permissions import DEVICE_PERMISSIONS, ROLE_PERMISSIONS, Permission, Role
from server.devices import service as devices
from server.security.deps import public, require
from tests.server.test_users import auth, make_user

_PATH_PARAM = re.compile(r"\{[^}]+\}")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def access_rule(route: Any) -> Permission | str:
    """The route's permission, or its ``public`` reason; AssertionError unless exactly one."""
    markers = {id(call): call for call in _calls(route.dependant)
               if hasattr(call, "permission") or hasattr(call, "public")}
    rules = [getattr(c, "permission", None) or getattr(c, "public") for c in markers.values()]
    where = f"{sorted(route.methods)} {route.path}"
    assert rules, f"{where} declares neither require(...) nor public(...)"
    assert len(rules) == 1, f"{where} declares several access rules: {rules}"
    if any(hasattr(c, "permission") and hasattr(c, "public") for c in markers.values()):
        raise AssertionError(f"{where} is both public and behind a permission")
    return rules[0]


def endpoints(app: FastAPI) -> list[tuple[str, str, Permission | str]]:
    """(method, concrete path, rule) for every API route of the app, included routers and
    their prefixes and router-level dependencies resolved as FastAPI serves them."""
    found = []
    for route in iter_route_contexts(app.routes):
        if isinstance(getattr(route, "original_route", route), APIRoute):
            rule = access_rule(route)
            path = _PATH_PARAM.sub(lambda _: str(uuid.uuid4()), route.path)
            found += [(m, path, rule) for m in sorted(route.methods - {"HEAD", "OPTIONS"})]
    return found


def _call(client, method: str, path: str, headers: dict[str, str]):
    body = {"json": {}} if method in _BODY_METHODS else {}
    return client.request(method, path, headers=headers, **body)


def test_every_route_declares_exactly_one_access_rule(client):
    rules = [rule for _, _, rule in endpoints(client.app)]
    assert any(isinstance(r, Permission) for r in rules) and any(isinstance(r, str) for r in rules)


def test_the_check_catches_a_route_without_or_with_two_rules_and_sees_router_rules():
    app = FastAPI()

    @app.get("/open")
    def unguarded() -> None: ...

    @app.get("/twice", dependencies=[Depends(public("x")), Depends(require(Permission.SELL))])
    def doubly() -> None: ...

    problems = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            try:
                access_rule(route)
            except AssertionError as exc:
                problems.append(str(exc))
    assert len(problems) == 2 and "neither" in problems[0] and "several" in problems[1]

    guarded = APIRouter(dependencies=[Depends(require(Permission.REFUND))])

    @guarded.get("/{thing_id}")
    def inner(thing_id: str) -> None: ...

    nested = FastAPI()
    nested.include_router(guarded, prefix="/things")
    [(method, path, rule)] = endpoints(nested)
    assert method == "GET" and path.startswith("/things/") and rule is Permission.REFUND


def test_each_role_is_refused_exactly_where_the_permission_table_says(client):
    db = client.app.state.mongo.db
    users = {role: make_user(client, role.value) for role in Role}
    guarded = [(m, p, rule) for m, p, rule in endpoints(client.app) if isinstance(rule, Permission)]
    failures = []
    for method, path, permission in guarded:
        for role, user in users.items():
            # A route called earlier (with an empty body) must not have changed this caller.
            db.users.update_one({"_id": user["_id"]}, {"$set": {"active": True, "role": role.value}})
            status = _call(client, method, path, auth(client, user)).status_code
            allowed = permission in ROLE_PERMISSIONS[role]
            if allowed and (status in (401, 403) or status >= 500):
                failures.append(f"{role.value} {method} {path} ({permission.value}): {status}")
            if not allowed and status != 403:
                failures.append(f"{role.value} {method} {path} ({permission.value}): {status}, "
                                "expected 403")
    assert not failures, "\n".join(failures)
    assert len(guarded) >= 15


def test_anonymous_callers_get_401_on_every_non_public_route(client):
    failures = [f"{method} {path}: {status}" for method, path, rule in endpoints(client.app)
                if isinstance(rule, Permission)
                and (status := _call(client, method, path, {}).status_code) != 401]
    assert not failures, "\n".join(failures)


def test_a_device_credential_reaches_only_device_routes(client):
    db = client.app.state.mongo.db
    issued = devices.issue_pairing_code(db, register_code="R01", minutes=5, actor="test", ip=None)
    paired = devices.pair_device(db, code=issued["code"], ip=None, request_id=None)
    headers = {"Authorization": f"Device {paired['device_id']}:{paired['device_key']}"}
    failures = []
    for method, path, rule in endpoints(client.app):
        if not isinstance(rule, Permission):
            continue
        db.devices.update_one({"_id": paired["device_id"]}, {"$set": {"revoked_at": None}})
        status = _call(client, method, path, headers).status_code
        if rule in DEVICE_PERMISSIONS and (status in (401, 403) or status >= 500):
            failures.append(f"{method} {path} ({rule.value}): {status}")
        if rule not in DEVICE_PERMISSIONS and status != 403:
            failures.append(f"{method} {path} ({rule.value}): {status}, expected 403")
    assert not failures, "\n".join(failures)
