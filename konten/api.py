"""REST API for people and organisations: token login, ``me`` and organisations (API.md).

The first half holds the small pieces every app's API uses (error documentation, the rules-based
permission class); they live here because ``konten`` is the app all others may import.

Views stay thin: serializers check the shape of the input, services check permissions and rules and
write, ``user.has_perm`` (konten/rules.py) decides what a caller may see.
"""

from collections.abc import Iterable

from allauth.account import app_settings as allauth_settings
from allauth.account.utils import has_verified_email
from django.contrib.auth import authenticate
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from konten import selectors, services
from konten.models import Membership, Organisation, User
from konten.serialization import PlainColumnsMixin

# --- Shared API pieces ------------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


# Field errors as the exception handler (config/exceptions.py) writes them; ``detail`` appears instead
# when the body cannot be read at all (not JSON).
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"field": ["This field is required."], "non_field_errors": ["…"]},
}

_ERROR_DESCRIPTIONS = {
    400: "Invalid input: one list of messages per field (`non_field_errors` for the whole object).",
    401: "Not logged in, or the token is invalid. Send `Authorization: Token <token>`.",
    403: "Logged in, but not allowed to do this.",
    404: "Not found, or not visible to the caller.",
    429: "Too many requests; try again after `Retry-After` seconds.",
}


# Public endpoints answer anonymous callers too; spectacular cannot see that through the rules
# permission class, so they say it explicitly (the empty requirement means "no login").
OPTIONAL_AUTH = [{"cookieAuth": []}, {"tokenAuth": []}, {}]


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI documentation of the error answers an endpoint gives, for ``extend_schema``."""
    return {
        code: OpenApiResponse(
            response=VALIDATION_ERROR_SCHEMA if code == 400 else ErrorDetailSerializer,
            description=_ERROR_DESCRIPTIONS[code],
        )
        for code in codes
    }


class RulesActionPermission(BasePermission):
    """Asks konten/rules.py (``user.has_perm``) before a viewset action runs.

    The view maps every action to a permission name, or to ``None`` for actions open to anyone (public
    data). An action missing from the map is refused, so a new action cannot slip through unchecked.
    Actions on one object are checked against that object once the view has loaded it.
    """

    # No action: the method has no handler and gets 405. ``metadata`` answers OPTIONS (the schema is
    # public anyway).
    OPEN_ACTIONS = (None, "metadata")

    def _perm(self, view) -> tuple[bool, str | None]:
        if view.action in self.OPEN_ACTIONS:
            return True, None
        perms: dict[str, str | None] = view.action_perms
        if view.action not in perms:
            return False, None
        return True, perms[view.action]

    def has_permission(self, request: Request, view) -> bool:
        known, perm = self._perm(view)
        if not known:
            return False
        if perm is None:
            return True
        # Changing anything needs a login first: an anonymous caller gets 401 before the view looks
        # the object up, not a 404 that depends on whether (and for whom) it exists. (Reading may be
        # public through a rule, e.g. an active resource.)
        if not request.user.is_authenticated and request.method not in SAFE_METHODS:
            return False
        if view.detail:
            return True
        return request.user.has_perm(perm)

    def has_object_permission(self, request: Request, view, obj) -> bool:
        known, perm = self._perm(view)
        return known and (perm is None or request.user.has_perm(perm, obj))


# --- Token login ----------------------------------------------------------------------------------------


class TokenRateThrottle(SimpleRateThrottle):
    """Token requests per client address (rate: ``DEFAULT_THROTTLE_RATES["token"]``).

    Unlike DRF's ``AnonRateThrottle`` it counts logged-in callers too: a browser session must not be
    a way around the limit on password guesses.
    """

    scope = "token"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, write_only=True, style={"input_type": "password"}
    )

    def validate(self, attrs: dict) -> dict:
        user = authenticate(self.context["request"], email=attrs["email"], password=attrs["password"])
        # One message for unknown address, wrong password and deactivated account: the answer must
        # not tell which accounts exist. (Same msgid as DRF's, so its translations apply.)
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                _("Unable to log in with provided credentials."), code="authorization"
            )
        # The pages refuse a login until the address is confirmed; the API is no way around that.
        # Whoever reads this message knows the password, so it reveals nothing.
        if (
            allauth_settings.EMAIL_VERIFICATION == allauth_settings.EmailVerificationMethod.MANDATORY
            and not has_verified_email(user)
        ):
            raise serializers.ValidationError(
                _("Please confirm your e-mail address first."), code="unverified"
            )
        attrs["user"] = user
        return attrs


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenView(APIView):
    """``POST`` exchanges e-mail and password for an API token; ``DELETE`` revokes it."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_throttles(self):
        if self.request.method == "POST":
            return [TokenRateThrottle()]
        return []

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        summary="Get an API token",
        description=(
            "Exchanges e-mail address and password for the person's API token (the same token "
            "until it is revoked). Send it as `Authorization: Token <token>`. Wrong credentials "
            "give 400 with one message under `non_field_errors` that never says which part was "
            "wrong. At most 10 requests a minute per client address."
        ),
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, **error_responses(400, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token = services.token_issue(user=serializer.validated_data["user"])
        return Response({"token": token.key})

    @extend_schema(
        operation_id="auth_token_destroy",
        tags=["auth"],
        summary="Revoke the API token",
        description=(
            "Deletes the caller's API token; requests with it then get 401. The next `POST` issues a new one."
        ),
        request=None,
        responses={204: OpenApiResponse(description="Token revoked."), **error_responses(401)},
    )
    def delete(self, request: Request) -> Response:
        services.token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- The caller ---------------------------------------------------------------------------------------


class OrganisationRefSerializer(PlainColumnsMixin, serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class OwnMembershipSerializer(serializers.ModelSerializer):
    organisation = OrganisationRefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["organisation", "role"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    memberships = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "name", "language", "is_coordinator", "memberships"]
        read_only_fields = fields

    @extend_schema_field(OwnMembershipSerializer(many=True))
    def get_memberships(self, user: User) -> list:
        return OwnMembershipSerializer(selectors.user_memberships(user=user), many=True).data


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_retrieve",
        tags=["me"],
        summary="The caller",
        description="The logged-in person with their memberships (role `member` or `manager`).",
        responses={200: MeSerializer, **error_responses(401)},
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


# --- Organisations ------------------------------------------------------------------------------------


class OrganisationMemberSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="user.id", read_only=True)
    name = serializers.CharField(source="user.name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "name", "email", "role"]
        read_only_fields = fields


class OrganisationSerializer(serializers.ModelSerializer):
    """An organisation's public data; `members` only for its managers and the coordinator."""

    logo = serializers.ImageField(read_only=True, allow_null=True, use_url=True)
    # Not read-only, so the schema does not mark it as always present. When the view attached no
    # members (``api_members``), DRF skips the field: the key is absent, not empty.
    members = OrganisationMemberSerializer(
        many=True,
        required=False,
        source="api_members",
        help_text="Only for managers of this organisation and the network's coordinator.",
    )

    class Meta:
        model = Organisation
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "address",
            "contact_email",
            "phone",
            "website",
            "logo",
            "logo_alt",
            "accessibility_notes",
            "members",
        ]
        read_only_fields = [f for f in fields if f != "members"]


class OrganisationWriteSerializer(serializers.ModelSerializer):
    """What the API may change; the logo is uploaded on the organisation's page."""

    class Meta:
        model = Organisation
        fields = [
            "name",
            "slug",
            "description",
            "address",
            "contact_email",
            "phone",
            "website",
            "logo_alt",
            "accessibility_notes",
        ]


def _attach_members(organisations: Iterable[Organisation], visible_ids: set[int]) -> None:
    """Load the members of the organisations in ``visible_ids`` (one query for all of them)."""
    visible = [organisation for organisation in organisations if organisation.pk in visible_ids]
    prefetch_related_objects(
        visible,
        Prefetch(
            "memberships",
            # "manager" sorts before "member": managers first, as on the members page.
            queryset=Membership.objects.select_related("user").order_by("role", "user__name", "user__email"),
            to_attr="api_members",
        ),
    )


_organisation_errors = error_responses(400, 401, 403)


@extend_schema_view(
    list=extend_schema(
        tags=["organisations"],
        auth=OPTIONAL_AUTH,
        responses={200: OrganisationSerializer(many=True), **error_responses(404)},
        summary="List organisations",
        description=(
            "Public data of the network's organisations, by name. Each organisation also lists "
            "its `members` when the caller manages it or is the coordinator."
        ),
    ),
    retrieve=extend_schema(
        tags=["organisations"],
        auth=OPTIONAL_AUTH,
        summary="One organisation",
        description="`members` only for its managers and the coordinator.",
        responses={200: OrganisationSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        tags=["organisations"],
        summary="Create an organisation",
        description="Network coordinator only.",
        request=OrganisationWriteSerializer,
        responses={201: OrganisationSerializer, **_organisation_errors},
    ),
    partial_update=extend_schema(
        tags=["organisations"],
        summary="Change an organisation",
        description="Its managers and the coordinator.",
        request=OrganisationWriteSerializer,
        responses={200: OrganisationSerializer, **_organisation_errors, **error_responses(404)},
    ),
)
class OrganisationViewSet(GenericViewSet):
    serializer_class = OrganisationSerializer
    permission_classes = [RulesActionPermission]
    action_perms = {
        "list": None,
        "retrieve": None,
        "create": "konten.add_organisation",
        "partial_update": "konten.change_organisation",
    }
    filterset_fields = ["slug"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return Organisation.objects.order_by("name", "pk")

    def _members_visible(self, organisation: Organisation) -> bool:
        return self.request.user.has_perm("konten.manage_organisation_members", organisation)

    def _response(self, organisation: Organisation, status_code: int = 200, **kwargs) -> Response:
        _attach_members([organisation], {organisation.pk} if self._members_visible(organisation) else set())
        serializer = self.get_serializer(organisation)
        return Response(serializer.data, status=status_code, **kwargs)

    def list(self, request: Request) -> Response:
        organisations = list(self.paginate_queryset(self.filter_queryset(self.get_queryset())))
        # One query for the whole page instead of one has_perm() per organisation: the selector
        # answers "which of these does the caller manage (all, for the coordinator)", which is
        # exactly konten.manage_organisation_members (tests/api check that both agree).
        visible_ids = set(
            selectors.organisations_managed_by(user=request.user)
            .filter(pk__in=[organisation.pk for organisation in organisations])
            .values_list("pk", flat=True)
        )
        _attach_members(organisations, visible_ids)
        serializer = self.get_serializer(organisations, many=True)
        return self.get_paginated_response(serializer.data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._response(self.get_object())

    def create(self, request: Request) -> Response:
        serializer = OrganisationWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = services.organisation_create(actor=request.user, data=serializer.validated_data)
        location = reverse("organisation-detail", kwargs={"pk": organisation.pk}, request=request)
        return self._response(organisation, status.HTTP_201_CREATED, headers={"Location": location})

    def partial_update(self, request: Request, pk: str) -> Response:
        organisation = self.get_object()
        serializer = OrganisationWriteSerializer(organisation, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        organisation = services.organisation_update(
            actor=request.user, organisation=organisation, data=serializer.validated_data
        )
        return self._response(organisation)
