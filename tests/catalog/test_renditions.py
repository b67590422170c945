"""Responsive renditions of hosted raster product images, and the `srcset` that lists them."""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import ExifTags, Image

from storefront.catalog.renditions import build_renditions
from storefront.web import product_image_srcset

HEADER = "sku,title,description,price,currency,category,stock,active,featured,image\n"


@pytest.fixture
def products_folder(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app's static folder moved to tmp_path: nothing is written into the repository."""
    folder = tmp_path / "static" / "products"
    folder.mkdir(parents=True)
    monkeypatch.setattr(app, "static_folder", str(tmp_path / "static"))
    return folder


def save_picture(folder: Path, name: str, size: tuple[int, int], mode: str = "RGB", **options: Any) -> Path:
    path = folder / name
    Image.new(mode, size, (200, 80, 40, 128) if mode == "RGBA" else (200, 80, 40)).save(path, **options)
    return path


def with_renditions(folder: Path, name: str) -> str:
    """An 800 px picture saved under `name` with its renditions built; returns the name for a product's image."""
    save_picture(folder, name, (800, 800))
    build_renditions(folder, name)
    return name


def rendition_size(folder: Path, width: int, stem: str) -> tuple[int, int]:
    with Image.open(folder / "w" / str(width) / f"{stem}.webp") as rendition:
        return rendition.size


def test_build_renditions_writes_each_width_with_the_aspect_ratio_kept(products_folder: Path) -> None:
    save_picture(products_folder, "tee.png", (1200, 600))

    widths = build_renditions(products_folder, "tee.png")

    assert widths == (320, 640, 960)
    assert [rendition_size(products_folder, width, "tee") for width in widths] == [(320, 160), (640, 320), (960, 480)]


def test_build_renditions_never_upscales(products_folder: Path) -> None:
    save_picture(products_folder, "mug.jpg", (700, 700))

    widths = build_renditions(products_folder, "mug.jpg")

    assert widths == (320, 640)
    assert not (products_folder / "w" / "960" / "mug.webp").exists()


def test_build_renditions_applies_the_exif_orientation(products_folder: Path) -> None:
    # A phone photo stored 800 x 400 and tagged "rotate 90°" is 400 wide as people see it.
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    save_picture(products_folder, "photo.jpg", (800, 400), exif=exif.tobytes())

    widths = build_renditions(products_folder, "photo.jpg")

    assert widths == (320,)
    assert rendition_size(products_folder, 320, "photo") == (320, 640)


def test_build_renditions_keeps_transparency(products_folder: Path) -> None:
    save_picture(products_folder, "badge.png", (400, 400), mode="RGBA")

    build_renditions(products_folder, "badge.png")

    with Image.open(products_folder / "w" / "320" / "badge.webp") as rendition:
        assert rendition.mode == "RGBA"
        assert rendition.getpixel((10, 10))[3] == 128


def test_build_renditions_again_rewrites_nothing(products_folder: Path) -> None:
    save_picture(products_folder, "tee.png", (1000, 1000))
    build_renditions(products_folder, "tee.png")
    written = {path: path.stat().st_mtime_ns for path in (products_folder / "w").rglob("*.webp")}

    widths = build_renditions(products_folder, "tee.png")

    assert widths == ()
    assert {path: path.stat().st_mtime_ns for path in (products_folder / "w").rglob("*.webp")} == written


def test_catalog_renditions_reports_a_corrupt_image_and_builds_the_others(runner: Any, products_folder: Path) -> None:
    (products_folder / "broken.jpg").write_bytes(b"not a jpeg at all")
    save_picture(products_folder, "tee.png", (400, 400))
    (products_folder / "drawing.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")

    result = runner.invoke(args=["catalog", "renditions"])

    assert result.exit_code == 1
    assert "error: broken.jpg: cannot read the image" in result.stderr
    assert "made products/w/320/tee.webp" in result.stdout
    assert "1 rendition(s) made for 2 raster image(s), 1 failed" in result.stdout
    assert sorted(path.name for path in (products_folder / "w").rglob("*.webp")) == ["tee.webp"]


def test_catalog_import_builds_the_renditions_of_its_images(runner: Any, products_folder: Path, tmp_path: Path) -> None:
    save_picture(products_folder, "tee.png", (700, 700))
    csv_file = tmp_path / "catalog.csv"
    csv_file.write_text(HEADER + "TEE-1,Linen Tee,,24.90,USD,Apparel,12,true,false,tee.png\n", encoding="utf-8")

    result = runner.invoke(args=["catalog", "import", str(csv_file)])

    assert result.exit_code == 0, result.output
    assert (products_folder / "w" / "640" / "tee.webp").is_file()


def test_product_card_with_a_raster_image_lists_its_renditions_and_loads_lazily(
    browser: Any, products_folder: Path, create_product: Callable[..., Any]
) -> None:
    product = create_product(image=with_renditions(products_folder, "tee.png"))

    page = browser.get(f"/categories/{product.category.slug}").get_data(as_text=True)

    image = re.search(r'<img src="/static/products/tee.png"[^>]*>', page)
    assert image is not None, page
    assert 'srcset="/static/products/w/320/tee.webp 320w, /static/products/w/640/tee.webp 640w"' in image.group(0)
    assert 'sizes="' in image.group(0)
    assert 'loading="lazy"' in image.group(0) and 'decoding="async"' in image.group(0)


def test_product_page_main_image_is_fetched_first_not_lazily(
    browser: Any, products_folder: Path, create_product: Callable[..., Any]
) -> None:
    product = create_product(image=with_renditions(products_folder, "tee.png"))

    page = browser.get(f"/products/{product.slug}").get_data(as_text=True)

    image = re.search(r'<img class="product-image"[^>]*>', page)
    assert image is not None, page
    assert 'srcset="/static/products/w/320/tee.webp 320w, /static/products/w/640/tee.webp 640w"' in image.group(0)
    assert 'fetchpriority="high"' in image.group(0) and 'loading="lazy"' not in image.group(0)


def test_product_image_srcset_is_empty_for_an_svg(
    app: Flask, products_folder: Path, create_product: Callable[..., Any]
) -> None:
    # Renditions named "tee" exist (from tee.png), yet the drawing tee.svg must not borrow them.
    with_renditions(products_folder, "tee.png")
    product = create_product(image="tee.svg")

    with app.test_request_context():
        assert product_image_srcset(product) == ""


def test_product_image_srcset_is_empty_for_an_https_image(
    app: Flask, products_folder: Path, create_product: Callable[..., Any]
) -> None:
    with_renditions(products_folder, "tee.png")
    product = create_product(image="https://cdn.example.com/products/tee.png")

    with app.test_request_context():
        assert product_image_srcset(product) == ""


def test_catalog_renditions_refuses_images_that_share_a_stem(runner: Any, products_folder: Path) -> None:
    # tee.png and tee.jpg would both render to tee.webp: one product would show the other's picture.
    save_picture(products_folder, "tee.png", (400, 400))
    save_picture(products_folder, "tee.jpg", (400, 400))

    result = runner.invoke(args=["catalog", "renditions"])

    assert result.exit_code == 1
    assert "error: tee.jpg: another image has the stem 'tee'" in result.stderr
    assert not (products_folder / "w").exists()


def test_build_renditions_removes_a_width_a_replaced_image_no_longer_reaches(products_folder: Path) -> None:
    source = save_picture(products_folder, "tee.png", (1000, 1000))
    build_renditions(products_folder, "tee.png")
    save_picture(products_folder, "tee.png", (500, 500))
    newer = (products_folder / "w" / "960" / "tee.webp").stat().st_mtime_ns + 1_000_000_000
    os.utime(source, ns=(newer, newer))

    widths = build_renditions(products_folder, "tee.png")

    assert widths == (320,)
    assert sorted(path.parent.name for path in (products_folder / "w").rglob("tee.webp")) == ["320"]


def test_product_card_follows_renditions_removed_while_the_server_runs(
    browser: Any, products_folder: Path, create_product: Callable[..., Any]
) -> None:
    product = create_product(image=with_renditions(products_folder, "tee.png"))
    source = products_folder / "tee.png"
    assert "640w" in browser.get(f"/categories/{product.category.slug}").get_data(as_text=True)

    save_picture(products_folder, "tee.png", (400, 400))  # an import replaced it with a smaller picture
    newer = (products_folder / "w" / "640" / "tee.webp").stat().st_mtime_ns + 1_000_000_000
    os.utime(source, ns=(newer, newer))
    build_renditions(products_folder, "tee.png")

    page = browser.get(f"/categories/{product.category.slug}").get_data(as_text=True)
    assert 'srcset="/static/products/w/320/tee.webp 320w"' in page
