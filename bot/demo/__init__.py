"""The demo district: a fictional district office generated from a seed, through the real services.

`flask --app bot demo load` (and `scripts/run` on an empty database) calls `load`. The same seed gives
the same district: names, roles, LINE ids, groups, activity codes, answers. Dates are placed around
the clock's "now" (past activities before it, upcoming ones after it), so the district is always
current. Everything goes through the service functions handlers use (import, registration, roles,
the host rotation, answers with waitlist, check-in, series, notices and their answers), so the demo
is what the product would have built, not a hand-written fixture. Loading sends nothing but the cards
of the upcoming activities to their groups (through the outbox), so the groups open on something to answer.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import TIMEZONE
from bot.demo import names
from handlers import events
from handlers.services import activities as acts
from handlers.services import notices as notices_svc
from handlers.services import registry as reg
from models import (
    AckKind,
    Activity,
    ActivityReport,
    ActivityStatus,
    Alias,
    Answer,
    ChatLink,
    Community,
    Network,
    NetworkKind,
    NoticeScope,
    NoticeStatus,
    Organization,
    Partner,
    PartnerSector,
    Person,
    RoleName,
)

DEFAULT_SEED = 2569
MEMBERS = 300
PAST_MEETINGS = 4  # monthly zone meetings before now: the rotation's history


class DemoRefused(Exception):
    """The database holds another organization: a real one is never mixed with the demo unless forced."""


@dataclass
class DemoReport:
    """What `load` did; `created` is False when the demo was already there."""

    created: bool
    organization: str
    counts: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        if not self.created:
            return f"demo district already loaded: {self.organization}"
        parts = ", ".join(f"{count} {what}" for what, count in self.counts.items())
        return f"demo district loaded: {self.organization} ({parts})"


def other_organizations(session: Session) -> list[str]:
    """Organizations in the database other than the demo's."""
    return list(session.scalars(select(Organization.name).where(Organization.name != names.DISTRICT)))


def is_empty(session: Session) -> bool:
    """No organization at all: `scripts/run` loads the demo then."""
    return session.scalar(select(func.count()).select_from(Organization)) == 0


def load(session: Session, now: datetime, *, seed: int = DEFAULT_SEED, force: bool = False) -> DemoReport:
    """Create the demo district in the caller's transaction (nothing if it exists already)."""
    existing = session.scalars(select(Organization).where(Organization.name == names.DISTRICT)).first()
    if existing is not None:
        return DemoReport(False, existing.name)
    others = other_organizations(session)
    if others and not force:
        raise DemoRefused("this database holds " + ", ".join(others) + ": the demo district is not loaded "
                          "beside a real organization (use --force to load it anyway)")
    return _Builder(session, now.astimezone(TIMEZONE), random.Random(seed)).build()


class _Builder:
    def __init__(self, session: Session, now: datetime, rng: random.Random) -> None:
        self.session, self.now, self.rng = session, now, rng
        self.used_ids: set[str] = set()
        self.used_names: set[str] = set()
        self.used_codes: set[str] = set(session.scalars(select(Activity.code)))
        self.counts: dict[str, int] = defaultdict(int)

    # --- ids the way LINE makes them, but from the seed -------------------------------------------

    def line_id(self, prefix: str) -> str:
        while True:
            value = f"{prefix}{self.rng.getrandbits(128):032x}"
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def code(self) -> str:
        while True:
            value = "".join(self.rng.choice(reg.INVITE_ALPHABET) for _ in range(4))
            if value not in self.used_codes:
                self.used_codes.add(value)
                return value

    def name(self) -> str:
        """A full name nobody else in the demo has: first and last names drawn independently meet again (about
        20 namesakes among 400 people), and the simulator's persona list then showed one person twice."""
        while True:
            value = f"{self.rng.choice(names.FIRST_NAMES)} {self.rng.choice(names.LAST_NAMES)}"
            if value not in self.used_names:
                self.used_names.add(value)
                return value

    def phone(self) -> str:
        return "0" + self.rng.choice("689") + "".join(self.rng.choice("0123456789") for _ in range(8))

    def ago(self, days: float, hour: int | None = None) -> datetime:
        moment = self.now - timedelta(days=days)
        return moment.replace(hour=hour, minute=0, second=0, microsecond=0) if hour is not None else moment

    # --- the district ------------------------------------------------------------------------------

    def build(self) -> DemoReport:
        s, rng = self.session, self.rng
        start = self.ago(200)
        org, _ = reg.create_organization(s, names.DISTRICT, start)
        self.org = org
        picked = rng.sample(names.COMMUNITIES, 38)
        rows = []
        for index, (name, aliases) in enumerate(picked):
            zone = names.ZONES[index % len(names.ZONES)]
            issues = tuple(issue for issue in names.ISSUES if rng.random() < 0.3)
            rows.append(reg.CommunityRow(line=index + 2, community=name, zone=zone, aliases=aliases,
                                         issue_networks=issues))
        report = reg.import_communities(s, org, rows, start)
        assert not report.errors, report.errors
        self.zones = [s.scalars(select(Network).where(Network.organization_id == org.id, Network.name == z)).one()
                      for z in names.ZONES]
        self.issues = [s.scalars(select(Network).where(Network.organization_id == org.id, Network.name == i)).one()
                       for i in names.ISSUES]
        self.communities = {c.name: c for c in s.scalars(select(Community).where(Community.organization_id == org.id))}
        self.by_zone: dict[int, list[Community]] = defaultdict(list)
        for name, _ in picked:
            community = self.communities[name]
            self.by_zone[community.zone_id].append(community)
        self.counts["networks"] = len(self.zones) + len(self.issues)
        self.counts["communities"] = len(self.communities)

        self.people()
        self.partners()
        self.groups()
        for zone in self.zones:
            self.rotation_history(zone)
        self.upcoming()
        self.notices()
        self.announce()
        return DemoReport(True, org.name, dict(self.counts))

    def person(self, community: Community | None, *, full_name: str | None = None, line: bool = True,
               lang: str = "th", recorded_by: Person | None = None, days: float = 150) -> Person:
        when = self.ago(days + self.rng.random() * 30)
        full_name = full_name or self.name()
        self.used_names.add(full_name)
        if line:
            person = reg.register_person(self.session, self.line_id("U"), full_name=full_name,
                                         community=community, phone=self.phone(), display_name=None, now=when)
            person.language = lang
        else:  # registered by a leader, who recorded the consent given in person (handlers/members.py)
            person = Person(line_user_id=None, full_name=full_name, phone=self.phone(),
                            consent_version=reg.CONSENT_VERSION, consented_at=when,
                            consent_recorded_by_id=recorded_by.id if recorded_by else None,
                            created_at=when, updated_at=when)
            self.session.add(person)
            self.session.flush()
            if community is not None:
                reg.join_community(self.session, person, community, when)
            self.counts["members without LINE"] += 1
        self.counts["people"] += 1
        return person

    def people(self) -> None:
        s, org, rng = self.session, self.org, self.rng
        self.staff = []
        for _ in range(3):
            person = self.person(None, days=190)
            reg.grant(s, person, RoleName.STAFF, org, now=self.ago(190))
            self.staff.append(person)
        self.chairs: dict[int, Person] = {}
        for network in [*self.zones, *self.issues]:
            home = rng.choice(self.by_zone[network.id] if network.kind == NetworkKind.ZONE
                              else list(self.communities.values()))
            person = self.person(home, days=180)
            reg.grant(s, person, RoleName.NETWORK_CHAIR, org, network=network, now=self.ago(180))
            self.chairs[network.id] = person
        self.leaders: dict[int, list[Person]] = {}
        for community in self.communities.values():
            count = 2 if rng.random() < 0.35 else 1
            self.leaders[community.id] = []
            for title in names.LEADER_TITLES[:count]:
                person = self.person(community, days=170)
                reg.grant(s, person, RoleName.COMMUNITY_LEADER, org, community=community, title=title,
                          now=self.ago(170))
                self.leaders[community.id].append(person)
        self.members: dict[int, list[Person]] = defaultdict(list)
        communities = list(self.communities.values())
        english = set(rng.sample(range(MEMBERS), len(names.ENGLISH_NAMES)))
        english_names = iter(names.ENGLISH_NAMES)
        for index in range(MEMBERS):
            community = communities[index % len(communities)] if index < 2 * len(communities) else rng.choice(communities)
            if index in english:
                person = self.person(community, full_name=next(english_names), lang="en")
            elif rng.random() < 0.08:
                person = self.person(community, line=False, recorded_by=self.leaders[community.id][0])
            else:
                person = self.person(community)
            self.members[community.id].append(person)
        self.counts["staff"], self.counts["chairs"] = len(self.staff), len(self.chairs)
        self.counts["leaders"] = sum(len(v) for v in self.leaders.values())

    def partners(self) -> None:
        for name, sector, aliases in names.PARTNERS:
            representative = self.person(None, days=160)
            partner = Partner(organization_id=self.org.id, name=name, sector=PartnerSector(sector),
                              representative_id=representative.id)
            partner.networks = [self.rng.choice([*self.zones, *self.issues])]
            partner.aliases = [Alias(name=alias) for alias in aliases]
            self.session.add(partner)
            self.session.flush()
            reg.grant(self.session, representative, RoleName.PARTNER, self.org,
                      network=partner.networks[0], now=self.ago(160))
            self.counts["partners"] += 1

    def groups(self) -> None:
        """A LINE group for each zone and issue network, and for most communities (some have none yet)."""
        self.group_of: dict[int, str] = {}
        for network in [*self.zones, *self.issues]:
            self.link(network=network, by=self.chairs[network.id])
        for community in self.communities.values():
            if self.rng.random() < 0.8:
                self.group_of[community.id] = self.link(community=community, by=self.leaders[community.id][0])

    def link(self, *, by: Person, network: Network | None = None, community: Community | None = None) -> str:
        chat_id = self.line_id("C")
        self.session.add(ChatLink(chat_id=chat_id, organization_id=self.org.id,
                                  network_id=network.id if network else None,
                                  community_id=community.id if community else None,
                                  linked_by_id=by.id, linked_at=self.ago(160)))
        self.counts["LINE groups"] += 1
        return chat_id

    # --- activities --------------------------------------------------------------------------------

    def meeting(self, zone: Network, starts: datetime, created: datetime, *, title: str | None = None,
                capacity: int | None = None) -> Activity:
        activity = acts.create_activity(
            self.session, title=title or self.rng.choice(names.MEETING_TITLES).format(zone=zone.name.removeprefix(
                "เครือข่าย")), organization_id=self.org.id, starts_at=starts, now=created, network_id=zone.id,
            capacity=capacity, created_by=self.chairs[zone.id])
        activity.code = self.code()
        self.counts["activities"] += 1
        return activity

    def hosted(self, activity: Activity) -> None:
        """The place, once the rotation has named the host: somewhere in the host community."""
        host = self.session.get(Community, activity.host_community_id)
        activity.place_text = self.rng.choice(names.PLACES).format(community=host.name.removeprefix("ชุมชน"))

    def rotation_history(self, zone: Network) -> None:
        """Monthly meetings before now: hosts proposed by the rotation, some declined or skipped,
        answers, check-ins and the host's report with lessons."""
        chair = self.chairs[zone.id]
        for month in range(PAST_MEETINGS, 0, -1):
            starts = self.ago(30 * month + 10, hour=13 + self.rng.choice((0, 1)))
            created = starts - timedelta(days=21)
            activity = self.meeting(zone, starts, created)
            acts.propose_host(self.session, activity, created)
            roll = self.rng.random()
            if roll < 0.25:
                acts.decline_host(self.session, activity, self.rng.choice(names.DECLINE_REASONS),
                                  created + timedelta(days=1), actor=self.leaders[activity.host_community_id][0])
            elif roll < 0.35:
                acts.skip_host(self.session, activity, self.rng.choice(names.SKIP_REASONS),
                               created + timedelta(days=1), actor=chair)
            acts.confirm_host(self.session, activity, created + timedelta(days=2),
                              actor=self.leaders[activity.host_community_id][0])
            activity.status = ActivityStatus.CONFIRMED
            self.hosted(activity)
            self.answers(activity, zone, created + timedelta(days=3), share=0.35)
            came = 0
            for rsvp in list(activity.rsvps):
                if rsvp.answer == Answer.GOING and rsvp.waitlisted_at is None and self.rng.random() < 0.85:
                    person = self.session.get(Person, rsvp.person_id)
                    acts.check_in(self.session, activity, person, starts + timedelta(minutes=self.rng.randint(-30, 20)))
                    came += 1
            activity.status = ActivityStatus.DONE
            leader = self.leaders[activity.host_community_id][0]
            self.session.add(ActivityReport(activity_id=activity.id, reporter_id=leader.id, attended=came,
                                            summary=self.rng.choice(names.SUMMARIES),
                                            lessons=self.rng.choice(names.LESSONS),
                                            submitted_at=starts + timedelta(days=1, hours=3)))
            self.counts["reports"] += 1

    def answers(self, activity: Activity, zone: Network, when: datetime, share: float,
                going: int | None = None) -> None:
        """Members and leaders of the zone answer; `going` makes that many say ไป (for a full activity)."""
        people = [(p, c) for c in self.by_zone[zone.id] for p in [*self.leaders[c.id], *self.members[c.id]]]
        self.rng.shuffle(people)
        chosen = people[:going] if going is not None else [pc for pc in people if self.rng.random() < share]
        for index, (person, community) in enumerate(chosen):
            choice = Answer.GOING if going is not None else self.rng.choices(
                [Answer.GOING, Answer.MAYBE, Answer.NOT_GOING], [6, 2, 2])[0]
            proxy = self.leaders[community.id][0] if person.line_user_id is None else None
            acts.answer(self.session, activity, person, choice, when + timedelta(minutes=index * 7),
                        community_id=community.id, proxy_by=proxy)
            self.counts["answers"] += 1

    def upcoming(self) -> None:
        """Next meetings of each zone (hosts proposed or confirmed, answers coming in), one full with a
        waitlist, and one that repeats every month."""
        created = self.ago(5)
        for index, zone in enumerate(self.zones):
            starts = (self.now + timedelta(days=8 + 4 * index)).replace(hour=14, minute=0, second=0, microsecond=0)
            activity = self.meeting(zone, starts, created)
            acts.propose_host(self.session, activity, created)
            if index % 2 == 0:
                acts.confirm_host(self.session, activity, created + timedelta(days=1),
                                  actor=self.leaders[activity.host_community_id][0])
                activity.status = ActivityStatus.CONFIRMED
            self.hosted(activity)
            self.answers(activity, zone, created + timedelta(days=1), share=0.2)
            if index == 1:  # the chair made it monthly (`จัดซ้ำ … ทุกเดือน`)
                acts.repeat(self.session, activity, 1, self.chairs[zone.id], created + timedelta(days=1))
                self.counts["series"] += 1
        zone = self.zones[2]
        starts = (self.now + timedelta(days=10)).replace(hour=9, minute=0, second=0, microsecond=0)
        full = self.meeting(zone, starts, created, title="อบรมปฐมพยาบาลเบื้องต้นและการใช้เครื่อง AED", capacity=20)
        acts.propose_host(self.session, full, created)
        acts.confirm_host(self.session, full, created, actor=self.leaders[full.host_community_id][0])
        full.status = ActivityStatus.CONFIRMED
        self.hosted(full)
        self.answers(full, zone, created + timedelta(hours=2), share=0, going=23)

    def announce(self) -> None:
        """Queue the upcoming activities' cards to their groups, as they were announced there: the groups
        then open on something to answer. The only messages loading sends (through the outbox)."""
        upcoming = self.session.scalars(select(Activity).where(Activity.organization_id == self.org.id,
                                                               Activity.starts_at > self.now).order_by(Activity.id))
        for activity in upcoming:
            self.counts["cards announced in groups"] += len(events.announce_in_groups(self.session, activity, self.now))

    # --- notices -----------------------------------------------------------------------------------

    def notices(self) -> None:
        author = self.staff[0]
        scopes = [notices_svc.Audience(self.org.id, NoticeScope.ORGANIZATION, author_id=author.id),
                  notices_svc.Audience(self.org.id, NoticeScope.NETWORK, network_id=self.zones[0].id,
                                       author_id=author.id),
                  notices_svc.Audience(self.org.id, NoticeScope.NETWORK, network_id=self.issues[0].id,
                                       author_id=author.id)]
        for index, (audience, text) in enumerate(zip(scopes, names.NOTICES, strict=True)):
            sent = self.ago(20 - 6 * index, hour=10)
            notice = notices_svc.create_notice(self.session, audience, text=text, now=sent, send_at=sent)
            self.sent(notice, sent)
            self.respond(notice, audience, sent, lambda: AckKind.ACKNOWLEDGED, share=0.55)
        sent = self.ago(45, hour=6)
        audience = notices_svc.Audience(self.org.id, NoticeScope.NETWORK, network_id=self.issues[1].id,
                                        author_id=author.id)
        alert = notices_svc.create_notice(self.session, audience, text=names.ALERT, now=sent, send_at=sent, urgent=True)
        self.sent(alert, sent)
        self.respond(alert, audience, sent, lambda: AckKind.NEED_HELP if self.rng.random() < 0.12 else AckKind.SAFE,
                     share=0.8)

    def sent(self, notice, at: datetime) -> None:
        """Sent long ago: no outbox row is made (the demo sends nothing when it loads)."""
        notice.status, notice.sent_at = NoticeStatus.SENT, at + timedelta(minutes=1)
        if notice.nudge_after_hours is not None:
            notice.nudged_at = at + timedelta(hours=notice.nudge_after_hours)
        self.counts["notices"] += 1

    def respond(self, notice, audience, sent: datetime, kind, share: float) -> None:
        recipients = [person_id for page in notices_svc.iter_recipients(self.session, audience)
                      for person_id in _ids(page)]
        for index, person_id in enumerate(recipients):
            if self.rng.random() < share:
                person = self.session.get(Person, person_id)
                notices_svc.record_answer(self.session, notice, person, kind(), sent + timedelta(minutes=5 + index))
                self.counts["notice answers"] += 1


def _ids(page) -> list[int]:
    """Person ids from a page of `iter_recipients` (rows or ids)."""
    return [row if isinstance(row, int) else row[0] for row in page]
