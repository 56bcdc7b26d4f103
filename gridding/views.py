"""``/api/gridding/…``: topology checks, evaluation grids, sampling rounds and fishnets over HTTP.

Writes are for planners (and admins) inside their jurisdiction, attributed to them in the audit
log; reports and exports are readable by anyone whose jurisdiction covers the area. Errors are
project errors, turned into JSON by ``gridcity.http_errors``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.access import Actor, code_prefix, visible
from layers.api import params
from layers.errors import BadParameter, FeatureNotFound
from layers.registry import registry
from layers.roles import ADMIN

from . import building, export, fishnet, jobs, problems, rounds, sampling, serializers, topology
from .errors import BuildNotFound
from .models import EvaluationBuildJob, Fishnet
from .scope import area_for, require_planner


def tolerances(data: object) -> topology.Tolerances:
    """Tolerances from request parameters (each optional, defaults from :class:`topology.Tolerances`)."""
    base = topology.Tolerances()
    get = data.get  # type: ignore[attr-defined]
    return topology.Tolerances(**{name: params.number(get(name), name, getattr(base, name)) for name in vars(base)})


class TopologyCheck(APIView):
    """POST: check the unit grids of ``area`` (default: your jurisdiction) and store the problems layer.
    GET: the stored problems of ``area`` as JSON (``topology/page/``: the same as a readable page)."""

    @extend_schema(request=serializers.TopologyBody, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        require_planner(request.user)
        body = params.body_object(request.data)
        area = area_for(request.user, body.get("area"))
        report = problems.check(area, tolerances(body))
        problems.store(report, request.user)
        return Response(report.as_json())

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response(stored_report(area_for(request.user, request.query_params.get("area")), request.user))


def stored_report(area: str, actor: Actor) -> dict[str, object]:
    """The problems the last checks stored under ``area`` that ``actor`` may see, counted by kind, with
    the map layer's URL."""
    rows = visible(registry.get("topology_problems"), actor).filter(unit_code__startswith=area).order_by(
        "unit_code", "kind", "id")
    found = [{"kind": p.kind, "title": topology.KINDS[p.kind], "unit": p.unit_code, "codes": p.codes.split(","),
              "area_m2": round(p.area_m2, 2), "message": p.message, "feature": p.pk} for p in rows]
    counts = {kind: 0 for kind in topology.KINDS}
    for p in found:
        counts[str(p["kind"])] += 1
    layer = "/api/layers/topology_problems/features/" + (f"?unit_code={area}" if len(area) == 12 else "")
    return {"area": area, "ok": not found, "summary": counts, "problems": found, "layer": layer}


class TopologyPage(APIView):
    """GET: the stored problems of ``area`` as a readable page (Chinese), for printing or a quick look."""

    @extend_schema(responses={(200, "text/html"): OpenApiTypes.STR})
    def get(self, request: Request) -> HttpResponse:
        report = stored_report(area_for(request.user, request.query_params.get("area")), request.user)
        return HttpResponse(render_to_string("gridding/topology.html", {"report": report, "titles": topology.KINDS}))


def describe_build(job: EvaluationBuildJob) -> dict[str, object]:
    return {"id": job.pk, "area": job.area, "status": job.status,
            "progress": {"steps_done": job.steps_done, "steps_total": building.STEPS},
            "report": job.report, "failure": job.error, "created_at": job.created_at, "started_at": job.started_at,
            "finished_at": job.finished_at, "url": f"/api/gridding/evaluation-grids/builds/{job.pk}/"}


class EvaluationBuild(APIView):
    """POST: queue a (re)build of the evaluation grids of ``area`` (district or street), keeping unchanged
    ones; 202 with the build's URL (a worker runs it)."""

    @extend_schema(request=serializers.BuildBody, responses={202: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        require_planner(request.user)
        area = area_for(request.user, params.body_object(request.data).get("area"), lengths=(6, 9))
        return Response(describe_build(jobs.submit(request.user, area)), status=202)


class EvaluationBuildDetail(APIView):
    """GET: a queued build's state, progress and, once done, its report (yours; an admin sees all)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        rows = EvaluationBuildJob.objects.all()
        found = (rows if request.user.role == ADMIN else rows.filter(user=request.user)).filter(pk=pk).first()
        if found is None:
            raise BuildNotFound(f"no evaluation build {pk} of yours", field="id")
        return Response(describe_build(found))


class EvaluationMove(APIView):
    """POST ``{"unit_grid": …, "to": …}``: move a unit grid into a neighbouring evaluation grid."""

    @extend_schema(request=serializers.MoveBody, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        require_planner(request.user)
        body = params.body_object(request.data)
        unit_grid, to = str(body.get("unit_grid") or ""), str(body.get("to") or "")
        if not (len(unit_grid) == 15 and unit_grid.isdigit()):
            raise BadParameter("unit_grid must be a 15-digit unit grid code", field="unit_grid", rule="code_format")
        if not (len(to) == 12 and to.isdigit()):
            raise BadParameter("to must be a 12-digit evaluation grid code", field="to", rule="code_format")
        area_for(request.user, to[:9], lengths=(9,), field="to")
        area_for(request.user, unit_grid[:9], lengths=(9,), field="unit_grid")
        return Response(building.move(unit_grid, to, request.user))


class EvaluationSummary(APIView):
    """GET: the evaluation grids of ``area`` with their sizes and flags."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        area = area_for(request.user, request.query_params.get("area"), lengths=(6, 9))
        rows = visible(registry.get("evaluation_grids"), request.user).filter(street__code__startswith=area) \
            .order_by("code")
        grids = [{"code": e.code, "street": e.street_id, "unit_grids": e.member_count,
                  "area_km2": round(e.area_m2 / 1e6, 3), "compactness": round(e.compactness, 3),
                  "flags": e.flags.split(",") if e.flags else []} for e in rows]
        return Response({"area": area, "count": len(grids), "flagged": sum(1 for g in grids if g["flags"]),
                         "grids": grids})


def city_class(raw: object) -> int:
    """The request's city class (400 unless 1, 2 or 3), or the platform setting GRIDCITY_CITY_CLASS."""
    chosen = settings.GRIDCITY_CITY_CLASS if raw in (None, "") else raw
    sampling.rule_for(chosen)
    return int(str(chosen))


class RoundList(APIView):
    """GET: the sampling rounds of ``area``; POST: draw a new round (``city_class``, ``seed``, ``points_per_grid``).

    A draw is stored for good (it can only be voided), so it is asked for by a JSON body (as every
    body here: DEFAULT_PARSER_CLASSES), never by an empty form post (415)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        area = area_for(request.user, request.query_params.get("area"), lengths=(6, 9))
        rows = visible(registry.get("sampling_rounds"), request.user).filter(area_code__startswith=area) \
            .order_by("area_code", "number")
        return Response({"rounds": [{"id": r.pk, "area": r.area_code, "number": r.number, "city_class": r.city_class,
                                     "seed": r.seed, "created_by": r.created_by,
                                     "created_at": r.created_at.isoformat(), **rounds.voiding(r)} for r in rows]})

    @extend_schema(request=serializers.RoundBody, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        require_planner(request.user)
        body = params.body_object(request.data)
        area = area_for(request.user, body.get("area"), lengths=(6, 9))
        klass = city_class(body.get("city_class"))
        seed = params.integer(body.get("seed"), "seed", None, 2**63 - 1)
        per_grid = params.integer(body.get("points_per_grid"), "points_per_grid",
                                  rounds.DEFAULT_POINTS_PER_GRID, 1000)
        done = rounds.create(area, klass, request.user, seed=seed, points_per_grid=per_grid or 0)
        return Response(rounds.describe(done), status=201)


class RoundDetail(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(rounds.describe(rounds.get(request.user, pk)))


class RoundVoid(APIView):
    """POST ``{"reason": …}``: void a round drawn by mistake (planners, inside their jurisdiction; audited)."""

    @extend_schema(request=serializers.VoidBody, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        require_planner(request.user)
        found = rounds.get(request.user, pk)
        reason = params.body_object(request.data).get("reason")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
            raise BadParameter("reason must say why the round is void (1–500 characters)", field="reason",
                               rule="required")
        return Response(rounds.describe(rounds.void(found, request.user, reason.strip())))


class RoundReplay(APIView):
    """POST: draw the round again from its seed and say whether it comes out the same (nothing stored)."""

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        return Response(rounds.replay(rounds.get(request.user, pk)))


class RoundExport(APIView):
    """GET ``rounds/<id>/export.csv`` or ``export.xlsx``: the round as a table for the inspectors."""

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int, fmt: str) -> HttpResponse:
        found = rounds.get(request.user, pk)
        if fmt not in export.FORMATS:
            raise BadParameter(f"format must be csv or xlsx (got {fmt!r})", field="format", rule="known_format")
        response = HttpResponse(export.export(found, fmt), content_type=export.FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="sampling-{found.area_code}-{found.number}.{fmt}"'
        return response


class FishnetList(APIView):
    """POST ``{"shape": "square"|"hex", "size": metres, "layer": name, "area": code}``: a density fishnet."""

    @extend_schema(request=serializers.FishnetBody, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        require_planner(request.user)
        body = params.body_object(request.data)
        area = area_for(request.user, body.get("area"))
        layer = body.get("layer")
        if not isinstance(layer, str) or not layer:
            raise BadParameter("layer must name a registered layer, e.g. components", field="layer",
                               rule="required")
        made = fishnet.build(body.get("shape"), body.get("size"), layer, area, request.user)
        return Response(fishnet.describe(made), status=201)


class FishnetDetail(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        found = Fishnet.objects.filter(pk=pk, area_code__startswith=code_prefix(request.user)).first()
        if found is None:
            raise FeatureNotFound(f"no fishnet {pk} you can see", field="id")
        return Response(fishnet.describe(found))
