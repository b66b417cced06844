from django.urls import path

from steps import api

app_name = "steps-api"

urlpatterns = [
    path("merchants/", api.MerchantListApi.as_view(), name="merchant-list"),
    path(
        "channel-facts/batches/",
        api.ChannelBatchListCreateApi.as_view(),
        name="channel-batch-list",
    ),
    path(
        "channel-facts/batches/<int:pk>/",
        api.ChannelBatchDetailApi.as_view(),
        name="channel-batch-detail",
    ),
]
