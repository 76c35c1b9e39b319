import datetime

import factory
from allauth.account.models import EmailAddress
from django.utils.text import slugify

from konten.models import Membership, Organisation, User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Faker("name", locale="de_DE")
    language = "de"

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """Users made by the factory have a confirmed address, as allauth's mandatory verification
        would leave them; pass ``verified=False`` for one who has not confirmed yet."""
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Verein {n} Meißen e.V.")
    slug = factory.LazyAttribute(lambda o: slugify(o.name)[:80])
    description = "Ein Verein im Netzwerk."
    contact_email = factory.LazyAttribute(lambda o: f"kontakt@{o.slug}.example.org")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.MEMBER


class ResourceFactory(factory.django.DjangoModelFactory):
    """A room open to the whole network, confirmed without approval, with no fixed opening hours."""

    class Meta:
        model = "ressourcen.Resource"
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    kind = "room"
    name = factory.Sequence(lambda n: f"Saal {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    description = "Ein heller Raum."
    capacity = 20

    @factory.post_generation
    def features(self, create, extracted, **kwargs):
        """``features=["aufzug", …]``: slugs of seeded features."""
        if create and extracted:
            from ressourcen.models import Feature

            self.features.set(Feature.objects.filter(slug__in=extracted))


class OpeningHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ressourcen.OpeningHours"

    resource = factory.SubFactory(ResourceFactory)
    weekday = 1
    start = datetime.time(9, 0)
    end = datetime.time(22, 0)


class BookingFactory(factory.django.DjangoModelFactory):
    """A confirmed booking written straight to the table — for setting the scene, not for testing the
    rules (those go through ``buchungen.services.booking_request``). Pass ``start`` (aware); the end is
    two hours later and the blocked interval takes the resource's current buffers, as the service would."""

    class Meta:
        model = "buchungen.Booking"

    resource = factory.SubFactory(ResourceFactory)
    organisation = factory.LazyAttribute(lambda o: o.resource.organisation)
    booked_by = factory.SubFactory(UserFactory)
    start = factory.LazyFunction(
        lambda: (
            datetime.datetime.now(datetime.UTC).replace(minute=0, second=0, microsecond=0)
            + datetime.timedelta(days=7)
        )
    )
    end = factory.LazyAttribute(lambda o: o.start + datetime.timedelta(hours=2))
    blocked_start = factory.LazyAttribute(
        lambda o: o.start - datetime.timedelta(minutes=o.resource.buffer_before_minutes)
    )
    blocked_end = factory.LazyAttribute(
        lambda o: o.end + datetime.timedelta(minutes=o.resource.buffer_after_minutes)
    )
    quantity = 1
    purpose = "Probe"
    status = "confirmed"
    exclusive = factory.LazyAttribute(lambda o: o.resource.is_exclusive)
