app_name = "funding-api"

urlpatterns: list = []
