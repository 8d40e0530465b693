"""`flask --app bot org ...`: bootstrap the registry from the command line (Flask's CLI runner)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from handlers.services import registry as reg
from models import (
    Alias,
    Base,
    Community,
    InviteCode,
    Network,
    NetworkKind,
    Organization,
    Person,
    RoleName,
)
from support.registry import seed_district

DATA = Path(__file__).parent.parent / "data"
BANGNA = DATA / "bangna_communities.csv"
ORG = "สำนักงานเขตบางนา"
EXPIRES = "วันเสาร์ที่ 28 พฤศจิกายน 2569 เวลา 10:00 น."  # the clock's now (21 Nov 2569, 10:00) + 7 days
STAFF_ID = "U" + "0123456789abcdef" * 2


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=["org", *args])
    return invoke


@pytest.fixture
def org(cli) -> str:
    assert cli("create", ORG).output == f"created organization {ORG}\n"
    return ORG


def snapshot(session_factory) -> dict[str, list[tuple]]:
    """Every row of every table."""
    with session_factory() as session:
        return {table.name: sorted(map(tuple, session.execute(select(table)).all()), key=repr)
                for table in Base.metadata.sorted_tables}


def count(session_factory, model, *where) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def write(tmp_path: Path, text: str, name: str = "registry.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


# --- org create ---------------------------------------------------------------------------------

def test_create_is_idempotent(cli, session_factory) -> None:
    assert cli("create", ORG).output == f"created organization {ORG}\n"
    again = cli("create", f"  {ORG} ")
    assert (again.exit_code, again.output) == (0, f"organization {ORG} already exists\n")
    assert count(session_factory, Organization) == 1


@pytest.mark.parametrize(("name", "error"), [
    ("   ", "Error: the organization needs a name\n"),
    ("ก" * 201, "Error: the name is longer than 200 characters\n"),
])
def test_create_refuses_bad_names(cli, session_factory, name, error) -> None:
    result = cli("create", name)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", error)
    assert count(session_factory, Organization) == 0


# --- org import ---------------------------------------------------------------------------------

BANGNA_REPORT = [
    f"imported 38 rows from bangna_communities.csv into {ORG}",
    "ignored columns: ลำดับ",
    "zone networks: 5 created, 0 already there",
    "issue networks: 3 created, 0 already there",
    "communities: 38 created, 0 moved to another zone, 0 unchanged",
    "aliases: 17 added, 1 already known",
    "issue network links: 8 added",
]


def test_import_bangna_38_communities_in_5_zones(cli, org, session_factory) -> None:
    result = cli("import", org, str(BANGNA))
    assert (result.exit_code, result.output.splitlines()) == (0, BANGNA_REPORT)
    with session_factory() as session:
        zones = session.scalars(select(Network).where(Network.kind == NetworkKind.ZONE)).all()
        assert sorted((z.name, len(z.zone_communities)) for z in zones) == [
            ("เครือข่ายโซน 1", 8), ("เครือข่ายโซน 2", 8), ("เครือข่ายโซน 3", 7), ("เครือข่ายโซน 4", 8),
            ("เครือข่ายโซน 5", 7)]
        issues = session.scalars(select(Network).where(Network.kind == NetworkKind.ISSUE)).all()
        assert sorted((n.name, sorted(c.name for c in n.issue_communities)) for n in issues) == [
            ("เครือข่ายผู้สูงอายุ", ["ชุมชนมหาดไทย", "ชุมชนเคหะบางนา"]),
            ("เครือข่ายเฝ้าระวังน้ำท่วม", ["ชุมชนคลองหนองบัว", "ชุมชนคลองเคล็ด", "ชุมชนปากคลองบางนา",
                                          "ชุมชนริมคลองบางนา"]),
            ("เครือข่ายเยาวชน", ["ชุมชนบ้านมั่นคงบางนา", "ชุมชนเคหะบางนา"]),
        ]
        assert session.scalar(select(func.count()).select_from(Community)) == 38
        assert session.scalar(select(func.count()).select_from(Alias)) == 17
        organization = reg.find_organization(session, ORG)
        assert {c.organization_id for c in session.scalars(select(Community))} == {organization.id}


@pytest.mark.parametrize(("typed", "community"), [
    ("ซอยสุขุมวิท 105", "ชุมชนซอยลาซาล"),          # an alias
    ("ลาซาล", "ชุมชนซอยลาซาล"),                    # a second alias of the same community
    ("ซอยสุขุมวิท 101/1", "ชุมชนวชิรธรรมสาธิต"),    # a ';'-separated alias
    ("แฟลตการเคหะบางนา", "ชุมชนเคหะบางนา"),
    ("ชุมชนเทพรัตน์", "ชุมชนเทพรัตน"),              # the other spelling
    ("บางนาตราด 4", "ชุมชนบางนา-ตราด กม.4"),
    ("ชุมชนบ้านวัดบางนานอก", "ชุมชนวัดบางนานอก"),
    ("วัดบางนานอก", "ชุมชนวัดบางนานอก"),            # same as the name without ชุมชน: matched, not stored
])
def test_imported_aliases_are_matched(cli, org, session_factory, typed, community) -> None:
    cli("import", org, str(BANGNA))
    with session_factory() as session:
        assert reg.match_community(session, typed).found.name == community


@pytest.mark.parametrize(("typed", "network"), [
    ("เครือข่ายโซน 1", "เครือข่ายโซน 1"),
    ("โซน 1", "เครือข่ายโซน 1"),          # "เครือข่าย" dropped, as "ชุมชน" is from a community's name
    ("โซน๓", "เครือข่ายโซน 3"),
    ("zone 2", "เครือข่ายโซน 2"),          # English
    ("Network Zone 5", "เครือข่ายโซน 5"),
    ("ผู้สูงอายุ", "เครือข่ายผู้สูงอายุ"),
])
def test_networks_are_matched_without_their_prefix_and_in_english(cli, org, session_factory, typed,
                                                                   network) -> None:
    cli("import", org, str(BANGNA))
    with session_factory() as session:
        assert reg.match_network(session, typed).found.name == network


def test_importing_twice_changes_nothing(cli, org, session_factory) -> None:
    cli("import", org, str(BANGNA))
    before = snapshot(session_factory)
    result = cli("import", org, str(BANGNA))
    assert (result.exit_code, result.output.splitlines()) == (0, [
        f"imported 38 rows from bangna_communities.csv into {ORG}",
        "ignored columns: ลำดับ",
        "zone networks: 0 created, 5 already there",
        "issue networks: 0 created, 3 already there",
        "communities: 0 created, 0 moved to another zone, 38 unchanged",
        "aliases: 0 added, 18 already known",
        "issue network links: 0 added",
    ])
    assert snapshot(session_factory) == before


def test_reimport_adds_new_aliases_and_moves_communities(cli, org, session_factory, tmp_path) -> None:
    first = write(tmp_path, "community,zone,aliases\n"
                            "ชุมชนวัดบางนานอก,โซน 1,ชุมชนบ้านวัดบางนานอก\n"
                            "ชุมชนตลาดบางนา,โซน 1,\n")
    assert cli("import", org, first).exit_code == 0
    second = write(tmp_path, "Community,Zone,Aliases,Issue networks\n"
                             "ชุมชน วัดบางนานอก,โซน 1,ชุมชนบ้านวัดบางนานอก; วัดนอก,เครือข่ายผู้สูงอายุ\n"
                             "ชุมชนตลาดบางนา,โซน 2,ตลาดนัด,\n", name="second.csv")
    result = cli("import", org, second)
    assert (result.exit_code, result.output.splitlines()) == (0, [
        f"imported 2 rows from second.csv into {ORG}",
        "zone networks: 1 created, 1 already there",
        "issue networks: 1 created, 0 already there",
        "communities: 0 created, 1 moved to another zone, 1 unchanged",
        "aliases: 2 added, 1 already known",
        "issue network links: 1 added",
    ])
    with session_factory() as session:
        communities = {c.name: c for c in session.scalars(select(Community))}
        assert sorted(communities) == ["ชุมชนตลาดบางนา", "ชุมชนวัดบางนานอก"]  # the first spelling stays
        assert sorted(a.name for a in communities["ชุมชนวัดบางนานอก"].aliases) == ["ชุมชนบ้านวัดบางนานอก", "วัดนอก"]
        assert communities["ชุมชนตลาดบางนา"].zone.name == "โซน 2"
        assert [n.name for n in communities["ชุมชนวัดบางนานอก"].issue_networks] == ["เครือข่ายผู้สูงอายุ"]


def test_thai_headers_excel_bom_and_semicolons(cli, org, session_factory, tmp_path) -> None:
    path = write(tmp_path, "\ufeffชุมชน,เครือข่าย,ชื่ออื่น\n"
                           "ชุมชนลำปลาทิว,เครือข่ายโซน 3,ลำปลาทิว ; บ้านลำปลาทิว|\n"
                           "\n"
                           ",,\n"
                           "ชุมชนคลองเคล็ด,เครือข่ายโซน 3,\n", encoding="utf-8")
    result = cli("import", org, path)
    assert result.output.splitlines()[0] == f"imported 2 rows from registry.csv into {ORG}"
    with session_factory() as session:
        lam = session.scalars(select(Community).where(Community.name == "ชุมชนลำปลาทิว")).one()
        assert (lam.zone.name, [a.name for a in lam.aliases]) == ("เครือข่ายโซน 3", ["บ้านลำปลาทิว"])


def test_bad_rows_are_listed_and_nothing_is_imported(cli, org, session_factory, tmp_path) -> None:
    path = write(tmp_path, "community,zone,aliases\n"
                           "ชุมชนวัดบางนานอก,โซน 1,\n"
                           ",โซน 1,\n"
                           "ชุมชนตลาดบางนา,,\n"
                           "ชุมชนคลองบางนา,โซน 2,ชุมชนวัดบางนานอก\n"
                           "ชุมชนวัดบางนานอก,โซน 2,\n"
                           "ชุมชน,โซน 2,\n")
    before = snapshot(session_factory)
    result = cli("import", org, path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "line 3: the community name is empty",
        "line 4: the zone is empty (community “ชุมชนตลาดบางนา”)",
        "line 5: “ชุมชนวัดบางนานอก”, given as another name of “ชุมชนคลองบางนา”, is the name of another community",
        "line 6: “ชุมชนวัดบางนานอก” is in zone “โซน 2” here but in “โซน 1” on line 2",
        "line 7: “ชุมชน” is not a community name",
        "Error: nothing imported: 5 problems in registry.csv",
    ]
    assert snapshot(session_factory) == before


def test_names_clashing_with_the_database_are_refused(cli, org, session_factory, tmp_path) -> None:
    cli("import", org, write(tmp_path, "community,zone,aliases,issue_networks\n"
                                       "ชุมชนวัดบางนานอก,โซน 1,วัดนอก,เครือข่ายผู้สูงอายุ\n"))
    before = snapshot(session_factory)
    result = cli("import", org, write(tmp_path, "community,zone,aliases,issue_networks\n"
                                                "วัดนอก,โซน 1,,\n"
                                                "ชุมชนตลาดบางนา,เครือข่ายผู้สูงอายุ,,\n"
                                                "ชุมชนคลองบางนา,โซน 2,วัดนอก,โซน 1\n", name="clash.csv"))
    assert result.stderr.splitlines() == [
        "line 2: “วัดนอก” is already another name of “ชุมชนวัดบางนานอก”",
        "line 3: “เครือข่ายผู้สูงอายุ” is an issue network, not a zone",
        "line 4: “วัดนอก”, given as another name of “ชุมชนคลองบางนา”, already belongs to “ชุมชนวัดบางนานอก”",
        "line 4: “โซน 1” is a zone, not an issue network",
        "Error: nothing imported: 4 problems in clash.csv",
    ]
    assert snapshot(session_factory) == before


@pytest.mark.parametrize(("content", "error"), [
    ("ชุมชน,หมายเหตุ\nชุมชนวัดบางนานอก,-\n",
     "Error: registry.csv needs the columns community and zone (or ชุมชน and โซน); missing zone, found: ชุมชน, หมายเหตุ"),
    ("community,zone\n", "Error: registry.csv has no rows to import"),
    ("", "Error: registry.csv is empty"),
    ("community,ชุมชน,zone\n", "Error: registry.csv: two columns are read as community: community and ชุมชน"),
    ("community,zone\n" + "ก" * 131073 + ",โซน 1\n", "Error: registry.csv line 2: field larger than field limit (131072)"),
])
def test_unreadable_files_give_one_line(cli, org, session_factory, tmp_path, content, error) -> None:
    result = cli("import", org, write(tmp_path, content))
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", error + "\n")
    assert count(session_factory, Community) == 0


def test_a_file_that_is_not_utf8(cli, org, tmp_path) -> None:
    result = cli("import", org, write(tmp_path, "ชุมชน,โซน\nชุมชนวัดบางนานอก,โซน 1\n", encoding="cp874"))
    assert (result.exit_code, result.stderr) == (
        1, "Error: registry.csv is not UTF-8: save it from the spreadsheet as “CSV UTF-8”\n")


def test_unknown_organization(cli, org) -> None:
    result = cli("import", "สำนักงานเขตพระโขนง", str(BANGNA))
    assert (result.exit_code, result.stderr) == (
        1, f"Error: no organization named สำนักงานเขตพระโขนง; known: {ORG}\n")


def test_unknown_organization_when_there_is_none(cli) -> None:
    result = cli("show", ORG)
    assert (result.exit_code, result.stderr) == (
        1, f"Error: no organization named {ORG}; create it first with `org create NAME`\n")


# --- org grant-staff ----------------------------------------------------------------------------

def test_grant_staff_creates_a_person_without_personal_data(cli, org, session_factory, clock) -> None:
    result = cli("grant-staff", org, STAFF_ID)
    assert (result.exit_code, result.output) == (0, f"{STAFF_ID} is now staff of {ORG}\n")
    assert cli("grant-staff", ORG, STAFF_ID).output == f"{STAFF_ID} was already staff of {ORG}\n"
    with session_factory() as session:
        person = session.scalars(select(Person)).one()
        assert (person.line_user_id, person.display_name, person.full_name, person.phone, person.consent_version,
                person.created_at) == (STAFF_ID, None, None, None, None, clock())
        assert [(m.role, m.network_id, m.community_id) for m in person.memberships] == [(RoleName.STAFF, None, None)]


@pytest.mark.parametrize("user_id", [
    "@somchai", "U" + "0" * 31, "U" + "0" * 33, "u" + "0" * 32, "U" + "A" * 32, "C" + "0" * 32, "U" + "g" * 32,
])
def test_grant_staff_checks_the_user_id(cli, org, session_factory, user_id) -> None:
    result = cli("grant-staff", org, user_id)
    assert (result.exit_code, result.stderr) == (1, (
        f"Error: {user_id} is not a LINE user id: that is U and 32 hex digits, as LINE sends it (e.g. “Your user "
        "ID” in the LINE Developers console), not the @ID people type in the LINE app\n"))
    assert count(session_factory, Person) == 0


def test_grant_staff_in_an_unknown_organization_creates_nobody(cli, session_factory) -> None:
    assert cli("grant-staff", ORG, STAFF_ID).exit_code == 1
    assert count(session_factory, Person) == 0


# --- org invite ---------------------------------------------------------------------------------

def test_invite_leader_codes(cli, org, session_factory, clock) -> None:
    cli("import", org, str(BANGNA))
    result = cli("invite", org, "--role", "leader", "--community", "ลาซาล", "--count", "3")
    with session_factory() as session:
        invites = session.scalars(select(InviteCode).order_by(InviteCode.id)).all()
        lasalle = reg.match_community(session, "ชุมชนซอยลาซาล").found
    assert (result.exit_code, result.output.splitlines()) == (0, [
        f"3 invite codes for a leader of ชุมชนซอยลาซาล ({ORG}), each usable once:",
        *[f"{i.code}  expires {EXPIRES}" for i in invites],
        "the person sends “รหัส <code>” (or “join <code>”) to Saiyai in a 1:1 chat",
    ])
    assert len({i.code for i in invites}) == 3
    assert {(i.role, i.community_id, i.network_id, i.expires_at, i.used_at, i.created_by_id) for i in invites} == {
        (RoleName.COMMUNITY_LEADER, lasalle.id, None, clock() + timedelta(days=7), None, None)}


def test_invite_chair_code(cli, org, session_factory) -> None:
    cli("import", org, str(BANGNA))
    result = cli("invite", org, "--role", "chair", "--network", "เครือข่ายโซน 3")
    with session_factory() as session:
        invite = session.scalars(select(InviteCode)).one()
        assert (invite.role, session.get(Network, invite.network_id).name) == (RoleName.NETWORK_CHAIR, "เครือข่ายโซน 3")
    assert result.output.splitlines() == [
        f"1 invite code for the chair of เครือข่ายโซน 3 ({ORG}), each usable once:",
        f"{invite.code}  expires {EXPIRES}",
        "the person sends “รหัส <code>” (or “join <code>”) to Saiyai in a 1:1 chat",
    ]


@pytest.mark.parametrize(("args", "error"), [
    (["--role", "leader"], "--role leader needs --community NAME (and no --network)"),
    (["--role", "leader", "--community", "ลาซาล", "--network", "เครือข่ายโซน 2"],
     "--role leader needs --community NAME (and no --network)"),
    (["--role", "chair", "--community", "ลาซาล"], "--role chair needs --network NAME (and no --community)"),
    (["--role", "leader", "--community", "วัดบางนา"],
     f"no community named วัดบางนา in {ORG}; did you mean: ชุมชนวัดบางนาใน, ชุมชนวัดบางนานอก, ชุมชนตลาดบางนา"),
    (["--role", "leader", "--community", "Ampawa"], f"no community named Ampawa in {ORG}"),
    # "โซน 3" finds เครือข่ายโซน 3 (test_networks_are_matched_...); "โซน" alone could be any of five.
    (["--role", "chair", "--network", "โซน"],
     f"no network named โซน in {ORG}; did you mean: เครือข่ายโซน 1, เครือข่ายโซน 2, เครือข่ายโซน 3"),
])
def test_invite_mistakes_create_nothing(cli, org, session_factory, args, error) -> None:
    cli("import", org, str(BANGNA))
    result = cli("invite", org, *args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {error}\n")
    assert count(session_factory, InviteCode) == 0


def test_invite_count_is_bounded(cli, org, session_factory) -> None:
    cli("import", org, str(BANGNA))
    result = cli("invite", org, "--role", "leader", "--community", "ลาซาล", "--count", "51")
    assert result.exit_code == 2  # click's usage error, also a single message
    assert result.stderr.splitlines()[-1] == "Error: Invalid value for '--count': 51 is not in the range 1<=x<=50."
    assert count(session_factory, InviteCode) == 0


# --- org show -----------------------------------------------------------------------------------

def test_show(cli, session_factory, clock) -> None:
    with session_factory() as session, session.begin():
        district = seed_district(session, clock())
        reg.create_invite(session, RoleName.COMMUNITY_LEADER, district.org.id, now=clock(),
                          community=session.get(Community, district.market.id))
    result = cli("show", ORG)
    assert (result.exit_code, result.output.splitlines()) == (0, [
        ORG,
        "networks: 3 (2 zone, 1 other); communities: 3; people: 6; open invite codes: 1",
        "roles: staff 1, network_chair 1, community_leader 2, member 6, partner 1",
        "zone เครือข่ายโซน 1: 2 communities",
        "  ชุมชนตลาดบางนา: 0 people",
        "  ชุมชนวัดบางนา (also วัดบางนานอก): 5 people",
        "zone เครือข่ายโซน 2: 1 community",
        "  ชุมชนคลองบางนา: 1 person",
        "issue เครือข่ายผู้สูงอายุ: 1 community",
        "  ชุมชนคลองบางนา",
    ])
