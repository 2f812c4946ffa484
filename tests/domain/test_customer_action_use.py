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
    "customer_record.open_record": "a new record: nothing to lock, no version yet",
    "customer_accounts.register_customer": "a new record, made by the customer registering",
    "customer_accounts.verify_email": "found by its token, with no caller; INVALID_TOKEN, "
    "not NOT_FOUND, and the actor is the customer the row names",
    "customer_accounts.reset_password": "found by its token, as verify_email",
    "customer_accounts.request_password_reset": "found by email, unlocked, and silent "
    "about an unknown address",
    "merge._lock": "two customers, locked in id order, each with its own error fields",
    "merge.merge_customers": "both records' versions grow, in one act on two customers",
    "merge._record_merge_events": "both records' events, the target's first",
}


def _steps_called(tree: ast.AST) -> set[str]:
    called = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in HELPER_STEPS:
                called.add(name)
    return called


def _functions_taking_steps() -> dict[str, list[str]]:
    """ "module.function" → the helper's steps it takes itself (in nested functions too)."""
    found = {}
    for path in sorted(DOMAIN.glob("*.py")):
        if path.name in HELPER_MODULES:
            continue
        for node in ast.parse(path.read_text()).body:
            is_function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if is_function and (steps := _steps_called(node)):
                found[f"{path.stem}.{node.name}"] = sorted(steps)
    return found


def test_only_the_action_helper_locks_versions_and_logs_customers() -> None:
    offenders = {
        name: steps for name, steps in _functions_taking_steps().items() if name not in OWN_SEQUENCE
    }
    assert offenders == {}, (
        "These take the action helper's steps themselves; use "
        "domain/customer_action.act_on_customer (or act_on_locked_customer): "
        f"{offenders}"
    )


def test_the_exceptions_still_need_to_be_exceptions() -> None:
    needless = sorted(OWN_SEQUENCE.keys() - _functions_taking_steps().keys())
    assert needless == [], f"These no longer take the steps themselves; unlist them: {needless}"
