"""CSV import: each problem with line and column; nothing written unless the whole file is fine."""

import base64
import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ressourcen import csv_import, services
from ressourcen.models import Resource
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db

HEADER = "kind;name;capacity;quantity;holder_email;features;requires_approval"


def csv_text(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def import_url(org) -> str:
    return reverse("ressourcen:resource_import", kwargs={"org_slug": org.slug})


def upload(text: str, *, encoding: str = "utf-8", name: str = "ressourcen.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def problems_of(parsed: csv_import.ParseResult) -> list[tuple]:
    return [(p.line, p.column) for row in parsed.rows for p in row.problems] + [
        (p.line, p.column) for p in parsed.problems
    ]


# --- parsing --------------------------------------------------------------------------------------------


def test_semicolons_commas_and_a_bom_are_all_read(org_a):
    for text in (
        "\ufeff" + csv_text("room;Saal;80;;;;ja"),
        csv_text("room,Saal,80,,,,ja", header=HEADER.replace(";", ",")),
    ):
        parsed = csv_import.parse(text, organisation=org_a)
        assert not parsed.problems
        [row] = parsed.rows
        assert row.data == {"kind": "room", "name": "Saal", "capacity": 80, "requires_approval": True}
        assert not row.problems


def test_values_become_model_values(org_a, member_a):
    text = (
        "kind;name;area_m2;condition;audience;holder_email;languages;features;lead_time_hours\n"
        "room;Saal;45,5;;öffentlich;;;stufenloser-zugang|aufzug;48\n"
        "equipment;Beamer;;gut;network;;;beamer;\n"
        f"skill;Moderation;;;organisation;{member_a.email.upper()};Deutsch;;\n"
    )
    parsed = csv_import.parse(text, organisation=org_a)
    room, beamer, skill = parsed.rows
    assert str(room.data["area_m2"]) == "45.5"
    assert room.data["audience"] == "public"
    assert room.data["lead_time_hours"] == 48
    assert [f.slug for f in room.features] == ["stufenloser-zugang", "aufzug"]
    assert beamer.data["condition"] == "good"
    assert skill.data["holder"] == member_a
    assert not any(row.problems for row in parsed.rows)


def test_a_quoted_cell_with_a_line_break_stays_one_line(org_a):
    text = 'kind;name;description;capacity\nroom;Saal;"Erste Zeile\nzweite Zeile";x\n'
    parsed = csv_import.parse(text, organisation=org_a)
    assert problems_of(parsed) == [(2, "capacity")]
    assert parsed.rows[0].data["description"] == "Erste Zeile\nzweite Zeile"


def test_blank_lines_are_skipped_but_counted(org_a):
    parsed = csv_import.parse(csv_text("room;Saal;1;;;;", "", "room;Foyer;x;;;;"), organisation=org_a)
    assert [row.line for row in parsed.rows] == [2, 4]
    assert problems_of(parsed) == [(4, "capacity")]


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("room;Saal;-3;;;;", "capacity"),
        ("room;Saal;zwanzig;;;;", "capacity"),
        ("castle;Burg;;;;;", "kind"),
        ("room;Saal;;;;;vielleicht", "requires_approval"),
        ("room;Saal;;;;stufenloser-zugang|fahrstuhl;", "features"),
        ("room;Saal;;3;;;", "quantity"),
        ("equipment;Beamer;20;;;;", "capacity"),
        ("room;Saal;20;;;", None),  # one column short
        ("room;Saal;20;;;;;;", None),  # too many columns
    ],
    ids=[
        "negative-number",
        "not-a-number",
        "unknown-kind",
        "bad-yes-no",
        "unknown-feature",
        "quantity-on-a-room",
        "capacity-on-equipment",
        "too-few-columns",
        "too-many-columns",
    ],
)
def test_broken_cells_are_found_with_line_and_column(org_a, line, column):
    parsed = csv_import.parse(csv_text("room;Foyer;10;;;;", line), organisation=org_a)
    assert problems_of(parsed) == [(3, column)]


def test_holder_must_be_a_member_of_the_organisation(org_a, member_b):
    parsed = csv_import.parse(
        csv_text(f"skill;Moderation;;;{member_b.email};;", "skill;Übersetzen;;;niemand@example.org;;"),
        organisation=org_a,
    )
    assert problems_of(parsed) == [(2, "holder_email"), (3, "holder_email")]


def test_a_name_twice_in_the_file_or_already_taken_is_refused(org_a):
    ResourceFactory(organisation=org_a, name="Werkstatt")
    parsed = csv_import.parse(
        csv_text("room;Saal;;;;;", "room;saal ;;;;;", "room;Werkstatt;;;;;"), organisation=org_a
    )
    assert problems_of(parsed) == [(3, "name"), (4, "name")]
    assert "2" in parsed.rows[1].problems[0].message


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "kind;name\n",  # header only
        "name;capacity\nSaal;3\n",  # kind missing
        "kind;name;colour\nroom;Saal;rot\n",  # unknown column
        "kind;name;name\nroom;Saal;Saal\n",  # column twice
    ],
    ids=["empty", "blank-lines", "header-only", "required-column-missing", "unknown-column", "column-twice"],
)
def test_file_problems_stop_before_the_rows(org_a, text):
    parsed = csv_import.parse(text, organisation=org_a)
    assert parsed.problems
    assert not parsed.rows


def test_too_many_rows_are_refused(org_a):
    lines = [f"room;Raum {i}" for i in range(csv_import.MAX_ROWS + 1)]
    parsed = csv_import.parse(csv_text(*lines, header="kind;name"), organisation=org_a)
    assert parsed.problems and not parsed.rows


def test_a_file_that_is_not_utf8_gets_a_clear_message():
    with pytest.raises(csv_import.ImportFileError, match="UTF-8"):
        csv_import.decode("kind;name\nroom;Große Halle\n".encode("cp1252"))


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(csv_import.ImportFileError):
        csv_import.decode(b"x" * (csv_import.MAX_BYTES + 1))


# --- the service ----------------------------------------------------------------------------------------


def test_dry_run_checks_everything_and_writes_nothing(manager_a, org_a, member_a):
    parsed = csv_import.parse(
        csv_text("room;Saal;80;;;induktionsschleife;", f"skill;Moderation;;;{member_a.email};;ja"),
        organisation=org_a,
    )
    result = services.resources_import_csv(
        actor=manager_a, organisation=org_a, rows=parsed.rows, dry_run=True
    )
    assert not result.problems and not result.imported
    assert [resource.name for _row, resource in result.created] == ["Saal", "Moderation"]
    assert not Resource.objects.exists()


def test_import_writes_all_rows(manager_a, org_a):
    parsed = csv_import.parse(
        csv_text("room;Saal;80;;;induktionsschleife;", "equipment;Beamer;;2;;beamer;"), organisation=org_a
    )
    result = services.resources_import_csv(
        actor=manager_a, organisation=org_a, rows=parsed.rows, dry_run=False
    )
    assert result.imported
    saal = Resource.objects.get(name="Saal")
    assert (saal.organisation, saal.capacity) == (org_a, 80)
    assert list(saal.features.values_list("slug", flat=True)) == ["induktionsschleife"]
    assert Resource.objects.get(name="Beamer").quantity == 2


def test_model_rules_are_reported_per_line_and_nothing_is_written(manager_a, org_a):
    text = (
        "kind;name;min_duration_minutes;max_duration_minutes;max_advance_days;holder_email\n"
        "room;Saal;30;60;30;\n"
        "room;Foyer;120;60;30;\n"  # minimum above maximum
        "room;Garten;30;60;0;\n"  # at least one day ahead
        "skill;Moderation;30;60;30;\n"  # no holder
    )
    parsed = csv_import.parse(text, organisation=org_a)
    result = services.resources_import_csv(
        actor=manager_a, organisation=org_a, rows=parsed.rows, dry_run=False
    )
    assert not result.imported
    assert [(p.line, p.column) for p in result.problems] == [
        (3, "max_duration_minutes"),
        (4, "max_advance_days"),
        (5, "holder_email"),
    ]
    assert not Resource.objects.exists()


def test_only_managers_of_the_organisation_import(manager_b, org_a):
    parsed = csv_import.parse(csv_text("room;Saal;;;;;"), organisation=org_a)
    with pytest.raises(services.PermissionDenied):
        services.resources_import_csv(actor=manager_b, organisation=org_a, rows=parsed.rows, dry_run=False)
    assert not Resource.objects.exists()


# --- the pages ------------------------------------------------------------------------------------------


def test_check_lists_every_problem_and_writes_nothing(client, manager_a, org_a):
    client.force_login(manager_a)
    text = csv_text(
        "room;Saal;80;;;;",
        "room;Foyer;-4;;;;",
        "castle;Burg;;;;;",
        "room;Saal;10;;;fahrstuhl;",
        "skill;Moderation;;;nobody@example.org;;",
        "room;Kurz;1;;;",
    )
    response = client.post(import_url(org_a), {"file": upload(text)})
    assert response.status_code == 400
    problems = [(p.line, p.column) for p in response.context["problems"]]
    assert problems == [
        (3, "capacity"),
        (4, "kind"),
        (5, "name"),
        (5, "features"),
        (6, "holder_email"),
        (7, None),
    ]
    content = response.content.decode()
    assert 'role="alert"' in content
    assert "confirm_form" not in response.context
    assert not Resource.objects.exists()


def test_check_shows_a_preview_then_import_creates_everything(client, manager_a, org_a, member_a):
    client.force_login(manager_a)
    text = csv_text("room;Saal;80;;;stufenloser-zugang;ja", f"skill;Moderation;;;{member_a.email};;nein")
    checked = client.post(import_url(org_a), {"file": upload(text)})
    assert checked.status_code == 200
    assert [resource.name for _row, resource in checked.context["preview"]] == ["Saal", "Moderation"]
    assert not Resource.objects.exists()

    content = checked.context["confirm_form"].initial["content"]
    assert base64.b64decode(content).decode() == text
    imported = client.post(import_url(org_a), {"content": content})
    assert imported.status_code == 302
    assert imported.url == reverse("ressourcen:organisation_resources", kwargs={"org_slug": org_a.slug})
    assert set(Resource.objects.filter(organisation=org_a).values_list("name", flat=True)) == {
        "Saal",
        "Moderation",
    }


def test_import_checks_the_file_again(client, manager_a, org_a):
    """A tampered (or meanwhile outdated) file posted to the import step is refused as a whole."""
    client.force_login(manager_a)
    ResourceFactory(organisation=org_a, name="Saal")  # created after the check
    content = base64.b64encode(csv_text("room;Foyer;10;;;;", "room;Saal;80;;;;").encode()).decode()
    response = client.post(import_url(org_a), {"content": content})
    assert response.status_code == 400
    assert [(p.line, p.column) for p in response.context["problems"]] == [(3, "name")]
    assert list(Resource.objects.values_list("name", flat=True)) == ["Saal"]


def test_garbled_import_content_is_refused(client, manager_a, org_a):
    client.force_login(manager_a)
    response = client.post(import_url(org_a), {"content": "not base64 at all!"})
    assert response.status_code == 400
    assert response.context["problems"]
    assert not Resource.objects.exists()


def test_a_file_in_the_wrong_encoding_is_a_form_error(client, manager_a, org_a):
    client.force_login(manager_a)
    response = client.post(
        import_url(org_a), {"file": upload(csv_text("room;Große Halle;;;;;"), encoding="cp1252")}
    )
    assert response.status_code == 400
    assert "file" in response.context["upload_form"].errors
    assert not Resource.objects.exists()


def test_no_file_is_a_form_error(client, manager_a, org_a):
    client.force_login(manager_a)
    response = client.post(import_url(org_a), {})
    assert response.status_code == 400
    assert "file" in response.context["upload_form"].errors


def test_template_is_utf8_with_bom_and_imports_cleanly(client, manager_a, org_a):
    client.force_login(manager_a)
    response = client.get(reverse("ressourcen:resource_import_template", kwargs={"org_slug": org_a.slug}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert tuple(rows[0]) == csv_import.COLUMNS
    assert [row[0] for row in rows[1:]] == ["room", "equipment", "skill"]
    # The template as downloaded (the skill held by the manager) checks without a problem.
    checked = client.post(import_url(org_a), {"file": SimpleUploadedFile("v.csv", response.content)})
    assert checked.status_code == 200, checked.context["problems"]
    assert len(checked.context["preview"]) == 3
    assert not Resource.objects.exists()


def test_member_cannot_import(client, member_a, org_a):
    client.force_login(member_a)
    response = client.post(import_url(org_a), {"file": upload(csv_text("room;Saal;;;;;"))})
    assert response.status_code == 403
    assert not Resource.objects.exists()
