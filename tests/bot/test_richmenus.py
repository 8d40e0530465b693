"""`richmenu sync` and `relink` against the fake LINE API, which keeps rich menus as LINE does and checks
every request against LINE's OpenAPI description (the fake_line fixture) and LINE's rules on pictures."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from bot import outbox
from bot.line import Outcome
from bot.richmenu_images import MAX_BYTES
from bot.richmenus import DEFAULT_KEY, sync, write_images
from handlers import REGISTRY
from handlers.catalog import th
from handlers.menus import all_pages
from handlers.services import menus as menu_links
from models import OutboxKind, OutboxMessage, Person, RichMenu
from support.registry import USERS

PAGES = all_pages(REGISTRY)
KEYS = sorted(page.key for page in PAGES)


def run_sync(app, session_factory, clock):
    services = app.extensions["saiyai"]
    with session_factory() as session, session.begin():
        return sync(session, services.line, clock())


def drain(app, session_factory, clock) -> dict[str, int]:
    services = app.extensions["saiyai"]
    return outbox.dispatch_due(session_factory, services.line, clock)


def stored(session_factory) -> dict[str, str]:
    with session_factory() as session:
        return dict(session.execute(select(RichMenu.key, RichMenu.rich_menu_id)).all())


def test_every_page_is_a_valid_line_menu_in_line_sizes() -> None:
    assert len(PAGES) == 16  # 5 roles, 2 languages; leader, chair and staff have two pages
    for page in PAGES:
        body = page.request("saiyai x")
        assert page.size in ((2500, 1686), (2500, 843))
        assert len(body["chatBarText"]) <= 14 and len(body["areas"]) <= 20
        for area in page.areas:  # inside the menu and not overlapping the next one
            assert 0 <= area.x and area.x + area.width <= page.size[0]
            assert 0 <= area.y and area.y + area.height <= page.size[1]
            assert len(area.action["label"]) <= 20


def test_sync_puts_every_page_on_line_with_its_picture_aliases_and_the_strangers_as_default(
        app, session_factory, clock, fake_line) -> None:
    report = run_sync(app, session_factory, clock)
    state = fake_line.state
    ids = stored(session_factory)
    assert sorted(report.created) == KEYS and report.unchanged == [] and report.deleted == 0
    assert sorted(ids) == KEYS and len(set(ids.values())) == 16
    assert sorted(state.rich_menus) == sorted(ids.values())
    assert state.rich_menu_aliases == {f"saiyai-{key}": menu_id for key, menu_id in ids.items()}
    assert state.default_rich_menu == ids[DEFAULT_KEY] == ids["stranger-th-1"]
    for key, menu_id in ids.items():
        image, content_type = state.rich_menu_images[menu_id]
        size = state.rich_menus[menu_id]["size"]
        with Image.open(io.BytesIO(image)) as picture:
            assert (picture.format, picture.size) == ("PNG", (size["width"], size["height"]))
        assert content_type == "image/png" and len(image) < MAX_BYTES
        assert state.rich_menus[menu_id]["name"].startswith(f"saiyai {key} ")
    # The pictures went through the data API with their type (the fake_line fixture checks the rest).
    uploads = [r for r in state.requests if r.path.endswith("/content")]
    assert [(r.method, r.headers["content-type"], r.status) for r in uploads] == [("POST", "image/png", 200)] * 16


def test_a_second_sync_uploads_nothing(app, session_factory, clock, fake_line) -> None:
    run_sync(app, session_factory, clock)
    before = len(fake_line.state.requests)
    report = run_sync(app, session_factory, clock)
    assert report.created == [] and sorted(report.unchanged) == KEYS and report.aliases == 0
    assert not report.default_set and report.deleted == 0
    assert [(r.method, r.path) for r in fake_line.state.requests[before:]] == [
        ("GET", "/v2/bot/richmenu/list"), ("GET", "/v2/bot/richmenu/alias/list"), ("GET", "/v2/bot/user/all/richmenu")]


def test_a_changed_label_replaces_that_page_only_and_relinks_its_people(
        app, session_factory, clock, fake_line, district, monkeypatch) -> None:
    run_sync(app, session_factory, clock)
    with session_factory() as session, session.begin():
        menu_links.relink_all(session, clock())
    drain(app, session_factory, clock)
    old = stored(session_factory)
    member = USERS["member"]
    assert fake_line.state.user_rich_menus[member] == old["member-th-1"]

    monkeypatch.setitem(th.TEXT, "menu.label.news", "ข่าวสารชุมชน")  # on the Thai "everyday" pages only
    everyday = ["chair-th-2", "leader-th-2", "member-th-1", "staff-th-2"]
    report = run_sync(app, session_factory, clock)
    new = stored(session_factory)
    assert sorted(report.created) == everyday and report.deleted == 4 and report.aliases == 4
    assert sorted(k for k in KEYS if new[k] != old[k]) == everyday
    assert not any(old[key] in fake_line.state.rich_menus for key in everyday)
    assert fake_line.state.rich_menu_aliases["saiyai-member-th-1"] == new["member-th-1"]
    # LINE dropped the links to the deleted menu: the member and the partner, who had it, are queued again
    # (a leader's first page did not change: the tab to the second page names its alias, not its id).
    assert member not in fake_line.state.user_rich_menus and report.relinked == 2
    assert fake_line.state.user_rich_menus[USERS["leader"]] == old["leader-th-1"] == new["leader-th-1"]
    assert drain(app, session_factory, clock) == {"sent": 2}
    assert fake_line.state.user_rich_menus[member] == new["member-th-1"]
    assert fake_line.state.current_menu_for(member)["areas"][1]["action"] == {
        "type": "message", "label": "ข่าวสารชุมชน", "text": "ข่าว"}


def test_relink_links_everyone_500_per_call_and_strangers_get_the_default(
        app, session_factory, clock, fake_line, district) -> None:
    run_sync(app, session_factory, clock)
    many = [f"U{n:032x}" for n in range(1, 502)]
    with session_factory() as session, session.begin():
        people = [Person(line_user_id=user, created_at=clock(), updated_at=clock()) for user in many]
        session.add_all(people)
        session.flush()
        for person in people[:3]:  # three of them were linked once, then lost their role
            person.rich_menu = "member-th-1"
    with session_factory() as session, session.begin():
        counts = menu_links.relink_all(session, clock())
    # The partner has the member's menu.
    assert counts == {"staff-th-1": 1, "chair-th-1": 1, "leader-th-1": 2, "member-th-1": 2, None: 501}
    with session_factory() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(row.kind, row.rich_menu, len(row.recipients or [row.target])) for row in rows] == [
            (OutboxKind.MENU_LINK, "staff-th-1", 1), (OutboxKind.MENU_LINK, "chair-th-1", 1),
            (OutboxKind.MENU_LINK, "leader-th-1", 2), (OutboxKind.MENU_LINK, "member-th-1", 2),
            (OutboxKind.MENU_UNLINK, None, 500), (OutboxKind.MENU_UNLINK, None, 1)]
        assert {p.line_user_id: p.rich_menu for p in session.scalars(select(Person))
                if p.line_user_id in many[:3]} == dict.fromkeys(many[:3])
    assert drain(app, session_factory, clock) == {"sent": 6}
    ids = stored(session_factory)
    bulk = [r for r in fake_line.state.requests if "/bulk/" in r.path]  # sent side by side: any order
    assert sorted((r.path, len(r.body["userIds"]), r.status) for r in bulk) == [
        ("/v2/bot/richmenu/bulk/link", 2, 202), ("/v2/bot/richmenu/bulk/link", 2, 202),
        ("/v2/bot/richmenu/bulk/unlink", 1, 202), ("/v2/bot/richmenu/bulk/unlink", 500, 202)]
    assert fake_line.state.user_rich_menus == {
        USERS["staff"]: ids["staff-th-1"], USERS["chair"]: ids["chair-th-1"], USERS["leader"]: ids["leader-th-1"],
        USERS["other_leader"]: ids["leader-th-1"], USERS["member"]: ids["member-th-1"],
        USERS["partner"]: ids["member-th-1"]}


def test_links_wait_for_the_first_sync(app, session_factory, clock, district) -> None:
    with session_factory() as session, session.begin():
        assert menu_links.relink_all(session, clock()) == {}
        assert menu_links.refresh(session, session.get(Person, district.people["member"].id), clock()) is False
        assert session.scalars(select(OutboxMessage)).all() == []


def test_a_link_to_a_menu_that_is_not_on_line_is_given_up_with_the_reason(
        app, session_factory, clock, fake_line) -> None:
    with session_factory() as session, session.begin():
        outbox.enqueue_menu(session, [USERS["member"]], "member-th-1", now=clock())
    assert drain(app, session_factory, clock) == {Outcome.REJECTED: 1}
    with session_factory() as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert (row.state, row.last_error) == (
            "dead", "None: rich menu 'member-th-1' is not on LINE: run `flask --app bot richmenu sync`")
    assert fake_line.state.requests == []


@pytest.mark.parametrize(("make", "content_type", "status", "message"), [
    (lambda: _png((2500, 1686)), "image/png", 200, None),
    (lambda: _png((2500, 843)), "image/png", 400, "image size 2500x843 does not match the rich menu 2500x1686"),
    (lambda: _png((2500, 1686)), "image/gif", 415, "Unsupported Media Type: image/gif (image/jpeg or image/png)"),
    (lambda: _png((2500, 1686)), "image/jpeg", 400, "the image is PNG, not image/jpeg"),
    (lambda: _noise((2500, 1686)), "image/png", 413, None),
])
def test_the_fake_refuses_pictures_line_refuses(app, fake_line, make, content_type, status, message) -> None:
    line = app.extensions["saiyai"].line
    menu_id = line.create_rich_menu(PAGES[2].request("test"))  # member-th-1: 2500×1686
    result = line.upload_rich_menu_image(menu_id, make(), content_type)
    assert result.status == status
    if message:
        assert result.detail == message
    if status == 200:  # once only
        again = line.upload_rich_menu_image(menu_id, make(), content_type)
        assert (again.status, again.detail) == (400, "An image has already been uploaded to the richmenu")
    fake_line.state.requests.clear()  # a GIF is refused by LINE, not by its OpenAPI description (*/*)


def test_the_fake_refuses_menus_line_refuses(app, fake_line) -> None:
    line = app.extensions["saiyai"].line
    body = PAGES[2].request("test")
    too_tall = {**body, "size": {"width": 2500, "height": 2500}}
    assert line.create_rich_menu(too_tall).detail == "The request body has 1 error(s) (size: invalid size 2500x2500)"
    outside = {**body, "areas": [{**body["areas"][0], "bounds": {"x": 2000, "y": 0, "width": 833, "height": 843}}]}
    assert line.create_rich_menu(outside).detail == (
        "The request body has 1 error(s) (areas[0].bounds: outside the rich menu)")
    menu_id = line.create_rich_menu(body)
    assert line.link_menu(USERS["member"], menu_id).detail == "must upload richmenu image before applying it to user"
    assert line.create_rich_menu_alias("saiyai-x", menu_id).status == 400


def test_docs_pictures_are_drawn_by_the_same_code(tmp_path) -> None:
    paths = write_images(tmp_path)
    assert sorted(p.name for p in paths) == [
        "richmenu-chair-2.png", "richmenu-chair.png", "richmenu-leader-2.png", "richmenu-leader.png",
        "richmenu-member.png", "richmenu-staff-2.png", "richmenu-staff.png", "richmenu-stranger.png"]
    with Image.open(tmp_path / "richmenu-stranger.png") as picture:
        assert picture.size == (1250, 421)  # half LINE's size


def test_cli_sync_and_relink(app, session_factory, clock, fake_line, district) -> None:
    runner = app.test_cli_runner()
    early = runner.invoke(args=["richmenu", "relink"])
    assert (early.exit_code, early.output) == (1, "Error: no menus on LINE yet: run `flask --app bot richmenu sync` first\n")
    first = runner.invoke(args=["richmenu", "sync"])
    assert first.output == "menus: 16 uploaded, 0 unchanged, 0 old deleted; aliases changed: 16; default set\n"
    second = runner.invoke(args=["richmenu", "sync"])
    assert second.output == "menus: 0 uploaded, 16 unchanged, 0 old deleted; aliases changed: 0; default unchanged\n"
    relink = runner.invoke(args=["richmenu", "relink"])
    assert relink.output == "chair-th-1: 1\nleader-th-1: 2\nmember-th-1: 2\nstaff-th-1: 1\n"


def _png(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    return buffer.getvalue()


def _noise(size: tuple[int, int]) -> bytes:
    import random

    rng = random.Random(1)
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3)).save(buffer, "PNG")
    return buffer.getvalue()
