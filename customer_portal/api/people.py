"""The operator's view of a customer's people: ``/api/v1/customers/{code}/people``.

``GET`` lists them (email, whether they set their credentials, second factor);
``DELETE .../people/{email}`` unlinks one (they keep their login for their
other customers). Same API key as publishing.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from customer_portal.api.publishing import _authorized, _error
from customer_portal.db import unit_of_work
from customer_portal.domain.people import describe_people, unlink_person
from customer_portal.limits import CUSTOMER_CODE_LENGTH, EMAIL_LENGTH


def list_people(code: str) -> list[dict] | None:
    """The people of customer ``code``; None if there is no such customer."""
    with unit_of_work(read_only=True) as session:
        return describe_people(session=session, code=code)


def unlink(code: str, email: str, actor: str) -> bool | None:
    """Remove ``email`` from customer ``code`` (None: no such customer)."""
    with unit_of_work() as session:
        return unlink_person(session=session, code=code, email=email, actor=actor)


async def customer_people(request: Request) -> Response:
    """``GET`` the people of a customer; ``DELETE .../{email}`` removes one."""
    if not _authorized(request):
        return _error(401, "missing or wrong API key", **{"WWW-Authenticate": "Bearer"})
    code = request.path_params["code"][:CUSTOMER_CODE_LENGTH]
    if request.method == "GET":
        people = await run_in_threadpool(list_people, code)
        if people is None:
            return _error(404, f"no customer with code {code!r}")
        return JSONResponse({"customer": code, "people": people})
    email = request.path_params.get("email", "")[:EMAIL_LENGTH]
    removed = await run_in_threadpool(unlink, code, email, "api")
    if removed is None:
        return _error(404, f"no customer with code {code!r}")
    if not removed:
        return _error(404, f"{email!r} is not a person of customer {code!r}")
    return Response(status_code=204)
