// Example operations preloaded in the console's tabs.
export const EXAMPLES: { query: string; variables?: string }[] = [
  {
    query: `# Pitstop GraphQL console — the local stand-in for the AppSync query console.
# Pick "API key" (customer) or "Staff" above. Run with Ctrl-Enter; docs and
# autocompletion (Ctrl-Space) come from the schema. Subscriptions use the AppSync
# real-time protocol; keep the tab open and change a ticket elsewhere.
mutation CreateTicket($input: CreateTicketInput!) {
  createTicket(input: $input) {
    trackingToken
    ticket { id reference status version createdAt }
  }
}`,
    variables: JSON.stringify(
      {
        input: {
          vehicle: { make: 'Toyota', model: 'Corolla', year: 2016, licensePlate: 'AB-123-C' },
          description: 'Squeaky brakes when cold.',
          customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
          clientToken: 'console-example-1',
        },
      },
      null,
      2,
    ),
  },
  {
    query: `# Customer (API key): read one ticket with its tracking token.
query Ticket($id: ID!, $trackingToken: String) {
  ticket(id: $id, trackingToken: $trackingToken) {
    id reference status version updatedAt
    vehicle { make model year }
    history { status at note }
  }
}`,
    variables: JSON.stringify({ id: 'paste-an-id', trackingToken: 'paste-its-token' }, null, 2),
  },
  {
    query: `# Customer (API key): follow one ticket live.
subscription OnTicketUpdated($id: ID!, $trackingToken: String) {
  onTicketUpdated(id: $id, trackingToken: $trackingToken) {
    id reference status version updatedAt
  }
}`,
    variables: JSON.stringify({ id: 'paste-an-id', trackingToken: 'paste-its-token' }, null, 2),
  },
  {
    query: `# Staff (sign in above): the newest tickets, optionally by status.
query Tickets($status: TicketStatus, $limit: Int, $nextToken: String) {
  tickets(status: $status, limit: $limit, nextToken: $nextToken) {
    nextToken
    items {
      id reference status version updatedAt
      vehicle { make model licensePlate }
      customer { name email phone }
    }
  }
}`,
    variables: JSON.stringify({ status: 'SUBMITTED', limit: 10 }, null, 2),
  },
  {
    query: `# Staff: every created or changed ticket, live.
subscription OnTicketActivity {
  onTicketActivity { id reference status version updatedAt }
}`,
  },
  {
    query: `# Staff: move a ticket (expectedVersion guards against concurrent changes).
mutation UpdateTicketStatus($input: UpdateTicketStatusInput!) {
  updateTicketStatus(input: $input) { id reference status version history { status at by note } }
}`,
    variables: JSON.stringify({ input: { id: 'paste-an-id', status: 'RECEIVED', note: 'Car is in the workshop', expectedVersion: 1 } }, null, 2),
  },
  {
    query: `# Staff: find a ticket by the reference a customer reads out on the phone.
query TicketByReference($reference: String!) {
  ticketByReference(reference: $reference) { id reference status version customer { name phone } }
}`,
    variables: JSON.stringify({ reference: 'PS-XXXXXX' }, null, 2),
  },
];
