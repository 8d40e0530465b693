"""Where report photos live: one small interface, the database behind it by default.

The web process and the scheduler run apart (often on different machines), so a photo the scheduler
fetched from LINE must be readable by the web desk: a local folder is not. An object store can take the
database's place by implementing the same three methods.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ReportPhoto, StoredFile

log = logging.getLogger(__name__)

DB_PREFIX = "db:"  # ReportPhoto.storage_path of a photo kept in the stored_file table


class Storage(Protocol):
    """Put, get and delete bytes by key; the session is the caller's transaction."""

    def put(self, session: Session, key: str, data: bytes, content_type: str, now: datetime) -> str: ...

    def get(self, session: Session, ref: str) -> tuple[bytes, str] | None: ...

    def delete(self, session: Session, ref: str) -> None: ...


class DatabaseStorage:
    """Files as rows of `stored_file`; the reference is `db:<key>`."""

    def put(self, session: Session, key: str, data: bytes, content_type: str, now: datetime) -> str:
        row = session.scalars(select(StoredFile).where(StoredFile.key == key)).first()
        if row is None:
            row = StoredFile(key=key, created_at=now, content_type=content_type, size=len(data), data=data)
            session.add(row)
        else:  # fetched again after a failed commit: the same key holds the same photo
            row.data, row.size, row.content_type = data, len(data), content_type
        return DB_PREFIX + key

    def get(self, session: Session, ref: str) -> tuple[bytes, str] | None:
        if not ref.startswith(DB_PREFIX):
            return None
        row = session.scalars(select(StoredFile).where(StoredFile.key == ref.removeprefix(DB_PREFIX))).first()
        return None if row is None else (row.data, row.content_type)

    def delete(self, session: Session, ref: str) -> None:
        if ref.startswith(DB_PREFIX):
            row = session.scalars(select(StoredFile).where(StoredFile.key == ref.removeprefix(DB_PREFIX))).first()
            if row is not None:
                session.delete(row)


def photo_key(activity_id: int, message_id: str) -> str:
    return f"photos/{activity_id}/{message_id}.jpg"


def migrate_photos(session: Session, storage: Storage, now: datetime) -> tuple[int, list[str]]:
    """Move photos still stored as files on disk (before the desk) into the storage; returns
    (moved, problems). A missing file is reported and left as it is; it is never half-moved."""
    moved, problems = 0, []
    photos = session.scalars(select(ReportPhoto).where(ReportPhoto.storage_path.is_not(None),
                                                       ~ReportPhoto.storage_path.startswith(DB_PREFIX))
                             .order_by(ReportPhoto.id)).all()
    for photo in photos:
        path = Path(photo.storage_path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(f"photo {photo.id}: {path}: {exc.strerror or exc}")
            continue
        photo.storage_path = storage.put(session, photo_key(photo.report.activity_id, photo.line_message_id),
                                         data, "image/jpeg", now)
        moved += 1
    return moved, problems
