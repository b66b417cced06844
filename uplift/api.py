from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics

from integrations.permissions import SIGNED_IN
from providers.api_permissions import StaffRole
from providers.roles import Role
from uplift.models import UpliftStudy
from uplift.selectors import studies_list, study_detail
from uplift.serializers import StudyDetailSerializer, StudyListSerializer

# The API tests' study carries this id; the schema offers it as an example.
EXAMPLE_STUDY_ID = 1
STUDY_ID = OpenApiParameter(
    "id",
    int,
    OpenApiParameter.PATH,
    description="study id",
    examples=[OpenApiExample("study", value=EXAMPLE_STUDY_ID)],
)


class ReadsUplift(StaffRole):
    """Uplift studies: finance and the program admin (the staff page's audience)."""

    roles = frozenset({Role.PROGRAM_ADMIN, Role.FINANCE})


class StudyListApi(generics.ListAPIView):
    """Uplift studies, newest first, with each one's headline result (ATT, interval, verdict)."""

    permission_classes = [*SIGNED_IN, ReadsUplift]
    serializer_class = StudyListSerializer

    def get_queryset(self):
        return studies_list()


@extend_schema(parameters=[STUDY_ID])
class StudyDetailApi(generics.RetrieveAPIView):
    """One study with its event study, tier effects, ROI and fitted response curves."""

    permission_classes = [*SIGNED_IN, ReadsUplift]
    serializer_class = StudyDetailSerializer
    queryset = UpliftStudy.objects.none()

    def get_object(self):
        try:
            return study_detail(study_id=int(self.kwargs["pk"]))
        except UpliftStudy.DoesNotExist as exc:
            raise Http404 from exc
