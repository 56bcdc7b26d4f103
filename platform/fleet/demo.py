"""The demo district's fleet: sanitation, kitchen-waste, construction-waste and hazardous-waste
vehicles spread over its streets, and the demo supervisor's positioning device (SPEC §1 scale,
trimmed so the simulator's load suits a laptop). Written in one INSERT inside the demo loader's
audited transaction."""

from __future__ import annotations

from accounts.models import User
from layers.access import is_unit_code
from layers.models import ResponsibilityGrid

from .models import Vehicle

# (kind, count, group, company, weighing, plate colour)
FLEET = [
    ("collection", 24, "分类收运队", "大丰环境卫生管理处", True, "blue"),
    ("kitchen", 8, "餐厨收运队", "大丰餐厨废弃物处理中心", True, "blue"),
    ("muck", 16, "渣土运输队", "大丰建筑垃圾运输公司", False, "yellow"),
    ("hazardous", 4, "危废运输队", "盐城危废运输公司", True, "yellow"),
    ("sweeper", 6, "机扫队", "大丰环境卫生管理处", False, "blue"),
    ("sprinkler", 4, "洒水队", "大丰环境卫生管理处", False, "blue"),
]
SUPERVISOR = "supervisor"


def demo_vehicles(district: str, streets: list[str]) -> list[Vehicle]:
    """The demo fleet, each vehicle serving a street in turn (plates 苏J·D0001 …, terminals DEMO-0001 …)."""
    vehicles, n = [], 0
    for kind, count, group, company, weighing, colour in FLEET:
        for _ in range(count):
            n += 1
            vehicles.append(Vehicle(category="vehicle", kind=kind, plate=f"苏JD{n:04d}", plate_colour=colour,
                                    group=group, company=company, has_weighing=weighing, has_video=kind == "hazardous",
                                    terminal=f"DEMO-{n:04d}", area_code=streets[n % len(streets)] if streets
                                    else district))
    supervisor = User.objects.filter(username=SUPERVISOR).first()
    grid = ResponsibilityGrid.objects.filter(kind="supervisor", assignee=supervisor).order_by("code").first()
    if supervisor is not None and grid is not None:
        # the unit the supervisor is scoped to; the district for a platform-wide or unscoped account
        area = supervisor.jurisdiction_code if is_unit_code(supervisor.jurisdiction_code) else district
        vehicles.append(Vehicle(category="person", kind="supervisor", name=supervisor.first_name or SUPERVISOR,
                                terminal="DEMO-P001", area_code=area,
                                person=supervisor, responsibility_grid=grid))
    return vehicles


def load_demo_fleet(district: str, streets: list[str]) -> int:
    return len(Vehicle.objects.bulk_create(demo_vehicles(district, streets)))
