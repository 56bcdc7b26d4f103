"""Accounts (SPEC §6): token login, lockout, who-am-I, the demo password in production, the SM3
hasher and the password rules."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.checks import registry as check_registry
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from accounts.checks import demo_accounts_refused
from accounts.demo import DEMO_PASSWORD, create_demo_accounts
from accounts.models import LoginFailure, User
from accounts.passwords import ComplexityValidator, SM3PasswordHasher

PASSWORD = "Gridcity-Test-2024!"
TOKEN = "/api/auth/token/"


def login(username: str, password: str):
    return APIClient(SERVER_NAME="localhost").post(TOKEN, {"username": username, "password": password}, format="json")


# -- tokens -----------------------------------------------------------------------------------------

def test_token_login_and_the_token_authenticates(city) -> None:
    response = login("surveyor1", PASSWORD)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["username"], body["role"], body["jurisdiction_code"]) == ("surveyor1", "surveyor", "320982001")
    client = APIClient(SERVER_NAME="localhost")
    assert client.get("/api/auth/me/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get("/api/auth/me/").json()["username"] == "surveyor1"
    features = client.get("/api/layers/components/features/").json()
    assert features["numberMatched"] == 2  # the token carries the surveyor's jurisdiction


def test_me_describes_the_user(city) -> None:
    me = city.clients["planner"].get("/api/auth/me/").json()
    expires = me.pop("password_expires_at")
    assert me == {"username": "planner1", "role": "planner", "jurisdiction_code": "320982002"}
    assert parse_datetime(expires) - city.users["planner"].password_changed_at == timedelta(days=90)


@pytest.mark.parametrize(("username", "password"), [("surveyor1", "wrong-Password-1"), ("nobody", PASSWORD),
                                                    ("surveyor1", "")])
def test_wrong_credentials_are_400(city, username: str, password: str) -> None:
    response = login(username, password)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and body["errors"][0]["rule"] in ("authorization", "blank", "required")
    assert "token" not in body


def test_lockout_after_five_failures_even_with_the_right_password(city) -> None:
    for _ in range(4):
        assert login("surveyor1", "wrong-Password-1").status_code == 400
    assert login("surveyor1", "wrong-Password-1").status_code == 400  # the fifth
    assert login("surveyor1", PASSWORD).status_code == 400  # refused from this address
    assert login("dispatcher1", PASSWORD).status_code == 200  # other accounts are not affected


def test_lock_expires(city) -> None:
    for _ in range(5):
        login("surveyor1", "wrong-Password-1")
    assert login("surveyor1", PASSWORD).status_code == 400
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=15, seconds=1))  # the window has passed
    assert login("surveyor1", PASSWORD).status_code == 200


def test_a_success_resets_the_failure_count(city) -> None:
    for _ in range(4):
        login("surveyor1", "wrong-Password-1")
    assert LoginFailure.objects.filter(username="surveyor1").count() == 4
    assert login("surveyor1", PASSWORD).status_code == 200
    assert not LoginFailure.objects.filter(username="surveyor1").exists()
    for _ in range(4):
        login("surveyor1", "wrong-Password-1")
    assert login("surveyor1", PASSWORD).status_code == 200


def test_lockout_threshold_is_a_setting(city, settings) -> None:
    settings.GRIDCITY_LOCKOUT_ATTEMPTS = 2
    login("surveyor1", "wrong-Password-1")
    login("surveyor1", "wrong-Password-1")
    assert login("surveyor1", PASSWORD).status_code == 400


def test_login_serializes_attempts_on_the_account_and_the_address(city) -> None:
    # parallel guesses must not each read the same failure count and slip past the limit
    with CaptureQueriesContext(connection) as queries:
        login("surveyor1", "wrong-Password-1")
    assert any("pg_advisory_xact_lock" in q["sql"] for q in queries.captured_queries)
    assert LoginFailure.objects.filter(username="surveyor1", address="127.0.0.1").count() == 1


def test_inactive_user_cannot_log_in(city) -> None:
    User.objects.filter(username="surveyor1").update(is_active=False)
    assert login("surveyor1", PASSWORD).status_code == 400


# -- the demo password ------------------------------------------------------------------------------

@pytest.fixture
def demo_user(db) -> User:
    user = User(username="dispatcher", role="dispatcher", jurisdiction_code="320982")
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def test_demo_mode_accepts_the_demo_password(demo_user, settings) -> None:
    settings.GRIDCITY_DEMO = True
    assert login("dispatcher", DEMO_PASSWORD).status_code == 200


def test_production_refuses_the_demo_password(demo_user, settings) -> None:
    settings.GRIDCITY_DEMO = False
    assert login("dispatcher", DEMO_PASSWORD).status_code == 400
    demo_user.set_password(PASSWORD)
    demo_user.save()
    assert login("dispatcher", PASSWORD).status_code == 200


def test_deploy_check_reports_demo_accounts(demo_user, settings) -> None:
    settings.GRIDCITY_DEMO = False
    errors = demo_accounts_refused()
    assert [e.id for e in errors] == ["gridcity.E001"]
    assert "dispatcher" in errors[0].msg
    settings.GRIDCITY_DEMO = True
    assert demo_accounts_refused() == []
    settings.GRIDCITY_DEMO = False
    demo_user.set_password(PASSWORD)
    demo_user.save()
    assert demo_accounts_refused() == []


def test_deploy_check_is_registered_as_a_deployment_check() -> None:
    assert demo_accounts_refused in check_registry.registry.get_checks(include_deployment_checks=True)
    assert demo_accounts_refused not in check_registry.registry.get_checks(include_deployment_checks=False)


def test_demo_accounts_one_per_role(db) -> None:
    create_demo_accounts("320982")
    users = {u.username: u for u in User.objects.all()}
    assert {u.role for u in users.values()} == {"admin", "surveyor", "dispatcher", "planner", "supervisor", "auditor",
                                                "secadmin"}
    assert users["surveyor"].jurisdiction_code == "320982" and users["auditor"].jurisdiction_code == "*"
    # 三员: only the security administrator has the Django admin (its user pages); nobody is a superuser
    assert [u.username for u in users.values() if u.is_staff] == ["secadmin"]
    assert not any(u.is_superuser for u in users.values())
    assert all(u.check_password(DEMO_PASSWORD) for u in users.values())


# -- user rules ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("values", "field", "rule"), [
    ({"jurisdiction_code": "32098"}, "jurisdiction_code", "code_format"),
    ({"jurisdiction_code": "320982001001001"}, "jurisdiction_code", "max_length"),
    ({"role": "root"}, "role", "role"),
])
def test_user_rules(db, values: dict, field: str, rule: str) -> None:
    user = User(username="x", password="!", **{"role": "surveyor", **values})
    with pytest.raises(ValidationError) as caught:
        user.full_clean()
    assert rule in {e.code for e in caught.value.error_dict[field]}


# -- passwords -----------------------------------------------------------------------------------------

def test_sm3_is_real_sm3() -> None:
    # GB/T 32905-2016 example 1
    assert hashlib.new("sm3", b"abc").hexdigest() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm3_hasher_hashes_and_verifies() -> None:
    hasher = SM3PasswordHasher()
    encoded = hasher.encode("Sm3-Secret-99", "fixedsalt123", iterations=1000)
    algorithm, iterations, salt, digest = encoded.split("$")
    assert (algorithm, iterations, salt) == ("pbkdf2_sm3", "1000", "fixedsalt123")
    expected = hashlib.pbkdf2_hmac("sm3", b"Sm3-Secret-99", b"fixedsalt123", 1000)
    assert base64.b64decode(digest) == expected
    assert hasher.verify("Sm3-Secret-99", encoded)
    assert not hasher.verify("Sm3-Secret-98", encoded)


def test_sm3_hasher_works_through_django(db) -> None:
    encoded = make_password("Sm3-Secret-99", hasher="pbkdf2_sm3")
    assert identify_hasher(encoded).algorithm == "pbkdf2_sm3"
    assert check_password("Sm3-Secret-99", encoded) and not check_password("sm3-secret-99", encoded)
    user = User.objects.create(username="sm3user", role="dispatcher", password=encoded)
    assert login("sm3user", "Sm3-Secret-99").status_code == 200
    assert User.objects.get(pk=user.pk).check_password("Sm3-Secret-99")


@pytest.mark.parametrize("password", ["abcdefghijk", "abcdefgh12", "ABCDEFGH!!", "12345678!!"])
def test_complexity_needs_three_character_classes(password: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ComplexityValidator().validate(password)
    assert caught.value.code == "password_complexity"


@pytest.mark.parametrize("password", ["abcDEF1234", "abcdef12!!", "ABC-def-ghi", "密码Ab1"])
def test_complexity_accepts_three_classes(password: str) -> None:
    ComplexityValidator().validate(password)


def test_configured_validators_apply(db) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_password("Ab1!x")
    assert "password_too_short" in {e.code for e in caught.value.error_list}
    with pytest.raises(ValidationError) as caught:
        validate_password("abcdefghijkl")
    assert "password_complexity" in {e.code for e in caught.value.error_list}
    validate_password("Gridcity-Safe-2024")
