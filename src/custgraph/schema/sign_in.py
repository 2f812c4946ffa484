"""Sign-in mutations' inputs and payloads."""

from __future__ import annotations

from datetime import datetime

import strawberry

from custgraph.schema.customer import Customer
from custgraph.schema.staff import StaffUser
from custgraph.schema.user_errors import UserError


@strawberry.input(description="A staff user's credentials.")
class StaffLoginInput:
    email: str = strawberry.field(description="Work email.")
    password: str = strawberry.field(description="Password.")


@strawberry.type(description="The result of `staffLogin`.")
class StaffLoginPayload:
    token: str | None = strawberry.field(description="Bearer token for `Authorization`.")
    expires_at: datetime | None = strawberry.field(description="When the token stops working.")
    staff_user: StaffUser | None = strawberry.field(description="The signed-in staff user.")
    user_errors: list[UserError] = strawberry.field(description="Why sign-in was refused.")


@strawberry.input(description="A customer's credentials.")
class CustomerLoginInput:
    email: str = strawberry.field(description="The customer's email.")
    password: str = strawberry.field(description="Password.")


@strawberry.type(description="The result of `customerLogin`.")
class CustomerLoginPayload:
    token: str | None = strawberry.field(description="Bearer token for `Authorization`.")
    expires_at: datetime | None = strawberry.field(description="When the token stops working.")
    customer: Customer | None = strawberry.field(description="The signed-in customer.")
    user_errors: list[UserError] = strawberry.field(description="Why sign-in was refused.")


@strawberry.input(description="A new customer account; a link to verify the email is sent.")
class CustomerRegisterInput:
    email: str = strawberry.field(description="Email; used to sign in.")
    password: str = strawberry.field(description="Password, at least 12 characters.")
    first_name: str = strawberry.field(description="First name.")
    last_name: str = strawberry.field(description="Last name.")


@strawberry.type(description="The result of `customerRegister`.")
class CustomerRegisterPayload:
    customer: Customer | None = strawberry.field(description="The new, UNVERIFIED customer.")
    user_errors: list[UserError] = strawberry.field(description="Why registration was refused.")


@strawberry.input(description="The token from the verify-email link.")
class CustomerVerifyEmailInput:
    token: str = strawberry.field(description="The `token` parameter of the link.")


@strawberry.type(description="The result of `customerVerifyEmail`.")
class CustomerVerifyEmailPayload:
    customer: Customer | None = strawberry.field(description="The verified customer.")
    user_errors: list[UserError] = strawberry.field(description="Why the token was refused.")


@strawberry.input(description="Asks for a reset-password link by email.")
class CustomerRequestPasswordResetInput:
    email: str = strawberry.field(description="The account's email.")


@strawberry.type(
    description="The result of `customerRequestPasswordReset`: the same whether or not "
    "the email belongs to an account."
)
class CustomerRequestPasswordResetPayload:
    user_errors: list[UserError] = strawberry.field(description="Always empty.")


@strawberry.input(description="The token from the reset-password link and the new password.")
class CustomerResetPasswordInput:
    token: str = strawberry.field(description="The `token` parameter of the link.")
    password: str = strawberry.field(description="New password, at least 12 characters.")


@strawberry.type(description="The result of `customerResetPassword`.")
class CustomerResetPasswordPayload:
    customer: Customer | None = strawberry.field(description="The customer.")
    user_errors: list[UserError] = strawberry.field(description="Why the reset was refused.")
