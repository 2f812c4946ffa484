"""`/graphql`: GraphQL over HTTP (POST and GET), answered as the client's Accept asks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from custgraph.auth.authenticate import AuthenticationFailed, authenticate, remembered_staff
from custgraph.auth.principal import Principal
from custgraph.auth.staff_sessions import RememberedSession
from custgraph.context import Context
from custgraph.db.availability import (
    DatabaseUnavailable,
    database_reachable,
    is_database_unavailable,
)
from custgraph.db.reader import Reader
from custgraph.fastpath.planned import answer_planned
from custgraph.http.negotiation import GRAPHQL_RESPONSE_JSON, response_media_type, wants_html
from custgraph.http.request_id import HEADER as REQUEST_ID_HEADER
from custgraph.http.request_id import request_id_from
from custgraph.observability.request_record import (
    operation_name,
    operation_type,
    outcome_of,
    record_of,
)
from custgraph.schema.errors import ErrorCode
from custgraph.state import AppState

QUERIES_ONLY = (OperationType.QUERY,)
ALL_OPERATIONS = (OperationType.QUERY, OperationType.MUTATION)


class RequestError(Exception):
    """The HTTP request itself is unusable; answered with `status` and no `data`."""

    def __init__(
        self,
        status: int,
        message: str,
        code: ErrorCode = ErrorCode.BAD_REQUEST,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
        self.extensions = extensions or {}


@dataclass(frozen=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _parse_params(data: Any) -> GraphQLRequest:
    if isinstance(data, list):
        raise RequestError(400, "Batched requests are not supported; send one operation.")
    if not isinstance(data, dict):
        raise RequestError(400, "The request body must be a JSON object.")
    query = data.get("query")
    if not isinstance(query, str) or not query.strip():
        raise RequestError(400, "The request has no `query` string.")
    variables = data.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "`variables` must be a JSON object.")
    operation_name = data.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "`operationName` must be a string.")
    extensions = data.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        # No request extension is used here, but the specification wants one sent as a map.
        raise RequestError(400, "`extensions` must be a JSON object.")
    # No text field of ours holds a NUL character, and PostgreSQL cannot store one.
    if _holds_nul([query, variables, operation_name]):
        raise RequestError(400, "The request holds a NUL character, which no field accepts.")
    return GraphQLRequest(query, variables, operation_name)


async def _read_request(request: Request) -> GraphQLRequest:
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        for name in ("variables", "extensions"):
            if name in params:
                try:
                    params[name] = json.loads(params[name])
                except ValueError:
                    raise RequestError(400, f"`{name}` is not valid JSON.") from None
        return _parse_params(params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise RequestError(415, "Send the request as `Content-Type: application/json`.")
    body = await request.body()
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestError(400, "The request body is not valid JSON.") from None
    return _parse_params(data)


def _is_request_error(result: ExecutionResult) -> bool:
    """Parse, validation and variable-coercion errors: nothing was executed."""
    if isinstance(result, PreExecutionError):
        return True
    return (
        result.data is None
        and bool(result.errors)
        and all(e.path is None for e in result.errors or ())
    )


def _formatted(error: GraphQLError, request_id: str) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    # Parse errors bypass the schema's extensions; every error still gets a code.
    extensions = dict(formatted.get("extensions") or {})
    extensions.setdefault("code", ErrorCode.BAD_REQUEST.value)
    extensions.setdefault("requestId", request_id)
    formatted["extensions"] = extensions
    return formatted


def _body(result: ExecutionResult, include_data: bool, request_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [_formatted(e, request_id) for e in result.errors]
    if include_data:
        body["data"] = result.data
    if result.extensions:
        body["extensions"] = result.extensions
    return body


def _json_response(
    body: dict[str, Any], status: int, media_type: str, request_id: str, **headers: str
) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=media_type,
        headers={REQUEST_ID_HEADER: request_id, **headers},
    )


def _error_body(
    message: str, code: ErrorCode, request_id: str, extensions: dict[str, Any] | None = None
) -> dict[str, Any]:
    details = {**(extensions or {}), "code": code.value, "requestId": request_id}
    return {"errors": [{"message": message, "extensions": details}]}


class GraphQLEndpoint:
    def __init__(self, state: AppState) -> None:
        self.state = state

    async def handle(self, request: Request) -> Response:
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        accept = request.headers.get("accept")
        if request.method == "GET" and wants_html(accept) and "query" not in request.query_params:
            return self.state.graphiql_page(request_id)
        media_type = response_media_type(accept)
        if media_type is None:
            return _json_response(
                _error_body(
                    "Accept `application/graphql-response+json` or `application/json`.",
                    ErrorCode.BAD_REQUEST,
                    request_id,
                ),
                406,
                "application/json",
                request_id,
            )
        reader = Reader(self.state.engine)
        try:
            return await self._execute(request, request_id, media_type, reader)
        except RequestError as error:
            record_of(request.scope).outcome = error.code.value
            return _json_response(
                _error_body(error.message, error.code, request_id, error.extensions),
                error.status,
                media_type,
                request_id,
                **error.headers,
            )
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            record_of(request.scope).outcome = ErrorCode.INTERNAL.value
            return _json_response(
                _error_body(
                    f"The database is unavailable; try again shortly (request id {request_id}).",
                    ErrorCode.INTERNAL,
                    request_id,
                    # The contract's codes end at INTERNAL; this tells a client's retry
                    # logic that waiting helps.
                    {"reason": "DATABASE_UNAVAILABLE"},
                ),
                503,
                media_type,
                request_id,
                **{"Retry-After": "5"},
            )
        finally:
            record_of(request.scope).statements = reader.statement_count
            await reader.close()

    async def _authenticate(self, request: Request, reader: Reader) -> Principal:
        settings = self.state.settings
        try:
            return await authenticate(
                reader,
                self.state.engine,
                settings.secret_key.get_secret_value(),
                request.headers.get("authorization"),
                request.client.host if request.client else None,
                self.state.staff_sessions,
            )
        except AuthenticationFailed as error:
            raise RequestError(
                401, str(error), ErrorCode.UNAUTHENTICATED, {"WWW-Authenticate": "Bearer"}
            ) from None

    def _context(self, request_id: str, principal: Principal, reader: Reader) -> Context:
        return Context(
            request_id=request_id,
            principal=principal,
            settings=self.state.settings,
            engine=self.state.engine,
            session_factory=self.state.session_factory,
            reader=reader,
            execution_budget=self.state.execution_budget,
            job_wakeup=self.state.job_wakeup,
        )

    async def _confirmed(
        self,
        request: Request,
        session: RememberedSession,
        context: Context,
        result: ExecutionResult | None,
    ) -> tuple[Context, ExecutionResult | None]:
        """The context and answer of a request made for a remembered session, once the
        session is confirmed: by the request's statement, or else by a look-up."""
        reader = context.reader
        reader.stop_carrying()
        if reader.carried_answer is True:
            return context, result
        # Changed, or not confirmed: the look-up remembers it again if it holds.
        self.state.staff_sessions.forget(session)
        current = await self._authenticate(request, reader)
        if current == context.principal:
            return context, result
        # Answered for who the caller was: answer again (on the pipeline) for who they are
        # now; the request has paid its rate limit already.
        fresh = self._context(context.request_id, current, reader)
        fresh.prepaid_bucket = context.prepaid_bucket
        return fresh, None

    async def _execute(
        self, request: Request, request_id: str, media_type: str, reader: Reader
    ) -> Response:
        graphql_request = await _read_request(request)
        record = record_of(request.scope)
        record.operation = operation_name(graphql_request.query, graphql_request.operation_name)
        record.operation_type = operation_type(graphql_request.query, record.operation)
        settings = self.state.settings
        remembered = None
        if reader.can_carry:
            remembered = remembered_staff(
                settings.secret_key.get_secret_value(),
                request.headers.get("authorization"),
                request.client.host if request.client else None,
                self.state.staff_sessions,
            )
        if remembered is None:
            principal = await self._authenticate(request, reader)
        else:
            # Confirmed by the first statement, or looked up after all (auth/staff_sessions.py).
            principal, session = remembered
            reader.carry(*session.check)
        context = self._context(request_id, principal, reader)
        # A query its plan answered before skips Strawberry's pipeline (fastpath/planned.py).
        result = await answer_planned(
            self.state.schema,
            context,
            graphql_request.query,
            graphql_request.variables,
            graphql_request.operation_name,
        )
        if remembered is not None:
            context, result = await self._confirmed(request, session, context, result)
        record.principal_key = context.principal.key
        try:
            if result is None:
                result = await self.state.schema.execute(
                    graphql_request.query,
                    variable_values=graphql_request.variables,
                    context_value=context,
                    operation_name=graphql_request.operation_name,
                    allowed_operation_types=QUERIES_ONLY
                    if request.method == "GET"
                    else ALL_OPERATIONS,
                )
        except InvalidOperationTypeError:
            raise RequestError(
                405, "Mutations are only accepted over POST.", headers={"Allow": "POST"}
            ) from None
        except CannotGetOperationTypeError:
            raise RequestError(
                400, "The document has no operation of that `operationName`."
            ) from None
        except MissingQueryError:
            raise RequestError(400, "The request has no `query` string.") from None
        record.outcome = outcome_of(result)
        record.compiled = context.compiled
        record.budget_wait_seconds = context.budget_wait_seconds
        internal = any((e.extensions or {}).get("code") == "INTERNAL" for e in result.errors or ())
        if internal:
            # The probe takes a connection of the read pool: not while holding one, or a
            # pool run dry would keep every failed request waiting on the others.
            await context.reader.release_idle()
            if not await database_reachable(self.state.engine):
                # A resolver's lost connection is the whole request's outage, not one field's.
                raise DatabaseUnavailable
        request_error = not internal and _is_request_error(result)
        if internal and result.data is None:
            # Nothing was answered, by our fault: say so to proxies and monitors too.
            return _json_response(_body(result, True, request_id), 500, media_type, request_id)
        if media_type == GRAPHQL_RESPONSE_JSON:
            status = 400 if request_error else 200
            return _json_response(
                _body(result, not request_error, request_id), status, media_type, request_id
            )
        return _json_response(_body(result, True, request_id), 200, media_type, request_id)
