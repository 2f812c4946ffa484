"""Sign-in mutations: staff and customers, and the links customers receive by email."""

from __future__ import annotations

from strawberry.types import Info

from custgraph.db.models import Customer as CustomerRow
from custgraph.domain import customer_accounts as accounts
from custgraph.domain.staff_accounts import staff_login
from custgraph.resolvers.outcome import attempt
from custgraph.schema.customer import Customer
from custgraph.schema.sign_in import (
    CustomerLoginInput,
    CustomerLoginPayload,
    CustomerRegisterInput,
    CustomerRegisterPayload,
    CustomerRequestPasswordResetInput,
    CustomerRequestPasswordResetPayload,
    CustomerResetPasswordInput,
    CustomerResetPasswordPayload,
    CustomerVerifyEmailInput,
    CustomerVerifyEmailPayload,
    StaffLoginInput,
    StaffLoginPayload,
)
from custgraph.schema.staff import StaffUser


def _secret(info: Info) -> str:
    return str(info.context.settings.secret_key.get_secret_value())


def _client(info: Info) -> str | None:
    return info.context.principal.client_address  # type: ignore[no-any-return]


async def _own_customer(info: Info, customer_id: int) -> Customer | None:
    """The customer the caller just proved to own, readable by them in this response."""
    info.context.granted_customer_ids.add(customer_id)
    row = await info.context.loaders.customer.load(customer_id)
    return Customer.from_row(row, info.context.settings.currency) if row else None


def _granted(info: Info, customer: CustomerRow | None) -> Customer | None:
    if customer is None:
        return None
    info.context.granted_customer_ids.add(customer.id)
    return Customer.from_row(customer, info.context.settings.currency)


async def resolve_staff_login(info: Info, input: StaffLoginInput) -> StaffLoginPayload:
    context = info.context
    signed_in, errors = await attempt(
        staff_login(
            context.session_factory,
            _secret(info),
            email=input.email,
            password=input.password,
            client_address=_client(info),
        )
    )
    if signed_in is None:
        return StaffLoginPayload(token=None, expires_at=None, staff_user=None, user_errors=errors)
    row = await context.loaders.staff_user.load(signed_in.subject_id)
    return StaffLoginPayload(
        token=signed_in.token,
        expires_at=signed_in.expires_at,
        staff_user=StaffUser.from_row(row) if row else None,
        user_errors=[],
    )


async def resolve_customer_login(info: Info, input: CustomerLoginInput) -> CustomerLoginPayload:
    signed_in, errors = await attempt(
        accounts.customer_login(
            info.context.session_factory,
            _secret(info),
            email=input.email,
            password=input.password,
            client_address=_client(info),
        )
    )
    if signed_in is None:
        return CustomerLoginPayload(token=None, expires_at=None, customer=None, user_errors=errors)
    return CustomerLoginPayload(
        token=signed_in.token,
        expires_at=signed_in.expires_at,
        customer=await _own_customer(info, signed_in.subject_id),
        user_errors=[],
    )


async def resolve_customer_register(
    info: Info, input: CustomerRegisterInput
) -> CustomerRegisterPayload:
    customer, errors = await attempt(
        accounts.register_customer(
            info.context.session_factory,
            info.context.settings,
            accounts.Registration(
                email=input.email,
                password=input.password,
                first_name=input.first_name,
                last_name=input.last_name,
            ),
        )
    )
    return CustomerRegisterPayload(customer=_granted(info, customer), user_errors=errors)


async def resolve_customer_verify_email(
    info: Info, input: CustomerVerifyEmailInput
) -> CustomerVerifyEmailPayload:
    customer, errors = await attempt(
        accounts.verify_email(info.context.session_factory, input.token)
    )
    return CustomerVerifyEmailPayload(customer=_granted(info, customer), user_errors=errors)


async def resolve_customer_request_password_reset(
    info: Info, input: CustomerRequestPasswordResetInput
) -> CustomerRequestPasswordResetPayload:
    await accounts.request_password_reset(
        info.context.session_factory, info.context.settings, input.email
    )
    return CustomerRequestPasswordResetPayload(user_errors=[])


async def resolve_customer_reset_password(
    info: Info, input: CustomerResetPasswordInput
) -> CustomerResetPasswordPayload:
    customer, errors = await attempt(
        accounts.reset_password(info.context.session_factory, input.token, input.password)
    )
    return CustomerResetPasswordPayload(customer=_granted(info, customer), user_errors=errors)
