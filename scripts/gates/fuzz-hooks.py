"""Schemathesis hooks of the fuzzing gate (scripts/gates/fuzz.ts loads them via SCHEMATHESIS_HOOKS).

Edits to requests before they go out (a rule the OpenAPI document cannot state; the admin run
keeping its admin usable), and two checks that keep strict what the gate's widened status lists
for `positive_data_acceptance` would otherwise let through.
"""

import json
import os
import uuid

import requests
import schemathesis

# The OAuth errors a schema-valid request may get with a 400, by path: the document cannot say which
# grant, scope or token the server will refuse. `invalid_request` on the single-grant routes would
# mean the document promises more than the route takes.
OAUTH_REFUSALS = {
    # unauthorized_client: a registered client (the stateful phase makes some) not allowed the grant.
    "/auth/login": ("invalid_grant", "invalid_scope", "unauthorized_client"),
    "/auth/refresh": ("invalid_grant", "invalid_scope", "unauthorized_client"),
    "/auth/logout": ("unauthorized_client",),
    # Which fields a grant needs depends on grant_type, which a schema cannot express.
    "/auth/token": (
        "invalid_request",
        "invalid_grant",
        "invalid_scope",
        "unauthorized_client",
        "unsupported_grant_type",
    ),
    "/auth/revoke": ("unauthorized_client",),
}
# Set for the admin run: the admin whose token the run uses, and a spare admin the gate made.
ADMIN_ID = os.environ.get("MERCADO_FUZZ_ADMIN_ID", "")
SERVER = os.environ.get("MERCADO_FUZZ_URL", "")
TOKEN = os.environ.get("MERCADO_FUZZ_TOKEN", "")
spare = {"id": os.environ.get("MERCADO_FUZZ_SPARE_ID", "")}


def _number(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN orders with nothing


def _order_price_bounds(case):
    # GET /products answers minPrice > maxPrice with 422 (docs/api.md, Products): OpenAPI cannot
    # relate two parameters, so a drawn pair is put in order instead of reading as a valid request
    # refused.
    low, high = _number(case.query.get("minPrice")), _number(case.query.get("maxPrice"))
    if low is not None and high is not None and low > high:
        case.query["minPrice"], case.query["maxPrice"] = case.query["maxPrice"], case.query["minPrice"]


def _user_write(case):
    return ADMIN_ID and case.method in ("PUT", "PATCH", "DELETE") and case.path == "/users/{id}"


def _target(case):
    return str((case.path_parameters or {}).get("id", "")).lower()


# An account the gate made for the calls that end every session (see before_call).
GONE = {"username": os.environ.get("MERCADO_FUZZ_GONE_USER", ""), "password": os.environ.get("MERCADO_FUZZ_GONE_PASSWORD", "")}
GONE_ID = os.environ.get("MERCADO_FUZZ_GONE_ID", "")


def _throwaway_bearer():
    # A fresh session of that account: each call ends all of them.
    reply = requests.post(f"{SERVER}/auth/login", json=GONE, timeout=10)
    reply.raise_for_status()
    return f"Bearer {reply.json()['access_token']}"


@schemathesis.hook
def before_call(ctx, case, kwargs):
    # Every phase calls this hook right before the request, the coverage phase included.
    if case.method == "GET" and case.path == "/products" and case.query:
        _order_price_bounds(case)
    # Once another admin exists, the run's admin may disable, demote or delete itself, and the rest
    # of the run would be 403s: a silent skip. Writes to its own record go to the spare admin, an
    # account of the same kind; the service treats an admin's writes to itself like any other.
    # The account that logout-all uses (below) must keep its password and stay enabled: its writes
    # go to the spare as well.
    if _user_write(case) and _target(case) in (ADMIN_ID, GONE_ID):
        case.path_parameters["id"] = spare["id"]
    # Ending every session of the run's account would end the run's token, and the rest of the run
    # would be 401s: the call ends the sessions of an account made for it instead. Only the run's
    # own token is swapped: a made-up one (the auth checks send those) must still be refused.
    own = (case.headers or {}).get("Authorization") == f"Bearer {TOKEN}"
    if case.path == "/auth/logout-all" and GONE["username"] and own:
        case.headers["Authorization"] = _throwaway_bearer()


@schemathesis.hook
def after_call(ctx, case, response):
    # A deleted spare would turn every later write aimed at the admin into a 404: make another.
    if _user_write(case) and case.method == "DELETE" and response.status_code == 204 and _target(case) == spare["id"]:
        name = f"fuzz_spare_{uuid.uuid4().hex[:8]}"
        account = {"username": name, "email": f"{name}@example.com", "password": "fuzz-spare-password", "role": "admin"}
        headers = {"Authorization": f"Bearer {TOKEN}"}
        reply = requests.post(f"{SERVER}/users", json=account, headers=headers, timeout=10)
        reply.raise_for_status()
        spare["id"] = reply.json()["id"]


def _is_positive(case):
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


@schemathesis.check
def token_refusals_are_grant_errors(ctx, response, case):
    """A schema-valid token request is refused only with the OAuth errors its route may give.

    The gate lets the token routes answer valid data with 400, since a wrong password or an unknown
    refresh token is `invalid_grant` (RFC 6749 section 5.2); see OAUTH_REFUSALS.
    """
    allowed = OAUTH_REFUSALS.get(case.path)
    if not _is_positive(case) or allowed is None or response.status_code != 400:
        return None
    try:
        error = json.loads(response.content).get("error")
    except (ValueError, AttributeError):
        error = None
    if error not in allowed:
        raise AssertionError(f"a schema-valid request to {case.path} was refused with 400 {error!r}, not one of {allowed}")
    return None


CLIENT_METADATA_ERRORS = ("invalid_redirect_uri", "invalid_client_metadata")


@schemathesis.check
def client_metadata_refusals_are_rules(ctx, response, case):
    """A schema-valid client registration is refused only for a rule the schema cannot state.

    The gate lets `POST /clients` and `PUT /clients/{client_id}` answer valid data with 400, since
    RFC 7591 section 3.2.2 refuses metadata that breaks the server's rules (an http redirect URI off
    loopback, an unknown scope). Those descriptions start with the field's name; a failed schema
    check starts with a JSON pointer ("/redirect_uris/0: ..."), and would mean the document promises
    more than the route takes.
    """
    if not _is_positive(case) or not case.path.startswith("/clients") or response.status_code != 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        body = {}
    error, description = body.get("error"), str(body.get("error_description", ""))
    if error not in CLIENT_METADATA_ERRORS or description.startswith(("/", "body:")):
        raise AssertionError(f"schema-valid client metadata was refused by its schema: {error!r} {description!r}")
    return None


# What a refused mailed token answers (src/auth/recovery/service.ts, TOKEN_REFUSED).
TOKEN_REFUSED = "this link is invalid, was used already or has expired"


@schemathesis.check
def mailed_token_refusals_are_about_the_token(ctx, response, case):
    """A schema-valid verification or reset confirmation is refused with 400 only for its token.

    A random, well-formed token is unknown, so the gate lets these routes answer valid data with 400;
    any other 400 (a schema rule, a password rule) would mean the document promises more.
    """
    paths = ("/auth/verify-email", "/auth/password-reset/confirm")
    if not _is_positive(case) or case.path not in paths or response.status_code != 400:
        return None
    try:
        detail = json.loads(response.content).get("detail", "")
    except ValueError:
        detail = ""
    if detail != TOKEN_REFUSED:
        raise AssertionError(f"a schema-valid request to {case.path} was refused with 400 {detail!r}")
    return None


@schemathesis.check
def precondition_failed_needs_if_match(ctx, response, case):
    """412 answers only an `If-Match` that names no current version (RFC 9110 section 13.1.1).

    The gate lets routes with `If-Match` answer valid data with 412, since a well-formed tag may
    name an old or unknown version; a 412 to a request without the header would be a bug.
    """
    if response.status_code == 412 and "If-Match" not in response.request.headers:
        raise AssertionError("412 Precondition Failed to a request without If-Match")
    return None
