"""Notices and e-mails speak the recipient's language (their setting, else their browser's at sign-in, else
DEFAULT_LOCALE), whoever's request made them."""
from __future__ import annotations

from typing import Any

import pytest
from flask_babel import get_locale

from storefront.extensions import db
from tests.notifications.conftest import emails_of, notices_of

pytestmark = pytest.mark.usefixtures("request_context")


@pytest.fixture
def curator_in(create_user: Any, create_shop: Any, create_product: Any, sell: Any) -> Any:
    """Sells 2 × 50.00 at 5% (5.00 earned) through the shop of a curator who chose `locale`; returns the curator."""

    def sell_through(locale: str | None, browser_locale: str | None = None) -> Any:
        curator = create_user()
        curator.locale, curator.browser_locale = locale, browser_locale
        db.session.commit()
        product = create_product(price_minor=5000, stock=50)
        sell(create_shop(product, user=curator), (product, 2))
        return curator

    return sell_through


def test_sale_paid_is_told_in_portuguese_to_a_pt_br_curator(curator_in: Any) -> None:
    # given a curator who reads Portuguese, when a sale through their shop is paid (in an English request)
    curator = curator_in("pt_BR")

    # then the notice and the e-mail are written in Portuguese, with the amount in Brazilian format
    [notice] = notices_of(curator.id)
    assert notice.title == "Você fez uma venda: US$\xa05,00 de comissão"
    assert notice.body.startswith("O pedido ") and "fica pendente até o fim do prazo de devolução" in notice.body
    [email] = emails_of(curator.id)
    assert email.subject == notice.title
    assert email.text_body.startswith(f"Olá, {curator.display_name},\n\n{notice.body}")
    assert "Se o pedido for devolvido dentro do prazo de devolução" in email.text_body
    assert "Veja os detalhes:" in email.text_body
    # and the request that caused it keeps its own language
    assert str(get_locale()) == "en"


def test_sale_paid_without_a_chosen_language_is_told_in_the_default_one(curator_in: Any) -> None:
    curator = curator_in(None)
    [notice] = notices_of(curator.id)
    assert notice.title == "You made a sale: $5.00 earned"
    assert emails_of(curator.id)[0].text_body.startswith(f"Hello {curator.display_name},")


def test_without_a_setting_the_browser_language_of_the_last_sign_in_is_used(curator_in: Any) -> None:
    curator = curator_in(None, browser_locale="zh_Hans_CN")
    [notice] = notices_of(curator.id)
    assert "US$5.00" in notice.title and "You made a sale" not in notice.title


def test_a_chosen_language_beats_the_browsers(curator_in: Any) -> None:
    curator = curator_in("pt_BR", browser_locale="zh_Hans_CN")
    assert notices_of(curator.id)[0].title.startswith("Você")
