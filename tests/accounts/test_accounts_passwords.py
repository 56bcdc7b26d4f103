"""Passwords (issue 19, Medium): expiry (an expired password must be changed before anything else),
users change their own with the validators applied, the security administrator's resets must be
changed at the next login, and ``createsuperuser`` cannot bypass the validators."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from helpers import PASSWORD, client, login, token_of

from accounts.models import User

CHANGE = "/api/auth/password/"
NEW = "Brand-New-Pass-2025"


def expire(username: str, settings) -> None:
    User.objects.filter(username=username).update(
        password_changed_at=timezone.now() - timedelta(days=settings.GRIDCITY_PASSWORD_MAX_AGE_DAYS, seconds=1))


def test_an_expired_password_cannot_log_in(city, settings) -> None:
    expire("surveyor1", settings)
    response = login("surveyor1")
    assert response.status_code == 403 and "token" not in response.json()
    assert response.json()["errors"][0]["rule"] == "password_expired"
    assert "/api/auth/password/" in response.json()["detail"]


def test_an_expired_password_must_be_changed_before_anything_else(city, settings) -> None:
    session = client()
    session.force_login(city.users["surveyor"])  # logged in before it expired
    expire("surveyor1", settings)
    refused = session.get("/api/layers/components/features/")
    assert refused.status_code == 403 and refused.json()["errors"][0]["rule"] == "password_expired"
    assert session.get("/api/auth/me/").status_code == 200  # says when it expired
    changed = session.post(CHANGE, {"old_password": PASSWORD, "new_password": NEW}, format="json")
    assert changed.status_code == 200, changed.content
    assert session.get("/api/layers/components/features/").status_code == 200


def test_expiry_is_a_setting(city, settings) -> None:
    User.objects.filter(username="surveyor1").update(password_changed_at=timezone.now() - timedelta(days=40))
    settings.GRIDCITY_PASSWORD_MAX_AGE_DAYS = 30
    assert login("surveyor1").status_code == 403
    settings.GRIDCITY_PASSWORD_MAX_AGE_DAYS = 0  # never
    assert login("surveyor1").status_code == 200


def test_an_expired_password_is_changed_without_logging_in(city, settings) -> None:
    expire("surveyor1", settings)
    changed = client().post(CHANGE, {"username": "surveyor1", "old_password": PASSWORD, "new_password": NEW},
                            format="json")
    assert changed.status_code == 200, changed.content
    assert login("surveyor1", NEW).status_code == 200


def test_changing_needs_the_old_password_and_counts_failures(city) -> None:
    token = token_of("surveyor1")
    for _ in range(5):
        wrong = client(token=token).post(CHANGE, {"old_password": "Not-The-Old-1", "new_password": NEW},
                                         format="json")
        assert wrong.status_code == 400
    # a stolen session cannot guess the password either: five failures lock this address out
    assert client(token=token).post(CHANGE, {"old_password": PASSWORD, "new_password": NEW},
                                    format="json").status_code == 400
    assert User.objects.get(username="surveyor1").check_password(PASSWORD)


@pytest.mark.parametrize(("new", "code"), [("short1A!", "password_too_short"), ("abcdefghijkl", "password_complexity"),
                                           ("12345678901234", "password_entirely_numeric")])
def test_the_validators_apply(city, new: str, code: str) -> None:
    response = client(token=token_of("surveyor1")).post(CHANGE, {"old_password": PASSWORD, "new_password": new},
                                                        format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"new_password"}
    assert User.objects.get(username="surveyor1").check_password(PASSWORD), code


def test_the_new_password_must_differ(city) -> None:
    response = client(token=token_of("surveyor1")).post(CHANGE, {"old_password": PASSWORD, "new_password": PASSWORD},
                                                        format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "new_password"


def test_change_without_login_needs_a_username(city) -> None:
    response = client().post(CHANGE, {"old_password": PASSWORD, "new_password": NEW}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "username"


def test_a_reset_by_the_security_administrator_must_be_changed(city) -> None:
    pk = city.users["surveyor"].pk
    reset = city.clients["secadmin"].post(f"/api/accounts/users/{pk}/password/", {"password": "Reset-By-Sec-2025"},
                                          format="json")
    assert reset.status_code == 200, reset.content
    assert login("surveyor1", "Reset-By-Sec-2025").json()["errors"][0]["rule"] == "password_expired"
    weak = city.clients["secadmin"].post(f"/api/accounts/users/{pk}/password/", {"password": "weak"}, format="json")
    assert weak.status_code == 400 and weak.json()["errors"][0]["field"] == "password"


def superuser(monkeypatch, password: str, **fields: str) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)
    call_command("createsuperuser", interactive=False, username="root", email="root@example.com", stdout=StringIO(),
                 **{"role": "secadmin", "jurisdiction_code": "", **fields})


def test_createsuperuser_runs_the_validators(db, monkeypatch) -> None:
    with pytest.raises(CommandError, match="too short|three of"):
        superuser(monkeypatch, "short")
    assert not User.objects.filter(username="root").exists()
    superuser(monkeypatch, "Root-Password-2025")
    root = User.objects.get(username="root")
    assert root.is_superuser and root.role == "secadmin" and root.password_changed_at is not None


def test_createsuperuser_checks_the_role_and_jurisdiction(db, monkeypatch) -> None:
    with pytest.raises(CommandError):
        superuser(monkeypatch, "Root-Password-2025", role="root")
    with pytest.raises(CommandError):
        superuser(monkeypatch, "Root-Password-2025", jurisdiction_code="12")
    assert not User.objects.filter(username="root").exists()


def test_createsuperuser_asks_for_the_jurisdiction(db, monkeypatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Root-Password-2025")
    with pytest.raises(CommandError, match="jurisdiction_code"):
        call_command("createsuperuser", interactive=False, username="root", email="root@example.com", role="admin",
                     stdout=StringIO())


def test_the_web_login_refuses_an_expired_password(city, settings) -> None:
    expire("planner1", settings)
    browser = Client(SERVER_NAME="localhost")
    response = browser.post("/login/", {"username": "planner1", "password": PASSWORD})
    assert response.status_code == 200 and "密码已过期" in response.content.decode()
    assert browser.get("/").status_code == 302  # still not logged in


def test_users_made_by_the_manager_have_a_current_password(db) -> None:
    user = User.objects.create_user("viewer", password="Viewer-Pass-2025", role="dispatcher")
    assert user.password_changed_at is not None
    assert login("viewer", "Viewer-Pass-2025").status_code == 200
