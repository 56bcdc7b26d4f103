"""The permission matrix: every registered layer × every method × every role × a jurisdiction.

Generated from the registry: a new layer is covered without a new test. For each layer the
samples of ``jurisdiction_samples`` (features placed on both sides of the boundaries, some
straddling them) are asked for by one user per role and jurisdiction — the west street, one of
its communities, none at all, and the whole platform — through every path: list, get one, POST,
PATCH (unchanged and moved across the boundary), DELETE, the vector tile and the offline package.

The expected outcome is derived, never listed per layer: from the registry (``may_read``,
``may_edit``, ``editable``), 三员 (the auditor and the security administrator, the roles outside
``EVERYONE``, are refused every business endpoint with 403, before the layer is asked) and the rule
(a sample is inside a jurisdiction when its owner's code starts with the jurisdiction's code;
nothing is inside an empty one; everything inside ``*``).
Writes run inside a savepoint that is rolled back after the answer is checked, so every call
sees the same samples.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import mapbox_vector_tile
import pytest
from django.db import transaction
from jurisdiction_samples import PLACES, WEST_STREET, Sample, make_samples, shape
from rest_framework.test import APIClient
from tile_helpers import tile_of

from layers.access import JURISDICTION_MODELS, WHOLE_PLATFORM
from layers.api.serializers import feature_serializer
from layers.editing import acting_as
from layers.registry import Layer, registry
from layers.roles import EVERYONE, ROLES

JURISDICTIONS = {"street": WEST_STREET, "community": "320982001001", "none": "", "platform": WHOLE_PLATFORM}
PACKAGE_AREA = "320982001001"
LAYERS = sorted(layer.name for layer in registry.all())


@dataclass(frozen=True)
class Who:
    role: str
    jurisdiction: str
    client: APIClient

    def inside(self, sample: Sample) -> bool:
        """The rule, as this test states it: the owner's code starts with the jurisdiction's."""
        if self.jurisdiction == WHOLE_PLATFORM:
            return True
        return bool(self.jurisdiction) and sample.owner.startswith(self.jurisdiction)


class _Undo(Exception):
    """Carries a write's answer out of the savepoint that is rolled back."""


def undone(call: Callable[..., object], *args: object, **kwargs: object) -> object:
    """Run ``call(*args, **kwargs)`` (a write and the checks of its effect) and roll back all it wrote."""
    try:
        with transaction.atomic():
            raise _Undo(call(*args, **kwargs))
    except _Undo as done:
        return done.args[0]


def features_url(layer: Layer, pk: int | None = None) -> str:
    return f"/api/layers/{layer.name}/features/" + (f"{pk}" if pk is not None else "")


def as_body(layer: Layer, obj: object) -> dict:
    """The feature as the API shows it, as a POST body (read-only properties left out)."""
    shown = json.loads(json.dumps(feature_serializer(layer.name)(obj).data, default=str))
    props = {k: v for k, v in shown["properties"].items() if k in layer.writable_fields and v is not None}
    return {"type": "Feature", "geometry": shown["geometry"], "properties": props}


def may_read(layer: Layer, role: str) -> bool:
    """The registry's answer, after 三员: a role outside ``EVERYONE`` reads no business data."""
    return role in EVERYONE and layer.may_read(role)


def may_edit(layer: Layer, role: str) -> bool:
    return role in EVERYONE and layer.may_edit(role)


def expected_read(layer: Layer, who: Who, sample: Sample) -> int:
    if not may_read(layer, who.role):
        return 403
    return 200 if who.inside(sample) else 404


def expected_change(layer: Layer, who: Who, sample: Sample, ok: int) -> int:
    """PATCH and DELETE: the feature must be readable and inside first (else 403 / 404), then editable."""
    read = expected_read(layer, who, sample)
    if read != 200:
        return read
    if not layer.editable:
        return 405
    return ok if may_edit(layer, who.role) else 403


def expected_create(layer: Layer, who: Who, sample: Sample) -> int:
    if who.role not in EVERYONE:
        return 403  # 三员: refused by role whatever the layer allows
    if not layer.editable:
        return 405
    if not may_edit(layer, who.role):
        return 403
    return 201 if who.inside(sample) else 403


@pytest.fixture
def matrix(city, client_for) -> dict[tuple[str, str], Who]:
    """One client per role and jurisdiction (tokens, as mobile clients use), by (role, jurisdiction label)."""
    from accounts.models import User

    people = {}
    for role in ROLES:
        for label, code in JURISDICTIONS.items():
            user = User.objects.create(username=f"m-{role}-{label}", role=role, jurisdiction_code=code)
            people[role, label] = Who(role, code, client_for(user))
    return people


def _tile_ids(who: Who, layer: Layer, tiles: set[tuple[int, int, int]]) -> set[int] | int:
    ids: set[int] = set()
    for z, x, y in sorted(tiles):
        response = who.client.get(f"/tiles/{layer.name}/{z}/{x}/{y}.mvt")
        if response.status_code != 200:
            return response.status_code
        decoded = mapbox_vector_tile.decode(response.content)
        ids |= {int(f["id"]) for f in decoded.get(layer.name, {}).get("features", [])}
    return ids


def _delete(who: Who, layer: Layer, s: Sample) -> tuple[int, bool]:
    """DELETE's status and whether the row is still there."""
    status = who.client.delete(features_url(layer, s.pk)).status_code
    return status, layer.model.objects.filter(pk=s.pk).exists()


def _create(who: Who, layer: Layer, s: Sample) -> int:
    """POST the sample again (its row removed first, so its unique codes are free)."""
    body = as_body(layer, s.obj)
    layer.model.objects.filter(pk=s.pk).delete()
    return who.client.post(features_url(layer), body, format="json").status_code


class Matrix:
    """The calls of one layer's matrix and the differences from what the registry and the rule expect."""

    def __init__(self, layer: Layer, samples: list[Sample]) -> None:
        self.layer, self.samples = layer, samples
        self.ids = {s.pk for s in samples}
        # deep enough that a small sample is not simplified away, and points come unclustered
        zoom = min(max(layer.zoom[0], layer.cluster_below or 0, 12), layer.zoom[1])
        self.tile_of = {s.pk: tile_of(*s.obj.geom.point_on_surface.coords, zoom) for s in samples}
        self.wrong: list[str] = []

    def check(self, who: Who, what: str, got: object, want: object) -> None:
        if got != want:
            self.wrong.append(f"{who.role}@{who.jurisdiction or '-'} {what}: got {got}, expected {want}")

    def reads(self, who: Who, samples: list[Sample]) -> None:
        """List, tiles and offline package of the layer, and GET of each of ``samples``."""
        layer = self.layer
        want_seen = {s.pk for s in samples if who.inside(s)}
        ids = {s.pk for s in samples}
        response = who.client.get(features_url(layer), {"limit": 5000})
        reads = may_read(layer, who.role)
        if reads:
            seen = {f["id"] for f in response.json()["features"]} & ids if response.status_code == 200 else None
            self.check(who, "list", (response.status_code, seen), (200, want_seen))
        else:
            self.check(who, "list", response.status_code, 403)
        got = _tile_ids(who, layer, {self.tile_of[s.pk] for s in samples})
        self.check(who, "tiles", got if isinstance(got, int) else got & ids, want_seen if reads else 403)
        response = who.client.get(f"/api/offline-packages/{PACKAGE_AREA}/version", {"layers": layer.name})
        area_inside = who.inside(Sample("area", PACKAGE_AREA, samples[0].obj))
        self.check(who, "package", response.status_code, 200 if reads and area_inside else 403)
        for s in samples:
            self.check(who, f"get {s.kind}", who.client.get(features_url(layer, s.pk)).status_code,
                       expected_read(layer, who, s))

    def writes(self, who: Who, samples: list[Sample]) -> None:
        """PATCH (unchanged), DELETE and POST of each of ``samples``, each rolled back."""
        layer = self.layer
        for s in samples:
            patched = undone(who.client.patch, features_url(layer, s.pk), {"type": "Feature", "properties": {}},
                             format="json")
            self.check(who, f"patch {s.kind}", patched.status_code, expected_change(layer, who, s, 200))
            want = expected_change(layer, who, s, 204)
            self.check(who, f"delete {s.kind}", undone(_delete, who, layer, s), (want, want != 204))
            self.check(who, f"post {s.kind}", undone(_create, who, layer, s), expected_create(layer, who, s))

    def move(self, who: Who) -> None:
        """PATCH the home sample onto the neighbour's place: kept only if it stays inside."""
        layer = self.layer
        home = next(s for s in self.samples if s.kind == "home")
        away = shape(layer, PLACES["neighbour"])
        body = {"type": "Feature", "geometry": json.loads(away.json), "properties": {}}
        want = expected_change(layer, who, home, 200)
        if want == 200 and not who.inside(Sample("moved", PLACES["neighbour"].owner, home.obj)):
            want = 403
        moved = undone(who.client.patch, features_url(layer, home.pk), body, format="json")
        self.check(who, "patch home → neighbour", moved.status_code, want)


@pytest.mark.parametrize("name", LAYERS)
def test_permission_matrix(city, matrix, name: str) -> None:
    """Every role in every jurisdiction on the first sample (what the role allows); then, for one role
    of each kind the registry makes (editor, reader), every sample in every jurisdiction (what the
    rule allows). A role's answers depend on the registry only through may_read / may_edit (after
    三员), so the second part's representative speaks for the roles of its kind, which the first part
    checks."""
    layer = registry.get(name)
    with acting_as("fixture"):
        samples = make_samples(layer)
    m = Matrix(layer, samples)
    first = samples[:1]
    for who in matrix.values():
        m.reads(who, first)
        m.writes(who, first)
    kinds: dict[tuple[bool, bool], str] = {}
    for role in ROLES:
        kinds.setdefault((may_read(layer, role), may_edit(layer, role)), role)
    moves = layer.editable and (layer.scope_field is None or layer.scope_field in layer.read_only_fields)
    for (reads, edits), role in kinds.items():
        if not reads:
            continue  # every call is refused by role, as the first part shows
        for label in JURISDICTIONS:
            who = matrix[role, label]
            m.reads(who, samples)
            if edits:
                m.writes(who, samples[1:])
                if moves:
                    m.move(who)
    if layer.model not in JURISDICTION_MODELS:  # a district or street row is inside no smaller unit
        assert len({s.owner for s in samples}) >= 2, f"{name}: the samples must lie in more than one unit"
    assert not m.wrong, f"{name}: {len(m.wrong)} mismatches:\n" + "\n".join(m.wrong[:40])
