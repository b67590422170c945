"""`flask catalog import`: create or update by SKU, all rows or none, errors with row numbers."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from storefront.catalog.models import Category, Product
from storefront.extensions import db

HEADER = "sku,title,description,price,currency,category,stock,active,featured,image\n"


def write_csv(tmp_path: Path, body: str, name: str = "catalog.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def product_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Product)) or 0


def test_catalog_import_creates_products_and_categories(runner: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path, 'TEE-1,Linen Tee,"Soft, breathable",24.90,USD,Apparel,12,true,true,tee.svg\nMUG-1,Stone Mug,,9.50,USD,Home,3,,,\n')
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged" in result.output
    tee = db.session.scalar(select(Product).where(Product.sku == "TEE-1"))
    assert tee is not None
    assert (tee.price_minor, tee.currency, tee.stock, tee.featured, tee.slug) == (2490, "USD", 12, True, "linen-tee")
    assert tee.description == "Soft, breathable"
    assert {c.name for c in db.session.scalars(select(Category))} == {"Apparel", "Home"}


def test_catalog_import_again_changes_nothing(runner: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "TEE-1,Linen Tee,,24.90,USD,Apparel,12,true,false,\n")
    runner.invoke(args=["catalog", "import", str(path)])
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 0
    assert "0 created, 0 updated, 1 unchanged" in result.output
    assert product_count() == 1


def test_catalog_import_updates_by_sku(runner: Any, tmp_path: Path) -> None:
    runner.invoke(args=["catalog", "import", str(write_csv(tmp_path, "TEE-1,Linen Tee,,24.90,USD,Apparel,12,true,false,\n"))])
    result = runner.invoke(args=["catalog", "import", str(write_csv(tmp_path, "tee-1,Linen Tee,,19.90,USD,Apparel,,true,false,\n", "b.csv"))])
    assert "0 created, 1 updated" in result.output
    tee = db.session.scalar(select(Product).where(Product.sku == "TEE-1"))
    assert tee is not None and tee.price_minor == 1990 and tee.stock == 12


def test_catalog_import_with_a_bad_row_imports_nothing_and_names_the_rows(runner: Any, tmp_path: Path) -> None:
    body = (
        "TEE-1,Linen Tee,,24.90,USD,Apparel,12,true,false,\n"
        "TEE-2,Wool Tee,,24.999,USD,Apparel,12,true,false,\n"
        "TEE-3,Silk Tee,,30.00,USD,Apparel,-4,true,false,\n"
        "TEE-1,Linen Tee again,,24.90,USD,Apparel,12,true,false,\n"
        "TEE-5,Euro Tee,,30.00,EUR,Apparel,1,maybe,false,\n"
    )
    result = runner.invoke(args=["catalog", "import", str(write_csv(tmp_path, body))])
    assert result.exit_code == 1
    assert "row 3: price" in result.output
    assert "row 4: stock" in result.output
    assert "row 5: sku TEE-1 already appears on row 2" in result.output
    assert "row 6: currency EUR differs" in result.output
    assert "nothing was imported" in result.output
    assert product_count() == 0


def test_catalog_import_refuses_a_file_without_required_columns(runner: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("sku,title\nA,B\n")
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 1 and "missing column(s): price, category" in result.output


def test_catalog_import_refuses_a_file_that_is_not_utf8(runner: Any, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "A,Café,,1.00,USD,X,1,,,\n").encode("latin-1"))
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 1 and "not UTF-8" in result.output


def test_demo_catalog_loads_and_loads_again_without_duplicates(runner: Any) -> None:
    first = runner.invoke(args=["catalog", "load-demo"])
    assert first.exit_code == 0, first.output
    count = product_count()
    assert count >= 60
    assert db.session.scalar(select(func.count()).select_from(Category)) >= 6
    second = runner.invoke(args=["catalog", "load-demo"])
    assert second.exit_code == 0 and f"0 created, 0 updated, {count} unchanged" in second.output
    assert product_count() == count


def test_demo_catalog_images_ship_in_the_repo(demo_catalog_path: Path) -> None:
    import csv

    images = demo_catalog_path.parent.parent.parent / "static" / "products"
    with demo_catalog_path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            assert (images / row["image"]).is_file(), row["image"]


def test_demo_catalog_reload_keeps_stock_that_orders_took(runner: Any) -> None:
    runner.invoke(args=["catalog", "load-demo"])
    product = db.session.scalars(select(Product).order_by(Product.id)).first()
    assert product is not None
    product.stock = 0
    db.session.commit()
    runner.invoke(args=["catalog", "load-demo"])
    assert db.session.get(Product, product.id).stock == 0  # type: ignore[union-attr]


def test_catalog_reimport_keeps_stock_that_sales_took(runner: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "TEE-1,Linen Tee,,24.90,USD,Apparel,1,true,false,\n")
    runner.invoke(args=["catalog", "import", str(path)])
    db.session.scalar(select(Product).where(Product.sku == "TEE-1")).stock = 0  # type: ignore[union-attr]
    db.session.commit()
    runner.invoke(args=["catalog", "import", str(path)])
    assert db.session.scalar(select(Product.stock).where(Product.sku == "TEE-1")) == 0


def test_catalog_import_update_stock_sets_a_fresh_shelf_count(runner: Any, tmp_path: Path) -> None:
    runner.invoke(args=["catalog", "import", str(write_csv(tmp_path, "TEE-1,Linen Tee,,24.90,USD,Apparel,1,true,false,\n"))])
    path = write_csv(tmp_path, "TEE-1,Linen Tee,,24.90,USD,Apparel,40,true,false,\n", "count.csv")
    result = runner.invoke(args=["catalog", "import", "--update-stock", str(path)])
    assert "1 updated" in result.output
    assert db.session.scalar(select(Product.stock).where(Product.sku == "TEE-1")) == 40


def test_catalog_import_gives_colliding_category_slugs_distinct_numbers(runner: Any, tmp_path: Path) -> None:
    body = "A-1,One,,1.00,USD,Hats & Caps,1,,,\nA-2,Two,,1.00,USD,Hats Caps,1,,,\nA-3,Three,,1.00,USD,Hats-Caps,1,,,\n"
    result = runner.invoke(args=["catalog", "import", str(write_csv(tmp_path, body))])
    assert result.exit_code == 0, result.output
    assert sorted(db.session.scalars(select(Category.slug))) == ["hats-caps", "hats-caps-2", "hats-caps-3"]


def test_catalog_import_keeps_long_colliding_slugs_within_the_column(runner: Any, tmp_path: Path) -> None:
    title = "Very " * 60
    body = f"A-1,{title},,1.00,USD,X,1,,,\nA-2,{title[:200]},,1.00,USD,X,1,,,\n"
    result = runner.invoke(args=["catalog", "import", str(write_csv(tmp_path, body.replace(title, title[:200])))])
    assert result.exit_code == 0, result.output
    slugs = list(db.session.scalars(select(Product.slug)))
    assert len(set(slugs)) == 2 and all(len(slug) <= 160 for slug in slugs)


def test_demo_data_loads_accounts_and_shops_once(runner: Any) -> None:
    from storefront.accounts.services import authenticate
    from storefront.shops.models import Shop

    runner.invoke(args=["catalog", "load-demo"])
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "@ana" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert "already loaded" in second.output
    shops = list(db.session.scalars(select(Shop)))
    assert len(shops) == 3 and all(shop.is_public and shop.looks for shop in shops)
    operator = authenticate("operator@demo.example.com", "demo-operator-pass")
    assert operator is not None and operator.is_operator
