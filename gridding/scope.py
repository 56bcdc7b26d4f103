"""Who may run gridding operations where: planners (and admins), inside their jurisdiction.

An operation names an area by code (district 6, street 9, community 12 digits); without one it
takes the user's jurisdiction (``""``, everything, for platform-wide users). An account without a
jurisdiction runs nothing (``layers.access.code_prefix``).
"""

from __future__ import annotations

from layers.access import Actor, code_prefix, jurisdiction_geom
from layers.errors import BadParameter
from layers.roles import ADMIN, PLANNER

from .errors import NotAPlanner, OutsideArea, UnknownArea

WRITERS = frozenset({ADMIN, PLANNER})


def require_planner(actor: Actor) -> None:
    if actor.role not in WRITERS:
        raise NotAPlanner(f"role {actor.role!r} may not run gridding operations; planners and admins may",
                          field="role")


def area_for(actor: Actor, requested: object, lengths: tuple[int, ...] = (6, 9, 12), field: str = "area") -> str:
    """The area code an operation runs on: ``requested`` (checked) or the actor's jurisdiction.

    400 for a malformed code or a level the operation does not take, 403 outside the jurisdiction,
    404 for an area that does not exist.
    """
    own = code_prefix(actor)  # "" for the whole platform; 403 for an account without a jurisdiction
    code = own if requested in (None, "") else str(requested)
    if code and (not code.isascii() or not code.isdigit() or len(code) not in lengths):
        levels = "/".join({6: "district (6)", 9: "street (9)", 12: "community (12)"}[n] for n in lengths)
        raise BadParameter(f"{field} must be a {levels}-digit code, got {code!r}", field=field, rule="code_format")
    if own and not code.startswith(own):
        raise OutsideArea(f"area {code or '(all)'} is outside your jurisdiction {own}", field=field)
    if code and jurisdiction_geom(code) is None:
        raise UnknownArea(f"no district, street or community with code {code}", field=field)
    return code
