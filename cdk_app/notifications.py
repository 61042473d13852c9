"""Notifications: the staff topic (KMS, TLS only, e-mail on new tickets) and the stream publisher."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

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
