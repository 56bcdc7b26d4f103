"""The real GPS tracks of /work/shared/data/gps, moved into the test district rigidly in metres.

Each file is carried from an azimuthal equidistant frame centred on its own data to one centred
on the target (so distances, noise and speeds stay as recorded) and shifted in time as a whole
so its newest fix is a few minutes old (inside the retention, never in the future).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from pyproj import Transformer

GPS_DIR = Path("/work/shared/data/gps")
LIVERPOOL = GPS_DIR / "liverpool_bus_route14_outbound.csv"
TARGET = (120.45, 33.20)  # inside the test city's district (tests/conftest.py)


@dataclass(frozen=True)
class Fix:
    terminal: str
    time: datetime
    lon: float
    lat: float
    heading: float | None

    def as_json(self) -> dict[str, object]:
        body: dict[str, object] = {"terminal": self.terminal, "time": self.time.isoformat(), "lon": self.lon,
                                   "lat": self.lat}
        if self.heading is not None:
            body["heading"] = self.heading
        return body


def move(lon: np.ndarray, lat: np.ndarray, target: tuple[float, float] = TARGET) -> tuple[np.ndarray, np.ndarray]:
    """``lon``/``lat`` carried rigidly (in metres) from around their mean to around ``target``."""
    here = f"+proj=aeqd +lon_0={lon.mean()} +lat_0={lat.mean()} +datum=WGS84 +units=m"
    there = f"+proj=aeqd +lon_0={target[0]} +lat_0={target[1]} +datum=WGS84 +units=m"
    x, y = Transformer.from_crs("EPSG:4326", here, always_xy=True).transform(lon, lat)
    return Transformer.from_crs(there, "EPSG:4326", always_xy=True).transform(x, y)


def liverpool(newest: datetime | None = None) -> list[Fix]:
    """Route 14's fixes (8 buses), terminals ``LPL<vehicle>``, newest fix 5 minutes before ``newest``."""
    with LIVERPOOL.open(newline="") as f:
        rows = list(csv.DictReader(f))
    lon, lat = move(np.array([float(r["longitude"]) for r in rows]), np.array([float(r["latitude"]) for r in rows]))
    times = [datetime.fromisoformat(r["timestamp"]).replace(tzinfo=UTC) for r in rows]  # January: UK time is UTC
    shift = (newest or datetime.now(UTC)) - timedelta(minutes=5) - max(times)
    return [Fix(f"LPL{r['vehicle_id']}", t + shift, float(x), float(y), float(r["bearing"]) if r["bearing"] else None)
            for r, t, x, y in zip(rows, times, lon.tolist(), lat.tolist(), strict=True)]
