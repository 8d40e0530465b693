"""The rich menus `flask --app bot richmenu sync` put on LINE, so links can name a menu by its key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class RichMenu(Base):
    """One page of a role's menu on LINE (e.g. `leader-th-2`), with the id LINE gave it."""

    __tablename__ = "rich_menu"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)   # role-lang-tab, also its alias id
    rich_menu_id: Mapped[str] = mapped_column(String(64))
    # Of the definition and the image: an unchanged page is neither created nor uploaded again.
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
