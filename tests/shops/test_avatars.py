"""Shop avatars: uploads are judged by their bytes, re-encoded as clean square WebP; the SVG fallback is safe."""
from __future__ import annotations

import os
import struct
import warnings
import zlib
from io import BytesIO
from typing import Any
from xml.etree import ElementTree

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from storefront.shops.avatars import (
    ACCEPTED_FORMATS,
    AVATAR_SIZE,
    MAX_AVATAR_BYTES,
    AvatarError,
    generated_avatar_svg,
    process_avatar,
)

SVG = "{http://www.w3.org/2000/svg}"
RED, GREEN, BLUE = (220, 20, 20), (20, 200, 20), (20, 20, 220)


def encode(image: Image.Image, pillow_format: str, **params: Any) -> bytes:
    buffer = BytesIO()
    image.save(buffer, pillow_format, **params)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its size but carries no real pixels: costs nothing unless someone decodes it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


def webp_chunks(data: bytes) -> list[bytes]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    kinds: list[bytes] = []
    offset = 12
    while offset + 8 <= len(data):
        kind, size = data[offset : offset + 4], struct.unpack("<I", data[offset + 4 : offset + 8])[0]
        kinds.append(kind)
        offset += 8 + size + (size & 1)
    return kinds


def dominant(pixel: tuple[int, ...]) -> str:
    return ("red", "green", "blue")[max(range(3), key=lambda channel: pixel[channel])]


def noise(size: tuple[int, int]) -> Image.Image:
    return Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))


def two_halves(size: tuple[int, int], first: tuple[int, int, int], second: tuple[int, int, int]) -> Image.Image:
    """Left half `first`, right half `second`."""
    image = Image.new("RGB", size, first)
    image.paste(second, (size[0] // 2, 0, size[0], size[1]))
    return image


@pytest.mark.parametrize(
    ("mode", "pillow_format"),
    [("RGB", "JPEG"), ("RGB", "PNG"), ("RGBA", "PNG"), ("RGB", "WEBP"), ("RGBA", "WEBP")],
)
def test_process_avatar_accepts_jpeg_png_and_webp(mode: str, pillow_format: str) -> None:
    upload = encode(Image.new(mode, (400, 300), (30, 120, 200, 128)[: len(mode)]), pillow_format)

    avatar = decode(process_avatar(upload))

    assert avatar.format == "WEBP"
    assert avatar.size == (AVATAR_SIZE, AVATAR_SIZE)
    assert ACCEPTED_FORMATS == {"JPEG", "PNG", "WEBP"}


def test_process_avatar_keeps_png_transparency() -> None:
    upload = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    upload.paste((20, 200, 20, 255), (100, 100, 200, 200))

    avatar = decode(process_avatar(encode(upload, "PNG")))

    assert avatar.mode == "RGBA"
    assert avatar.getpixel((5, 5))[3] == 0
    assert avatar.getpixel((128, 128))[3] == 255


@pytest.mark.parametrize("size", [(900, 300), (300, 900)])
def test_process_avatar_crops_the_centre_square(size: tuple[int, int]) -> None:
    upload = Image.new("RGB", size, RED)
    side = min(size)
    left, top = (size[0] - side) // 2, (size[1] - side) // 2
    upload.paste(GREEN, (left, top, left + side, top + side))

    avatar = decode(process_avatar(encode(upload, "PNG")))

    assert avatar.size == (AVATAR_SIZE, AVATAR_SIZE)
    for corner in [(2, 2), (253, 2), (2, 253), (253, 253), (128, 128)]:
        assert dominant(avatar.getpixel(corner)) == "green", corner


def test_process_avatar_upscales_a_tiny_picture() -> None:
    avatar = decode(process_avatar(encode(Image.new("RGB", (8, 8), BLUE), "PNG")))

    assert avatar.size == (AVATAR_SIZE, AVATAR_SIZE)
    assert dominant(avatar.getpixel((128, 128))) == "blue"


def test_process_avatar_strips_exif_icc_and_xmp() -> None:
    exif = Image.Exif()
    exif[0x0112] = 1  # Orientation
    exif[0x010F] = "AcmeCam"  # Make
    exif[0x0110] = "Snapper 3000"  # Model
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">AcmeCam secret</x:xmpmeta>'
    upload = encode(Image.new("RGB", (300, 300), RED), "JPEG", exif=exif, icc_profile=srgb, xmp=xmp)
    assert decode(upload).getexif()[0x010F] == "AcmeCam"

    output = process_avatar(upload)
    avatar = decode(output)

    assert not {"exif", "icc_profile", "xmp"} & avatar.info.keys()
    assert len(avatar.getexif()) == 0
    assert not {b"EXIF", b"ICCP", b"XMP "} & set(webp_chunks(output))
    assert b"AcmeCam" not in output


def test_process_avatar_applies_exif_orientation() -> None:
    # Orientation 6 means "turn 90° clockwise to view": the red left half ends up on top.
    exif = Image.Exif()
    exif[0x0112] = 6
    upload = encode(two_halves((100, 50), RED, BLUE), "JPEG", quality=95, exif=exif)

    avatar = decode(process_avatar(upload))

    assert avatar.size == (AVATAR_SIZE, AVATAR_SIZE)
    assert dominant(avatar.getpixel((128, 40))) == "red"
    assert dominant(avatar.getpixel((128, 215))) == "blue"


@pytest.mark.parametrize(
    "pillow_format", ["JPEG", "PNG", "WEBP"],
)
def test_process_avatar_takes_the_first_frame_of_an_animation(pillow_format: str) -> None:
    first, second = Image.new("RGB", (64, 64), RED), Image.new("RGB", (64, 64), BLUE)
    params: dict[str, Any] = {"save_all": True, "append_images": [second]}
    if pillow_format == "JPEG":  # a multi-picture JPEG (MPO), as some phones write
        pillow_format = "MPO"
    else:
        params["duration"] = 100

    avatar = decode(process_avatar(encode(first, pillow_format, **params)))

    assert dominant(avatar.getpixel((128, 128))) == "red"


@pytest.mark.parametrize(
    ("mode", "pillow_format", "params"),
    [
        ("P", "PNG", {}),
        ("P", "PNG", {"transparency": 0}),
        ("L", "PNG", {}),
        ("LA", "PNG", {}),
        ("1", "PNG", {}),
        ("I;16", "PNG", {}),
        ("CMYK", "JPEG", {}),
        ("L", "JPEG", {}),
        ("L", "WEBP", {}),
    ],
)
def test_process_avatar_converts_any_colour_mode(mode: str, pillow_format: str, params: dict[str, Any]) -> None:
    upload = encode(noise((120, 90)).convert(mode), pillow_format, **params)

    avatar = decode(process_avatar(upload))

    assert avatar.mode in {"RGB", "RGBA"}
    assert avatar.size == (AVATAR_SIZE, AVATAR_SIZE)


def test_process_avatar_scales_16_bit_grey_instead_of_clipping_it() -> None:
    upload = encode(Image.new("I;16", (64, 64), 32768), "PNG")

    red, green, blue = decode(process_avatar(upload)).convert("RGB").getpixel((128, 128))

    assert 110 < red < 150 and 110 < green < 150 and 110 < blue < 150


def test_process_avatar_survives_a_broken_colour_profile() -> None:
    upload = encode(Image.new("RGB", (64, 64), GREEN), "PNG", icc_profile=b"not a colour profile")

    avatar = decode(process_avatar(upload))

    assert dominant(avatar.getpixel((128, 128))) == "green"
    assert "icc_profile" not in avatar.info


def test_process_avatar_refuses_empty_data() -> None:
    with pytest.raises(AvatarError, match="empty"):
        process_avatar(b"")


def test_process_avatar_refuses_a_text_file() -> None:
    with pytest.raises(AvatarError, match="JPEG, PNG or WebP"):
        process_avatar(b"This is not a picture, even if the file was renamed holiday.jpg\n")


@pytest.mark.parametrize("pillow_format", ["GIF", "BMP", "TIFF", "ICO"])
def test_process_avatar_refuses_other_picture_formats(pillow_format: str) -> None:
    upload = encode(Image.new("RGB", (64, 64), RED), pillow_format)

    with pytest.raises(AvatarError, match="JPEG, PNG or WebP"):
        process_avatar(upload)


@pytest.mark.parametrize(
    "payload",
    [
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script></svg>",
    ],
    ids=["pdf", "svg"],
)
def test_process_avatar_refuses_documents_and_vector_drawings(payload: bytes) -> None:
    with pytest.raises(AvatarError, match="JPEG, PNG or WebP"):
        process_avatar(payload)


def test_process_avatar_refuses_data_over_two_megabytes() -> None:
    with pytest.raises(AvatarError, match="larger than 2 MB"):
        process_avatar(os.urandom(MAX_AVATAR_BYTES + 1))


def test_process_avatar_refuses_a_valid_png_over_two_megabytes() -> None:
    upload = encode(noise((1000, 1000)), "PNG", compress_level=0)
    assert len(upload) > MAX_AVATAR_BYTES

    with pytest.raises(AvatarError, match="larger than 2 MB"):
        process_avatar(upload)


@pytest.mark.parametrize("pillow_format", ["JPEG", "PNG", "WEBP"])
def test_process_avatar_refuses_a_truncated_file(pillow_format: str) -> None:
    upload = encode(noise((256, 256)), pillow_format)

    with pytest.raises(AvatarError, match="damaged"):
        process_avatar(upload[: len(upload) // 2])


@pytest.mark.parametrize(
    "size",
    [(10_000, 10_000), (20_000, 20_000), (9_000, 100), (100, 9_000), (7_000, 7_000)],
    ids=["pillow-bomb-warning", "pillow-bomb-error", "too-wide", "too-tall", "over-40-megapixels"],
)
def test_process_avatar_refuses_too_many_pixels_without_decoding(
    size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def decode_attempted(self: Any) -> None:
        pytest.fail("the pixels were decoded")

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", decode_attempted)

    with pytest.raises(AvatarError, match="too many pixels"):
        process_avatar(png_header_only(*size))


def test_process_avatar_lets_no_bomb_warning_escape() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(AvatarError):
            process_avatar(png_header_only(10_000, 10_000))

    assert caught == []


def test_process_avatar_accepts_the_largest_allowed_side() -> None:
    upload = encode(Image.new("1", (8_000, 100)), "PNG")

    assert decode(process_avatar(upload)).size == (AVATAR_SIZE, AVATAR_SIZE)


def svg_parts(svg: str) -> tuple[ElementTree.Element, ElementTree.Element, ElementTree.Element]:
    root = ElementTree.fromstring(svg)
    shape, text = root.find(f"{SVG}circle"), root.find(f"{SVG}text")
    assert shape is not None and text is not None
    return root, shape, text


def test_generated_avatar_svg_draws_centred_initials_on_the_accent() -> None:
    root, shape, text = svg_parts(generated_avatar_svg("Ana Beatriz", "#2F6B4E"))

    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 256 256"
    assert shape.get("fill") == "#2f6b4e"
    assert text.get("text-anchor") == "middle"
    assert text.get("dominant-baseline") == "central"
    assert (text.get("x"), text.get("y")) == ("128", "128")
    assert "system-ui" in (text.get("font-family") or "") and "sans-serif" in (text.get("font-family") or "")


def test_generated_avatar_svg_escapes_the_name() -> None:
    svg = generated_avatar_svg('<script>alert("hi")</script> & co', "#2f6b4e")

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root, _, text = svg_parts(svg)
    assert root.findtext(f"{SVG}title") == '<script>alert("hi")</script> & co'
    assert text.text == "SC"


@pytest.mark.parametrize(
    ("name", "initials"),
    [
        ("ana beatriz", "AB"),
        ("Ana Beatriz Souza", "AB"),
        ("ana", "A"),
        ("  émile\tzola ", "ÉZ"),
        ("E\u0301mile Zola", "ÉZ"),
        ("Ana & Beatriz", "AB"),
        ("3 irmãs", "3I"),
    ],
)
def test_generated_avatar_svg_uses_the_first_letters_of_two_words(name: str, initials: str) -> None:
    _, _, text = svg_parts(generated_avatar_svg(name, "#2f6b4e"))

    assert text.text == initials


@pytest.mark.parametrize(("name", "initial"), [("小明", "小"), ("王 小明", "王"), ("さくら", "さ"), ("김민준", "김")])
def test_generated_avatar_svg_uses_one_character_for_cjk_names(name: str, initial: str) -> None:
    _, _, text = svg_parts(generated_avatar_svg(name, "#2f6b4e"))

    assert text.text == initial


@pytest.mark.parametrize("name", ["", "   ", "\t\n", "🌸 ✨"])
def test_generated_avatar_svg_shows_a_question_mark_without_a_name(name: str) -> None:
    _, _, text = svg_parts(generated_avatar_svg(name, "#2f6b4e"))

    assert text.text == "?"


@pytest.mark.parametrize(
    "colour", ["red", "#fff", "#12345g", "#1234567", "#123456\n", "", '#123456" onload="alert(1)', "url(#x)"]
)
def test_generated_avatar_svg_falls_back_to_the_default_accent(colour: str) -> None:
    _, shape, _ = svg_parts(generated_avatar_svg("Ana", colour))

    assert shape.get("fill") == "#b4442f"


@pytest.mark.parametrize(
    ("accent", "text_colour"),
    [("#ffffff", "#1d1b19"), ("#f5d76e", "#1d1b19"), ("#000000", "#ffffff"), ("#b4442f", "#ffffff")],
)
def test_generated_avatar_svg_picks_a_contrasting_text_colour(accent: str, text_colour: str) -> None:
    _, _, text = svg_parts(generated_avatar_svg("Ana", accent))

    assert text.get("fill") == text_colour


def test_generated_avatar_svg_stays_valid_xml_with_control_characters() -> None:
    root, _, text = svg_parts(generated_avatar_svg("Ana\x00\x1b Bia\ufffe", "#2f6b4e"))

    assert root.findtext(f"{SVG}title") == "Ana Bia"
    assert text.text == "AB"
