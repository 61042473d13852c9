// Customer track page: /track#id=…&token=… (the token stays in the fragment, never in a server log).
import { Hub } from 'aws-amplify/utils';
import { ApiError, Q, request, subscribe } from '../api';
import type { Subscription, Ticket } from '../api';
import { formatDateTime, h, replaceChildren, setTitle, timeElement } from '../dom';
import { STATUS_EXPLAINED, STATUS_LABEL, progressSteps } from '../lifecycle';
import { gallery, photoSignature } from '../photos';
import { onConnectionState, onResync } from '../realtime';
import { channelChoices, lostLinkForm } from './comms';
import { estimateSection } from './estimateAnswer';

export function parseTrackingFragment(hash: string): { id: string; token: string } | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const id = params.get('id')?.trim();
  const token = params.get('token')?.trim();
  return id && token ? { id, token } : null;
}

/** `offerSms`: the stage texts customers (AppConfig.customerSms); otherwise only e-mail is offered. */
export function renderTrack(root: HTMLElement, offerSms: boolean): void {
  setTitle('Repair status');
  const link = parseTrackingFragment(window.location.hash);
  if (!link) {
    renderNotFound(root);
    return;
  }
  const { id, token } = link;
  let current: Ticket | null = null;
  let gone = false;
  let subscription: Subscription | undefined;

  const liveLine = h('p', { className: 'live-line', 'data-testid': 'live-state' }, 'Connecting for live updates…');
  const statusBox = h('div', { className: 'status-now', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const body = h('div', { className: 'track-body' });
  const choices = notifyChoices(id, token, offerSms); // built once: a live update keeps what the customer ticked
  const estimate = estimateSection(id, token, (ticket) => show(ticket));
  replaceChildren(root, h('p', { className: 'loading' }, 'Loading your repair…'));

  const show = (ticket: Ticket) => {
    if (gone) return;
    if (current && ticket.version <= current.version) return; // never go back in time
    const first = !current;
    current = ticket;
    setTitle(`${STATUS_LABEL[ticket.status]} — ${ticket.reference}`);
    replaceChildren(
      statusBox,
      h('p', { className: 'status-label' }, 'Status: ', h('strong', { 'data-testid': 'status', 'data-status': ticket.status }, STATUS_LABEL[ticket.status])),
      h('p', null, STATUS_EXPLAINED[ticket.status]),
    );
    estimate.update(ticket);
    // the photos right after the estimate: a staff photo shown to the customer backs up what it asks for
    replaceChildren(body, progress(ticket), estimate.element, photosSection(ticket), details(ticket), history(ticket), choices);
    if (first) {
      replaceChildren(
        root,
        h('h1', null, 'Your repair ', h('span', { className: 'ref-inline', 'data-testid': 'reference' }, ticket.reference)),
        statusBox,
        liveLine,
        body,
      );
    }
  };

  const fail = () => {
    gone = true;
    subscription?.unsubscribe();
    stopResync();
    stopState();
    stopAck();
    renderNotFound(root);
  };

  const refresh = async () => {
    try {
      const data = await request<{ ticket: Ticket | null }>(Q.publicTicket, { id, trackingToken: token }, 'apiKey');
      if (!data.ticket) fail();
      else show(data.ticket);
    } catch (raw) {
      const error = raw as ApiError;
      if (error.has?.('NotFoundError') || error.has?.('Unauthorized') || error.has?.('ValidationError')) fail();
      else if (!current) replaceChildren(root, h('h1', null, 'Repair status'), h('p', { role: 'alert' }, 'We could not load your repair just now. Please reload the page in a moment.'));
    }
  };

  const stopState = onConnectionState((state) => {
    liveLine.textContent =
      state === 'Connected'
        ? 'Live: this page updates by itself.'
        : state === 'Connecting'
          ? 'Connecting for live updates…'
          : 'Live updates paused — reconnecting…';
    liveLine.dataset.state = state;
  });
  // Re-query after the subscription is acknowledged (nothing between the first query and the
  // subscription start is missed), after a reconnect and when the tab wakes up.
  const stopAck = Hub.listen('api', ({ payload }) => {
    const data = payload.data as { query?: string; variables?: { id?: string } } | undefined;
    if (payload.event === 'Subscription ack' && data?.variables?.id === id) void refresh();
  });
  const stopResync = onResync(() => void refresh());

  subscription = subscribe<{ onTicketUpdated: Ticket | null }>(
    Q.onTicketUpdated,
    { id, trackingToken: token },
    'apiKey',
    (data) => {
      const event = data?.onTicketUpdated;
      if (!event) return;
      // Events carry photos without urls (a url is made per caller): new or changed photos → fetch.
      if (current && photoSignature(event.photos) !== photoSignature(current.photos)) void refresh();
      else show({ ...event, photos: current?.photos ?? [] });
    },
    (error) => {
      if (error.has('NotFoundError') || error.has('Unauthorized')) fail();
      else liveLine.textContent = 'Live updates are unavailable. Reload the page to see changes.';
    },
  );
  void refresh();
  window.addEventListener('hashchange', () => window.location.reload(), { once: true });
}

/** Change how the customer is told (setNotifyBy). The page cannot read the current choice (the
 * customer's details are staff-only), so it offers both boxes and confirms what was saved. */
function notifyChoices(id: string, token: string, offerSms: boolean): HTMLElement {
  const boxes = channelChoices('track-notify', { email: false, sms: false }, offerSms);
  const message = h('p', { role: 'status', 'data-testid': 'notify-message' });
  const button = h('button', { type: 'submit' }, 'Save my choice');
  const form = h('form', { className: 'notify-choices' }, boxes.element, button, message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    const chosen = boxes.chosen();
    try {
      await request<{ setNotifyBy: { id: string } }>(Q.setNotifyBy, { id, trackingToken: token, notifyBy: chosen }, 'apiKey');
      const words = chosen.map((c) => (c === 'EMAIL' ? 'e-mail' : 'text message'));
      message.textContent = words.length ? `Saved: we will tell you by ${words.join(' and ')}.` : 'Saved: we will not send you messages.';
    } catch (raw) {
      message.textContent = `Not saved: ${(raw as ApiError).message}`;
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function renderNotFound(root: HTMLElement): void {
  setTitle('Link not found');
  replaceChildren(
    root,
    h(
      'section',
      { className: 'not-found', 'data-testid': 'not-found' },
      h('h1', null, 'We could not find this repair'),
      h('p', { role: 'alert' }, 'This tracking link is unknown or incomplete. Check that you opened the whole link from your confirmation, or call the workshop with your reference.'),
      h('p', null, h('a', { href: '/' }, 'Report a new problem')),
    ),
    lostLinkForm('track-lost'),
  );
}

function progress(ticket: Ticket): HTMLElement {
  const visited = ticket.history.map((c) => c.status);
  if (ticket.status === 'CANCELLED') {
    return h('p', { className: 'cancelled-note' }, 'This request was cancelled. Call the workshop if this is a surprise.');
  }
  const steps = progressSteps(ticket.status, visited);
  const currentIndex = steps.indexOf(ticket.status);
  return h(
    'div',
    { className: 'progress-wrap' },
    h('h2', { id: 'progress-title', className: 'visually-hidden' }, 'Progress'),
    h(
      'ol',
      { className: 'progress', 'aria-labelledby': 'progress-title' },
      steps.map((step, index) => {
        const state = index < currentIndex ? 'done' : index === currentIndex ? 'current' : 'todo';
        const stateText = state === 'done' ? 'done' : state === 'current' ? 'current step' : 'not yet';
        return h(
          'li',
          { className: `step ${state}`, 'aria-current': state === 'current' ? 'step' : null },
          h('span', { className: 'dot', 'aria-hidden': 'true' }, state === 'done' ? '✓' : String(index + 1)),
          h('span', { className: 'step-label' }, STATUS_LABEL[step]),
          h('span', { className: 'visually-hidden' }, ` (${stateText})`),
        );
      }),
    ),
  );
}

function details(ticket: Ticket): HTMLElement {
  const v = ticket.vehicle;
  const vehicle = [v.make, v.model, v.year ? `(${v.year})` : ''].filter(Boolean).join(' ');
  return h(
    'section',
    { className: 'details', 'aria-labelledby': 'details-title' },
    h('h2', { id: 'details-title' }, 'Your request'),
    h(
      'dl',
      null,
      h('dt', null, 'Vehicle'),
      h('dd', null, vehicle, v.licensePlate ? ` · ${v.licensePlate}` : ''),
      h('dt', null, 'Problem'),
      h('dd', { className: 'pre' }, ticket.description),
      h('dt', null, 'Submitted'),
      h('dd', null, timeElement(ticket.createdAt, formatDateTime(ticket.createdAt))),
    ),
  );
}

function photosSection(ticket: Ticket): HTMLElement | null {
  const photos = ticket.photos ?? [];
  if (!photos.length) return null;
  return h(
    'section',
    { className: 'photo-section', 'aria-labelledby': 'photos-title' },
    h('h2', { id: 'photos-title' }, 'Photos'),
    gallery(photos, 'Photos of this repair (each opens full size)'),
  );
}

function history(ticket: Ticket): HTMLElement {
  return h(
    'section',
    { className: 'history', 'aria-labelledby': 'history-title' },
    h('h2', { id: 'history-title' }, 'History'),
    h('p', { className: 'visually-hidden' }, 'Newest first.'),
    h(
      'ul',
      { 'data-testid': 'history' },
      [...ticket.history].reverse().map((change) =>
        h(
          'li',
          null,
          timeElement(change.at, formatDateTime(change.at)),
          ' — ',
          h('strong', null, STATUS_LABEL[change.status]),
          change.note ? h('span', { className: 'note' }, `: ${change.note}`) : null,
        ),
      ),
    ),
  );
}
