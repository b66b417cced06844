app_name = "scoring-api"

urlpatterns: list = []
