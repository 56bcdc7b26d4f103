"""Live positions: the newest fix of every vehicle and person the user may see, and their stream.

The stream is server-sent events fed by PostgreSQL LISTEN/NOTIFY: the ingest notifies the ids of
the vehicles it moved (in its transaction, so the notice arrives after the commit), and each
stream re-reads those rows through the layer's jurisdiction (``layers.access.visible``), so a
user is only ever sent what the vehicles API would show them. Online/offline is the signal
timeout 信号接收超时 applied to the fix time; the page re-applies it as time passes.

Each open stream holds one thread of a gunicorn ``gthread`` worker and one database connection
listening; it ends after ``GRIDCITY_FLEET_STREAM_SECONDS`` and the browser's EventSource
reconnects (and gets a fresh snapshot), so no stream outlives a deploy for long.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

import psycopg
from django.conf import settings
from django.db.models import QuerySet
from psycopg import sql

from layers.access import Actor, visible

from .layers import VEHICLES
from .models import KINDS, LIVE_CHANNEL, Vehicle
from .vehicles import online

# A comment line every this many seconds keeps proxies from closing an idle stream.
KEEPALIVE_SECONDS = 15.0
# After a notice, further notices arriving within this window are sent in the same event.
GATHER_SECONDS = 0.1


def positioned(actor: Actor) -> QuerySet:
    """The vehicles and people with a live position that ``actor`` may see (the position joined)."""
    return visible(VEHICLES, actor).filter(live__isnull=False).select_related("live")


def live_json(v: Vehicle, now: datetime) -> dict[str, object]:
    p = v.live
    return {"id": v.pk, "category": v.category, "kind": v.kind, "kind_name": KINDS.get(v.kind, v.kind),
            "label": v.plate or v.name or v.terminal, "group": v.group, "available": v.available,
            "lon": p.geom.x, "lat": p.geom.y, "time": p.time.isoformat(), "speed": p.speed, "heading": p.heading,
            "online": online(p.time, now)}


def positions(actor: Actor, ids: Iterable[int] | None = None) -> list[dict[str, object]]:
    rows = positioned(actor)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    now = datetime.now(UTC)
    return [live_json(v, now) for v in rows.only("id", "category", "kind", "name", "plate", "terminal", "group",
                                                 "available", "live__geom", "live__time", "live__speed",
                                                 "live__heading")]


def _event(name: str, data: object) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _listen() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    conn = psycopg.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"] or None,
                           port=db["PORT"] or None, autocommit=True)
    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(LIVE_CHANNEL)))
    return conn


def _ids(payloads: Iterable[str]) -> set[int]:
    return {int(part) for payload in payloads for part in payload.split(",") if part}


def events(actor: Actor) -> Iterator[bytes]:
    """The stream: a ``snapshot`` event, then a ``positions`` event per batch of moved vehicles."""
    conn = _listen()  # listening before the snapshot is read: nothing committed in between is missed
    try:
        yield b"retry: 2000\n\n"
        yield _event("snapshot", {"vehicles": positions(actor),
                                  "signal_timeout": settings.GRIDCITY_FLEET_SIGNAL_TIMEOUT_SECONDS})
        deadline = time.monotonic() + settings.GRIDCITY_FLEET_STREAM_SECONDS
        while time.monotonic() < deadline:
            first = [n.payload for n in conn.notifies(timeout=KEEPALIVE_SECONDS, stop_after=1)]
            if not first:
                yield b": keepalive\n\n"
                continue
            more = [n.payload for n in conn.notifies(timeout=GATHER_SECONDS)]
            moved = positions(actor, _ids(first + more))
            if moved:
                yield _event("positions", {"vehicles": moved})
    finally:
        conn.close()
