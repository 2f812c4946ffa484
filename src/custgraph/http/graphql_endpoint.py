"""`/graphql`: GraphQL over HTTP (POST and GET), answered as the client's Accept asks.

The request is read in http/graphql_request.py, its caller found in
auth/request_principal.py, and the result mapped to a response in http/graphql_response.py;
here they are put in order, with the planned answer (fastpath/planned.py) tried before
Strawberry's pipeline.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult

from custgraph.api_errors import ErrorCode
from custgraph.auth.authenticate import AuthenticationFailed
from custgraph.auth.principal import Principal
from custgraph.auth.request_principal import Credentials, RequestPrincipals
from custgraph.auth.staff_sessions import RememberedSession
from custgraph.context import Context
from custgraph.db.availability import (
    DatabaseUnavailable,
    database_reachable,
    is_database_unavailable,
)
from custgraph.db.reader import Reader
from custgraph.fastpath.planned import answer_planned
from custgraph.http.graphql_request import (
    ALL_OPERATIONS,
    QUERIES_ONLY,
    GraphQLRequest,
    RequestError,
    read_graphql_request,
)
from custgraph.http.graphql_response import (
    error_body,
    is_internal,
    json_response,
    rate_limited,
    request_error_response,
    result_response,
    unauthenticated,
)
from custgraph.http.negotiation import response_media_type, wants_html
from custgraph.http.request_id import HEADER as REQUEST_ID_HEADER
from custgraph.http.request_id import request_id_from
from custgraph.observability.request_record import (
    RequestRecord,
    operation_name,
    operation_type,
    outcome_of,
    record_of,
)
from custgraph.state import AppState


def _credentials(request: Request) -> Credentials:
    return Credentials(
        request.headers.get("authorization"), request.client.host if request.client else None
    )


class GraphQLEndpoint:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.principals = RequestPrincipals(
            state.engine, state.settings.secret_key.get_secret_value(), state.staff_sessions
        )

    async def handle(self, request: Request) -> Response:
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        accept = request.headers.get("accept")
        if request.method == "GET" and wants_html(accept) and "query" not in request.query_params:
            return self.state.graphiql_page(request_id)
        media_type = response_media_type(accept)
        if media_type is None:
            return json_response(
                error_body(
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
            return request_error_response(error, media_type, request_id)
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            record_of(request.scope).outcome = ErrorCode.INTERNAL.value
            return json_response(
                error_body(
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

    async def _execute(
        self, request: Request, request_id: str, media_type: str, reader: Reader
    ) -> Response:
        graphql_request = await read_graphql_request(request)
        record = record_of(request.scope)
        record.operation = operation_name(graphql_request.query, graphql_request.operation_name)
        record.operation_type = operation_type(graphql_request.query, record.operation)
        credentials = _credentials(request)
        remembered = self.principals.remembered(reader, credentials)
        if remembered is None:
            principal = await self._look_up(reader, credentials)
        else:
            principal = remembered[0]  # confirmed by the first statement (auth/staff_sessions.py)
        context = self._context(request_id, principal, reader)
        result = await answer_planned(
            self.state.schema,
            context,
            graphql_request.query,
            graphql_request.variables,
            graphql_request.operation_name,
        )
        if remembered is not None:
            context, result = await self._confirmed(credentials, remembered[1], context, result)
        record.principal_key = context.principal.key
        if result is None:
            result = await self._run_pipeline(request, graphql_request, context)
        await self._record(record, context, result)
        return result_response(result, media_type, request_id)

    async def _look_up(self, reader: Reader, credentials: Credentials) -> Principal:
        try:
            return await self.principals.look_up(reader, credentials)
        except AuthenticationFailed as error:
            raise unauthenticated(error) from None

    def _context(self, request_id: str, principal: Principal, reader: Reader) -> Context:
        return Context(
            request_id=request_id,
            principal=principal,
            settings=self.state.settings,
            engine=self.state.engine,
            session_factory=self.state.session_factory,
            reader=reader,
            plan_store=self.state.plan_store,
            execution_budget=self.state.execution_budget,
            job_wakeup=self.state.job_wakeup,
        )

    async def _confirmed(
        self,
        credentials: Credentials,
        session: RememberedSession,
        context: Context,
        result: ExecutionResult | None,
    ) -> tuple[Context, ExecutionResult | None]:
        """The context and answer of a request made for a remembered session, once the
        session is confirmed: by the request's statement, or else by a look-up."""
        try:
            current = await self.principals.confirmed(
                context.reader, credentials, session, context.principal
            )
        except AuthenticationFailed as error:
            raise unauthenticated(error) from None
        if current == context.principal:
            return context, result
        # Answered for who the caller was: answer again (on the pipeline) for who they are
        # now; the request has paid its rate limit already.
        fresh = self._context(context.request_id, current, context.reader)
        fresh.prepaid_bucket = context.prepaid_bucket
        return fresh, None

    async def _run_pipeline(
        self, request: Request, graphql_request: GraphQLRequest, context: Context
    ) -> ExecutionResult:
        """Strawberry's pipeline; a request it cannot run, or refuses for the rate limit, is
        a RequestError."""
        try:
            result = await self.state.schema.execute(
                graphql_request.query,
                variable_values=graphql_request.variables,
                context_value=context,
                operation_name=graphql_request.operation_name,
                allowed_operation_types=QUERIES_ONLY if request.method == "GET" else ALL_OPERATIONS,
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
        refusal = rate_limited(result)
        if refusal is not None:
            raise refusal
        return result

    async def _record(
        self, record: RequestRecord, context: Context, result: ExecutionResult
    ) -> None:
        """Notes the outcome for the access log and metrics; a resolver's lost connection
        is the whole request's outage (DatabaseUnavailable), not one field's error."""
        record.outcome = outcome_of(result)
        record.compiled = context.compiled
        record.budget_wait_seconds = context.budget_wait_seconds
        if is_internal(result):
            # The probe takes a connection of the read pool: not while holding one, or a
            # pool run dry would keep every failed request waiting on the others.
            await context.reader.release_idle()
            if not await database_reachable(self.state.engine):
                raise DatabaseUnavailable
