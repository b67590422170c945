"""CSV files are for people opening them in a spreadsheet: their column names follow the reader's language."""
from __future__ import annotations

from typing import Any


def first_line(response: Any) -> str:
    return response.get_data(as_text=True).splitlines()[0]


def test_the_earnings_file_names_its_columns_in_portuguese(browser: Any, create_user: Any) -> None:
    create_user(email="ana@example.com")
    browser.log_in("ana@example.com")
    response = browser.get("/me/earnings.csv", headers={"Accept-Language": "pt-BR"})
    assert first_line(response) == "data,pedido,produto,movimentação,valor,moeda,de → para,situação,motivo"


def test_the_earnings_file_keeps_its_english_column_names_in_english(browser: Any, create_user: Any) -> None:
    create_user(email="ana@example.com")
    browser.log_in("ana@example.com")
    response = browser.get("/me/earnings.csv", headers={"Accept-Language": "en"})
    assert first_line(response) == "date,order,product,movement,amount,currency,moved,status,reason"
