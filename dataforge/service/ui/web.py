"""What every page needs: the signed-in team from the cookie, CSRF tokens, the UI language, rendering.

The cookie holds the API token itself (HttpOnly, SameSite=Strict, so page scripts and other sites never see or
send it); the team comes from the same `team_for` the API's Bearer dependency uses. Forms carry a CSRF token
derived from the session's token (HMAC), so another site can neither read nor forge it; POSTs with a foreign
Origin are refused as well."""

from __future__ import annotations

import hashlib
import hmac
import os
from urllib.parse import urlparse

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from dataforge import __version__
from dataforge.service.auth import team_for
from dataforge.service.db import Database
from dataforge.service.deps import get_db
from dataforge.service.models import Team
from dataforge.service.ui.i18n import LANGS, pick_language, translator

COOKIE = "dataforge_token"
LANG_COOKIE = "dataforge_lang"
templates = Jinja2Templates(directory=os.path.join(os.path.dirname(__file__), "templates"))


class SignInRequired(Exception):
    """No valid token in the cookie: the page redirects to /signin (handled in ui/__init__.py)."""


class UIError(Exception):
    """A problem to show the user on an HTML page (status, message)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def token_of(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or None


def ui_team(request: Request, db: Database = Depends(get_db)) -> Team:
    token = token_of(request)
    team = None
    if token:
        with db.session() as s:
            team = team_for(s, token)
    if team is None:
        raise SignInRequired()
    return team


def csrf_for(token: str) -> str:
    return hmac.new(token.encode(), b"dataforge-ui-csrf", hashlib.sha256).hexdigest()


def check_origin(request: Request) -> None:
    """A POST whose browser says it came from another site is refused (also the sign-in: no login CSRF)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlparse(origin).netloc != request.headers.get("host"):
        raise UIError(403, "cross-site request refused")


def check_csrf(request: Request, sent: str | None) -> None:
    """Refuse a state-changing request that did not come from one of our pages."""
    check_origin(request)
    token = token_of(request)
    if not token or not sent or not hmac.compare_digest(csrf_for(token), sent):
        raise UIError(403, "the form has expired or did not come from this site: reload the page and try again")


def language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGS:
        return chosen
    return pick_language(request.headers.get("accept-language", ""))


def render(request: Request, template: str, status: int = 200, **context: object) -> HTMLResponse:
    lang = language(request)
    token = token_of(request)
    return templates.TemplateResponse(request, template, {
        "t": translator(lang), "lang": lang, "langs": LANGS, "version": __version__,
        "csrf": csrf_for(token) if token else "", "path": request.url.path, **context}, status_code=status)
