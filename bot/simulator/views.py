"""The simulator's page and its small JSON API (personas, chats, signing events, the feed, the clock)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import requests
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import simulate
from bot.config import TIMEZONE, Config
from bot.pipeline import Saiyai
from bot.simulator import transcript
from bot.simulator.clock import SimulatedClock
from bot.simulator.jobs import next_reminder, run_due
from handlers.thaitime import format_when
from models import (
    ChatLink,
    Community,
    Membership,
    Network,
    NetworkKind,
    Organization,
    Person,
    RoleName,
)

blueprint = Blueprint("simulator", __name__, url_prefix="/simulator", template_folder="templates",
                      static_folder="static", static_url_path="/static")

ROLE_ORDER = [RoleName.STAFF, RoleName.NETWORK_CHAIR, RoleName.COMMUNITY_LEADER, RoleName.PARTNER, RoleName.MEMBER]
ROLE_LABELS = {
    RoleName.STAFF: "เจ้าหน้าที่เขต (staff)",
    RoleName.NETWORK_CHAIR: "ประธานเครือข่าย (network chair)",
    RoleName.COMMUNITY_LEADER: "ผู้นำชุมชน (community leader)",
    RoleName.PARTNER: "ภาคีเครือข่าย (partner)",
    RoleName.MEMBER: "สมาชิก (member)",
}
EVENT_KINDS = {"text", "postback", "location", "image", "follow", "unfollow", "join", "leave", "memberJoined", "memberLeft"}


def _saiyai() -> Saiyai:
    return current_app.extensions["saiyai"]


def _config() -> Config:
    return current_app.config["SAIYAI"]


@blueprint.get("/")
def page() -> str:
    return render_template("simulator/index.html")


# --- who and where --------------------------------------------------------------------------------

@blueprint.get("/api/personas")
def personas() -> Response:
    """Everyone with LINE, under their highest role, with community and network."""
    with _saiyai().session_factory() as session:
        return jsonify(_personas(session))


def _personas(session: Session) -> list[dict[str, Any]]:
    communities = {c.id: c for c in session.scalars(select(Community))}
    networks = {n.id: n for n in session.scalars(select(Network))}
    districts = {o.id: o.name for o in session.scalars(select(Organization))}
    held: dict[int, list[Membership]] = defaultdict(list)
    for membership in session.scalars(select(Membership).order_by(Membership.id)):
        held[membership.person_id].append(membership)
    grouped = set(session.scalars(select(ChatLink.community_id).where(ChatLink.community_id.is_not(None),
                                                                       ChatLink.left_at.is_(None))))
    found = []
    people = session.scalars(select(Person).where(Person.line_user_id.is_not(None)).order_by(Person.id))
    for person in people:
        roles = held.get(person.id, [])
        if not roles:
            continue
        top = min(roles, key=lambda m: ROLE_ORDER.index(RoleName(m.role)))
        community = next((communities[m.community_id] for m in roles if m.community_id), None)
        network = networks.get(top.network_id) if top.network_id else (
            networks.get(community.zone_id) if community else None)
        found.append({
            "user": person.line_user_id, "name": person.full_name or person.display_name or _unnamed(person),
            "district": districts.get(top.organization_id),
            "role": str(top.role), "roleLabel": ROLE_LABELS[RoleName(top.role)], "title": top.title,
            "community": community.name if community else None, "network": network.name if network else None,
            "lang": person.language or "th", "blocked": person.blocked_at is not None,
            "communityGroup": community is not None and community.id in grouped,
        })
    found.sort(key=lambda p: (ROLE_ORDER.index(RoleName(p["role"])), p["network"] or "", p["community"] or "",
                              p["name"]))
    return found


def _unnamed(person: Person) -> str:
    """Someone made staff by `flask org grant-staff` who has not registered: no name, only a LINE user id."""
    return f"ผู้ใช้ LINE …{person.line_user_id[-4:]} (ยังไม่มีชื่อ · no name yet)"


@blueprint.get("/api/chats")
def chats() -> Response:
    """The 1:1 chat and the LINE groups this person is in: those of their communities and networks."""
    user = request.args.get("user", "")
    with _saiyai().session_factory() as session:
        return jsonify(_chats(session, user))


def _chats(session: Session, user: str) -> list[dict[str, Any]]:
    found = [{"id": user, "kind": "user", "name": "Saiyai (แชท 1:1)"}]
    person = session.scalars(select(Person).where(Person.line_user_id == user)).first() if user else None
    links = list(session.scalars(select(ChatLink).where(ChatLink.left_at.is_(None)).order_by(ChatLink.id)))
    if person is None:
        return found
    held = list(session.scalars(select(Membership).where(Membership.person_id == person.id)))
    community_ids = {m.community_id for m in held if m.community_id}
    network_ids = {m.network_id for m in held if m.network_id}
    staff_of = {m.organization_id for m in held if m.role == RoleName.STAFF}
    for community in session.scalars(select(Community).where(Community.id.in_(community_ids))):
        network_ids.add(community.zone_id)
        network_ids.update(n.id for n in community.issue_networks)
    names = {c.id: c.name for c in session.scalars(select(Community))}
    networks = {n.id: n for n in session.scalars(select(Network))}
    for link in links:
        if link.community_id in community_ids:
            found.append({"id": link.chat_id, "kind": "group", "name": f"กลุ่ม {names[link.community_id]}"})
    for link in links:
        network = networks.get(link.network_id)
        if network is not None and (network.id in network_ids or (
                network.organization_id in staff_of and network.kind != NetworkKind.SECTOR)):
            found.append({"id": link.chat_id, "kind": "group", "name": f"กลุ่ม {network.name}"})
    return found


@blueprint.get("/api/groups")
def groups() -> Response:
    """Every linked group, for adding a persona to any of them (a member joining a group)."""
    with _saiyai().session_factory() as session:
        names = {c.id: c.name for c in session.scalars(select(Community))}
        names_n = {n.id: n.name for n in session.scalars(select(Network))}
        return jsonify([{"id": link.chat_id, "kind": "group",
                         "name": f"กลุ่ม {names.get(link.community_id) or names_n.get(link.network_id)}"}
                        for link in session.scalars(select(ChatLink).where(ChatLink.left_at.is_(None))
                                                    .order_by(ChatLink.id))])


# --- sending: the browser posts the signed body to /callback itself ---------------------------------

@blueprint.post("/api/sign")
def sign() -> Response:
    """Build a LINE webhook body for what the person did, note it at the fake LINE, and sign it.

    The browser then posts it to `/callback` as LINE would. The reply token names the chat, so the
    page can tell which chat a reply belongs to from the fake's record alone."""
    data = request.get_json(silent=True) or {}
    kind, user, chat = data.get("kind"), str(data.get("user") or ""), data.get("chat") or None
    if kind not in EVENT_KINDS or not user.startswith("U") or (chat is not None and not str(chat).startswith(("C", "R"))):
        abort(400)
    group = str(chat) if chat else None
    token = transcript.reply_token(group or user)
    if kind == "text":
        text = str(data.get("text") or "").strip()
        if not text:
            abort(400)
        event = simulate.text(text, user=user, group=group, reply_token=token)
        shown: dict[str, Any] | None = {"type": "text", "text": text}
    elif kind == "postback":
        params = {k: str(v) for k, v in (data.get("params") or {}).items() if k in ("date", "time", "datetime")}
        event = simulate.postback(str(data.get("data") or ""), user=user, group=group, params=params or None,
                                  reply_token=token)
        label = data.get("displayText") or (next(iter(params.values())) if params else None)
        shown = {"type": "text", "text": str(label)} if label else None
    elif kind == "location":
        try:
            latitude, longitude = float(data["latitude"]), float(data["longitude"])
        except (KeyError, TypeError, ValueError):
            abort(400)
        event = simulate.location(latitude, longitude, title=data.get("title") or None,
                                  address=data.get("address") or None, user=user, group=group)
        event["replyToken"] = token
        shown = {"type": "location", "latitude": latitude, "longitude": longitude,
                 "title": data.get("title") or "", "address": data.get("address") or ""}
    elif kind == "image":  # a photo from the phone: the bot fetches its content from the fake LINE API
        event = simulate.text("-", user=user, group=group, reply_token=token)
        event["message"] = {"id": f"{uuid.uuid4().int % 10**18}", "type": "image",
                            "contentProvider": {"type": "line"}, "quoteToken": "q"}
        shown = {"type": "image"}
    else:
        has_token = kind in ("follow", "join", "memberJoined")
        event = simulate.simple(kind, user=None if kind in ("join", "leave") else user, group=group,
                                reply_token=token if has_token else None, members=[user])
        shown = {"type": "event", "event": kind}
    if shown is not None:
        shown |= {"chat": group or user, "user": user, "name": data.get("name") or user}
        try:
            requests.post(f"{_config().line_api_base_url}/__fake__/said", json=shown, timeout=5)
        except requests.RequestException:
            return jsonify({"error": "the fake LINE API is not answering: is scripts/run running?"}), 502
    body = simulate.body(event)
    return jsonify({"body": body.decode(), "signature": simulate.sign(_config().channel_secret, body)})


@blueprint.get("/api/feed")
def feed() -> Response:
    """What is new at the fake LINE since the page's cursors: the bot's messages and people's, per chat."""
    since, said_since = request.args.get("since", 0, type=int), request.args.get("said", 0, type=int)
    base = _config().line_api_base_url
    try:
        sent = requests.get(f"{base}/__fake__/requests", params={"since": since}, timeout=5).json()
        said = requests.get(f"{base}/__fake__/said", params={"since": said_since}, timeout=5).json()
    except requests.RequestException:
        return jsonify({"error": "the fake LINE API is not answering: is scripts/run running?"}), 502
    items = transcript.items(sent, since, said, said_since)
    return jsonify({"since": since + len(sent), "said": said_since + len(said), "items": items})


# --- the rich menu under a 1:1 chat (what LINE shows the person, kept by the fake LINE API) -----------

def _user_arg(value: object) -> str:
    user = str(value or "")
    if not (user.startswith("U") and user[1:].isalnum() and len(user) <= 64):
        abort(400)
    return user


@blueprint.get("/api/richmenu")
def rich_menu() -> Response:
    """The rich menu this person sees (their own, else the default), or null before `richmenu sync`."""
    user = _user_arg(request.args.get("user"))
    try:
        answer = requests.get(f"{_config().line_api_base_url}/__fake__/richmenu/{user}", timeout=5)
    except requests.RequestException:
        return jsonify({"error": "the fake LINE API is not answering: is scripts/run running?"}), 502
    if answer.status_code != 200:
        return jsonify({"menu": None})
    menu = answer.json()
    menu["imageUrl"] = url_for(".rich_menu_image", user=user, menu=menu.get("richMenuId"))
    return jsonify({"menu": menu})


@blueprint.get("/api/richmenu/image")
def rich_menu_image() -> Response:
    user = _user_arg(request.args.get("user"))
    try:
        answer = requests.get(f"{_config().line_api_base_url}/__fake__/richmenu/{user}/image", timeout=5)
    except requests.RequestException:
        abort(502)
    if answer.status_code != 200:
        abort(404)
    return Response(answer.content, mimetype=answer.headers.get("Content-Type", "image/png"))


@blueprint.post("/api/richmenu/switch")
def rich_menu_switch() -> Response:
    """A tab (a `richmenuswitch` area) was tapped: LINE switches the person's menu to the alias's; the page
    then posts the area's postback to the bot, as LINE does."""
    data = request.get_json(silent=True) or {}
    user, alias = _user_arg(data.get("user")), str(data.get("alias") or "")
    if not alias or "/" in alias:
        abort(400)
    try:
        answer = requests.post(f"{_config().line_api_base_url}/__fake__/richmenu/{user}/switch/{alias}", timeout=5)
    except requests.RequestException:
        abort(502)
    return jsonify({"switched": answer.status_code == 200}), (200 if answer.status_code == 200 else 404)


# --- time -------------------------------------------------------------------------------------------

def _clock() -> SimulatedClock:
    clock = _saiyai().clock
    if not isinstance(clock, SimulatedClock):
        abort(409, "this app's clock cannot be moved")
    return clock


def _clock_state(clock: SimulatedClock, ran: dict[str, Any] | None = None) -> dict[str, Any]:
    now = clock()
    return {"now": now.isoformat(), "label": format_when(now), "local": now.strftime("%Y-%m-%dT%H:%M"),
            "offsetSeconds": clock.offset().total_seconds(), "ran": ran or {}}


@blueprint.get("/api/clock")
def clock_state() -> Response:
    return jsonify(_clock_state(_clock()))


@blueprint.post("/api/clock")
def move_clock() -> Response:
    """Move the clock forward (an hour, a day, to the next reminder, or to a moment), then run the jobs
    that became due ("run" runs them without moving)."""
    clock = _clock()
    data = request.get_json(silent=True) or {}
    step = data.get("step")
    if step == "hour":
        clock.advance(timedelta(hours=1))
    elif step == "day":
        clock.advance(timedelta(days=1))
    elif step == "next":  # to the next activity reminder, if there is one
        moment = next_reminder(_saiyai())
        if moment is None:
            abort(409, "no reminder is ahead")
        clock.move_to(moment)
    elif step == "to":
        try:
            moment = datetime.fromisoformat(str(data.get("moment")))
        except ValueError:
            abort(400)
        clock.move_to(moment if moment.tzinfo else moment.replace(tzinfo=TIMEZONE))
    elif step != "run":
        abort(400)
    ran = run_due(_saiyai(), _config())
    return jsonify(_clock_state(clock, ran))
