"""The audit log (SPEC §6): written by the database for every write, attributed to the API user,
with before/after and no secrets; immutable even for raw SQL; readable by auditors only."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import User
from audit.models import AuditEntry

FEATURES = "/api/layers/components/features/"
NEW = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.46, 33.14]},
       "properties": {"code": "3209820101000100", "component_class": "0101", "name": "新井盖"}}


def entries(table: str, row_id: object) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(table_name=table, row_id=str(row_id)).order_by("id"))


def test_fixture_writes_are_attributed_to_their_actor(city) -> None:
    grid = city.grids["320982001001001"]
    [entry] = entries("layers_unitgrid", grid.pk)
    assert (entry.actor, entry.action, entry.before) == ("fixture", "INSERT", None)
    assert entry.after["code"] == grid.code and entry.after["community_id"] == "320982001001"


def test_api_create_patch_delete_are_logged_with_actor_before_and_after(city) -> None:
    client = city.clients["surveyor"]
    total = AuditEntry.objects.count()

    created = client.post(FEATURES, NEW, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    [insert] = entries("layers_component", pk)
    assert (insert.actor, insert.action, insert.before) == ("surveyor1", "INSERT", None)
    assert insert.after["code"] == "3209820101000100" and insert.after["unit_grid_id"] == "320982001002001"

    assert client.patch(f"{FEATURES}{pk}", {"type": "Feature", "properties": {"name": "改后井盖"}},
                        format="json").status_code == 200
    update = entries("layers_component", pk)[-1]
    assert (update.actor, update.action) == ("surveyor1", "UPDATE")
    assert (update.before["name"], update.after["name"]) == ("新井盖", "改后井盖")
    assert update.before["code"] == update.after["code"] == "3209820101000100"

    assert client.delete(f"{FEATURES}{pk}").status_code == 204
    delete = entries("layers_component", pk)[-1]
    assert (delete.actor, delete.action, delete.after) == ("surveyor1", "DELETE", None)
    assert delete.before["name"] == "改后井盖"
    assert AuditEntry.objects.count() == total + 3


def test_each_actor_is_named(city) -> None:
    pk = city.components["3209820102000001"].pk
    city.clients["admin"].patch(f"{FEATURES}{pk}", {"type": "Feature", "properties": {"note": "a"}}, format="json")
    city.clients["dispatcher"].patch(f"{FEATURES}{pk}", {"type": "Feature", "properties": {"note": "b"}},
                                     format="json")  # refused: dispatchers do not edit components
    assert [(e.actor, e.action) for e in entries("layers_component", pk)] == [("fixture", "INSERT"),
                                                                              ("admin1", "UPDATE")]


def test_writes_outside_the_platform_are_attributed_to_the_database_role(city) -> None:
    pk = city.components["3209820102000001"].pk
    with connection.cursor() as cur:
        cur.execute("SELECT set_config('gridcity.actor', '', true)")
        cur.execute("UPDATE layers_component SET note = 'psql' WHERE id = %s", [pk])
        cur.execute("SELECT session_user")
        role = cur.fetchone()[0]
    entry = entries("layers_component", pk)[-1]
    assert (entry.actor, entry.after["note"]) == (f"db:{role}", "psql")


def test_password_hashes_never_reach_the_log(city) -> None:
    login = {"username": "surveyor1", "password": "Wrong-Password-1"}
    assert city.anonymous.post("/api/auth/token/", login, format="json").status_code == 400  # an event entry
    assert entries("accounts_user", city.users["surveyor"].pk)[-1].after["reason"] == "wrong password"
    user = User(username="newuser", role="dispatcher")
    user.set_password("First-Password-1")
    user.save()
    first = user.password
    user.set_password("Second-Password-2")
    user.save()
    second = user.password
    logged = entries("accounts_user", user.pk)
    assert [e.action for e in logged] == ["INSERT", "UPDATE"]
    assert logged[0].after["username"] == "newuser"
    for entry in AuditEntry.objects.filter(table_name="accounts_user"):
        assert "password" not in (entry.before or {}) and "password" not in (entry.after or {})
    with connection.cursor() as cur:
        for secret in (first, second, city.users["surveyor"].password):
            cur.execute("SELECT count(*) FROM audit_auditentry WHERE before::text LIKE %s OR after::text LIKE %s",
                        [f"%{secret}%", f"%{secret}%"])
            assert cur.fetchone()[0] == 0


@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditentry SET actor = 'intruder'",
    "DELETE FROM audit_auditentry",
    "TRUNCATE audit_auditentry",
    "TRUNCATE audit_auditentry CASCADE",
])
def test_the_log_refuses_change_even_from_raw_sql(city, statement: str) -> None:
    """The platform's own login has no such privilege (the owner's is refused by the log's triggers:
    tests/audit/test_audit_roles.py)."""
    before = list(AuditEntry.objects.order_by("id").values_list("id", "actor"))
    assert before
    with pytest.raises(DatabaseError, match="permission denied for table audit_auditentry"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement)
    assert list(AuditEntry.objects.order_by("id").values_list("id", "actor")) == before


def test_the_log_refuses_change_through_the_orm(city) -> None:
    count = AuditEntry.objects.count()
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            AuditEntry.objects.filter(actor="fixture").update(actor="intruder")
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == count
    assert not AuditEntry.objects.filter(actor="intruder").exists()


# -- reading the log -----------------------------------------------------------------------------------

def test_auditors_read_the_log(city) -> None:
    pk = city.components["3209820101000001"].pk
    city.clients["surveyor"].patch(f"{FEATURES}{pk}", {"type": "Feature", "properties": {"note": "x"}}, format="json")
    response = city.clients["auditor"].get("/api/audit/", {"actor": "surveyor1", "table_name": "layers_component"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    [entry] = body["entries"]
    assert (entry["actor"], entry["action"], entry["table"], entry["row_id"]) == (
        "surveyor1", "UPDATE", "layers_component", str(pk))
    assert (entry["before"]["note"], entry["after"]["note"]) == ("", "x")


def test_audit_log_paging_and_filters(city) -> None:
    client = city.clients["auditor"]
    total = AuditEntry.objects.filter(table_name="layers_unitgrid").count()
    body = client.get("/api/audit/", {"table_name": "layers_unitgrid", "limit": 2}).json()
    assert body["total"] == total == 6 and len(body["entries"]) == 2
    assert {e["table"] for e in body["entries"]} == {"layers_unitgrid"}
    error = client.get("/api/audit/", {"who": "x"}).json()["errors"][0]
    assert (error["field"], error["rule"]) == ("who", "known_field")
    assert client.get("/api/audit/", {"limit": "5000"}).status_code == 400


@pytest.mark.parametrize("role", ["admin", "surveyor", "dispatcher", "planner", "supervisor", "secadmin"])
def test_only_auditors_read_the_log(city, role: str) -> None:
    response = city.clients[role].get("/api/audit/")
    assert response.status_code == 403
    assert response.json()["errors"][0]["rule"] == "role"
    assert city.anonymous.get("/api/audit/").status_code == 401
