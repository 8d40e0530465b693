"""`เข้าเว็บ` / `dashboard`: a one-time link to the web desk (bot/desk), sent in the 1:1 chat only.

No password: the link is the proof that the person holds this LINE account. It works once, for ten
minutes (handlers/services/desk.py); staff, network chairs and community leaders get one, members are
told politely that the desk is for the people who run networks and communities.
"""

from __future__ import annotations

from linebot.v3.messaging import Message

from handlers.context import Context
from handlers.registry import ChatKind, Role, command
from handlers.services import desk


@command("เข้าเว็บ", "แดชบอร์ด", "dashboard", "desk", chats={ChatKind.USER}, min_role=Role.COMMUNITY_LEADER)
def dashboard(ctx: Context) -> list[Message]:
    """รับลิงก์เข้าหน้าเว็บสำหรับเจ้าหน้าที่และผู้นำ / Get a sign-in link to the web desk"""
    base = str(ctx.settings.get("public_url") or "")
    if not base:
        return [ctx.text("desk.not_configured")]
    # Staff made by the operator (`flask org grant-staff`) may not have registered: their role is enough.
    if ctx.person is None or ctx.person.line_user_id is None:
        return [ctx.text("desk.register_first")]
    token = desk.create_link(ctx.session, ctx.person, ctx.now)
    minutes = int(desk.LINK_TTL.total_seconds() // 60)
    return [ctx.text("desk.link", minutes=minutes), ctx.text_message(f"{base}/desk/signin/{token}")]
