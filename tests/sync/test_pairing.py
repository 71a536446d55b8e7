"""Pairing a till with a real server process: the local store takes the server's ids, the key
goes to the keyring (a file-backed backend here, through the real keyring API), and every
check that can be made locally is made before the one-time code is spent."""

from __future__ import annotations

import json
import pytest
import requests

from app.config.secrets import SecretStoreUnavailable
from app.domain.errors import InvalidInput, RuleViolation
from app.sales.identity import this_register
from app.setup import initialise
from db.engine import LocalStore
from db.models import Customer
from sync import credentials
from sync.client import SyncClient
from sync.errors import CredentialRejected, PairingRefused
from sync.pairing import pair
from sync.status import read_status
from tests.support.file_keyring import file_keyring, no_keyring, subprocess_env  # noqa: F401
from tests.support.tills import issue_code, new_register, shared_server, tillpoint  # noqa: F401

API = "/api/v1"


def whoami(server_url: str, device_id: str, key: str) -> dict:
    with SyncClient(server_url, device_id=device_id, device_key=key, attempts=1) as client:
        return client.whoami()


def code_still_works(server, code: str) -> bool:
    return requests.post(server.url(f"{API}/devices/pair"), json={"code": code},
                         timeout=10).status_code == 200


def test_a_fresh_till_becomes_the_servers_register(shared_server, store, file_keyring):
    server = shared_server
    code = new_register()
    paired = pair(store, server=server.base_url + "/", code=issue_code(server, code).lower())
    assert (paired.store_code, paired.register_code, paired.repaired) == ("S01", code, False)
    with store.read() as session:
        shop, register = this_register(session)
        assert (shop.id, register.id) == (paired.store_id, paired.register_id)
        assert (shop.code, shop.currency, shop.prices_include_tax, register.code) == \
            ("S01", "EUR", True, code)
    status = read_status(store)
    assert (status.paired, status.server_url, status.device_id, status.store_id) == \
        (True, server.base_url, paired.device_id, paired.store_id)
    key = credentials.device_key(paired.device_id)
    assert file_keyring.secrets() == {f"tillpoint/{paired.device_id}:sync.device_key": key}
    assert whoami(server.base_url, paired.device_id, key)["register_id"] == paired.register_id


def test_bad_addresses_and_codes_are_refused_before_anything_is_sent(shared_server, store,
                                                                     file_keyring):
    server = shared_server
    code = issue_code(server)
    for address in ("localhost:8000", "ftp://example.com", server.base_url + "/shop"):
        with pytest.raises(InvalidInput) as caught:
            pair(store, server=address, code=code)
        assert caught.value.field == "server"
    for typed in ("", "ABC", "ABCD-EFGH-JK-LM", "ABCD_EFGH_JK"):
        with pytest.raises(InvalidInput) as caught:
            pair(store, server=server.base_url, code=typed)
        assert caught.value.field == "code"
    assert code_still_works(server, code)


def test_a_used_or_unknown_code_is_refused_and_nothing_is_created(shared_server, store,
                                                                  file_keyring):
    server = shared_server
    code = issue_code(server)
    assert code_still_works(server, code)
    with pytest.raises(PairingRefused, match="already used"):
        pair(store, server=server.base_url, code=code)
    with pytest.raises(PairingRefused, match="not valid"):
        pair(store, server=server.base_url, code="ABCD-EFGH-JK")
    assert read_status(store).paired is False and file_keyring.secrets() == {}
    with store.read() as session:
        with pytest.raises(RuleViolation):  # still no shop here
            this_register(session)


def test_without_a_keyring_the_code_is_not_spent_unless_the_key_is_printed(
        shared_server, store, no_keyring):
    server = shared_server
    code = issue_code(server)
    with pytest.raises(SecretStoreUnavailable, match="still unused.*--print-key"):
        pair(store, server=server.base_url, code=code)
    assert read_status(store).paired is False
    paired = pair(store, server=server.base_url, code=code, print_key=True)
    assert paired.key_saved is False and paired.device_key
    assert whoami(server.base_url, paired.device_id, paired.device_key)["device_id"] == \
        paired.device_id


def test_a_local_only_shop_or_another_servers_till_is_refused(shared_server, store, tmp_path,
                                                              file_keyring):
    server = shared_server
    code = issue_code(server)
    with store.write() as session:
        initialise(session, store_name="Corner Shop")
    with pytest.raises(RuleViolation, match="local-only shop.*new --data-dir"):
        pair(store, server=server.base_url, code=code)
    other = LocalStore.open(tmp_path / "other" / "tillpoint.sqlite3")
    try:
        pair(other, server=server.base_url, code=code)
        with pytest.raises(RuleViolation, match="paired with .* not http://192.0.2.1:8000"):
            pair(other, server="http://192.0.2.1:8000", code="ABCD-EFGH-JK")
    finally:
        other.close()


def test_re_pairing_keeps_the_data_and_replaces_the_credential(shared_server, store,
                                                                file_keyring):
    server = shared_server
    register = new_register()
    first = pair(store, server=server.base_url, code=issue_code(server, register))
    old_key = credentials.device_key(first.device_id)
    with store.write() as session:
        session.add(Customer(id="c-1", name="Ada Lovelace"))
    second = pair(store, server=server.base_url, code=issue_code(server, register))
    assert second.repaired and second.device_id != first.device_id
    assert (second.store_id, second.register_id) == (first.store_id, first.register_id)
    with store.read() as session:
        assert session.get(Customer, "c-1").name == "Ada Lovelace"
    assert read_status(store).device_id == second.device_id
    assert list(file_keyring.secrets()) == [f"tillpoint/{second.device_id}:sync.device_key"]
    with pytest.raises(CredentialRejected):  # the server revoked the replaced device
        whoami(server.base_url, first.device_id, old_key)
    assert whoami(server.base_url, second.device_id,
                  credentials.device_key(second.device_id))["device_id"] == second.device_id


def test_a_code_for_another_register_changes_nothing_here(shared_server, store, file_keyring):
    server = shared_server
    first = pair(store, server=server.base_url, code=issue_code(server))
    other = new_register()
    with pytest.raises(RuleViolation, match=f"register {other}.*nothing was changed here"):
        pair(store, server=server.base_url, code=issue_code(server, other))
    assert read_status(store).device_id == first.device_id
    with store.read() as session:
        assert this_register(session)[1].code == first.register_code


def test_the_pair_command_with_a_file_keyring_and_with_a_printed_key(shared_server, tmp_path):
    server = shared_server
    keyring_file = tmp_path / "keyring.json"
    register = new_register()
    done = tillpoint(tmp_path / "till", "pair", "--server", server.base_url,
                     "--code", issue_code(server, register), env=subprocess_env(keyring_file))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["store"], report["register"], report["key_in_keyring"]) == \
        ("S01 Main store", register, True) and "device_key" not in report
    assert report["device_id"] in keyring_file.read_text()

    headless = tmp_path / "headless"
    code = issue_code(server)
    refused = tillpoint(headless, "pair", "--server", server.base_url, "--code", code,
                        env=subprocess_env())
    assert refused.returncode == 1 and "no secure keyring" in refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    done = tillpoint(headless, "pair", "--server", server.base_url, "--code", code,
                     "--print-key", env=subprocess_env())
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["key_in_keyring"] is False and "TILLPOINT_DEVICE_KEY" in done.stderr
    status = tillpoint(headless, "sync", "--status",
                       env=subprocess_env(TILLPOINT_DEVICE_KEY=report["device_key"]))
    assert json.loads(status.stdout)["device_id"] == report["device_id"]
    assert whoami(server.base_url, report["device_id"], report["device_key"])


def test_the_pair_command_names_a_bad_argument(tmp_path):
    done = tillpoint(tmp_path, "pair", "--server", "nope", "--code", "ABCD-EFGH-JK",
                     env=subprocess_env())
    assert done.returncode == 1 and done.stderr.startswith("tillpoint: server:")
    done = tillpoint(tmp_path, "pair", "--server", "http://127.0.0.1:9", "--code", "AB",
                     env=subprocess_env())
    assert done.returncode == 1 and done.stderr.startswith("tillpoint: code:")
