// GraphQL operations on Amplify's API client. Customers use the API key, staff the user pool JWT.
import { generateClient } from 'aws-amplify/api';
import type { TicketStatus } from './lifecycle';

export type AuthMode = 'apiKey' | 'userPool';

export interface Vehicle {
  make: string;
  model: string;
  year?: number | null;
  vin?: string | null;
  licensePlate?: string | null;
  mileage?: number | null;
}
export interface Customer {
  name: string;
  email?: string | null;
  phone?: string | null;
  notifyBy?: Channel[];
}
export type Channel = 'EMAIL' | 'SMS';
export interface Notification {
  channel: Channel;
  event: string;
  to: string;
  status: 'SENT' | 'FAILED' | 'SKIPPED';
  at: string;
}
export interface StatusChange {
  status: TicketStatus;
  at: string;
  by?: string | null;
  note?: string | null;
  internalNote?: string | null;
}
export type EstimateLineKind = 'LABOR' | 'PART' | 'FEE';
export type LineDecision = 'PENDING' | 'APPROVED' | 'DECLINED';
export interface EstimateLine {
  id: string;
  kind: EstimateLineKind;
  description: string;
  quantity: number;
  unitPrice: number;
  amount: number;
  decision: LineDecision;
}
/** Money in minor units (cents) of `currency`. */
export interface Estimate {
  version: number;
  currency: string;
  lines: EstimateLine[];
  subtotal: number;
  taxRateBasisPoints: number;
  tax: number;
  total: number;
  approvedTotal: number;
  sentAt: string;
  answeredAt?: string | null;
  signedBy?: string | null;
  comment?: string | null;
}
export interface Photo {
  id: string;
  status: 'PENDING' | 'READY' | 'REJECTED';
  contentType: string;
  size: number;
  /** A presigned GET valid for minutes; null unless READY, and always null in subscription events. */
  url?: string | null;
  uploadedBy: 'CUSTOMER' | 'STAFF';
  visibleToCustomer: boolean;
  caption?: string | null;
  createdAt: string;
}
export interface Ticket {
  estimate?: Estimate | null;
  id: string;
  reference: string;
  status: TicketStatus;
  vehicle: Vehicle;
  description: string;
  customer?: Customer | null;
  notifications?: Notification[];
  history: StatusChange[];
  version: number;
  createdAt: string;
  updatedAt: string;
  photos?: Photo[];
}
export interface TicketPage {
  items: Ticket[];
  nextToken?: string | null;
}

const ESTIMATE_FIELDS = `
  estimate {
    version currency subtotal taxRateBasisPoints tax total approvedTotal sentAt answeredAt signedBy comment
    lines { id kind description quantity unitPrice amount decision }
  }`;
const PHOTO_FIELDS = 'id status contentType size url uploadedBy visibleToCustomer caption createdAt';
const PUBLIC_FIELDS = `
  id reference status description version createdAt updatedAt
  vehicle { make model year vin licensePlate mileage }
  history { status at note }${ESTIMATE_FIELDS}
  photos { ${PHOTO_FIELDS} }`;
const STAFF_FIELDS = `
  id reference status description version createdAt updatedAt
  vehicle { make model year vin licensePlate mileage }
  customer { name email phone notifyBy }
  notifications { channel event to status at }
  history { status at by note internalNote }${ESTIMATE_FIELDS}
  photos { ${PHOTO_FIELDS} }`;

export const Q = {
  createTicket: `mutation CreateTicket($input: CreateTicketInput!) {
  createTicket(input: $input) { trackingToken ticket { ${PUBLIC_FIELDS} } }
}`,
  publicTicket: `query Ticket($id: ID!, $trackingToken: String) {
  ticket(id: $id, trackingToken: $trackingToken) { ${PUBLIC_FIELDS} }
}`,
  onTicketUpdated: `subscription OnTicketUpdated($id: ID!, $trackingToken: String) {
  onTicketUpdated(id: $id, trackingToken: $trackingToken) { ${PUBLIC_FIELDS} }
}`,
  staffTicket: `query StaffTicket($id: ID!) { ticket(id: $id) { ${STAFF_FIELDS} } }`,
  tickets: `query Tickets($status: TicketStatus, $limit: Int, $nextToken: String) {
  tickets(status: $status, limit: $limit, nextToken: $nextToken) { nextToken items { ${STAFF_FIELDS} } }
}`,
  ticketByReference: `query TicketByReference($reference: String!) {
  ticketByReference(reference: $reference) { ${STAFF_FIELDS} }
}`,
  updateTicketStatus: `mutation UpdateTicketStatus($input: UpdateTicketStatusInput!) {
  updateTicketStatus(input: $input) { ${STAFF_FIELDS} }
}`,
  requestTrackingLink: `mutation RequestTrackingLink($reference: String!, $contact: String!) {
  requestTrackingLink(reference: $reference, contact: $contact)
}`,
  setNotifyBy: `mutation SetNotifyBy($id: ID!, $trackingToken: String, $notifyBy: [Channel!]!) {
  setNotifyBy(id: $id, trackingToken: $trackingToken, notifyBy: $notifyBy) { id version }
}`,
  onTicketActivity: `subscription OnTicketActivity { onTicketActivity { ${STAFF_FIELDS} } }`,
  sendEstimate: `mutation SendEstimate($input: SendEstimateInput!) { sendEstimate(input: $input) { ${STAFF_FIELDS} } }`,
  answerEstimatePublic: `mutation AnswerEstimate($input: AnswerEstimateInput!) {
  answerEstimate(input: $input) { ${PUBLIC_FIELDS} }
}`,
  answerEstimateStaff: `mutation AnswerEstimate($input: AnswerEstimateInput!) {
  answerEstimate(input: $input) { ${STAFF_FIELDS} }
}`,
  requestPhotoUpload: `mutation RequestPhotoUpload($input: RequestPhotoUploadInput!) {
  requestPhotoUpload(input: $input) { url fields expiresAt photo { ${PHOTO_FIELDS} } }
}`,
  confirmPhotoUpload: `mutation ConfirmPhotoUpload($ticketId: ID!, $trackingToken: String, $photoId: ID!) {
  confirmPhotoUpload(ticketId: $ticketId, trackingToken: $trackingToken, photoId: $photoId) { ${PHOTO_FIELDS} }
}`,
  setPhotoVisibility: `mutation SetPhotoVisibility($ticketId: ID!, $photoId: ID!, $visibleToCustomer: Boolean!) {
  setPhotoVisibility(ticketId: $ticketId, photoId: $photoId, visibleToCustomer: $visibleToCustomer) { ${PHOTO_FIELDS} }
}`,
};

export interface ApiErrorItem {
  errorType?: string;
  message: string;
  path?: readonly (string | number)[];
}

/** A GraphQL or network failure, with AppSync's errorType when there is one. */
export class ApiError extends Error {
  readonly errors: ApiErrorItem[];
  constructor(errors: ApiErrorItem[]) {
    super(errors.map((e) => e.message).join('; ') || 'Request failed');
    this.name = 'ApiError';
    this.errors = errors;
  }
  get errorType(): string | undefined {
    return this.errors.find((e) => e.errorType)?.errorType;
  }
  has(type: string): boolean {
    return this.errors.some((e) => e.errorType === type);
  }
  /** No GraphQL answer at all (offline, server down): retrying is safe with the same clientToken. */
  get isNetwork(): boolean {
    return this.errors.every((e) => !e.errorType && /network|fetch|failed to|load failed/i.test(e.message));
  }
}

export function toApiError(raw: unknown): ApiError {
  if (raw instanceof ApiError) return raw;
  const anyRaw = raw as { errors?: unknown[]; message?: string } | undefined;
  if (anyRaw && Array.isArray(anyRaw.errors) && anyRaw.errors.length) {
    return new ApiError(
      anyRaw.errors.map((e) => {
        const err = e as { errorType?: string; message?: string; path?: (string | number)[]; originalError?: { name?: string } };
        let errorType = err.errorType;
        if (!errorType && err.originalError?.name?.startsWith('UnauthorizedException')) errorType = 'UnauthorizedException';
        return { errorType, message: String(err.message ?? 'Request failed'), path: err.path };
      }),
    );
  }
  return new ApiError([{ message: anyRaw?.message ? String(anyRaw.message) : String(raw) }]);
}

// Amplify's generated-client typings are heavy; the pages only need this much of them.
interface Client {
  graphql(options: { query: string; variables: Record<string, unknown>; authMode: AuthMode }): unknown;
}
let client: Client | undefined;
function api(): Client {
  client ??= generateClient() as unknown as Client;
  return client;
}

export async function request<T>(query: string, variables: Record<string, unknown>, authMode: AuthMode): Promise<T> {
  let result: { data?: unknown; errors?: unknown[] };
  try {
    result = (await (api().graphql({ query, variables, authMode }) as Promise<typeof result>));
  } catch (raw) {
    throw toApiError(raw);
  }
  if (result.errors?.length) throw toApiError(result);
  return result.data as T;
}

export interface Subscription {
  unsubscribe(): void;
}

export function subscribe<T>(
  query: string,
  variables: Record<string, unknown>,
  authMode: AuthMode,
  onData: (data: T) => void,
  onError: (error: ApiError) => void,
): Subscription {
  const observable = api().graphql({ query, variables, authMode }) as unknown as {
    subscribe(o: { next(v: { data: T }): void; error(e: unknown): void }): Subscription;
  };
  return observable.subscribe({
    next: (value) => onData(value.data),
    error: (e) => onError(toApiError(e)),
  });
}
