"""Countries the seeded customers live in: cities with their region and postal codes.

Faker's city, region and postal code providers pick each value independently, so an
address would read "80331 Hamburg, Sachsen". Real cities with the region they belong to
and the postal code range they use keep every address internally consistent.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

PostalCode = Callable[[random.Random], str]

# Letters that may end a British inward code (CIKMOV are never used there).
_GB_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
# Dutch postal codes never end in these letter pairs.
_NL_EXCLUDED_SUFFIXES = frozenset({"SA", "SD", "SS"})
_UPPERCASE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def numeric(low: int, high: int, width: int = 5, step: int = 1) -> PostalCode:
    """A zero-padded number in `[low, high]`, on a grid of `step` (Vienna uses 1010, 1020, …)."""

    def draw(rng: random.Random) -> str:
        return f"{rng.randrange(low, high + 1, step):0{width}d}"

    return draw


def dutch(low: int, high: int) -> PostalCode:
    """Four digits, a space and two letters, e.g. `1016 DK`."""

    def draw(rng: random.Random) -> str:
        while True:
            letters = rng.choice(_UPPERCASE) + rng.choice(_UPPERCASE)
            if letters not in _NL_EXCLUDED_SUFFIXES:
                return f"{rng.randint(low, high)} {letters}"

    return draw


def british(outward_codes: tuple[str, ...]) -> PostalCode:
    """One of the given outward codes and a random inward code, e.g. `SW1A 2AB`."""

    def draw(rng: random.Random) -> str:
        inward = (
            str(rng.randint(0, 9)) + rng.choice(_GB_INWARD_LETTERS) + rng.choice(_GB_INWARD_LETTERS)
        )
        return f"{rng.choice(outward_codes)} {inward}"

    return draw


def british_area(area: str, low: int, high: int) -> PostalCode:
    """Outward codes `area + district` for districts `low..high`, e.g. `M1`..`M40`."""
    return british(tuple(f"{area}{district}" for district in range(low, high + 1)))


@dataclass(frozen=True, slots=True)
class City:
    name: str
    region: str
    postal_code: PostalCode


@dataclass(frozen=True, slots=True)
class Country:
    """How people in one country are named, addressed and reached."""

    code: str  # ISO 3166-1 alpha-2
    faker_locale: str
    locale: str  # what the customer's `locale` column holds
    weight: int  # share of seeded customers living here
    cities: tuple[City, ...]
    female_salutations: tuple[str, ...]
    male_salutations: tuple[str, ...]
    neutral_salutation: str | None
    # "{street} {number}", "{number} {street}" or "{street}, {number}"
    line1_format: str
    line2_examples: tuple[str, ...]
    # '#' stands for a random digit; None where businesses have no VAT number.
    vat_number_pattern: str | None
    sales_branch: str


_LONDON_OUTWARD_CODES = (
    "EC1A", "EC2A", "WC1E", "WC2H", "N1", "N7", "E1", "E2", "E8", "SE1", "SE10",
    "SE15", "SW1A", "SW3", "SW11", "SW19", "W1D", "W2", "W11", "NW1", "NW3",
)  # fmt: skip
_GERMAN_LINE2 = ("Hinterhaus", "2. OG", "3. OG links", "Wohnung 4", "Aufgang B")

COUNTRIES: tuple[Country, ...] = (
    Country(
        code="DE",
        faker_locale="de_DE",
        locale="de-DE",
        weight=30,
        cities=(
            City("Berlin", "Berlin", numeric(10115, 14199)),
            City("Hamburg", "Hamburg", numeric(20095, 22769)),
            City("München", "Bayern", numeric(80331, 81929)),
            City("Köln", "Nordrhein-Westfalen", numeric(50667, 51149)),
            City("Frankfurt am Main", "Hessen", numeric(60306, 60599)),
            City("Stuttgart", "Baden-Württemberg", numeric(70173, 70629)),
            City("Düsseldorf", "Nordrhein-Westfalen", numeric(40210, 40629)),
            City("Leipzig", "Sachsen", numeric(4103, 4357)),
            City("Dresden", "Sachsen", numeric(1067, 1328)),
            City("Hannover", "Niedersachsen", numeric(30159, 30669)),
            City("Nürnberg", "Bayern", numeric(90402, 90491)),
            City("Bremen", "Bremen", numeric(28195, 28779)),
            City("Freiburg im Breisgau", "Baden-Württemberg", numeric(79098, 79117)),
            City("Münster", "Nordrhein-Westfalen", numeric(48143, 48167)),
        ),
        female_salutations=("Frau",),
        male_salutations=("Herr",),
        neutral_salutation=None,
        line1_format="{street} {number}",
        line2_examples=_GERMAN_LINE2,
        vat_number_pattern="DE#########",
        sales_branch="Berlin",
    ),
    Country(
        code="FR",
        faker_locale="fr_FR",
        locale="fr-FR",
        weight=12,
        cities=(
            City("Paris", "Île-de-France", numeric(75001, 75020)),
            City("Lyon", "Auvergne-Rhône-Alpes", numeric(69001, 69009)),
            City("Marseille", "Provence-Alpes-Côte d'Azur", numeric(13001, 13016)),
            City("Toulouse", "Occitanie", numeric(31000, 31500, step=100)),
            City("Nice", "Provence-Alpes-Côte d'Azur", numeric(6000, 6300, step=100)),
            City("Nantes", "Pays de la Loire", numeric(44000, 44300, step=100)),
            City("Strasbourg", "Grand Est", numeric(67000, 67200, step=100)),
            City("Bordeaux", "Nouvelle-Aquitaine", numeric(33000, 33800, step=100)),
            City("Lille", "Hauts-de-France", numeric(59000, 59800, step=100)),
            City("Rennes", "Bretagne", numeric(35000, 35700, step=100)),
        ),
        female_salutations=("Mme",),
        male_salutations=("M.",),
        neutral_salutation=None,
        line1_format="{number} {street}",
        line2_examples=("Bâtiment B", "Appartement 12", "Escalier C", "Résidence les Tilleuls"),
        vat_number_pattern="FR###########",
        sales_branch="Paris",
    ),
    Country(
        code="ES",
        faker_locale="es_ES",
        locale="es-ES",
        weight=8,
        cities=(
            City("Madrid", "Madrid", numeric(28001, 28055)),
            City("Barcelona", "Barcelona", numeric(8001, 8042)),
            City("Valencia", "Valencia", numeric(46001, 46026)),
            City("Sevilla", "Sevilla", numeric(41001, 41020)),
            City("Zaragoza", "Zaragoza", numeric(50001, 50021)),
            City("Málaga", "Málaga", numeric(29001, 29018)),
            City("Bilbao", "Bizkaia", numeric(48001, 48015)),
            City("Palma", "Illes Balears", numeric(7001, 7015)),
        ),
        female_salutations=("Sra.",),
        male_salutations=("Sr.",),
        neutral_salutation=None,
        line1_format="{street}, {number}",
        line2_examples=("3º B", "2º izquierda", "Bajo A", "5º 1ª"),
        vat_number_pattern="ESB########",
        sales_branch="Madrid",
    ),
    Country(
        code="GB",
        faker_locale="en_GB",
        locale="en-GB",
        weight=8,
        cities=(
            City("London", "Greater London", british(_LONDON_OUTWARD_CODES)),
            City("Manchester", "Greater Manchester", british_area("M", 1, 40)),
            City("Birmingham", "West Midlands", british_area("B", 1, 45)),
            City("Leeds", "West Yorkshire", british_area("LS", 1, 29)),
            City("Glasgow", "Glasgow City", british_area("G", 1, 78)),
            City("Edinburgh", "City of Edinburgh", british_area("EH", 1, 17)),
            City("Bristol", "Bristol", british_area("BS", 1, 16)),
            City("Liverpool", "Merseyside", british_area("L", 1, 38)),
            City("Cardiff", "Cardiff", british_area("CF", 10, 24)),
        ),
        female_salutations=("Ms", "Mrs", "Miss", "Dr"),
        male_salutations=("Mr", "Mr", "Mr", "Dr"),
        neutral_salutation="Mx",
        line1_format="{number} {street}",
        line2_examples=("Flat 2", "Flat 4B", "Unit 7", "Apartment 12"),
        vat_number_pattern="GB#########",
        sales_branch="London",
    ),
    Country(
        code="US",
        faker_locale="en_US",
        locale="en-US",
        weight=8,
        cities=(
            City("New York", "NY", numeric(10001, 10282)),
            City("Los Angeles", "CA", numeric(90001, 90089)),
            City("Chicago", "IL", numeric(60601, 60661)),
            City("Houston", "TX", numeric(77002, 77099)),
            City("Phoenix", "AZ", numeric(85003, 85054)),
            City("Philadelphia", "PA", numeric(19102, 19154)),
            City("San Francisco", "CA", numeric(94102, 94134)),
            City("Seattle", "WA", numeric(98101, 98199)),
            City("Boston", "MA", numeric(2108, 2137)),
            City("Denver", "CO", numeric(80202, 80239)),
            City("Austin", "TX", numeric(78701, 78759)),
            City("Miami", "FL", numeric(33125, 33199)),
        ),
        female_salutations=("Ms", "Mrs", "Dr"),
        male_salutations=("Mr", "Mr", "Dr"),
        neutral_salutation="Mx",
        line1_format="{number} {street}",
        line2_examples=("Apt 4B", "Suite 210", "Unit 12", "Apt 1203"),
        vat_number_pattern=None,
        sales_branch="New York",
    ),
    Country(
        code="NL",
        faker_locale="nl_NL",
        locale="nl-NL",
        weight=8,
        cities=(
            City("Amsterdam", "Noord-Holland", dutch(1011, 1109)),
            City("Rotterdam", "Zuid-Holland", dutch(3011, 3089)),
            City("Den Haag", "Zuid-Holland", dutch(2491, 2599)),
            City("Utrecht", "Utrecht", dutch(3511, 3585)),
            City("Eindhoven", "Noord-Brabant", dutch(5611, 5658)),
            City("Groningen", "Groningen", dutch(9711, 9747)),
            City("Haarlem", "Noord-Holland", dutch(2011, 2037)),
        ),
        female_salutations=("Mevr.",),
        male_salutations=("Dhr.",),
        neutral_salutation=None,
        line1_format="{street} {number}",
        line2_examples=("2 hoog", "3e verdieping", "Bus 3"),
        vat_number_pattern="NL#########B01",
        sales_branch="Amsterdam",
    ),
    Country(
        code="IT",
        faker_locale="it_IT",
        locale="it-IT",
        weight=8,
        cities=(
            City("Roma", "RM", numeric(118, 199)),
            City("Milano", "MI", numeric(20121, 20162)),
            City("Napoli", "NA", numeric(80121, 80147)),
            City("Torino", "TO", numeric(10121, 10156)),
            City("Firenze", "FI", numeric(50121, 50145)),
            City("Bologna", "BO", numeric(40121, 40141)),
            City("Venezia", "VE", numeric(30121, 30176)),
            City("Palermo", "PA", numeric(90121, 90151)),
        ),
        female_salutations=("Sig.ra",),
        male_salutations=("Sig.",),
        neutral_salutation=None,
        line1_format="{street} {number}",
        line2_examples=("Scala B", "Interno 5", "Piano 3"),
        vat_number_pattern="IT###########",
        sales_branch="Milano",
    ),
    Country(
        code="AT",
        faker_locale="de_AT",
        locale="de-AT",
        weight=8,
        cities=(
            City("Wien", "Wien", numeric(1010, 1230, width=4, step=10)),
            City("Graz", "Steiermark", numeric(8010, 8055, width=4)),
            City("Linz", "Oberösterreich", numeric(4020, 4040, width=4)),
            City("Salzburg", "Salzburg", numeric(5020, 5026, width=4)),
            City("Innsbruck", "Tirol", numeric(6020, 6080, width=4, step=10)),
            City("Klagenfurt am Wörthersee", "Kärnten", numeric(9020, 9073, width=4)),
        ),
        female_salutations=("Frau",),
        male_salutations=("Herr",),
        neutral_salutation=None,
        line1_format="{street} {number}",
        line2_examples=("Stiege 2", "Top 14", "2. Stock", "Tür 7"),
        vat_number_pattern="ATU########",
        sales_branch="Wien",
    ),
    Country(
        code="CH",
        faker_locale="de_CH",
        locale="de-CH",
        weight=6,
        cities=(
            City("Zürich", "ZH", numeric(8001, 8057, width=4)),
            City("Basel", "BS", numeric(4001, 4059, width=4)),
            City("Bern", "BE", numeric(3001, 3030, width=4)),
            City("Luzern", "LU", numeric(6003, 6006, width=4)),
            City("St. Gallen", "SG", numeric(9000, 9016, width=4)),
            City("Winterthur", "ZH", numeric(8400, 8411, width=4)),
        ),
        female_salutations=("Frau",),
        male_salutations=("Herr",),
        neutral_salutation=None,
        line1_format="{street} {number}",
        line2_examples=_GERMAN_LINE2,
        vat_number_pattern="CHE-###.###.### MWST",
        sales_branch="Zürich",
    ),
    Country(
        code="PE",
        # Faker has no Peruvian locale; Chilean Spanish names and streets are the closest.
        faker_locale="es_CL",
        locale="es-PE",
        weight=4,
        cities=(
            City("Lima", "Lima", numeric(15001, 15594)),
            City("Arequipa", "Arequipa", numeric(4001, 4017)),
            City("Trujillo", "La Libertad", numeric(13001, 13011)),
            City("Cusco", "Cusco", numeric(8001, 8007)),
            City("Piura", "Piura", numeric(20001, 20009)),
            City("Chiclayo", "Lambayeque", numeric(14001, 14013)),
        ),
        female_salutations=("Sra.",),
        male_salutations=("Sr.",),
        neutral_salutation=None,
        line1_format="{street} {number}",
        line2_examples=("Dpto. 302", "Int. 5", "Piso 2"),
        # Peruvian companies are identified by an 11-digit RUC starting with 20.
        vat_number_pattern="20#########",
        sales_branch="Lima",
    ),
)

COUNTRY_WEIGHTS: tuple[int, ...] = tuple(country.weight for country in COUNTRIES)


def fill_digits(pattern: str, rng: random.Random) -> str:
    """Replace each `#` of `pattern` with a random digit."""
    return "".join(str(rng.randrange(10)) if char == "#" else char for char in pattern)
