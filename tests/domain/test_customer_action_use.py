"""Every action on a customer goes through domain/customer_action: locking the record,
growing its version and logging its event are done there and nowhere else, so that no
action can lock without the version check, change without logging, or log without the
version growing. Read from the source."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "src" / "custgraph" / "domain"
# The steps only the helper takes.
HELPER_STEPS = {"lock_customer", "check_version", "mark_changed", "record_event"}
HELPER_MODULES = {"customer_action.py", "customer_lock.py", "events.py"}
# Actions that are not "one existing customer, locked": each says why. May only shrink.
OWN_SEQUENCE: dict[str, str] = {
    "account_access.py": "not converted yet",
    "addresses.py": "not converted yet",
    "custom_fields.py": "not converted yet",
    "customer_accounts.py": "not converted yet",
    "customer_record.py": "not converted yet",
    "email_change.py": "not converted yet",
    "erase.py": "not converted yet",
    "gift_cards.py": "not converted yet",
    "lifecycle.py": "not converted yet",
    "merge.py": "not converted yet",
    "messages.py": "not converted yet",
    "notes.py": "not converted yet",
}


def _steps_called(path: Path) -> set[str]:
    called = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in HELPER_STEPS:
                called.add(name)
    return called


def test_only_the_action_helper_locks_versions_and_logs_customers() -> None:
    offenders = {
        path.name: sorted(steps)
        for path in sorted(DOMAIN.glob("*.py"))
        if path.name not in HELPER_MODULES
        and path.name not in OWN_SEQUENCE
        and (steps := _steps_called(path))
    }
    assert offenders == {}, (
        "These modules take the action helper's steps themselves; use "
        "domain/customer_action.act_on_customer (or act_on_locked_customer): "
        f"{offenders}"
    )


def test_the_exceptions_still_need_to_be_exceptions() -> None:
    needless = [name for name in OWN_SEQUENCE if not _steps_called(DOMAIN / name)]
    assert needless == [], f"These no longer take the steps themselves; unlist them: {needless}"
