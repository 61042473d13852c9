"""Notifications: the staff topic (KMS, TLS only, e-mail on new tickets) and the stream publisher."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from resolvers import comms, comms_store, customer_messages
from resolvers.events import TICKET_CREATED
from resolvers.publisher_settings import ENV as PUBLISHER_SETTINGS_ENV
from resolvers.publisher_settings import environment_value
from resolvers.staffmail import CLAIM_PREFIX, MAIL_PREFIX

from .api import Api
from .functions import declared_environment, python_function
from .settings import Settings

NEW_TICKET_EVENT = TICKET_CREATED  # SNS message attribute `event` that the e-mail subscriptions accept


class Notifications(Construct):
    """`topic`, `key`, `publisher`, `failures` (on-failure queue), `event_source`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        config: dict,
        table: dynamodb.ITableV2,
        api: Api,
        staff_page_url: str,
        site_url: str,
        code: lambda_.Code,
        layer: lambda_.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if settings.is_prod else RemovalPolicy.DESTROY
        self.key = kms.Key(
            self,
            "TopicKey",
            description="Pitstop staff notifications topic",
            enable_key_rotation=True,
            removal_policy=removal,
            pending_window=Duration.days(7) if not settings.is_prod else None,
        )
        self.topic = sns.Topic(
            self,
            "StaffTopic",
            display_name="Pitstop",
            master_key=self.key,
            enforce_ssl=True,
        )
        for email in settings.staff_emails:
            self.topic.add_subscription(
                subs.EmailSubscription(
                    email,
                    filter_policy={
                        "event": sns.SubscriptionFilter.string_filter(allowlist=[NEW_TICKET_EVENT])
                    },
                )
            )

        # Records the publisher could not handle after retries (and bisecting) land here, with the
        # shard position, for a person or a redrive script to look at.
        self.failures = sqs.Queue(
            self,
            "PublisherFailures",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=removal,
        )
        Validations.of(self.failures).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SQS3",
                reason="This queue is itself the dead-letter (on-failure) destination of the stream "
                "event source mapping; a DLQ of a DLQ would only move the same records once more.",
            )
        )

        publisher_cfg = config["publisher"]
        self.publisher = python_function(
            self,
            "PublisherFunction",
            settings=settings,
            code=code,
            layer=layer,
            handler=publisher_cfg["handler"],
            description="Pitstop stream publisher: IAM publish mutation + staff e-mail",
            environment=declared_environment(
                publisher_cfg["environment"],
                {
                    "TABLE_NAME": table.table_name,
                    "TOPIC_ARN": self.topic.topic_arn,
                    "GRAPHQL_URL": api.graphql_url,
                    "STAFF_PAGE_URL": staff_page_url,
                    # call timeouts and the staff digest, from api_config.json (the function reads them)
                    PUBLISHER_SETTINGS_ENV: environment_value(publisher_cfg),
                    customer_messages.ENV_SITE: site_url,  # the links in customer messages
                    customer_messages.ENV_WORKSHOP: settings.workshop_name,
                    customer_messages.ENV_SENDER: settings.customer_mail_from,
                    customer_messages.ENV_SMS_SENDER_ID: settings.sms_sender_id,
                    customer_messages.ENV_SMS_ORIGINATION: settings.sms_origination_number,
                    **comms.channels_environment(settings.customer_sms),  # off: no SMS is sent
                },
            ),
            # the handler's time budget is checked against this same number (test_stream_publisher.py)
            timeout=Duration.seconds(publisher_cfg["timeouts"]["functionSeconds"]),
            memory_size=publisher_cfg["memorySize"],
            # Concurrency set aside for the publisher, so a flood of public requests (which scale the
            # resolver function) cannot take the account's last executions from it. Off (0) by
            # default: a new account's quota is often 10 in all, and Lambda keeps 10 unreserved.
            reserved_concurrency=settings.publisher_reserved_concurrency or None,
        )
        self.topic.grant_publish(self.publisher)
        Validations.of(self.publisher.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
                reason="Publishing to the KMS-encrypted topic: CDK's topic.grant_publish allows "
                "kms:GenerateDataKey* (the data-key variants) on this topic's key only.",
            )
        )
        api.grant_mutation(self.publisher, publisher_cfg["mutation"])
        # The staff-mail claims (resolvers/staffmail.py): TransactGetItems needs GetItem,
        # TransactWriteItems' Put needs PutItem, the SENT mark UpdateItem; on the table only (no
        # index) and on the STAFFMAIL items' keys only.
        self.publisher.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                resources=[table.table_arn],
                conditions={
                    "ForAllValues:StringLike": {
                        "dynamodb:LeadingKeys": [f"{MAIL_PREFIX}*", f"{CLAIM_PREFIX}*"]
                    }
                },
            )
        )

        self._grant_customer_messages(table, settings)

        self.event_source = sources.DynamoEventSource(
            table,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=publisher_cfg["batchSize"],
            # No batching window: a change is published as soon as Lambda reads it off the stream
            # (a window would hold every live update for up to that long to save invocations).
            max_batching_window=Duration.seconds(0),
            bisect_batch_on_error=True,
            retry_attempts=publisher_cfg["retryAttempts"],  # then the on-failure queue
            max_record_age=Duration.hours(6),
            parallelization_factor=1,  # keeps a ticket's changes in order
            report_batch_item_failures=True,
            on_failure=sources.SqsDlq(self.failures),
            # Ticket records only (not REF#/CLIENT# items, not deletions): api_config.json, which the
            # local poller applies too.
            filters=[lambda_.FilterCriteria.filter(pattern) for pattern in publisher_cfg["filters"]],
        )
        self.publisher.add_event_source(self.event_source)

    def _grant_customer_messages(self, table: dynamodb.ITableV2, settings: Settings) -> None:
        """Customer e-mail (SES v2) and SMS (SNS), and the items that make each message go once."""
        # The sender identity. SES sends DKIM-signed mail from it once verified; a new account is in
        # the SES sandbox until it asks to leave it (docs/deploy.md).
        self.sender_identity = ses.EmailIdentity(
            self, "CustomerSender", identity=ses.Identity.email(settings.customer_mail_from)
        )
        # ses:SendEmail on this identity only (SES v2 SendEmail authorises against the identity ARN;
        # not the construct's grant_send_email, which adds SendRawEmail, never used here)
        self.publisher.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail"], resources=[self.sender_identity.email_identity_arn]
            )
        )
        if settings.customer_sms:
            self._grant_sms()
        # The claims (NOTIF#), issued links (LINK#), link requests' tickets (REF#, TICKET#) and the
        # delivery log on the ticket (TICKET#): resolvers/comms_store.py. Table only, these keys only.
        self.publisher.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                resources=[table.table_arn],
                conditions={
                    "ForAllValues:StringLike": {
                        "dynamodb:LeadingKeys": [
                            f"{comms_store.CLAIM_PREFIX}*",
                            f"{comms_store.LINK_PREFIX}*",
                            "REF#*",
                            "TICKET#*",
                        ]
                    }
                },
            )
        )

    def _grant_sms(self) -> None:
        """SMS to customers: only on a stage with `customerSms` on (docs/deploy.md); otherwise the
        publisher's role cannot text anyone, whatever a ticket chose."""
        # SMS goes to a phone number, which has no ARN: IAM can only name it as "*". NotResource
        # "arn:aws:sns:*:*:*" turns that into "anything that is not an SNS ARN", i.e. direct publishes
        # to phone numbers only; no topic or platform endpoint of any account can be published to
        # under this statement (the staff topic has its own grant: topic.grant_publish in __init__).
        # https://docs.aws.amazon.com/sns/latest/dg/sns-using-identity-based-policies.html
        self.publisher.add_to_role_policy(
            iam.PolicyStatement(actions=["sns:Publish"], not_resources=["arn:aws:sns:*:*:*"])
        )
        # CheckIfPhoneNumberIsOptedOut has no resource type: "*" is the only resource IAM accepts.
        self.publisher.add_to_role_policy(
            iam.PolicyStatement(actions=["sns:CheckIfPhoneNumberIsOptedOut"], resources=["*"])
        )
        Validations.of(self.publisher.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="sns:CheckIfPhoneNumberIsOptedOut supports no resource type, so IAM only accepts "
                "'*'; it reads one opt-out flag and changes nothing.",
            )
        )
