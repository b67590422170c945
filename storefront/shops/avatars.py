"""Shop avatars: uploaded pictures checked by content and re-encoded, or a generated initials SVG."""
from __future__ import annotations

import re
import unicodedata
import threading
import warnings
from io import BytesIO
from xml.sax.saxutils import escape

from flask_babel import gettext as _, lazy_gettext as _l
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MAX_AVATAR_BYTES = 2 * 1024 * 1024
AVATAR_SIZE = 256  # pixels, square
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})

# Far below Pillow's own bomb limit (~89 MP): no honest avatar needs more, and a 40 MP RGBA
# frame already costs 160 MB of memory per request.
_MAX_PIXELS = 40_000_000
_MAX_SIDE = 8000

# Pillow reports a JPEG carrying extra pictures (phone depth maps, stereo pairs) as MPO; it is
# still a JPEG to the person uploading it, and only its first picture is used.
_FORMAT_FAMILY = {"MPO": "JPEG"}

_WEBP_QUALITY = 82
_WEBP_METHOD = 4

_DEFAULT_ACCENT = "#b4442f"
_ACCENT = re.compile(r"#[0-9a-fA-F]{6}")
_LIGHT_TEXT = "#ffffff"
_DARK_TEXT = "#1d1b19"
# Han, kana and Hangul names are not split into given/family words by spaces, and one
# character is how such names are conventionally abbreviated.
_SINGLE_INITIAL_SCRIPTS = (
    "CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA", "KATAKANA", "HANGUL",
)

_NOT_ACCEPTED = _l("Please upload a JPEG, PNG or WebP picture.")
_TOO_MANY_PIXELS = _l(
    "The picture has too many pixels: at most %(side)d on a side and %(megapixels)d megapixels in all.",
    side=_MAX_SIDE, megapixels=_MAX_PIXELS // 1_000_000,
)
_DAMAGED = _l("The picture seems to be damaged or incomplete. Please try another file.")


_WARNINGS_LOCK = threading.Lock()


class AvatarError(ValueError):
    """An upload that cannot be an avatar; the message is safe to show to the user."""


def process_avatar(data: bytes) -> bytes:
    """Validate an uploaded image by its content and return it re-encoded as a square WebP."""
    if not data:
        raise AvatarError(_("The picture is empty."))
    if len(data) > MAX_AVATAR_BYTES:
        raise AvatarError(_("The picture is larger than %(num)d MB.", num=MAX_AVATAR_BYTES // (1024 * 1024)))
    # catch_warnings swaps process-wide state: one upload at a time per process, so two threads
    # (gunicorn's gthread workers) cannot restore each other's filters early.
    with _WARNINGS_LOCK, warnings.catch_warnings():
        # Data-dependent complaints (odd EXIF, malformed MPO index) must not reach the log or,
        # under `-W error`, abort an otherwise usable picture ...
        warnings.simplefilter("ignore", UserWarning)
        # ... but a bomb warning has to stop us before the pixels are decoded.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with _open(data) as probe:
                probe.verify()
            with _open(data) as image:
                square = _square_rgb(image)
        except AvatarError:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
            raise AvatarError(_TOO_MANY_PIXELS) from error
        except UnidentifiedImageError as error:
            raise AvatarError(_NOT_ACCEPTED) from error
        # Pillow signals broken files with any of these, depending on the format and where it breaks.
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise AvatarError(_DAMAGED) from error
    return _encode_webp(square)


def _open(data: bytes) -> Image.Image:
    # Restricting the formats keeps every other decoder (and its attack surface) out of reach.
    image = Image.open(BytesIO(data), formats=sorted(ACCEPTED_FORMATS))
    pillow_format = image.format or ""
    if _FORMAT_FAMILY.get(pillow_format, pillow_format) not in ACCEPTED_FORMATS:
        image.close()
        raise AvatarError(_NOT_ACCEPTED)
    width, height = image.size
    if width > _MAX_SIDE or height > _MAX_SIDE or width * height > _MAX_PIXELS:
        image.close()
        raise AvatarError(_TOO_MANY_PIXELS)
    return image


def _square_rgb(image: Image.Image) -> Image.Image:
    # Animated WebP/APNG: the first frame is the one people recognise as "the picture".
    image.seek(0)
    # JPEG can decode at 1/2, 1/4 or 1/8 scale for free; the result still covers AVATAR_SIZE.
    image.draft(None, (AVATAR_SIZE, AVATAR_SIZE))
    image.load()
    icc_profile = image.info.get("icc_profile")
    ImageOps.exif_transpose(image, in_place=True)
    image = _rgb_or_rgba(image)
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    square = image.resize(
        (AVATAR_SIZE, AVATAR_SIZE),
        Image.Resampling.LANCZOS,
        box=(left, top, left + side, top + side),
        reducing_gap=3.0,  # shrink by whole factors first: big uploads stay fast, quality unchanged
    )
    return _to_srgb(square, icc_profile)


def _rgb_or_rgba(image: Image.Image) -> Image.Image:
    if image.mode.startswith("I"):
        # 16-bit greyscale: a plain conversion clips everything above 255 to white.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    target = "RGBA" if image.has_transparency_data else "RGB"
    return image if image.mode == target else image.convert(target)


def _to_srgb(image: Image.Image, icc_profile: object) -> Image.Image:
    # The profile is dropped from the output, so colours from wide-gamut cameras (Display P3)
    # must be converted now or they would look washed out.
    if not isinstance(icc_profile, bytes) or not icc_profile:
        return image
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # A broken or mismatched profile is common enough that refusing the picture would be harsh.
        return image
    return converted if converted is not None else image


def _encode_webp(image: Image.Image) -> bytes:
    # Pillow copies `info` along through conversions; clearing it guarantees no EXIF, ICC or XMP
    # (GPS position, camera serial) rides along even if a future encoder starts reading it.
    image.info.clear()
    output = BytesIO()
    image.save(output, "WEBP", quality=_WEBP_QUALITY, method=_WEBP_METHOD)
    return output.getvalue()


def generated_avatar_svg(display_name: str, accent_colour: str) -> str:
    """An SVG avatar with the name's initial(s) on the accent colour, for shops without an upload."""
    accent = accent_colour.lower() if _ACCENT.fullmatch(accent_colour) else _DEFAULT_ACCENT
    initials = _initials(display_name)
    label = _xml_safe(" ".join(display_name.split())) or initials
    attribute_label = escape(label, {'"': "&quot;"})
    centre = AVATAR_SIZE // 2
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {AVATAR_SIZE} {AVATAR_SIZE}" '
        f'width="{AVATAR_SIZE}" height="{AVATAR_SIZE}" role="img" aria-label="{attribute_label}">'
        f"<title>{escape(label)}</title>"
        f'<circle cx="{centre}" cy="{centre}" r="{centre}" fill="{accent}"/>'
        f'<text x="{centre}" y="{centre}" fill="{_readable_text_colour(accent)}" '
        f'font-family="system-ui, sans-serif" font-size="112" font-weight="600" '
        f'text-anchor="middle" dominant-baseline="central">{escape(initials)}</text></svg>'
    )


def _initials(display_name: str) -> str:
    # NFC first, or "Émile" typed with a combining accent would yield a bare "E".
    name = unicodedata.normalize("NFC", display_name)
    letters: list[str] = []
    for word in name.split():
        # Words with no letter or digit ("&", an emoji) say nothing about the person's name.
        first = next((char for char in word if char.isalnum()), None)
        if first is not None:
            letters.append(first)
    if not letters:
        return "?"
    if any(_is_single_initial_script(letter) for letter in letters[:2]):
        return letters[0]
    return "".join(letters[:2]).upper()


def _is_single_initial_script(char: str) -> bool:
    return unicodedata.name(char, "").startswith(_SINGLE_INITIAL_SCRIPTS)


def _xml_safe(text: str) -> str:
    # Control characters and lone surrogates are invalid in XML even when escaped.
    return "".join(
        char for char in text if unicodedata.category(char) not in ("Cc", "Cs") and char not in "\ufffe\uffff"
    )


def _readable_text_colour(accent: str) -> str:
    # WCAG contrast ratio: whichever text colour stands out more from this background wins.
    background = _relative_luminance(accent)
    light_contrast = (_relative_luminance(_LIGHT_TEXT) + 0.05) / (background + 0.05)
    dark_contrast = (background + 0.05) / (_relative_luminance(_DARK_TEXT) + 0.05)
    return _LIGHT_TEXT if light_contrast >= dark_contrast else _DARK_TEXT


def _relative_luminance(colour: str) -> float:
    red, green, blue = (_linear(int(colour[index : index + 2], 16) / 255) for index in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4
