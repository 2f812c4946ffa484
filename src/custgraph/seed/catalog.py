"""A small product catalogue for order lines: stable SKUs, readable names, shop prices."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

PRODUCTS_PER_CATEGORY = 40

# (SKU prefix, item names, price range in cents)
_CATEGORIES: tuple[tuple[str, tuple[str, ...], tuple[int, int]], ...] = (
    ("APP", ("T-Shirt", "Hoodie", "Sweater", "Jacket", "Jeans", "Chinos", "Dress", "Scarf"),
     (1500, 18000)),
    ("SHO", ("Sneakers", "Boots", "Loafers", "Sandals", "Running Shoes"), (4000, 22000)),
    ("HOM", ("Cushion", "Throw Blanket", "Table Lamp", "Vase", "Coffee Mug", "Bath Towel"),
     (900, 12000)),
    ("KIT", ("Chef's Knife", "Frying Pan", "Espresso Cups (Set of 4)", "Cutting Board",
             "Dutch Oven"), (1500, 25000)),
    ("OFF", ("Notebook", "Fountain Pen", "Desk Organizer", "Office Chair", "Monitor Stand",
             "Printer Paper (5 Reams)"), (500, 45000)),
    ("ELE", ("Wireless Headphones", "USB-C Charger", "Bluetooth Speaker", "Smart Watch",
             "Mechanical Keyboard"), (1900, 39900)),
    ("OUT", ("Backpack", "Tent", "Water Bottle", "Headlamp", "Sleeping Bag"), (1200, 35000)),
    ("BEA", ("Face Cream", "Shampoo", "Eau de Parfum", "Lip Balm"), (500, 9000)),
)  # fmt: skip
_STYLES = (
    "Classic", "Organic", "Merino", "Recycled", "Premium", "Compact", "Everyday", "Heritage",
    "Urban", "Alpine", "Nordic", "Essential",
)  # fmt: skip
_COLOURS = ("Black", "Navy", "Sand", "Olive", "Grey", "White", "Red", "Forest Green")
_PRICE_ENDINGS = (99, 95, 90, 0, 50)


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    unit_price: Decimal
    unit_cents: int


@lru_cache(maxsize=4)
def product_catalog(seed: int) -> tuple[Product, ...]:
    """About 300 products across eight categories; the same for a given seed."""
    rng = random.Random(f"custgraph-catalog:{seed}")
    products: list[Product] = []
    for prefix, items, (low, high) in _CATEGORIES:
        for number in range(1, PRODUCTS_PER_CATEGORY + 1):
            name = f"{rng.choice(_STYLES)} {rng.choice(items)} - {rng.choice(_COLOURS)}"
            # Shop prices end in .99, .95, … rather than arbitrary cents.
            cents = rng.randrange(low // 100, high // 100) * 100 + rng.choice(_PRICE_ENDINGS)
            products.append(
                Product(
                    sku=f"{prefix}-{number:05d}",
                    name=name,
                    unit_price=Decimal(cents).scaleb(-2),
                    unit_cents=cents,
                )
            )
    return tuple(products)
