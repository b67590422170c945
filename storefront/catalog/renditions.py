"""Responsive renditions of hosted raster product images: WebP copies at a few widths for `srcset`.

A product image `tee.png` under static/products/ gets `w/320/tee.webp`, `w/640/tee.webp` and
`w/960/tee.webp` beside it. SVG drawings scale by themselves and retailer CDN URLs are not ours,
so neither gets renditions.
"""
from __future__ import annotations

import logging
import os
import tempfile
import warnings
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image, ImageOps

log = logging.getLogger(__name__)

RENDITION_WIDTHS = (320, 640, 960)  # pixels
RASTER_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})
RENDITIONS_FOLDER = "w"
_WEBP_QUALITY = 80
_WEBP_METHOD = 4


class RenditionError(Exception):
    """A source image that could not be read or rendered; the message names the file."""


@dataclass(frozen=True)
class RenditionOutcome:
    #: The source's file name under static/products/.
    image: str
    widths_made: tuple[int, ...] = ()
    error: str | None = None


def is_hosted_raster(image: str) -> bool:
    """A file name under static/products/ (not an https URL) of a PNG, JPEG or WebP picture."""
    return bool(image) and "/" not in image and Path(image).suffix.lower() in RASTER_SUFFIXES


def rendition_name(image: str) -> str:
    """The rendition's file name inside w/<width>/: the source's stem, as WebP."""
    return f"{Path(image).stem}.webp"


def rendition_path(products_folder: Path, image: str, width: int) -> Path:
    return products_folder / RENDITIONS_FOLDER / str(width) / rendition_name(image)


def widths_for(original_width: int) -> tuple[int, ...]:
    """The rendition widths a source this wide gets: never wider than the source (no upscaling)."""
    return tuple(width for width in RENDITION_WIDTHS if width <= original_width)


def list_hosted_rasters(products_folder: Path) -> list[str]:
    """The raster images directly in the products folder (renditions and previews live in subfolders)."""
    if not products_folder.is_dir():
        return []
    return sorted(path.name for path in products_folder.iterdir() if path.is_file() and is_hosted_raster(path.name))


def _shared_stems(images: Collection[str]) -> set[str]:
    # tee.png and tee.jpg would both render to tee.webp: neither may claim the renditions.
    stems: dict[str, int] = {}
    for image in images:
        stems[Path(image).stem] = stems.get(Path(image).stem, 0) + 1
    return {stem for stem, count in stems.items() if count > 1}


def list_renditions(products_folder: Path) -> dict[str, tuple[int, ...]]:
    """Source image name -> the widths whose rendition is on disk, for every unambiguous source."""
    images = list_hosted_rasters(products_folder)
    shared = _shared_stems(images)
    found: dict[str, tuple[int, ...]] = {}
    for image in images:
        if Path(image).stem in shared:
            continue
        widths = tuple(width for width in RENDITION_WIDTHS if rendition_path(products_folder, image, width).is_file())
        if widths:
            found[image] = widths
    return found


def build_renditions(products_folder: Path, image: str) -> tuple[int, ...]:
    """Write the missing or stale renditions of one source image; return the widths written.

    A rendition not older than its source is left alone, so running again writes nothing. A rendition
    at a width the (possibly replaced) source no longer reaches is removed when older than the source.
    Each file is written beside its final name and renamed into place: a reader never sees half a file.
    """
    source = products_folder / image
    try:
        source_mtime = source.stat().st_mtime_ns
        # Pillow's messages about odd metadata are not ours to raise, and a bomb is an error below.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as picture:
                picture.seek(0)  # an animated WebP or APNG: its first frame
                transposed = picture.getexif().get(ExifTags.Base.Orientation, 1) in {5, 6, 7, 8}
                original_width = picture.height if transposed else picture.width
                widths = widths_for(original_width)
                for width in set(RENDITION_WIDTHS) - set(widths):
                    _remove_if_older(rendition_path(products_folder, image, width), source_mtime)
                stale = [width for width in widths if not _is_fresh(rendition_path(products_folder, image, width), source_mtime)]
                if not stale:
                    return ()
                picture.load()
                # A CMYK or greyscale profile would be wrong on the RGB pixels written below.
                icc_profile = picture.info.get("icc_profile") if picture.mode in {"RGB", "RGBA", "P"} else None
                upright = _rgb_or_rgba(ImageOps.exif_transpose(picture))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise RenditionError(f"{image}: too many pixels ({error})") from error
    # Pillow signals unreadable or broken files with any of these, depending on the format.
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise RenditionError(f"{image}: cannot read the image ({error})") from error
    for width in stale:
        height = max(1, round(upright.height * width / upright.width))
        resized = upright if width == upright.width else upright.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        try:
            _write_webp(resized, rendition_path(products_folder, image, width), icc_profile)
        except OSError as error:
            raise RenditionError(f"{image}: cannot write its {width} px rendition ({error})") from error
    log.info("renditions of %s: %s px", image, ", ".join(str(width) for width in stale))
    return tuple(stale)


def build_all_renditions(products_folder: Path, images: Collection[str] | None = None) -> list[RenditionOutcome]:
    """Build the renditions of every raster image in the folder (or only of `images` among them).

    One bad image is reported in its outcome and does not stop the others.
    """
    on_disk = list_hosted_rasters(products_folder)
    shared = _shared_stems(on_disk)
    outcomes: list[RenditionOutcome] = []
    for image in on_disk:
        if images is not None and image not in images:
            continue
        if Path(image).stem in shared:
            message = f"{image}: another image has the stem {Path(image).stem!r}; renditions are named by stem, rename one"
            outcomes.append(RenditionOutcome(image, error=message))
            continue
        try:
            outcomes.append(RenditionOutcome(image, widths_made=build_renditions(products_folder, image)))
        except RenditionError as error:
            log.warning("renditions: %s", error)
            outcomes.append(RenditionOutcome(image, error=str(error)))
    return outcomes


def _is_fresh(path: Path, source_mtime_ns: int) -> bool:
    # Not older, rather than newer: a coarse file system clock can stamp both in the same tick.
    try:
        return path.stat().st_mtime_ns >= source_mtime_ns
    except FileNotFoundError:
        return False


def _remove_if_older(path: Path, source_mtime_ns: int) -> None:
    if path.exists() and not _is_fresh(path, source_mtime_ns):
        path.unlink(missing_ok=True)


def _rgb_or_rgba(picture: Image.Image) -> Image.Image:
    if picture.mode.startswith("I"):
        # 16-bit greyscale: a plain conversion clips everything above 255 to white.
        picture = picture.convert("I").point(lambda value: value / 256).convert("L")
    target = "RGBA" if picture.has_transparency_data else "RGB"
    return picture if picture.mode == target else picture.convert(target)


def _write_webp(picture: Image.Image, path: Path, icc_profile: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    options: dict[str, object] = {"quality": _WEBP_QUALITY, "method": _WEBP_METHOD}
    if isinstance(icc_profile, bytes) and icc_profile:
        options["icc_profile"] = icc_profile  # kept, not converted: browsers colour-manage WebP
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".webp")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            picture.save(stream, "WEBP", **options)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the web server must read it
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
