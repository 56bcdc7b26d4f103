"""API tokens per device (issue 19, High 3): hashed, expiring (idle and absolute), revoked on logout,
password change, lockout and deactivation, listed and revocable by their user and the security
administrator; the token endpoint takes JSON only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from helpers import PASSWORD, TOKEN, client, clock_back, login, token_of

from accounts.models import ApiToken, User
from accounts.tokens import key_hash

ME = "/api/auth/me/"


def tokens():
    """The tokens a test made (the city fixture gives every user one named "tests")."""
    return ApiToken.objects.exclude(name="tests")


def works(token: str) -> bool:
    status = client(token=token).get(ME).status_code
    assert status in (200, 401)
    return status == 200


def test_a_token_per_device_stored_hashed(city) -> None:
    phone, tablet = token_of("surveyor1", "phone"), token_of("surveyor1", "tablet")
    assert phone != tablet and works(phone) and works(tablet)
    rows = tokens().filter(user__username="surveyor1").order_by("id")
    assert [r.name for r in rows] == ["phone", "tablet"]
    assert [r.key_hash for r in rows] == [key_hash(phone), key_hash(tablet)]
    with connection.cursor() as cur:  # the raw key is nowhere in the table
        cur.execute("SELECT count(*) FROM accounts_apitoken WHERE concat_ws(' ', key_hash, name) LIKE %s",
                    [f"%{phone}%"])
        assert cur.fetchone()[0] == 0


def test_the_device_name_defaults_to_the_user_agent(city) -> None:
    response = client().post(TOKEN, {"username": "surveyor1", "password": PASSWORD}, format="json",
                             HTTP_USER_AGENT="gridcity-android/2.1")
    assert ApiToken.objects.get(pk=response.json()["token_id"]).name == "gridcity-android/2.1"


def test_drf_authtoken_is_gone(db) -> None:
    assert not apps.is_installed("rest_framework.authtoken")
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('authtoken_token')")
        assert cur.fetchone()[0] is None


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                          "text/plain"])  # what a cross-site HTML form can send
def test_the_token_endpoint_takes_json_only(city, content_type: str) -> None:
    body = f'{{"username": "surveyor1", "password": "{PASSWORD}"}}'
    response = client().generic("POST", TOKEN, body, content_type=content_type)
    assert response.status_code == 415 and "token" not in response.json()
    assert response.json()["errors"][0]["rule"] == "unsupported_media_type"
    assert not tokens().exists()


@pytest.mark.parametrize("idle", [timedelta(minutes=9, seconds=50), timedelta(minutes=10, seconds=10)])
def test_idle_expiry(city, idle: timedelta) -> None:
    with clock_back(idle):
        token = token_of("surveyor1")
    assert works(token) == (idle < timedelta(minutes=10))


def test_use_renews_the_idle_window(city) -> None:
    with clock_back(timedelta(minutes=9)):
        token = token_of("surveyor1")
    assert works(token)  # 9 minutes idle: still valid, and this use counts as its last
    row = tokens().get()
    assert row.last_used_at > row.created_at + timedelta(minutes=8)


def test_the_idle_limit_is_the_sessions(city, settings) -> None:
    settings.GRIDCITY_TOKEN_IDLE_SECONDS = 60
    with clock_back(timedelta(seconds=90)):
        token = token_of("surveyor1")
    assert not works(token)


def test_absolute_expiry_even_when_in_use(city, settings) -> None:
    settings.GRIDCITY_TOKEN_IDLE_SECONDS = 24 * 3600  # idleness is not what ends these
    settings.GRIDCITY_TOKEN_LIFETIME_HOURS = 1
    with clock_back(timedelta(minutes=50)):
        young = token_of("surveyor1")
    with clock_back(timedelta(minutes=70)):
        old = token_of("dispatcher1")
    assert works(young) and not works(old)


def test_a_token_never_outlives_the_password(city) -> None:
    User.objects.filter(username="surveyor1").update(password_changed_at=city.users["surveyor"].password_changed_at
                                                     - timedelta(days=90) + timedelta(hours=2))
    body = login("surveyor1").json()
    token = ApiToken.objects.get(pk=body["token_id"])
    assert token.expires_at == token.user.password_changed_at + timedelta(days=90)


def test_logout_revokes_this_token_only(city) -> None:
    phone, tablet = token_of("surveyor1", "phone"), token_of("surveyor1", "tablet")
    assert client(token=phone).post("/api/auth/logout/").status_code == 200
    assert not works(phone) and works(tablet)
    assert ApiToken.objects.get(key_hash=key_hash(phone)).revoked_reason == "logout"


def test_password_change_revokes_every_token(city) -> None:
    phone, tablet = token_of("surveyor1", "phone"), token_of("surveyor1", "tablet")
    changed = client(token=phone).post("/api/auth/password/", {"old_password": PASSWORD,
                                                               "new_password": "Another-Pass-2025"}, format="json")
    assert changed.status_code == 200, changed.content
    assert not works(phone) and not works(tablet)
    assert works(changed.json()["token"])  # the device that changed it carries on with a new token
    assert ApiToken.objects.get(key_hash=key_hash(changed.json()["token"])).name == "phone"
    reasons = set(tokens().filter(revoked_at__isnull=False).values_list("revoked_reason", flat=True))
    assert reasons == {"password changed"}


def test_a_password_set_anywhere_revokes_the_tokens(city) -> None:
    token = token_of("surveyor1")
    user = User.objects.get(username="surveyor1")
    user.set_password("Set-Elsewhere-2025")
    user.save()
    assert not works(token)


def test_deactivation_revokes(city) -> None:
    token = token_of("surveyor1")
    User.objects.filter(username="surveyor1").update(is_active=False)  # even past the model
    assert not works(token)
    assert tokens().get().revoked_reason == "deactivated"
    User.objects.filter(username="surveyor1").update(is_active=True)
    assert not works(token)  # revoked, not merely suspended


def test_an_account_lock_revokes(city, settings) -> None:
    settings.GRIDCITY_ACCOUNT_ATTEMPTS = 3
    token = token_of("surveyor1")
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert login("surveyor1", "Wrong-Password-1", address=address).status_code == 400
    assert User.objects.get(username="surveyor1").locked_until is not None
    assert not works(token)
    assert tokens().get().revoked_reason == "locked"


def test_users_list_and_revoke_their_own_tokens(city) -> None:
    phone, tablet = token_of("surveyor1", "phone"), token_of("surveyor1", "tablet")
    other = token_of("dispatcher1")
    listed = client(token=phone).get("/api/auth/tokens/").json()
    assert [t["name"] for t in listed["tokens"]] == ["tablet", "phone", "tests"]
    assert all(t["active"] for t in listed["tokens"]) and "token" not in str(listed["tokens"])
    tablet_id = listed["tokens"][0]["id"]
    other_id = ApiToken.objects.get(key_hash=key_hash(other)).pk
    assert client(token=phone).delete(f"/api/auth/tokens/{other_id}/").status_code == 404  # not theirs
    revoked = client(token=phone).delete(f"/api/auth/tokens/{tablet_id}/")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert works(phone) and not works(tablet) and works(other)


def test_the_security_administrator_lists_and_revokes_tokens(city) -> None:
    phone, tablet = token_of("surveyor1", "phone"), token_of("surveyor1", "tablet")
    admin = city.clients["secadmin"]
    pk = city.users["surveyor"].pk
    listed = admin.get(f"/api/accounts/users/{pk}/tokens/").json()["tokens"]
    assert {t["name"] for t in listed} == {"phone", "tablet", "tests"}
    one = next(t["id"] for t in listed if t["name"] == "phone")
    assert admin.delete(f"/api/accounts/users/{pk}/tokens/{one}/").status_code == 200
    assert not works(phone) and works(tablet)
    assert admin.delete(f"/api/accounts/users/{pk}/tokens/").json()["revoked"] != []
    assert not works(tablet)
    assert client(token=token_of("dispatcher1")).get(f"/api/accounts/users/{pk}/tokens/").status_code == 403


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token not-a-real-key-but-long-enough", "Token \u00e9" * 3])
def test_malformed_or_unknown_tokens_are_401(city, header: str) -> None:
    response = APIClientWith(header).get(ME)
    assert response.status_code == 401 and response.json()["detail"]


def APIClientWith(header: str):  # noqa: N802  (reads as a constructor)
    api = client()
    api.credentials(HTTP_AUTHORIZATION=header)
    return api
