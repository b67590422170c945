"""The statement's reason column: the platform's own memos in the reader's language, a person's words as written."""
from __future__ import annotations

from typing import Any

import pytest
from flask_babel import force_locale

from commissions.statements import readable_memo

pytestmark = pytest.mark.usefixtures("request_context")


def test_an_earning_memo_reads_as_a_rate_of_an_amount() -> None:
    assert readable_memo("order A1B2: 1250 bps of 1999", "USD") == "order A1B2: 12.5% of $19.99"


def test_a_platform_memo_is_translated(app: Any) -> None:
    with force_locale("pt_BR"):
        assert readable_memo("refund re_123", "BRL") != "refund re_123"
        assert "re_123" in readable_memo("refund re_123", "BRL")


def test_an_operators_own_reason_is_shown_as_written() -> None:
    with force_locale("zh_Hans_CN"):
        assert readable_memo("customer changed their mind", "USD") == "customer changed their mind"
