# Types for the part of Flask-Babel (4.0) that Dekiru uses: it ships no types and has no stub
# package. mypy reads this instead of the package ([tool.mypy] mypy_path in pyproject.toml);
# a name used from Flask-Babel that is not here is an error, and gets added here.
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from babel import Locale
from flask import Flask

class Babel:
    def __init__(
        self,
        app: Flask | None = None,
        date_formats: dict[str, str | None] | None = None,
        configure_jinja: bool = True,
        *args: Any,
        **kwargs: Any,
    ) -> None: ...
    def init_app(
        self,
        app: Flask,
        default_locale: str = "en",
        default_domain: str = "messages",
        default_translation_directories: str = "translations",
        default_timezone: str = "UTC",
        locale_selector: Callable[[], str | Locale | None] | None = None,
        timezone_selector: Callable[[], str | None] | None = None,
    ) -> None: ...

def get_locale() -> Locale | None: ...
def force_locale(locale: str | Locale) -> AbstractContextManager[None]: ...
def gettext(string: str, /, **variables: Any) -> str: ...
def ngettext(singular: str, plural: str, num: int, /, **variables: Any) -> str: ...

# A LazyString, translated each time it is turned into text (in the request's language).
# WTForms and Jinja take it wherever they take a str, and it behaves as one (str(), +, len,
# format), so it is typed as a str.
def lazy_gettext(string: str, /, **variables: Any) -> str: ...
