from django.urls import path

from billing import views, webhook

app_name = "billing"

urlpatterns = [
    path("billing/webhook/", webhook.payment_webhook, name="webhook"),
    path("portal/crms/<int:crm_id>/billing/", views.crm_billing, name="crm_billing"),
    path("portal/referral/", views.referral_home, name="referral_home"),
    path(
        "portal/referral/activate/", views.referral_activate, name="referral_activate"
    ),
    path(
        "portal/referral/referrals/",
        views.referral_referrals,
        name="referral_referrals",
    ),
    path("portal/referral/payouts/", views.referral_payouts, name="referral_payouts"),
    path("portal/referral/statistics/", views.referral_stats, name="referral_stats"),
    path("r/<slug:code>/", views.referral_link, name="referral_link"),
]
