"""The customer record: who the customer is, their state and commercial terms, and its row.

References, emails, external ids, account numbers and referral codes all derive from the
customer id, which the seeder takes after the current maximum, so they never collide with
earlier seeding runs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from custgraph.domain.search_text import customer_search_text
from custgraph.seed.actors import Actor
from custgraph.seed.batch import Row
from custgraph.seed.context import SeedContext
from custgraph.seed.phones import mobile_number
from custgraph.seed.places import COUNTRIES, COUNTRY_WEIGHTS, City, Country
from custgraph.seed.staff import StaffMember

# MERGED and ERASED are outcomes of admin actions with their own bookkeeping; not seeded.
STATUSES = ("ACTIVE", "UNVERIFIED", "INACTIVE", "BLOCKED", "DISABLED")
STATUS_WEIGHTS = (85, 6, 4, 3, 2)
GENDERS = ("FEMALE", "MALE", "OTHER", "UNSPECIFIED")
GENDER_WEIGHTS = (47, 45, 2, 6)
# In the order tags are stored, so equal sets serialise equally.
TAG_VOCABULARY = (
    "VIP", "B2B", "wholesale", "reseller", "newsletter", "returning", "churn-risk",
    "employee", "press", "influencer",
)  # fmt: skip
# (lowest lifetime revenue in cents, level)
LEVEL_THRESHOLDS = (
    (2_500_000, "Platinum"),
    (500_000, "Gold"),
    (100_000, "Silver"),
    (0, "Bronze"),
)
B2B_SHARE = 0.30
# RFC 2606 reserves these, so no seeded address can ever receive mail.
CONSUMER_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

_PRICE_LISTS = ("B2B-STANDARD", "B2B-GOLD", "WHOLESALE")
_DISCOUNT_GROUPS = ("DG-A", "DG-B", "DG-C")
_PAYMENT_TERMS = ("NET30", "NET14", "NET60", "PREPAID")
_PAYMENT_TERM_WEIGHTS = (50, 20, 15, 15)
_CREDIT_LIMITS = tuple(Decimal(v) for v in (2500, 5000, 10000, 25000, 50000))
_DEPARTMENTS = ("Purchasing", "Facilities", "IT", "Marketing", "Operations", "Finance", "HR")
_COMMISSIONS = tuple(Decimal(v) for v in ("1.50", "2.00", "2.50", "5.00"))
_ID_DOCUMENT_TYPES = ("PASSPORT", "ID_CARD", "DRIVING_LICENCE")
_REGISTRATION_CODES = ("SPRING-PROMO", "TRADE-FAIR", "INSTAGRAM", "FRIEND-REFERRAL", "STORE-POS")
_DOCUMENT_CHARS = "CFGHJKLMNPRTVWXYZ0123456789"
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_REFERRAL_LENGTH = 6
_REFERRAL_MULTIPLIER = 2_654_435_761  # odd and not a multiple of 3
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(slots=True)
class CustomerProfile:
    """A customer being generated; aggregates are filled in as their history is drawn."""

    id: int
    reference: str
    country: Country
    city: City
    gender: str
    salutation: str | None
    first_name: str
    last_name: str
    email: str
    phone: str | None
    company: str | None
    status: str
    registered_at: datetime
    external_id: str | None
    sales_rep: StaffMember | None
    fields: Row  # the remaining columns, drawn with the profile
    level: str = "Bronze"
    tags: list[str] = field(default_factory=list)

    @property
    def is_b2b(self) -> bool:
        """Business customers are the ones buying for a company."""
        return self.company is not None

    @property
    def email_verified(self) -> bool:
        """Only customers who never used the verification link are UNVERIFIED."""
        return self.status != "UNVERIFIED"

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def actor(self) -> Actor:
        """The customer acting on their own account."""
        return Actor("CUSTOMER", self.id, self.display_name)


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits joined by hyphens: `Müller & Söhne` → `muller-sohne`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")


def referral_suffix(customer_id: int) -> str:
    """Six base-36 characters that look random but are distinct for every id below 36**6.

    Multiplying by a number coprime to 36 permutes the residues modulo 36**6.
    """
    number = (customer_id * _REFERRAL_MULTIPLIER) % 36**_REFERRAL_LENGTH
    digits = ""
    for _ in range(_REFERRAL_LENGTH):
        number, remainder = divmod(number, 36)
        digits = _BASE36[remainder] + digits
    return digits


def level_for_revenue(revenue_cents: int) -> str:
    """The loyalty level earned by a lifetime revenue."""
    return next(level for threshold, level in LEVEL_THRESHOLDS if revenue_cents >= threshold)


def _email(ctx: SeedContext, customer_id: int, first: str, last: str, company: str | None) -> str:
    first_slug = slug(first).replace("-", "") or "customer"
    last_slug = slug(last) or "x"
    # Every form ends with the customer id after a non-digit, so emails are unique by id.
    style = ctx.rng.randrange(3)
    if style == 0:
        local = f"{first_slug}.{last_slug}.{customer_id}"
    elif style == 1:
        local = f"{first_slug[0]}{last_slug}{customer_id}"
    else:
        local = f"{first_slug}_{last_slug}{customer_id}"
    if company is not None:
        domain = f"{slug(company)[:40].strip('-') or 'company'}.example"
    else:
        domain = ctx.rng.choice(CONSUMER_EMAIL_DOMAINS)
    return f"{local}@{domain}"


def draw_profile(ctx: SeedContext, customer_id: int, registered_at: datetime) -> CustomerProfile:
    """Identity, person, state and commercial terms of a new customer."""
    rng = ctx.rng
    country = rng.choices(COUNTRIES, weights=COUNTRY_WEIGHTS)[0]
    pool = ctx.pools[country.code]
    gender = rng.choices(GENDERS, weights=GENDER_WEIGHTS)[0]
    if gender == "FEMALE" or (gender != "MALE" and ctx.chance(0.5)):
        first_name = rng.choice(pool.female_first_names)
    else:
        first_name = rng.choice(pool.male_first_names)
    last_name = rng.choice(pool.last_names)
    if gender == "FEMALE":
        salutation: str | None = rng.choice(country.female_salutations)
    elif gender == "MALE":
        salutation = rng.choice(country.male_salutations)
    else:
        salutation = country.neutral_salutation
    if ctx.chance(0.2):
        salutation = None
    company = rng.choice(pool.companies) if ctx.chance(B2B_SHARE) else None
    is_b2b = company is not None
    sales_rep = rng.choice(ctx.staff) if ctx.chance(0.85 if is_b2b else 0.04) else None
    external_id = f"ERP-{customer_id:08d}" if ctx.chance(0.8 if is_b2b else 0.15) else None
    phone = mobile_number(ctx.phone_prefixes[country.code], rng) if ctx.chance(0.88) else None
    profile = CustomerProfile(
        id=customer_id,
        reference=f"CUST-{customer_id:06d}",
        country=country,
        city=rng.choice(country.cities),
        gender=gender,
        salutation=salutation,
        first_name=first_name,
        last_name=last_name,
        email=_email(ctx, customer_id, first_name, last_name, company),
        phone=phone,
        company=company,
        status=rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0],
        registered_at=registered_at,
        external_id=external_id,
        sales_rep=sales_rep,
        fields={},
    )
    profile.fields = _person_fields(ctx, profile) | _commercial_fields(ctx, profile)
    return profile


def _person_fields(ctx: SeedContext, profile: CustomerProfile) -> Row:
    rng = ctx.rng
    date_of_birth: date | None = None
    if ctx.chance(0.6 if profile.is_b2b else 0.88):
        today = ctx.now.date()
        date_of_birth = today - timedelta(days=rng.randint(18 * 366, 80 * 365))
    has_document = ctx.chance(0.08)
    mfa_enabled = profile.phone is not None and ctx.chance(0.06)
    first_part = slug(profile.first_name).replace("-", "")[:8].upper() or "SHOP"
    return {
        "date_of_birth": date_of_birth,
        "locale": profile.country.locale,
        "id_document_type": rng.choice(_ID_DOCUMENT_TYPES) if has_document else None,
        "id_document_number": (
            "".join(rng.choices(_DOCUMENT_CHARS, k=9)) if has_document else None
        ),
        "registration_code": rng.choice(_REGISTRATION_CODES) if ctx.chance(0.15) else None,
        # The id part makes the code unique; the name part makes it easy to pass on.
        "referral_code": f"{first_part}-{referral_suffix(profile.id)}",
        "mfa_enabled": mfa_enabled,
        "mfa_phone": profile.phone if mfa_enabled else None,
    }


def _commercial_fields(ctx: SeedContext, profile: CustomerProfile) -> Row:
    rng = ctx.rng
    if not profile.is_b2b:
        return {
            "account_number": None,
            "price_list": None,
            "discount_group": None,
            "payment_terms": None,
            "credit_limit": None,
            "branch": None,
            "department": None,
            "commission_reduced_percent": None,
        }
    terms = rng.choices(_PAYMENT_TERMS, weights=_PAYMENT_TERM_WEIGHTS)[0]
    return {
        "account_number": f"AC-{profile.id:07d}",
        "price_list": rng.choice(_PRICE_LISTS),
        "discount_group": rng.choice(_DISCOUNT_GROUPS) if ctx.chance(0.7) else None,
        "payment_terms": terms,
        "credit_limit": rng.choice(_CREDIT_LIMITS) if terms != "PREPAID" else None,
        "branch": profile.country.sales_branch,
        "department": rng.choice(_DEPARTMENTS) if ctx.chance(0.6) else None,
        "commission_reduced_percent": rng.choice(_COMMISSIONS) if ctx.chance(0.15) else None,
    }


def assign_level_and_tags(
    ctx: SeedContext,
    profile: CustomerProfile,
    *,
    order_count: int,
    revenue_cents: int,
    last_order_at: datetime | None,
) -> None:
    """Set the level earned by the revenue and tags that fit the customer's history."""
    profile.level = level_for_revenue(revenue_cents)
    one_year_ago = ctx.now - timedelta(days=365)
    wanted = {
        "VIP": ctx.chance(0.7 if profile.level == "Platinum" else 0.02),
        "B2B": profile.is_b2b and ctx.chance(0.9),
        "wholesale": profile.is_b2b
        and (profile.fields["price_list"] == "WHOLESALE" or ctx.chance(0.1)),
        "reseller": profile.is_b2b and ctx.chance(0.1),
        "newsletter": ctx.chance(0.35),
        "returning": order_count >= 5 and ctx.chance(0.5),
        "churn-risk": profile.status == "INACTIVE"
        or (last_order_at is not None and last_order_at < one_year_ago and ctx.chance(0.2)),
        "employee": ctx.chance(0.01),
        "press": ctx.chance(0.005),
        "influencer": ctx.chance(0.01),
    }
    profile.tags = [tag for tag in TAG_VOCABULARY if wanted[tag]]


def customer_row(
    profile: CustomerProfile,
    *,
    updated_at: datetime,
    order_count: int,
    revenue: Decimal,
    points_balance: int,
    credit_balance: Decimal,
) -> Row:
    """The `customers` row; aggregates must equal the ledgers and orders drawn for it."""
    return {
        "id": profile.id,
        "reference": profile.reference,
        "external_id": profile.external_id,
        "salutation": profile.salutation,
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "email": profile.email,
        "email_verified": profile.email_verified,
        "phone": profile.phone,
        "company": profile.company,
        "gender": profile.gender,
        "city": profile.city.name,
        "status": profile.status,
        "registered_at": profile.registered_at,
        "updated_at": updated_at,
        "version": 1,
        "merged_into_id": None,
        "password_hash": None,
        "token_version": 1,
        "tags": profile.tags,
        "sales_rep_id": profile.sales_rep.id if profile.sales_rep else None,
        "level": profile.level,
        "points_balance": points_balance,
        "credit_balance": credit_balance,
        "total_revenue": revenue,
        "order_count": order_count,
        "search_text": customer_search_text(
            profile.reference, profile.first_name, profile.last_name, profile.email, profile.phone
        ),
        **profile.fields,
    }
