"""The FHIR RESTful API's conventions that every /fhir call shares: the answer's format (``Accept``
and ``_format``: JSON only, anything else 406), the longest URL read (414), which search
parameters are answered (``Prefer: handling``), and conditional reads (weak ETags, 304).

Each refusal is an OperationOutcome, as every /fhir error is (outcomes.py).
"""

from __future__ import annotations

from datetime import datetime

from flask import Response
from flask import g
from flask import request
from werkzeug.datastructures import MultiDict

from scheduler.web.fhir import access
from scheduler.web.fhir import params
from scheduler.web.fhir.outcomes import FHIR_JSON
from scheduler.web.fhir.outcomes import outcome_response

# The longest path and query string read. gunicorn (deploy/gunicorn.conf.py, limit_request_line)
# and nginx (large_client_header_buffers 8k) pass longer ones, so that this limit is the one a
# client meets and its answer is a FHIR 414, not a proxy's page.
MAX_URL_BYTES = 4096
# What an answer can be: FHIR's JSON, under any of its names (application/json+fhir is DSTU2's).
ANSWERABLE = (FHIR_JSON, "application/json", "application/json+fhir")
JSON_FORMATS = frozenset({"json", *ANSWERABLE})


def check_request() -> tuple[Response, int] | None:
    """Before every /fhir view (ahead of the token check: nothing here needs to know who calls)."""
    url_bytes = len(request.path.encode()) + len(request.query_string)
    if url_bytes > MAX_URL_BYTES:
        access.note("fhir.refused", "fhir", detail=f"URL of {url_bytes} bytes", unidentified=True)
        return outcome_response(
            414,
            "uri_too_long",
            f"The URL is {url_bytes} bytes; this server reads at most {MAX_URL_BYTES}. "
            "Search with fewer values, or page with the Bundle's next link.",
        )
    problem = _format_problem()
    if problem is not None:
        access.note("fhir.refused", "fhir", detail="not acceptable", unidentified=True)
        return outcome_response(406, "not_acceptable", problem)
    return None


def _format_problem() -> str | None:
    """Why the answer the client asks for cannot be given, or None. ``_format`` overrides Accept."""
    formats = request.args.getlist("_format")
    if formats:
        # An unencoded "+" (application/fhir+json) arrives as a space.
        wanted = formats[-1].strip().replace(" ", "+").split(";")[0].lower()
        if wanted not in JSON_FORMATS:
            return f"_format '{wanted[:60]}' cannot be answered: this server answers JSON only (_format=json)."
        return None
    if request.accept_mimetypes and request.accept_mimetypes.best_match(ANSWERABLE) is None:
        return "This server answers application/fhir+json (or application/json) only."
    return None


def lenient() -> bool:
    """Whether the client sent ``Prefer: handling=lenient`` (strict is the default, as FHIR allows)."""
    for header in request.headers.getlist("Prefer"):
        for part in header.replace(";", ",").split(","):
            name, _, value = part.strip().partition("=")
            if name.strip().lower() == "handling":
                return value.strip().strip('"').lower() == "lenient"
    return False


def search_args(
    supported: frozenset[str], result: frozenset[str] = params.RESULT_PARAMETERS, what: str = "search"
) -> MultiDict[str, str]:
    """The query string of a search (or of an operation: ``what``), with only the parameters it
    answers: ``supported`` and the result parameters ``result`` (paging, _summary, _format ...).

    Strict (the default): an unsupported parameter is a 400 naming it (InvalidInput). Lenient:
    it is ignored, and left out of the Bundle's links (they show what was searched). A parameter
    answered but given twice (other than a date's bounds, params.REPEATABLE) is a 400 either way."""
    args = request.args
    unsupported = params.unsupported(args, supported, result)
    if unsupported and not lenient():
        raise params.refusal(unsupported, supported, result, what)
    kept: MultiDict[str, str] = MultiDict([(k, v) for k, v in args.items(multi=True) if k not in unsupported])
    if (twice := params.repeated(kept)) is not None:
        raise twice  # FHIR would AND them, which a token here cannot be: never answer a guess
    g.fhir_search_args = kept
    return kept


def searched_args() -> MultiDict[str, str]:
    """What this search answered (search_args), for its links; the query string otherwise."""
    found: MultiDict[str, str] | None = g.get("fhir_search_args")
    return found if found is not None else request.args


def conditional(response: Response, version: int, updated: datetime) -> Response:
    """A read answered with its weak ETag (``W/"<versionId>"``) and Last-Modified; a 304 without a
    body when the client's ``If-None-Match`` (or ``If-Modified-Since``) says it has this version."""
    response.set_etag(str(version), weak=True)
    response.last_modified = updated
    response.make_conditional(request)  # the same response, made a 304 when it applies
    return response
