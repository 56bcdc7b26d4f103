"""三员 (issue 19, Medium): the security administrator manages users, roles, jurisdictions, passwords,
lockouts and tokens in the product; the system administrator no longer does; the auditor reads the
audit log and no business data; the security administrator reads none either. Logins, failures
(with their source address), tokens, logouts, unlocks, password and permission changes are audited."""

from __future__ import annotations

import pytest
from django.test import Client
from helpers import PASSWORD, client, login, token_of
from tile_helpers import tile_of

from accounts.models import User
from audit.models import AuditEntry

USERS = "/api/accounts/users/"
NEW_USER = {"username": "planner2", "password": "Planner-Two-2025", "role": "planner",
            "jurisdiction_code": "320982001", "first_name": "新规划员"}


def events(action: str, **filters: object) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, **filters).order_by("id"))


# -- user management ---------------------------------------------------------------------------------

def test_the_security_administrator_manages_users(city) -> None:
    admin = city.clients["secadmin"]
    created = admin.post(USERS, NEW_USER, format="json")
    assert created.status_code == 201, created.content
    user = created.json()
    assert (user["role"], user["jurisdiction_code"], user["is_active"]) == ("planner", "320982001", True)
    assert "password" not in user
    assert login("planner2", "Planner-Two-2025").json()["errors"][0]["rule"] == "password_expired"  # theirs to choose
    assert {u["username"] for u in admin.get(USERS).json()["users"]} >= {"planner2", "admin1", "auditor1"}
    changed = admin.patch(f"{USERS}{user['id']}/", {"role": "dispatcher", "jurisdiction_code": "320982"},
                          format="json")
    assert changed.status_code == 200 and changed.json()["role"] == "dispatcher"
    deactivated = admin.delete(f"{USERS}{user['id']}/")
    assert deactivated.status_code == 200 and deactivated.json()["is_active"] is False
    assert User.objects.filter(username="planner2", is_active=False).exists()  # kept for the audit trail


@pytest.mark.parametrize(("body", "field", "rule"), [
    ({**NEW_USER, "role": "root"}, "role", "role"),
    ({**NEW_USER, "jurisdiction_code": "3209"}, "jurisdiction_code", "code_format"),
    ({**NEW_USER, "password": "weak"}, "password", "password_too_short"),
    ({**NEW_USER, "is_superuser": True}, "is_superuser", "known_field"),
    ({**NEW_USER, "is_active": "yes"}, "is_active", "type"),
    ({key: v for key, v in NEW_USER.items() if key != "role"}, "role", "required"),
    ({**NEW_USER, "username": "admin1"}, "username", "unique"),
])
def test_bad_users_are_refused_with_the_field(city, body: dict, field: str, rule: str) -> None:
    response = city.clients["secadmin"].post(USERS, body, format="json")
    assert response.status_code == 400, response.content
    assert (field, rule) in {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert not User.objects.filter(username="planner2").exists()


def test_a_json_list_body_is_a_400(city) -> None:
    response = city.clients["secadmin"].post(USERS, [NEW_USER], format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["rule"] == "valid_body"


def test_unknown_users_are_404(city) -> None:
    assert city.clients["secadmin"].get(f"{USERS}999999/").status_code == 404
    assert city.clients["secadmin"].post(f"{USERS}999999/unlock/").status_code == 404


def test_the_security_administrator_cannot_demote_or_deactivate_themselves(city) -> None:
    me = city.users["secadmin"].pk
    assert city.clients["secadmin"].patch(f"{USERS}{me}/", {"role": "admin"}, format="json").status_code == 403
    assert city.clients["secadmin"].delete(f"{USERS}{me}/").status_code == 403
    assert User.objects.get(pk=me).role == "secadmin"


@pytest.mark.parametrize("role", ["admin", "auditor", "surveyor", "dispatcher", "planner", "supervisor"])
def test_no_other_role_manages_users(city, role: str) -> None:
    api = city.clients[role]
    pk = city.users["surveyor"].pk
    for response in (api.get(USERS), api.post(USERS, NEW_USER, format="json"),
                     api.patch(f"{USERS}{pk}/", {"role": "admin"}, format="json"),
                     api.post(f"{USERS}{pk}/password/", {"password": "Taken-Over-2025"}, format="json")):
        assert response.status_code == 403 and response.json()["errors"][0]["rule"] == "role"
    assert User.objects.get(pk=pk).role == "surveyor" and not User.objects.filter(username="planner2").exists()


def test_the_django_admin_user_pages_are_the_security_administrators(city) -> None:
    staff = {}
    for role in ("secadmin", "admin"):
        User.objects.filter(username=f"{role}1").update(is_staff=True)
        browser = Client(SERVER_NAME="localhost")
        browser.force_login(User.objects.get(username=f"{role}1"))
        staff[role] = browser.get("/admin/accounts/user/").status_code
    assert staff == {"secadmin": 200, "admin": 403}


def test_the_security_administrator_adds_users_in_the_django_admin(city) -> None:
    User.objects.filter(username="secadmin1").update(is_staff=True)
    browser = Client(SERVER_NAME="localhost")
    browser.force_login(User.objects.get(username="secadmin1"))
    form = {"username": "planner3", "usable_password": "true", "password1": "Planner-Three-2025",
            "password2": "Planner-Three-2025", "role": "planner", "jurisdiction_code": "320982002"}
    weak = browser.post("/admin/accounts/user/add/", {**form, "password1": "short", "password2": "short"})
    assert weak.status_code == 200 and not User.objects.filter(username="planner3").exists()
    assert browser.post("/admin/accounts/user/add/", form).status_code == 302
    user = User.objects.get(username="planner3")
    assert (user.role, user.jurisdiction_code, user.password_changed_at) == ("planner", "320982002", None)
    made = AuditEntry.objects.filter(table_name="accounts_user", row_id=str(user.pk), action="INSERT").get()
    assert made.actor == "secadmin1"


# -- who reads what ----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["auditor", "secadmin"])
def test_auditor_and_security_administrator_read_no_business_data(city, role: str) -> None:
    api = city.clients[role]
    for path in ("/api/layers/", "/api/layers/components/features/", "/api/gridding/evaluation-grids/",
                 "/api/imports/", "/api/component-classes/", "/api/offline-packages/320982/version"):
        response = api.get(path)
        assert response.status_code == 403, (path, response.status_code)
        assert response.json()["errors"][0]["rule"] == "role"
    z, x, y = tile_of(120.42, 33.15, 14)
    assert api.get(f"/tiles/components/{z}/{x}/{y}.mvt").status_code == 403
    assert api.get("/tiles/components.json").status_code == 403


def test_business_roles_still_read(city) -> None:
    assert city.clients["admin"].get("/api/layers/components/features/").status_code == 200
    assert city.clients["supervisor"].get("/api/layers/").status_code == 200


def test_only_the_auditor_reads_the_audit_log(city) -> None:
    assert city.clients["auditor"].get("/api/audit/").status_code == 200
    for role in ("secadmin", "admin"):
        assert city.clients[role].get("/api/audit/").status_code == 403


def test_the_web_map_sends_auditor_and_security_administrator_to_their_pages(city) -> None:
    homes = {}
    for role in ("secadmin", "auditor", "planner"):
        browser = Client(SERVER_NAME="localhost")
        browser.force_login(city.users[role])
        response = browser.get("/")
        homes[role] = response.get("Location", response.status_code)
    assert homes == {"secadmin": "/admin/accounts/user/", "auditor": "/api/audit/", "planner": 200}


def test_a_security_administrator_made_in_the_product_has_the_admin_pages(city) -> None:
    made = city.clients["secadmin"].post(USERS, {**NEW_USER, "role": "secadmin", "jurisdiction_code": ""},
                                         format="json").json()
    assert User.objects.get(pk=made["id"]).is_staff
    city.clients["secadmin"].patch(f"{USERS}{made['id']}/", {"role": "planner", "jurisdiction_code": "320982"},
                                   format="json")
    assert not User.objects.get(pk=made["id"]).is_staff


def test_everyone_reads_their_own_account(city) -> None:
    for role in ("auditor", "secadmin", "surveyor"):
        assert city.clients[role].get("/api/auth/me/").json()["role"] == role


# -- the audit of authentication ------------------------------------------------------------------------

def test_logins_failures_tokens_and_logouts_are_audited(city) -> None:
    pk = city.users["surveyor"].pk
    assert login("surveyor1", "Wrong-Password-1", address="203.0.113.7").status_code == 400
    [failed] = events("DENIED", row_id=str(pk))
    assert failed.after == {"username": "surveyor1", "address": "203.0.113.7", "reason": "wrong password"}
    assert failed.actor == "anonymous@203.0.113.7" and failed.table_name == "accounts_user"
    login("nobody", "Wrong-Password-1", address="203.0.113.7")
    assert events("DENIED", row_id="")[0].after["username"] == "nobody"

    token = token_of("surveyor1", "phone", address="10.0.0.8")
    [issued] = events("ISSUE", actor="surveyor1", after__name="phone")
    [logged_in] = events("LOGIN", actor="surveyor1")
    assert issued.table_name == "accounts_apitoken" and issued.after == {"name": "phone"}
    assert logged_in.after["address"] == "10.0.0.8" and logged_in.after["token"] == int(issued.row_id)
    client(token=token).post("/api/auth/logout/")
    assert [e.after["reason"] for e in events("REVOKE", row_id=issued.row_id)] == ["logout"]
    assert len(events("LOGOUT", actor="surveyor1")) == 1


def test_session_logins_and_logouts_are_audited(city) -> None:
    browser = Client(SERVER_NAME="localhost", REMOTE_ADDR="10.0.0.9")
    assert browser.post("/login/", {"username": "planner1", "password": PASSWORD}).status_code == 302
    assert events("LOGIN", actor="planner1")[0].after == {"address": "10.0.0.9", "session": True}
    browser.post("/logout/")
    assert len(events("LOGOUT", actor="planner1")) == 1


def test_unlocks_resets_password_changes_and_revocations_are_audited(city) -> None:
    pk = city.users["surveyor"].pk
    secadmin = city.clients["secadmin"]
    secadmin.post(f"{USERS}{pk}/unlock/")
    secadmin.delete(f"{USERS}{pk}/tokens/")
    secadmin.post(f"{USERS}{pk}/password/", {"password": "Reset-By-Sec-2025"}, format="json")
    client().post("/api/auth/password/", {"username": "surveyor1", "old_password": "Reset-By-Sec-2025",
                                          "new_password": "Own-Choice-2025"}, format="json")
    logged = [(e.action, e.actor) for e in AuditEntry.objects.filter(
        action__in=["UNLOCK", "RESET", "REVOKE", "PASSWORD"]).order_by("id")]
    assert logged == [("UNLOCK", "secadmin1"), ("REVOKE", "secadmin1"), ("RESET", "secadmin1"),
                      ("PASSWORD", "surveyor1")]


def test_permission_changes_are_audited_with_the_administrator_as_actor(city) -> None:
    pk = city.users["surveyor"].pk
    city.clients["secadmin"].patch(f"{USERS}{pk}/", {"role": "planner", "jurisdiction_code": "320982002"},
                                   format="json")
    change = AuditEntry.objects.filter(table_name="accounts_user", row_id=str(pk), action="UPDATE").latest("id")
    assert change.actor == "secadmin1"
    assert (change.before["role"], change.after["role"]) == ("surveyor", "planner")
    assert (change.before["jurisdiction_code"], change.after["jurisdiction_code"]) == ("320982001", "320982002")


def test_the_auditor_finds_the_failed_logins_of_an_account(city) -> None:
    login("admin1", "Wrong-Password-1", address="198.51.100.4")
    body = city.clients["auditor"].get("/api/audit/", {"action": "DENIED"}).json()
    assert [(e["after"]["username"], e["after"]["address"]) for e in body["entries"]] == [("admin1", "198.51.100.4")]
