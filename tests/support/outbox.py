"""Following links that customers receive by email, in tests."""

from __future__ import annotations

from typing import Any

from tests.support.smtp import active_inbox


async def latest_link_token(_engine: Any, recipient: str, subject_part: str) -> str:
    """The token of the newest email to `recipient` whose subject has `subject_part`.

    The email is the one the app's delivery worker sent to the test run's real SMTP
    server (the first argument is kept for callers written before that).
    """
    return await active_inbox().link_token(recipient, subject_part)
