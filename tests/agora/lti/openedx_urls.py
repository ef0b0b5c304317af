"""URLconf of the standalone Open edX LTI platform (imported by Django once it is configured)."""

from django.urls import include, path

urlpatterns = [path("api/", include("lti_consumer.plugin.urls"))]
