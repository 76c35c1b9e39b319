from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from konten import services
from konten.models import Invitation, Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def invite(actor, organisation, email="neu@example.org", role=Membership.Role.MEMBER):
    return services.invitation_create(actor=actor, organisation=organisation, email=email, role=role)


def test_manager_invites_and_the_mail_carries_a_working_link(
    manager_a, org_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = invite(manager_a, org_a, email="Neu@Example.org")
    assert invitation.email == "neu@example.org"
    assert invitation.token_hash != token  # only the hash is stored
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["neu@example.org"]
    assert "Hafenstraße" in message.subject
    assert reverse("konten:invitation_accept", kwargs={"token": token}) in message.body
    html = message.alternatives[0][0]
    assert reverse("konten:invitation_accept", kwargs={"token": token}) in html


def test_member_cannot_invite(member_a, org_a):
    with pytest.raises(PermissionDenied):
        invite(member_a, org_a)
    assert not Invitation.objects.exists()


def test_manager_cannot_invite_into_other_organisation(manager_a, org_b):
    with pytest.raises(PermissionDenied):
        invite(manager_a, org_b)
    assert not Invitation.objects.exists()


def test_coordinator_may_invite_into_any_organisation(coordinator, org_b):
    invitation, _token = invite(coordinator, org_b, role=Membership.Role.MANAGER)
    assert invitation.role == Membership.Role.MANAGER


def test_existing_member_is_not_invited_again(manager_a, member_a, org_a):
    with pytest.raises(ValidationError) as error:
        invite(manager_a, org_a, email=member_a.email.upper())
    assert "gehört bereits zu dieser Organisation" in str(error.value)
    assert not Invitation.objects.exists()


def test_new_invitation_replaces_the_pending_one(manager_a, org_a, outsider):
    first, first_token = invite(manager_a, org_a)
    _second, second_token = invite(manager_a, org_a)
    first.refresh_from_db()
    assert first.revoked_at is not None
    with pytest.raises(ValidationError) as error:
        services.invitation_accept(token=first_token, user=outsider)
    assert error.value.code == "revoked"
    membership = services.invitation_accept(token=second_token, user=outsider)
    assert membership.organisation == org_a


def test_accepting_creates_membership_with_invited_role(manager_a, org_a, outsider):
    invitation, token = invite(manager_a, org_a, role=Membership.Role.MANAGER)
    membership = services.invitation_accept(token=token, user=outsider)
    assert membership.role == Membership.Role.MANAGER
    invitation.refresh_from_db()
    assert invitation.accepted_by == outsider
    assert invitation.accepted_at is not None


def test_invitation_token_is_single_use(manager_a, org_a, outsider):
    _invitation, token = invite(manager_a, org_a)
    services.invitation_accept(token=token, user=outsider)
    someone_else = UserFactory()
    with pytest.raises(ValidationError) as error:
        services.invitation_accept(token=token, user=someone_else)
    assert error.value.code == "used"
    assert not Membership.objects.filter(user=someone_else).exists()


def test_expired_invitation_is_refused(manager_a, org_a, outsider):
    invitation, token = invite(manager_a, org_a)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError) as error:
        services.invitation_accept(token=token, user=outsider)
    assert error.value.code == "expired"
    assert not Membership.objects.filter(user=outsider).exists()


def test_unknown_token_is_refused(outsider):
    with pytest.raises(ValidationError) as error:
        services.invitation_accept(token="not-a-token", user=outsider)
    assert error.value.code == "invalid"


def test_member_accepting_again_changes_nothing(manager_a, member_a, org_a):
    # Invited under another address, then accepted by someone who is already a member.
    _invitation, token = invite(manager_a, org_a, email="zweitadresse@example.org")
    with pytest.raises(ValidationError) as error:
        services.invitation_accept(token=token, user=member_a)
    assert error.value.code == "already_member"
    assert Membership.objects.filter(user=member_a).count() == 1
    assert Invitation.objects.get().accepted_at is None


def test_revoked_invitation_cannot_be_used(manager_a, org_a, outsider):
    invitation, token = invite(manager_a, org_a)
    services.invitation_revoke(actor=manager_a, invitation=invitation)
    with pytest.raises(ValidationError):
        services.invitation_accept(token=token, user=outsider)


# --- through the pages ---------------------------------------------------------------------------


def test_invitation_page_for_visitor_offers_signup_and_remembers_token(client, manager_a, org_a):
    _invitation, token = invite(manager_a, org_a)
    response = client.get(reverse("konten:invitation_accept", kwargs={"token": token}))
    assert response.status_code == 200
    assert reverse("account_signup") in response.content.decode()
    assert client.session["pending_invitation_token"] == token


def test_logged_in_person_accepts_invitation_by_post(client, manager_a, org_a, outsider):
    _invitation, token = invite(manager_a, org_a)
    client.force_login(outsider)
    url = reverse("konten:invitation_accept", kwargs={"token": token})
    assert client.get(url).status_code == 200
    assert not Membership.objects.filter(user=outsider).exists()  # GET changes nothing
    response = client.post(url)
    assert response.status_code == 302
    assert response.url == org_a.get_absolute_url()
    assert Membership.objects.filter(user=outsider, organisation=org_a).exists()


@pytest.mark.parametrize(("state", "status"), [("used", 410), ("expired", 410), ("invalid", 404)])
def test_unusable_invitation_page_says_why(client, manager_a, org_a, outsider, state, status):
    invitation, token = invite(manager_a, org_a)
    if state == "used":
        services.invitation_accept(token=token, user=UserFactory())
    elif state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    else:
        token = "unknown-token"
    client.force_login(outsider)
    response = client.post(reverse("konten:invitation_accept", kwargs={"token": token}))
    assert response.status_code in {status, 409}
    assert not Membership.objects.filter(user=outsider).exists()
    page = client.get(reverse("konten:invitation_accept", kwargs={"token": token}))
    assert page.status_code == status
    assert "Diese Einladung kann nicht verwendet werden" in page.content.decode()


def test_members_page_invite_form_shows_error_for_bad_email(client, manager_a, org_a):
    client.force_login(manager_a)
    response = client.post(
        reverse("konten:organisation_members", kwargs={"slug": org_a.slug}),
        {"email": "not-an-address", "role": "member"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    assert not Invitation.objects.exists()


def test_members_page_invite_form_sends_invitation(
    client, manager_a, org_a, django_capture_on_commit_callbacks
):
    client.force_login(manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("konten:organisation_members", kwargs={"slug": org_a.slug}),
            {"email": "neu@example.org", "role": "manager"},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("neu@example.org", "manager")
    assert mail.outbox[-1].to == ["neu@example.org"]


def test_member_cannot_post_invitations_through_the_page(client, member_a, org_a):
    client.force_login(member_a)
    response = client.post(
        reverse("konten:organisation_members", kwargs={"slug": org_a.slug}),
        {"email": "neu@example.org", "role": "member"},
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_signup_through_invitation_link_returns_to_the_invitation(
    client, manager_a, org_a, django_capture_on_commit_callbacks
):
    _invitation, token = invite(manager_a, org_a)
    accept_url = reverse("konten:invitation_accept", kwargs={"token": token})
    client.get(accept_url)  # remembers the token in the session
    client.post(
        reverse("account_signup"),
        {
            "email": "neu@example.org",
            "password1": "ein sicheres Passwort 42",
            "password2": "ein sicheres Passwort 42",
        },
    )
    link = next(w for w in mail.outbox[-1].body.split() if "/accounts/confirm-email/" in w)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link.split("testserver", 1)[1])
    assert response.status_code == 302
    assert response.url == accept_url


def test_login_with_pending_invitation_returns_to_it(client, manager_a, org_a, outsider, password):
    _invitation, token = invite(manager_a, org_a)
    accept_url = reverse("konten:invitation_accept", kwargs={"token": token})
    client.get(accept_url)
    response = client.post(reverse("account_login"), {"login": outsider.email, "password": password})
    assert response.url == accept_url
