"""CSV import of resources for an organisation's managers: check (dry run), then import — all or nothing.

Step 1 ("Check") reads the uploaded file and runs every row through the import service in a transaction
that is rolled back: the page lists every problem with its line and column, or a preview. Step 2
("Import") posts the same file back (base64 in a hidden field, so nothing is kept on the server between
the steps) and the service reads and checks it once more before it writes anything.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from ressourcen import csv_import, services
from ressourcen.forms_manage import CsvConfirmForm, CsvUploadForm
from ressourcen.models import Feature, Resource
from ressourcen.views.manage import organisation_for

TEMPLATE_FILENAME = "ressourcen-import-vorlage.csv"


@login_required
@require_http_methods(["GET", "POST"])
def resource_import(request, org_slug: str):
    organisation = organisation_for(request.user, org_slug, "ressourcen.add_resource")
    upload_form = CsvUploadForm()
    context = {
        "organisation": organisation,
        "upload_form": upload_form,
        "features": Feature.objects.order_by("category", "position", "name"),
        "kinds": Resource.Kind.choices,
        "audiences": Resource.Audience.choices,
        "conditions": Resource.Condition.choices,
        "max_rows": csv_import.MAX_ROWS,
        "checked": False,
    }
    if request.method == "GET":
        return render(request, "ressourcen/manage/import.html", context)

    confirming = "content" in request.POST
    if confirming:
        form = CsvConfirmForm(request.POST)
    else:
        form = upload_form = CsvUploadForm(request.POST, request.FILES)
    context["upload_form"] = upload_form
    if not form.is_valid():
        if confirming:
            context["problems"] = [
                services.ImportProblem(None, None, message) for message in form.errors["content"]
            ]
            context["checked"] = True
        return render(request, "ressourcen/manage/import.html", context, status=400)

    text = form.cleaned_data["content" if confirming else "file"]
    parsed = csv_import.parse(text, organisation=organisation)
    context["checked"] = True
    if parsed.problems:
        context["problems"] = parsed.problems
        return render(request, "ressourcen/manage/import.html", context, status=400)

    result = services.resources_import_csv(
        actor=request.user, organisation=organisation, rows=parsed.rows, dry_run=not confirming
    )
    if result.imported:
        messages.success(
            request,
            ngettext(
                "One resource has been imported.",
                "%(count)s resources have been imported.",
                len(result.created),
            )
            % {"count": len(result.created)},
        )
        return redirect("ressourcen:organisation_resources", org_slug=organisation.slug)
    context["problems"] = result.problems
    if not result.problems:
        context["preview"] = result.created
        context["confirm_form"] = CsvConfirmForm(initial={"content": CsvConfirmForm.encode(text)})
    return render(request, "ressourcen/manage/import.html", context, status=400 if result.problems else 200)


@login_required
@require_GET
def resource_import_template(request, org_slug: str):
    """Header and one example row per kind; with a BOM, so Excel reads the umlauts as UTF-8."""
    organisation_for(request.user, org_slug, "ressourcen.add_resource")
    body = "\ufeff" + csv_import.template_csv(holder_email=request.user.email)
    response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_FILENAME}"'
    return response
