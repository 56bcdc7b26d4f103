"""Vehicles and people carrying positioning terminals, and the machine credentials of GPS feeds.

A :class:`Vehicle` row is either a vehicle (plate, plate colour, type …) or a person with a
positioning device (a supervisor, a patrol officer) bound to a responsibility grid; both carry a
terminal id and the live position the ingest keeps (``geom``, ``fix_time``, ``speed``,
``heading``: the newest fix stored, never an older one). The fixes themselves live in the
partitioned table ``fleet_fix`` (created by migration ``0002``, written in SQL by ``ingest``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError

from layers import codes
from layers.models import ResponsibilityGrid
from layers.models.base import SRID, Feature

# The partitioned table of GPS fixes (migration 0002) and the NOTIFY channel of live positions.
FIX_TABLE = "fleet_fix"
LIVE_CHANNEL = "fleet_live"

VEHICLE, PERSON = "vehicle", "person"
CATEGORIES = {VEHICLE: "车辆", PERSON: "人员"}
# Vehicle types of the sanitation, kitchen-waste, construction-waste and hazardous-waste platforms,
# and the kinds of people who carry a positioning device.
KINDS = {
    "collection": "收运车",
    "kitchen": "餐厨车",
    "muck": "渣土车",
    "hazardous": "危废运输车",
    "sweeper": "清扫车",
    "sprinkler": "洒水车",
    "supervisor": "监督员",
    "patrol": "巡查员",
}
PERSON_KINDS = ("supervisor", "patrol")
PLATE_COLOURS = {"blue": "蓝", "yellow": "黄", "green": "绿", "yellow_green": "黄绿", "white": "白", "black": "黑"}


class Vehicle(Feature):
    category = models.CharField("类别", max_length=8, choices=list(CATEGORIES.items()), default=VEHICLE)
    kind = models.CharField("类型", max_length=16, choices=list(KINDS.items()))
    name = models.CharField("名称/姓名", max_length=64, blank=True)
    plate = models.CharField("车牌号", max_length=16, unique=True, null=True, blank=True)
    plate_colour = models.CharField("车牌颜色", max_length=16, choices=list(PLATE_COLOURS.items()), blank=True)
    group = models.CharField("分组", max_length=64, blank=True)
    company = models.CharField("运营单位", max_length=100, blank=True)
    has_gps = models.BooleanField("有定位", default=True)
    has_weighing = models.BooleanField("有称重", default=False)
    has_video = models.BooleanField("有视频", default=False)
    terminal = models.CharField("终端号", max_length=32, unique=True)
    area_code = models.CharField(
        "所属区域", max_length=12,
        help_text="district (6), street (9) or community (12) code of the unit the vehicle or person serves",
    )
    available = models.BooleanField("可调度", default=True)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                               related_name="devices", verbose_name="人员账号")
    responsibility_grid = models.ForeignKey(ResponsibilityGrid, models.SET_NULL, null=True, blank=True,
                                            related_name="devices", verbose_name="责任网格")
    # The layer's copy of the live position (LivePosition), refreshed by the ingest at most every
    # GRIDCITY_FLEET_LAYER_REFRESH_SECONDS: what tiles and the GeoJSON API serve; read-only in the API.
    geom = models.PointField("最新位置", srid=SRID, null=True, blank=True)
    fix_time = models.DateTimeField("定位时间", null=True, blank=True)
    speed = models.FloatField("速度(km/h)", null=True, blank=True)
    heading = models.FloatField("方向(°)", null=True, blank=True)

    class Meta:
        verbose_name = "车辆与人员"
        ordering = ["category", "plate", "name", "id"]
        indexes = [models.Index(fields=["area_code"]), models.Index(fields=["group"])]

    def __str__(self) -> str:
        return self.plate or self.name or self.terminal

    def clean(self) -> None:
        if self.plate == "":
            self.plate = None
        problems: dict[str, ValidationError] = {}
        if self.category == VEHICLE and not self.plate:
            problems["plate"] = ValidationError("a vehicle needs its plate (车牌号)", code="required")
        if self.category == PERSON:
            if self.kind not in PERSON_KINDS:
                problems["kind"] = ValidationError(
                    f"a person's kind is one of {', '.join(PERSON_KINDS)}", code="person_kind")
            if not self.name:
                problems["name"] = ValidationError("a person needs a name (姓名)", code="required")
            if self.responsibility_grid_id is None:
                problems["responsibility_grid"] = ValidationError(
                    "a person with a positioning device is bound to a responsibility grid", code="required")
        elif self.kind in PERSON_KINDS:
            problems["kind"] = ValidationError(f"{self.kind} is a person's kind, not a vehicle's", code="vehicle_kind")
        try:
            codes.check_jurisdiction_code(self.area_code)
        except ValidationError as exc:
            problems["area_code"] = exc
        if problems:
            raise ValidationError(problems)


class LivePosition(models.Model):
    """The newest stored fix of a vehicle, kept by the ingest in every batch (no triggers on this
    table: it is the hot path). ``stale`` marks a position the vehicles layer (the registry copy in
    :class:`Vehicle`, audited and tile-invalidated) has not taken yet; the ingest copies stale
    positions into it at most every ``GRIDCITY_FLEET_LAYER_REFRESH_SECONDS`` per vehicle."""

    vehicle = models.OneToOneField(Vehicle, models.CASCADE, primary_key=True, related_name="live")
    time = models.DateTimeField("定位时间")
    geom = models.PointField("位置", srid=SRID)
    speed = models.FloatField("速度(km/h)", null=True, blank=True)
    heading = models.FloatField("方向(°)", null=True, blank=True)
    stale = models.BooleanField(default=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "实时位置"
        indexes = [models.Index(fields=["vehicle"], condition=models.Q(stale=True), name="fleet_live_stale")]


class FeedCredential(models.Model):
    """A machine credential of one GPS feed or gateway: it may post fixes and do nothing else.

    Only a SHA-256 digest of the key is stored; the key is shown once, when it is made. It does
    not expire (a terminal gateway runs for years) but is revoked by setting ``revoked_at``.
    """

    name = models.CharField("名称", max_length=64, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField("密钥前缀", max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "GPS 接入凭证"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
