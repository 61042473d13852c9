"""Data: the single DynamoDB table, its keys read from table.json (the local stack creates the same)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from .settings import Settings, load_table_schema


class Data(Construct):
    """`table`: on-demand, point-in-time recovery; keys, GSIs, stream view and TTL from table.json."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        schema = load_table_schema(settings.root)
        types = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}

        def attribute(name: str) -> dynamodb.Attribute:
            return dynamodb.Attribute(name=name, type=types[schema["attributeTypes"][name]])

        self.table = dynamodb.TableV2(
            self,
            "Tickets",
            partition_key=attribute(schema["partitionKey"]),
            billing=dynamodb.Billing.on_demand(),
            dynamo_stream=dynamodb.StreamViewType[schema["streamViewType"]],
            time_to_live_attribute=schema["timeToLiveAttribute"],
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryptionV2.dynamo_owned_key(),
            deletion_protection=settings.is_prod,
            removal_policy=RemovalPolicy.RETAIN if settings.is_prod else RemovalPolicy.DESTROY,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=index["indexName"],
                    partition_key=attribute(index["partitionKey"]),
                    sort_key=attribute(index["sortKey"]),
                    projection_type=dynamodb.ProjectionType.ALL,
                )
                for index in schema["globalSecondaryIndexes"]
            ],
        )
