"""The `custgraph` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from sqlalchemy import func, select

from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.migrate import upgrade_to_head
from custgraph.db.models import Customer, StaffUser
from custgraph.domain.errors import DomainError
from custgraph.settings import DEV_SECRET_KEY, Settings, get_settings

DEMO_OWNER_EMAIL = "owner@demo.custgraph.example"
# Demo databases only: `serve --demo` prints it, so that a new user can sign in at once.
DEMO_OWNER_PASSWORD = "demo-owner-password"
DEMO_CUSTOMERS = 1000


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="custgraph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate if needed and serve the API and GraphiQL")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="fill an empty database with demo data")

    commands.add_parser("migrate", help="bring the database schema to the newest migration")

    seed = commands.add_parser("seed", help="add realistic, deterministic customers")
    seed.add_argument("--customers", type=int, required=True)
    seed.add_argument("--seed", type=int, default=1)

    staff = commands.add_parser("staff", help="manage staff users").add_subparsers(
        dest="action", required=True
    )
    create_staff = staff.add_parser("create", help="create a staff user")
    create_staff.add_argument("--email", required=True)
    create_staff.add_argument("--role", required=True)
    create_staff.add_argument("--password", help="prompted for, or generated when not given")
    create_staff.add_argument("--first-name", default="")
    create_staff.add_argument("--last-name", default="")

    apikey = commands.add_parser("apikey", help="manage partner API keys").add_subparsers(
        dest="action", required=True
    )
    create_key = apikey.add_parser("create", help="create a key and print its secret once")
    create_key.add_argument("--name", required=True)
    create_key.add_argument("--scopes", required=True, help="comma-separated permissions")

    deliver = commands.add_parser("deliver", help="send what the outbox holds, and webhooks")
    deliver.add_argument("--once", action="store_true", help="send what is due, then stop")

    export = commands.add_parser(
        "export", help="write the customer list as CSV, XLSX or PDF to standard output"
    )
    export.add_argument("--format", required=True, choices=["csv", "xlsx", "pdf"])
    export.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="as the API's CustomerFilter: status=ACTIVE,BLOCKED tags=VIP hasOrders=true "
        "registeredFrom=2024-01-01 …; repeat for several",
    )
    export.add_argument("--search", help="as the customer list's search")
    export.add_argument("--sort", default="REFERENCE", help="FIELD or FIELD:desc")
    export.add_argument("--columns", help="comma-separated CustomerExportColumn names")

    commands.add_parser("export-schema", help="print the GraphQL SDL")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s %(message)s")
    try:
        _dispatch(args, settings)
    except DomainError as error:
        field = ".".join(error.field or ())
        print(f"error: {error.message}" + (f" ({field})" if field else ""), file=sys.stderr)
        raise SystemExit(2) from None


def _dispatch(args: argparse.Namespace, settings: Settings) -> None:
    if args.command == "export-schema":
        from custgraph.schema.build import build_schema

        print(build_schema().as_str())
    elif args.command == "migrate":
        upgrade_to_head(settings.database_url)
        print("database schema is current")
    elif args.command == "seed":
        upgrade_to_head(settings.database_url)
        asyncio.run(_seed(settings, args.customers, args.seed))
    elif args.command == "staff":
        upgrade_to_head(settings.database_url)
        asyncio.run(_create_staff(settings, args))
    elif args.command == "apikey":
        upgrade_to_head(settings.database_url)
        asyncio.run(_create_api_key(settings, args.name, args.scopes))
    elif args.command == "serve":
        _serve(settings, args)
    elif args.command == "export":
        upgrade_to_head(settings.database_url)
        asyncio.run(_export(settings, args))
    elif args.command == "deliver":
        upgrade_to_head(settings.database_url)
        asyncio.run(_deliver(settings, once=args.once))


async def _export(settings: Settings, args: argparse.Namespace) -> None:
    from custgraph.exports.command import export_request, export_to

    request = export_request(args.format, args.filter, args.search, args.sort, args.columns)
    if sys.stdout.isatty() and request.format != "CSV":
        raise DomainError("INVALID", "Redirect the output to a file: > customers.xlsx")
    rows = await export_to(settings, request, sys.stdout.buffer)
    print(f"exported {rows} customers", file=sys.stderr)


async def _seed(settings: Settings, customers: int, seed: int) -> None:
    from custgraph.seed import seed_customers

    engine = create_engine(settings, pooled=False)
    try:
        report = await seed_customers(
            engine, customers, seed, currency=settings.currency, progress=True
        )
    finally:
        await engine.dispose()
    counts = ", ".join(f"{n} {table}" for table, n in report.row_counts().items() if n)
    print(f"added {report.customers} customers in {report.elapsed_seconds:.1f} s ({counts})")


async def _create_staff(settings: Settings, args: argparse.Namespace) -> None:
    from custgraph.domain.staff_accounts import create_staff_user

    password = args.password
    generated = False
    if password is None and sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password (empty to generate one): ") or None
    if password is None:
        import secrets

        password, generated = secrets.token_urlsafe(18), True
    engine = create_engine(settings, pooled=False)
    try:
        user = await create_staff_user(
            create_session_factory(engine),
            email=args.email,
            role=args.role.upper(),
            password=password,
            first_name=args.first_name,
            last_name=args.last_name,
            special_use_email_domains=settings.email_allow_special_use_domains,
        )
    finally:
        await engine.dispose()
    print(f"created staff user {user.email} with role {user.role}")
    if generated:
        print(f"password: {password}")


async def _create_api_key(settings: Settings, name: str, scopes: str) -> None:
    from custgraph.domain.api_keys import create_api_key

    engine = create_engine(settings, pooled=False)
    try:
        created = await create_api_key(
            create_session_factory(engine),
            name=name,
            scopes=[s.strip() for s in scopes.split(",") if s.strip()],
        )
    finally:
        await engine.dispose()
    print(f"created API key {created.api_key.name} with scopes {','.join(created.api_key.scopes)}")
    print("secret (shown once, store it now):")
    print(created.secret)


async def _deliver(settings: Settings, *, once: bool) -> None:
    from custgraph.mail import deliver_once, run_delivery_worker
    from custgraph.webhooks import deliver_webhooks_once, run_webhook_worker

    try:
        if once:
            print(f"outbox: {await deliver_once(settings)}")
            print(f"webhooks: {await deliver_webhooks_once(settings)}")
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        print("delivering the outbox and webhooks; stop with Ctrl-C")
        await asyncio.gather(
            run_delivery_worker(settings, stop, interval=settings.delivery_interval_seconds),
            run_webhook_worker(settings, stop),
        )
    except ValueError as error:  # a malformed SMTP URL; the message never holds the password
        raise SystemExit(f"error: {error}") from None


async def _fill_demo(settings: Settings) -> None:
    from custgraph.domain.staff_accounts import create_staff_user
    from custgraph.seed import seed_customers

    engine = create_engine(settings, pooled=False)
    try:
        sessions = create_session_factory(engine)
        async with sessions() as session:
            customers = await session.scalar(select(func.count()).select_from(Customer))
            owner = await session.scalar(
                select(StaffUser.id).where(StaffUser.email == DEMO_OWNER_EMAIL)
            )
        if owner is None:
            await create_staff_user(
                sessions,
                email=DEMO_OWNER_EMAIL,
                role="OWNER",
                password=DEMO_OWNER_PASSWORD,
                first_name="Demo",
                last_name="Owner",
            )
        if not customers:
            print(f"adding {DEMO_CUSTOMERS} demo customers …")
            await seed_customers(
                engine, DEMO_CUSTOMERS, 1, currency=settings.currency, progress=True
            )
    finally:
        await engine.dispose()


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    upgrade_to_head(settings.database_url)
    if args.demo:
        asyncio.run(_fill_demo(settings))
    base = f"http://{args.host}:{args.port}"
    print(f"\n  custgraph is serving {base}/graphql — open it in a browser for GraphiQL.")
    if args.demo:
        print(
            "  Sign in: run this mutation in GraphiQL, then add the header\n"
            '  {"Authorization": "Bearer <token>"}:\n\n'
            f'    mutation {{ staffLogin(input: {{email: "{DEMO_OWNER_EMAIL}", '
            f'password: "{DEMO_OWNER_PASSWORD}"}}) {{ token }} }}\n'
        )
    loopback = args.host in ("127.0.0.1", "localhost", "::1")
    if settings.secret_key.get_secret_value() == DEV_SECRET_KEY and not loopback:
        logging.getLogger("custgraph").warning(
            "CUSTGRAPH_SECRET_KEY is the development default; set a secret of your own."
        )
    # uvicorn re-raises the SIGTERM it caught once its graceful shutdown is done; with a
    # handler of ours in place that ends the process with status 0, which is what a
    # supervisor (systemd, Kubernetes, docker stop) takes for a clean stop.
    signal.signal(signal.SIGTERM, _exit_after_shutdown)
    uvicorn.run(
        "custgraph.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        # custgraph logs every GraphQL request itself (request id, principal, operation,
        # duration); uvicorn's line would say less, twice.
        access_log=False,
        # Requests in flight get this long after SIGTERM; a client that stalls mid-request
        # must not keep the process alive until the supervisor kills it.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


def _exit_after_shutdown(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)
