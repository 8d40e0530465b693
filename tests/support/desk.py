"""Signing in to the web desk the way a person does: ask in the LINE chat, open the link, press the button."""

from __future__ import annotations

import re

from support.dialog import Dialog

LINK = re.compile(r"^http://127\.0\.0\.1:5000(/desk/signin/[A-Za-z0-9_-]+)$")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def ask_link(dialog: Dialog, user: str) -> str:
    """The path of the one-time link the bot sends for `เข้าเว็บ`."""
    replies = dialog.say(user, "เข้าเว็บ")
    assert len(replies) == 2, replies
    match = LINK.match(replies[1])
    assert match is not None, replies
    return match[1]


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match is not None, "no CSRF token on the page"
    return match[1]


def sign_in(client, dialog: Dialog, user: str) -> str:
    """Sign the test client in as `user`; returns the (now spent) link path."""
    path = ask_link(dialog, user)
    page = client.get(path)
    assert page.status_code == 200
    response = client.post(path, data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    assert (response.status_code, response.headers["Location"]) == (302, "/desk/")
    return path


def post_form(client, page_path: str, action: str, data: dict) -> object:
    """POST a form found on a page, with that page's CSRF token."""
    page = client.get(page_path)
    assert page.status_code == 200, page_path
    return client.post(action, data={"csrf_token": csrf_of(page.get_data(as_text=True)), **data})
