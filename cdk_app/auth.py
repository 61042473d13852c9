"""Auth: the staff user pool (no self sign-up), the `staff` group and the web client."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from .settings import Settings

REFRESH_TOKEN_VALIDITY = Duration.hours(12)  # a workshop shift


class Auth(Construct):
    """`user_pool`, `client`, `staff_group_name`. Staff users are added by an admin (docs/deploy.md)."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, staff_group: str) -> None:
        super().__init__(scope, construct_id)
        self.staff_group_name = staff_group
        # TOTP sign-in: every staff user in prod; offered (not required) elsewhere, see below.
        self.mfa_configuration = "REQUIRED" if settings.is_prod else "OPTIONAL"
        self.user_pool = cognito.UserPool(
            self,
            "StaffPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            sign_in_case_sensitive=False,
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            # prod: every staff user signs in with a TOTP app (no SMS: no SNS role, no SIM swap).
            # Other stages: TOTP offered, not required, so the remote tests sign in non-interactively.
            mfa=cognito.Mfa[self.mfa_configuration],
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # prod: threat protection (compromised credentials, adaptive authentication), which needs
            # the Plus plan, billed per monthly active user (a handful of staff: cents a month).
            feature_plan=cognito.FeaturePlan.PLUS if settings.is_prod else cognito.FeaturePlan.ESSENTIALS,
            standard_threat_protection_mode=(
                cognito.StandardThreatProtectionMode.FULL_FUNCTION if settings.is_prod else None
            ),
            deletion_protection=settings.is_prod,
            removal_policy=RemovalPolicy.RETAIN if settings.is_prod else RemovalPolicy.DESTROY,
        )
        cognito.UserPoolGroup(
            self,
            "StaffGroup",
            user_pool=self.user_pool,
            group_name=staff_group,
            description="Workshop staff: may list and update every ticket (schema @aws_cognito_user_pools).",
        )
        # SRP is what the deployed staff page uses. Outside prod USER_PASSWORD_AUTH is also on (unless
        # -c allowPasswordAuth=false) because the remote test mode signs in with the very same gql
        # code as against the local stack (moto speaks USER_PASSWORD_AUTH only); the password still
        # travels over TLS to Cognito only, never to our code. prod offers SRP only.
        self.client = self.user_pool.add_client(
            "WebClient",
            auth_flows=cognito.AuthFlow(
                user_srp=True, user_password=settings.allow_password_auth and not settings.is_prod
            ),
            generate_secret=False,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            # One workshop shift: staff sign in again the next day.
            refresh_token_validity=REFRESH_TOKEN_VALIDITY,
        )
        if not settings.is_prod:
            Validations.of(self.user_pool).acknowledge(
                Acknowledgment(
                    id="AwsSolutions-COG2",
                    reason="Outside prod MFA is OPTIONAL (TOTP offered to every staff user), not REQUIRED: "
                    "the CI remote test mode signs in a throw-away staff user non-interactively. Stage prod "
                    "requires TOTP.",
                ),
                Acknowledgment(
                    id="AwsSolutions-COG8",
                    reason="Outside prod the pool is disposable and holds throw-away test users; the Plus "
                    "plan (threat protection, billed per monthly active user) is on in stage prod only.",
                ),
            )
