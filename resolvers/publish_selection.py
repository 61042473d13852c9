"""GENERATED from schema.graphql by `python -m cdk_app.publish_selection`: do not edit."""

OPERATION_NAME = "PublishTicketChange"
INPUT_FIELDS = (
    "id",
    "reference",
    "status",
    "vehicle",
    "description",
    "customer",
    "history",
    "version",
    "createdAt",
    "updatedAt",
    "photos",
)
PUBLISH_MUTATION = """mutation PublishTicketChange($ticket: PublishedTicketInput!) {
  publishTicketChange(ticket: $ticket) {
    id
    reference
    status
    vehicle { make model year vin licensePlate mileage }
    description
    customer { name email phone }
    history { status at by note }
    version
    createdAt
    updatedAt
    photos { id status contentType size url uploadedBy visibleToCustomer caption createdAt }
  }
}"""
