"""Notifications in the admin: the coordinator reads them, finds the failed ones by filter and sends them
again ("Send again" → ``notifications.resend`` → queued → delivered; the locmem outbox receives it).
Nobody else gets in; nothing is edited there."""

import pytest
from django.urls import reverse

from buchungen.models import DeliveryState, Notification
from tests.buchungen.test_notification_centre import make_notification
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:buchungen_notification_changelist")


@pytest.fixture(autouse=True)
def _english(coordinator):
    """Admin messages are asserted in English: the profile language decides the page's."""
    coordinator.language = "en"
    coordinator.save(update_fields=["language"])


@pytest.fixture
def booking(room, member_b, org_b):
    return BookingFactory(resource=room, organisation=org_b, booked_by=member_b)


def _with_state(notification: Notification, state: str, error: str = "") -> Notification:
    Notification.objects.filter(pk=notification.pk).update(
        email_state=state, email_attempts=8 if state == DeliveryState.FAILED else 1, email_error=error
    )
    notification.refresh_from_db()
    return notification


@pytest.fixture
def failed(member_b, booking):
    return _with_state(
        make_notification(member_b, "confirmed", booking=booking),
        DeliveryState.FAILED,
        "SMTPServerDisconnected: Connection unexpectedly closed",
    )


@pytest.fixture
def sent(manager_a, booking):
    return _with_state(make_notification(manager_a, "approval_needed", booking=booking), DeliveryState.SENT)


def _send_again(client, *rows):
    return client.post(
        CHANGELIST,
        {"action": "send_again", "_selected_action": [row.pk for row in rows], "index": 0},
        follow=True,
    )


def test_the_coordinator_finds_the_failed_ones(client, coordinator, failed, sent):
    client.force_login(coordinator)
    response = client.get(CHANGELIST, {"email_state__exact": "failed"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [failed]
    assert "SMTPServerDisconnected" in response.content.decode()  # the last error in the list
    everything = client.get(CHANGELIST)
    assert set(everything.context["cl"].result_list) == {failed, sent}
    assert client.get(CHANGELIST, {"kind__exact": "approval_needed"}).context["cl"].result_list[0] == sent


def test_the_coordinator_reads_but_does_not_edit(client, coordinator, failed):
    client.force_login(coordinator)
    response = client.get(reverse("admin:buchungen_notification_change", args=[failed.pk]))

    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert client.get(reverse("admin:buchungen_notification_add")).status_code == 403
    delete = reverse("admin:buchungen_notification_delete", args=[failed.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Notification.objects.filter(pk=failed.pk).exists()


def test_send_again_delivers_a_failed_message(
    client, coordinator, failed, member_b, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = _send_again(client, failed)

    assert response.status_code == 200
    assert "1 message is queued to be sent again." in response.content.decode()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [member_b.email]
    failed.refresh_from_db()
    assert failed.email_state == DeliveryState.SENT
    assert failed.email_attempts == 1
    assert failed.email_error == ""


def test_send_again_leaves_waiting_and_sending_ones_alone(
    client,
    coordinator,
    failed,
    member_b,
    booking,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    sending = _with_state(make_notification(member_b, "confirmed", booking=booking, sequence=1), "sending")
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = _send_again(client, failed, sending)

    html = response.content.decode()
    assert "1 message is queued to be sent again." in html
    assert "1 message is waiting to be sent or being sent already; it was left alone." in html
    assert len(mailoutbox) == 1
    sending.refresh_from_db()
    assert sending.email_state == DeliveryState.SENDING and sending.email_attempts == 1


def test_managers_cannot_send_again(
    client, manager_a, failed, mailoutbox, django_capture_on_commit_callbacks
):
    manager_a.is_staff = True
    manager_a.save()
    client.force_login(manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGELIST, {"action": "send_again", "_selected_action": [failed.pk], "index": 0}
        )

    assert response.status_code in (302, 403)
    assert client.get(CHANGELIST).status_code in (302, 403)
    failed.refresh_from_db()
    assert failed.email_state == DeliveryState.FAILED
    assert mailoutbox == []


def test_resend_is_the_coordinators(manager_a, failed):
    """The service checks the permission itself, not only the admin action."""
    from django.core.exceptions import PermissionDenied

    from buchungen import notifications

    with pytest.raises(PermissionDenied):
        notifications.resend(actor=manager_a, notification=failed)
    failed.refresh_from_db()
    assert failed.email_state == DeliveryState.FAILED
