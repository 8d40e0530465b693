"""Signing in with the one-time link, the session, and the checks every desk page goes through."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from sqlalchemy.orm import Session

from bot.csrf import csrf
from bot.desk import blueprint
from bot.desk.i18n import LANGUAGES
from bot.desk.scope import Viewer, load_viewer
from handlers.services import desk as links
from models import Person

log = logging.getLogger(__name__)


def services():
    return current_app.extensions["saiyai"]


def now() -> datetime:
    return services().clock()


def db() -> Session:
    """The request's session, closed when the request ends."""
    if "desk_db" not in g:
        g.desk_db = services().session_factory()
    return g.desk_db


@blueprint.teardown_app_request
def _close_db(_exc: BaseException | None) -> None:
    session_ = g.pop("desk_db", None)
    if session_ is not None:
        session_.close()


def client_ip() -> str | None:
    # Behind a proxy, gunicorn's forwarded_allow_ips / ProxyFix decide what remote_addr is.
    return request.remote_addr


@blueprint.before_request
def _load_viewer() -> Any:
    if request.method == "POST":
        csrf.protect()  # 400 without a valid token, before anything is read or written
    g.viewer = None
    person_id = session.get("person_id")
    if person_id is None:
        return None
    seen = session.get("seen")
    current = now()
    if seen is None or current.timestamp() - float(seen) > current_app.config["DESK_IDLE"].total_seconds():
        session.clear()  # idle too long: signed out
        return None
    g.viewer = load_viewer(db(), int(person_id))
    if g.viewer is None:  # their desk role was taken away since: the session ends with it
        session.clear()
        return None
    session["seen"] = current.timestamp()
    return None


def lang() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    viewer: Viewer | None = g.get("viewer")
    return viewer.language if viewer is not None and viewer.language in LANGUAGES else "th"


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """The page needs a signed-in viewer; others are sent to the page that explains how to sign in."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("viewer") is None:
            return redirect(url_for("desk.signed_out"))
        return view(*args, **kwargs)
    return wrapper


def staff_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("viewer") is None:
            return redirect(url_for("desk.signed_out"))
        if not g.viewer.is_staff:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


@blueprint.get("/signed-out")
def signed_out() -> str:
    return render_template("desk/signed_out.html")


def _refuse(problem: str, token: str) -> tuple[str, int]:
    """Log and record a refused sign-in; after a burst from one address, refuse even good links for a while."""
    with services().session_factory() as session_, session_.begin():
        links.audit(session_, "signin_refused", now(), target=problem, ip=client_ip(),
                    detail={"token_prefix": token[:6]})
    log.warning("desk sign-in refused (%s) from %s", problem, client_ip())
    status = {"used": 410, "expired": 410, "burst": 429}.get(problem, 404)
    return render_template("desk/signin_refused.html", problem=problem), status


@blueprint.route("/signin/<token>", methods=["GET", "POST"])
def signin(token: str) -> Any:
    """GET shows a button (link previews fetch GETs and must not spend the link); POST spends it."""
    current = now()
    if links.recent_failures(db(), client_ip(), current) >= links.FAILURE_LIMIT:
        return _refuse("burst", token)
    check = links.check_link(db(), token, current)
    if check.problem is not None:
        return _refuse(check.problem, token)
    if request.method == "GET":
        return render_template("desk/signin.html")
    with services().session_factory() as session_, session_.begin():
        if not links.spend_link(session_, check.link, current):
            problem = "used"
        elif load_viewer(session_, check.link.person_id) is None:
            problem = "role"
        else:
            problem = None
            person = session_.get(Person, check.link.person_id)
            links.audit(session_, "signin", current, actor_id=person.id, ip=client_ip())
    if problem is not None:
        return _refuse(problem, token)
    keep_lang = session.get("lang")
    session.clear()  # a fresh session (and CSRF token) for the signed-in person
    session.permanent = True
    session.update(person_id=check.link.person_id, seen=current.timestamp())
    if keep_lang:
        session["lang"] = keep_lang
    return redirect(url_for("desk.overview"))


@blueprint.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("desk.signed_out"))


@blueprint.get("/lang/<code>")
def switch_language(code: str) -> Any:
    if code in LANGUAGES:
        session["lang"] = code
    target = request.args.get("next", "")
    # Only a path on this site: an open redirect would let a link send people elsewhere.
    if not target.startswith("/desk") or target.startswith("//"):
        target = url_for("desk.overview")
    return redirect(target)
