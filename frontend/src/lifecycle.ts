// The ticket lifecycle, mirrored from the server's rules: resolvers/tickets.py TRANSITIONS is
// authoritative (it rejects a transition it does not allow with ConflictError); the UI only offers
// these. tests/frontend/test_frontend_lifecycle.py fails when the two tables differ.

export const STATUSES = [
  'SUBMITTED',
  'RECEIVED',
  'DIAGNOSING',
  'WAITING_FOR_PARTS',
  'AWAITING_APPROVAL',
  'IN_REPAIR',
  'READY_FOR_PICKUP',
  'COMPLETED',
  'CANCELLED',
] as const;

export type TicketStatus = (typeof STATUSES)[number];

export const NEXT_STATUSES: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  SUBMITTED: ['RECEIVED', 'CANCELLED'],
  RECEIVED: ['DIAGNOSING', 'IN_REPAIR', 'CANCELLED'],
  DIAGNOSING: ['WAITING_FOR_PARTS', 'IN_REPAIR', 'READY_FOR_PICKUP', 'CANCELLED'],
  WAITING_FOR_PARTS: ['DIAGNOSING', 'IN_REPAIR', 'CANCELLED'],
  AWAITING_APPROVAL: ['DIAGNOSING', 'WAITING_FOR_PARTS', 'IN_REPAIR', 'READY_FOR_PICKUP', 'CANCELLED'],
  IN_REPAIR: ['DIAGNOSING', 'WAITING_FOR_PARTS', 'READY_FOR_PICKUP', 'CANCELLED'],
  READY_FOR_PICKUP: ['IN_REPAIR', 'COMPLETED', 'CANCELLED'],
  COMPLETED: [],
  CANCELLED: [],
};

export const FINAL_STATUSES: readonly TicketStatus[] = ['COMPLETED', 'CANCELLED'];

export function allowedNext(status: TicketStatus): readonly TicketStatus[] {
  return NEXT_STATUSES[status] ?? [];
}

export function canMove(from: TicketStatus, to: TicketStatus): boolean {
  return allowedNext(from).includes(to);
}

export const STATUS_LABEL: Readonly<Record<TicketStatus, string>> = {
  SUBMITTED: 'Submitted',
  RECEIVED: 'Received',
  DIAGNOSING: 'Diagnosing',
  WAITING_FOR_PARTS: 'Waiting for parts',
  AWAITING_APPROVAL: 'Awaiting approval',
  IN_REPAIR: 'In repair',
  READY_FOR_PICKUP: 'Ready for pickup',
  COMPLETED: 'Completed',
  CANCELLED: 'Cancelled',
};

/** What the customer is told for each status. */
export const STATUS_EXPLAINED: Readonly<Record<TicketStatus, string>> = {
  SUBMITTED: 'We have your request. The workshop will look at it shortly.',
  RECEIVED: 'The workshop has received your request.',
  DIAGNOSING: 'A mechanic is finding out what is wrong.',
  WAITING_FOR_PARTS: 'We are waiting for parts to arrive.',
  AWAITING_APPROVAL: 'The workshop sent you an estimate. Please approve or decline each line below.',
  IN_REPAIR: 'Your vehicle is being repaired.',
  READY_FOR_PICKUP: 'Your vehicle is ready to be picked up.',
  COMPLETED: 'This repair is complete. Thank you!',
  CANCELLED: 'This request was cancelled.',
};

/**
 * The steps shown in the customer's progress indicator. WAITING_FOR_PARTS is a detour that only
 * appears when the ticket went through it (or is in it now).
 */
export function progressSteps(status: TicketStatus, visited: readonly TicketStatus[]): TicketStatus[] {
  const steps: TicketStatus[] = ['SUBMITTED', 'RECEIVED', 'DIAGNOSING'];
  if (status === 'WAITING_FOR_PARTS' || visited.includes('WAITING_FOR_PARTS')) steps.push('WAITING_FOR_PARTS');
  if (status === 'AWAITING_APPROVAL' || visited.includes('AWAITING_APPROVAL')) steps.push('AWAITING_APPROVAL');
  steps.push('IN_REPAIR', 'READY_FOR_PICKUP', 'COMPLETED');
  return steps;
}

/** The statuses an estimate may be sent from (resolvers/tickets.py ESTIMATE_FROM). */
export const ESTIMATE_FROM: readonly TicketStatus[] = ['DIAGNOSING', 'WAITING_FOR_PARTS', 'IN_REPAIR', 'AWAITING_APPROVAL'];

export function isStatus(value: unknown): value is TicketStatus {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}
