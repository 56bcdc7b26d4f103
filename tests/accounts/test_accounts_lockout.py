"""Lockout cannot be used as a weapon (issue 19, Medium): failures are counted per account and
source address, per address and per account; the security administrator unlocks from the product;
every attempt costs the same password-hash work whether or not the user exists."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from helpers import PASSWORD, client, login

from accounts.models import LoginFailure, User

WRONG = "Wrong-Password-1"
ATTACKER, ADMIN_DESK = "203.0.113.9", "10.1.1.1"


def test_hammering_an_account_from_one_address_does_not_lock_out_its_owner(city) -> None:
    for _ in range(30):
        assert login("admin1", WRONG, address=ATTACKER).status_code == 400
    assert login("admin1", PASSWORD, address=ATTACKER).status_code == 400  # the attacker's address is refused
    assert User.objects.get(username="admin1").locked_until is None
    assert login("admin1", PASSWORD, address=ADMIN_DESK).status_code == 200  # the real admin is not locked out
    # refused attempts check nothing and count for nothing: only the first five were counted
    assert LoginFailure.objects.filter(username="admin1").count() == 5


def test_an_address_spraying_many_accounts_is_throttled(city, settings) -> None:
    settings.GRIDCITY_ADDRESS_ATTEMPTS = 6
    for username in ("admin1", "surveyor1", "dispatcher1", "planner1", "nobody", "supervisor1"):
        assert login(username, WRONG, address=ATTACKER).status_code == 400
    # six failures from one address, none five on one account: now every login from it is refused
    assert login("auditor1", PASSWORD, address=ATTACKER).status_code == 400
    assert login("auditor1", PASSWORD, address=ADMIN_DESK).status_code == 200


def test_a_distributed_attack_locks_the_account_itself(city, settings) -> None:
    settings.GRIDCITY_ACCOUNT_ATTEMPTS = 8
    for i in range(8):
        assert login("admin1", WRONG, address=f"198.51.100.{i // 2}").status_code == 400  # two per address
    user = User.objects.get(username="admin1")
    assert user.locked_until is not None
    assert login("admin1", PASSWORD, address=ADMIN_DESK).status_code == 400  # locked from everywhere
    assert login("surveyor1", PASSWORD, address=ADMIN_DESK).status_code == 200


def test_the_security_administrator_unlocks_from_the_product(city, settings) -> None:
    settings.GRIDCITY_ACCOUNT_ATTEMPTS = 5
    for i in range(5):
        login("surveyor1", WRONG, address=f"198.51.100.{i}")
    assert login("surveyor1", address=ADMIN_DESK).status_code == 400
    pk = city.users["surveyor"].pk
    assert city.clients["admin"].post(f"/api/accounts/users/{pk}/unlock/").status_code == 403  # 三员: not the admin
    unlocked = city.clients["secadmin"].post(f"/api/accounts/users/{pk}/unlock/")
    assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
    assert not LoginFailure.objects.filter(username="surveyor1").exists()
    assert login("surveyor1", address=ADMIN_DESK).status_code == 200


def test_a_locked_address_pair_is_unlocked_too(city) -> None:
    for _ in range(5):
        login("surveyor1", WRONG, address=ATTACKER)
    assert login("surveyor1", address=ATTACKER).status_code == 400
    city.clients["secadmin"].post(f"/api/accounts/users/{city.users['surveyor'].pk}/unlock/")
    assert login("surveyor1", address=ATTACKER).status_code == 200


def test_the_address_behind_a_trusted_proxy(city, settings) -> None:
    settings.GRIDCITY_TRUSTED_PROXIES = 1
    proxy = "172.18.0.5"
    for _ in range(5):  # the client forges an X-Forwarded-For entry; nginx appends the real address
        client(proxy).post("/api/auth/token/", {"username": "surveyor1", "password": WRONG}, format="json",
                           HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ATTACKER}")
    assert set(LoginFailure.objects.values_list("address", flat=True)) == {ATTACKER}
    settings.GRIDCITY_TRUSTED_PROXIES = 0
    login("surveyor1", WRONG, address=proxy)
    assert LoginFailure.objects.filter(address=proxy).count() == 1


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting the hashes it computes."""

    algorithm = "md5"  # verifies the users' MD5 hashes like the test settings' hasher
    computed = 0

    def encode(self, password: str, salt: str) -> str:
        type(self).computed += 1
        return super().encode(password, salt)


@pytest.fixture
def counting(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.computed = 0
    return CountingHasher


def hashes_for(counting, username: str, password: str, address: str = ADMIN_DESK) -> int:
    before = counting.computed
    login(username, password, address=address)
    return counting.computed - before


def test_the_same_hash_work_whether_or_not_the_user_exists(city, counting) -> None:
    work = {
        "unknown user": hashes_for(counting, "no-such-user", WRONG),
        "wrong password": hashes_for(counting, "surveyor1", WRONG),
        "right password": hashes_for(counting, "dispatcher1", PASSWORD),
    }
    for _ in range(5):
        login("planner1", WRONG, address=ATTACKER)
    work["refused unchecked"] = hashes_for(counting, "planner1", PASSWORD, address=ATTACKER)
    assert set(work.values()) == {1}, work


def test_unknown_usernames_are_refused_like_known_ones(city) -> None:
    for username in ("admin1", "no-such-user"):
        for _ in range(5):
            login(username, WRONG, address=ATTACKER)
    known, unknown = login("admin1", WRONG, address=ATTACKER), login("no-such-user", WRONG, address=ATTACKER)
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
