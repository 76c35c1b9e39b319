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
