"""Signing in to the web desk from LINE: the one-time link, the session, CSRF, refusals and their log."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from models import AuditLog, DeskLink
from support.desk import ask_link, csrf_of, sign_in
from support.registry import USERS
from support.texts import t

LINK_TEXT = ("ลิงก์เข้าหน้าเว็บของสายใยอยู่ข้อความถัดไปครับ ใช้ได้ครั้งเดียว ภายใน 10 นาที และเข้าได้เฉพาะบัญชีของคุณ "
             "อย่าส่งต่อให้ผู้อื่นนะครับ")


@pytest.fixture
def client(app, district):
    return app.test_client()


@pytest.mark.parametrize("who", ["staff", "chair", "leader"])
def test_staff_chairs_and_leaders_get_a_link(dialog, district, who) -> None:
    replies = dialog.say(USERS[who], "เข้าเว็บ")
    assert replies[0] == LINK_TEXT
    assert replies[1].startswith("http://127.0.0.1:5000/desk/signin/")


def test_members_strangers_and_groups_are_refused_politely(dialog, district, db) -> None:
    dialog.run([
        (USERS["member"], "เข้าเว็บ", "ขออภัยครับ คำสั่ง “เข้าเว็บ” สงวนไว้สำหรับผู้นำชุมชนครับ"),
        (USERS["stranger"], "dashboard", "Sorry, “dashboard” is for community leaders only."),
        (USERS["staff"], "บอท เข้าเว็บ", "คำสั่ง “เข้าเว็บ” ใช้ได้ในแชตส่วนตัวกับสายใยเท่านั้นครับ", "C" + "f" * 32),
    ])
    assert db.scalars(select(DeskLink)).all() == []


def test_only_the_hash_of_the_token_is_stored(dialog, district, db, clock) -> None:
    path = ask_link(dialog, USERS["staff"])
    token = path.rsplit("/", 1)[1]
    link = db.scalars(select(DeskLink)).one()
    assert (link.token_hash, link.person_id, link.line_user_id, link.expires_at, link.used_at) == (
        hashlib.sha256(token.encode()).hexdigest(), district.people["staff"].id, USERS["staff"],
        clock.now.replace(minute=10), None)


def test_a_new_link_clears_the_used_and_expired_ones(client, dialog, db, clock) -> None:
    sign_in(client, dialog, USERS["staff"])   # used
    ask_link(dialog, USERS["staff"])          # will expire
    clock.advance(minutes=11)
    fresh = ask_link(dialog, USERS["staff"]).rsplit("/", 1)[1]
    assert db.scalars(select(DeskLink.token_hash)).all() == [hashlib.sha256(fresh.encode()).hexdigest()]


def test_sign_in_then_reuse_is_refused_and_logged(client, dialog, db) -> None:
    path = sign_in(client, dialog, USERS["staff"])
    cookie = client.get_cookie("saiyai_desk")
    assert (cookie.http_only, cookie.same_site, cookie.secure) == (True, "Lax", True)  # production mode
    assert client.get("/desk/").status_code == 200
    other = type(client)(client.application)  # another browser opening the same link
    again = other.get(path)
    assert again.status_code == 410
    assert "ลิงก์นี้ถูกใช้ไปแล้ว" in again.get_data(as_text=True)
    assert [(a.action, a.target) for a in db.scalars(select(AuditLog).order_by(AuditLog.id))] == [
        ("signin", None), ("signin_refused", "used")]


def test_opening_the_link_does_not_spend_it(client, dialog, db) -> None:
    """LINE previews links by fetching them: only the button (a POST) signs in."""
    path = ask_link(dialog, USERS["chair"])
    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200
    assert db.scalars(select(DeskLink.used_at)).one() is None
    assert client.get("/desk/").headers["Location"] == "/desk/signed-out"


def test_a_form_without_its_csrf_token_is_refused(client, dialog, db) -> None:
    path = ask_link(dialog, USERS["staff"])
    client.get(path)
    refused = client.post(path, data={})
    assert refused.status_code == 400
    assert "<h1>แบบฟอร์มนี้หมดอายุหรือไม่ถูกต้อง ไม่มีการเปลี่ยนแปลงใด ๆ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง</h1>" in refused.get_data(
        as_text=True)
    assert client.post(path, data={"csrf_token": "forged"}).status_code == 400
    assert db.scalars(select(DeskLink.used_at)).one() is None


def test_an_expired_link_is_refused(client, dialog, clock) -> None:
    path = ask_link(dialog, USERS["staff"])
    clock.advance(minutes=10)
    response = client.get(path)
    assert response.status_code == 410
    assert "ลิงก์นี้หมดอายุแล้ว" in response.get_data(as_text=True)


def test_a_burst_of_bad_links_is_refused_even_a_good_one(client, dialog, db) -> None:
    path = ask_link(dialog, USERS["staff"])
    statuses = [client.get(f"/desk/signin/guess{n}").status_code for n in range(10)]
    assert statuses == [404] * 10
    response = client.get(path)
    assert response.status_code == 429
    assert db.scalars(select(AuditLog.target).order_by(AuditLog.id.desc())).first() == "burst"


def test_idle_session_expires_and_logout_ends_it(client, dialog, clock) -> None:
    sign_in(client, dialog, USERS["staff"])
    clock.advance(minutes=29)
    assert client.get("/desk/").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/desk/").headers["Location"] == "/desk/signed-out"

    sign_in(client, dialog, USERS["staff"])
    page = client.get("/desk/networks").get_data(as_text=True)
    assert client.post("/desk/logout", data={}).status_code == 400  # CSRF on logout too
    assert client.post("/desk/logout", data={"csrf_token": csrf_of(page)}).status_code == 302
    assert client.get("/desk/").headers["Location"] == "/desk/signed-out"


def test_a_role_taken_away_ends_the_session(client, dialog, db, district) -> None:
    from models import Membership
    sign_in(client, dialog, USERS["chair"])
    db.delete(db.scalars(select(Membership).where(Membership.person_id == district.people["chair"].id,
                                                  Membership.role == "network_chair")).one())
    db.commit()
    assert client.get("/desk/").headers["Location"] == "/desk/signed-out"


def test_the_english_switch(client, dialog) -> None:
    sign_in(client, dialog, USERS["staff"])
    assert "<h1>ภาพรวม — เดือนนี้</h1>" in client.get("/desk/").get_data(as_text=True)
    assert client.get("/desk/lang/en?next=/desk/").headers["Location"] == "/desk/"
    assert "<h1>Overview — This month</h1>" in client.get("/desk/").get_data(as_text=True)
    assert client.get("/desk/lang/en?next=https://evil.example/").headers["Location"] == "/desk/"


def test_the_reply_texts_exist_in_both_languages() -> None:
    assert t("desk.link", minutes=10) == LINK_TEXT


def test_staff_made_by_the_operator_need_not_register_first(dialog, district, session_factory, clock) -> None:
    """`flask org grant-staff` gives the role to a LINE user id that never registered: the role is enough."""
    from handlers.services import registry as reg
    from models import RoleName
    with session_factory() as session, session.begin():
        person = reg.ensure_person(session, USERS["stranger"], clock())
        reg.grant(session, person, RoleName.STAFF, session.merge(district.org), now=clock())
    replies = dialog.say(USERS["stranger"], "dashboard")
    assert replies[0] == ("Your link to Saiyai's web desk is in the next message. It works once, within 10 minutes, "
                          "and only for your account: please do not forward it.")


def test_behind_a_proxy_the_burst_limit_counts_each_client(config, clock, district, fake_line) -> None:
    """With SAIYAI_PROXY_HOPS=1 the address is the client's (X-Forwarded-For), so one client's guesses do not
    lock out everyone else behind the same proxy."""
    import dataclasses

    from bot import create_app
    from handlers.services import desk as links
    app = create_app({"SAIYAI_CONFIG": dataclasses.replace(config, proxy_hops=1), "CLOCK": clock})
    try:
        client = app.test_client()
        guesser = {"X-Forwarded-For": "203.0.113.7"}
        statuses = [client.get(f"/desk/signin/guess{n}", headers=guesser).status_code for n in range(11)]
        assert statuses == [404] * 10 + [429]
        with app.extensions["saiyai"].session_factory() as session, session.begin():
            token = links.create_link(session, session.merge(district.people["staff"]), clock())
        assert client.get(f"/desk/signin/{token}", headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 200
        assert client.get(f"/desk/signin/{token}", headers=guesser).status_code == 429
    finally:
        app.extensions["saiyai"].line.close()
        app.extensions["saiyai.engine"].dispose()


def test_everything_the_sign_in_page_loads_answers_200_favicon_included(client, dialog) -> None:
    """A browser asked for /favicon.ico on the sign-in page and got a 404 in its console; the page links an
    icon of the app's own now, and each file it and its stylesheet load is there."""
    page = client.get(ask_link(dialog, USERS["staff"])).get_data(as_text=True)
    linked = re.findall(r'<(?:link|script|img)\b[^>]*?(?:src|href)="(/[^"]+)"', page)
    assert linked == ["/static/favicon.png", "/desk/static/desk.css"]
    with client.get("/desk/static/desk.css") as css:
        fonts = re.findall(r'url\("?([^")]+)"?\)', css.get_data(as_text=True))
    assert len(fonts) == 4
    resources = [*linked, *(f"/desk/static/{font}" for font in fonts), "/favicon.ico"]
    answered = []
    for path in resources:
        with client.get(path) as answer:
            answered.append((path, answer.status_code))
    assert answered == [(path, 200) for path in resources]
    with client.get("/favicon.ico") as icon:
        assert (icon.mimetype, icon.data[:8]) == ("image/png", b"\x89PNG\r\n\x1a\n")
