from django.urls import path

from konten.views import account, organisations, pages

app_name = "konten"

urlpatterns = [
    path("", pages.home, name="home"),
    path("barrierefreiheit/", pages.accessibility, name="accessibility"),
    path("leichte-sprache/", pages.easy_language, name="easy_language"),
    path("impressum/", pages.imprint, name="imprint"),
    path("datenschutz/", pages.privacy, name="privacy"),
    path("organisationen/", organisations.organisation_list, name="organisation_list"),
    path("organisationen/neu/", organisations.organisation_create, name="organisation_create"),
    path(
        "organisationen/<slug:slug>/",
        organisations.organisation_detail,
        name="organisation_detail",
    ),
    path(
        "organisationen/<slug:slug>/bearbeiten/",
        organisations.organisation_edit,
        name="organisation_edit",
    ),
    path(
        "organisationen/<slug:slug>/mitglieder/",
        organisations.organisation_members,
        name="organisation_members",
    ),
    path(
        "organisationen/<slug:slug>/mitglieder/<int:membership_id>/rolle/",
        organisations.membership_role,
        name="membership_role",
    ),
    path(
        "organisationen/<slug:slug>/mitglieder/<int:membership_id>/entfernen/",
        organisations.membership_remove,
        name="membership_remove",
    ),
    path(
        "organisationen/<slug:slug>/einladungen/<int:invitation_id>/zurueckziehen/",
        organisations.invitation_revoke,
        name="invitation_revoke",
    ),
    path("einladung/<str:token>/", organisations.invitation_accept, name="invitation_accept"),
    path("konto/", account.dashboard, name="dashboard"),
    path("konto/profil/", account.profile, name="profile"),
    path("konto/daten.json", account.data_export, name="data_export"),
    path("konto/loeschen/", account.account_delete, name="account_delete"),
]
