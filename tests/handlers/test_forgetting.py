"""Erasure and the queued messages (registry.forgetting): only the erased person's name, phone and LINE id go,
only the rows that mention them are read, and a message left with nobody to reach goes too."""

from __future__ import annotations

from sqlalchemy import event, select

from bot import outbox
from handlers.context import text_message
from handlers.services import registry as reg
from models import OutboxKind, OutboxMessage, Person
from support.registry import USERS, seed_members

ERASED = "U" + "f" * 32
GROUP = "C" + "d" * 32
OTHER_GROUP = "C" + "e" * 32
MEMBER, LEADER = USERS["member"], USERS["leader"]


def register(session, district, clock, *, full_name: str, phone: str | None = None,
             display_name: str | None = None, user: str | None = ERASED) -> Person:
    if user is None:  # a member without LINE, as `เพิ่มสมาชิก` registers them
        person = Person(line_user_id=None, full_name=full_name, phone=phone, created_at=clock(), updated_at=clock())
        session.add(person)
        session.flush()
        reg.join_community(session, person, district.wat, clock())
        return person
    return reg.register_person(session, user, full_name=full_name, community=district.wat, phone=phone,
                               display_name=display_name, now=clock())


def texts(db, target: str) -> list[str]:
    db.expire_all()
    return [m["text"] for row in db.scalars(select(OutboxMessage).where(OutboxMessage.target == target)
                                            .order_by(OutboxMessage.id)) for m in row.messages]


def test_only_the_erased_persons_name_and_phone_are_scrubbed(district, session_factory, db, clock) -> None:
    # สมศรี (no surname; LINE name ใจดี) is erased; สมศรี ใจดี and สมศักดิ์ ใจดี are other members.
    with session_factory() as session, session.begin():
        seed_members(session, district, clock())
        for user, name in (("U" + "9a" * 16, "สมศรีสุข ทองดี"), ("U" + "9b" * 16, "ทองสมศรี")):
            register(session, district, clock, full_name=name, user=user)
        register(session, district, clock, full_name="สมศรี", phone="0812345678", display_name="ใจดี")
        outbox.enqueue(session, [GROUP], [text_message(text) for text in [
            "ติดต่อคุณสมศรี โทร 0812345678",
            "สมศรี ใจดี โทร 0898765432, สมศักดิ์ ใจดี",
            "ยังไม่ตอบ: สมศรี, สมศรี ใจดี\nสมศรีครับ",
            "บัญชี 108123456789",
            "ไป: สมศรีสุข ทองดี, ติดต่อทองสมศรี, สมศรี",
        ]], now=clock())
    with session_factory() as session, session.begin():
        assert reg.forget_user(session, ERASED, clock()) is True
    assert texts(db, GROUP) == [
        "ติดต่อคุณ— โทร —",
        "สมศรี ใจดี โทร 0898765432, สมศักดิ์ ใจดี",  # another member's name, and the LINE name is not printed
        "ยังไม่ตอบ: —, สมศรี ใจดี\n—ครับ",
        "บัญชี 108123456789",  # a longer number is not their phone
        "ไป: สมศรีสุข ทองดี, ติดต่อทองสมศรี, —",  # glued to other members' names on either side
    ]


def test_a_namesake_cannot_be_told_apart_and_is_scrubbed_too(district, session_factory, db, clock) -> None:
    with session_factory() as session, session.begin():
        seed_members(session, district, clock())  # another สมศรี ใจดี
        register(session, district, clock, full_name="สมศรี ใจดี")
        outbox.enqueue(session, [GROUP], [text_message("สมศรี ใจดี และนางสมศรี ใจดี มาแล้ว")], now=clock())
    with session_factory() as session, session.begin():
        reg.forget_user(session, ERASED, clock())
    # A title tells no one apart either (person_key): erasure wins over the namesake's mention.
    assert texts(db, GROUP) == ["— และนาง— มาแล้ว"]


def test_a_multicast_left_with_nobody_goes(district, session_factory, db, clock) -> None:
    with session_factory() as session, session.begin():
        register(session, district, clock, full_name="ผู้ลบ หนึ่ง")
        [row] = outbox.enqueue(session, [ERASED, MEMBER], [text_message("ประชุมพรุ่งนี้")], now=clock())
        assert row.kind == OutboxKind.MULTICAST
        row_id = row.id
    with session_factory() as session, session.begin():
        reg.forget_user(session, ERASED, clock())
    db.expire_all()
    assert [(r.recipients, r.recipient_count) for r in db.scalars(select(OutboxMessage))] == [([MEMBER], 1)]
    with session_factory() as session, session.begin():
        reg.forget_user(session, MEMBER, clock())
    db.expire_all()
    assert db.get(OutboxMessage, row_id) is None


def test_erasure_reads_only_the_rows_that_mention_the_person(district, session_factory, clock) -> None:
    with session_factory() as session, session.begin():
        register(session, district, clock, full_name="สมพร ดีงาม", phone="0861112222")
        for n in range(20):
            outbox.enqueue(session, [GROUP], [text_message(f"ประกาศ {n}: สมพงษ์ ดีงาม โทร 0861112223")], now=clock())
        outbox.enqueue(session, [LEADER, MEMBER], [text_message("ประชุม")], now=clock())
        mentions = [row.id for row in outbox.enqueue(session, [OTHER_GROUP], [text_message("ติดต่อสมพร ดีงาม")],
                                                     now=clock())]
        mentions += [row.id for row in outbox.enqueue(session, [MEMBER, ERASED], [text_message("ประชุม")],
                                                      now=clock())]
        mentions += [row.id for row in outbox.enqueue(session, [GROUP], [text_message("โทร 0861112222")], now=clock())]
    loaded: list[int] = []
    with session_factory() as session, session.begin():
        event.listen(session, "loaded_as_persistent", lambda _s, obj: loaded.append(obj.id)
                     if isinstance(obj, OutboxMessage) else None)
        reg.forget_user(session, ERASED, clock())
    assert sorted(loaded) == sorted(mentions)


def test_removing_a_member_without_line_scrubs_their_name(district, session_factory, db, clock) -> None:
    with session_factory() as session, session.begin():
        offline = register(session, district, clock, full_name="ยายบุญมี ศรีสุข", phone="0891234567", user=None)
        outbox.enqueue(session, [LEADER], [text_message("ยังไม่ตอบ: ยายบุญมี ศรีสุข (โทร 0891234567)")], now=clock())
        offline_id = offline.id
    with session_factory() as session, session.begin():
        reg.forget_person(session, session.get(Person, offline_id), clock())
    assert texts(db, LEADER) == ["ยังไม่ตอบ: — (โทร —)"]
