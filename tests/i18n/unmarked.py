"""Finds text people read that does not go through gettext: in templates and in Python sources.

Run as a script for a quick report: `python -m tests.i18n.unmarked [paths...]`.
"""
from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "templates"
PYTHON_PACKAGES = ("storefront", "share", "commissions")

#: Names that read the same in every language: brands, channels, formats and units.
PROPER_NAMES = {
    "Vitrine", "WeChat", "Weibo", "WhatsApp", "Facebook", "X", "Stripe", "QR", "CSV", "PDF", "PNG", "SVG", "API",
    "OpenAPI", "JSON", "URL", "PIX", "Pix", "Boleto", "Connect", "Express", "ID", "UTC", "E-mail", "e-mail", "SMS",
    "BRL", "CNY", "USD", "EUR", "JPY", "KWD", "bps", "Telegram", "LINE", "Instagram", "iOS", "Android", "vt_",
}
_PLACEHOLDER = "\x00"
_LETTERS = re.compile(r"[^\W\d_]{2,}")
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
#: Attributes a person reads or hears (a screen reader speaks aria-label and alt).
_READ_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "aria-roledescription", "label"}
_GETTEXT_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext", "lazy_gettext", "_l", "lazy_ngettext"}


@dataclass(frozen=True)
class Unmarked:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def is_prose(text: str) -> bool:
    """Holds a word that is not a proper name or a placeholder."""
    words = [word.rstrip(".") for word in _WORD.findall(text.replace(_PLACEHOLDER, " "))]
    return any(_LETTERS.search(word) and word not in PROPER_NAMES for word in words)


class _ReadText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip_depth += 1
        values = dict(attrs)
        for name, value in attrs:
            readable = name in _READ_ATTRIBUTES
            if name == "value" and tag == "input" and (values.get("type") or "") in ("submit", "button", "reset"):
                readable = True
            if name == "content" and tag == "meta" and values.get("name") == "description":
                readable = True
            if readable and value and is_prose(value):
                self.found.append((self.getpos()[0], value))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip_depth:
            self._skip_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip_depth and is_prose(data):
            self.found.append((self.getpos()[0], data))


def _template_skeleton(env: Environment, source: str) -> tuple[str, list[tuple[int, str]]]:
    """The template's own HTML with every Jinja tag and {% trans %} block replaced by a placeholder,
    and the prose-like string literals inside tags that are not gettext arguments."""
    parts: list[str] = []
    literals: list[tuple[int, str]] = []
    in_trans = False
    in_tag = False
    tag_tokens: list[tuple[str, str]] = []
    gettext_depth: list[int] = []
    depth = 0
    for line, kind, value in env.lex(source):
        if kind == "data":
            # Newlines are kept so that the parser's line numbers stay the template's.
            parts.append("\n" * value.count("\n") if in_trans else value)
            continue
        if kind in ("variable_begin", "block_begin"):
            in_tag, tag_tokens = True, []
            continue
        if kind in ("variable_end", "block_end"):
            in_tag = False
            if tag_tokens and tag_tokens[0] == ("name", "trans"):
                in_trans = True
            elif tag_tokens and tag_tokens[0] == ("name", "endtrans"):
                in_trans = False
            parts.append(_PLACEHOLDER)
            continue
        if not in_tag:
            continue
        if kind == "operator" and value == "(":
            depth += 1
            if len(tag_tokens) >= 1 and tag_tokens[-1][0] == "name" and tag_tokens[-1][1] in _GETTEXT_CALLS:
                gettext_depth.append(depth)
        elif kind == "operator" and value == ")":
            if gettext_depth and gettext_depth[-1] == depth:
                gettext_depth.pop()
            depth -= 1
        elif kind == "string" and not gettext_depth and not in_trans and _looks_like_prose_literal(value):
            literals.append((line, value))
        if kind != "whitespace":
            tag_tokens.append((kind, value))
    return "".join(parts), literals


def _looks_like_prose_literal(value: str) -> bool:
    """A sentence or a capitalised label, not an endpoint, a CSS class, a format or a status name."""
    if not is_prose(value) or "/" in value or value.startswith(("%", ".", "#")):
        return False
    return " " in value.strip() or bool(re.match(r"^[A-Z][a-z]", value))


def unmarked_in_template(env: Environment, path: Path) -> list[Unmarked]:
    source = path.read_text(encoding="utf-8")
    skeleton, literals = _template_skeleton(env, source)
    relative = str(path.relative_to(REPO))
    found = [Unmarked(relative, line, text) for line, text in literals]
    if path.suffix == ".txt":
        for number, line in enumerate(skeleton.splitlines(), start=1):
            if is_prose(line):
                found.append(Unmarked(relative, number, line.strip()))
        return found
    parser = _ReadText()
    parser.feed(skeleton)
    parser.close()
    found.extend(Unmarked(relative, line, " ".join(text.replace(_PLACEHOLDER, "…").split())) for line, text in parser.found)
    return sorted(found, key=lambda item: item.line)


# -- Python ---------------------------------------------------------------------------------------

#: Calls whose string arguments people read: (callee name, positional indexes, keyword names).
_READ_CALLS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "flash": ((0,), ("message",)),
    "abort": ((1,), ("description",)),
    "render_error": ((1,), ("message",)),
    "problem_response": ((1,), ("detail", "title")),
    "ApiProblem": ((1,), ("detail", "title")),
    "ValidationError": ((0,), ("message",)),
}
_FIELD_CALL = re.compile(r"(Field|Area)$")
_VALIDATOR_CALLS = {"DataRequired", "InputRequired", "Length", "NumberRange", "Email", "Regexp", "EqualTo", "Optional", "URL", "AnyOf", "NoneOf"}


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _literal_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value for part in node.values if isinstance(part, ast.Constant) and isinstance(part.value, str))
    return None


def unmarked_in_python(path: Path) -> list[Unmarked]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    relative = str(path.relative_to(REPO))
    found: list[Unmarked] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node)
        candidates: list[ast.AST] = []
        if name in _READ_CALLS:
            positions, keywords = _READ_CALLS[name]
            candidates += [node.args[i] for i in positions if i < len(node.args)]
            candidates += [kw.value for kw in node.keywords if kw.arg in keywords]
        elif _FIELD_CALL.search(name) and name[:1].isupper() and name != "Field":  # pydantic's Field documents the API
            candidates += node.args[:1] + [kw.value for kw in node.keywords if kw.arg in ("label", "description")]
        elif name in _VALIDATOR_CALLS:
            candidates += [kw.value for kw in node.keywords if kw.arg == "message"]
        for candidate in candidates:
            text = _literal_text(candidate)
            if text is not None and is_prose(text):
                found.append(Unmarked(relative, candidate.lineno, text))
    return found


def template_paths() -> list[Path]:
    return sorted(path for path in TEMPLATES.rglob("*") if path.suffix in (".html", ".txt"))


def python_paths() -> list[Path]:
    return sorted(path for package in PYTHON_PACKAGES for path in (REPO / package).rglob("*.py"))


def template_environment() -> Environment:
    return Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.loopcontrols", "jinja2.ext.do"])


def main(arguments: list[str]) -> int:
    env = template_environment()
    paths = [Path(argument).resolve() for argument in arguments] or [*template_paths(), *python_paths()]
    found: list[Unmarked] = []
    for path in paths:
        found += unmarked_in_python(path) if path.suffix == ".py" else unmarked_in_template(env, path)
    for item in found:
        print(item)
    print(f"{len(found)} unmarked string(s)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
