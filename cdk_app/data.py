"""Data: the single DynamoDB table (design in the team brief; the core's store.py reads it)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from .settings import Settings


class Data(Construct):
    """`table`: pk-only, on-demand, stream NEW_AND_OLD_IMAGES, GSIs byStatus and byCreated, TTL on expiresAt."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        string = dynamodb.AttributeType.STRING
        self.table = dynamodb.TableV2(
            self,
            "Tickets",
            partition_key=dynamodb.Attribute(name="pk", type=string),
            billing=dynamodb.Billing.on_demand(),
            dynamo_stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,  # the publisher compares them: customer events
            time_to_live_attribute="expiresAt",
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryptionV2.dynamo_owned_key(),
            deletion_protection=settings.is_prod,
            removal_policy=RemovalPolicy.RETAIN if settings.is_prod else RemovalPolicy.DESTROY,
            global_secondary_indexes=[
                # Sparse: only tickets carry `status`. Newest first with ScanIndexForward=False.
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name="byStatus",
                    partition_key=dynamodb.Attribute(name="status", type=string),
                    sort_key=dynamodb.Attribute(name="createdKey", type=string),
                    projection_type=dynamodb.ProjectionType.ALL,
                ),
                # Every ticket (entity=TICKET); REF/CLIENT items lack createdKey and stay out.
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name="byCreated",
                    partition_key=dynamodb.Attribute(name="entity", type=string),
                    sort_key=dynamodb.Attribute(name="createdKey", type=string),
                    projection_type=dynamodb.ProjectionType.ALL,
                ),
            ],
        )
