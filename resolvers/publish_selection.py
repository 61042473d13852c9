"""GENERATED from schema.graphql by `python -m cdk_app.publish_selection`: do not edit."""
# ruff: noqa: E501 (a nested type's selection is one line, however long)

OPERATION_NAME = "PublishTicketChange"
INPUT_FIELDS = (
    "id",
    "reference",
    "status",
    "vehicle",
    "description",
    "customer",
    "history",
    "notifications",
    "version",
    "createdAt",
    "updatedAt",
    "estimate",
    "photos",
)
PUBLISH_MUTATION = """mutation PublishTicketChange($ticket: PublishedTicketInput!) {
  publishTicketChange(ticket: $ticket) {
    id
    reference
    status
    vehicle { make model year vin licensePlate mileage }
    description
    customer { name email phone notifyBy }
    history { status at by note internalNote }
    version
    createdAt
    updatedAt
    notifications { channel event to status at }
    estimate { version currency lines { id kind description quantity unitPrice amount decision } subtotal taxRateBasisPoints tax total approvedTotal sentAt answeredAt signedBy comment }
    photos { id status contentType size url uploadedBy visibleToCustomer caption createdAt }
  }
}"""
