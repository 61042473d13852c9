"""Auth: the staff user pool (no self sign-up), the `staff` group and the web client."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from .settings import Settings


class Auth(Construct):
    """`user_pool`, `client`, `staff_group_name`. Staff users are added by an admin (docs/deploy.md)."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, staff_group: str) -> None:
        super().__init__(scope, construct_id)
        self.staff_group_name = staff_group
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
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
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
        # SRP is what the deployed staff page uses. USER_PASSWORD_AUTH is also on (unless
        # -c allowPasswordAuth=false) because the remote test mode signs in with the very same gql
        # code as against the local stack (moto speaks USER_PASSWORD_AUTH only); the password still
        # travels over TLS to Cognito only, never to our code.
        self.client = self.user_pool.add_client(
            "WebClient",
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=settings.allow_password_auth),
            generate_secret=False,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        Validations.of(self.user_pool).acknowledge(
            Acknowledgment(
                id="AwsSolutions-COG2",
                reason="MFA is OPTIONAL (TOTP offered to every staff user), not REQUIRED: the CI remote "
                "test mode signs in a throw-away staff user non-interactively. A workshop that wants "
                "REQUIRED sets it in the console; nothing in the app depends on it.",
            ),
            Acknowledgment(
                id="AwsSolutions-COG8",
                reason="The Plus feature plan (threat protection) is billed per monthly active user; a "
                "handful of staff accounts, created by an admin only, behind a 12-character password "
                "policy and optional TOTP MFA do not justify it.",
            ),
        )
