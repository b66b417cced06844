app_name = "evaluations-api"

urlpatterns: list = []
