"""The API service's front door: route, check and answer one request, and misbehave on demand.

:class:`Gateway` turns ``(method, path, headers, body)`` into a
:class:`~cregis_notebook.sandbox.api.answers.Response`: the path and the method, the JSON body,
the signature and the project (SPEC section 12's order), then the endpoint's handler in
:mod:`~cregis_notebook.sandbox.api.service`, at one moment of the engine's clock.
:meth:`Gateway.respond` adds the latency, rate-limit and failure knobs
(:mod:`~cregis_notebook.sandbox.api.faults`). The transports and the ASGI app
(:mod:`cregis_notebook.sandbox.http`) carry the answer out.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ...errors import SandboxRefusal
from ...spec import Endpoint, registry
from ..engine.codes import A_BODY, A_METHOD, A_PATH, documented
from ..engine.engine import Engine
from ..engine.limits import LOCAL_IP
from .answers import JSON_HEADERS, Response, envelope, error, ok
from .checks import check_sign, check_system, read_params, read_pid
from .control import PREFIX, control
from .faults import HTML_5XX, Decision, Faults
from .service import Raw, Service
from .team_checks import check_team_headers
from .team_service import TeamService

__all__ = ["Gateway"]

log = logging.getLogger("cregis_notebook.sandbox")


class Gateway:
    """The API service of one engine: every request goes in here."""

    def __init__(self, engine: Engine, faults: Faults) -> None:
        self.engine = engine
        self.faults = faults
        self.service = Service(engine)
        self.team_service = TeamService()
        reg = registry()
        self._routes: dict[str, Endpoint] = {ep.path: ep for ep in reg.endpoints}
        self._float_params = {
            ep.name: tuple(p.name for p in ep.params if p.type == "float") for ep in reg.endpoints
        }

    def respond(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None,
        body: bytes,
        *,
        client: str | None = LOCAL_IP,
    ) -> tuple[float, Response | None]:
        """:meth:`handle` with the knobs applied: ``(delay seconds, response or None)``.

        ``None`` means "drop the connection without an answer"; ``client`` is the caller's IP.
        """
        if path.startswith(PREFIX):
            return 0.0, self.handle(method, path, headers, body, client=client)
        decision: Decision = self.faults.decide(self.engine.clock())
        if decision.action == "limit":
            extra = (("retry-after", str(decision.retry_after)),)
            return decision.delay, error(
                429, "A0429", f"Too Many Requests: retry after {decision.retry_after} s", extra
            )
        if decision.action == "http_5xx":
            html = (("content-type", "text/html"),)
            return decision.delay, Response(decision.status, html, HTML_5XX[decision.status])
        if decision.action == "drop":
            return decision.delay, None
        response = self.handle(method, path, headers, body, client=client)
        if decision.action == "malformed":
            cut = response.body[: max(1, len(response.body) // 2)]
            response = Response(200, response.headers, cut)
        return decision.delay, response

    def handle(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        client: str | None = LOCAL_IP,
    ) -> Response:
        """Answer one request. Never raises: every failure is an HTTP response.

        ``client`` is the caller's IP address (for a project's ``ip_whitelist``).
        """
        path = path.split("?", 1)[0]
        try:
            if path.startswith(PREFIX):
                return control(self.engine, method.upper(), path, body)
            ep = self._routes.get(path) or self.team_service.endpoints.get(path)
            if ep is None:
                return error(
                    404,
                    A_PATH,
                    f"Param Error: path {path} is not an endpoint "
                    "(registry().endpoints and registry().team_endpoints list them)",
                )
            if method.upper() != "POST":
                return error(
                    405,
                    A_METHOD,
                    f"Param Error: method {method.upper()} is not "
                    f"allowed; {path} takes POST with a JSON body",
                    (("allow", "POST"),),
                )
            if ep.api == "team":
                return self._team(ep, path, headers or {}, body)
            payload = _json_object(body)
            if isinstance(payload, Response):
                return payload
            try:
                with self.engine.moment() as now:
                    data = self._call(ep, payload, now, client)
            except SandboxRefusal as exc:
                return error(exc.status, exc.code, exc.msg)
            msg = str(ep.response_example.get("msg") or "ok")
            if isinstance(data, Raw):
                return Response(200, JSON_HEADERS, envelope("00000", msg, data.text))
            return ok(data, msg)
        except Exception as exc:  # a sandbox bug must still be an answer, not a crash
            log.exception("sandbox error on %s %s", method, path)
            return error(500, "S0500", f"Sandbox internal error: {type(exc).__name__}: {exc}")

    def _team(self, ep: Endpoint, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        """A Team API call: the header checks, the JSON body, then the endpoint (team_checks)."""
        team = self.engine.team
        try:
            with self.engine.moment() as now:
                team.advance(now)  # live mode: the transfers due by now arrive first
                window = self.engine.knobs.team_window_seconds
                check_team_headers(team, path, headers, body, now, window)
                payload = _json_object(body)
                if isinstance(payload, Response):
                    return payload
                data = self.team_service.call(ep, team, payload, now)
        except SandboxRefusal as exc:
            return error(exc.status, exc.code, exc.msg)
        return ok(data)

    def _call(self, ep: Endpoint, body: dict[str, Any], now: float, client: str | None) -> Any:
        given = body.get("sign")
        if not isinstance(given, str) or not given.strip():
            raise documented("B0001")
        pid = read_pid(body)
        project = self.engine.projects.get(pid)
        if project is None:
            raise documented("E0003")
        floats = self._float_params.get(ep.name, ())
        if not check_sign(body, project.api_key, floats):
            raise documented("B0001")
        project.limits.check_caller(client)
        check_system(body)
        if project.disabled:
            raise documented("E0003")
        project.limits.check_endpoint(ep.name)
        params = read_params(ep, body)
        return self.service.handlers[ep.name](project, params, now)


def _json_object(body: bytes) -> dict[str, Any] | Response:
    """The body as a JSON object (fractions as Decimals), or the A0004 answer refusing it."""
    try:
        payload = json.loads(body or b"", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        return error(400, A_BODY, f"Param Error: the body is not JSON ({exc})")
    if not isinstance(payload, dict):
        return error(400, A_BODY, "Param Error: the body must be a JSON object")
    return payload
