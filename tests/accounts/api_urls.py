"""A tiny API (and UI) for the access tests: one view per permission class."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import IsAdmin, IsOperator, IsViewer, role_required
from harmony_site.urls import urlpatterns as project_urlpatterns


class _Echo(APIView):
    def get(self, request: Request) -> Response:
        return Response({"user": getattr(request.user, "username", ""), "method": "GET"})

    def post(self, request: Request) -> Response:
        return Response({"user": getattr(request.user, "username", ""), "method": "POST"})


class DefaultView(_Echo):
    pass


class ViewerView(_Echo):
    permission_classes = [IsViewer]


class OperatorView(_Echo):
    permission_classes = [IsOperator]


class AdminView(_Echo):
    permission_classes = [IsAdmin]


def ui_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("page for everyone with a role")


@role_required("operator")
def ui_action(request: HttpRequest) -> HttpResponse:
    return HttpResponse("done")


urlpatterns = [
    path("api/v1/default", DefaultView.as_view()),
    path("api/v1/viewer", ViewerView.as_view()),
    path("api/v1/operator", OperatorView.as_view()),
    path("api/v1/admin", AdminView.as_view()),
    path("ui/page/", ui_page),
    path("ui/action/", ui_action),
    *project_urlpatterns,  # the real pages (base.html links to them) and namespaces
]
